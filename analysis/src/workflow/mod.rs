//! The work behind each command, as library functions the program calls:
//! running a scenario batch by batch into a crash-safe output folder,
//! running it again from its manifest, and comparing designs. Progress and
//! interruption come in as arguments, so the program only parses arguments
//! and prints.

mod compare;
mod matrix;
mod run;
mod sweep;

use std::sync::atomic::{AtomicBool, Ordering};

pub use compare::{CompareReport, CompareRequest, compare_designs};
pub(crate) use matrix::percent;
pub use matrix::{
    MatrixCell, MatrixReport, MatrixRequest, defence_matrix, matrix_costs, matrix_markdown, matrix_table,
};
pub use run::{MAX_THREADS, RunReport, RunRequest, Trials, rerun_request, run_scenario};
pub use sweep::{
    CellSummary, SWEEP_OUTCOMES, SweepReport, SweepRequest, is_sweep_shard, merge_sweep_shards, run_sweep, sweep_table,
};

use crate::output::OutputError;
use crate::store::StoreError;

/// How a command's work failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The scenario could not be read or is invalid (exit code 2).
    #[error(transparent)]
    Scenario(#[from] iomtsim_sim::ScenarioError),
    /// The request is impossible as given (exit code 2); the message says why.
    #[error("{0}")]
    Usage(String),
    /// The output folder refused the run.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The user stopped the work; what was finished is kept (exit code 130).
    #[error("{message}")]
    Interrupted {
        /// What was kept.
        message: String,
        /// Whether `--resume` finishes it.
        resumable: bool,
    },
    /// The work could not be done (a disk refused, a thread pool did not start).
    #[error("{0}")]
    Runtime(String),
}

impl From<OutputError> for WorkflowError {
    fn from(e: OutputError) -> Self {
        WorkflowError::Runtime(e.to_string())
    }
}

impl From<polars::error::PolarsError> for WorkflowError {
    fn from(e: polars::error::PolarsError) -> Self {
        WorkflowError::Runtime(e.to_string())
    }
}

impl From<crate::plots::PlotError> for WorkflowError {
    fn from(e: crate::plots::PlotError) -> Self {
        WorkflowError::Runtime(e.to_string())
    }
}

/// Reports progress of long work; the program draws it as a bar.
pub trait Progress: Sync {
    /// Work of `total` trials begins, described by `what`.
    fn start(&self, what: &str, total: u64);
    /// One more trial is done.
    fn advance(&self);
    /// The work is over.
    fn finish(&self);
}

/// No progress report.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self) {}
    fn finish(&self) {}
}

/// A stop request, set by the program's signal handler and checked between
/// batches.
pub struct Stop(AtomicBool);

impl Stop {
    /// No stop requested yet.
    pub const fn new() -> Self {
        Stop(AtomicBool::new(false))
    }

    /// Requests a stop.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl Default for Stop {
    fn default() -> Self {
        Stop::new()
    }
}

/// Trials run between two looks at the stop request.
const BATCH: u32 = 256;

/// Runs trials `trials` of `engine` in batches, so that a stop request is
/// honoured within one batch, advancing `progress` trial by trial; `label`
/// names the work in the message of an interruption (nothing is written
/// by then).
///
/// # Errors
/// [`WorkflowError::Interrupted`] on a stop request, or
/// [`WorkflowError::Runtime`] if the thread pool does not start.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_trials(
    engine: &iomtsim_sim::Engine,
    seed: u64,
    trials: std::ops::Range<u32>,
    threads: usize,
    sample_every: Option<iomtsim_sim::SimDuration>,
    progress: &dyn Progress,
    stop: &Stop,
    label: &str,
) -> Result<Vec<iomtsim_sim::TrialResult>, WorkflowError> {
    let mut results = Vec::with_capacity(trials.len());
    for start in trials.clone().step_by(BATCH as usize) {
        if stop.requested() {
            return Err(WorkflowError::Interrupted {
                message: format!("interrupted while running {label}; nothing was written"),
                resumable: false,
            });
        }
        let options = iomtsim_sim::RunOptions {
            seed,
            trials: start..start.saturating_add(BATCH).min(trials.end),
            threads,
            record_events: false,
            sample_every,
        };
        results
            .extend(engine.run(&options, &|| progress.advance()).map_err(|e| WorkflowError::Runtime(e.to_string()))?);
    }
    Ok(results)
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
