//! Incident response: a detected device is isolated from the network after
//! a delay, then rebuilt and returned to service after a restore time,
//! optionally with every released patch installed. Isolation stops an
//! infected device from spreading but costs downtime of its own.

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "incident_response"`: isolation and
/// restoration of detected devices.
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

/// Registers the `incident_response` mechanism.
pub struct IncidentResponseFactory;

const ISOLATED: EventSpec = EventSpec::new(
    "isolated",
    "is cut off the network by the response team",
    "are cut off the network by the response team",
);
const REBUILT: EventSpec =
    EventSpec::new("rebuilt", "is rebuilt clean and back in service", "are rebuilt clean and back in service");
const PATCHED: EventSpec = EventSpec::new(
    "patched-while-rebuilt",
    "receives its patches while rebuilt",
    "receive their patches while rebuilt",
);
const ISOLATIONS: MetricSpec =
    MetricSpec::count("isolations", "isolations", "devices the team cut off the network (each isolation counts)")
        .unit("devices");
const RESTORATIONS: MetricSpec =
    MetricSpec::count("restorations", "rebuilds", "devices the team rebuilt clean (each rebuild counts)")
        .unit("devices");

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
        Ok(Box::new(IncidentResponse { params: Arc::new(params) }))
    }
}

struct IncidentResponse {
    params: Arc<IncidentResponseParams>,
}

#[derive(Clone, Copy)]
struct Ids {
    isolate: HandlerId,
    restore: HandlerId,
    isolated: EventKindId,
    rebuilt: EventKindId,
    patched: EventKindId,
    isolations: MetricId,
    restorations: MetricId,
}

/// One instance's parameters and ids, for its handlers.
struct Team {
    params: Arc<IncidentResponseParams>,
    ids: Ids,
}

impl Plugin for IncidentResponse {
    fn build(&self, b: &mut SimBuilder) {
        let detected = b.handler("incident_response.detected", plan_isolation);
        b.on_transition(Transition::Detected, detected);
        let ids = Ids {
            isolate: b.handler("incident_response.isolate", isolate_device),
            restore: b.handler("incident_response.restore", restore_device),
            isolated: b.event(ISOLATED),
            rebuilt: b.event(REBUILT),
            patched: b.event(PATCHED),
            isolations: b.metric(ISOLATIONS),
            restorations: b.metric(RESTORATIONS),
        };
        b.story("isolated {isolations} {isolations|device|devices} and rebuilt {restorations} by the end of the trial");
        b.init_resource::<Instances<Team>>();
        let (params, me) = (self.params.clone(), b.instance());
        b.on_trial_start(move |mut teams: ResMut<Instances<Team>>| {
            teams.insert(me, Team { params: params.clone(), ids });
        });
    }
}

/// The draws of one device's response are keyed by the compromise being
/// answered (and the device's epoch, for a device detected while clean).
fn key(sim: &Sim, e: &Event, epoch: u64) -> Key {
    sim.key(e.instance).and(sim.state(e.target).cause).with(epoch)
}

fn plan_isolation(In(e): In<Event>, mut sim: Sim, teams: Res<Instances<Team>>) {
    let team = teams.get(e.instance);
    let epoch = u64::from(sim.state(e.target).epoch);
    let delay = team.params.isolate_after.draw(key(&sim, &e, epoch).named("isolate"));
    sim.schedule_in(delay, team.ids.isolate, e.target, epoch);
}

fn isolate_device(In(e): In<Event>, mut sim: Sim, teams: Res<Instances<Team>>) {
    let team = teams.get(e.instance);
    if u64::from(sim.state(e.target).epoch) != e.tag {
        return; // rebuilt since
    }
    if sim.isolate(e.target, team.ids.isolated) {
        sim.add(team.ids.isolations, 1);
    }
    let delay = team.params.restore_time.draw(key(&sim, &e, e.tag).named("restore"));
    sim.schedule_in(delay, team.ids.restore, e.target, e.tag);
}

fn restore_device(In(e): In<Event>, mut sim: Sim, teams: Res<Instances<Team>>) {
    let team = teams.get(e.instance);
    let state = sim.state(e.target);
    if u64::from(state.epoch) != e.tag {
        return;
    }
    if team.params.patch_on_restore && !state.unsupported {
        let now = sim.now();
        let released: Vec<VulnId> = sim
            .scenario()
            .vulnerabilities
            .iter()
            .enumerate()
            .filter(|(_, v)| v.patch_released().to_time().is_none_or(|t| t <= now))
            .map(|(i, _)| VulnId(i as u8))
            .collect();
        for v in released {
            sim.patch(e.target, v, team.ids.patched);
        }
    }
    sim.restore(e.target, team.ids.rebuilt);
    sim.add(team.ids.restorations, 1);
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
        assert!(
            fast.iter().all(|r| r.outcome.core().isolated == r.outcome.core().compromised),
            "every detected device is isolated"
        );
    }

    #[test]
    fn restored_devices_fall_again_unless_patched() {
        let reinfections = |text: &str| -> u64 {
            let e = engine(text);
            let infections = e.model().metric("worm.infections").unwrap();
            run(text, 20, false).iter().map(|r| r.outcome.get(infections).count() - r.outcome.core().compromised).sum()
        };
        assert!(
            reinfections(&lan(300, "-60d", "", "", &response("\"0s\"", "\"2h\"", false))) > 0,
            "rebuilt but unpatched hosts are taken again"
        );
        assert_eq!(
            reinfections(&lan(300, "-60d", "", "", &response("\"0s\"", "\"2h\"", true))),
            0,
            "rebuilt and patched hosts are immune"
        );
    }

    #[test]
    fn isolation_costs_downtime_until_restored() {
        let text = lan(50, "-60d", "", "", &response("\"0s\"", "\"1d\"", true));
        let e = engine(&text);
        let (isolations, restorations) = (
            e.model().metric("incident_response.isolations").unwrap(),
            e.model().metric("incident_response.restorations").unwrap(),
        );
        for t in run(&text, 10, false) {
            let (i, r) = (t.outcome.get(isolations).count(), t.outcome.get(restorations).count());
            // Each isolated device is out of service for exactly one day.
            assert_eq!(i, r);
            assert!((t.outcome.core().downtime_device_hours - 24.0 * r as f64).abs() < 1e-6, "{t:?}");
        }
    }
}
