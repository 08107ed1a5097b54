//! Integration tests of the `iomtsim` program and its shipped scenarios.

mod bad_inputs;
mod cli;
mod designs;
mod determinism;
mod explain;
mod graphs;
mod kubernetes;
mod matrix;
mod money;
mod national;
mod reliability;
mod report;
mod slurm;
mod sweep;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use iomtsim_sim::{Engine, RunOptions, ScenarioSource, TrialResult, load_model};

/// The repository root (tests run with it as working directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `iomtsim` binary with `args` in `cwd`.
pub fn iomtsim(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iomtsim")).current_dir(cwd).args(args).output().expect("iomtsim runs")
}

/// Loads a scenario file of the repository with every shipped plugin.
pub fn engine(relative: &str) -> Engine {
    engine_from_text(relative, &std::fs::read_to_string(root().join(relative)).expect("scenario readable"))
}

/// Loads scenario text, panicking with its diagnostics if invalid.
pub fn engine_from_text(name: &str, text: &str) -> Engine {
    match load_model(ScenarioSource::from_text(name, text), &iomtsim_attacks::registry()) {
        Ok(model) => Engine::new(model),
        Err(e) => panic!("{e}"),
    }
}

/// Runs trials `0..n` with the scenario's own seed.
pub fn run(engine: &Engine, n: u32, threads: usize) -> Vec<TrialResult> {
    let options =
        RunOptions { seed: engine.scenario().seed, trials: 0..n, threads, record_events: false, sample_every: None };
    engine.run(&options, &|| {}).expect("thread pool")
}

/// Mean of a metric with its 95% confidence half-width.
pub fn mean_ci(results: &[TrialResult], metric: impl Fn(&iomtsim_sim::CoreOutcome) -> f64) -> (f64, f64) {
    let xs: Vec<f64> = results.iter().map(|r| metric(&r.outcome.core())).collect();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, 1.96 * (var / n).sqrt())
}
