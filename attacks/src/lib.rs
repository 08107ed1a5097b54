//! Attacks and defences for iomtsim, one module each.
//!
//! Each module owns its scenario section (`[attacks.<kind>]` or
//! `[defences.<kind>]`): the parameter struct, its validation, its event
//! handlers and its tests. Adding one is a new file and one line in
//! [`registry`]; the engine never changes.

mod incident_response;
mod monitoring;
mod patching;
mod worm;

pub use incident_response::{IncidentResponseFactory, IncidentResponseParams};
pub use monitoring::{MonitoringFactory, MonitoringParams};
pub use patching::{PatchingFactory, PatchingParams};
pub use worm::{WormFactory, WormParams};

use iomtsim_sim::Registry;

/// Every attack and defence this crate offers.
pub fn registry() -> Registry {
    Registry::new(vec![&WormFactory, &PatchingFactory, &MonitoringFactory, &IncidentResponseFactory])
}

#[cfg(test)]
mod testing;
