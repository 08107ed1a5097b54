//! Parameter sweeps: every cell of a sweep file runs the same trials with
//! the same seed (common random numbers: cells differ only by their
//! values), and the results go to `sweep.parquet` (one row per cell and
//! trial, the swept values as columns), `sweep_summary.parquet` (per cell
//! and outcome, the mean with its 95% interval) and plots: each outcome
//! against a swept parameter with its band, a heat map over two, a
//! tornado chart for a one-at-a-time design.
//!
//! A sweep can be split across machines: `--shard K/N` runs the K-th of N
//! contiguous blocks of its (cell, trial) pairs, in the order a whole run
//! takes them, and writes only its rows with a record of what it ran;
//! [`merge_sweep_shards`] joins the N shards into exactly the files a whole
//! run writes, byte for byte (every trial's draws depend only on the
//! scenario, the seed and its index).

use std::path::{Path, PathBuf};

use iomtsim_sim::scenario::limits::MAX_TRIALS;
use iomtsim_sim::sweep::{Sweep, SweepDesign};
use iomtsim_sim::{Engine, Registry, ScenarioSource};
use polars::prelude::*;

use super::run::MAX_THREADS;
use super::{Progress, Stop, WorkflowError, run_trials};
use crate::dataset::trials_frame;
use crate::metrics::metric_infos;
use crate::money::{TOTAL, loss_columns};
use crate::output::{write_csv, write_parquet};
use crate::summary::summarize;

/// Files a sweep owns in its folder.
const OWNED: &[&str] = &["sweep.parquet", "sweep_summary.parquet", "sweep_shard.json"];

/// A shard's record of what it ran.
const SHARD_RECORD: &str = "sweep_shard.json";

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
    /// Run only shard K of N (K from 1): a contiguous block of the sweep's
    /// (cell, trial) pairs.
    pub shard: Option<(u32, u32)>,
}

/// What a shard ran: enough to check and join the shards.
#[derive(serde::Serialize, serde::Deserialize, PartialEq)]
struct ShardRecord {
    sweep_file: String,
    sweep_text: String,
    scenario_file: String,
    scenario_text: String,
    trials: u32,
    seed: u64,
    shard: u32,
    shards: u32,
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
    /// Per cell and outcome drawn, the summary (none for a shard).
    pub summaries: Vec<CellSummary>,
    /// The shard run, when only one was.
    pub shard: Option<(u32, u32)>,
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

