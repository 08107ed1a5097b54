//! An adversary in the middle of clinical data flows (ATT&CK T1557; ICS
//! T0830): from a position on the network, the attacker reads the
//! messages of the scenario's `[[data_flows]]` that travel unencrypted
//! and, if told to inject, forges readings in them (ICS T0856 Spoof
//! Reporting Message) that clinicians may act on.
//!
//! A position is a zone where the attacker holds a device: one an attack it
//! follows has taken (held until that device is isolated or rebuilt), or a
//! laptop plugged into a port of `entry_zone` when the attack arrives (its
//! table's `start`) and left there to the end; later arrivals of an
//! `arrivals_per_year` find it still plugged in.
//! From a zone it reads what passes through that zone's segment (ARP or
//! DHCP spoofing puts it in the path): every message its sending devices
//! send, and the messages that senders elsewhere send to its receiving
//! devices. Each sender spreads its messages evenly over the receivers it
//! reaches on the flow's service (assumed); a sender that reaches no
//! receiver sends nothing. A zone whose hosts may not talk to each other at
//! all (`intra_zone = []`, private VLANs) gives no position (assumed: host
//! isolation stops the spoofing that would put the attacker in the path).
//! Messages read are counted as they flow: per hour held, a zone yields
//! its flows' message rates. Encrypted flows yield nothing.
//!
//! Forged readings go into each unencrypted flow whose receiving devices
//! are clinical (life-critical or high criticality: a central station, an
//! EHR feed clinicians act on), at `spoofs_per_hour` for as long as a
//! position sees the flow. The spoofs follow the position's own clock: the
//! n-th comes when the time the flow has been watched reaches the sum of n
//! unit-exponential gaps drawn from keys of the flow and n, so the same
//! spoofs come at the same watched time in every design. Each lands on a
//! working receiver the position's traffic reaches (a keyed choice), and
//! harms a patient with probability `harm_per_spoof` (keyed too).

use std::sync::Arc;

