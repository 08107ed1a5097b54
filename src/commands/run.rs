//! `iomtsim run`: runs the trials batch by batch, commits each batch to
//! disk, and prints a summary.

use std::io::IsTerminal;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use iomtsim_analysis::{
    OpenMode, RunManifest, RunPlan, RunStore, ZoneReport, breakdown_frame, events_frame, render_table, summarize,
    timeseries_frame, trials_frame,
};
use iomtsim_sim::scenario::limits::MAX_TRIALS;
use iomtsim_sim::{Engine, RunOptions, ScenarioSource};
use sha2::{Digest, Sha256};

use crate::cli::{OutputArgs, RunArgs};
use crate::failure::Failure;

/// Runs a scenario.
pub fn run(args: RunArgs) -> Result<(), Failure> {
    let source = super::read_source(args.scenario.as_deref())?;
    let settings = Settings {
        seed: args.seed,
        trials: match (args.trials_range.clone(), args.trials) {
            (Some(r), _) => Trials::Range(r),
            (None, Some(n)) => Trials::Count(n),
            (None, None) => Trials::Default,
        },
        out: args.out.clone(),
        threads: args.threads,
        events: args.events,
        csv: args.csv,
        sample_every: args.sample_every,
        output: args.output.clone(),
    };
    execute(source, settings, |name| PathBuf::from("out").join(name))
}

/// Which trials to run.
pub enum Trials {
    /// The scenario's `trials`.
    Default,
    /// Trials `0..n`.
    Count(u32),
    /// A slice.
    Range(Range<u32>),
}

/// What a run needs besides its scenario.
pub struct Settings {
    /// Seed override.
    pub seed: Option<u64>,
    /// Which trials.
    pub trials: Trials,
    /// Output folder, if named.
    pub out: Option<PathBuf>,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Write the event log.
    pub events: bool,
    /// Write CSV copies.
    pub csv: bool,
    /// Sampling interval override.
    pub sample_every: Option<iomtsim_sim::SimDuration>,
    /// Existing-folder handling and batch size.
    pub output: OutputArgs,
}

/// Runs `source` with `settings`, writing to the named folder or
/// `default_out(scenario name)`.
pub fn execute(
    source: ScenarioSource,
    settings: Settings,
    default_out: impl Fn(&str) -> PathBuf,
) -> Result<(), Failure> {
    let sha = hex(&Sha256::digest(source.text.as_bytes()));
    let loaded = super::load(source)?;
    let engine = Engine::new(loaded);
    let scenario = engine.scenario().clone();

    let range = match settings.trials {
        Trials::Default => 0..scenario.trials,
        Trials::Count(n) => 0..n,
        Trials::Range(r) => r,
    };
    if range.is_empty() || range.end - range.start > MAX_TRIALS {
        return Err(Failure::BadInput(format!(
            "error: --trials must be between 1 and {MAX_TRIALS}, found {}",
            range.end.saturating_sub(range.start)
        )));
    }
    let seed = settings.seed.unwrap_or(scenario.seed);
    let sample_every = settings.sample_every.unwrap_or(scenario.sample_every);
    if sample_every == iomtsim_sim::SimDuration::ZERO || scenario.duration.0 / sample_every.0.max(1) > 100_000 {
        return Err(Failure::BadInput(format!(
            "error: --sample-every must be above zero and give at most 100,000 samples per trial, found {sample_every}"
        )));
    }
    let out = settings.out.clone().unwrap_or_else(|| default_out(&scenario.name));
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
        batch_size: settings.output.batch_size,
        events: settings.events,
        csv: settings.csv,
        sample_every: sample_every.to_string(),
    };
    let mode = match (settings.output.force, settings.output.resume) {
        (true, _) => OpenMode::Force,
        (_, true) => OpenMode::Resume,
        _ => OpenMode::New,
    };
    let (store, remaining) = RunStore::open(&out, plan, mode)?;

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // Only fails if a handler is already set, which this program never does twice.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let threads = if settings.threads == 0 { rayon::current_num_threads() } else { settings.threads };
    let todo: u32 = remaining.iter().map(|b| b.end - b.start).sum();
    let bar = progress_bar(u64::from(todo));
    let started = Instant::now();
    let mut events_run = 0u64;
    let encode = |e: iomtsim_analysis::polars::prelude::PolarsError| Failure::Runtime(e.to_string());
    for batch in &remaining {
        if stop.load(Ordering::SeqCst) {
            bar.finish_and_clear();
            let done = store.plan().trials()
                - remaining.iter().filter(|b| b.start >= batch.start).map(|b| b.end - b.start).sum::<u32>();
            return Err(Failure::Interrupted(format!(
                "interrupted: {done} of {} trials are saved in {}\nfinish the run with:\n  {} --resume",
                store.plan().trials(),
                out.display(),
                resume_command()
            )));
        }
        let options = RunOptions {
            seed,
            trials: batch.clone(),
            threads,
            record_events: store.plan().events,
            sample_every: Some(sample_every),
        };
        let results = engine.run(&options, &|| bar.inc(1)).map_err(|e| Failure::Runtime(e.to_string()))?;
        events_run += results.iter().map(|r| r.outcome.events).sum::<u64>();
        let mut frames = vec![
            ("trials", trials_frame(&scenario, seed, &results).map_err(encode)?),
            ("timeseries", timeseries_frame(&scenario, &results).map_err(encode)?),
            ("breakdown", breakdown_frame(&scenario, &results).map_err(encode)?),
        ];
        if store.plan().events {
            frames.push(("events", events_frame(&scenario, &results).map_err(encode)?));
        }
        store.commit(batch, &mut frames)?;
    }
    let wall = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let per_zone = scenario.devices_per_zone();
    let zones = scenario
        .zones
        .iter()
        .zip(per_zone)
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

    let plots = iomtsim_analysis::plots::plot_run(&out).map_err(|e| {
        Failure::Runtime(format!(
            "{e}\nthe datasets in {} are complete; `iomtsim plot` redraws the plots",
            out.display()
        ))
    })?;
    let summary = summarize(&trials_df).map_err(encode)?;
    say!(
        "{} ({}): {} devices, trials {}..{}, seed {}",
        scenario.name,
        scenario.variant,
        scenario.device_count(),
        range.start,
        range.end,
        seed
    );
    say!();
    say_raw!("{}", render_table(&summary));
    say!();
    say!(
        "{} events in {:.2} s on {} threads: {:.2} M events/s",
        events_run,
        wall,
        threads,
        events_run as f64 / wall.max(1e-9) / 1e6
    );
    say!("datasets written to {}, {} plots to {}", out.display(), plots.len(), out.join("plots").display());
    Ok(())
}

/// The command line that was run, to repeat with --resume.
fn resume_command() -> String {
    std::env::args()
        .filter(|a| a != "--force" && a != "--resume")
        .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
        .collect::<Vec<_>>()
        .join(" ")
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} trials  {elapsed} (eta {eta})") {
        bar.set_style(style);
    }
    bar
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
