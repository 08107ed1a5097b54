//! Designs compared in money, for a risk committee: each design's expected
//! loss with its interval and tail, what its defences cost a year, the
//! loss it avoids against the first design (paired trial by trial, so
//! common random numbers narrow the interval), the return on the extra
//! spend, the ranking by expected loss plus defence cost, and which cost
//! assumptions that ranking depends on.
//!
//! The sensitivity analysis is one-at-a-time: each category of loss, and
//! the defences' costs, is halved and doubled in turn, and the ranking
//! recomputed. Losses are linear in every cost figure (but for a fine's
//! cap), so scaling a category scales the figures behind it; no trial is
//! run again.

use polars::prelude::*;
use serde::Serialize;

use crate::compare::Design;
use crate::money::{Category, TOTAL, defence_cost_per_year, money_words, quantile, span_words};
use crate::summary::{column_values, half_width, mean_sd};

/// One design in money.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DesignMoney {
    /// The design.
    pub design: String,
    /// What its defences cost a year.
    pub defence_cost: f64,
    /// Expected loss per trial.
    pub expected: f64,
    /// Its 95% interval.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// The 95th percentile loss.
    pub p95: f64,
    /// The 99th percentile loss.
    pub p99: f64,
    /// Expected loss plus defence cost: what the design costs in all (the
    /// expected loss alone when a trial is not a year).
    pub total: f64,
    /// Loss avoided against the first design, paired trial by trial (0 for it).
    pub avoided: f64,
    /// Its 95% interval.
    pub avoided_low: f64,
    /// Upper end.
    pub avoided_high: f64,
    /// Defence cost beyond the first design's.
    pub extra_cost: f64,
    /// Loss avoided per unit of extra spend, when it spends more and a
    /// trial is a year.
    pub return_on_spend: Option<f64>,
    /// Mean loss per category, in [`Category::ALL`] order.
    pub by_category: Vec<f64>,
}

/// One assumption changed, and the ranking that follows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sensitivity {
    /// What was changed, in words.
    pub assumption: String,
    /// Designs from cheapest to dearest in all.
    pub ranking: Vec<String>,
    /// Whether the ranking differs from the one at the stated figures.
    pub changes: bool,
}

/// Designs compared in money.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RiskComparison {
    /// The currency.
    pub currency: String,
    /// What a trial spans, in words.
    pub span: String,
    /// Every design, in the order given.
    pub designs: Vec<DesignMoney>,
    /// Designs from cheapest to dearest in all (expected loss plus defence cost).
    pub ranking: Vec<String>,
    /// The ranking under each changed assumption.
    pub sensitivity: Vec<Sensitivity>,
}

/// Compares the designs in money, or `None` when a design has no cost
/// model or the designs count in different currencies.
///
/// # Errors
/// If a design's trials frame lacks its loss columns.
pub fn risk_comparison(designs: &[Design]) -> PolarsResult<Option<RiskComparison>> {
    let Some(base) = designs.first() else { return Ok(None) };
    let Some(costs) = &base.model.scenario.costs else { return Ok(None) };
    if designs.iter().any(|d| d.model.scenario.costs.as_ref().is_none_or(|c| c.currency != costs.currency)) {
        return Ok(None);
    }
    let totals = |d: &Design| -> PolarsResult<Vec<f64>> {
        Ok(column_values(&d.trials, TOTAL)?.into_iter().map(|x| x.unwrap_or(0.0)).collect())
    };
    let base_totals = totals(base)?;
    // Losses and yearly costs add up only when a trial is a year.
    let yearly = span_words(base.model.scenario.duration) == "a year";
    let base_cost = defence_cost_per_year(&base.model.scenario);
    let mut out = Vec::new();
    for d in designs {
        let own = totals(d)?;
        let (expected, sd) = mean_sd(&own);
        let half = half_width(sd, own.len() as u32);
        let saved: Vec<f64> = base_totals.iter().zip(&own).map(|(b, a)| b - a).collect();
        let (avoided, saved_sd) = mean_sd(&saved);
        let saved_half = if d.label == base.label { 0.0 } else { half_width(saved_sd, saved.len() as u32) };
        let defence_cost = defence_cost_per_year(&d.model.scenario);
        let extra_cost = defence_cost - base_cost;
        let mut by_category = Vec::new();
        for c in Category::ALL {
            let v: Vec<f64> = column_values(&d.trials, c.column())?.into_iter().flatten().collect();
            by_category.push(mean_sd(&v).0);
        }
        out.push(DesignMoney {
            design: d.label.clone(),
            defence_cost,
            expected,
            ci_low: if half.is_finite() { (expected - half).max(0.0) } else { f64::NAN },
            ci_high: expected + half,
            p95: quantile(&own, 0.95),
            p99: quantile(&own, 0.99),
            total: if yearly { expected + defence_cost } else { expected },
            avoided,
            avoided_low: avoided - saved_half,
            avoided_high: avoided + saved_half,
            extra_cost,
            return_on_spend: (yearly && extra_cost > 0.0).then(|| avoided / extra_cost),
            by_category,
        });
    }
    let rank = |category_factor: &dyn Fn(usize) -> f64, cost_factor: f64| -> Vec<String> {
        let mut totals: Vec<(f64, &str)> = out
            .iter()
            .map(|d| {
                let loss: f64 = d.by_category.iter().enumerate().map(|(i, x)| x * category_factor(i)).sum();
                (loss + if yearly { d.defence_cost * cost_factor } else { 0.0 }, d.design.as_str())
            })
            .collect();
        totals.sort_by(|a, b| a.0.total_cmp(&b.0));
        totals.into_iter().map(|(_, d)| d.to_owned()).collect()
    };
    let ranking = rank(&|_| 1.0, 1.0);
    let mut sensitivity = Vec::new();
    for factor in [0.5, 2.0] {
        let how = if factor < 1.0 { "halved" } else { "doubled" };
        for (i, c) in Category::ALL.iter().enumerate() {
            if out.iter().all(|d| d.by_category[i] == 0.0) {
                continue;
            }
            let r = rank(&|j| if j == i { factor } else { 1.0 }, 1.0);
            let what = c.label().trim_start_matches("loss: ");
            sensitivity.push(Sensitivity {
                assumption: format!("the cost of {what} {how}"),
                changes: r != ranking,
                ranking: r,
            });
        }
        if yearly && out.iter().any(|d| d.defence_cost > 0.0) {
            let r = rank(&|_| 1.0, factor);
            sensitivity.push(Sensitivity {
                assumption: format!("the defences' costs {how}"),
                changes: r != ranking,
                ranking: r,
            });
        }
    }
    Ok(Some(RiskComparison {
        currency: costs.currency.clone(),
        span: span_words(base.model.scenario.duration),
        designs: out,
        ranking,
        sensitivity,
    }))
}

