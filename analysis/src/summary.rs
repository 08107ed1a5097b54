//! Each declared metric summarised over trials: its mean with a 95%
//! confidence interval and its median; for a flag, the share of trials
//! with a Wilson interval. Outcomes are often two-humped (an attack fizzles
//! at its way in, or takes hold), so beside the mean the summary gives the
//! median and the share of trials in which the attack took hold.

use polars::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::metrics::MetricInfo;
use crate::numbers::{decimals_for, with_decimals};

/// Below this many trials, intervals are rough and the summary says so.
pub const MIN_TRIALS_FOR_INTERVALS: u32 = 10;

/// A trial in which more than this share of the estate was compromised is
/// one where the attack took hold (a "major outbreak"), as opposed to one
/// that fizzled at its way in.
pub const MAJOR_OUTBREAK_SHARE: f64 = 0.01;

/// The column of the derived major-outbreak flag.
pub const MAJOR_OUTBREAK: &str = "major_outbreak";

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
    /// Whether its values are whole numbers (counts).
    pub whole: bool,
    /// Whether it is a share of trials.
    pub share: bool,
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
        // Every metric is a quantity that cannot be negative: the interval
        // stops at zero. With fewer than two values there is none.
        let half = half_width(sd, n as u32);
        if half.is_finite() { ((mean - half).max(0.0), mean + half) } else { (f64::NAN, f64::NAN) }
    };
    MetricSummary {
        metric: info.column.clone(),
        label: info.label.clone(),
        n: n as u32,
        mean,
        ci_low,
        ci_high,
        median: median(&present),
        whole: info.is_count(),
        share: info.is_flag(),
    }
}

/// Per trial, whether the attack took hold: more than
/// [`MAJOR_OUTBREAK_SHARE`] of the devices compromised. `None` when the
/// frame lacks the engine's `compromised` and `devices` columns.
pub fn major_outbreaks(trials: &DataFrame) -> Option<Vec<Option<f64>>> {
    let compromised = column_values(trials, "compromised").ok()?;
    let devices = column_values(trials, "devices").ok()?;
    Some(
        compromised
            .iter()
            .zip(&devices)
            .map(|(c, d)| Some(f64::from(u8::from((*c)? > MAJOR_OUTBREAK_SHARE * (*d)?))))
            .collect(),
    )
}

/// Adds the major-outbreak flag to a `trials` frame and its description
/// after `compromised` in `metrics` (when the frame has what it needs).
///
/// # Errors
/// Only if polars rejects the column, which would be a bug.
pub fn with_major_outbreak(mut trials: DataFrame, metrics: &mut Vec<MetricInfo>) -> PolarsResult<DataFrame> {
    if let Some(major) = major_outbreaks(&trials) {
        let flags: Vec<Option<bool>> = major.iter().map(|m| m.map(|x| x > 0.5)).collect();
        let n = trials.height();
        trials.with_column(Column::new(MAJOR_OUTBREAK.into(), flags))?;
        debug_assert_eq!(trials.height(), n);
        let at = metrics.iter().position(|m| m.column == "compromised").map_or(metrics.len(), |i| i + 1);
        metrics.insert(at, major_outbreak_info());
    }
    Ok(trials)
}

/// How the major-outbreak share is described.
pub fn major_outbreak_info() -> MetricInfo {
    MetricInfo {
        column: MAJOR_OUTBREAK.into(),
        label: format!("share of trials with a major outbreak (over {}% of devices)", MAJOR_OUTBREAK_SHARE * 100.0),
        description: "trials in which the attack took hold rather than fizzling at its way in".into(),
        unit: String::new(),
        better: "lower".into(),
        kind: "flag".into(),
        bookkeeping: false,
        source: String::new(),
    }
}

