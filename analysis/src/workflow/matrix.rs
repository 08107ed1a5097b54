//! The defence matrix: what each defence of a scenario buys against each of
//! its attacks. The scenario runs as written, then once without each of its
//! defences in turn, over the same trials with the same seed (common random
//! numbers: every draw is keyed by what it is for, so removing a defence
//! changes only what that defence did). Each cell is the paired difference
//! of an outcome, with and without the defence, with its 95% interval: what
//! the hospital would lose by dropping that one defence and keeping the
//! rest. A defence whose work another also does (an audit installing the
//! patches the patch programme would have) shows little this way; asked
//! for `alone`, the matrix instead weighs each defence on its own against
//! the hospital with no defence at all. The outcomes are each attack's objective (the share of trials in
//! which it got what it came for) and the estate's harm: devices
//! compromised, records exfiltrated, patient-safety events, device-hours
//! out of service and, with a cost model, the loss in money.

use std::path::PathBuf;

use iomtsim_sim::scenario::limits::MAX_TRIALS;
use iomtsim_sim::{Engine, MetricValue, Registry, Role, Scenario, ScenarioSource, TrialResult, build_model};
use polars::prelude::*;

use super::run::MAX_THREADS;
use super::{Progress, Stop, WorkflowError, run_trials};
use crate::money::{instance_cost_per_year, interval_words, money_words, trial_losses};
use crate::numbers::{decimals_for, with_decimals};
use crate::output::{write_csv, write_parquet};
use crate::plots::plot_defence_matrix;

/// Files a matrix owns in its folder.
const OWNED: &[&str] = &["matrix.parquet", "matrix.csv", "matrix.md"];

/// The estate's own outcomes every matrix shows, with their labels.
const HARM: &[(&str, &str)] = &[
    ("compromised", "devices compromised"),
    ("records_exfiltrated", "records exfiltrated"),
    ("safety_events", "patient-safety events"),
    ("downtime_device_hours", "device-hours out of service"),
];

/// The column of the loss in money, when the scenario prices harm.
const LOSS: &str = "loss_total";

/// The scenario whose defences to weigh and where to write the matrix.
pub struct MatrixRequest {
    /// The scenario, with its attacks and defences.
    pub source: ScenarioSource,
    /// Trials per run (default: the scenario's `trials`).
    pub trials: Option<u32>,
    /// Seed shared by every run (default: the scenario's `seed`).
    pub seed: Option<u64>,
    /// Worker threads (0: every core).
    pub threads: usize,
    /// Output folder (default: `out/<scenario name>-matrix`).
    pub out: Option<PathBuf>,
    /// Replace a matrix the folder holds.
    pub force: bool,
    /// Weigh each defence alone against no defence at all, rather than
    /// without it against every defence.
    pub alone: bool,
}

/// One cell: an outcome with and without one defence.
#[derive(Clone, Debug)]
pub struct MatrixCell {
    /// The defence's id.
    pub defence: String,
    /// The outcome's column (`<attack>.objective_reached`, `compromised`, …).
    pub outcome: String,
    /// The outcome in words.
    pub label: String,
    /// Mean with every defence.
    pub with: f64,
    /// Mean without this defence.
    pub without: f64,
    /// Mean paired difference, with minus without.
    pub difference: f64,
    /// Its 95% interval.
    pub interval: (f64, f64),
}

impl MatrixCell {
    /// The difference relative to the mean without the defence (0 when
    /// nothing happened either way).
    pub fn relative(&self) -> f64 {
        if self.without.abs() > 1e-12 { self.difference / self.without } else { 0.0 }
    }

    /// Whether the interval excludes no difference.
    pub fn clear(&self) -> bool {
        self.interval.0 > 0.0 || self.interval.1 < 0.0
    }
}

/// What a finished matrix reports.
pub struct MatrixReport {
    /// The defences, in the scenario's order.
    pub defences: Vec<String>,
    /// The outcomes: column and label.
    pub outcomes: Vec<(String, String)>,
    /// One cell per defence and outcome, defence by defence.
    pub cells: Vec<MatrixCell>,
    /// Trials per run.
    pub trials: u32,
    /// Whether each defence was weighed alone against none.
    pub alone: bool,
    /// What each defence costs a year (its yearly cost plus its one-off
    /// cost spread over the cost model's years), in the defences' order;
    /// `None` when the scenario has no cost model.
    pub costs: Vec<Option<f64>>,
    /// The cost model's currency, when the scenario has one.
    pub currency: Option<String>,
    /// The output folder.
    pub out: PathBuf,
}