    let cells = sweep.cells.len() as u64;
    let total = u64::from(trials) * cells;
    let units = match request.shard {
        Some((k, n)) => {
            if k == 0 || k > n || u64::from(n) > total {
                return Err(WorkflowError::Usage(format!(
                    "--shard K/N needs 1 <= K <= N <= {total} (the sweep's cells times trials), found {k}/{n}"
                )));
            }
            (u64::from(k - 1) * total / u64::from(n))..(u64::from(k) * total / u64::from(n))
        }
        None => 0..total,
    };
    progress.start(&crate::numbers::count(sweep.cells.len() as u64, "cell", "cells"), units.end - units.start);
    // Each cell's share of the units: its first trial's unit and the range.
    let work: Vec<(usize, u64, std::ops::Range<u64>)> = sweep
        .cells
        .iter()
        .enumerate()
        .filter_map(|(i, cell)| {
            let first = u64::from(cell.index) * u64::from(trials);
            let (a, b) = (units.start.max(first), units.end.min(first + u64::from(trials)));
            (a < b).then_some((i, first, a..b))
        })
        .collect();
    let engines: Vec<Engine> = models.into_iter().map(Engine::new).collect();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let workers = if request.threads == 0 { cores } else { request.threads };
    // Many small cells run side by side, one thread each (a cell's trials
    // are too few to share out well); a few large ones share their trials.
    let (workers, per_cell) = if work.len() >= workers && workers > 1 { (workers, 1) } else { (1, request.threads) };
    let run_cell = |(i, first, range): &(usize, u64, std::ops::Range<u64>)| -> Result<DataFrame, WorkflowError> {
        let (cell, engine) = (&sweep.cells[*i], &engines[*i]);
        let trials = (range.start - first) as u32..(range.end - first) as u32;
        let label = format!("cell {}", cell.index);
        let results = run_trials(engine, seed, trials, per_cell, None, progress, stop, &label)?;
        Ok(cell_frame(&sweep, cell, engine.model(), seed, &results)?)
    };
    let done: Vec<std::sync::Mutex<Option<Result<DataFrame, WorkflowError>>>> =
        work.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(w) = work.get(k) else { break };
                    let result = run_cell(w);
                    let failed = result.is_err();
                    *done[k].lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result);
                    if failed {
                        break;
                    }
                }
            });
        }
    });
    let mut frames: Vec<DataFrame> = Vec::with_capacity(work.len());
    for slot in done {
        match slot.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner) {
            Some(Ok(frame)) => frames.push(frame),
            Some(Err(e)) => {
                progress.finish();
                return Err(e);
            }
            // A worker stopped at another cell's failure before this one.
            None => {}
        }
    }
    progress.finish();
    if stop.requested() {
        return Err(WorkflowError::Interrupted {
            message: "interrupted before the sweep was written; nothing was written".into(),
            resumable: false,
        });
    }
    std::fs::create_dir_all(&out)
        .map_err(|e| WorkflowError::Runtime(format!("cannot create {}: {e}", out.display())))?;
    let mut all = frames.remove(0);
    for f in &frames {
        all.vstack_mut(f)?;
    }
    if let Some((k, n)) = request.shard {
        all.rechunk_mut();
        write_parquet(&mut all, &out.join("sweep.parquet"))?;
        let record = ShardRecord {
            sweep_file: sweep.source.file.clone(),
            sweep_text: sweep.source.text.to_string(),
            scenario_file: sweep.scenario.file.clone(),
            scenario_text: sweep.scenario.text.to_string(),
            trials,
            seed,
            shard: k,
            shards: n,
        };
        let text = serde_json::to_string_pretty(&record).map_err(|e| WorkflowError::Runtime(e.to_string()))?;
        crate::output::write_text(&text, &out.join(SHARD_RECORD))?;
        return Ok(SweepReport { sweep, trials, summaries: Vec::new(), shard: request.shard, out });
    }
    let infos = outcome_infos(&sweep, registry)?;
    let summaries = finish(&sweep, &infos, all, &out)?;
    Ok(SweepReport { sweep, trials, summaries, shard: None, out })
}

/// One cell's rows: the cell, its values, then the trials' columns.
fn cell_frame(
    sweep: &Sweep,
    cell: &iomtsim_sim::sweep::Cell,
    model: &iomtsim_sim::Model,
    seed: u64,
    results: &[iomtsim_sim::TrialResult],
) -> PolarsResult<DataFrame> {
    let mut frame = trials_frame(model, seed, results)?;
    for c in loss_columns(model, results) {
        frame.with_column(c)?;
    }
    let n = frame.height();
    let mut columns = vec![Column::new("cell".into(), vec![cell.index; n])];
    for (p, choice) in sweep.parameters.iter().zip(&cell.choice) {
        let numeric = p.values.iter().all(|v| v.as_f64().is_some());
        columns.push(value_column(&p.path, choice.map(|v| &p.values[v]), numeric, n));
    }
    let mut with_cell = DataFrame::new(n, columns)?;
    with_cell.hstack_mut(frame.columns())?;
    Ok(with_cell)
}

/// The outcomes every cell reports, as the scenario of cell 0 declares them.
fn outcome_infos(sweep: &Sweep, registry: &Registry) -> Result<Vec<crate::metrics::MetricInfo>, WorkflowError> {
    let model = iomtsim_sim::load_model(sweep.cell_scenario(&sweep.cells[0]), registry)?;
    let mut infos = metric_infos(&model);
    infos.extend(crate::money::loss_infos(&model.scenario));
    Ok(infos)
}