/// Summarises every outcome metric (bookkeeping left out) of a `trials` frame.
///
/// # Errors
/// If a metric column is missing.
pub fn summarize(trials: &DataFrame, metrics: &[MetricInfo]) -> PolarsResult<Vec<MetricSummary>> {
    let mut out = Vec::new();
    for m in metrics.iter().filter(|m| !m.bookkeeping) {
        out.push(summarize_values(m, &column_values(trials, &m.column)?));
        if m.column == "compromised"
            && let Some(major) = major_outbreaks(trials)
        {
            out.push(summarize_values(&major_outbreak_info(), &major));
        }
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

/// The summary's numbers as text, rounded alike to what the interval
/// supports: (mean, interval, median).
pub fn formatted(s: &MetricSummary) -> (String, String, String) {
    let half = (s.ci_high - s.ci_low) / 2.0;
    let d = if s.share { share_decimals(s) } else { decimals_for(half, s.whole) };
    let f = |x: f64| if x.is_nan() { "n/a".to_owned() } else { with_decimals(x, d) };
    let ci = if s.ci_low.is_nan() || s.ci_high.is_nan() {
        "n/a".to_owned()
    } else {
        format!("[{}, {}]", f(s.ci_low), f(s.ci_high))
    };
    (f(s.mean), ci, f(s.median))
}

fn share_decimals(s: &MetricSummary) -> usize {
    crate::numbers::decimals_for_share(s.mean, s.ci_low, s.ci_high)
}

/// Renders summaries as an aligned text table for the terminal, with a
/// note when there are too few trials for the intervals to mean much.
pub fn render_table(summaries: &[MetricSummary]) -> String {
    let width = summaries.iter().map(|s| s.label.chars().count()).max().unwrap_or(6).max(6);
    let mut out = format!("{:<width$} {:>12} {:>27} {:>12} {:>7}\n", "metric", "mean", "95% CI", "median", "trials");
    for s in summaries {
        let (mean, ci, median) = formatted(s);
        out.push_str(&format!("{:<width$} {:>12} {:>27} {:>12} {:>7}\n", s.label, mean, ci, median, s.n));
    }
    if summaries.iter().any(|s| s.n > 0 && s.n < MIN_TRIALS_FOR_INTERVALS) {
        out.push_str(&format!(
            "note: fewer than {MIN_TRIALS_FOR_INTERVALS} trials behind some rows: their intervals are rough; run more trials\n"
        ));
    }
    out.push_str("the intervals cover simulation noise only, not uncertainty in the scenario's assumed inputs\n");
    out
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

    fn info(kind: &str) -> MetricInfo {
        MetricInfo {
            column: "x".into(),
            label: "x".into(),
            description: String::new(),
            unit: String::new(),
            better: "lower".into(),
            kind: kind.into(),
            bookkeeping: false,
            source: String::new(),
        }
    }

    #[test]
    fn a_count_interval_never_goes_below_zero() {
        // Two trials, 0 and 10: the t interval would reach far below zero.
        let s = summarize_values(&info("count"), &[Some(0.0), Some(10.0)]);
        assert!(s.ci_low >= 0.0, "{s:?}");
        assert!(s.ci_high > 10.0);
        // A share of 1 out of 20 trials is not certain.
        let share = summarize_values(&info("flag"), &vec![Some(1.0); 20]);
        assert!(share.ci_low < 1.0 && share.ci_high == 1.0, "{share:?}");
    }

    #[test]
    fn a_rows_numbers_are_rounded_alike_to_what_the_interval_supports() {
        let s = MetricSummary {
            metric: "x".into(),
            label: "x".into(),
            n: 100,
            mean: 90.98,
            ci_low: 80.3,
            ci_high: 101.66,
            median: 122.0,
            whole: false,
            share: false,
        };
        let (mean, ci, median) = formatted(&s);
        assert_eq!((mean.as_str(), ci.as_str(), median.as_str()), ("91", "[80, 102]", "122"));
        let precise = MetricSummary { mean: 0.7012, ci_low: 0.6634, ci_high: 0.7391, median: 0.504, ..s };
        let (mean, ci, median) = formatted(&precise);
        assert_eq!((mean.as_str(), ci.as_str(), median.as_str()), ("0.701", "[0.663, 0.739]", "0.504"));
    }

    #[test]
    fn an_interval_that_cannot_be_computed_is_n_a_as_a_whole() {
        for values in [vec![], vec![Some(4.0)]] {
            let s = summarize_values(&info("count"), &values);
            assert!(s.ci_low.is_nan() && s.ci_high.is_nan(), "{s:?}");
            let (_, ci, _) = formatted(&s);
            assert_eq!(ci, "n/a");
        }
        let table = render_table(&[summarize_values(&info("amount"), &[Some(2.5)])]);
        assert!(!table.contains("[0.00, n/a]") && table.contains(" n/a "), "{table}");
    }

    #[test]
    fn the_table_shows_the_median_and_warns_about_few_trials() {
        let rows = [summarize_values(&info("count"), &[Some(1.0), Some(2.0), Some(30.0)])];
        let table = render_table(&rows);
        assert!(table.contains("median") && table.contains("fewer than 10 trials"), "{table}");
        assert!(table.contains("simulation noise only"));
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
        // Printed, the uncertain bound stays apart from the share.
        let all = summarize_values(&info("flag"), &vec![Some(1.0); 1000]);
        let (mean, ci, _) = formatted(&all);
        assert_eq!((mean.as_str(), ci.as_str()), ("1.000", "[0.996, 1.000]"));
        let none = summarize_values(&info("flag"), &vec![Some(0.0); 1000]);
        assert_eq!(formatted(&none).1, "[0.000, 0.004]");
        let some = summarize_values(&info("flag"), &[Some(1.0), Some(0.0), Some(1.0), Some(0.0)]);
        assert_eq!(formatted(&some).0, "0.50");
    }
}
