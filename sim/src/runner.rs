//! Runs trials: one [`Engine`] per scenario, one [`Sim`] per trial, trials
//! spread over threads with rayon and gathered in trial order.

use std::ops::Range;
use std::sync::Arc;

use bevy_ecs::world::World;
use rand::RngExt;
use rayon::prelude::*;

use crate::device::{Device, DeviceState};
use crate::engine::{Program, Sim, SimBuilder};
use crate::outcome::TrialResult;
use crate::plugin::Plugin;
use crate::rng::trial_rng;
use crate::scenario::{LoadedScenario, Scenario};

/// A scenario and its plugins, built once and shared by every trial.
pub struct Engine {
    scenario: Arc<Scenario>,
    plugins: Vec<Box<dyn Plugin>>,
    kinds: Vec<(crate::plugin::Role, &'static str)>,
    program: Arc<Program>,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Seed of the random streams.
    pub seed: u64,
    /// Which trials (trial `i` draws from stream `i`).
    pub trials: Range<u32>,
    /// Worker threads; 0 uses every core.
    pub threads: usize,
    /// Keep each trial's event log.
    pub record_events: bool,
    /// Sample the estate's state at this interval (none: no time series).
    pub sample_every: Option<crate::time::SimDuration>,
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
    /// Builds the handler table from the scenario's plugins.
    pub fn new(loaded: LoadedScenario) -> Self {
        let LoadedScenario { scenario, mut plugins, kinds } = loaded;
        let mut builder = SimBuilder::default();
        for p in &mut plugins {
            p.build(&mut builder);
        }
        Engine { scenario, plugins, kinds, program: Arc::new(builder.finish()) }
    }

    /// The scenario.
    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    /// The role and kind of each configured attack and defence.
    pub fn plugin_kinds(&self) -> &[(crate::plugin::Role, &'static str)] {
        &self.kinds
    }

    /// Runs one trial. Its result depends only on (scenario, seed, trial).
    pub fn run_trial(&self, seed: u64, trial: u32, record_events: bool) -> TrialResult {
        self.run_trial_sampled(seed, trial, record_events, None)
    }

    /// Runs one trial, sampling the estate's state every `sample_every`.
    pub fn run_trial_sampled(
        &self,
        seed: u64,
        trial: u32,
        record_events: bool,
        sample_every: Option<crate::time::SimDuration>,
    ) -> TrialResult {
        let mut rng = trial_rng(seed, trial);
        let mut world = World::new();
        let scenario = &self.scenario;
        let mut components = Vec::with_capacity(scenario.devices.len());
        for (i, slot) in scenario.devices.iter().enumerate() {
            let t = &scenario.device_types[usize::from(slot.device_type.0)];
            let mut state = DeviceState { unsupported: rng.random_bool(t.unsupported_os), ..Default::default() };
            for &(v, share) in &t.vulnerabilities {
                if rng.random_bool(share) {
                    state.vulnerable |= 1 << v.0;
                }
            }
            components.push((Device { index: i as u32, device_type: slot.device_type, zone: slot.zone }, state));
        }
        let devices = world.spawn_batch(components).collect();
        let mut sim =
            Sim::new(world, devices, scenario.clone(), self.program.clone(), rng, record_events, sample_every);
        for p in &self.plugins {
            p.start_trial(&mut sim);
        }
        sim.run();
        sim.finish(trial)
    }

    /// Runs `options.trials` in parallel, calling `on_trial_done` after each,
    /// and returns the results in trial order: identical whatever the
    /// number of threads.
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
                .map(|trial| {
                    let r = self.run_trial_sampled(options.seed, trial, options.record_events, options.sample_every);
                    on_trial_done();
                    r
                })
                .collect()
        }))
    }
}
