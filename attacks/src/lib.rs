//! Attacks and defences for iomtsim, one module each.
//!
//! Each module owns its mechanism: the parameter struct of its scenario
//! table (`[attacks.<id>]` or `[defences.<id>]`, naming it by `kind`), its
//! validation, the metrics and events it declares, its components,
//! resources and handlers, and its tests. Adding one is a new file and one
//! line in [`registry`]; the engine never changes.

mod incident_response;
mod monitoring;
mod patching;
#[cfg(test)]
mod probe;
mod ransomware;
mod worm;

pub use incident_response::{IncidentResponseFactory, IncidentResponseParams};
pub use monitoring::{MonitoringFactory, MonitoringParams};
pub use patching::{PatchingFactory, PatchingParams};
pub use ransomware::{RansomwareFactory, RansomwareParams};
pub use worm::{WormFactory, WormParams};

use iomtsim_sim::{PluginFactory, Registry};

/// Every attack and defence this crate offers.
pub fn registry() -> Registry {
    #[allow(unused_mut)]
    let mut mechanisms: Vec<&'static dyn PluginFactory> =
        vec![&WormFactory, &RansomwareFactory, &PatchingFactory, &MonitoringFactory, &IncidentResponseFactory];
    #[cfg(test)]
    mechanisms.push(&probe::ProbeFactory);
    Registry::new(mechanisms)
}

#[cfg(test)]
mod testing;
