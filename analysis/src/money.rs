//! Harm in money: each trial's outcomes priced with the scenario's cost
//! model (`[costs]`), by category, and what the defences cost a year.
//!
//! Costs apply to outcomes the trials already counted (service-hours lost,
//! device-hours down by criticality, records breached (taken out or disclosed inside), notifiable
//! breaches, safety events, rebuilds, a ransom paid), so a cost figure can
//! change without running the trials again: this is what makes the
//! sensitivity analysis cheap. Nothing here names a mechanism: the ransom
//! follows the attacks the cost model names, through the
//! `<attack>.objective_reached` flag every attack declares.

use iomtsim_sim::costs::Costs;
use iomtsim_sim::{MetricValue, Model, Scenario, TrialResult};
use polars::prelude::*;

use crate::metrics::MetricInfo;

/// A category of loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// Clinical services down.
    Services,
    /// Devices out of service, by criticality.
    Downtime,
    /// Records breached: exfiltrated or disclosed inside.
    Records,
    /// Notifiable breaches: fixed costs and fines.
    Breaches,
    /// Patient-safety events.
    Safety,
    /// Devices rebuilt.
    Rebuilds,
    /// The security team's hours.
    Analysts,
    /// A ransom paid.
    Ransom,
}

impl Category {
    /// Every category, in the order of the columns.
    pub const ALL: [Category; 8] = [
        Category::Services,
        Category::Downtime,
        Category::Records,
        Category::Breaches,
        Category::Safety,
        Category::Rebuilds,
        Category::Analysts,
        Category::Ransom,
    ];

    /// Its column in `trials.parquet`.
    pub fn column(self) -> &'static str {
        match self {
            Category::Services => "loss_services",
            Category::Downtime => "loss_downtime",
            Category::Records => "loss_records",
            Category::Breaches => "loss_breaches",
            Category::Safety => "loss_safety",
            Category::Rebuilds => "loss_rebuilds",
            Category::Analysts => "loss_analysts",
            Category::Ransom => "loss_ransom",
        }
    }

    /// Plain words.
    pub fn label(self) -> &'static str {
        match self {
            Category::Services => "loss: clinical services down",
            Category::Downtime => "loss: devices out of service",
            Category::Records => "loss: records breached",
            Category::Breaches => "loss: breach notification and fines",
            Category::Safety => "loss: patient-safety events",
            Category::Rebuilds => "loss: rebuilding devices",
            Category::Analysts => "loss: security-team hours",
            Category::Ransom => "loss: ransom paid",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Category::Services => "hours each clinical service was down, priced per service",
            Category::Downtime => "device-hours out of service, priced by each device's criticality",
            Category::Records => "patient records that left readable, priced per record",
            Category::Breaches => "HIPAA and GDPR notifiable breaches: fixed costs plus fines up to their caps",
            Category::Safety => "patient-safety events, priced per event",
            Category::Rebuilds => "restoration labour per device rebuilt",
            Category::Analysts => "hours the security team spent on alerts (false alarms too) and responses",
            Category::Ransom => {
                "the ransom, when an attack the cost model names reached its objective and the policy pays"
            }
        }
    }
}

/// The column of the total loss.
pub const TOTAL: &str = "loss_total";

/// One trial's losses, by category in [`Category::ALL`] order.
pub fn trial_losses(model: &Model, costs: &Costs, r: &TrialResult) -> [f64; 8] {
    let s = &model.scenario;
    let o = r.outcome.core();
    let services: f64 = r.service_hours_lost.iter().zip(&costs.service_hour).map(|(h, c)| h * c).sum();
    let downtime: f64 = r
        .breakdown
        .iter()
        .map(|b| {
            b.downtime_device_hours * costs.device_hour.get(s.device_types[usize::from(b.device_type.0)].criticality)
        })
        .sum();
    // Records taken out and records disclosed inside are both breached.
    let breached = o.records_exfiltrated + o.records_disclosed_inside;
    let records = breached as f64 * costs.record;
    let mut breaches = 0.0;
    if o.breach_notifiable_hipaa {
        breaches += costs.hipaa_breach.of(breached);
    }
    if o.breach_notifiable_gdpr {
        breaches += costs.gdpr_breach.of(breached);
    }
    let safety = o.safety_events as f64 * costs.safety_event;
    let rebuilds = o.rebuilds as f64 * costs.rebuild;
    let analysts = o.analyst_hours * costs.analyst_hour;
    let ransom = match &costs.ransom {
        Some(ransom) if ransom.paid => {
            let demanded = ransom.attacks.iter().any(|a| {
                model
                    .metric(&format!("{a}.objective_reached"))
                    .is_some_and(|m| r.outcome.get(m) == MetricValue::Flag(true))
            });
            if demanded { ransom.amount } else { 0.0 }
        }
        _ => 0.0,
    };
    [services, downtime, records, breaches, safety, rebuilds, analysts, ransom]
}

