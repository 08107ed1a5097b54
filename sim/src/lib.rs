//! The engine and domain model of iomtsim: a discrete-event simulation of a
//! hospital's connected medical devices on a zone-and-conduit network.
//!
//! A [`Scenario`] (read from TOML) describes zones, conduits, device types
//! and their placement, and names the attacks and defences to run. Loading
//! returns data only; [`build_model`] then configures the attacks and
//! defences from a [`Registry`] of mechanisms ([`Plugin`]s), each declaring
//! its metrics and events and registering its components, resources and
//! handlers (bevy systems) with a [`SimBuilder`]. An [`Engine`] runs
//! Monte-Carlo trials of the resulting [`Model`] in parallel; each trial is
//! a bevy_ecs [`World`](bevy_ecs::world::World) of devices driven by a
//! time-ordered event queue, and returns a [`TrialOutcome`] holding every
//! declared metric.
//!
//! ```
//! use iomtsim_sim::{Engine, Registry, RunOptions, ScenarioSource, load_model};
//!
//! let text = r#"
//!     name = "ward"
//!     duration = "1d"
//!     zones = [{ id = "ward" }]
//!     device_types = [{ id = "pump", criticality = "life-critical" }]
//!     placement = [{ zone = "ward", device_type = "pump", count = 20 }]
//! "#;
//! let model = load_model(ScenarioSource::from_text("ward.toml", text), &Registry::default())?;
//! let engine = Engine::new(model);
//! let options = RunOptions { seed: 1, trials: 0..4, threads: 1, record_events: false, sample_every: None };
//! let results = engine.run(&options, &|| {})?;
//! assert_eq!(results.len(), 4);
//! assert_eq!(results[0].outcome.core().compromised, 0); // no attack, no harm
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod core;
pub mod costs;
mod device;
mod device_graph;
mod distribution;
mod domain;
mod estate;
mod model;
mod network;
mod outcome;
mod plugin;
mod queue;
pub mod random;
mod runner;
mod sampling;
pub mod scenario;
pub mod sweep;
mod techniques;
mod time;
mod trial;
mod vocabulary;

pub use crate::core::{SchedulingError, Sim, TrialCore};
pub use device::{Device, DeviceIndex, DeviceState, Transition};
pub use device_graph::DeviceGraph;
pub use distribution::{Distribution, exponential_delay};
pub use domain::{
    ClinicalService, ClinicalServiceId, DataFlow, DataFlowId, Radio, RadioKind, Staff, StaffId, StaffRole,
};
pub use estate::{Criticality, DeviceType, DeviceTypeId, Placement, Probability, VulnId, Vulnerability};
pub use model::{ComponentInfo, Instances, Model, SimBuilder};
pub use network::{BUILTIN_SERVICES, Network, Service, ServiceId, ServiceSet, SharedNetwork, Zone, ZoneId};
pub use outcome::{Breakdown, CoreMetric, CoreOutcome, EventRecord, Sample, TrialOutcome, TrialResult};
pub use plugin::{Plugin, PluginFactory, PluginSpec, Registry, build_model, load_model, scenario_schema};
pub use queue::{Event, EventQueue, HandlerId};
pub use random::{Key, Stream};
pub use runner::{Engine, RunError, RunOptions};
pub use sampling::{IndexedSet, PartitionedSet, WeightedCounts};

pub use scenario::{Arrival, Diagnostic, InstanceSection, Scenario, ScenarioError, ScenarioSource, Section};
pub use techniques::{ATTACK_VERSION, TECHNIQUES, technique_name};
pub use time::{Offset, SimDuration, SimTime};
pub use vocabulary::{
    Better, EventKind, EventKindId, EventSpec, InstanceId, InstanceInfo, MetricDecl, MetricId, MetricKind, MetricSpec,
    MetricValue, Role,
};

/// What a mechanism's author needs: the engine's types, the bevy_ecs names
/// handlers are written with, and the random-number traits.
pub mod prelude {
    pub use crate::{
        Component, DeviceIndex, DeviceState, Diagnostic, Distribution, Event, EventKindId, EventSpec, HandlerId,
        InstanceId, Instances, Key, MetricId, MetricSpec, Plugin, PluginFactory, PluginSpec, Probability, Role,
        Scenario, Section, Sim, SimBuilder, SimDuration, SimTime, Transition, VulnId, ZoneId,
    };
    pub use bevy_ecs::prelude::{Commands, In, Query, Res, ResMut, Resource};
    pub use rand::RngExt as _;
    pub use toml::Spanned;
}

pub use bevy_ecs::component::Component;
