//! Comparing designs run with common random numbers: every random draw of
//! a trial is keyed by what it is for (the trial, the mechanism, the device
//! it is about), so trial `i` of every design meets the same random events
//! wherever the designs do not differ. Each design's metric gets its mean,
//! median and 95% interval; each design after the first gets the paired
//! difference against the first, with its interval and a paired t-test,
//! beside the unpaired (Welch) interval of the same difference and the
//! per-trial correlation that makes the paired one narrower.

use std::sync::Arc;

use iomtsim_sim::Model;
use polars::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::metrics::MetricInfo;
use crate::summary::{column_values, half_width, mean_sd, median, summarize_values};

/// One design's datasets.
pub struct Design {
    /// How reports name it (its scenario name, made unique).
    pub label: String,
    /// Its model.
    pub model: Arc<Model>,
    /// Its metrics.
    pub metrics: Vec<MetricInfo>,
    /// Its `trials` frame, one row per trial in trial order, with a
    /// `design` column holding the label.
    pub trials: DataFrame,
    /// Its `timeseries` frame, with a `design` column.
    pub timeseries: DataFrame,
    /// Its `breakdown` frame, with a `design` column.
    pub breakdown: DataFrame,
}

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
    /// 95% interval of the mean (Student's t; Wilson for a share).
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Mean of the per-trial differences against the first design (0 for it).
    pub diff: f64,
    /// 95% interval of that mean difference, paired trial by trial.
    pub diff_ci_low: f64,
    /// Upper end.
    pub diff_ci_high: f64,
    /// The 95% interval of the same difference if the trials were not
    /// paired (Welch): what common random numbers save.
    pub welch_ci_low: f64,
    /// Upper end.
    pub welch_ci_high: f64,
    /// Correlation of the two designs' values trial by trial.
    pub correlation: f64,
    /// Two-sided paired t-test p-value of the difference (1 for the first design).
    pub p_value: f64,
    /// Whether the difference is both more than simulation noise (p below
    /// 0.05) and large enough to matter in practice (at least the minimum
    /// effect asked for, as a share of the first design's mean).
    pub important: bool,
}

impl MetricComparison {
    /// Width of the paired interval over the width of the unpaired one.
    pub fn paired_to_unpaired(&self) -> f64 {
        (self.diff_ci_high - self.diff_ci_low) / (self.welch_ci_high - self.welch_ci_low)
    }
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

/// Half-width of the 95% Welch interval of a difference of two means.
pub fn welch_half_width(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    if na < 2.0 || nb < 2.0 {
        return f64::NAN;
    }
    let (va, vb) = (mean_sd(a).1.powi(2) / na, mean_sd(b).1.powi(2) / nb);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return 0.0;
    }
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let t = StudentsT::new(0.0, 1.0, df).map(|d| d.inverse_cdf(0.975)).unwrap_or(1.96);
    t * se
}

