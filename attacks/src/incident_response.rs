//! Incident response: a detected device is isolated from the network after
//! a delay, then rebuilt and returned to service after a restore time,
//! optionally with every released patch installed. Isolation stops an
//! infected device from spreading but costs downtime of its own.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[defences.incident_response]`: isolation and restoration of detected devices.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentResponseParams {
    /// Time from a device's detection to its isolation.
    pub isolate_after: Distribution,
    /// Time from isolation to the device back in service, rebuilt clean.
    pub restore_time: Distribution,
    /// Install every released patch while rebuilding (unsupported devices
    /// have none to install); otherwise a restored device is as vulnerable
    /// as before.
    #[serde(default = "yes")]
    pub patch_on_restore: bool,
}

fn yes() -> bool {
    true
}

/// Registers `[defences.incident_response]`.
pub struct IncidentResponseFactory;

impl PluginFactory for IncidentResponseFactory {
    fn kind(&self) -> &'static str {
        "incident_response"
    }

    fn role(&self) -> Role {
        Role::Defence
    }

    fn summary(&self) -> &'static str {
        "isolate detected devices, then restore them clean (optionally patched)"
    }

    fn schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<IncidentResponseParams>()
    }

    fn configure(&self, section: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Ok(Box::new(IncidentResponse { params: section.parse()?, handlers: None }))
    }
}

struct IncidentResponse {
    params: IncidentResponseParams,
    handlers: Option<Handlers>,
}

#[derive(Clone, Copy)]
struct Handlers {
    isolate: HandlerId,
    restore: HandlerId,
}

struct Response {
    isolate_after: Distribution,
    restore_time: Distribution,
    patch_on_restore: bool,
    h: Handlers,
}

impl Plugin for IncidentResponse {
    fn build(&mut self, b: &mut SimBuilder) {
        let detected = b.add_handler("incident_response.detected", plan_isolation);
        b.subscribe(Signal::Detected, detected);
        self.handlers = Some(Handlers {
            isolate: b.add_handler("incident_response.isolate", isolate_device),
            restore: b.add_handler("incident_response.restore", restore_device),
        });
    }

    fn start_trial(&self, sim: &mut Sim) {
        sim.insert_state(Response {
            isolate_after: self.params.isolate_after.clone(),
            restore_time: self.params.restore_time.clone(),
            patch_on_restore: self.params.patch_on_restore,
            h: self.handlers.expect("built before trials start"),
        });
    }
}

fn current_epoch(sim: &Sim, d: DeviceIndex) -> u64 {
    u64::from(sim.device_state(d).epoch)
}

fn plan_isolation(sim: &mut Sim, e: Event) {
    sim.with_state::<Response, _>(|sim, r| {
        let delay = r.isolate_after.sample(sim.rng());
        let epoch = current_epoch(sim, e.target);
        sim.schedule_in(delay, r.h.isolate, e.target, epoch);
    });
}

fn isolate_device(sim: &mut Sim, e: Event) {
    if current_epoch(sim, e.target) != e.tag {
        return; // rebuilt since
    }
    sim.isolate(e.target);
    sim.with_state::<Response, _>(|sim, r| {
        let delay = r.restore_time.sample(sim.rng());
        sim.schedule_in(delay, r.h.restore, e.target, e.tag);
    });
}

fn restore_device(sim: &mut Sim, e: Event) {
    if current_epoch(sim, e.target) != e.tag {
        return;
    }
    let patch = sim.state::<Response>().is_some_and(|r| r.patch_on_restore);
    let state = sim.device_state(e.target);
    if patch && !state.unsupported {
        let scenario = sim.scenario().clone();
        let now = sim.now();
        for (i, v) in scenario.vulnerabilities.iter().enumerate() {
            let released = v.patch_released().to_time().is_none_or(|t| t <= now);
            if released {
                sim.patch(e.target, VulnId(i as u8));
            }
        }
    }
    sim.restore(e.target);
}
