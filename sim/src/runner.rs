//! Runs trials: one [`Engine`] per model, one world per trial, trials
//! spread over threads with rayon and gathered in trial order.

use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use crate::model::Model;
use crate::outcome::TrialResult;
use crate::scenario::Scenario;
use crate::time::SimDuration;
use crate::trial::TrialWorld;

/// A model ready to run, shared by every trial.
pub struct Engine {
    model: Arc<Model>,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Seed of the random draws.
    pub seed: u64,
    /// Which trials.
    pub trials: Range<u32>,
    /// Worker threads; 0 uses every core.
    pub threads: usize,
    /// Keep each trial's event log.
    pub record_events: bool,
    /// Sample the estate's state at this interval (none: no time series).
    pub sample_every: Option<SimDuration>,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The thread pool could not be created.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// What the system said.
        reason: String,
    },
}

impl Engine {
    /// An engine for `model`.
    pub fn new(model: Model) -> Self {
        Engine { model: Arc::new(model) }
    }

    /// The model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The scenario.
    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.model.scenario
    }

    /// Runs one trial. Its result depends only on (model, seed, trial).
    pub fn run_trial(&self, seed: u64, trial: u32, record_events: bool) -> TrialResult {
        TrialWorld::new(&self.model).run(seed, trial, record_events, None)
    }

    /// Runs one trial, sampling the estate's state every `sample_every`.
    pub fn run_trial_sampled(
        &self,
        seed: u64,
        trial: u32,
        record_events: bool,
        sample_every: Option<SimDuration>,
    ) -> TrialResult {
        TrialWorld::new(&self.model).run(seed, trial, record_events, sample_every)
    }

    /// Runs trials one after the other on the calling thread, reusing one
    /// world, as each worker of [`Engine::run`] does.
    pub fn run_sequential(&self, seed: u64, trials: Range<u32>, record_events: bool) -> Vec<TrialResult> {
        let mut world = TrialWorld::new(&self.model);
        trials.map(|t| world.run(seed, t, record_events, None)).collect()
    }

    /// Runs `options.trials` in parallel, calling `on_trial_done` after each,
    /// and returns the results in trial order: identical whatever the
    /// number of threads. Each worker reuses one world for the trials it
    /// runs (see the trial module).
    ///
    /// # Errors
    /// [`RunError::Threads`] if the thread pool cannot start.
    pub fn run(&self, options: &RunOptions, on_trial_done: &(dyn Fn() + Sync)) -> Result<Vec<TrialResult>, RunError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .build()
            .map_err(|e| RunError::Threads { threads: options.threads, reason: e.to_string() })?;
        Ok(pool.install(|| {
            options
                .trials
                .clone()
                .into_par_iter()
                .map_init(
                    || TrialWorld::new(&self.model),
                    |world, trial| {
                        let r = world.run(options.seed, trial, options.record_events, options.sample_every);
                        on_trial_done();
                        r
                    },
                )
                .collect()
        }))
    }
}
