//! Patient records stolen from the devices an intrusion holds: collected
//! from each device's own storage (ATT&CK T1005), then sent out over the
//! attackers' command-and-control channel (T1041), as MedJack's backdoors
//! sent what they took out over port 443 [S11], or, with `channel =
//! "web_service"`, uploaded to a legitimate cloud-storage service (T1567).
//! The channel decides what monitoring can see: a detector that watches
//! for command-and-control traffic (`techniques = { T1041 = … }`) sees the
//! first kind of transfer and detects the device that sent it; an upload
//! to a service the hospital's own staff use passes it by.
//!
//! It follows the attacks it is told to follow. When one of them takes a
//! device whose type holds patient records, the records are collected and
//! staged after `collect_after`, then leave at `records_per_hour`: a
//! device's transfer takes its records ÷ that rate. Isolating or rebuilding
//! the device (or the device relaying the transfer) before it ends cuts it
//! short, and only the share that had left counts, as does the share that
//! had left when the trial ends.
//!
//! Records need a way out. A device sends them straight out if its zone
//! reaches an external zone on `egress_service`; otherwise through a relay:
//! a device the followed attacks hold, neither isolated nor rebuilt since,
//! in a zone that reaches an external zone on that service and that the
//! device's zone reaches on it too (one hop, like every reach in the
//! network). With neither, the records stay staged until the attack takes
//! such a relay, and leave nothing if it never does.
//!
//! Records encrypted at rest (MDS2 STCF) leave as ciphertext that exposes
//! nobody, unless the attackers hold the keys: the credentials of an
//! administrator or domain-administrator group that logs in to the
//! device's zone over a service the device listens on (see [`keys_taken`]).
//! Whether they do is decided when the copy leaves. Readable records go
//! through [`Sim::exfiltrate`], which keeps the estate's
//! `records_exfiltrated` and its HIPAA and GDPR breach flags.
//!
//! A record leaves at most once: a device taken again after a rebuild sends
//! only what had not left before.

