//! A denial-of-service flood that knocks devices, and the clinical services
//! that need them, out of action (ATT&CK T1498 Network Denial of Service,
//! T1499 Endpoint Denial of Service). It needs no foothold on its targets:
//! only a route to them over the service it floods.
//!
//! The flood comes either from an external zone (an internet flood, whose
//! targets' zones must be reachable from it over the service), or from the
//! devices other attacks hold (a botnet inside the hospital, whose targets
//! must be reachable from a zone where the attackers hold a device). It
//! begins when the attack arrives (the engine's `start` or each arrival at
//! `arrivals_per_year`; from held devices: once they also hold
//! `min_sources`), lasts a drawn `duration`, and ends early if the
//! attackers come to hold fewer than `min_sources`; an arrival while a
//! flood runs joins it. While it runs, every target device it reaches
//! is flooded, and a share of them stop working; the failed devices come
//! back a drawn `recovery` time after the flood stops reaching them.
//!
//! Which devices fail is a draw keyed by the device's identity, so the same
//! devices fail in every design where the flood reaches them, and a larger
//! `fails_share` fails a superset of a smaller one's devices. Downtime and
//! clinical-service hours lost accrue in the engine's shared columns
//! through [`Sim::disrupt`] and [`Sim::recover`].

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::{ClinicalServiceId, ServiceId};
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "dos"`: a flood from outside, or from
/// devices other attacks hold.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DosParams {
    /// Device types it floods. A device is hit only if its type listens on
    /// `service` (a design that closes the port is simply not hit).
    #[schemars(with = "Vec<String>")]
    pub targets: Vec<Spanned<String>>,
    /// The service it floods, e.g. `hl7`, `https`, `mqtt`.
    #[schemars(with = "String")]
    pub service: Spanned<String>,
    /// The external zone an internet flood comes from. Give this or
    /// `follows`, not both.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub from: Option<Spanned<String>>,
    /// Ids of the attacks whose devices send the flood (a botnet): it
    /// reaches what a zone holding one of their devices reaches. Give this
    /// or `from`, not both.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub follows: Option<Vec<Spanned<String>>>,
    /// With `follows`: the flood begins once the attackers hold this many
    /// devices (not cut off the network), and stops when they hold fewer.
    /// Default 1 (assumed: any foothold can send traffic).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub min_sources: Option<Spanned<u32>>,
    /// How long the flood lasts, drawn at each launch. Required: no
    /// published duration for floods against hospitals (CICIoMT2024
    /// [S29] gives the kinds of flood, not their length).
    pub duration: Distribution,
    /// Share of the flooded target devices that stop working under the
    /// flood, drawn per device. Default 0.5 (assumed; no published share
    /// for medical devices).
    #[serde(default = "half")]
    pub fails_share: Probability,
    /// Time for a failed device to work again after the flood stops
    /// reaching it (a reboot, a watchdog), drawn per device. Required
    /// (no published recovery times; the teaching scenario's are assumed).
    pub recovery: Distribution,
}

fn half() -> Probability {
    Probability::new(0.5).expect("0.5 is a probability")
}

/// Registers the `dos` mechanism.
pub struct DosFactory;

const FLOODED: EventSpec =
    EventSpec::new("flooded", "is flooded with traffic", "are flooded with traffic").technique("T1498");
const FAILED: EventSpec =
    EventSpec::new("flood-failed", "stops working under the flood", "stop working under the flood").technique("T1499");
const RECOVERED: EventSpec =
    EventSpec::new("flood-recovered", "works again after the flood", "work again after the flood");
const OBJECTIVE: MetricSpec = MetricSpec::flag(
    "objective_reached",
    "objective reached",
    "a clinical service needing a device the flood stopped was down (in a scenario without clinical services: a device stopped working)",
);
const FLOODS: MetricSpec = MetricSpec::count(
    "devices_flooded",
    "devices flooded",
    "target devices the flood reached (each time it began to reach one)",
)
.unit("devices")
.lower_is_better();
const FAILURES: MetricSpec = MetricSpec::count(
    "devices_failed",
    "devices stopped by the flood",
    "flooded devices that stopped working (a device that fails again counts again)",
)
.unit("devices")
.lower_is_better();
const RECOVERIES: MetricSpec = MetricSpec::count(
    "devices_recovered",
    "devices back after the flood",
    "failed devices that worked again before the trial ended",
)
.unit("devices");
const HOURS: MetricSpec =
    MetricSpec::amount("flood_hours", "hours flooded", "hours the flood ran within the trial").unit("hours");

impl PluginSpec for DosFactory {
    type Params = DosParams;
    const KIND: &'static str = "dos";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "denial-of-service flood from outside or from held devices (T1498, T1499)";

    fn configure(p: DosParams, section: &Section<'_>, scenario: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut types = Vec::new();
        for t in &p.targets {
            match scenario.device_type_ref(t) {
                Ok(t) => types.push(t),
                Err(d) => problems.push(d),
            }
        }
        if p.targets.is_empty() {
            problems.push(
                Diagnostic::at(section.span(), "targets is empty: the flood has nothing to flood")
                    .with_help("name the device types it floods, e.g. targets = [\"infusion-pump\"]"),
            );
        }
        let service = scenario.service_ref(&p.service).map_err(|d| problems.push(d)).ok();
        let source = match (&p.from, &p.follows) {
            (Some(z), None) => {
                if let Some(m) = &p.min_sources {
                    problems.push(
                        Diagnostic::at(
                            m.span(),
                            "min_sources counts devices of followed attacks; a flood `from` a zone has none",
                        )
                        .with_help("drop min_sources, or flood from held devices with `follows`"),
                    );
                }
                match scenario.zone_ref(z) {
                    Ok(zone) if scenario.zones[usize::from(zone.0)].external => Some(Source::Outside(zone)),
                    Ok(_) => {
                        problems.push(
                            Diagnostic::at(z.span(), format!("zone `{}` is not external", z.get_ref()))
                                .with_help("`from` names an external zone (the internet); to flood from inside, `follows` the attack holding devices there"),
                        );
                        None
                    }
                    Err(d) => {
                        problems.push(d);
                        None
                    }
                }
            }
            (None, Some(ids)) => {
                let min = p.min_sources.as_ref().map_or(1, |m| *m.get_ref());
                if let Some(m) = p.min_sources.as_ref().filter(|_| min == 0) {
                    problems.push(
                        Diagnostic::at(m.span(), "min_sources must be at least 1")
                            .with_help("a flood needs at least one device to send it"),
                    );
                }
                if ids.is_empty() {
                    problems.push(
                        Diagnostic::at(section.span(), "follows is empty: the flood has no source")
                            .with_help("name the attacks whose devices send it"),
                    );
                }
                match crate::common::resolve_follows(Some(ids.as_slice()), section, scenario) {
                    Ok(follows) => Some(Source::Held { follows, min_sources: min }),
                    Err(mut d) => {
                        problems.append(&mut d);
                        None
                    }
                }
            }
            (Some(_), Some(_)) => {
                problems.push(
                    Diagnostic::at(section.span(), "the flood has both `from` and `follows`")
                        .with_help("flood from an external zone (`from`) or from held devices (`follows`), not both"),
                );
                None
            }
            (None, None) => {
                problems.push(
                    Diagnostic::at(section.span(), "the flood has no source")
                        .with_help("set `from` (an external zone) or `follows` (attacks whose devices send it)"),
                );
                None
            }
        };
        match (source, service) {
            (Some(source), Some(service)) if problems.is_empty() => {
                Ok(Box::new(Dos { plan: Arc::new(Plan::new(scenario, &p, &types, service, source)) }))
            }
            _ => Err(problems),
        }
    }
}

/// Where the flood comes from.
enum Source {
    /// An external zone.
    Outside(ZoneId),
    /// The devices the followed attacks hold (`follows[instance]`).
    Held { follows: Vec<bool>, min_sources: u32 },
}

/// What every trial shares.
struct Plan {
    source: Source,
    duration: Distribution,
    fails_share: f64,
    recovery: Distribution,
    /// Per zone: the zones holding targets that a host there reaches on the service.
    reach: Vec<Vec<ZoneId>>,
    /// Per zone: its target devices (of a target type listening on the service).
    targets_in: Vec<Vec<DeviceIndex>>,
    /// Per device: whether it is a target.
    is_target: Vec<bool>,
    /// Per device type: the clinical services that need it.
    services_of_type: Vec<Vec<ClinicalServiceId>>,
    has_services: bool,
}

impl Plan {
    fn new(
        s: &Scenario,
        p: &DosParams,
        types: &[iomtsim_sim::DeviceTypeId],
        service: ServiceId,
        source: Source,
    ) -> Self {
        let mut targets_in = vec![Vec::new(); s.zones.len()];
        let mut is_target = vec![false; s.devices.len()];
        for d in 0..s.device_count() {
            let slot = s.devices[d as usize];
            let t = usize::from(slot.device_type.0);
            if types.contains(&slot.device_type) && s.device_types[t].services.contains(service) {
                targets_in[usize::from(slot.zone.0)].push(d);
                is_target[d as usize] = true;
            }
        }
        let reach = (0..s.zones.len())
            .map(|a| {
                let mut zones = s.network.reachable_zones(ZoneId(a as u16), service);
                zones.retain(|b| !targets_in[usize::from(b.0)].is_empty());
                zones
            })
            .collect();
        let mut services_of_type = vec![Vec::new(); s.device_types.len()];
        for (c, service) in s.clinical_services.iter().enumerate() {
            for (t, _) in &service.needs {
                services_of_type[usize::from(t.0)].push(ClinicalServiceId(c as u16));
            }
        }
        Plan {
            source,
            duration: p.duration.clone(),
            fails_share: p.fails_share.get(),
            recovery: p.recovery.clone(),
            reach,
            targets_in,
            is_target,
            services_of_type,
            has_services: !s.clinical_services.is_empty(),
        }
    }
}

struct Dos {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    end: HandlerId,
    recover: HandlerId,
    flooded: EventKindId,
    failed: EventKindId,
    recovered: EventKindId,
    objective: MetricId,
    floods: MetricId,
    failures: MetricId,
    recoveries: MetricId,
    hours: MetricId,
}

impl Plugin for Dos {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            end: b.handler("dos.end", end_flood),
            recover: b.handler("dos.recover", recover_device),
            flooded: b.event(FLOODED),
            failed: b.event(FAILED),
            recovered: b.event(RECOVERED),
            objective: b.metric(OBJECTIVE),
            floods: b.metric(FLOODS),
            failures: b.metric(FAILURES),
            recoveries: b.metric(RECOVERIES),
            hours: b.metric(HOURS),
        };
        let begin = b.handler("dos.begin", begin_flood);
        b.on_arrival(begin);
        let compromised = b.handler("dos.device_compromised", device_compromised);
        b.on_transition(Transition::Compromised, compromised);
        let changed = b.handler("dos.device_changed", device_changed);
        for t in [Transition::Isolated, Transition::Restored] {
            b.on_transition(t, changed);
        }
        b.story(if self.plan.has_services {
            "flooded {devices_flooded} {devices_flooded|device|devices} for {flood_hours} hours; {devices_failed} stopped working, {devices_recovered} came back; {objective_reached|a clinical service went down|no clinical service went down}"
        } else {
            "flooded {devices_flooded} {devices_flooded|device|devices} for {flood_hours} hours; {devices_failed} stopped working, {devices_recovered} came back"
        });
        b.init_resource::<Instances<Flood>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |sim: Sim, mut floods: ResMut<Instances<Flood>>| {
            floods.insert(me, Flood::new(plan.clone(), ids, sim.device_count() as usize));
        });
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    /// Waiting for the attack to arrive (again).
    Idle,
    /// Arrived, waiting for the attackers to hold `min_sources`.
    Armed,
    /// Flooding; its planned end (clipped to the horizon).
    On { until: SimTime },
}

/// One trial's flood of one instance.
struct Flood {
    plan: Arc<Plan>,
    ids: Ids,
    phase: Phase,
    /// The arrival that armed the flood (keys its duration).
    arrival: u64,
    /// Floods launched so far: tags the end event, so that the end of a
    /// flood stopped early cannot end a later one.
    launches: u64,
    /// Per device: compromised by a followed attack (in its current compromise).
    by_followed: Vec<bool>,
    /// Per device: counted as a source (held by a followed attack, not isolated).
    source: Vec<bool>,
    /// Per zone: source devices in it; and in all.
    sources_in: Vec<u32>,
    sources: u32,
    /// Per zone: the flood reaches its targets now.
    flooded: Vec<bool>,
    /// Per device: this flood stopped it and it has not come back.
    failed: Vec<bool>,
    /// Per device: bumped when it fails again, so a pending recovery is stale.
    generation: Vec<u32>,
    /// Per device: recoveries drawn so far (the key of the next draw).
    recoveries: Vec<u32>,
}

impl Flood {
    fn new(plan: Arc<Plan>, ids: Ids, devices: usize) -> Self {
        let zones = plan.targets_in.len();
        Flood {
            plan,
            ids,
            phase: Phase::Idle,
            arrival: 0,
            launches: 0,
            by_followed: vec![false; devices],
            source: vec![false; devices],
            sources_in: vec![0; zones],
            sources: 0,
            flooded: vec![false; zones],
            failed: vec![false; devices],
            generation: vec![0; devices],
            recoveries: vec![0; devices],
        }
    }

    fn min_sources(&self) -> u32 {
        match self.plan.source {
            Source::Outside(_) => 0,
            Source::Held { min_sources, .. } => min_sources,
        }
    }

    /// Starts a flood, its duration keyed by the arrival that armed it
    /// (the first arrival's key is the one a single `start` uses).
    fn launch(&mut self, sim: &mut Sim, me: InstanceId) {
        let first = sim.key(me).named("duration");
        let key = if self.arrival == 0 { first } else { first.with(self.arrival) };
        let duration = self.plan.duration.draw(key);
        let until = (sim.now() + duration).min(sim.horizon());
        self.phase = Phase::On { until };
        self.launches += 1;
        sim.add_amount(self.ids.hours, (until - sim.now()).as_hours_f64());
        sim.schedule_in(duration, self.ids.end, 0, self.launches);
        self.refresh(sim, me);
    }

    fn stop(&mut self, sim: &mut Sim, me: InstanceId) {
        if let Phase::On { until } = self.phase {
            // Hours were booked up to the planned end; give back what was not run.
            sim.add_amount(self.ids.hours, -(until - sim.now()).as_hours_f64());
        }
        self.phase = Phase::Idle;
        self.refresh(sim, me);
    }

    /// Brings the flooded zones up to date: the zones the sources reach
    /// while the flood is on, none otherwise.
    fn refresh(&mut self, sim: &mut Sim, me: InstanceId) {
        let plan = self.plan.clone();
        let zones = self.flooded.len();
        let mut want = vec![false; zones];
        if matches!(self.phase, Phase::On { .. }) {
            let sources: Vec<usize> = match plan.source {
                Source::Outside(z) => vec![usize::from(z.0)],
                Source::Held { .. } => (0..zones).filter(|&a| self.sources_in[a] > 0).collect(),
            };
            for a in sources {
                plan.reach[a].iter().for_each(|b| want[usize::from(b.0)] = true);
            }
        }
        for (z, want) in want.into_iter().enumerate() {
            if want == self.flooded[z] {
                continue;
            }
            self.flooded[z] = want;
            for &d in &plan.targets_in[z] {
                if want {
                    self.hit(sim, me, d);
                } else {
                    self.release(sim, me, d);
                }
            }
        }
    }

    /// The flood reaches device `d`: it is flooded, and fails if its draw says so.
    fn hit(&mut self, sim: &mut Sim, me: InstanceId, d: DeviceIndex) {
        if sim.state(d).isolated {
            return; // cut off the network: no traffic reaches it
        }
        sim.record(d, self.ids.flooded);
        sim.add(self.ids.floods, 1);
        if self.fails(sim, me, d) {
            self.fail(sim, d);
        }
    }

    /// Whether `d` stops working under the flood: a draw of its identity,
    /// so the same devices fail in every design and in every flood.
    fn fails(&self, sim: &Sim, me: InstanceId, d: DeviceIndex) -> bool {
        sim.key(me).named("fails").with(sim.identity(d)).bernoulli(self.plan.fails_share)
    }

    /// `d` stops working (or, still down from before, stays down).
    fn fail(&mut self, sim: &mut Sim, d: DeviceIndex) {
        let i = d as usize;
        self.generation[i] += 1; // a recovery still pending is stale
        if self.failed[i] || !sim.disrupt(d, self.ids.failed) {
            return;
        }
        self.failed[i] = true;
        sim.add(self.ids.failures, 1);
        let t = usize::from(sim.device(d).device_type.0);
        let down = !self.plan.has_services || self.plan.services_of_type[t].iter().any(|&c| sim.service_down(c));
        if down {
            sim.raise(self.ids.objective);
        }
    }

    /// Counts `d` as a source or not, after its state changed, and moves
    /// the flood on: it begins once there are `min_sources`, stops below
    /// that, and reaches what the zones holding sources reach.
    fn update_source(&mut self, sim: &mut Sim, me: InstanceId, d: DeviceIndex) {
        let i = d as usize;
        let state = sim.state(d);
        let is_source = state.compromised && !state.isolated && self.by_followed[i];
        if is_source == self.source[i] {
            return;
        }
        self.source[i] = is_source;
        let zone = usize::from(sim.device(d).zone.0);
        let zone_held = self.sources_in[zone] > 0;
        if is_source {
            self.sources_in[zone] += 1;
            self.sources += 1;
        } else {
            self.sources_in[zone] -= 1;
            self.sources -= 1;
        }
        let enough = self.sources >= self.min_sources();
        match self.phase {
            Phase::Armed if enough => self.launch(sim, me),
            Phase::On { .. } if !enough => self.stop(sim, me),
            Phase::On { .. } if zone_held != (self.sources_in[zone] > 0) => self.refresh(sim, me),
            _ => {}
        }
    }

    /// The flood no longer reaches `d`: if it failed, it comes back after
    /// its recovery time.
    fn release(&mut self, sim: &mut Sim, me: InstanceId, d: DeviceIndex) {
        let i = d as usize;
        if !self.failed[i] {
            return;
        }
        let key = sim.key(me).named("recovery").with(sim.identity(d)).with(u64::from(self.recoveries[i]));
        self.recoveries[i] += 1;
        sim.schedule_in(self.plan.recovery.draw(key), self.ids.recover, d, u64::from(self.generation[i]));
    }
}

/// The attack arrives (the tag counts arrivals): the flood is armed, and
/// launched at once if the attackers hold enough devices. An arrival while
/// a flood runs joins it.
fn begin_flood(In(e): In<Event>, mut sim: Sim, mut floods: ResMut<Instances<Flood>>) {
    let f = floods.get_mut(e.instance);
    if matches!(f.phase, Phase::On { .. }) {
        return;
    }
    f.arrival = e.tag;
    f.phase = Phase::Armed;
    if f.sources >= f.min_sources() {
        f.launch(&mut sim, e.instance);
    }
}

fn end_flood(In(e): In<Event>, mut sim: Sim, mut floods: ResMut<Instances<Flood>>) {
    let f = floods.get_mut(e.instance);
    if matches!(f.phase, Phase::On { .. }) && e.tag == f.launches {
        f.stop(&mut sim, e.instance);
    }
}

fn recover_device(In(e): In<Event>, mut sim: Sim, mut floods: ResMut<Instances<Flood>>) {
    let f = floods.get_mut(e.instance);
    let i = e.target as usize;
    if !f.failed[i] || u64::from(f.generation[i]) != e.tag {
        return; // flooded again since
    }
    f.failed[i] = false;
    // Rebuilt by incident response meanwhile, it is already back.
    if sim.recover(e.target, f.ids.recovered) {
        sim.add(f.ids.recoveries, 1);
    }
}

/// A device was compromised: note whether by an attack the flood follows.
fn device_compromised(In(e): In<Event>, mut sim: Sim, mut floods: ResMut<Instances<Flood>>) {
    let f = floods.get_mut(e.instance);
    let plan = f.plan.clone();
    if let Source::Held { follows, .. } = &plan.source {
        f.by_followed[e.target as usize] = crate::common::caused_by_followed(&sim, e.tag, follows);
        f.update_source(&mut sim, e.instance, e.target);
    }
}

/// A device was cut off or rebuilt: it may have stopped being a source,
/// and a target rebuilt while the flood still reaches it fails again.
fn device_changed(In(e): In<Event>, mut sim: Sim, mut floods: ResMut<Instances<Flood>>) {
    let f = floods.get_mut(e.instance);
    f.update_source(&mut sim, e.instance, e.target);
    let (d, i) = (e.target, e.target as usize);
    let state = sim.state(d);
    if f.failed[i] && !state.disrupted {
        f.failed[i] = false; // rebuilt: no longer down for want of recovery
    }
    let zone = usize::from(sim.device(d).zone.0);
    if f.flooded[zone] && f.plan.is_target[i] && !state.unavailable() && f.fails(&sim, e.instance, d) {
        f.fail(&mut sim, d);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::{Transition, TrialResult};

    /// A ward of 100 pumps and 20 monitors (both on HL7) and 10 cameras
    /// (HTTP), reached from the internet over `conduit`; `flood` and
    /// `extra` are added to the flood and the scenario.
    fn ward(duration: &str, conduit: &str, extra: &str, flood: &str) -> String {
        format!(
            r#"
            name = "ward-flood"
            duration = "{duration}"
            zones = [{{ id = "ward" }}, {{ id = "internet", external = true }}]
            conduits = [{{ from = "internet", to = "ward", services = [{conduit}] }}]
            device_types = [
              {{ id = "pump", services = ["hl7"], criticality = "life-critical" }},
              {{ id = "monitor", services = ["hl7"] }},
              {{ id = "camera", services = ["http"] }},
            ]
            placement = [
              {{ zone = "ward", device_type = "pump", count = 100 }},
              {{ zone = "ward", device_type = "monitor", count = 20 }},
              {{ zone = "ward", device_type = "camera", count = 10 }},
            ]
            {extra}
            [attacks.dos]
            targets = ["pump", "camera"]
            service = "hl7"
            from = "internet"
            {flood}
            "#
        )
    }

    fn metric(text: &str, results: &[TrialResult], name: &str) -> Vec<f64> {
        let m = engine(text).model().metric(&format!("dos.{name}")).expect("declared");
        results.iter().map(|r| r.outcome.get(m).as_f64().unwrap_or(0.0)).collect()
    }

    const FLOOD: &str = "duration = \"4h\"\nrecovery = \"30m\"\nfails_share = 1.0";

    #[test]
    fn without_a_route_over_the_service_nothing_happens() {
        let closed = ward("2d", "\"https\"", "", FLOOD);
        for r in run(&closed, 10, true) {
            let o = r.outcome.core();
            assert!(r.events.is_empty(), "no route from the internet over HL7: no flood");
            assert_eq!((o.disrupted, o.downtime_device_hours), (0, 0.0));
        }
        assert!(metric(&closed, &run(&closed, 10, false), "objective_reached").iter().all(|&x| x == 0.0));

        let open = ward("2d", "\"hl7\"", "", FLOOD);
        let results = run(&open, 10, true);
        for r in &results {
            // Only the pumps: the cameras do not listen on HL7, the monitors are not targets.
            assert_eq!(r.outcome.core().disrupted, 100);
            assert!(r.events.iter().all(|e| e.device < 100), "only pumps are touched");
        }
        // No clinical services here: a device down is the objective.
        assert!(metric(&open, &results, "objective_reached").iter().all(|&x| x == 1.0));
    }

    #[test]
    fn downtime_grows_with_the_flood_duration() {
        // Fixed times: every pump is down from the start of the flood to its
        // end plus the recovery time, exactly.
        for (hours, start) in [(2.0, 1.0), (8.0, 5.0)] {
            let text = ward(
                "3d",
                "\"hl7\"",
                "",
                &format!("start = \"{start}h\"\nduration = \"{hours}h\"\nrecovery = \"30m\"\nfails_share = 1.0"),
            );
            let results = run(&text, 5, true);
            for r in &results {
                let o = r.outcome.core();
                assert!((o.downtime_device_hours - 100.0 * (hours + 0.5)).abs() < 1e-6, "{}", o.downtime_device_hours);
                assert!(r.events.iter().all(|e| e.time.as_hours_f64() >= start), "nothing before the start");
            }
            assert!(metric(&text, &results, "flood_hours").iter().all(|&h| (h - hours).abs() < 1e-9));
        }
        // Drawn durations: the mean downtime follows the mean duration.
        let downtime = |mean: &str| {
            let text = ward(
                "10d",
                "\"hl7\"",
                "",
                &format!(
                    "duration = {{ dist = \"exponential\", mean = \"{mean}\" }}\nrecovery = {{ dist = \"exponential\", mean = \"1h\" }}"
                ),
            );
            mean_ci(&run(&text, 200, false).iter().map(|r| r.outcome.core().downtime_device_hours).collect::<Vec<_>>())
        };
        let (short, long) = (downtime("2h"), downtime("8h"));
        assert_clearly_below(short, long, "downtime device-hours, 2h vs 8h mean flood");
    }

    #[test]
    fn a_service_needing_half_the_pumps_goes_down_only_when_more_than_half_fail() {
        let services = "[[clinical_services]]\nid = \"infusion\"\nneeds = [{ device_type = \"pump\", share = 0.5 }]";
        let at = |share: f64| {
            let text = ward(
                "2d",
                "\"hl7\"",
                services,
                &format!("duration = \"6h\"\nrecovery = \"1h\"\nfails_share = {share}"),
            );
            let results = run(&text, 30, true);
            let objective = metric(&text, &results, "objective_reached");
            (results, objective)
        };
        let (few, few_objective) = at(0.3);
        let (many, many_objective) = at(0.8);
        for (r, objective) in few.iter().zip(&few_objective) {
            let o = r.outcome.core();
            assert!(o.disrupted > 10 && o.disrupted < 50, "{}", o.disrupted);
            assert_eq!(o.clinical_service_hours_lost, 0.0, "enough pumps work");
            assert_eq!(*objective, 0.0);
        }
        for (r, objective) in many.iter().zip(&many_objective) {
            let o = r.outcome.core();
            // Down from the flood's start until enough pumps came back.
            assert!(o.clinical_service_hours_lost >= 6.0, "{}", o.clinical_service_hours_lost);
            assert_eq!(*objective, 1.0);
        }
        // The same pumps fail in both: those failing at 0.3 fail at 0.8 too.
        let failed = |r: &TrialResult| -> Vec<u32> {
            r.events.iter().filter(|e| e.transition == Some(Transition::Disrupted)).map(|e| e.device).collect()
        };
        for (a, b) in few.iter().zip(&many) {
            let (a, b) = (failed(a), failed(b));
            assert!(a.iter().all(|d| b.contains(d)), "keyed per device: {a:?} within {b:?}");
        }
    }

    #[test]
    fn failed_devices_come_back_after_the_flood() {
        let flood = "duration = { dist = \"lognormal\", median = \"3h\", p90 = \"12h\" }\nrecovery = { dist = \"lognormal\", median = \"2h\", p90 = \"1d\" }";
        let long = ward("365d", "\"hl7\"", "", flood);
        let results = run(&long, 20, true);
        let failed = metric(&long, &results, "devices_failed");
        let recovered = metric(&long, &results, "devices_recovered");
        for (r, (f, back)) in results.iter().zip(failed.iter().zip(&recovered)) {
            assert!(*f > 20.0);
            assert_eq!(f, back, "every failed device is back within the year");
            let downs = r.events.iter().filter(|e| e.transition == Some(Transition::Disrupted)).count();
            let ups = r.events.iter().filter(|e| e.transition == Some(Transition::Recovered)).count();
            assert_eq!(downs, ups);
        }
        // A horizon that ends during the flood leaves them down.
        let short = ward("1h", "\"hl7\"", "", "duration = \"3h\"\nrecovery = \"1h\"\nfails_share = 1.0");
        let results = run(&short, 3, false);
        assert!(metric(&short, &results, "devices_recovered").iter().all(|&x| x == 0.0));
        assert!(metric(&short, &results, "flood_hours").iter().all(|&h| (h - 1.0).abs() < 1e-9), "clipped");
        assert!(results.iter().all(|r| (r.outcome.core().downtime_device_hours - 100.0).abs() < 1e-6));
    }

    #[test]
    fn each_arrival_floods_again() {
        // The engine's `arrivals_per_year` brings the attack back; each
        // arrival (outside a running flood) is a 4-hour flood of its own.
        let text = |rate: u32| ward("60d", "\"hl7\"", "", &format!("arrivals_per_year = {rate}\n{FLOOD}"));
        let hours = |rate: u32| {
            let text = text(rate);
            let results = run(&text, 100, false);
            let hours = metric(&text, &results, "flood_hours");
            let failed = metric(&text, &results, "devices_failed");
            for (h, f) in hours.iter().zip(&failed) {
                // Every flood stops all 100 pumps, unless it began while they
                // were still down from the one before.
                assert!(*f <= 100.0 * (h / 4.0).ceil() + 1e-9, "{f} failures in {h} hours");
            }
            mean_ci(&hours)
        };
        let (rare, often) = (hours(12), hours(120));
        assert_clearly_below(rare, often, "hours flooded in 60 days at 12 vs 120 arrivals a year");
        assert!(often.0 > 4.0 * 10.0, "about twenty floods: {often:?}");
    }

    /// Workstations in `it` (three held by a worm that spreads nowhere),
    /// pumps in `ward` reached from `it` over HL7, analysers in `lab` not
    /// reached from `it`.
    fn inside(flood: &str, defences: &str) -> String {
        format!(
            r#"
            name = "inside-flood"
            duration = "3d"
            zones = [{{ id = "it" }}, {{ id = "ward" }}, {{ id = "lab" }}]
            conduits = [{{ from = "it", to = "ward", services = ["hl7"] }}]
            vulnerabilities = [{{ id = "nothing", service = "smb" }}]
            device_types = [
              {{ id = "pc", services = ["smb"] }},
              {{ id = "pump", services = ["hl7"] }},
              {{ id = "analyser", services = ["hl7"] }},
            ]
            placement = [
              {{ zone = "it", device_type = "pc", count = 20 }},
              {{ zone = "ward", device_type = "pump", count = 50 }},
              {{ zone = "lab", device_type = "analyser", count = 10 }},
            ]
            [attacks.bots]
            kind = "worm"
            exploit = "nothing"
            scans_per_hour = 1.0
            entry_zone = "it"
            entry_devices = 3
            [attacks.dos]
            targets = ["pump", "analyser"]
            service = "hl7"
            follows = ["bots"]
            duration = "10h"
            recovery = "1h"
            fails_share = 1.0
            {flood}
            {defences}
            "#
        )
    }

    #[test]
    fn a_flood_from_held_devices_reaches_what_their_zone_reaches_while_they_hold_enough() {
        let text = inside("min_sources = 3", "");
        let results = run(&text, 5, true);
        for r in &results {
            assert_eq!(r.outcome.core().disrupted, 50, "every pump, no analyser");
            let pumps = 20..70;
            assert!(
                r.events
                    .iter()
                    .filter(|e| e.transition == Some(Transition::Disrupted))
                    .all(|e| pumps.contains(&e.device))
            );
        }
        assert!(metric(&text, &results, "flood_hours").iter().all(|&h| h == 10.0));

        let too_few = inside("min_sources = 4", "");
        assert!(run(&too_few, 5, false).iter().all(|r| r.outcome.core().disrupted == 0), "three bots are not enough");

        // Monitoring finds the bots after an hour and they are cut off: the flood stops.
        let cut_off = inside(
            "",
            "[defences.monitoring]\ntime_to_detect = \"1h\"\n[defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"100d\"",
        );
        let results = run(&cut_off, 5, false);
        assert!(metric(&cut_off, &results, "flood_hours").iter().all(|&h| (h - 1.0).abs() < 1e-9));
        // The pumps are down two hours (one flooded, one recovering); the
        // three bots, cut off at 1h, stay out of service to the end (71h).
        for r in &results {
            let downtime = r.outcome.core().downtime_device_hours;
            assert!((downtime - (50.0 * 2.0 + 3.0 * 71.0)).abs() < 1e-6, "{downtime}");
        }
    }

    #[test]
    fn bad_sources_are_reported() {
        let both = ward("1d", "\"hl7\"", "", "follows = [\"x\"]\nduration = \"1h\"\nrecovery = \"1h\"");
        assert!(load_error(&both).contains("both `from` and `follows`"));
        let inner = ward("1d", "\"hl7\"", "", FLOOD).replace("from = \"internet\"\n", "from = \"ward\"\n");
        assert!(load_error(&inner).contains("zone `ward` is not external"));
        let unknown = ward("1d", "\"hl7\"", "", FLOOD).replace("service = \"hl7\"", "service = \"hl8\"");
        let err = load_error(&unknown);
        assert!(err.contains("unknown service `hl8`"), "{err}");
        let none = ward("1d", "\"hl7\"", "", FLOOD).replace("from = \"internet\"\n", "\n");
        assert!(load_error(&none).contains("the flood has no source"));
    }

    #[test]
    fn the_teaching_scenario_takes_a_clinical_service_down() {
        let text = include_str!("../../../scenarios/threats/dos.toml");
        let results = run(text, 40, false);
        let outside = metric(text, &results, "objective_reached");
        assert!(outside.contains(&1.0), "the internet flood reaches its objective in some trials");
        assert!(results.iter().any(|r| r.outcome.core().clinical_service_hours_lost > 0.0));
    }
}