/// The loss columns of `trials.parquet` (each category, then the total),
/// or none when the scenario has no cost model.
pub fn loss_columns(model: &Model, results: &[TrialResult]) -> Vec<Column> {
    let Some(costs) = &model.scenario.costs else { return Vec::new() };
    let losses: Vec<[f64; 8]> = results.iter().map(|r| trial_losses(model, costs, r)).collect();
    let mut columns: Vec<Column> = Category::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| Column::new(c.column().into(), losses.iter().map(|l| l[i]).collect::<Vec<f64>>()))
        .collect();
    columns.push(Column::new(TOTAL.into(), losses.iter().map(|l| l.iter().sum::<f64>()).collect::<Vec<f64>>()));
    columns
}

/// The loss columns described like declared metrics, so that summaries,
/// comparisons and reports treat them as any other outcome.
pub fn loss_infos(scenario: &Scenario) -> Vec<MetricInfo> {
    let Some(costs) = &scenario.costs else { return Vec::new() };
    let info = |column: &str, label: String, description: &str| MetricInfo {
        column: column.to_owned(),
        label,
        description: description.to_owned(),
        unit: costs.currency.clone(),
        better: "lower".to_owned(),
        kind: "money".to_owned(),
        bookkeeping: false,
        source: String::new(),
    };
    let mut infos = vec![info(TOTAL, format!("loss ({})", costs.currency), "every category of loss, summed")];
    infos.extend(
        Category::ALL.iter().map(|c| info(c.column(), format!("{} ({})", c.label(), costs.currency), c.description())),
    );
    infos
}

/// What the scenario's defences cost a year: their yearly costs plus
/// their one-off costs spread over the cost model's `amortise_years`, and
/// the same for the design's own measures (`design_cost_per_year`,
/// `design_one_off_cost`).
pub fn defence_cost_per_year(scenario: &Scenario) -> f64 {
    let Some(costs) = &scenario.costs else { return 0.0 };
    let years = costs.amortise_years;
    let design = costs.design_cost_per_year + costs.design_one_off_cost / years;
    design + scenario.instances.iter().map(|i| instance_cost_per_year(i, years)).sum::<f64>()
}

/// What one attack or defence table costs a year: its yearly cost plus its
/// one-off cost spread over `years`.
pub fn instance_cost_per_year(i: &iomtsim_sim::InstanceSection, years: f64) -> f64 {
    i.cost_per_year + i.one_off_cost / years
}

