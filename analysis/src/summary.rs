//! Means with 95% confidence intervals over trials, per metric.

use polars::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The metrics a run summary reports, in order, with a plain label.
pub const SUMMARY_METRICS: &[(&str, &str)] = &[
    ("compromised", "devices compromised"),
    ("peak_compromised", "peak compromised at once"),
    ("disrupted", "devices disrupted (encrypted)"),
    ("records_exposed", "patient records exposed"),
    ("downtime_device_hours", "downtime (device-hours)"),
    ("critical_downtime_device_hours", "critical-device downtime (device-hours)"),
    ("detected", "share of trials detected"),
    ("time_to_detect_h", "time to detect (hours, detected trials)"),
    ("patched", "patches installed"),
    ("isolated", "devices isolated"),
];

/// One metric's mean over trials and its 95% confidence interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricSummary {
    /// Column name.
    pub metric: String,
    /// Plain-language label.
    pub label: String,
    /// Trials with a value (time to detect counts detected trials only).
    pub n: u32,
    /// Mean.
    pub mean: f64,
    /// Lower end of the 95% confidence interval (Student's t).
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Median.
    pub median: f64,
}

/// Summarises the metrics of a `trials` frame.
///
/// # Errors
/// If a metric column is missing.
pub fn summarize(trials: &DataFrame) -> PolarsResult<Vec<MetricSummary>> {
    let mut exprs = Vec::new();
    for (m, _) in SUMMARY_METRICS {
        let c = col(*m).cast(DataType::Float64);
        exprs.push(c.clone().mean().alias(format!("{m}__mean")));
        exprs.push(c.clone().std(1).alias(format!("{m}__std")));
        exprs.push(c.clone().count().cast(DataType::UInt32).alias(format!("{m}__n")));
        exprs.push(c.median().alias(format!("{m}__median")));
    }
    let stats = trials.clone().lazy().select(exprs).collect()?;
    let get = |name: String| -> PolarsResult<Option<f64>> {
        Ok(stats.column(&name)?.cast(&DataType::Float64)?.f64()?.get(0))
    };
    let mut out = Vec::new();
    for (m, label) in SUMMARY_METRICS {
        let n = get(format!("{m}__n"))?.unwrap_or(0.0) as u32;
        let mean = get(format!("{m}__mean"))?.unwrap_or(f64::NAN);
        let std = get(format!("{m}__std"))?.unwrap_or(0.0);
        let median = get(format!("{m}__median"))?.unwrap_or(f64::NAN);
        let half = half_width(std, n);
        out.push(MetricSummary {
            metric: (*m).to_owned(),
            label: (*label).to_owned(),
            n,
            mean,
            ci_low: mean - half,
            ci_high: mean + half,
            median,
        });
    }
    Ok(out)
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
    let mut out = format!("{:<42} {:>12} {:>27} {:>7}\n", "metric", "mean", "95% CI", "trials");
    for s in summaries {
        let ci = if s.ci_low.is_nan() {
            "n/a".to_owned()
        } else {
            format!("[{}, {}]", fmt_num(s.ci_low), fmt_num(s.ci_high))
        };
        let mean = if s.mean.is_nan() { "n/a".to_owned() } else { fmt_num(s.mean) };
        out.push_str(&format!("{:<42} {:>12} {:>27} {:>7}\n", s.label, mean, ci, s.n));
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
}
