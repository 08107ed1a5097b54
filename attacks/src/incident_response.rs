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

impl PluginSpec for IncidentResponseFactory {
    type Params = IncidentResponseParams;
    const KIND: &'static str = "incident_response";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str = "isolate detected devices, then restore them clean (optionally patched)";

    fn configure(
        params: IncidentResponseParams,
        _: &Section<'_>,
        _: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Ok(Box::new(IncidentResponse { params, handlers: None }))
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

#[cfg(test)]
mod tests {
    use crate::testing::*;

    fn response(isolate_after: &str, restore_time: &str, patch: bool) -> String {
        format!(
            "[defences.monitoring]\ncoverage = 1.0\ntime_to_detect = {{ dist = \"exponential\", mean = \"1h\" }}\n\
             [defences.incident_response]\nisolate_after = {isolate_after}\nrestore_time = {restore_time}\npatch_on_restore = {patch}"
        )
    }

    #[test]
    fn faster_isolation_contains_the_outbreak() {
        let fast = run(&lan(300, "-60d", "", "", &response("\"0s\"", "\"100d\"", true)), 60, false);
        let slow = run(&lan(300, "-60d", "", "", &response("\"6h\"", "\"100d\"", true)), 60, false);
        assert_clearly_below(compromised(&fast), compromised(&slow), "compromised with immediate isolation");
        assert!(fast.iter().all(|r| r.outcome.isolated == r.outcome.compromised), "every detected device is isolated");
    }

    #[test]
    fn restored_devices_fall_again_unless_patched() {
        let unpatched = run(&lan(300, "-60d", "", "", &response("\"0s\"", "\"2h\"", false)), 20, true);
        let patched = run(&lan(300, "-60d", "", "", &response("\"0s\"", "\"2h\"", true)), 20, true);
        let reinfections = |rs: &[iomtsim_sim::TrialResult]| -> usize {
            rs.iter()
                .map(|r| {
                    let hits = r.events.iter().filter(|e| e.kind == iomtsim_sim::Signal::Compromised).count();
                    hits - r.outcome.compromised as usize
                })
                .sum()
        };
        assert!(reinfections(&unpatched) > 0, "rebuilt but unpatched hosts are taken again");
        assert_eq!(reinfections(&patched), 0, "rebuilt and patched hosts are immune");
    }

    #[test]
    fn isolation_costs_downtime_until_restored() {
        let r = run(&lan(50, "-60d", "", "", &response("\"0s\"", "\"1d\"", true)), 10, false);
        for t in &r {
            let o = &t.outcome;
            // Each isolated device is out of service for exactly one day.
            assert_eq!(o.isolated, o.restored, "{o:?}");
            assert!((o.downtime_device_hours - 24.0 * f64::from(o.restored)).abs() < 1e-6, "{o:?}");
        }
    }
}
