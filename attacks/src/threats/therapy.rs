//! Therapy manipulation: an attacker who can send commands to an infusion
//! pump or an implant's programmer changes a dose (ICS ATT&CK T0831
//! Manipulation of Control), and a patient is harmed (T0880 Loss of
//! Safety). Only a device that does not authenticate whoever commands it
//! obeys; one that does refuses the command (T0855 Unauthorized Command
//! Message).
//!
//! The access comes from the attacks it follows. When one of them takes a
//! device D in zone Z:
//! - if D is itself one of the target device types (a pump taken over its
//!   radio, say), the attacker reprograms D;
//! - and from D it reprograms up to `max_targets` target devices that
//!   listen on the command `service` in the zones Z reaches over that
//!   service (the same one-hop reach as everywhere: Z itself if the zone
//!   lets its hosts use the service with each other, and the zones a
//!   conduit from Z carries it to). The attacker works through the pumps
//!   in an order drawn once per trial, keyed by each pump's identity: a
//!   foothold goes for the first ones in that order it reaches that no
//!   other foothold has gone for and that are on the network, so the same
//!   pumps come first in every design where they are reached. (Ranking
//!   every pump anew at each compromise cost a flat hospital's trial
//!   thousands of times more work for the same chance.)
//!
//! Each command lands `time_to_tamper` after the foothold was gained, if
//! the attacker still holds the foothold (not rebuilt, not isolated) and
//! the target is still on the network and working. Whether a target
//! authenticates commands is the device's own trait, drawn once per trial
//! from its type's `authenticates_commands` share and a key of its
//! identity, so the same pumps are the unprotected ones in every design.

use std::sync::Arc;