/// The comparison in plain sentences, leading the report: what each design
/// costs beyond the first and what it avoids, the ranking, the tail, and
/// which assumptions could change the ranking.
pub fn risk_sentences(r: &RiskComparison) -> Vec<String> {
    let c = r.currency.as_str();
    let m = |x: f64| money_words(c, x);
    let per = if r.span == "a year" { "a year".to_owned() } else { format!("per {}", r.span) };
    let mut out = Vec::new();
    let Some(base) = r.designs.first() else { return out };
    out.push(format!(
        "{} expects to lose {} {per} {}, and {} in a bad one (1 in 20); its defences cost {} a year.",
        base.design,
        m(base.expected),
        crate::money::interval_words(c, base.ci_low, base.ci_high),
        m(base.p95),
        m(base.defence_cost)
    ));
    for d in &r.designs[1..] {
        let spend = if d.extra_cost > 0.0 {
            format!("costs {} a year more than {}", m(d.extra_cost), base.design)
        } else if d.extra_cost < 0.0 {
            format!("costs {} a year less than {}", m(-d.extra_cost), base.design)
        } else {
            format!("costs the same a year as {}", base.design)
        };
        let noise = d.avoided_low <= 0.0 && d.avoided_high >= 0.0;
        let effect = if d.avoided >= 0.0 {
            format!("avoids {} [{}, {}] of expected loss {per}", m(d.avoided), m(d.avoided_low), m(d.avoided_high))
        } else {
            format!("adds {} [{}, {}] of expected loss {per}", m(-d.avoided), m(-d.avoided_high), m(-d.avoided_low))
        };
        let mut s = format!("Design {} {spend} and {effect}", d.design);
        if noise {
            s.push_str(", a difference within simulation noise");
        } else if let Some(ret) = d.return_on_spend {
            s.push_str(&format!(": {c} {ret:.1} of loss avoided for each {c} 1 spent"));
        }
        s.push_str(&format!(
            "; a bad {} (1 in 20) loses {}.",
            if r.span == "a year" { "year" } else { "trial" },
            m(d.p95)
        ));
        out.push(s);
    }
    if r.span == "a year" {
        out.push(format!("Ranked by expected loss plus defence cost, cheapest first: {}.", r.ranking.join(", ")));
    } else {
        out.push(format!(
            "Ranked by expected loss {per}, least first: {}. A trial spans {}, not a year, so its losses are not added to the defences' yearly costs; give the scenario a one-year duration and yearly arrival rates to rank by both.",
            r.ranking.join(", "),
            r.span
        ));
    }
    let changing: Vec<&str> = r.sensitivity.iter().filter(|s| s.changes).map(|s| s.assumption.as_str()).collect();
    out.push(if changing.is_empty() {
        if r.sensitivity.iter().any(|s| s.assumption.starts_with("the defences")) {
            "The ranking holds when any one category of loss, or the defences' costs, is halved or doubled.".to_owned()
        } else {
            "The ranking holds when any one category of loss is halved or doubled.".to_owned()
        }
    } else {
        format!("The ranking changes when {}.", changing.join("; or when "))
    });
    out
}
