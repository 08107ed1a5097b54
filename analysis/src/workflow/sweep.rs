//! Parameter sweeps: every cell of a sweep file runs the same trials with
//! the same seed (common random numbers: cells differ only by their
//! values), and the results go to `sweep.parquet` (one row per cell and
//! trial, the swept values as columns), `sweep_summary.parquet` (per cell
//! and outcome, the mean with its 95% interval) and plots: each outcome
//! against a swept parameter with its band, a heat map over two, a
//! tornado chart for a one-at-a-time design.

use std::path::PathBuf;

use iomtsim_sim::scenario::limits::MAX_TRIALS;
use iomtsim_sim::sweep::{Sweep, SweepDesign};
use iomtsim_sim::{Engine, Registry, RunOptions, ScenarioSource};
use polars::prelude::*;

use super::run::MAX_THREADS;
use super::{Progress, Stop, WorkflowError};
use crate::dataset::trials_frame;
use crate::metrics::metric_infos;
use crate::money::{TOTAL, loss_columns};
use crate::output::{write_csv, write_parquet};
use crate::summary::summarize;

/// Trials run between two looks at the stop request.
const BATCH: u32 = 256;

/// Files a sweep owns in its folder.
const OWNED: &[&str] = &["sweep.parquet", "sweep_summary.parquet"];

/// The outcomes a sweep's plots draw, when the scenario has them.
pub const SWEEP_OUTCOMES: &[&str] = &["compromised", "records_exfiltrated", "downtime_device_hours", TOTAL];

/// A sweep file and where to write its results.
pub struct SweepRequest {
    /// The sweep file.
    pub source: ScenarioSource,
    /// Trials per cell (default: the sweep's `trials`, else the scenario's).
    pub trials: Option<u32>,
    /// Worker threads (0: every core).
    pub threads: usize,
    /// Output folder (default: `out/<sweep file stem>`).
    pub out: Option<PathBuf>,
    /// Replace a sweep the folder holds.
    pub force: bool,
}

/// One cell's summary of one outcome.
#[derive(Clone, Debug)]
pub struct CellSummary {
    /// The cell.
    pub cell: u32,
    /// The outcome's column.
    pub outcome: String,
    /// Its mean over the cell's trials.
    pub mean: f64,
    /// The 95% interval of the mean.
    pub interval: (f64, f64),
}

/// What a finished sweep reports.
pub struct SweepReport {
    /// The sweep.
    pub sweep: Sweep,
    /// Trials per cell.
    pub trials: u32,
    /// Per cell and outcome drawn, the summary.
    pub summaries: Vec<CellSummary>,
    /// The output folder.
    pub out: PathBuf,
}