use iomtsim_sim::ServiceId;
use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "therapy"`: doses changed on devices that
/// obey unauthenticated commands.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TherapyParams {
    /// Ids of the attacks whose compromises give it access. Absent: every
    /// other attack of the scenario.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub follows: Option<Vec<Spanned<String>>>,
    /// Ids of the device types it reprograms: infusion pumps, implant
    /// programmers, anything that sets a therapy.
    #[schemars(with = "Vec<String>")]
    pub device_types: Vec<Spanned<String>>,
    /// The service their commands travel over (a vendor's pump protocol,
    /// declared under `[[services]]`, or a built-in one).
    #[schemars(with = "String")]
    pub service: Spanned<String>,
    /// Time from gaining a foothold to the changed dose: finding the
    /// devices, learning their protocol, sending the command.
    pub time_to_tamper: Distribution,
    /// Target devices each foothold reprograms over the network (a target
    /// the attacker holds itself is reprogrammed as well). Default 1
    /// (assumed: an attacker after one patient, not a ward).
    #[serde(default = "one")]
    pub max_targets: u32,
}

fn one() -> u32 {
    1
}

/// Registers the `therapy` mechanism.
pub struct TherapyFactory;

const REPROGRAMMED: EventSpec = EventSpec::new(
    "reprogrammed",
    "obeys an attacker's unauthenticated command and changes its dose",
    "obey an attacker's unauthenticated commands and change their doses",
)
.technique("T0831");
const HARMED: EventSpec =
    EventSpec::new("wrong-dose", "delivers a wrong dose to its patient", "deliver wrong doses to their patients")
        .technique("T0880");
const REFUSED: EventSpec = EventSpec::new(
    "command-refused",
    "refuses an attacker's command it cannot authenticate",
    "refuse an attacker's commands they cannot authenticate",
)
.technique("T0855");
const DOSES: MetricSpec = MetricSpec::count(
    "doses_changed",
    "doses changed by an attacker",
    "target devices that obeyed an attacker's command and changed a patient's dose",
)
.unit("devices")
.lower_is_better();
const REFUSALS: MetricSpec = MetricSpec::count(
    "commands_refused",
    "attacker commands refused",
    "target devices that refused an attacker's command because they authenticate commands",
)
.unit("devices");
const OBJECTIVE: MetricSpec = MetricSpec::flag(
    "objective_reached",
    "objective reached",
    "whether the attacker changed at least one patient's dose",
)
.lower_is_better();

impl PluginSpec for TherapyFactory {
    type Params = TherapyParams;
    const KIND: &'static str = "therapy";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "doses changed on pumps that obey unauthenticated commands (T0831, T0880)";

    fn configure(
        p: TherapyParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let follows = crate::common::resolve_follows(p.follows.as_deref(), section, scenario)
            .map_err(|mut d| problems.append(&mut d))
            .unwrap_or_default();
        let mut target_type = vec![false; scenario.device_types.len()];
        if p.device_types.is_empty() {
            problems.push(
                Diagnostic::at(section.span(), "no device type to reprogram: `device_types` is empty")
                    .with_help("name the pumps or programmers, e.g. device_types = [\"infusion-pump\"]"),
            );
        }
        for r in &p.device_types {
            match scenario.device_type_ref(r) {
                Ok(t) => target_type[usize::from(t.0)] = true,
                Err(d) => problems.push(d),
            }
        }
        let service = scenario.service_ref(&p.service).map_err(|d| problems.push(d)).ok();
        if follows.iter().all(|f| !f) && problems.is_empty() {
            problems.push(
                Diagnostic::at(section.span(), "it follows no attack, so it never gains access to a device").with_help(
                    "add an attack that compromises devices (a worm, a radio attacker), or list one in `follows`",
                ),
            );
        }
        let Some(service) = service else { return Err(problems) };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Therapy { plan: Arc::new(Plan::new(scenario, p, follows, target_type, service)) }))
    }
}

struct Plan {
    follows: Vec<bool>,
    time_to_tamper: Distribution,
    max_targets: usize,
    /// Per device type: whether it is a target.
    target_type: Vec<bool>,
    /// Per zone: the zones its hosts reach over the command service.
    reach: Vec<Vec<ZoneId>>,
    /// Per zone: its target devices that listen on the command service.
    listeners: Vec<Vec<DeviceIndex>>,
}

impl Plan {
    fn new(s: &Scenario, p: TherapyParams, follows: Vec<bool>, target_type: Vec<bool>, service: ServiceId) -> Self {
        let reach = (0..s.zones.len()).map(|z| s.network.reachable_zones(ZoneId(z as u16), service)).collect();
        let mut listeners = vec![Vec::new(); s.zones.len()];
        for (i, d) in s.devices.iter().enumerate() {
            let t = usize::from(d.device_type.0);
            if target_type[t] && s.device_types[t].services.contains(service) {
                listeners[usize::from(d.zone.0)].push(i as DeviceIndex);
            }
        }
        Plan {
            follows,
            time_to_tamper: p.time_to_tamper,
            max_targets: p.max_targets as usize,
            target_type,
            reach,
            listeners,
        }
    }
}

struct Therapy {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    tamper: HandlerId,
    reprogrammed: EventKindId,
    harmed: EventKindId,
    refused: EventKindId,
    doses: MetricId,
    refusals: MetricId,
    objective: MetricId,
}

/// One instance's trial: its plan, ids, and the targets it has gone for.
struct Campaign {
    plan: Arc<Plan>,
    ids: Ids,
    /// Per device: a command to it is on its way or has landed, so no
    /// other foothold goes for it.
    claimed: Vec<bool>,
    /// Per device: its place in this trial's order of targets.
    rank: Vec<u32>,
    /// Per foothold zone: the targets it reaches, in this trial's order,
    /// with their places.
    order: Vec<Vec<(u32, DeviceIndex)>>,
    /// Per foothold zone: where the targets not yet claimed begin.
    cursor: Vec<usize>,
}

impl Campaign {
    /// Draws this trial's order of targets: by a key of each target's
    /// identity.
    fn new(sim: &Sim, me: InstanceId, plan: Arc<Plan>, ids: Ids) -> Self {
        let key = sim.key(me).named("targets");
        let mut all: Vec<(u64, DeviceIndex)> =
            plan.listeners.iter().flatten().map(|&d| (key.with(sim.identity(d)).value(), d)).collect();
        all.sort_unstable();
        let devices = sim.device_count() as usize;
        let mut rank = vec![u32::MAX; devices];
        // Each zone's targets in rank order, read off the order of all:
        // a foothold zone's list merges the lists of the zones it reaches
        // (a copy when it reaches one, as most do).
        let mut by_zone: Vec<Vec<(u32, DeviceIndex)>> = vec![Vec::new(); plan.listeners.len()];
        for (r, &(_, d)) in all.iter().enumerate() {
            rank[d as usize] = r as u32;
            by_zone[usize::from(sim.device(d).zone.0)].push((r as u32, d));
        }
        let order: Vec<Vec<(u32, DeviceIndex)>> = plan
            .reach
            .iter()
            .map(|zones| match zones.as_slice() {
                [] => Vec::new(),
                [z] => by_zone[usize::from(z.0)].clone(),
                _ => {
                    let mut list: Vec<(u32, DeviceIndex)> =
                        zones.iter().flat_map(|z| by_zone[usize::from(z.0)].iter().copied()).collect();
                    // Sorted runs, one per zone: a stable sort merges them.
                    list.sort();
                    list
                }
            })
            .collect();
        let cursor = vec![0; order.len()];
        Campaign { plan, ids, claimed: vec![false; devices], rank, order, cursor }
    }

    /// Target `p` is free again (a command to it went stale): footholds
    /// look at it again.
    fn release(&mut self, p: DeviceIndex) {
        self.claimed[p as usize] = false;
        let r = self.rank[p as usize];
        for (list, cursor) in self.order.iter().zip(&mut self.cursor) {
            if let Ok(i) = list.binary_search(&(r, p)) {
                *cursor = (*cursor).min(i);
            }
        }
    }
}

impl Plugin for Therapy {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            tamper: b.handler("therapy.tamper", tamper),
            reprogrammed: b.event(REPROGRAMMED),
            harmed: b.event(HARMED),
            refused: b.event(REFUSED),
            doses: b.metric(DOSES),
            refusals: b.metric(REFUSALS),
            objective: b.metric(OBJECTIVE),
        };
        let follow = b.handler("therapy.follow", follow);
        b.on_transition(Transition::Compromised, follow);
        b.story(
            "changed the dose on {doses_changed} {doses_changed|device|devices}; \
             {commands_refused} refused its commands",
        );
        b.init_resource::<Instances<Campaign>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |sim: Sim, mut campaigns: ResMut<Instances<Campaign>>| {
            campaigns.insert(me, Campaign::new(&sim, me, plan.clone(), ids));
        });
    }
}

/// The foothold a command comes from, in an event's tag: the device and
/// the epoch of its compromise.
fn foothold_tag(d: DeviceIndex, epoch: u32) -> u64 {
    (u64::from(d) << 32) | u64::from(epoch)
}

fn foothold(tag: u64) -> (DeviceIndex, u32) {
    ((tag >> 32) as DeviceIndex, tag as u32)
}

/// A followed attack took a device: the attacker goes for the targets it
/// holds or reaches from there.
fn follow(In(e): In<Event>, mut sim: Sim, mut campaigns: ResMut<Instances<Campaign>>) {
    let c = campaigns.get_mut(e.instance);
    if !crate::common::caused_by_followed(&sim, e.tag, &c.plan.follows) {
        return;
    }
    let plan = c.plan.clone();
    let d = e.target;
    let state = sim.state(d);
    let tag = foothold_tag(d, state.epoch);
    let key = sim.key(e.instance).and(state.cause);
    let slot = sim.device(d);
    let mut targets = Vec::new();
    if plan.target_type[usize::from(slot.device_type.0)] && !c.claimed[d as usize] {
        targets.push(d);
    }
    if plan.max_targets > 0 {
        let z = usize::from(slot.zone.0);
        let list = &c.order[z];
        // Targets claimed for good lie behind the cursor.
        let mut i = c.cursor[z];
        while i < list.len() && c.claimed[list[i].1 as usize] {
            i += 1;
        }
        c.cursor[z] = i;
        let mut picked = 0;
        for &(_, p) in &list[i..] {
            if picked == plan.max_targets {
                break;
            }
            if p != d && !c.claimed[p as usize] && !targets.contains(&p) && !sim.state(p).isolated {
                targets.push(p);
                picked += 1;
            }
        }
    }
    for p in targets {
        c.claimed[p as usize] = true;
        let delay = plan.time_to_tamper.draw(key.named("delay").with(sim.identity(p)));
        sim.schedule_in(delay, c.ids.tamper, p, tag);
    }
}

/// The command reaches its target, if the attacker still holds the
/// foothold it comes from and the target still works on the network.
fn tamper(In(e): In<Event>, mut sim: Sim, mut campaigns: ResMut<Instances<Campaign>>) {
    let c = campaigns.get_mut(e.instance);
    let (d, epoch) = foothold(e.tag);
    let hold = sim.state(d);
    let target = sim.state(e.target);
    if !hold.compromised || hold.epoch != epoch || hold.isolated || target.unavailable() {
        // Lost before acting: another foothold may go for it later.
        c.release(e.target);
        return;
    }
    if target.authenticates_commands {
        sim.record(e.target, c.ids.refused);
        sim.add(c.ids.refusals, 1);
    } else {
        sim.record(e.target, c.ids.reprogrammed);
        sim.safety_event(e.target, c.ids.harmed);
        sim.add(c.ids.doses, 1);
        sim.raise(c.ids.objective);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::TrialResult;

    /// An office of workstations, five of them taken at the start by an
    /// intruder that spreads no further, and a pump zone whose pumps cannot
    /// reach each other. `conduit` names what the conduit from the office
    /// to the pumps carries.
    fn ward(authenticates: f64, conduit: &str, attacks: &str) -> String {
        format!(
            r#"
            name = "pumps"
            duration = "3d"
            services = [{{ id = "pump-cmd", port = 5000 }}]
            zones = [{{ id = "office" }}, {{ id = "pumps", intra_zone = [], floor_area_m2 = 400 }}]
            conduits = [{{ from = "office", to = "pumps", services = [{conduit}] }}]
            vulnerabilities = [{{ id = "none", service = "smb" }}]
            device_types = [
              {{ id = "workstation", services = ["smb"] }},
              {{ id = "pump", services = ["pump-cmd"], authenticates_commands = {authenticates}, radio = [{{ kind = "ble", range_m = 10.0 }}] }},
            ]
            placement = [
              {{ zone = "office", device_type = "workstation", count = 10 }},
              {{ zone = "pumps", device_type = "pump", count = 200 }},
            ]
            [attacks.intruder]
            kind = "worm"
            exploit = "none"
            scans_per_hour = 1.0
            entry_zone = "office"
            entry_devices = 5
            entry_device_type = "workstation"
            [attacks.therapy]
            device_types = ["pump"]
            service = "pump-cmd"
            time_to_tamper = {{ dist = "exponential", mean = "2h" }}
            max_targets = 4
            {attacks}
            "#
        )
    }

    fn safety(results: &[TrialResult]) -> Vec<f64> {
        results.iter().map(|r| r.outcome.core().safety_events as f64).collect()
    }

    fn metric(text: &str, results: &[TrialResult], column: &str) -> Vec<f64> {
        let m = engine(text).model().metric(column).expect("declared");
        results.iter().map(|r| r.outcome.get(m).as_f64().unwrap_or(0.0)).collect()
    }

    #[test]
    fn pumps_that_authenticate_refuse_every_command() {
        let text = ward(1.0, "\"pump-cmd\"", "");
        let results = run(&text, 20, false);
        assert!(safety(&results).iter().all(|&s| s == 0.0));
        // Five footholds, four pumps each: all twenty refuse.
        assert!(metric(&text, &results, "therapy.commands_refused").iter().all(|&n| n == 20.0));
        assert!(metric(&text, &results, "therapy.objective_reached").iter().all(|&f| f == 0.0));
    }

    #[test]
    fn harm_scales_with_the_share_of_pumps_that_do_not_authenticate() {
        let trials = 60;
        let mostly = ward(0.2, "\"pump-cmd\"", "");
        let rarely = ward(0.8, "\"pump-cmd\"", "");
        let (many, few) =
            (mean_ci(&safety(&run(&mostly, trials, false))), mean_ci(&safety(&run(&rarely, trials, false))));
        assert_clearly_below(few, many, "safety events when 80% of pumps authenticate");
        // Twenty commands, each obeyed by a pump that does not authenticate.
        assert!((many.0 - 16.0).abs() < many.1 + 0.5, "{many:?}, expected 16");
        assert!((few.0 - 4.0).abs() < few.1 + 0.5, "{few:?}, expected 4");
        let results = run(&ward(0.0, "\"pump-cmd\"", ""), 10, false);
        assert!(safety(&results).iter().all(|&s| s == 20.0), "max_targets bounds each foothold");
        let one = ward(0.0, "\"pump-cmd\"", "").replace("max_targets = 4", "max_targets = 1");
        assert!(safety(&run(&one, 10, false)).iter().all(|&s| s == 5.0));
    }

    #[test]
    fn a_conduit_without_the_command_service_keeps_the_pumps_safe() {
        let segmented = ward(0.0, "\"https\"", "");
        let results = run(&segmented, 20, false);
        assert!(safety(&results).iter().all(|&s| s == 0.0), "no conduit carries the pump protocol");
        assert!(metric(&segmented, &results, "therapy.commands_refused").iter().all(|&n| n == 0.0));
    }

    #[test]
    fn a_radio_reaches_pumps_that_segmentation_protects() {
        let radio =
            "[attacks.visitor]\nkind = \"wireless\"\nzones = [\"pumps\"]\nradio = \"ble\"\nsuccess_probability = 1.0";
        let text = ward(0.0, "\"https\"", radio).replace("max_targets = 4", "max_targets = 0");
        let results = run(&text, 20, false);
        let hijacked = metric(&text, &results, "visitor.hijacked");
        // Every pump the visitor takes is reprogrammed, and no other (the
        // pumps cannot reach each other, and the wired path is closed).
        assert_eq!(safety(&results), hijacked);
        assert!(hijacked.iter().all(|&n| n > 0.0));
        // Following only the intruder, the radio path is not used.
        let wired_only = text.replace("max_targets = 0", "max_targets = 0\nfollows = [\"intruder\"]");
        assert!(safety(&run(&wired_only, 20, false)).iter().all(|&s| s == 0.0));
    }

    #[test]
    fn losing_the_foothold_before_the_command_lands_spares_the_pumps() {
        let respond = "[defences.monitoring]\ncoverage = 1.0\ntime_to_detect = \"1m\"\n\
                       [defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"100d\"";
        let text = ward(0.0, "\"pump-cmd\"", respond).replace("{ dist = \"exponential\", mean = \"2h\" }", "\"1h\"");
        let results = run(&text, 10, true);
        assert!(safety(&results).iter().all(|&s| s == 0.0));
        // Without the response, every command lands an hour in.
        let free = ward(0.0, "\"pump-cmd\"", "").replace("{ dist = \"exponential\", mean = \"2h\" }", "\"1h\"");
        for r in run(&free, 5, true) {
            assert_eq!(r.outcome.core().safety_events, 20);
            assert!(r.events.iter().filter(|e| e.transition.is_none()).all(|e| e.time.as_hours_f64() == 1.0));
        }
    }

    #[test]
    fn the_teaching_scenario_reaches_its_objective() {
        let text = include_str!("../../../scenarios/threats/therapy.toml");
        let results = run(text, 200, false);
        let reached = metric(text, &results, "dose-change.objective_reached");
        let share = reached.iter().sum::<f64>() / reached.len() as f64;
        assert!(share > 0.2, "objective reached in {:.0}% of trials", share * 100.0);
    }

    #[test]
    fn unknown_services_and_types_are_reported() {
        let err = load_error(&ward(0.0, "\"pump-cmd\"", "").replace("service = \"pump-cmd\"", "service = \"alaris\""));
        assert!(err.contains("unknown service `alaris`"), "{err}");
        let err =
            load_error(&ward(0.0, "\"pump-cmd\"", "").replace("device_types = [\"pump\"]", "device_types = [\"pcu\"]"));
        assert!(err.contains("unknown device type `pcu`"), "{err}");
        let err = load_error(&ward(0.0, "\"pump-cmd\"", "start = \"1h\""));
        assert!(err.contains("answers other attacks and has no arrival of its own"), "{err}");
    }
}
