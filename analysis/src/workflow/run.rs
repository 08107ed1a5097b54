//! Running a scenario: trials in batches, each batch committed to the
//! output folder before the next starts, then the final datasets, the
//! manifest, the plots and the summary.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use iomtsim_sim::scenario::limits::MAX_TRIALS;
use iomtsim_sim::{Engine, Registry, RunOptions, ScenarioSource, SimDuration, load_model};
use sha2::{Digest, Sha256};

use super::{Progress, Stop, WorkflowError, hex};
use crate::dataset::{breakdown_frame, events_frame, services_frame, timeseries_frame, trials_frame};
use crate::manifest::{RunManifest, RunPlan, ZoneReport};
use crate::metrics::metric_infos;
use crate::store::{OpenMode, RunStore, read_json};
use crate::summary::{MetricSummary, summarize};

/// Which trials to run.
#[derive(Clone, Debug)]
pub enum Trials {
    /// The scenario's `trials`.
    Default,
    /// Trials `0..n`.
    Count(u32),
    /// A slice.
    Range(Range<u32>),
}

/// What to run and where.
pub struct RunRequest {
    /// The scenario.
    pub source: ScenarioSource,
    /// Seed override.
    pub seed: Option<u64>,
    /// Which trials.
    pub trials: Trials,
    /// Output folder; `None` for `out/<scenario name><suffix>`.
    pub out: Option<PathBuf>,
    /// Appended to the scenario name in the default output folder.
    pub default_suffix: &'static str,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Write the event log.
    pub events: bool,
    /// Write CSV copies.
    pub csv: bool,
    /// Sampling interval override.
    pub sample_every: Option<SimDuration>,
    /// How to treat an output folder that holds a run.
    pub mode: OpenMode,
    /// Trials committed to disk together.
    pub batch_size: u32,
}

/// What a finished run reports.
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// Its variant.
    pub variant: String,
    /// Devices in the estate.
    pub devices: u32,
    /// The trials run.
    pub trials: Range<u32>,
    /// The seed.
    pub seed: u64,
    /// Each outcome metric over the trials.
    pub summary: Vec<MetricSummary>,
    /// Engine events processed by this invocation.
    pub events: u64,
    /// Wall-clock seconds of this invocation's trials.
    pub wall_seconds: f64,
    /// Worker threads.
    pub threads: usize,
    /// The output folder.
    pub out: PathBuf,
    /// The plot files drawn.
    pub plots: Vec<PathBuf>,
    /// Losses in money, when the scenario prices harm.
    pub money: Option<crate::money::MoneySummary>,
}

/// The most worker threads a run may ask for: far more than any machine
/// has cores, far fewer than would exhaust the system's threads.
pub const MAX_THREADS: usize = 1024;