/// Pearson correlation of paired values.
pub fn correlation(pairs: &[(f64, f64)]) -> f64 {
    let n = pairs.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let (ma, mb) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let cov: f64 = pairs.iter().map(|(a, b)| (a - ma) * (b - mb)).sum();
    let va: f64 = pairs.iter().map(|(a, _)| (a - ma).powi(2)).sum();
    let vb: f64 = pairs.iter().map(|(_, b)| (b - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 { f64::NAN } else { cov / (va * vb).sqrt() }
}

/// The outcome metrics to compare, in order: the first design's, then any
/// a later design adds.
pub fn compared_metrics(designs: &[Design]) -> Vec<MetricInfo> {
    let mut out: Vec<MetricInfo> = Vec::new();
    for d in designs {
        for m in d.metrics.iter().filter(|m| !m.bookkeeping) {
            if !out.iter().any(|x| x.column == m.column) {
                out.push(m.clone());
            }
        }
    }
    out
}

/// Compares every design against the first, metric by metric. A metric a
/// design lacks (a defence it does not run) has no row for that design.
///
/// # Errors
/// If a design's trials frame lacks a metric it declares.
pub fn compare(designs: &[Design], min_effect: f64) -> PolarsResult<Vec<MetricComparison>> {
    let mut rows = Vec::new();
    let Some(base) = designs.first() else { return Ok(rows) };
    for info in compared_metrics(designs) {
        let has = |d: &Design| d.metrics.iter().any(|m| m.column == info.column);
        let base_values = if has(base) { Some(column_values(&base.trials, &info.column)?) } else { None };
        for (i, d) in designs.iter().enumerate() {
            if !has(d) {
                continue;
            }
            let own = column_values(&d.trials, &info.column)?;
            let summary = summarize_values(&info, &own);
            let first = i == 0;
            let pairs: Vec<(f64, f64)> = base_values
                .iter()
                .flat_map(|b| own.iter().zip(b.iter()))
                .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
                .collect();
            let diffs: Vec<f64> = pairs.iter().map(|(a, b)| a - b).collect();
            let (diff, diff_sd) = mean_sd(&diffs);
            let diff_half = half_width(diff_sd, diffs.len() as u32);
            let welch = match &base_values {
                Some(b) => welch_half_width(
                    &own.iter().flatten().copied().collect::<Vec<_>>(),
                    &b.iter().flatten().copied().collect::<Vec<_>>(),
                ),
                None => f64::NAN,
            };
            let (none, zero) = (f64::NAN, 0.0);
            let comparable = !first && base_values.is_some();
            let p_value = if first {
                1.0
            } else if comparable {
                paired_p_value(diff, diff_sd, diffs.len())
            } else {
                none
            };
            let base_mean = pairs.iter().map(|(_, b)| b).sum::<f64>() / pairs.len().max(1) as f64;
            let large = diff.abs() >= min_effect * base_mean.abs() && diff != 0.0;
            rows.push(MetricComparison {
                design: d.label.clone(),
                metric: info.column.clone(),
                label: info.label.clone(),
                n: summary.n,
                mean: summary.mean,
                median: median(&own.iter().flatten().copied().collect::<Vec<_>>()),
                ci_low: summary.ci_low,
                ci_high: summary.ci_high,
                diff: if first {
                    zero
                } else if comparable {
                    diff
                } else {
                    none
                },
                diff_ci_low: if first {
                    zero
                } else if comparable {
                    diff - diff_half
                } else {
                    none
                },
                diff_ci_high: if first {
                    zero
                } else if comparable {
                    diff + diff_half
                } else {
                    none
                },
                welch_ci_low: if first {
                    zero
                } else if comparable {
                    diff - welch
                } else {
                    none
                },
                welch_ci_high: if first {
                    zero
                } else if comparable {
                    diff + welch
                } else {
                    none
                },
                correlation: if first { 1.0 } else { correlation(&pairs) },
                p_value,
                important: comparable && p_value < 0.05 && large,
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
            Column::new("welch_ci_low".into(), x(|r| r.welch_ci_low)),
            Column::new("welch_ci_high".into(), x(|r| r.welch_ci_high)),
            Column::new("correlation".into(), x(|r| r.correlation)),
            Column::new("p_value".into(), x(|r| r.p_value)),
            Column::new("important".into(), rows.iter().map(|r| r.important).collect::<Vec<bool>>()),
        ],
    )
}

pub use crate::numbers::readable;

/// Plain-language sentences for a reader who is not a statistician: for
/// each design after the first, how its medians compare with the first's,
/// and whether the difference is more than simulation noise and large
/// enough to matter.
pub fn plain_summary(rows: &[MetricComparison], designs: &[Design], min_effect: f64) -> Vec<String> {
    let find = |design: &str, metric: &str| rows.iter().find(|r| r.design == design && r.metric == metric);
    let Some(base) = designs.first() else { return Vec::new() };
    let mut out = Vec::new();
    for d in designs.iter().skip(1) {
        let mut parts = Vec::new();
        for (metric, what) in [
            ("compromised", "the median number of compromised devices"),
            ("records_on_compromised_devices", "the median number of patient records on compromised devices"),
            ("critical_downtime_device_hours", "the median downtime of critical devices (device-hours)"),
        ] {
            let (Some(a), Some(b)) = (find(&base.label, metric), find(&d.label, metric)) else { continue };
            let (from, to) = (a.median, b.median);
            let shown = crate::numbers::alike(&[from, to]);
            let change = if to < from {
                let pct =
                    if from > 0.0 { format!(" ({:.0}% less)", 100.0 * (from - to) / from) } else { String::new() };
                format!("cut {what} from {} to {}{pct}", shown[0], shown[1])
            } else if to > from {
                let pct =
                    if from > 0.0 { format!(" ({:.0}% more)", 100.0 * (to - from) / from) } else { String::new() };
                format!("raised {what} from {} to {}{pct}", shown[0], shown[1])
            } else {
                format!("left {what} unchanged at {}", shown[0])
            };
            parts.push(change);
        }
        let mut sentence = format!("Design {} {} compared with {}.", d.label, join_sentence(&parts), base.label);
        if let Some(c) = find(&d.label, "compromised")
            && c.p_value.is_finite()
        {
            sentence.push(' ');
            let p = if c.p_value < 0.001 { "< 0.001".to_owned() } else { format!("= {:.3}", c.p_value) };
            // The difference and its interval rounded alike, to what the
            // interval supports, as in the report's table.
            let d = crate::numbers::decimals_for((c.diff_ci_high - c.diff_ci_low) / 2.0, true);
            let fmt = |x: f64| crate::numbers::with_decimals(x, d);
            let devices = |x: f64| if fmt(x) == "1" { "device" } else { "devices" };
            sentence.push_str(&if c.important {
                format!(
                    "Trial by trial, meeting the same random events, it averaged {} {} compromised {} (95% interval {} to {}): more than simulation noise (paired test, p {p}).",
                    fmt(c.diff.abs()),
                    if c.diff < 0.0 { "fewer" } else { "more" },
                    devices(c.diff.abs()),
                    fmt(c.diff_ci_low),
                    fmt(c.diff_ci_high),
                )
            } else if c.p_value < 0.05 {
                format!(
                    "Trial by trial it averaged {} {} compromised {}: more than simulation noise (paired test, p {p}), but under {:.0}% of {}'s mean, too small to matter in practice.",
                    fmt(c.diff.abs()),
                    if c.diff < 0.0 { "fewer" } else { "more" },
                    devices(c.diff.abs()),
                    min_effect * 100.0,
                    base.label
                )
            } else {
                format!(
                    "Trial by trial, the difference in compromised devices ({}) is within simulation noise (paired test, p = {:.2}); run more trials to tell.",
                    fmt(c.diff),
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

    fn design(label: &str) -> Design {
        let text = "name = \"d\"\nduration = \"1d\"\nzones = [{ id = \"w\" }]\n\
                    device_types = [{ id = \"pc\" }]\nplacement = [{ zone = \"w\", device_type = \"pc\", count = 3 }]\n";
        let model = iomtsim_sim::load_model(
            iomtsim_sim::ScenarioSource::from_text("d.toml", text),
            &iomtsim_sim::Registry::default(),
        )
        .unwrap();
        Design {
            label: label.into(),
            model: Arc::new(model),
            metrics: Vec::new(),
            trials: DataFrame::empty(),
            timeseries: DataFrame::empty(),
            breakdown: DataFrame::empty(),
        }
    }

    fn row(design: &str, median: f64, diff: f64, half: f64, p_value: f64, important: bool) -> MetricComparison {
        MetricComparison {
            design: design.into(),
            metric: "compromised".into(),
            label: "devices compromised (ever)".into(),
            n: 40,
            mean: median,
            median,
            ci_low: median - 1.0,
            ci_high: median + 1.0,
            diff,
            diff_ci_low: diff - half,
            diff_ci_high: diff + half,
            welch_ci_low: diff - 3.0 * half,
            welch_ci_high: diff + 3.0 * half,
            correlation: 0.9,
            p_value,
            important,
        }
    }

    #[test]
    fn the_summary_gives_the_numbers_of_a_sentence_one_precision() {
        let designs = [design("a"), design("b")];
        // Medians of counts over an even number of trials: 10 and 9.5.
        let rows = [row("a", 10.0, 0.0, 0.0, 1.0, false), row("b", 9.5, -0.5, 0.73, 0.5, false)];
        let s = plain_summary(&rows, &designs, 0.1).join(" ");
        assert!(s.contains("from 10.0 to 9.5 (5% less)"), "{s}");
        assert!(!s.contains("9.50 ") && s.contains("(-0.50)"), "{s}");
        // The difference and its interval share the interval's precision.
        let rows = [row("a", 1240.0, 0.0, 0.0, 1.0, false), row("b", 980.0, -261.4, 12.6, 0.0001, true)];
        let s = plain_summary(&rows, &designs, 0.1).join(" ");
        assert!(
            s.contains("from 1,240 to 980") && s.contains("261 fewer compromised devices (95% interval -274 to -249)"),
            "{s}"
        );
        let rows = [row("a", 3.0, 0.0, 0.0, 1.0, false), row("b", 2.0, -1.0, 0.2, 0.0001, true)];
        let s = plain_summary(&rows, &designs, 0.1).join(" ");
        assert!(s.contains("1.00 fewer compromised devices (95% interval -1.20 to -0.80)"), "{s}");
    }
}
