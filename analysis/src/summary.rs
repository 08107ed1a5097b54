//! Each declared metric summarised over trials: its mean with a 95%
//! confidence interval and its median; for a flag, the share of trials
//! with a Wilson interval.

use polars::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::metrics::MetricInfo;

/// One metric's summary over trials.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricSummary {
    /// Column name.
    pub metric: String,
    /// Plain-language label.
    pub label: String,
    /// Trials with a value (hours count only the trials where it happened).
    pub n: u32,
    /// Mean (for a flag: the share of trials).
    pub mean: f64,
    /// Lower end of the 95% confidence interval (Student's t; Wilson for a share).
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Median.
    pub median: f64,
}

/// The values of a metric column as numbers (flags as 0/1, absent hours as `None`).
pub(crate) fn column_values(trials: &DataFrame, column: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(trials.column(column)?.cast(&DataType::Float64)?.f64()?.iter().collect())
}

/// Mean and sample standard deviation.
pub(crate) fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 { xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { f64::NAN };
    (mean, var.sqrt())
}

/// The median.
pub(crate) fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

/// The Wilson score interval (95%) of a share `k / n`: it stays within 0–1
/// and is not degenerate at 0 or 1.
pub fn wilson(k: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let z = 1.959_963_984_540_054;
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Summarises one metric's values.
pub fn summarize_values(info: &MetricInfo, values: &[Option<f64>]) -> MetricSummary {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let n = present.len();
    let (mean, sd) = mean_sd(&present);
    let (ci_low, ci_high) = if info.is_flag() {
        wilson(present.iter().sum(), n as f64)
    } else {
        let half = half_width(sd, n as u32);
        (mean - half, mean + half)
    };
    MetricSummary {
        metric: info.column.clone(),
        label: info.label.clone(),
        n: n as u32,
        mean,
        ci_low,
        ci_high,
        median: median(&present),
    }
}

/// Summarises every outcome metric (bookkeeping left out) of a `trials` frame.
///
/// # Errors
/// If a metric column is missing.
pub fn summarize(trials: &DataFrame, metrics: &[MetricInfo]) -> PolarsResult<Vec<MetricSummary>> {
    metrics
        .iter()
        .filter(|m| !m.bookkeeping)
        .map(|m| Ok(summarize_values(m, &column_values(trials, &m.column)?)))
        .collect()
}

/// Half-width of a 95% confidence interval for a mean of `n` values with
/// sample standard deviation `std`.
pub fn half_width(std: f64, n: u32) -> f64 {
    if n < 2 || !std.is_finite() {
        return f64::NAN;
    }
    let t = StudentsT::new(0.0, 1.0, f64::from(n - 1)).map(|d| d.inverse_cdf(0.975)).unwrap_or(1.96);
    t * std / f64::from(n).sqrt()
}

/// Renders summaries as an aligned text table for the terminal.
pub fn render_table(summaries: &[MetricSummary]) -> String {
    let width = summaries.iter().map(|s| s.label.chars().count()).max().unwrap_or(6).max(6);
    let mut out = format!("{:<width$} {:>12} {:>27} {:>12} {:>7}\n", "metric", "mean", "95% CI", "median", "trials");
    for s in summaries {
        let ci = if s.ci_low.is_nan() {
            "n/a".to_owned()
        } else {
            format!("[{}, {}]", fmt_num(s.ci_low), fmt_num(s.ci_high))
        };
        let mean = if s.mean.is_nan() { "n/a".to_owned() } else { fmt_num(s.mean) };
        let median = if s.median.is_nan() { "n/a".to_owned() } else { fmt_num(s.median) };
        out.push_str(&format!("{:<width$} {:>12} {:>27} {:>12} {:>7}\n", s.label, mean, ci, median, s.n));
    }
    out
}

fn fmt_num(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_interval_matches_tables() {
        // t(0.975, 9) = 2.262.
        assert!((half_width(1.0, 10) - 2.262 / 10f64.sqrt()).abs() < 1e-3);
        assert!(half_width(1.0, 1).is_nan());
    }

    #[test]
    fn the_wilson_interval_stays_in_range_and_matches_a_hand_computation() {
        // 8 of 10: Wilson 95% interval [0.490, 0.943].
        let (lo, hi) = wilson(8.0, 10.0);
        assert!((lo - 0.4902).abs() < 1e-3 && (hi - 0.9433).abs() < 1e-3, "{lo} {hi}");
        let (lo, hi) = wilson(20.0, 20.0);
        assert!(lo < 1.0 && hi == 1.0, "a share of 1 is not certain: [{lo}, {hi}]");
        let (lo, hi) = wilson(0.0, 5.0);
        assert!(lo == 0.0 && hi > 0.0);
    }
}