impl MatrixReport {
    /// The loss a year defence `d` avoids (loss without it minus loss with
    /// it), with its 95% interval, when the scenario prices harm.
    pub fn loss_avoided(&self, d: &str) -> Option<(f64, (f64, f64))> {
        let c = self.cells.iter().find(|c| c.defence == d && c.outcome == LOSS)?;
        Some((-c.difference, (-c.interval.1, -c.interval.0)))
    }
}

/// Runs the scenario with all its defences and without each in turn, and
/// writes `matrix.parquet`, `matrix.csv` and `plots/defence_matrix`.
///
/// # Errors
/// [`WorkflowError`] for an invalid scenario or request, a scenario with no
/// defence or no attack, an occupied folder, an interruption or a failure
/// to write.
pub fn defence_matrix(
    request: MatrixRequest,
    registry: &Registry,
    progress: &dyn Progress,
    stop: &Stop,
) -> Result<MatrixReport, WorkflowError> {
    if request.threads > MAX_THREADS {
        return Err(WorkflowError::Usage(format!(
            "--threads must be at most {MAX_THREADS} (0 uses every core), found {}",
            request.threads
        )));
    }
    let scenario = Scenario::load(request.source.clone())?;
    let ids = |role: Role| -> Vec<String> {
        scenario.instances.iter().filter(|i| i.role == role).map(|i| i.id.get_ref().clone()).collect()
    };
    let (defences, attacks) = (ids(Role::Defence), ids(Role::Attack));
    if defences.is_empty() || attacks.is_empty() {
        return Err(WorkflowError::Usage(format!(
            "{} has {}: a defence matrix weighs each defence of a scenario against its attacks",
            request.source.file,
            if defences.is_empty() { "no defence" } else { "no attack" }
        )));
    }
    let trials = request.trials.unwrap_or(scenario.trials);
    if !(2..=MAX_TRIALS).contains(&trials) {
        return Err(WorkflowError::Usage(format!("--trials must be between 2 and {MAX_TRIALS}, found {trials}")));
    }
    let seed = request.seed.unwrap_or(scenario.seed);
    let out = request.out.clone().unwrap_or_else(|| PathBuf::from("out").join(format!("{}-matrix", scenario.name)));
    if !request.force && OWNED.iter().any(|f| out.join(f).exists()) {
        return Err(WorkflowError::Usage(format!(
            "{} already holds a defence matrix; choose another --out, or replace it with --force",
            out.display()
        )));
    }
    let mut outcomes: Vec<(String, String)> =
        attacks.iter().map(|a| (format!("{a}.objective_reached"), format!("{a}: objective reached"))).collect();
    outcomes.extend(HARM.iter().map(|(c, l)| ((*c).to_owned(), (*l).to_owned())));
    if let Some(costs) = &scenario.costs {
        outcomes.push((LOSS.to_owned(), format!("loss ({})", costs.currency)));
    }

    let run = |label: &str, scenario: Scenario| -> Result<Vec<Vec<f64>>, WorkflowError> {
        let engine = Engine::new(build_model(scenario, registry)?);
        progress.start(label, u64::from(trials));
        let results = run_trials(&engine, seed, 0..trials, request.threads, None, progress, stop, label);
        progress.finish();
        Ok(outcome_values(&engine, &outcomes, &results?))
    };

    // The scenario keeping only the defences `keep` allows.
    let keeping = |keep: &dyn Fn(&str) -> bool| -> Result<Scenario, WorkflowError> {
        let mut s = Scenario::load(request.source.clone())?;
        s.instances.retain(|i| i.role != Role::Defence || keep(i.id.get_ref()));
        Ok(s)
    };
    let costs: Vec<Option<f64>> = defences
        .iter()
        .map(|d| {
            let years = scenario.costs.as_ref()?.amortise_years;
            let i = scenario.instances.iter().find(|i| i.role == Role::Defence && i.id.get_ref() == d)?;
            Some(instance_cost_per_year(i, years))
        })
        .collect();
    let currency = scenario.costs.as_ref().map(|c| c.currency.clone());
    let reference =
        if request.alone { run("no defence", keeping(&|_| false)?)? } else { run("every defence", scenario)? };
    let mut cells = Vec::new();
    for d in &defences {
        let (label, variant) = if request.alone {
            (format!("{d} alone"), keeping(&|id| id == d)?)
        } else {
            (format!("without {d}"), keeping(&|id| id != d)?)
        };
        let values = run(&label, variant)?;
        let (with, without) = if request.alone { (&values, &reference) } else { (&reference, &values) };
        for (k, (column, label)) in outcomes.iter().enumerate() {
            cells.push(paired(d, column, label, &with[k], &without[k]));
        }
    }

    std::fs::create_dir_all(out.join("plots"))
        .map_err(|e| WorkflowError::Runtime(format!("cannot create {}: {e}", out.display())))?;
    let mut frame = matrix_frame(&cells, trials)?;
    write_parquet(&mut frame, &out.join("matrix.parquet"))?;
    write_csv(&mut frame, &out.join("matrix.csv"))?;
    plot_defence_matrix(&defences, &outcomes, &cells, request.alone, &out.join("plots").join("defence_matrix"))?;
    let report = MatrixReport { defences, outcomes, cells, trials, alone: request.alone, costs, currency, out };
    std::fs::write(report.out.join("matrix.md"), matrix_markdown(&report))
        .map_err(|e| WorkflowError::Runtime(format!("cannot write {}: {e}", report.out.join("matrix.md").display())))?;
    Ok(report)
}

