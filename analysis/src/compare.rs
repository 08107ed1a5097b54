//! Comparing designs run with common random numbers: trial `i` of every
//! design draws from the same random stream, so per-trial differences
//! measure the design, not the dice. Each design's metric gets its mean,
//! median and 95% interval; each design after the first gets the paired
//! difference against the first, with its own interval and a paired t-test.

use std::sync::Arc;

use iomtsim_sim::Scenario;
use polars::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::summary::half_width;

/// One design's datasets.
pub struct Design {
    /// How reports name it (its scenario name, made unique).
    pub label: String,
    /// Its scenario.
    pub scenario: Arc<Scenario>,
    /// Its `trials` frame, one row per trial in trial order.
    pub trials: DataFrame,
    /// Its `timeseries` frame, `variant` set to the label.
    pub timeseries: DataFrame,
    /// Its `breakdown` frame, `variant` set to the label.
    pub breakdown: DataFrame,
}

/// The metrics compared, with plain labels and whether less is better.
pub const COMPARED_METRICS: &[(&str, &str)] = &[
    ("compromised", "devices compromised"),
    ("disrupted", "devices disrupted (encrypted)"),
    ("records_exposed", "patient records exposed"),
    ("downtime_device_hours", "downtime (device-hours)"),
    ("critical_downtime_device_hours", "critical-device downtime (device-hours)"),
    ("detected", "share of trials detected"),
    ("time_to_detect_h", "time to detect (hours)"),
];

/// One design's figures for one metric: a row of `comparison.parquet`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricComparison {
    /// The design.
    pub design: String,
    /// Column name of the metric.
    pub metric: String,
    /// Plain label.
    pub label: String,
    /// Trials with a value.
    pub n: u32,
    /// Mean over trials.
    pub mean: f64,
    /// Median over trials.
    pub median: f64,
    /// 95% interval of the mean (Student's t).
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Mean of the per-trial differences against the first design (0 for it).
    pub diff: f64,
    /// 95% interval of that mean difference.
    pub diff_ci_low: f64,
    /// Upper end.
    pub diff_ci_high: f64,
    /// Two-sided paired t-test p-value of the difference (1 for the first design).
    pub p_value: f64,
}

fn values(trials: &DataFrame, metric: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(trials.column(metric)?.cast(&DataType::Float64)?.f64()?.iter().collect())
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 { xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { f64::NAN };
    (mean, var.sqrt())
}

fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

/// Two-sided p-value of a paired t-test on differences with mean `mean`
/// and standard deviation `sd` over `n` pairs.
pub fn paired_p_value(mean: f64, sd: f64, n: usize) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    if sd == 0.0 || !sd.is_finite() {
        return if mean == 0.0 { 1.0 } else { 0.0 };
    }
    let t = mean / (sd / (n as f64).sqrt());
    match StudentsT::new(0.0, 1.0, (n - 1) as f64) {
        Ok(dist) => 2.0 * (1.0 - dist.cdf(t.abs())),
        Err(_) => f64::NAN,
    }
}

/// Compares every design against the first, metric by metric.
///
/// # Errors
/// If a design's trials frame lacks a metric.
pub fn compare(designs: &[Design]) -> PolarsResult<Vec<MetricComparison>> {
    let mut rows = Vec::new();
    let Some(base) = designs.first() else { return Ok(rows) };
    for (metric, label) in COMPARED_METRICS {
        let base_values = values(&base.trials, metric)?;
        for d in designs {
            let own = values(&d.trials, metric)?;
            let present: Vec<f64> = own.iter().flatten().copied().collect();
            let (mean, sd) = mean_sd(&present);
            let half = half_width(sd, present.len() as u32);
            let pairs: Vec<f64> = own.iter().zip(&base_values).filter_map(|(a, b)| Some((*a)? - (*b)?)).collect();
            let (diff, diff_sd) = mean_sd(&pairs);
            let diff_half = half_width(diff_sd, pairs.len() as u32);
            let first = std::ptr::eq(d, base);
            rows.push(MetricComparison {
                design: d.label.clone(),
                metric: (*metric).to_owned(),
                label: (*label).to_owned(),
                n: present.len() as u32,
                mean,
                median: median(&present),
                ci_low: mean - half,
                ci_high: mean + half,
                diff: if first { 0.0 } else { diff },
                diff_ci_low: if first { 0.0 } else { diff - diff_half },
                diff_ci_high: if first { 0.0 } else { diff + diff_half },
                p_value: if first { 1.0 } else { paired_p_value(diff, diff_sd, pairs.len()) },
            });
        }
    }
    Ok(rows)
}