use std::collections::BTreeMap;
use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::{ServiceId, ServiceSet, Staff, StaffId, StaffRole};
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "exfiltration"`: records taken from the
/// devices other attacks hold.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExfiltrationParams {
    /// Ids of the attacks whose compromises it follows. Absent: every other
    /// attack of the scenario.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub follows: Option<Vec<Spanned<String>>>,
    /// Time from a device's compromise to its records collected and staged
    /// for sending (finding them, packing them).
    pub collect_after: Distribution,
    /// Records one device sends out per hour: its transfer takes its
    /// records ÷ this. Default 10,000 (assumed: a low and slow transfer of
    /// records of a few kilobytes each, well under a megabit a second).
    #[serde(default = "default_rate")]
    #[schemars(with = "f64")]
    pub records_per_hour: Spanned<f64>,
    /// The service records leave over. Default `https`: MedJack's backdoors
    /// sent data out over port 443 [S11].
    #[serde(default = "default_service")]
    #[schemars(with = "String")]
    pub egress_service: Spanned<String>,
    /// Readable records sent out for the attack to reach its objective.
    /// Default 500: the breach size at which HIPAA requires notice to HHS
    /// and the media [S23].
    #[serde(default = "default_objective")]
    #[schemars(with = "u64")]
    pub objective_records: Spanned<u64>,
    /// How the records leave: `c2` over the attackers' command-and-control
    /// channel (T1041, the default), or `web_service`, uploaded to a
    /// legitimate cloud-storage service (T1567), which a detector watching
    /// for command-and-control traffic does not see.
    #[serde(default)]
    pub channel: Channel,
}

/// The channel records leave by.
#[derive(Deserialize, schemars::JsonSchema, Clone, Copy, Default, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The attackers' command-and-control channel (T1041).
    #[default]
    C2,
    /// A legitimate web service such as cloud storage (T1567).
    WebService,
}

fn default_rate() -> Spanned<f64> {
    Spanned::new(0..0, 10_000.0)
}

fn default_service() -> Spanned<String> {
    Spanned::new(0..0, "https".to_owned())
}

fn default_objective() -> Spanned<u64> {
    Spanned::new(0..0, 500)
}

/// The highest rate accepted: records by the billion an hour are already
/// instantaneous at the engine's microsecond resolution.
const MAX_RATE: f64 = 1e12;

/// Registers the `exfiltration` mechanism.
pub struct ExfiltrationFactory;

const COLLECTED: EventSpec = EventSpec::new(
    "records-collected",
    "has its patient records collected and staged for sending",
    "have their patient records collected and staged for sending",
)
.technique("T1005");
const NO_WAY_OUT: EventSpec = EventSpec::new(
    "no-egress",
    "holds staged records with no way out of the network",
    "hold staged records with no way out of the network",
);
const SENT: EventSpec = EventSpec::new(
    "records-sent",
    "has all its patient records sent out to the attackers",
    "have all their patient records sent out to the attackers",
)
.technique("T1041");
const PART_SENT: EventSpec = EventSpec::new(
    "records-part-sent",
    "is cut off with part of its patient records already sent out",
    "are cut off with part of their patient records already sent out",
)
.technique("T1041");
const NOTHING_SENT: EventSpec = EventSpec::new(
    "transfer-stopped",
    "is cut off before any of its patient records left",
    "are cut off before any of their patient records left",
);
const CIPHERTEXT: EventSpec = EventSpec::new(
    "ciphertext-sent",
    "has its encrypted files copied out, which the attackers cannot read without the keys",
    "have their encrypted files copied out, which the attackers cannot read without the keys",
)
.technique("T1041");
const SENT_WEB: EventSpec = EventSpec::new(
    "records-uploaded",
    "has all its patient records uploaded to a cloud-storage service the attackers use",
    "have all their patient records uploaded to a cloud-storage service the attackers use",
)
.technique("T1567");
const PART_SENT_WEB: EventSpec = EventSpec::new(
    "records-part-uploaded",
    "is cut off with part of its patient records already uploaded",
    "are cut off with part of their patient records already uploaded",
)
.technique("T1567");
const CIPHERTEXT_WEB: EventSpec = EventSpec::new(
    "ciphertext-uploaded",
    "has its encrypted files uploaded, which the attackers cannot read without the keys",
    "have their encrypted files uploaded, which the attackers cannot read without the keys",
)
.technique("T1567");
const RECORDS: MetricSpec = MetricSpec::count(
    "records_taken",
    "readable patient records taken",
    "patient records this attack sent out readable (its share of records_exfiltrated)",
)
.unit("records")
.lower_is_better();
const DEVICES: MetricSpec = MetricSpec::count(
    "devices_exposed",
    "devices whose records were taken",
    "distinct devices from which this attack sent out readable records, in full or in part",
)
.unit("devices")
.lower_is_better();
const UNREADABLE: MetricSpec = MetricSpec::count(
    "records_unreadable",
    "encrypted records copied without their keys",
    "patient records encrypted at rest that this attack copied out without the keys: taken, but exposing nobody",
)
.unit("records");
const OBJECTIVE: MetricSpec = MetricSpec::flag(
    "objective_reached",
    "objective reached",
    "at least objective_records readable patient records sent out (default 500, HIPAA's threshold for notifying HHS and the media)",
);

impl PluginSpec for ExfiltrationFactory {
    type Params = ExfiltrationParams;
    const KIND: &'static str = "exfiltration";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "patient records collected from held devices (T1005) and sent out over the attackers' channel (T1041) or a web service (T1567)";

    fn configure(
        p: ExfiltrationParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let follows = crate::common::resolve_follows(p.follows.as_deref(), section, scenario)
            .map_err(|d| problems.extend(d))
            .unwrap_or_default();
        let rate = *p.records_per_hour.get_ref();
        if !(rate.is_finite() && rate > 0.0 && rate <= MAX_RATE) {
            problems.push(Diagnostic::at(
                p.records_per_hour.span(),
                format!("records_per_hour must be above 0 and at most {MAX_RATE:e}, found {rate}"),
            ));
        }
        let service = scenario.service_id(p.egress_service.get_ref());
        if service.is_none() {
            let known: Vec<&str> = scenario.services.iter().map(|s| s.id.as_str()).collect();
            problems.push(
                Diagnostic::at(p.egress_service.span(), format!("unknown service `{}`", p.egress_service.get_ref()))
                    .with_help(format!("the services of this scenario are: {}", known.join(", "))),
            );
        }
        if *p.objective_records.get_ref() == 0 {
            problems.push(
                Diagnostic::at(p.objective_records.span(), "objective_records must be at least 1")
                    .with_help("the objective is reached once this many readable records have left"),
            );
        }
        if !scenario.zones.iter().any(|z| z.external) {
            problems.push(
                Diagnostic::at(section.span(), "records have nowhere to go: the scenario has no external zone")
                    .with_help("add a zone with `external = true` (the internet) and a conduit to it"),
            );
        }
        let Some(service) = service else { return Err(problems) };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Exfiltration {
            plan: Arc::new(Plan::new(
                scenario,
                follows,
                p.collect_after,
                rate,
                service,
                *p.objective_records.get_ref(),
            )),
            channel: p.channel,
        }))
    }
}

/// What every trial shares: the parameters and the ways out.
struct Plan {
    follows: Vec<bool>,
    collect_after: Distribution,
    records_per_hour: f64,
    objective: u64,
    /// Per zone: whether its hosts reach an external zone on the egress service.
    direct: Vec<bool>,
    /// Per zone A, per zone B: whether A's hosts reach B's on the egress
    /// service and B's reach an external zone (B can relay A's records).
    relays: Vec<Vec<bool>>,
}

impl Plan {
    fn new(
        s: &Scenario,
        follows: Vec<bool>,
        collect_after: Distribution,
        records_per_hour: f64,
        service: ServiceId,
        objective: u64,
    ) -> Self {
        let zones = s.zones.len();
        let external: Vec<ZoneId> = (0..zones).filter(|&z| s.zones[z].external).map(|z| ZoneId(z as u16)).collect();
        let direct: Vec<bool> =
            (0..zones).map(|z| external.iter().any(|&e| s.network.reaches(ZoneId(z as u16), e, service))).collect();
        let relays = (0..zones)
            .map(|a| {
                (0..zones)
                    .map(|b| direct[b] && s.network.reaches(ZoneId(a as u16), ZoneId(b as u16), service))
                    .collect()
            })
            .collect();
        Plan { follows, collect_after, records_per_hour, objective, direct, relays }
    }

    /// How long `records` take to leave.
    fn transfer_time(&self, records: u64) -> SimDuration {
        SimDuration::from_secs_f64(records as f64 / self.records_per_hour * 3600.0)
    }
}

/// Whether the attackers hold the keys to records encrypted at rest on a
/// device of `zone` listening on `listens`: they hold at least one
/// credential (`held`) of an administrator or domain-administrator group
/// that logs in to hosts of that zone over a service the device listens
/// on. Such an account can log in to the device and read its keys (or the
/// decrypted records); a clinical, vendor or service account is assumed
/// not to reach the key store.
pub fn keys_taken(staff: &[Staff], held: impl Fn(StaffId) -> u32, zone: ZoneId, listens: ServiceSet) -> bool {
    staff.iter().enumerate().any(|(i, g)| {
        matches!(g.role, StaffRole::Administrator | StaffRole::DomainAdministrator)
            && held(StaffId(i as u16)) > 0
            && (0..64u8).map(ServiceId).any(|s| listens.contains(s) && g.can_log_in(zone, s))
    })
}

struct Exfiltration {
    plan: Arc<Plan>,
    channel: Channel,
}

#[derive(Clone, Copy)]
struct Ids {
    collect: HandlerId,
    finish: HandlerId,
    close: HandlerId,
    collected: EventKindId,
    no_way_out: EventKindId,
    sent: EventKindId,
    part_sent: EventKindId,
    nothing_sent: EventKindId,
    ciphertext: EventKindId,
    records: MetricId,
    devices: MetricId,
    unreadable: MetricId,
    objective: MetricId,
}

/// A transfer under way from one device.
#[derive(Clone, Copy)]
struct Transfer {
    /// Its number, so that a finish scheduled for an earlier transfer is stale.
    id: u64,
    start: SimTime,
    duration: SimDuration,
    records: u64,
    /// The device it goes through, if not straight out.
    relay: Option<DeviceIndex>,
}

/// One trial's theft by one instance.
struct Theft {
    plan: Arc<Plan>,
    ids: Ids,
    /// Per device: the epoch at which a followed attack took it last.
    held: Vec<Option<u32>>,
    /// The devices `held` names, each once.
    holdings: Vec<DeviceIndex>,
    /// Per device: records that have left it (readable or not).
    out: Vec<u64>,
    /// Per device: whether readable records have left it.
    exposed: Vec<bool>,
    /// Per device: transfers relayed through it now.
    relaying: Vec<u32>,
    /// Transfers under way, by sending device.
    transfers: BTreeMap<DeviceIndex, Transfer>,
    /// Devices whose staged records wait for a way out, with their epoch.
    waiting: BTreeMap<DeviceIndex, u32>,
    next_id: u64,
    taken: u64,
}

impl Plugin for Exfiltration {
    fn build(&self, b: &mut SimBuilder) {
        let web = self.channel == Channel::WebService;
        let ids = Ids {
            collect: b.handler("exfiltration.collect", collect),
            finish: b.handler("exfiltration.finish", finish),
            close: b.handler("exfiltration.close", close),
            collected: b.event(COLLECTED),
            no_way_out: b.event(NO_WAY_OUT),
            sent: b.event(if web { SENT_WEB } else { SENT }),
            part_sent: b.event(if web { PART_SENT_WEB } else { PART_SENT }),
            nothing_sent: b.event(NOTHING_SENT),
            ciphertext: b.event(if web { CIPHERTEXT_WEB } else { CIPHERTEXT }),
            records: b.metric(RECORDS),
            devices: b.metric(DEVICES),
            unreadable: b.metric(UNREADABLE),
            objective: b.metric(OBJECTIVE),
        };
        let follow = b.handler("exfiltration.follow", follow);
        b.on_transition(Transition::Compromised, follow);
        let cut = b.handler("exfiltration.cut", cut);
        b.on_transition(Transition::Isolated, cut);
        b.on_transition(Transition::Restored, cut);
        b.story(
            "sent out {records_taken} readable patient {records_taken|record|records} from {devices_exposed} \
             {devices_exposed|device|devices}, and {records_unreadable} encrypted \
             {records_unreadable|record|records} it cannot read",
        );
        b.init_resource::<Instances<Theft>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut sim: Sim, mut thefts: ResMut<Instances<Theft>>| {
            let n = sim.device_count() as usize;
            thefts.insert(
                me,
                Theft {
                    plan: plan.clone(),
                    ids,
                    held: vec![None; n],
                    holdings: Vec::new(),
                    out: vec![0; n],
                    exposed: vec![false; n],
                    relaying: vec![0; n],
                    transfers: BTreeMap::new(),
                    waiting: BTreeMap::new(),
                    next_id: 0,
                    taken: 0,
                },
            );
            // What is on its way out when the trial ends counts its share.
            let end = sim.horizon();
            sim.schedule_at(end, ids.close, 0, 0).expect("the trial has not started");
        });
    }
}

/// The patient records device `d` holds.
fn records_on(sim: &Sim, d: DeviceIndex) -> u64 {
    sim.scenario().device_types[usize::from(sim.device(d).device_type.0)].patient_records
}

impl Theft {
    /// Whether the attack still holds `d` as a followed attack took it, and
    /// it is on the network.
    fn holds(&self, sim: &Sim, d: DeviceIndex) -> bool {
        let s = sim.state(d);
        self.held[d as usize] == Some(s.epoch) && s.compromised && !s.isolated
    }

    /// Starts sending `d`'s records that have not left yet, straight out or
    /// through a relay; with no way out, they wait. `cause` keys the choice
    /// of relay.
    fn try_send(&mut self, sim: &mut Sim, instance: InstanceId, d: DeviceIndex, cause: Key) {
        let s = sim.state(d);
        let remaining = records_on(sim, d).saturating_sub(self.out[d as usize]);
        if remaining == 0 || !s.compromised || s.isolated || self.transfers.contains_key(&d) {
            return;
        }
        let zone = usize::from(sim.device(d).zone.0);
        let relay = if self.plan.direct[zone] {
            None
        } else {
            let candidates: Vec<DeviceIndex> = self
                .holdings
                .iter()
                .copied()
                .filter(|&h| h != d && self.plan.relays[zone][usize::from(sim.device(h).zone.0)] && self.holds(sim, h))
                .collect();
            let key = sim.key(instance).named("relay").and(cause);
            match crate::common::first_by_key(sim, key, candidates, 1).first() {
                Some(&h) => Some(h),
                None => {
                    if self.waiting.insert(d, s.epoch).is_none() {
                        sim.record(d, self.ids.no_way_out);
                    }
                    return;
                }
            }
        };
        self.waiting.remove(&d);
        let id = self.next_id;
        self.next_id += 1;
        let duration = self.plan.transfer_time(remaining);
        if let Some(h) = relay {
            self.relaying[h as usize] += 1;
        }
        self.transfers.insert(d, Transfer { id, start: sim.now(), duration, records: remaining, relay });
        sim.schedule_in(duration, self.ids.finish, d, id);
    }

    /// Ends `d`'s transfer now: what has left by now counts (all of it when
    /// the transfer ran its course).
    fn end(&mut self, sim: &mut Sim, d: DeviceIndex) {
        let Some(t) = self.transfers.remove(&d) else { return };
        if let Some(h) = t.relay {
            self.relaying[h as usize] -= 1;
        }
        let elapsed = sim.now() - t.start;
        let sent = if elapsed >= t.duration {
            t.records
        } else {
            // The share that left, in whole records, in exact arithmetic.
            (u128::from(t.records) * u128::from(elapsed.0) / u128::from(t.duration.0.max(1))) as u64
        };
        self.out[d as usize] += sent;
        if sent == 0 {
            sim.record(d, self.ids.nothing_sent);
            return;
        }
        let slot = sim.device(d);
        let t_type = &sim.scenario().device_types[usize::from(slot.device_type.0)];
        let readable = !t_type.encrypted_at_rest
            || keys_taken(&sim.scenario().staff, |g| sim.credentials_held(g), slot.zone, t_type.services);
        if !readable {
            sim.add(self.ids.unreadable, sent);
            sim.record(d, self.ids.ciphertext);
            return;
        }
        let kind = if sent == t.records { self.ids.sent } else { self.ids.part_sent };
        sim.exfiltrate(d, sent, kind);
        sim.add(self.ids.records, sent);
        if !std::mem::replace(&mut self.exposed[d as usize], true) {
            sim.add(self.ids.devices, 1);
        }
        self.taken += sent;
        if self.taken >= self.plan.objective {
            sim.raise(self.ids.objective);
        }
    }
}

/// A device was compromised: if an attack this one follows took it, the
/// attack holds it (a relay for records that wait for a way out, if its
/// zone has one), and its records are collected after a delay.
fn follow(In(e): In<Event>, mut sim: Sim, mut thefts: ResMut<Instances<Theft>>) {
    let t = thefts.get_mut(e.instance);
    if !crate::common::caused_by_followed(&sim, e.tag, &t.plan.follows) {
        return;
    }
    let d = e.target;
    let s = sim.state(d);
    if t.held[d as usize].replace(s.epoch).is_none() {
        t.holdings.push(d);
    }
    let zone = usize::from(sim.device(d).zone.0);
    if t.plan.direct[zone] && !t.waiting.is_empty() {
        let waiting: Vec<(DeviceIndex, u32)> = t.waiting.iter().map(|(&w, &epoch)| (w, epoch)).collect();
        for (w, epoch) in waiting {
            let ws = sim.state(w);
            if ws.epoch != epoch {
                t.waiting.remove(&w);
            } else if t.plan.relays[usize::from(sim.device(w).zone.0)][zone] {
                t.try_send(&mut sim, e.instance, w, ws.cause);
            }
        }
    }
    if records_on(&sim, d) > t.out[d as usize] {
        let delay = t.plan.collect_after.draw(sim.key(e.instance).named("collect").and(s.cause));
        sim.schedule_in(delay, t.ids.collect, d, u64::from(s.epoch));
    }
}

/// The records of a device the attack still holds are collected, staged
/// and sent on their way.
fn collect(In(e): In<Event>, mut sim: Sim, mut thefts: ResMut<Instances<Theft>>) {
    let t = thefts.get_mut(e.instance);
    let s = sim.state(e.target);
    if !s.compromised || s.isolated || u64::from(s.epoch) != e.tag {
        return; // cut off or rebuilt since the compromise
    }
    sim.record(e.target, t.ids.collected);
    t.try_send(&mut sim, e.instance, e.target, s.cause);
}

/// A transfer ran its course.
fn finish(In(e): In<Event>, mut sim: Sim, mut thefts: ResMut<Instances<Theft>>) {
    let t = thefts.get_mut(e.instance);
    if t.transfers.get(&e.target).is_some_and(|x| x.id == e.tag) {
        t.end(&mut sim, e.target);
    }
}

/// A device was cut off or rebuilt: its own transfer stops, and so do those
/// it relayed, whose senders look for another way out.
fn cut(In(e): In<Event>, mut sim: Sim, mut thefts: ResMut<Instances<Theft>>) {
    let t = thefts.get_mut(e.instance);
    let d = e.target;
    t.end(&mut sim, d);
    if t.relaying[d as usize] > 0 {
        let relayed: Vec<DeviceIndex> =
            t.transfers.iter().filter(|(_, x)| x.relay == Some(d)).map(|(&s, _)| s).collect();
        for s in relayed {
            t.end(&mut sim, s);
            let cause = sim.state(s).cause;
            t.try_send(&mut sim, e.instance, s, cause);
        }
    }
}

/// The trial ends: what is on its way out counts the share that has left.
fn close(In(e): In<Event>, mut sim: Sim, mut thefts: ResMut<Instances<Theft>>) {
    let t = thefts.get_mut(e.instance);
    let under_way: Vec<DeviceIndex> = t.transfers.keys().copied().collect();
    for d in under_way {
        t.end(&mut sim, d);
    }
}

#[cfg(test)]
mod tests {
    use super::ExfiltrationFactory;
    use crate::registry;
    use crate::testing::*;
    use crate::threats::worm::WormFactory;
    use iomtsim_sim::{
        Engine, EventKindId, Registry, RunOptions, ScenarioSource, TrialOutcome, TrialResult, load_model,
    };

    /// A flat LAN of `n` hosts holding 2,000 patient records each, an
    /// internet zone the LAN reaches over `out` (`""`: no conduit), a worm
    /// entering one host at time zero, the exfiltration following it with
    /// `exfil` as its parameters, and `extra` appended.
    fn hospital(n: u32, host_extra: &str, out: &str, exfil: &str, extra: &str) -> String {
        let conduit = if out.is_empty() {
            String::new()
        } else {
            format!("conduits = [{{ from = \"lan\", to = \"internet\", services = [{out}] }}]")
        };
        format!(
            r#"
            name = "exfil"
            duration = "10d"
            zones = [{{ id = "lan" }}, {{ id = "internet", external = true }}]
            {conduit}
            vulnerabilities = [{{ id = "eb", service = "smb", disclosed = "-60d" }}]
            [[device_types]]
            id = "host"
            services = ["smb", "rdp"]
            vulnerabilities = [{{ id = "eb" }}]
            patient_records = 2000
            {host_extra}
            [[placement]]
            zone = "lan"
            device_type = "host"
            count = {n}
            [[staff]]
            id = "it"
            role = "administrator"
            count = 4
            logs_in_to = ["lan"]
            services = ["rdp"]
            [[staff]]
            id = "nurses"
            role = "clinical"
            count = 40
            logs_in_to = ["lan"]
            services = ["rdp"]
            [[staff]]
            id = "dba"
            role = "administrator"
            count = 2
            logs_in_to = ["lan"]
            services = ["ssh"]
            [attacks.worm]
            exploit = "eb"
            scans_per_hour = 2.0
            entry_zone = "lan"
            entry_devices = 1
            [attacks.exfiltration]
            follows = ["worm"]
            {exfil}
            {extra}
            "#
        )
    }

    const FAST: &str = "collect_after = \"1h\"\nrecords_per_hour = 1e9";

    fn metric(e: &Engine, name: &str) -> iomtsim_sim::MetricId {
        e.model().metric(&format!("exfiltration.{name}")).expect("declared")
    }

    fn count(o: &TrialOutcome, m: iomtsim_sim::MetricId) -> u64 {
        o.get(m).count()
    }

    /// How many events of the kind named `name` the trials recorded.
    fn events(e: &Engine, results: &[TrialResult], name: &str) -> usize {
        let kinds: Vec<EventKindId> = (0..e.model().events.len())
            .map(|i| EventKindId(i as u16))
            .filter(|&k| e.model().event_kind(k).name == name)
            .collect();
        results.iter().flat_map(|r| &r.events).filter(|ev| kinds.contains(&ev.kind)).count()
    }

    fn run_on(registry: &Registry, text: &str, trials: u32) -> (Engine, Vec<TrialResult>) {
        let model = match load_model(ScenarioSource::from_text("test.toml", text), registry) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        let engine = Engine::new(model);
        let options = RunOptions { seed: 1, trials: 0..trials, threads: 0, record_events: true, sample_every: None };
        let results = engine.run(&options, &|| {}).expect("thread pool");
        (engine, results)
    }

    #[test]
    fn with_bandwidth_to_spare_every_record_on_a_taken_device_leaves() {
        let text = hospital(200, "", "\"https\"", &format!("{FAST}\nobjective_records = 300000"), "");
        let (e, results) = run_on(&registry(), &text, 20);
        let (taken, devices, objective) =
            (metric(&e, "records_taken"), metric(&e, "devices_exposed"), metric(&e, "objective_reached"));
        let mut reached = 0;
        for r in &results {
            let o = r.outcome.core();
            assert!(o.compromised > 100, "the worm spreads");
            assert_eq!(o.records_exfiltrated, o.records_on_compromised_devices, "every record on a taken device left");
            assert_eq!(o.records_exfiltrated, 2000 * o.compromised);
            assert_eq!(count(&r.outcome, taken), o.records_exfiltrated);
            assert_eq!(count(&r.outcome, devices), o.compromised);
            assert!(o.breach_notifiable_hipaa && o.breach_notifiable_gdpr);
            let flag = r.outcome.get(objective) == iomtsim_sim::MetricValue::Flag(true);
            assert_eq!(flag, o.records_exfiltrated >= 300_000, "the objective is 300,000 readable records");
            reached += usize::from(flag);
        }
        assert!(reached > 0);
        assert_eq!(
            events(&e, &results, "records-sent"),
            results.iter().map(|r| r.outcome.core().compromised as usize).sum::<usize>()
        );
    }

    #[test]
    fn a_detector_watching_for_c2_traffic_sees_records_sent_over_c2_but_not_an_upload_to_a_web_service() {
        // Monitoring that sees nothing but command-and-control transfers
        // (T1041), and no response: detection changes nothing else.
        let watch =
            "[defences.monitoring]\ntime_to_detect = \"1h\"\ntechniques = { T1041 = 1.0 }\nother_techniques = 0.0";
        let c2 = hospital(200, "", "\"https\"", FAST, watch);
        let web = hospital(200, "", "\"https\"", &format!("{FAST}\nchannel = \"web_service\""), watch);
        let (ec, rc) = run_on(&registry(), &c2, 20);
        let (ew, rw) = run_on(&registry(), &web, 20);
        for (a, b) in rc.iter().zip(&rw) {
            let (a, b) = (a.outcome.core(), b.outcome.core());
            assert!(a.records_exfiltrated > 0);
            assert_eq!(a.records_exfiltrated, b.records_exfiltrated, "the channel changes what leaves not at all");
            assert_eq!(a.compromised, b.compromised);
            assert!(a.detected && a.time_to_detect_h.is_some(), "the C2 transfer is seen");
            assert!(!b.detected, "the upload to a web service is not");
        }
        assert_eq!(events(&ec, &rc, "records-sent"), events(&ew, &rw, "records-uploaded"));
        let technique = |e: &Engine, name: &str| {
            e.model().events.iter().find(|k| k.name == name).and_then(|k| k.technique).expect("declared")
        };
        assert_eq!((technique(&ec, "records-sent"), technique(&ew, "records-uploaded")), ("T1041", "T1567"));
        let bad = load_error(&hospital(10, "", "\"https\"", "collect_after = \"1h\"\nchannel = \"pigeon\"", ""));
        assert!(bad.contains("unknown variant `pigeon`"), "{bad}");
    }

    #[test]
    fn records_encrypted_at_rest_expose_nobody_while_the_keys_are_safe() {
        let text = hospital(200, "encrypted_at_rest = true", "\"https\"", FAST, "");
        let (e, results) = run_on(&registry(), &text, 20);
        let unreadable = metric(&e, "records_unreadable");
        for r in &results {
            let o = r.outcome.core();
            assert!(o.compromised > 100);
            assert_eq!(o.records_exfiltrated, 0, "ciphertext exposes nobody");
            assert!(!o.breach_notifiable_hipaa && !o.breach_notifiable_gdpr);
            assert_eq!(count(&r.outcome, unreadable), o.records_on_compromised_devices, "the copies still left");
        }
        let taken: usize = results.iter().map(|r| r.outcome.core().compromised as usize).sum();
        assert_eq!(events(&e, &results, "records-collected"), taken);
        assert_eq!(events(&e, &results, "ciphertext-sent"), taken);
    }

    /// A test-only attack that steals one credential of a staff group at a
    /// given time, standing in for the credential thieves of other modules.
    mod stealer {
        use iomtsim_sim::StaffId;
        use iomtsim_sim::prelude::*;
        use serde::Deserialize;

        #[derive(Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct StealParams {
            #[schemars(with = "String")]
            pub staff: Spanned<String>,
            pub at: SimDuration,
        }

        pub struct StealFactory;

        const STOLEN: EventSpec =
            EventSpec::new("test-stolen", "gives up an account's credentials", "give up accounts' credentials")
                .technique("T1003");

        impl PluginSpec for StealFactory {
            type Params = StealParams;
            const KIND: &'static str = "test-steal";
            const ROLE: Role = Role::Attack;
            const SUMMARY: &'static str = "test mechanism: steals one credential of a staff group";

            fn configure(p: StealParams, _: &Section<'_>, s: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
                Ok(Box::new(Steal { group: s.staff_ref(&p.staff).map_err(|d| vec![d])?, at: p.at }))
            }
        }

        struct Steal {
            group: StaffId,
            at: SimDuration,
        }

        impl Plugin for Steal {
            fn build(&self, b: &mut SimBuilder) {
                let kind = b.event(STOLEN);
                let steal = b.handler("test-steal.steal", steal);
                b.init_resource::<Instances<EventKindId>>();
                let (me, group, at) = (b.instance(), self.group, self.at);
                b.on_trial_start(move |mut sim: Sim, mut kinds: ResMut<Instances<EventKindId>>| {
                    kinds.insert(me, kind);
                    sim.schedule_at(SimTime::ZERO + at, steal, 0, u64::from(group.0)).expect("not started");
                });
            }
        }

        fn steal(In(e): In<Event>, mut sim: Sim, kinds: Res<Instances<EventKindId>>) {
            let kind = *kinds.get(e.instance);
            sim.steal_credentials(e.target, StaffId(e.tag as u16), 1, kind, sim.key(e.instance));
        }
    }

    #[test]
    fn records_encrypted_at_rest_are_exposed_once_an_administrators_keys_are_taken() {
        let with_stealer = Registry::new(vec![&WormFactory, &ExfiltrationFactory, &stealer::StealFactory]);
        let stolen = |group: &str| {
            let text = hospital(
                150,
                "encrypted_at_rest = true",
                "\"https\"",
                FAST,
                &format!("[attacks.steal]\nkind = \"test-steal\"\nstaff = \"{group}\"\nat = \"0s\""),
            );
            run_on(&with_stealer, &text, 10).1
        };
        // An administrator who logs in to the hosts over RDP, which they
        // listen on: the keys are taken, every record is readable.
        for r in stolen("it") {
            let o = r.outcome.core();
            assert_eq!(o.credentials_stolen, 1);
            assert!(o.compromised > 50);
            assert_eq!(o.records_exfiltrated, o.records_on_compromised_devices);
        }
        // A clinician's account does not reach the keys; nor does an
        // administrator's who logs in over SSH, which the hosts do not offer.
        for group in ["nurses", "dba"] {
            for r in stolen(group) {
                let o = r.outcome.core();
                assert_eq!(o.credentials_stolen, 1);
                assert!(o.compromised > 50);
                assert_eq!(o.records_exfiltrated, 0, "{group}'s credentials do not open the records");
            }
        }
    }

    const DEFENDED: &str = "[defences.monitoring]\ncoverage = 1.0\ntime_to_detect = \"90m\"\n\
        [defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"100d\"";

    #[test]
    fn isolation_cuts_a_slow_transfer_short_and_its_share_counts() {
        // Collected 1h after the compromise, isolated 90m after it: each
        // host's 2,000 records at 1,000 an hour have 30 minutes, and 500 leave.
        let text = hospital(200, "", "\"https\"", "collect_after = \"1h\"\nrecords_per_hour = 1000", DEFENDED);
        let (e, results) = run_on(&registry(), &text, 20);
        for r in &results {
            let o = r.outcome.core();
            assert_eq!(o.isolated, o.compromised);
            assert_eq!(o.records_exfiltrated, 500 * o.compromised, "a quarter of each host's records");
            assert_eq!(o.breach_notifiable_hipaa, o.compromised > 0);
        }
        let taken: usize = results.iter().map(|r| r.outcome.core().compromised as usize).sum();
        assert_eq!(events(&e, &results, "records-part-sent"), taken);
        assert_eq!(events(&e, &results, "records-sent"), 0);
    }

    #[test]
    fn bandwidth_limits_what_leaves_before_isolation() {
        let response = "[defences.monitoring]\ncoverage = 1.0\ntime_to_detect = { dist = \"exponential\", mean = \"2h\" }\n\
            [defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"100d\"";
        let exfil = |rate: &str| {
            format!("collect_after = {{ dist = \"exponential\", mean = \"1h\" }}\nrecords_per_hour = {rate}")
        };
        let slow = run(&hospital(200, "", "\"https\"", &exfil("1000"), response), 60, false);
        let fast = run(&hospital(200, "", "\"https\"", &exfil("1e9"), response), 60, false);
        let unchecked = run(&hospital(200, "", "\"https\"", &exfil("1000"), ""), 60, false);
        let records = |rs: &[TrialResult]| {
            mean_ci(&rs.iter().map(|r| r.outcome.core().records_exfiltrated as f64).collect::<Vec<_>>())
        };
        for (s, f) in slow.iter().zip(&fast) {
            // The theft changes nothing on the devices: the same outbreak.
            assert_eq!(s.outcome.core().compromised, f.outcome.core().compromised);
            assert!(s.outcome.core().records_exfiltrated <= f.outcome.core().records_exfiltrated);
        }
        assert_clearly_below(records(&slow), records(&fast), "records out at 1,000 an hour under isolation");
        assert_clearly_below(records(&slow), records(&unchecked), "records out at 1,000 an hour, isolated or not");
    }

    #[test]
    fn without_a_way_out_on_the_egress_service_nothing_leaves() {
        for (out, exfil) in [
            ("", FAST.to_owned()),
            ("\"smb\"", FAST.to_owned()),
            ("\"https\"", format!("{FAST}\negress_service = \"ssh\"")),
        ] {
            let (e, results) = run_on(&registry(), &hospital(150, "", out, &exfil, ""), 10);
            for r in &results {
                let o = r.outcome.core();
                assert!(o.compromised > 50);
                assert_eq!(o.records_exfiltrated, 0, "conduit [{out}], {exfil}");
            }
            let taken: usize = results.iter().map(|r| r.outcome.core().compromised as usize).sum();
            assert_eq!(events(&e, &results, "records-collected"), taken);
            assert_eq!(events(&e, &results, "no-egress"), taken);
        }
        // The egress service names the way out: SMB to the internet carries them.
        let smb = hospital(150, "", "\"smb\"", &format!("{FAST}\negress_service = \"smb\""), "");
        assert!(run(&smb, 10, false).iter().all(|r| r.outcome.core().records_exfiltrated > 0));
    }

    /// Records on a ward without internet access, a DMZ that has it, and
    /// gateways there that the worm reaches over SMB if `vulnerable`; the
    /// ward reaches the DMZ over `ward_to_dmz`.
    fn behind_a_dmz(ward_to_dmz: &str, vulnerable: bool) -> String {
        let vulns = if vulnerable { "[{ id = \"eb\" }]" } else { "[]" };
        format!(
            r#"
            name = "dmz"
            duration = "10d"
            zones = [{{ id = "ward" }}, {{ id = "dmz" }}, {{ id = "internet", external = true }}]
            conduits = [
              {{ from = "ward", to = "dmz", services = [{ward_to_dmz}] }},
              {{ from = "dmz", to = "internet", services = ["https"] }},
            ]
            vulnerabilities = [{{ id = "eb", service = "smb", disclosed = "-60d" }}]
            device_types = [
              {{ id = "station", services = ["smb"], vulnerabilities = [{{ id = "eb" }}], patient_records = 1000 }},
              {{ id = "gateway", services = ["smb"], vulnerabilities = {vulns} }},
            ]
            placement = [
              {{ zone = "ward", device_type = "station", count = 100 }},
              {{ zone = "dmz", device_type = "gateway", count = 10 }},
            ]
            [attacks.worm]
            exploit = "eb"
            scans_per_hour = 3.0
            entry_zone = "ward"
            entry_devices = 1
            [attacks.exfiltration]
            collect_after = "1h"
            records_per_hour = 1e9
            "#
        )
    }

    #[test]
    fn records_leave_through_a_device_the_attack_holds_in_a_zone_with_a_way_out() {
        for r in run(&behind_a_dmz("\"smb\", \"https\"", true), 10, false) {
            let o = r.outcome.core();
            assert!(o.compromised > 100, "the worm reaches the DMZ");
            assert_eq!(o.records_exfiltrated, o.records_on_compromised_devices, "every station's records leave");
        }
        // The ward cannot send HTTPS to the DMZ, or the attack holds no gateway there.
        for text in [behind_a_dmz("\"smb\"", true), behind_a_dmz("\"smb\", \"https\"", false)] {
            for r in run(&text, 10, false) {
                assert!(r.outcome.core().compromised > 50);
                assert_eq!(r.outcome.core().records_exfiltrated, 0);
            }
        }
    }

    #[test]
    fn it_takes_only_from_what_the_attacks_it_follows_take() {
        // A second worm that starts after the trial ends: following it alone,
        // nothing is collected though the first worm takes the whole LAN.
        let text = hospital(
            100,
            "",
            "\"https\"",
            FAST,
            "[attacks.late]\nkind = \"worm\"\nexploit = \"eb\"\nscans_per_hour = 1.0\nentry_devices = 1\nstart = \"30d\"",
        )
        .replace("follows = [\"worm\"]", "follows = [\"late\"]");
        assert!(run(&text, 10, false).iter().all(|r| {
            let o = r.outcome.core();
            o.compromised > 50 && o.records_exfiltrated == 0
        }));
    }

    #[test]
    fn bad_parameters_are_reported() {
        let err = load_error(&hospital(10, "", "\"https\"", FAST, "").replace("[\"worm\"]", "[\"wurm\"]"));
        assert!(err.contains("unknown attack `wurm`"), "{err}");
        let err = load_error(&hospital(10, "", "\"https\"", "collect_after = \"1h\"\negress_service = \"ftp\"", ""));
        assert!(err.contains("unknown service `ftp`"), "{err}");
        let err = load_error(&hospital(10, "", "\"https\"", "collect_after = \"1h\"\nrecords_per_hour = -5.0", ""));
        assert!(err.contains("records_per_hour must be above 0"), "{err}");
        let err = load_error(&hospital(10, "", "\"https\"", "collect_after = \"1h\"\nobjective_records = 0", ""));
        assert!(err.contains("objective_records must be at least 1"), "{err}");
        let err = load_error(&hospital(10, "", "", FAST, "").replace(
            "zones = [{ id = \"lan\" }, { id = \"internet\", external = true }]",
            "zones = [{ id = \"lan\" }]",
        ));
        assert!(err.contains("no external zone"), "{err}");
    }

    #[test]
    fn the_teaching_scenario_reaches_its_objective_in_some_trials() {
        let text = include_str!("../../../scenarios/threats/exfiltration.toml");
        let (e, results) = run_on(&registry(), text, 100);
        let objective = metric(&e, "objective_reached");
        let reached =
            results.iter().filter(|r| r.outcome.get(objective) == iomtsim_sim::MetricValue::Flag(true)).count();
        assert!(reached > 0, "the objective is reachable");
        assert!(reached < results.len(), "and the defences sometimes stop it: {reached} of {}", results.len());
        // The PACS copies are ciphertext: some trials copy them, none can read them.
        assert!(results.iter().any(|r| r.outcome.get(metric(&e, "records_unreadable")).count() > 0));
    }
}