/// Each outcome's value in each trial: flags as 0 or 1, hours never
/// reached as 0, the loss as the sum of its categories.
fn outcome_values(engine: &Engine, outcomes: &[(String, String)], results: &[TrialResult]) -> Vec<Vec<f64>> {
    let model = engine.model();
    outcomes
        .iter()
        .map(|(column, _)| match (column.as_str(), &model.scenario.costs) {
            (LOSS, Some(costs)) => results.iter().map(|r| trial_losses(model, costs, r).iter().sum()).collect(),
            _ => match model.metric(column) {
                Some(m) => results
                    .iter()
                    .map(|r| match r.outcome.get(m) {
                        MetricValue::Flag(b) => f64::from(u8::from(b)),
                        v => v.as_f64().unwrap_or(0.0),
                    })
                    .collect(),
                None => vec![0.0; results.len()],
            },
        })
        .collect()
}

/// The paired difference of two runs of the same trials.
fn paired(defence: &str, column: &str, label: &str, with: &[f64], without: &[f64]) -> MatrixCell {
    let n = with.len() as f64;
    let diffs: Vec<f64> = with.iter().zip(without).map(|(a, b)| a - b).collect();
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / n;
    let d = mean(&diffs);
    let sd = (diffs.iter().map(|x| (x - d).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let h = 1.96 * sd / n.sqrt();
    MatrixCell {
        defence: defence.to_owned(),
        outcome: column.to_owned(),
        label: label.to_owned(),
        with: mean(with),
        without: mean(without),
        difference: d,
        interval: (d - h, d + h),
    }
}

/// The matrix as a long table: one row per defence and outcome.
fn matrix_frame(cells: &[MatrixCell], trials: u32) -> PolarsResult<DataFrame> {
    let text = |f: fn(&MatrixCell) -> &str| cells.iter().map(f).collect::<Vec<_>>();
    let number = |f: fn(&MatrixCell) -> f64| cells.iter().map(f).collect::<Vec<_>>();
    DataFrame::new(
        cells.len(),
        vec![
            Column::new("defence".into(), text(|c| &c.defence)),
            Column::new("outcome".into(), text(|c| &c.outcome)),
            Column::new("label".into(), text(|c| &c.label)),
            Column::new("with_defence".into(), number(|c| c.with)),
            Column::new("without_defence".into(), number(|c| c.without)),
            Column::new("difference".into(), number(|c| c.difference)),
            Column::new("ci_low".into(), number(|c| c.interval.0)),
            Column::new("ci_high".into(), number(|c| c.interval.1)),
            Column::new("relative".into(), number(MatrixCell::relative)),
            Column::new("trials".into(), vec![trials; cells.len()]),
        ],
    )
}

/// A relative change in percent, with a decimal when it is under 1%.
pub(crate) fn percent(r: f64) -> String {
    let p = 100.0 * r;
    if p.abs() < 1.0 { format!("{p:+.1}%") } else { format!("{p:+.0}%") }
}

/// A difference and its interval, rounded alike to what the interval
/// supports: `-0.12 [-0.18, -0.06]`.
fn with_interval(c: &MatrixCell) -> String {
    let d = decimals_for((c.interval.1 - c.interval.0) / 2.0, false);
    format!(
        "{} [{}, {}]",
        with_decimals(c.difference, d),
        with_decimals(c.interval.0, d),
        with_decimals(c.interval.1, d)
    )
}

/// The matrix as a Markdown table with every cell's interval: one row per
/// defence, one column per outcome, each cell the mean paired difference
/// (with the defence minus without it, or alone minus none) and its 95%
/// interval, then what the defence costs a year and the loss it avoids.
pub fn matrix_markdown(report: &MatrixReport) -> String {
    let how = if report.alone { "alone, against no defence" } else { "with it, against without it" };
    let mut out = format!(
        "# Defence matrix\n\nEach cell: the mean difference each defence makes ({how}) over the same {} trials, \
         with its 95% interval (simulation noise only, not the uncertainty of the scenario's assumed inputs). \
         A negative number means less of the outcome.\n\n| defence |",
        report.trials
    );
    for (_, label) in &report.outcomes {
        out.push_str(&format!(" {label} |"));
    }
    if let Some(currency) = &report.currency {
        out.push_str(&format!(" cost a year ({currency}) | loss avoided a year ({currency}) |"));
    }
    out.push_str("\n|---|");
    for _ in &report.outcomes {
        out.push_str("---|");
    }
    if report.currency.is_some() {
        out.push_str("---|---|");
    }
    out.push('\n');
    for (i, d) in report.defences.iter().enumerate() {
        out.push_str(&format!("| {d} |"));
        for (column, _) in &report.outcomes {
            let cell = report.cells.iter().find(|c| &c.defence == d && &c.outcome == column);
            out.push_str(&format!(" {} |", cell.map_or_else(|| "n/a".to_owned(), with_interval)));
        }
        if report.currency.is_some() {
            let cost = report.costs.get(i).copied().flatten().map_or_else(|| "n/a".to_owned(), |c| with_decimals(c, 0));
            let avoided = report.loss_avoided(d).map_or_else(
                || "n/a".to_owned(),
                |(a, (lo, hi))| format!("{} [{}, {}]", with_decimals(a, 0), with_decimals(lo, 0), with_decimals(hi, 0)),
            );
            out.push_str(&format!(" {cost} | {avoided} |"));
        }
        out.push('\n');
    }
    out
}

/// Each defence's yearly cost beside the loss a year it avoids, in words,
/// when the scenario prices harm: one line per defence.
pub fn matrix_costs(report: &MatrixReport) -> String {
    let Some(currency) = &report.currency else { return String::new() };
    let mut out = String::new();
    for (i, d) in report.defences.iter().enumerate() {
        let (Some(Some(cost)), Some((avoided, (lo, hi)))) = (report.costs.get(i), report.loss_avoided(d)) else {
            continue;
        };
        let money = |x: f64| money_words(currency, x);
        let verdict = if lo > 0.0 {
            format!("avoids {} {} of loss a year", money(avoided), interval_words(currency, lo, hi))
        } else if hi < 0.0 {
            format!("adds {} {} of loss a year", money(-avoided), interval_words(currency, -hi, -lo))
        } else {
            format!("changes the loss by no more than noise ({} {})", money(avoided), interval_words(currency, lo, hi))
        };
        let ratio = if *cost > 0.0 && lo > 0.0 {
            format!(", {} times its cost", with_decimals(avoided / cost, if avoided / cost < 10.0 { 1 } else { 0 }))
        } else {
            String::new()
        };
        let cost = if *cost > 0.0 { format!("costs {} a year", money(*cost)) } else { "no cost given".to_owned() };
        out.push_str(&format!("{d}: {cost}; {verdict}{ratio}\n"));
    }
    out
}

/// The matrix as a text table: one row per defence, one column per
/// outcome, each cell the relative change the defence makes ("·" where its
/// interval includes no change).
pub fn matrix_table(report: &MatrixReport) -> String {
    let width = report.defences.iter().map(String::len).max().unwrap_or(7).max(7);
    let mut out = format!("{:width$}", "defence");
    for (i, _) in report.outcomes.iter().enumerate() {
        out.push_str(&format!(" {:>7}", format!("[{}]", i + 1)));
    }
    out.push('\n');
    for d in &report.defences {
        out.push_str(&format!("{d:width$}"));
        for (column, _) in &report.outcomes {
            let cell = report.cells.iter().find(|c| &c.defence == d && &c.outcome == column);
            let text = match cell {
                Some(c) if c.clear() => percent(c.relative()),
                _ => "·".to_owned(),
            };
            out.push_str(&format!(" {text:>7}"));
        }
        out.push('\n');
    }
    for (i, (_, label)) in report.outcomes.iter().enumerate() {
        out.push_str(&format!("[{}] {label}\n", i + 1));
    }
    out
}