/// The `q` quantile of `xs` (linear interpolation between order statistics).
pub fn quantile(xs: &[f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// The share of `xs` above each of `thresholds`: the loss-exceedance curve.
pub fn exceedance(xs: &[f64], thresholds: &[f64]) -> Vec<f64> {
    let n = xs.len().max(1) as f64;
    thresholds.iter().map(|t| xs.iter().filter(|x| *x > t).count() as f64 / n).collect()
}

/// Losses over a run's trials in plain terms: what a risk committee reads.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MoneySummary {
    /// The currency.
    pub currency: String,
    /// What one trial spans, in words (e.g. "a year", "30 days").
    pub span: String,
    /// Trials.
    pub n: u32,
    /// Mean loss per trial, with its 95% interval.
    pub expected: f64,
    /// Lower end.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Median loss.
    pub median: f64,
    /// The 95th percentile: a bad trial, one in twenty.
    pub p95: f64,
    /// The 99th percentile: one in a hundred.
    pub p99: f64,
    /// Share of trials with any loss.
    pub any_loss: f64,
    /// What the defences cost a year.
    pub defence_cost_per_year: f64,
}

/// Summarises the `loss_total` column of `trials`, or `None` when the
/// scenario has no cost model.
///
/// # Errors
/// Only if the column cannot be read as numbers.
pub fn summarize_losses(scenario: &Scenario, trials: &DataFrame) -> PolarsResult<Option<MoneySummary>> {
    let Some(costs) = &scenario.costs else { return Ok(None) };
    let losses: Vec<f64> = crate::summary::column_values(trials, TOTAL)?.into_iter().flatten().collect();
    let (expected, sd) = crate::summary::mean_sd(&losses);
    let half = crate::summary::half_width(sd, losses.len() as u32);
    Ok(Some(MoneySummary {
        currency: costs.currency.clone(),
        span: span_words(scenario.duration),
        n: losses.len() as u32,
        expected,
        ci_low: if half.is_finite() { (expected - half).max(0.0) } else { f64::NAN },
        ci_high: expected + half,
        median: quantile(&losses, 0.5),
        p95: quantile(&losses, 0.95),
        p99: quantile(&losses, 0.99),
        any_loss: losses.iter().filter(|x| **x > 0.0).count() as f64 / losses.len().max(1) as f64,
        defence_cost_per_year: defence_cost_per_year(scenario),
    }))
}

/// The losses in plain sentences, for the terminal and the report.
pub fn loss_lines(m: &MoneySummary) -> Vec<String> {
    let c = &m.currency;
    let per = if m.span == "a year" { "a year".to_owned() } else { format!("per trial of {}", m.span) };
    let mut lines = vec![
        if m.ci_low.is_finite() && m.ci_high.is_finite() {
            format!(
                "expected loss {per}: {} {} (95% interval over {})",
                money_words(c, m.expected),
                interval_words(c, m.ci_low, m.ci_high),
                crate::numbers::count(u64::from(m.n), "trial", "trials")
            )
        } else {
            format!(
                "expected loss {per}: {} (no interval from {})",
                money_words(c, m.expected),
                crate::numbers::count(u64::from(m.n), "trial", "trials")
            )
        },
        format!(
            "median {}; a bad trial (1 in 20) loses {}, a very bad one (1 in 100) {}; {:.0}% of trials lose anything",
            money_words(c, m.median),
            money_words(c, m.p95),
            money_words(c, m.p99),
            m.any_loss * 100.0
        ),
    ];
    if m.defence_cost_per_year > 0.0 {
        lines.push(format!("the defences cost {} a year", money_words(c, m.defence_cost_per_year)));
    }
    lines
}

/// A trial's span in words: "a year" for 365 days.
pub fn span_words(d: iomtsim_sim::SimDuration) -> String {
    let days = d.as_hours_f64() / 24.0;
    if (days - 365.0).abs() < 0.5 {
        "a year".to_owned()
    } else if days >= 1.0 && days.fract().abs() < 1e-9 {
        format!("{days:.0} days")
    } else {
        format!("{:.1} hours", d.as_hours_f64())
    }
}

/// An interval of sums of money, `[GBP 1.2M, GBP 1.6M]`, or `n/a` as a
/// whole when there is none (fewer than two trials).
pub fn interval_words(currency: &str, low: f64, high: f64) -> String {
    if low.is_finite() && high.is_finite() {
        format!("[{}, {}]", money_words(currency, low), money_words(currency, high))
    } else {
        "n/a".to_owned()
    }
}

/// A sum of money for people: `GBP 1.2M`, `GBP 240k`, `GBP 950`.
pub fn money_words(currency: &str, x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    let a = x.abs();
    let sign = if x < 0.0 { "−" } else { "" };
    let body = if a >= 1e9 {
        format!("{:.1}bn", a / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", a / 1e6)
    } else if a >= 1e3 {
        format!("{:.0}k", a / 1e3)
    } else {
        format!("{a:.0}")
    };
    format!("{sign}{currency} {body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let xs = [0.0, 10.0, 20.0, 30.0, 40.0];
        assert_eq!(quantile(&xs, 0.5), 20.0);
        assert_eq!(quantile(&xs, 0.95), 38.0);
        assert_eq!(quantile(&xs, 1.0), 40.0);
        assert_eq!(exceedance(&xs, &[-1.0, 15.0, 40.0]), vec![1.0, 0.6, 0.0]);
    }

    #[test]
    fn one_trial_has_no_interval_and_says_so_once() {
        let m = MoneySummary {
            currency: "GBP".into(),
            span: "a year".into(),
            n: 1,
            expected: 1200.0,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            median: 1200.0,
            p95: 1200.0,
            p99: 1200.0,
            any_loss: 1.0,
            defence_cost_per_year: 0.0,
        };
        let first = &loss_lines(&m)[0];
        assert_eq!(first, "expected loss a year: GBP 1k (no interval from 1 trial)");
        assert_eq!(interval_words("GBP", 1000.0, 2400.0), "[GBP 1k, GBP 2k]");
        assert_eq!(interval_words("GBP", f64::NAN, f64::NAN), "n/a");
        assert_eq!(money_words("GBP", f64::NAN), "n/a");
    }
}