/// Runs every cell of a sweep and writes its datasets and plots.
///
/// # Errors
/// [`WorkflowError`] for an invalid sweep or scenario (at its line and
/// column, before anything runs), an occupied folder, an interruption or
/// a failure to write.
pub fn run_sweep(
    request: SweepRequest,
    registry: &Registry,
    progress: &dyn Progress,
    stop: &Stop,
) -> Result<SweepReport, WorkflowError> {
    if request.threads > MAX_THREADS {
        return Err(WorkflowError::Usage(format!(
            "--threads must be at most {MAX_THREADS} (0 uses every core), found {}",
            request.threads
        )));
    }
    let sweep = Sweep::load(request.source.clone())?;
    // Every value and every cell is checked before anything runs.
    let models = sweep.check(|s| iomtsim_sim::load_model(s, registry))?;
    let first = &models[0].scenario;
    let trials = request.trials.or(sweep.trials).unwrap_or(first.trials);
    if trials == 0 || trials > MAX_TRIALS {
        return Err(WorkflowError::Usage(format!("--trials must be between 1 and {MAX_TRIALS}, found {trials}")));
    }
    let seed = sweep.seed.unwrap_or(first.seed);
    let stem = std::path::Path::new(&request.source.file)
        .file_stem()
        .map_or_else(|| "sweep".to_owned(), |s| s.to_string_lossy().into_owned());
    let out = request.out.clone().unwrap_or_else(|| PathBuf::from("out").join(stem));
    if !request.force && OWNED.iter().any(|f| out.join(f).exists()) {
        return Err(WorkflowError::Usage(format!(
            "{} already holds a sweep; choose another --out, or replace it with --force",
            out.display()
        )));
    }

    let mut frames: Vec<DataFrame> = Vec::new();
    let mut summaries = Vec::new();
    let mut summary_rows: Vec<(u32, String, f64, f64, f64)> = Vec::new();
    let total = u64::from(trials) * sweep.cells.len() as u64;
    progress.start(&format!("{} cells", sweep.cells.len()), total);
    for (cell, model) in sweep.cells.iter().zip(models) {
        let engine = Engine::new(model);
        let mut results = Vec::with_capacity(trials as usize);
        for start in (0..trials).step_by(BATCH as usize) {
            if stop.requested() {
                progress.finish();
                return Err(WorkflowError::Interrupted {
                    message: format!("interrupted in cell {}; nothing was written", cell.index),
                    resumable: false,
                });
            }
            let options = RunOptions {
                seed,
                trials: start..(start.saturating_add(BATCH)).min(trials),
                threads: request.threads,
                record_events: false,
                sample_every: None,
            };
            results.extend(
                engine.run(&options, &|| progress.advance()).map_err(|e| WorkflowError::Runtime(e.to_string()))?,
            );
        }
        let model = engine.model();
        let mut frame = trials_frame(model, seed, &results)?;
        for c in loss_columns(model, &results) {
            frame.with_column(c)?;
        }
        let mut infos = metric_infos(model);
        infos.extend(crate::money::loss_infos(&model.scenario));
        for s in summarize(&frame, &infos)? {
            summary_rows.push((cell.index, s.metric.clone(), s.mean, s.ci_low, s.ci_high));
            if SWEEP_OUTCOMES.contains(&s.metric.as_str()) {
                summaries.push(CellSummary {
                    cell: cell.index,
                    outcome: s.metric.clone(),
                    mean: s.mean,
                    interval: (s.ci_low, s.ci_high),
                });
            }
        }
        let n = frame.height();
        let mut columns = vec![Column::new("cell".into(), vec![cell.index; n])];
        for (p, choice) in sweep.parameters.iter().zip(&cell.choice) {
            let numeric = p.values.iter().all(|v| v.as_f64().is_some());
            columns.push(value_column(&p.path, choice.map(|v| &p.values[v]), numeric, n));
        }
        let mut with_cell = DataFrame::new(n, columns)?;
        with_cell.hstack_mut(frame.columns())?;
        frames.push(with_cell);
    }
    progress.finish();
    // An outcome that stays at zero in every cell says nothing worth a plot.
    let moved: Vec<String> = summaries.iter().filter(|s| s.mean != 0.0).map(|s| s.outcome.clone()).collect();
    summaries.retain(|s| moved.contains(&s.outcome));
    if stop.requested() {
        return Err(WorkflowError::Interrupted {
            message: "interrupted before the sweep was written; nothing was written".into(),
            resumable: false,
        });
    }

    std::fs::create_dir_all(out.join("plots"))
        .map_err(|e| WorkflowError::Runtime(format!("cannot create {}: {e}", out.display())))?;
    let mut all = frames.remove(0);
    for f in &frames {
        all.vstack_mut(f)?;
    }
    all.rechunk_mut();
    write_parquet(&mut all, &out.join("sweep.parquet"))?;
    let mut summary = summary_frame(&sweep, &summary_rows)?;
    write_parquet(&mut summary, &out.join("sweep_summary.parquet"))?;
    write_csv(&mut summary, &out.join("sweep_summary.csv"))?;
    crate::plots::plot_sweep(&sweep, &summaries, &out.join("plots"))?;
    Ok(SweepReport { sweep, trials, summaries, out })
}

/// A swept parameter's column: its value in the cell (numbers where every
/// value of the parameter is one, else text), null where the cell leaves
/// it as the scenario has it.
fn value_column(path: &str, value: Option<&iomtsim_sim::sweep::SweepValue>, numeric: bool, n: usize) -> Column {
    if numeric {
        Column::new(path.into(), vec![value.and_then(iomtsim_sim::sweep::SweepValue::as_f64); n])
    } else {
        Column::new(path.into(), vec![value.map(ToString::to_string); n])
    }
}

/// The per-cell summary as a table: the cell, its values, the outcome and
/// its mean with the interval.
fn summary_frame(sweep: &Sweep, rows: &[(u32, String, f64, f64, f64)]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let mut columns = vec![Column::new("cell".into(), rows.iter().map(|r| r.0).collect::<Vec<_>>())];
    for (i, p) in sweep.parameters.iter().enumerate() {
        let values: Vec<Option<String>> =
            rows.iter().map(|r| sweep.cells[r.0 as usize].choice[i].map(|v| p.values[v].to_string())).collect();
        columns.push(Column::new(p.path.as_str().into(), values));
    }
    columns.push(Column::new("outcome".into(), rows.iter().map(|r| r.1.as_str()).collect::<Vec<_>>()));
    columns.push(Column::new("mean".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()));
    columns.push(Column::new("ci_low".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()));
    columns.push(Column::new("ci_high".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()));
    DataFrame::new(n, columns)
}

/// The sweep as a text table: one row per cell, its values and the mean of
/// each outcome drawn with its interval.
pub fn sweep_table(report: &SweepReport) -> String {
    let outcomes: Vec<&str> =
        SWEEP_OUTCOMES.iter().copied().filter(|o| report.summaries.iter().any(|s| s.outcome == *o)).collect();
    let mut out = String::new();
    for cell in &report.sweep.cells {
        out.push_str(&format!("cell {:>3}  {}\n", cell.index, report.sweep.describe(cell)));
        for o in &outcomes {
            if let Some(s) = report.summaries.iter().find(|s| s.cell == cell.index && s.outcome == *o) {
                out.push_str(&format!(
                    "          {o}: {} [{}, {}]\n",
                    crate::numbers::readable(s.mean),
                    crate::numbers::readable(s.interval.0),
                    crate::numbers::readable(s.interval.1)
                ));
            }
        }
    }
    if report.sweep.design == SweepDesign::OneAtATime {
        out.push_str("cell 0 is the scenario as written; each other cell changes one parameter\n");
    }
    out
}