/// Runs a scenario's trials into a crash-safe output folder: batches are
/// committed as they finish, a stop request is honoured between batches
/// (everything finished is kept, and the error says how to resume), and
/// the final datasets are rebuilt from the batches so that plain, resumed
/// and merged runs are byte-identical.
///
/// # Errors
/// [`WorkflowError`] for an invalid scenario or request, an occupied
/// folder, an interruption or a failure to write.
pub fn run_scenario(
    request: RunRequest,
    registry: &Registry,
    progress: &dyn Progress,
    stop: &Stop,
) -> Result<RunReport, WorkflowError> {
    if request.threads > MAX_THREADS {
        return Err(WorkflowError::Usage(format!(
            "--threads must be at most {MAX_THREADS} (0 uses every core), found {}",
            request.threads
        )));
    }
    let sha = hex(&Sha256::digest(request.source.text.as_bytes()));
    let engine = Engine::new(load_model(request.source, registry)?);
    let model = engine.model().clone();
    let scenario = model.scenario.clone();
    let (range, option) = match request.trials {
        Trials::Default => (0..scenario.trials, "the scenario's trials"),
        Trials::Count(n) => (0..n, "--trials"),
        Trials::Range(r) => (r, "--trials-range"),
    };
    if range.is_empty() || range.end - range.start > MAX_TRIALS {
        return Err(WorkflowError::Usage(format!(
            "{option} must hold between 1 and {MAX_TRIALS} trials, found {}",
            range.end.saturating_sub(range.start)
        )));
    }
    let seed = request.seed.unwrap_or(scenario.seed);
    let sample_every = request.sample_every.unwrap_or(scenario.sample_every);
    if sample_every == SimDuration::ZERO || scenario.duration.0 / sample_every.0.max(1) > 100_000 {
        return Err(WorkflowError::Usage(format!(
            "--sample-every must be above zero and give at most 100,000 samples per trial, found {sample_every}"
        )));
    }
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(format!("{}{}", scenario.name, request.default_suffix)));
    let metrics = metric_infos(&model);
    let plan = RunPlan {
        program: format!("iomtsim {}", env!("CARGO_PKG_VERSION")),
        scenario: scenario.name.clone(),
        variant: scenario.variant.clone(),
        scenario_file: scenario.source.file.clone(),
        scenario_sha256: sha,
        scenario_text: scenario.source.text.to_string(),
        seed,
        trial_start: range.start,
        trial_end: range.end,
        batch_size: request.batch_size,
        events: request.events,
        csv: request.csv,
        sample_every: sample_every.to_string(),
        input_files: scenario
            .input_files
            .iter()
            .map(|p| Ok(crate::manifest::InputFile { path: p.display().to_string(), sha256: file_sha256(p)? }))
            .collect::<Result<_, WorkflowError>>()?,
    };
    let (store, remaining) = RunStore::open(&out, plan, request.mode)?;

    let threads = if request.threads == 0 { rayon::current_num_threads() } else { request.threads };
    let todo: u32 = remaining.iter().map(|b| b.end - b.start).sum();
    progress.start(&scenario.name, u64::from(todo));
    let started = Instant::now();
    let mut events_run = 0u64;
    for batch in &remaining {
        if stop.requested() {
            progress.finish();
            let left: u32 = remaining.iter().filter(|b| b.start >= batch.start).map(|b| b.end - b.start).sum();
            return Err(WorkflowError::Interrupted {
                message: {
                    let saved = store.plan().trials() - left;
                    format!(
                        "interrupted: {saved} of {} {} saved in {}",
                        crate::numbers::count(u64::from(store.plan().trials()), "trial", "trials"),
                        if saved == 1 { "is" } else { "are" },
                        out.display()
                    )
                },
                resumable: true,
            });
        }
        let options = RunOptions {
            seed,
            trials: batch.clone(),
            threads,
            record_events: store.plan().events,
            sample_every: Some(sample_every),
        };
        let results =
            engine.run(&options, &|| progress.advance()).map_err(|e| WorkflowError::Runtime(e.to_string()))?;
        events_run += results.iter().map(|r| r.outcome.core().events).sum::<u64>();
        let mut frames = vec![
            ("trials", trials_frame(&model, seed, &results)?),
            ("timeseries", timeseries_frame(&model, &results)?),
            ("breakdown", breakdown_frame(&model, &results)?),
            ("services", services_frame(&model, &results)?),
        ];
        if store.plan().events {
            frames.push(("events", events_frame(&model, &results)?));
        }
        store.commit(batch, &mut frames)?;
    }
    let wall = started.elapsed().as_secs_f64();
    progress.finish();

    let zones = scenario
        .zones
        .iter()
        .zip(scenario.devices_per_zone())
        .map(|(z, devices)| ZoneReport {
            id: z.id.clone(),
            name: z.name.clone(),
            security_level: z.security_level,
            external: z.external,
            devices,
        })
        .collect();
    let trials_df = store.finish(|plan, trials| RunManifest {
        plan: plan.clone(),
        trials: plan.trials(),
        description: scenario.description.clone(),
        devices: scenario.device_count(),
        zones,
        metrics: metrics.clone(),
        threads,
        total_events: trials
            .column("events")
            .ok()
            .and_then(|c| c.u64().ok().map(|c| c.iter().flatten().sum()))
            .unwrap_or(0),
        wall_seconds: wall,
        events_per_second: events_run as f64 / wall.max(1e-9),
        finished_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        merged_from: Vec::new(),
    })?;
    let plots = crate::plots::plot_run(&out).map_err(|e| {
        WorkflowError::Runtime(format!(
            "{e}\nthe datasets in {} are complete; `iomtsim plot` redraws the plots",
            out.display()
        ))
    })?;
    Ok(RunReport {
        scenario: scenario.name.clone(),
        variant: scenario.variant.clone(),
        devices: scenario.device_count(),
        trials: range,
        seed,
        summary: {
            let mut rows = summarize(&trials_df, &metrics)?;
            let breakdown = crate::read_parquet(&out.join("breakdown.parquet"))
                .map_err(|e| WorkflowError::Runtime(e.to_string()))?;
            rows.extend(crate::plots::organisations_reached(&breakdown)?);
            rows
        },
        money: crate::money::summarize_losses(&scenario, &trials_df)?,
        events: events_run,
        wall_seconds: wall,
        threads,
        out,
        plots,
    })
}

/// SHA-256 of a file's bytes, read in pieces (a graph file may be large).
fn file_sha256(path: &Path) -> Result<String, WorkflowError> {
    let unreadable = |e: std::io::Error| WorkflowError::Usage(format!("cannot read {}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(unreadable)?;
    Ok(hex(&hasher.finalize()))
}

/// The request that runs again exactly what a manifest describes: the same
/// scenario text, seed, trials and outputs. Returns it with a warning when
/// the manifest was made by another program version.
///
/// # Errors
/// [`WorkflowError::Usage`] if the manifest cannot be read or its scenario
/// text does not match its recorded SHA-256.
pub fn rerun_request(manifest: &Path) -> Result<(RunRequest, Option<String>), WorkflowError> {
    let m: RunManifest = read_json(manifest)?;
    let plan = m.plan;
    if hex(&Sha256::digest(plan.scenario_text.as_bytes())) != plan.scenario_sha256 {
        return Err(WorkflowError::Usage(format!(
            "{}: the scenario text does not match its recorded SHA-256; the manifest was edited",
            manifest.display()
        )));
    }
    for f in &plan.input_files {
        let now = file_sha256(Path::new(&f.path))?;
        if now != f.sha256 {
            return Err(WorkflowError::Usage(format!(
                "{}: {} changed since the run (its SHA-256 is {now}, the run recorded {}); restore it to repeat the run",
                manifest.display(),
                f.path,
                f.sha256
            )));
        }
    }
    let this = format!("iomtsim {}", env!("CARGO_PKG_VERSION"));
    let warning = (plan.program != this)
        .then(|| format!("warning: the run was made by {}, this is {this}; results may differ", plan.program));
    let sample_every = plan
        .sample_every
        .parse()
        .map_err(|e| WorkflowError::Usage(format!("{}: sample_every: {e}", manifest.display())))?;
    Ok((
        RunRequest {
            source: ScenarioSource::from_text(plan.scenario_file.clone(), plan.scenario_text.clone()),
            seed: Some(plan.seed),
            trials: Trials::Range(plan.trial_start..plan.trial_end),
            out: None,
            default_suffix: "-rerun",
            threads: 0,
            events: plan.events,
            csv: plan.csv,
            sample_every: Some(sample_every),
            mode: OpenMode::New,
            batch_size: plan.batch_size,
        },
        warning,
    ))
}
