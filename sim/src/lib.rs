//! The engine and domain model of iomtsim: a discrete-event simulation of a
//! hospital's connected medical devices on a zone-and-conduit network.
//!
//! A [`Scenario`] (read from TOML) describes zones, conduits, device types
//! and their placement; attacks and defences are [`Plugin`]s that the
//! scenario configures by kind. An [`Engine`] runs Monte-Carlo trials of it
//! in parallel; each trial is a bevy_ecs [`World`](bevy_ecs::world::World)
//! of devices driven by a time-ordered event queue, and returns a
//! [`TrialOutcome`].
//!
//! ```
//! use iomtsim_sim::{Engine, Registry, RunOptions, Scenario, ScenarioSource};
//!
//! let text = r#"
//!     name = "ward"
//!     duration = "1d"
//!     zones = [{ id = "ward" }]
//!     device_types = [{ id = "pump", criticality = "life-critical" }]
//!     placement = [{ zone = "ward", device_type = "pump", count = 20 }]
//! "#;
//! let loaded = Scenario::load(ScenarioSource::from_text("ward.toml", text), &Registry::default())?;
//! let engine = Engine::new(loaded);
//! let options = RunOptions { seed: 1, trials: 0..4, threads: 1, record_events: false, sample_every: None };
//! let results = engine.run(&options, &|| {})?;
//! assert_eq!(results.len(), 4);
//! assert_eq!(results[0].outcome.compromised, 0); // no attack, no harm
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod device;
mod distribution;
mod domain;
mod engine;
mod estate;
mod network;
mod outcome;
mod plugin;
mod queue;
mod rng;
mod runner;
mod sampling;
pub mod scenario;
mod time;

pub use device::{Device, DeviceIndex, DeviceState};
pub use distribution::{Distribution, exponential_delay};
pub use engine::{Handler, SchedulingError, Sim, SimBuilder};
pub use estate::{Criticality, DeviceType, DeviceTypeId, Placement, Probability, VulnId, Vulnerability};
pub use network::{BUILTIN_SERVICES, Network, Service, ServiceId, ServiceSet, Zone, ZoneId};
pub use outcome::{Breakdown, EventRecord, Sample, Signal, TrialOutcome, TrialResult};
pub use plugin::{Plugin, PluginFactory, PluginSpec, Registry, Role, Section, scenario_schema};
pub use queue::{Event, EventQueue, HandlerId};
pub use rng::{TrialRng, trial_rng};
pub use runner::{Engine, RunError, RunOptions};
pub use sampling::{IndexedSet, PartitionedSet};
pub use scenario::{Diagnostic, LoadedScenario, Scenario, ScenarioError, ScenarioSource};
pub use time::{Offset, SimDuration, SimTime};

/// What a plugin author needs.
pub mod prelude {
    pub use crate::{
        DeviceIndex, Diagnostic, Distribution, Event, HandlerId, IndexedSet, PartitionedSet, Plugin, PluginFactory,
        PluginSpec, Probability, Role, Scenario, Section, Signal, Sim, SimBuilder, SimDuration, SimTime, VulnId,
        ZoneId, exponential_delay,
    };
    pub use rand::RngExt as _;
    pub use toml::Spanned;
}