use iomtsim_sim::ServiceSet;
use iomtsim_sim::prelude::*;
use iomtsim_sim::random::name_hash;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "aitm"`: an adversary in the middle of
/// clinical data flows.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AitmParams {
    /// Ids of the attacks whose compromised devices give it a position.
    /// Absent: every other attack of the scenario; `[]` for none (a
    /// plugged-in attacker only).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub follows: Option<Vec<Spanned<String>>>,
    /// A zone where the attacker plugs a device of its own into a network
    /// port, holding a position there from the attack's arrival (its
    /// table's `start`) to the end of the trial. Absent: only the followed
    /// attacks' devices give positions, and the attack has no arrival of
    /// its own.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub entry_zone: Option<Spanned<String>>,
    /// Ids of the data flows it goes after. Absent: every data flow.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub flows: Option<Vec<Spanned<String>>>,
    /// Also forge readings in the unencrypted flows whose receivers are
    /// clinical. Default false: it only listens.
    #[serde(default)]
    pub inject: bool,
    /// Forged readings per hour in each flow it injects into, while a
    /// position sees the flow. Default 1 (assumed).
    #[serde(default = "one_per_hour")]
    #[schemars(with = "f64")]
    pub spoofs_per_hour: Spanned<f64>,
    /// Probability that a forged reading harms a patient (a clinician acts
    /// on it before a bedside check catches it). Default 0.01 (assumed).
    #[serde(default = "one_in_a_hundred")]
    pub harm_per_spoof: Probability,
}

fn one_per_hour() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}

fn one_in_a_hundred() -> Probability {
    Probability::new(0.01).expect("0.01 is a probability")
}

/// Registers the `aitm` mechanism.
pub struct AitmFactory;

const READ: EventSpec = EventSpec::new(
    "traffic-read",
    "has its unencrypted traffic read by an attacker in the middle",
    "have their unencrypted traffic read by an attacker in the middle",
)
.technique("T1557");
const SPOOFED: EventSpec =
    EventSpec::new("reading-spoofed", "shows a reading the attacker forged", "show readings the attacker forged")
        .technique("T0856");
const HARMED: EventSpec = EventSpec::new(
    "false-reading-acted-on",
    "shows a forged reading that harms a patient when acted on",
    "show forged readings that harm patients when acted on",
)
.technique("T0880");
const MESSAGES: MetricSpec = MetricSpec::amount(
    "messages_read",
    "messages read in transit",
    "messages of unencrypted data flows that passed a zone where the attacker held a position",
)
.unit("messages")
.lower_is_better();
const FLOWS: MetricSpec =
    MetricSpec::count("flows_read", "data flows read", "distinct data flows of which the attacker read messages")
        .unit("flows")
        .lower_is_better();
const SPOOFS: MetricSpec = MetricSpec::count(
    "spoofed_readings",
    "forged readings delivered",
    "readings the attacker forged that reached a working clinical receiver",
)
.unit("readings")
.lower_is_better();
const OBJECTIVE: MetricSpec =
    MetricSpec::flag("objective_reached", "objective reached", "whether the attacker read any message in transit")
        .lower_is_better();

impl PluginSpec for AitmFactory {
    type Params = AitmParams;
    const KIND: &'static str = "aitm";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str =
        "adversary in the middle reading and forging unencrypted clinical data (T1557, T0856)";

    fn configure(
        p: AitmParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let follows = crate::common::resolve_follows(p.follows.as_deref(), section, scenario)
            .map_err(|mut d| problems.append(&mut d))
            .ok();
        let entry = match &p.entry_zone {
            Some(r) => match scenario.zone_ref(r) {
                Ok(z) if scenario.zones[usize::from(z.0)].external => {
                    problems.push(
                        Diagnostic::at(
                            r.span(),
                            format!("zone `{}` is outside the estate: no port to plug into", r.get_ref()),
                        )
                        .with_help("name a zone of the hospital where the attacker can reach a network port"),
                    );
                    None
                }
                Ok(z) => Some(z),
                Err(d) => {
                    problems.push(d);
                    None
                }
            },
            None => None,
        };
        let mut chosen = vec![p.flows.is_none(); scenario.data_flows.len()];
        for r in p.flows.iter().flatten() {
            match scenario.data_flow_ref(r) {
                Ok(f) => chosen[usize::from(f.0)] = true,
                Err(d) => problems.push(d),
            }
        }
        if p.flows.is_none() && scenario.data_flows.is_empty() {
            problems.push(
                Diagnostic::at(section.span(), "the scenario declares no data flow to intercept").with_help(
                    "declare what travels between devices, e.g. [[data_flows]] id = \"vitals\" from = \"patient-monitor\" to = \"central-station\" service = \"hl7\"",
                ),
            );
        }
        let rate = *p.spoofs_per_hour.get_ref();
        if !(rate.is_finite() && rate > 0.0 && rate <= 1e6) {
            problems.push(Diagnostic::at(
                p.spoofs_per_hour.span(),
                format!("spoofs_per_hour must be above 0 and at most 1,000,000, found {rate}"),
            ));
        }
        if let Some(f) = &follows
            && p.entry_zone.is_none()
            && f.iter().all(|followed| !followed)
        {
            let help = if p.follows.is_some() {
                "list attacks in `follows` whose devices it uses, or set entry_zone for a plugged-in attacker"
            } else {
                "add an attack that compromises devices, or set entry_zone for a plugged-in attacker"
            };
            problems.push(
                Diagnostic::at(
                    section.span(),
                    "the attacker has no position: it follows no attack and has no entry_zone",
                )
                .with_help(help),
            );
        }
        let Some(follows) = follows else { return Err(problems) };
        if !problems.is_empty() {
            return Err(problems);
        }
        let plan = Plan::new(scenario, &p, follows, entry, &chosen, rate);
        Ok(Box::new(Aitm { plan: Arc::new(plan) }))
    }
}

/// What a position sees of one unencrypted flow, per zone.
struct FlowView {
    /// The flow's key part (a hash of its id), for draws about it.
    key: u64,
    /// Forged readings go into it.
    spoofable: bool,
    /// Per zone: messages per hour a position there reads.
    rate: Vec<f64>,
    /// Per zone: the devices whose traffic of this flow a position there
    /// reads (senders there, receivers there that get messages).
    ends: Vec<Vec<DeviceIndex>>,
    /// Per zone: the zones whose receivers get messages that pass through it.
    delivers_to: Vec<Vec<ZoneId>>,
    /// Per zone: the flow's receiving devices in it.
    receivers: Vec<Vec<DeviceIndex>>,
}

struct Plan {
    follows: Vec<bool>,
    entry: Option<ZoneId>,
    spoofs_per_hour: f64,
    harm: f64,
    /// The unencrypted flows it goes after (encrypted ones yield nothing).
    flows: Vec<FlowView>,
}

impl Plan {
    fn new(
        s: &Scenario,
        p: &AitmParams,
        follows: Vec<bool>,
        entry: Option<ZoneId>,
        chosen: &[bool],
        spoofs_per_hour: f64,
    ) -> Self {
        let zones = s.zones.len();
        // A zone whose hosts may not talk to each other gives no position.
        let adjacent: Vec<bool> = s.zones.iter().map(|z| z.intra != ServiceSet::NONE).collect();
        let flows = s
            .data_flows
            .iter()
            .zip(chosen)
            .filter(|(f, chosen)| **chosen && !f.encrypted)
            .map(|(f, _)| {
                let mut senders = vec![Vec::new(); zones];
                let mut receivers = vec![Vec::new(); zones];
                for (i, d) in s.devices.iter().enumerate() {
                    if d.device_type == f.from {
                        senders[usize::from(d.zone.0)].push(i as DeviceIndex);
                    }
                    if d.device_type == f.to {
                        receivers[usize::from(d.zone.0)].push(i as DeviceIndex);
                    }
                }
                let mut view = FlowView {
                    key: name_hash(&f.id),
                    spoofable: p.inject && s.device_types[usize::from(f.to.0)].criticality.is_critical(),
                    rate: vec![0.0; zones],
                    ends: vec![Vec::new(); zones],
                    delivers_to: vec![Vec::new(); zones],
                    receivers: receivers.clone(),
                };
                let mut gets_messages = vec![false; zones];
                for src in (0..zones).filter(|&z| !senders[z].is_empty()) {
                    let reached: Vec<ZoneId> = s
                        .network
                        .reachable_zones(ZoneId(src as u16), f.service)
                        .into_iter()
                        .filter(|z| !receivers[usize::from(z.0)].is_empty())
                        .collect();
                    let total: usize = reached.iter().map(|z| receivers[usize::from(z.0)].len()).sum();
                    if total == 0 {
                        continue; // its senders reach no receiver: nothing is sent
                    }
                    let sent = senders[src].len() as f64 * f.messages_per_hour;
                    if adjacent[src] {
                        view.rate[src] += sent;
                        view.ends[src].extend_from_slice(&senders[src]);
                        view.delivers_to[src].extend(reached.iter().copied());
                    }
                    for &z in &reached {
                        let zi = usize::from(z.0);
                        gets_messages[zi] = true;
                        if zi != src && adjacent[zi] {
                            view.rate[zi] += sent * receivers[zi].len() as f64 / total as f64;
                            view.delivers_to[zi].push(z);
                        }
                    }
                }
                for z in 0..zones {
                    if gets_messages[z] && adjacent[z] {
                        view.ends[z].extend_from_slice(&receivers[z]);
                    }
                    view.delivers_to[z].sort();
                    view.delivers_to[z].dedup();
                }
                view
            })
            .collect();
        Plan { follows, entry, spoofs_per_hour, harm: p.harm_per_spoof.get(), flows }
    }
}

struct Aitm {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    spoof: HandlerId,
    read: EventKindId,
    spoofed: EventKindId,
    harmed: EventKindId,
    messages: MetricId,
    flows: MetricId,
    spoofs: MetricId,
    objective: MetricId,
}

/// The clock of the forged readings in one flow: it runs while at least
/// one position sees the flow.
#[derive(Clone, Copy, Default)]
struct SpoofClock {
    /// Positions that see the flow now.
    watching: u32,
    /// Hours watched before `since`.
    watched_h: f64,
    /// Since when it has been watched without a break.
    since: Option<SimTime>,
    /// Watched hours at which the next forged reading comes.
    due_h: f64,
    /// Forged readings so far.
    n: u64,
    /// Bumped when the clock stops, so a pending reading goes stale.
    generation: u64,
}

/// One instance's trial: its positions, what it has read, its spoof clocks.
struct Listener {
    plan: Arc<Plan>,
    ids: Ids,
    /// Per zone: devices (and plugged-in ports) held there now.
    held: Vec<u32>,
    /// Per zone: since when it has been held.
    since: Vec<Option<SimTime>>,
    /// Per device: it gives a position now.
    foothold: Vec<bool>,
    /// Per device: its traffic was reported read.
    reported: Vec<bool>,
    /// Per flow: some of its messages were read.
    read: Vec<bool>,
    clocks: Vec<SpoofClock>,
    /// Its own device is plugged into the entry zone.
    plugged: bool,
}

impl Plugin for Aitm {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            spoof: b.handler("aitm.spoof", spoof),
            read: b.event(READ),
            spoofed: b.event(SPOOFED),
            harmed: b.event(HARMED),
            messages: b.metric(MESSAGES),
            flows: b.metric(FLOWS),
            spoofs: b.metric(SPOOFS),
            objective: b.metric(OBJECTIVE),
        };
        let follow = b.handler("aitm.follow", follow);
        b.on_transition(Transition::Compromised, follow);
        let lost = b.handler("aitm.lost", lost);
        b.on_transition(Transition::Isolated, lost);
        b.on_transition(Transition::Restored, lost);
        if self.plan.entry.is_some() {
            // Only a plugged-in attacker starts on its own; otherwise it
            // answers the attacks it follows.
            let plug_in = b.handler("aitm.plug_in", plug_in);
            b.on_arrival(plug_in);
        }
        let end = b.handler("aitm.end", end);
        b.story(
            "read {messages_read} messages of {flows_read} unencrypted data {flows_read|flow|flows} and \
             forged {spoofed_readings} {spoofed_readings|reading|readings}",
        );
        b.init_resource::<Instances<Listener>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut sim: Sim, mut listeners: ResMut<Instances<Listener>>| {
            let zones = sim.scenario().zones.len();
            let devices = sim.device_count() as usize;
            let key = sim.key(me);
            let clocks = plan
                .flows
                .iter()
                .map(|f| SpoofClock { due_h: gap_h(&plan, key, f.key, 1), ..SpoofClock::default() })
                .collect();
            listeners.insert(
                me,
                Listener {
                    plan: plan.clone(),
                    ids,
                    held: vec![0; zones],
                    since: vec![None; zones],
                    foothold: vec![false; devices],
                    reported: vec![false; devices],
                    read: vec![false; plan.flows.len()],
                    clocks,
                    plugged: false,
                },
            );
            let horizon = sim.horizon();
            sim.schedule_at(horizon, end, 0, 0).expect("the horizon is not in the past");
        });
    }
}

/// The watched hours between forged reading `n - 1` and `n` of the flow
/// keyed `flow`.
fn gap_h(plan: &Plan, key: Key, flow: u64, n: u64) -> f64 {
    key.named("spoof-gap").with(flow).with(n).exp1() / plan.spoofs_per_hour
}

fn hours(h: f64) -> SimDuration {
    SimDuration::from_secs_f64(h * 3600.0)
}

impl Listener {
    /// One more device or port held in zone `z`.
    fn gain(&mut self, sim: &mut Sim, z: ZoneId) {
        let zi = usize::from(z.0);
        self.held[zi] += 1;
        if self.held[zi] > 1 {
            return;
        }
        self.since[zi] = Some(sim.now());
        let plan = self.plan.clone();
        for (f, view) in plan.flows.iter().enumerate() {
            if view.rate[zi] <= 0.0 {
                continue;
            }
            for &d in &view.ends[zi] {
                if !std::mem::replace(&mut self.reported[d as usize], true) {
                    sim.record(d, self.ids.read);
                }
            }
            if view.spoofable && !view.delivers_to[zi].is_empty() {
                let c = &mut self.clocks[f];
                c.watching += 1;
                if c.watching == 1 {
                    c.since = Some(sim.now());
                    let wait = (c.due_h - c.watched_h).max(0.0);
                    sim.schedule_in(hours(wait), self.ids.spoof, f as u32, c.generation);
                }
            }
        }
    }

    /// One device or port fewer held in zone `z`: when it was the last, the
    /// messages read from there are counted.
    fn lose(&mut self, sim: &mut Sim, z: ZoneId) {
        let zi = usize::from(z.0);
        if self.held[zi] == 0 {
            return;
        }
        self.held[zi] -= 1;
        if self.held[zi] > 0 {
            return;
        }
        let Some(since) = self.since[zi].take() else { return };
        let held_h = (sim.now() - since).as_hours_f64();
        let plan = self.plan.clone();
        for (f, view) in plan.flows.iter().enumerate() {
            let messages = view.rate[zi] * held_h;
            if messages > 0.0 {
                sim.add_amount(self.ids.messages, messages);
                sim.raise(self.ids.objective);
                if !std::mem::replace(&mut self.read[f], true) {
                    sim.add(self.ids.flows, 1);
                }
            }
            if view.rate[zi] > 0.0 && view.spoofable && !view.delivers_to[zi].is_empty() {
                let c = &mut self.clocks[f];
                c.watching -= 1;
                if c.watching == 0 {
                    if let Some(from) = c.since.take() {
                        c.watched_h += (sim.now() - from).as_hours_f64();
                    }
                    c.generation += 1;
                }
            }
        }
    }
}

/// A followed attack took a device: its zone is a position while it holds it.
fn follow(In(e): In<Event>, mut sim: Sim, mut listeners: ResMut<Instances<Listener>>) {
    let l = listeners.get_mut(e.instance);
    if !crate::common::caused_by_followed(&sim, e.tag, &l.plan.follows) || l.foothold[e.target as usize] {
        return;
    }
    l.foothold[e.target as usize] = true;
    let zone = sim.device(e.target).zone;
    l.gain(&mut sim, zone);
}

/// A device was isolated or rebuilt: if it gave a position, the position
/// goes with it.
fn lost(In(e): In<Event>, mut sim: Sim, mut listeners: ResMut<Instances<Listener>>) {
    let l = listeners.get_mut(e.instance);
    let s = sim.state(e.target);
    if l.foothold[e.target as usize] && (s.isolated || !s.compromised) {
        l.foothold[e.target as usize] = false;
        let zone = sim.device(e.target).zone;
        l.lose(&mut sim, zone);
    }
}

/// The attack arrives: its own device goes live in the entry zone. A later
/// arrival finds it still there, and changes nothing.
fn plug_in(In(e): In<Event>, mut sim: Sim, mut listeners: ResMut<Instances<Listener>>) {
    let l = listeners.get_mut(e.instance);
    if let Some(z) = l.plan.entry
        && !std::mem::replace(&mut l.plugged, true)
    {
        l.gain(&mut sim, z);
    }
}

/// The trial ends: every position still held is counted.
fn end(In(e): In<Event>, mut sim: Sim, mut listeners: ResMut<Instances<Listener>>) {
    let l = listeners.get_mut(e.instance);
    for z in 0..l.held.len() {
        if l.held[z] > 0 {
            l.held[z] = 1;
            l.lose(&mut sim, ZoneId(z as u16));
        }
    }
}

/// The next forged reading of a flow: it lands on a working receiver that
/// a position's traffic reaches, and may harm a patient.
fn spoof(In(e): In<Event>, mut sim: Sim, mut listeners: ResMut<Instances<Listener>>) {
    let l = listeners.get_mut(e.instance);
    let f = e.target as usize;
    let plan = l.plan.clone();
    let view = &plan.flows[f];
    let key = sim.key(e.instance);
    let c = &mut l.clocks[f];
    if c.generation != e.tag || c.watching == 0 {
        return; // the position was lost since this was scheduled
    }
    c.n += 1;
    c.watched_h = c.due_h;
    c.since = Some(sim.now());
    let n = c.n;
    let gap = gap_h(&plan, key, view.key, n + 1);
    c.due_h += gap;
    sim.schedule_in(hours(gap), l.ids.spoof, e.target, c.generation);
    let mut zones: Vec<ZoneId> = (0..l.held.len())
        .filter(|&z| l.held[z] > 0 && view.rate[z] > 0.0)
        .flat_map(|z| view.delivers_to[z].iter().copied())
        .collect();
    zones.sort();
    zones.dedup();
    let candidates: Vec<DeviceIndex> = zones
        .iter()
        .flat_map(|z| view.receivers[usize::from(z.0)].iter().copied())
        .filter(|&d| !sim.state(d).unavailable())
        .collect();
    let draw = key.named("spoof").with(view.key).with(n);
    let Some(&target) = crate::common::first_by_key(&sim, draw.named("target"), candidates, 1).first() else {
        return; // no working receiver shows it
    };
    sim.record(target, l.ids.spoofed);
    sim.add(l.ids.spoofs, 1);
    if draw.named("harm").bernoulli(plan.harm) {
        sim.safety_event(target, l.ids.harmed);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::TrialResult;

    /// A ward of 20 monitors sending vitals to 2 central stations over HL7
    /// at 60 an hour, and 5 workstations, one taken at the start by an
    /// intruder that spreads no further. Ten hours long.
    fn ward(encrypted: bool, aitm: &str, extra: &str) -> String {
        format!(
            r#"
            name = "telemetry"
            duration = "10h"
            zones = [{{ id = "ward" }}, {{ id = "office" }}, {{ id = "internet", external = true }}]
            vulnerabilities = [{{ id = "none", service = "smb" }}]
            device_types = [
              {{ id = "monitor", services = ["hl7"], criticality = "life-critical" }},
              {{ id = "station", services = ["hl7"], criticality = "high" }},
              {{ id = "workstation", services = ["smb"] }},
            ]
            placement = [
              {{ zone = "ward", device_type = "monitor", count = 20 }},
              {{ zone = "ward", device_type = "station", count = 2 }},
              {{ zone = "ward", device_type = "workstation", count = 5 }},
              {{ zone = "office", device_type = "workstation", count = 5 }},
            ]
            [[data_flows]]
            id = "vitals"
            from = "monitor"
            to = "station"
            service = "hl7"
            encrypted = {encrypted}
            messages_per_hour = 60
            [attacks.intruder]
            kind = "worm"
            exploit = "none"
            scans_per_hour = 1.0
            entry_zone = "ward"
            entry_devices = 1
            entry_device_type = "workstation"
            [attacks.aitm]
            {aitm}
            {extra}
            "#
        )
    }

    fn metric(text: &str, results: &[TrialResult], column: &str) -> Vec<f64> {
        let m = engine(text).model().metric(column).expect("declared");
        results.iter().map(|r| r.outcome.get(m).as_f64().unwrap_or(0.0)).collect()
    }

    fn safety(results: &[TrialResult]) -> Vec<f64> {
        results.iter().map(|r| r.outcome.core().safety_events as f64).collect()
    }

    #[test]
    fn unencrypted_telemetry_is_read_for_as_long_as_the_position_is_held() {
        let text = ward(false, "", "");
        let results = run(&text, 5, true);
        // 20 monitors × 60 messages an hour × 10 hours.
        assert!(metric(&text, &results, "aitm.messages_read").iter().all(|&m| (m - 12_000.0).abs() < 1e-6));
        assert!(metric(&text, &results, "aitm.flows_read").iter().all(|&n| n == 1.0));
        assert!(metric(&text, &results, "aitm.objective_reached").iter().all(|&f| f == 1.0));
        // 20 monitors and 2 stations have their traffic read, once each.
        assert!(results.iter().all(|r| r.events.iter().filter(|e| e.transition.is_none()).count() == 22));
        assert!(metric(&text, &results, "aitm.spoofed_readings").iter().all(|&n| n == 0.0), "listens only");
        // Monitoring and a response cut the position at two hours.
        let respond = "[defences.monitoring]\ntime_to_detect = \"2h\"\n\
                       [defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"100d\"";
        let cut = ward(false, "", respond);
        assert!(metric(&cut, &run(&cut, 5, false), "aitm.messages_read").iter().all(|&m| (m - 2_400.0).abs() < 1e-6));
    }

    #[test]
    fn encrypted_flows_yield_nothing() {
        let text = ward(true, "inject = true\nspoofs_per_hour = 10.0\nharm_per_spoof = 1.0", "");
        let results = run(&text, 10, true);
        for column in ["aitm.messages_read", "aitm.flows_read", "aitm.spoofed_readings", "aitm.objective_reached"] {
            assert!(metric(&text, &results, column).iter().all(|&x| x == 0.0), "{column}");
        }
        assert!(safety(&results).iter().all(|&s| s == 0.0));
        assert!(results.iter().all(|r| r.events.iter().all(|e| e.transition.is_some())), "no traffic read, no spoof");
    }

    #[test]
    fn forged_readings_come_at_their_rate_and_harm_at_theirs() {
        let trials = 100;
        let harmful = ward(false, "inject = true\nspoofs_per_hour = 3.0\nharm_per_spoof = 0.5", "");
        let harmless = ward(false, "inject = true\nspoofs_per_hour = 3.0\nharm_per_spoof = 0.0", "");
        let (rh, rn) = (run(&harmful, trials, false), run(&harmless, trials, false));
        let spoofs = metric(&harmful, &rh, "aitm.spoofed_readings");
        // The same forged readings, at the same moments, whatever the harm.
        assert_eq!(spoofs, metric(&harmless, &rn, "aitm.spoofed_readings"));
        let (m, h) = mean_ci(&spoofs);
        assert!((m - 30.0).abs() < h + 0.5, "3 an hour for 10 hours: {m:.1} ± {h:.1}");
        let (s, sh) = mean_ci(&safety(&rh));
        assert!((s - m / 2.0).abs() < sh + 0.5, "half of them harm: {s:.1} ± {sh:.1} of {m:.1}");
        assert!(safety(&rn).iter().all(|&s| s == 0.0));
        // Readings forged into a flow whose receivers are not clinical: none.
        let clerical = harmful.replace("criticality = \"high\"", "criticality = \"low\"");
        assert!(metric(&clerical, &run(&clerical, 10, false), "aitm.spoofed_readings").iter().all(|&n| n == 0.0));
    }

    #[test]
    fn a_position_at_either_end_reads_the_flow_and_elsewhere_nothing() {
        // Monitors in the ward send to stations in the office over a
        // conduit; the intruder's workstation sits in the office.
        let split = |entry: &str| {
            ward(false, "", "")
                .replace(
                    "{ zone = \"ward\", device_type = \"station\", count = 2 }",
                    "{ zone = \"office\", device_type = \"station\", count = 2 }",
                )
                .replace(
                    "[[data_flows]]",
                    "conduits = [{ from = \"ward\", to = \"office\", services = [\"hl7\"] }]\n[[data_flows]]",
                )
                .replace("entry_zone = \"ward\"", &format!("entry_zone = \"{entry}\""))
        };
        for entry in ["ward", "office"] {
            let text = split(entry);
            assert!(
                metric(&text, &run(&text, 3, false), "aitm.messages_read").iter().all(|&m| (m - 12_000.0).abs() < 1e-6),
                "from the {entry}"
            );
        }
        // Without the conduit the monitors reach no station: nothing is sent.
        let cut = split("office")
            .replace("services = [\"hl7\"] }]\n[[data_flows]]", "services = [\"https\"] }]\n[[data_flows]]");
        assert!(metric(&cut, &run(&cut, 3, false), "aitm.messages_read").iter().all(|&m| m == 0.0));
        // Hosts isolated from each other give no position in the ward, though
        // its monitors still send to the office.
        let isolated = split("ward").replace("{ id = \"ward\" }", "{ id = \"ward\", intra_zone = [] }");
        assert!(metric(&isolated, &run(&isolated, 3, false), "aitm.messages_read").iter().all(|&m| m == 0.0));
    }

    #[test]
    fn a_plugged_in_attacker_reads_from_when_it_plugs_in() {
        let text = ward(false, "follows = []\nentry_zone = \"ward\"\nstart = \"5h\"", "");
        assert!(metric(&text, &run(&text, 3, false), "aitm.messages_read").iter().all(|&m| (m - 6_000.0).abs() < 1e-6));
    }

    #[test]
    fn the_teaching_scenario_reaches_its_objective() {
        let text = include_str!("../../../scenarios/threats/aitm.toml");
        let results = run(text, 100, false);
        let reached = metric(text, &results, "eavesdropper.objective_reached");
        let share = reached.iter().sum::<f64>() / reached.len() as f64;
        assert!(share > 0.2, "objective reached in {:.0}% of trials", share * 100.0);
        assert!(metric(text, &results, "eavesdropper.spoofed_readings").iter().any(|&n| n > 0.0));
    }

    #[test]
    fn bad_references_are_reported() {
        let err = load_error(&ward(false, "flows = [\"vitalz\"]", ""));
        assert!(err.contains("unknown data flow `vitalz`"), "{err}");
        let err = load_error(&ward(false, "follows = []\nentry_zone = \"internet\"", ""));
        assert!(err.contains("zone `internet` is outside the estate"), "{err}");
        let err = load_error(&ward(false, "follows = []", ""));
        assert!(err.contains("the attacker has no position"), "{err}");
        // Without a port of its own it only answers the attacks it follows.
        let err = load_error(&ward(false, "start = \"1h\"", ""));
        assert!(err.contains("answers other attacks and has no arrival of its own"), "{err}");
    }
}