/// Writes a whole sweep's files from its rows: `sweep.parquet`, the
/// per-cell summary and the plots. A whole run and joined shards both end
/// here, so they write the same bytes.
fn finish(
    sweep: &Sweep,
    infos: &[crate::metrics::MetricInfo],
    mut all: DataFrame,
    out: &Path,
) -> Result<Vec<CellSummary>, WorkflowError> {
    all.rechunk_mut();
    std::fs::create_dir_all(out.join("plots"))
        .map_err(|e| WorkflowError::Runtime(format!("cannot create {}: {e}", out.display())))?;
    write_parquet(&mut all, &out.join("sweep.parquet"))?;
    let mut summaries = Vec::new();
    let mut summary_rows: Vec<(u32, String, f64, f64, f64)> = Vec::new();
    let cells = all.column("cell")?.u32()?.clone();
    for cell in &sweep.cells {
        let rows = all.filter(&cells.equal(cell.index))?;
        for s in summarize(&rows, infos)? {
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
    }
    // An outcome that stays at zero in every cell says nothing worth a plot.
    let moved: Vec<String> = summaries.iter().filter(|s| s.mean != 0.0).map(|s| s.outcome.clone()).collect();
    summaries.retain(|s| moved.contains(&s.outcome));
    let mut summary = summary_frame(sweep, &summary_rows)?;
    write_parquet(&mut summary, &out.join("sweep_summary.parquet"))?;
    write_csv(&mut summary, &out.join("sweep_summary.csv"))?;
    crate::plots::plot_sweep(sweep, &summaries, &out.join("plots"))?;
    Ok(summaries)
}

/// Whether `dir` holds a shard of a sweep.
pub fn is_sweep_shard(dir: &Path) -> bool {
    dir.join(SHARD_RECORD).is_file()
}

/// Joins the shards of one sweep, each run with `--shard K/N`, into the
/// files a whole run of it writes, byte for byte.
///
/// # Errors
/// [`WorkflowError::Usage`] for shards of different sweeps, a shard
/// missing or given twice, an occupied folder; others for unreadable
/// shards or a failure to write.
pub fn merge_sweep_shards(
    dirs: &[PathBuf],
    out: &Path,
    force: bool,
    registry: &Registry,
) -> Result<SweepReport, WorkflowError> {
    if !force && OWNED.iter().any(|f| out.join(f).exists()) {
        return Err(WorkflowError::Usage(format!(
            "{} already holds a sweep; choose another --out, or replace it with --force",
            out.display()
        )));
    }
    if dirs.is_empty() {
        return Err(WorkflowError::Usage("name the shards to join".into()));
    }
    let mut shards: Vec<(ShardRecord, &PathBuf)> = Vec::new();
    for dir in dirs {
        let text = std::fs::read_to_string(dir.join(SHARD_RECORD))
            .map_err(|e| WorkflowError::Usage(format!("{} holds no sweep shard: {e}", dir.display())))?;
        let record: ShardRecord = serde_json::from_str(&text)
            .map_err(|e| WorkflowError::Usage(format!("{}: unreadable shard record: {e}", dir.display())))?;
        shards.push((record, dir));
    }
    shards.sort_by_key(|(r, _)| r.shard);
    let first = &shards[0].0;
    let same = |r: &ShardRecord| {
        r.sweep_text == first.sweep_text
            && r.scenario_text == first.scenario_text
            && r.trials == first.trials
            && r.seed == first.seed
            && r.shards == first.shards
    };
    if let Some((_, dir)) = shards.iter().find(|(r, _)| !same(r)) {
        return Err(WorkflowError::Usage(format!(
            "{} is a shard of another sweep (or of other trials, seed or shard count) than {}",
            dir.display(),
            shards[0].1.display()
        )));
    }
    let numbers: Vec<u32> = shards.iter().map(|(r, _)| r.shard).collect();
    let expected: Vec<u32> = (1..=first.shards).collect();
    if numbers != expected {
        return Err(WorkflowError::Usage(format!(
            "a sweep split in {} needs each of shards 1 to {} once; given {}",
            crate::numbers::count(u64::from(first.shards), "shard", "shards"),
            first.shards,
            numbers.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        )));
    }
    let sweep = Sweep::from_texts(
        ScenarioSource::from_text(first.sweep_file.clone(), first.sweep_text.clone()),
        ScenarioSource::from_text(first.scenario_file.clone(), first.scenario_text.clone()),
    )?;
    let mut all: Option<DataFrame> = None;
    for (_, dir) in &shards {
        let frame = crate::output::read_parquet(&dir.join("sweep.parquet"))?;
        match &mut all {
            Some(a) => {
                a.vstack_mut(&frame)?;
            }
            None => all = Some(frame),
        }
    }
    let all = all.ok_or_else(|| WorkflowError::Usage("name the shards to join".into()))?;
    let infos = outcome_infos(&sweep, registry)?;
    let summaries = finish(&sweep, &infos, all, out)?;
    let trials = first.trials;
    Ok(SweepReport { sweep, trials, summaries, shard: None, out: out.to_owned() })
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
