//! `iomtsim run`: runs the trials, writes the datasets and prints a summary.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use iomtsim_analysis::{
    RunManifest, events_frame, render_table, summarize, trials_frame, write_csv, write_parquet,
    write_text,
};
use iomtsim_sim::scenario::limits::MAX_TRIALS;
use iomtsim_sim::{Engine, RunOptions};
use sha2::{Digest, Sha256};

use crate::cli::RunArgs;
use crate::failure::Failure;

/// Runs a scenario.
pub fn run(args: RunArgs) -> Result<(), Failure> {
    let source = super::read_source(args.scenario.as_deref())?;
    let sha = hex(&Sha256::digest(source.text.as_bytes()));
    let loaded = super::load(source)?;
    let engine = Engine::new(loaded);
    let scenario = engine.scenario().clone();

    let trials = args.trials.unwrap_or(scenario.trials);
    if trials == 0 || trials > MAX_TRIALS {
        return Err(Failure::BadInput(format!(
            "error: --trials must be between 1 and {MAX_TRIALS}, found {trials}"
        )));
    }
    let seed = args.seed.unwrap_or(scenario.seed);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&scenario.name));
    std::fs::create_dir_all(&out)
        .map_err(|e| Failure::Runtime(format!("cannot create {}: {e}", out.display())))?;

    let threads = if args.threads == 0 {
        rayon::current_num_threads()
    } else {
        args.threads
    };
    let bar = progress_bar(u64::from(trials));
    let options = RunOptions {
        seed,
        trials: 0..trials,
        threads,
        record_events: args.events,
    };
    let started = Instant::now();
    let results = engine
        .run(&options, &|| bar.inc(1))
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    let wall = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    let total_events: u64 = results.iter().map(|r| r.outcome.events).sum();
    let events_per_second = total_events as f64 / wall.max(1e-9);
    let encode =
        |e: iomtsim_analysis::polars::prelude::PolarsError| Failure::Runtime(e.to_string());
    let mut trials_df = trials_frame(&scenario, seed, &results).map_err(encode)?;
    write_parquet(&mut trials_df, &out.join("trials.parquet"))?;
    if args.csv {
        write_csv(&mut trials_df, &out.join("trials.csv"))?;
    }
    if args.events {
        let mut events_df = events_frame(&scenario, &results).map_err(encode)?;
        write_parquet(&mut events_df, &out.join("events.parquet"))?;
        if args.csv {
            write_csv(&mut events_df, &out.join("events.csv"))?;
        }
    }
    let manifest = RunManifest {
        program: format!("iomtsim {}", env!("CARGO_PKG_VERSION")),
        scenario: scenario.name.clone(),
        variant: scenario.variant.clone(),
        scenario_file: scenario.source.file.clone(),
        scenario_sha256: sha,
        seed,
        trial_start: 0,
        trials,
        threads,
        events: args.events,
        devices: scenario.device_count(),
        total_events,
        wall_seconds: wall,
        events_per_second,
        finished_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    };
    let json =
        serde_json::to_string_pretty(&manifest).map_err(|e| Failure::Runtime(e.to_string()))?;
    write_text(&(json + "\n"), &out.join("run.json"))?;

    let summary = summarize(&trials_df).map_err(encode)?;
    println!(
        "{} ({}): {} devices, {} trials, seed {}",
        scenario.name,
        scenario.variant,
        scenario.device_count(),
        trials,
        seed
    );
    println!();
    print!("{}", render_table(&summary));
    println!();
    println!(
        "{} events in {:.2} s on {} threads: {:.2} M events/s",
        total_events,
        wall,
        threads,
        events_per_second / 1e6
    );
    println!("datasets written to {}", out.display());
    Ok(())
}

fn progress_bar(len: u64) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} trials  {elapsed} (eta {eta})")
    {
        bar.set_style(style);
    }
    bar
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