/// The comparison as a frame: the `comparison` dataset.
///
/// # Errors
/// Only if polars rejects the columns, which would be a bug.
pub fn comparison_frame(rows: &[MetricComparison]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&MetricComparison) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let x = |f: fn(&MetricComparison) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("design".into(), s(|r| &r.design)),
            Column::new("metric".into(), s(|r| &r.metric)),
            Column::new("label".into(), s(|r| &r.label)),
            Column::new("n".into(), rows.iter().map(|r| r.n).collect::<Vec<u32>>()),
            Column::new("mean".into(), x(|r| r.mean)),
            Column::new("median".into(), x(|r| r.median)),
            Column::new("ci_low".into(), x(|r| r.ci_low)),
            Column::new("ci_high".into(), x(|r| r.ci_high)),
            Column::new("diff_vs_first".into(), x(|r| r.diff)),
            Column::new("diff_ci_low".into(), x(|r| r.diff_ci_low)),
            Column::new("diff_ci_high".into(), x(|r| r.diff_ci_high)),
            Column::new("p_value".into(), x(|r| r.p_value)),
        ],
    )
}

/// A number as a reader would write it: thousands separated, no spurious
/// decimals.
pub fn readable(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x.abs() < 10.0 && x.fract() != 0.0 {
        return format!("{x:.2}");
    }
    let r = x.round() as i64;
    let digits = r.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if r < 0 { format!("-{out}") } else { out }
}

/// Plain-language sentences for a reader who is not a statistician: for
/// each design after the first, how its medians compare with the first's,
/// and whether the difference is more than chance.
pub fn plain_summary(rows: &[MetricComparison], designs: &[Design]) -> Vec<String> {
    let find = |design: &str, metric: &str| rows.iter().find(|r| r.design == design && r.metric == metric);
    let Some(base) = designs.first() else { return Vec::new() };
    let mut out = Vec::new();
    for d in designs.iter().skip(1) {
        let mut parts = Vec::new();
        for (metric, what) in [
            ("compromised", "the median number of compromised devices"),
            ("records_exposed", "the median number of patient records exposed"),
            ("critical_downtime_device_hours", "the median downtime of critical devices (device-hours)"),
        ] {
            let (Some(a), Some(b)) = (find(&base.label, metric), find(&d.label, metric)) else { continue };
            let (from, to) = (a.median, b.median);
            let change = if to < from {
                let pct =
                    if from > 0.0 { format!(" ({:.0}% less)", 100.0 * (from - to) / from) } else { String::new() };
                format!("cut {what} from {} to {}{pct}", readable(from), readable(to))
            } else if to > from {
                let pct =
                    if from > 0.0 { format!(" ({:.0}% more)", 100.0 * (to - from) / from) } else { String::new() };
                format!("raised {what} from {} to {}{pct}", readable(from), readable(to))
            } else {
                format!("left {what} unchanged at {}", readable(from))
            };
            parts.push(change);
        }
        let mut sentence = format!("Design {} {} compared with {}.", d.label, join_sentence(&parts), base.label);
        if let Some(c) = find(&d.label, "compromised") {
            sentence.push(' ');
            sentence.push_str(&if c.p_value < 0.05 {
                format!(
                    "Trial by trial, with the same random events, it averaged {} {} compromised devices; a difference this large is very unlikely to be chance (paired test, p {}).",
                    readable(c.diff.abs()),
                    if c.diff < 0.0 { "fewer" } else { "more" },
                    if c.p_value < 0.001 { "< 0.001".to_owned() } else { format!("= {:.3}", c.p_value) }
                )
            } else {
                format!(
                    "Trial by trial, the difference in compromised devices ({}) could be chance (paired test, p = {:.2}); run more trials to tell.",
                    readable(c.diff),
                    c.p_value
                )
            });
        }
        out.push(sentence);
    }
    out
}

fn join_sentence(parts: &[String]) -> String {
    match parts.len() {
        0 => String::new(),
        1 => parts[0].clone(),
        _ => format!("{} and {}", parts[..parts.len() - 1].join("; "), parts[parts.len() - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_test_matches_a_hand_computation() {
        // Differences 1, 2, 3: mean 2, sd 1, t = 2 / (1/sqrt 3) = 3.464,
        // two-sided p with 2 degrees of freedom = 0.0742.
        assert!((paired_p_value(2.0, 1.0, 3) - 0.0742).abs() < 1e-3);
        assert_eq!(paired_p_value(0.0, 0.0, 10), 1.0);
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(readable(1240.0), "1,240");
        assert_eq!(readable(1_144_850.4), "1,144,850");
        assert_eq!(readable(85.0), "85");
        assert_eq!(readable(0.25), "0.25");
        assert_eq!(readable(-3000.0), "-3,000");
    }
}
