//! A self-propagating worm, as WannaCry was: exploitation of remote
//! services (ATT&CK T1210) spreading host to host. What it carries (a
//! ransomware payload) is a mechanism of its own that follows it.
//!
//! Each infected host scans as a Poisson process at `scans_per_hour`; each
//! scan goes to a host drawn uniformly from the `k` hosts it can reach on
//! the exploit's service, and takes it with probability `exploit_success`
//! if that host is vulnerable, unpatched, uninfected and not isolated (by
//! Poisson thinning, independent per-pair transmission at rate
//! `scans_per_hour × exploit_success / k`). So a scanner's *successful*
//! scans form a Poisson stream whose rate is `scans_per_hour ×
//! exploit_success ×` the share of the hosts it reaches that are
//! susceptible, the same for every scanner of a zone.
//!
//! The spread is drawn with Sellke's time-change construction (Sellke
//! 1983), applied to each scanner: a scanner succeeds each time the rate it
//! has accumulated since it began crosses the next of its own
//! unit-exponential thresholds, drawn from a key of its identity; the host
//! it takes is in a zone chosen in proportion to the susceptible hosts it
//! reaches there, and is that zone's susceptible host with the lowest rank,
//! a key of that host's identity (together, a uniform draw). This is exactly the
//! Markovian process above, and it makes common random numbers hold: when
//! two designs differ in their conduits, the same infected host succeeds at
//! nearly the same moments in both (its rate is a share of susceptible
//! hosts, which segmentation changes little), and takes the same host
//! wherever that host is within its reach in both. Without these keys, two
//! designs' outbreaks part ways at the first infection and never meet again.
//! Only successes are events, so a host that reaches no susceptible host
//! costs nothing.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::{DeviceTypeId, ServiceId};
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "worm"`: a scanning worm.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WormParams {
    /// Id of the vulnerability it exploits; it scans that vulnerability's service.
    #[schemars(with = "String")]
    pub exploit: Spanned<String>,
    /// Probability that one scan at a vulnerable, unpatched host infects it.
    #[serde(default = "Probability::one")]
    pub exploit_success: Probability,
    /// Scans each infected host sends per hour (all aimed at hosts it can reach).
    #[schemars(with = "f64")]
    pub scans_per_hour: Spanned<f64>,
    /// When the outbreak begins, from the trial start.
    #[serde(default)]
    pub start: SimDuration,
    /// Zone where it begins: where its entry devices sit, and where its
    /// outside sources scan from. Absent: entry devices may sit in any zone
    /// (so that designs that place the same device differently let the worm
    /// in through the same device).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub entry_zone: Option<Spanned<String>>,
    /// Devices infected when it begins, whatever their vulnerabilities (the
    /// worm arrived by laptop, USB or e-mail): the eligible devices with the
    /// smallest draws of a key of their identity, so that the same device
    /// is chosen in every design where it is eligible.
    #[serde(default = "no_devices")]
    #[schemars(with = "u32")]
    pub entry_devices: Spanned<u32>,
    /// Draw the entry devices only among this device type (e.g. a clinical
    /// workstation that opened an attachment). Absent: any type.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub entry_device_type: Option<Spanned<String>>,
    /// Infected hosts outside the estate scanning from the entry zone for
    /// the whole outbreak (e.g. the internet).
    #[serde(default)]
    pub external_sources: u32,
    /// Scanning stops this long after the start (WannaCry's kill switch was
    /// registered the same evening). Absent: never.
    #[serde(default)]
    pub kill_switch_after: Option<SimDuration>,
}

fn no_devices() -> Spanned<u32> {
    Spanned::new(0..0, 0)
}

/// Registers the `worm` mechanism.
pub struct WormFactory;

const ENTERED: EventSpec = EventSpec::new(
    "entered",
    "lets the worm in (initial access, not modelled)",
    "let the worm in (initial access, not modelled)",
);
const EXPLOITED: EventSpec = EventSpec::new("exploited", "is compromised", "are compromised").technique("T1210");
const INFECTIONS: MetricSpec = MetricSpec::count(
    "infections",
    "devices infected by the worm",
    "devices the worm took, at entry or by exploitation (a device taken again counts again)",
)
.unit("devices")
.lower_is_better();

impl PluginSpec for WormFactory {
    type Params = WormParams;
    const KIND: &'static str = "worm";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "self-propagating worm exploiting a remote service (T1210)";

    fn configure(
        p: WormParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let vuln = scenario.vulnerability_ref(&p.exploit).map_err(|d| problems.push(d)).ok();
        let entry = match &p.entry_zone {
            Some(z) => scenario.zone_ref(z).map(Some).map_err(|d| problems.push(d)).unwrap_or(None),
            None => None,
        };
        let rate = *p.scans_per_hour.get_ref();
        if !(rate.is_finite() && rate > 0.0 && rate <= 1e7) {
            problems.push(Diagnostic::at(
                p.scans_per_hour.span(),
                format!("scans_per_hour must be above 0 and at most 10,000,000, found {rate}"),
            ));
        }
        let entry_type = match &p.entry_device_type {
            Some(t) => scenario.device_type_ref(t).map(Some).map_err(|d| problems.push(d)).unwrap_or(None),
            None => None,
        };
        let entry_devices = *p.entry_devices.get_ref();
        let zone_ok = p.entry_zone.is_none() || entry.is_some();
        let candidates: Vec<DeviceIndex> = (0..scenario.device_count())
            .filter(|&d| {
                let slot = scenario.devices[d as usize];
                entry.is_none_or(|z| slot.zone == z) && entry_type.is_none_or(|t| slot.device_type == t)
            })
            .collect();
        if zone_ok && entry_devices as usize > candidates.len() {
            let of_type = entry_type
                .map(|t| format!(" of type `{}`", scenario.device_types[usize::from(t.0)].id))
                .unwrap_or_default();
            let place = p.entry_zone.as_ref().map_or("the estate".to_owned(), |z| format!("zone `{}`", z.get_ref()));
            problems.push(
                Diagnostic::at(
                    p.entry_devices.span(),
                    format!("entry_devices is {entry_devices} but {place} holds {} devices{of_type}", candidates.len()),
                )
                .with_help("infect at most as many devices as there are to choose from"),
            );
        }
        if entry_devices == 0 && p.external_sources == 0 {
            problems.push(
                Diagnostic::at(section.span(), "the worm has no source: entry_devices and external_sources are both 0")
                    .with_help("set entry_devices (infected devices in the entry zone) or external_sources"),
            );
        }
        if p.external_sources > 0 && p.entry_zone.is_none() {
            problems.push(
                Diagnostic::at(section.span(), "external_sources scan from the entry zone, but no entry_zone is set")
                    .with_help("name the zone they scan from, e.g. entry_zone = \"internet\""),
            );
        }
        let Some(vuln) = vuln else { return Err(problems) };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Worm { plan: Arc::new(WormPlan::new(scenario, &p, vuln, entry, candidates)) }))
    }
}

/// What every trial shares: the parameters and the reach structure for the
/// exploit's service.
struct WormPlan {
    vuln: VulnId,
    success: f64,
    scans_per_sec: f64,
    start: SimDuration,
    entry_zone: Option<ZoneId>,
    entry_devices: u32,
    candidates: Vec<DeviceIndex>,
    external_sources: u32,
    kill_switch_after: Option<SimDuration>,
    /// For each zone A, the zones its hosts reach on the service.
    reach: Vec<Vec<ZoneId>>,
    /// For each zone A, how many hosts a host in A reaches (K_A, counting
    /// itself when it is one of them).
    reach_size: Vec<u32>,
    /// Whether a zone's hosts reach their own zone on the service.
    reaches_itself: Vec<bool>,
    /// Whether each device type listens on the service.
    listens: Vec<bool>,
    /// The devices whose type listens on the service and may carry the
    /// vulnerability: the only ones the worm can ever take by exploit.
    exposed: Vec<DeviceIndex>,
}

impl WormPlan {
    fn new(
        s: &Scenario,
        p: &WormParams,
        vuln: VulnId,
        entry_zone: Option<ZoneId>,
        candidates: Vec<DeviceIndex>,
    ) -> Self {
        let service: ServiceId = s.vulnerabilities[usize::from(vuln.0)].service;
        let listens: Vec<bool> = s.device_types.iter().map(|t| t.services.contains(service)).collect();
        let mut listeners = vec![0u32; s.zones.len()];
        for d in &s.devices {
            if listens[usize::from(d.device_type.0)] {
                listeners[usize::from(d.zone.0)] += 1;
            }
        }
        let mut reach = vec![Vec::new(); s.zones.len()];
        let mut reach_size = vec![0u32; s.zones.len()];
        let mut reaches_itself = vec![false; s.zones.len()];
        for a in (0..s.zones.len()).map(|i| ZoneId(i as u16)) {
            for b in s.network.reachable_zones(a, service) {
                reach[usize::from(a.0)].push(b);
                reach_size[usize::from(a.0)] += listeners[usize::from(b.0)];
                if a == b {
                    reaches_itself[usize::from(a.0)] = true;
                }
            }
        }
        let exposed = (0..s.device_count())
            .filter(|&d| {
                let t = s.devices[d as usize].device_type;
                listens[usize::from(t.0)]
                    && s.device_types[usize::from(t.0)].vulnerabilities.iter().any(|(v, _)| *v == vuln)
            })
            .collect();
        WormPlan {
            vuln,
            exposed,
            success: p.exploit_success.get(),
            scans_per_sec: *p.scans_per_hour.get_ref() / 3600.0,
            start: p.start,
            entry_zone,
            entry_devices: *p.entry_devices.get_ref(),
            candidates,
            external_sources: p.external_sources,
            kill_switch_after: p.kill_switch_after,
            reach,
            reach_size,
            reaches_itself,
            listens,
        }
    }

    fn listens(&self, t: DeviceTypeId) -> bool {
        self.listens[usize::from(t.0)]
    }
}

struct Worm {
    plan: Arc<WormPlan>,
}

#[derive(Clone, Copy)]
struct Ids {
    begin: HandlerId,
    infect: HandlerId,
    stop: HandlerId,
    entered: EventKindId,
    exploited: EventKindId,
    infections: MetricId,
}

impl Plugin for Worm {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            begin: b.handler("worm.begin", begin),
            infect: b.handler("worm.infect", infect_next),
            stop: b.handler("worm.stop", stop_scanning),
            entered: b.event(ENTERED),
            exploited: b.event(EXPLOITED),
            infections: b.metric(INFECTIONS),
        };
        let changed = b.handler("worm.device_changed", device_changed);
        for t in [Transition::Compromised, Transition::Isolated, Transition::Restored, Transition::Patched] {
            b.on_transition(t, changed);
        }
        b.story("took {infections} {infections|device|devices} in all");
        b.init_resource::<Instances<Outbreak>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut sim: Sim, mut worms: ResMut<Instances<Outbreak>>| {
            worms.insert(me, Outbreak::new(plan.clone(), ids, sim.device_count() as usize, sim.scenario().zones.len()));
            let start = SimTime::ZERO + plan.start;
            sim.schedule_at(start, ids.begin, 0, 0).expect("the trial has not started");
            if let Some(after) = plan.kill_switch_after {
                sim.schedule_at(start + after, ids.stop, 0, 0).expect("the trial has not started");
            }
        });
    }
}

/// A heap entry ordered by a number that is never negative, so that its
/// bits order like the number: (the number's bits, who).
type Entry = Reverse<(u64, u32)>;

/// An infected host, or an outside source, scanning for this worm.
#[derive(Clone, Copy)]
struct Scanner {
    /// The pressure its class must accumulate for its next success.
    due: f64,
    /// Successes so far (each draws the next from its own key).
    n: u64,
    /// The key of its draws: this worm, this host and its epoch.
    key: Key,
}

/// One trial's outbreak of one worm instance.
///
/// Scanners are grouped in classes: the scanners of one zone that are, or
/// are not, among the hosts they reach (an outside source is one that is
/// not). All scanners of a class succeed at the same rate: scans per
/// second × exploit success × the share of the hosts they reach that are
/// susceptible. Each scanner's successes are the times its class's
/// accumulated rate crosses its own unit-exponential thresholds.
struct Outbreak {
    plan: Arc<WormPlan>,
    ids: Ids,
    started: bool,
    stopped: bool,
    /// Per zone: susceptible hosts by rank (entries whose device has left
    /// are skipped), and how many there are.
    ranked: Vec<BinaryHeap<Entry>>,
    susceptible: Vec<u32>,
    /// Per device: its rank while susceptible, else `NOT_RANKED`.
    rank_of: Vec<u64>,
    /// Per scanner (devices, then outside sources): its state while it scans.
    scanners: Vec<Option<Scanner>>,
    /// Per class: the rate accumulated since the start, the current rate
    /// per scanner (successes per second), and its scanners by due pressure.
    accumulated: Vec<f64>,
    rate: Vec<f64>,
    due: Vec<BinaryHeap<Entry>>,
    /// When `accumulated` was last brought up to date.
    last: SimTime,
    /// Bumped whenever a rate changes; a pending success with an older
    /// generation is stale.
    generation: u64,
}

const NOT_RANKED: u64 = u64::MAX;

impl Outbreak {
    fn new(plan: Arc<WormPlan>, ids: Ids, devices: usize, zones: usize) -> Self {
        let sources = devices + plan.external_sources as usize;
        Outbreak {
            plan,
            ids,
            started: false,
            stopped: false,
            ranked: vec![BinaryHeap::new(); zones],
            susceptible: vec![0; zones],
            rank_of: vec![NOT_RANKED; devices],
            scanners: vec![None; sources],
            accumulated: vec![0.0; 2 * zones],
            rate: vec![0.0; 2 * zones],
            due: vec![BinaryHeap::new(); 2 * zones],
            last: SimTime::ZERO,
            generation: 0,
        }
    }

    /// Ranks `d` among its zone's susceptible hosts by a key of its
    /// identity: the lowest-ranked falls first, which makes each victim a
    /// uniform draw, and the same device in every design that has it.
    fn rank(&mut self, sim: &Sim, instance: InstanceId, d: DeviceIndex, epoch: u32) {
        let zone = usize::from(sim.device(d).zone.0);
        let rank =
            sim.key(instance).named("rank").with(sim.identity(d)).with(u64::from(epoch)).value().min(NOT_RANKED - 1);
        self.rank_of[d as usize] = rank;
        self.ranked[zone].push(Reverse((rank, d)));
        self.susceptible[zone] += 1;
    }

    fn unrank(&mut self, sim: &Sim, d: DeviceIndex) -> bool {
        if self.rank_of[d as usize] == NOT_RANKED {
            return false;
        }
        self.rank_of[d as usize] = NOT_RANKED;
        self.susceptible[usize::from(sim.device(d).zone.0)] -= 1;
        true
    }

    /// The lowest-ranked susceptible host of zone `z`.
    fn lowest(&mut self, z: usize) -> Option<DeviceIndex> {
        while let Some(&Reverse((rank, d))) = self.ranked[z].peek() {
            if self.rank_of[d as usize] == rank {
                return Some(d);
            }
            self.ranked[z].pop();
        }
        None
    }

    /// The class of scanner `j`: `2 × zone + 1` if it is among the hosts it
    /// reaches, `2 × zone` if not (outside sources scan from the entry zone).
    fn class(&self, sim: &Sim, j: u32) -> usize {
        match self.plan.entry_zone {
            Some(z) if j >= sim.device_count() => 2 * usize::from(z.0),
            _ => {
                let dev = sim.device(j);
                let zone = usize::from(dev.zone.0);
                2 * zone + usize::from(self.plan.listens(dev.device_type) && self.plan.reaches_itself[zone])
            }
        }
    }

    /// Starts scanner `j` with its first threshold.
    fn start_scanning(&mut self, sim: &Sim, j: u32, key: Key) {
        if self.scanners[j as usize].is_some() {
            return;
        }
        let c = self.class(sim, j);
        let due = self.accumulated[c] + key.with(0).exp1();
        self.scanners[j as usize] = Some(Scanner { due, n: 0, key });
        self.due[c].push(Reverse((due.to_bits(), j)));
    }

    fn stop_scanning(&mut self, j: u32) -> bool {
        self.scanners[j as usize].take().is_some()
    }

    /// The scanner of class `c` due first.
    fn next_due(&mut self, c: usize) -> Option<(f64, u32)> {
        while let Some(&Reverse((bits, j))) = self.due[c].peek() {
            if self.scanners[j as usize].is_some_and(|s| s.due.to_bits() == bits) {
                return Some((f64::from_bits(bits), j));
            }
            self.due[c].pop();
        }
        None
    }

    /// Brings each class's accumulated rate up to now.
    fn advance(&mut self, now: SimTime) {
        let dt = (now - self.last).as_secs_f64();
        if dt > 0.0 {
            for (a, r) in self.accumulated.iter_mut().zip(&self.rate) {
                *a += r * dt;
            }
        }
        self.last = now;
    }

    /// Recomputes each class's rate from the susceptible hosts it reaches.
    fn refresh_rates(&mut self) {
        let plan = &self.plan;
        for a in 0..self.susceptible.len() {
            let reachable: u32 = plan.reach[a].iter().map(|b| self.susceptible[usize::from(b.0)]).sum();
            let k = f64::from(plan.reach_size[a]);
            for in_reach in [0usize, 1] {
                let targets = k - in_reach as f64;
                self.rate[2 * a + in_reach] = if targets > 0.0 {
                    plan.scans_per_sec * plan.success * f64::from(reachable) / targets
                } else {
                    0.0
                };
            }
        }
    }

    /// Schedules the next success afresh from the current rates.
    fn reschedule(&mut self, sim: &mut Sim) {
        self.generation += 1;
        if self.stopped || !self.started {
            return;
        }
        self.advance(sim.now());
        self.refresh_rates();
        let mut next: Option<(f64, usize)> = None;
        for c in 0..self.rate.len() {
            if self.rate[c] <= 0.0 {
                continue;
            }
            if let Some((due, _)) = self.next_due(c) {
                let wait = (due - self.accumulated[c]).max(0.0) / self.rate[c];
                if next.is_none_or(|(w, _)| wait < w) {
                    next = Some((wait, c));
                }
            }
        }
        if let Some((wait, class)) = next {
            sim.schedule_in(SimDuration::from_secs_f64(wait), self.ids.infect, class as u32, self.generation);
        }
    }

    /// Books a device the worm just took: it scans, drawing from the key of
    /// the compromise that took it (which scanner, which of its successes),
    /// so that the same step of the outbreak scans alike in every design,
    /// whichever host segmentation made it.
    fn infected(&mut self, sim: &mut Sim, instance: InstanceId, d: DeviceIndex) {
        self.unrank(sim, d);
        sim.add(self.ids.infections, 1);
        let key = sim.key(instance).named("scan").and(sim.state(d).cause);
        self.start_scanning(sim, d, key);
    }
}

/// The outbreak begins: the entry devices fall, outside sources start, and
/// the spread is scheduled.
fn begin(In(e): In<Event>, mut sim: Sim, mut worms: ResMut<Instances<Outbreak>>) {
    let o = worms.get_mut(e.instance);
    let plan = o.plan.clone();
    o.started = true;
    o.last = sim.now();
    for &d in &plan.exposed {
        let s = sim.state(d);
        if s.susceptible_to(plan.vuln) {
            o.rank(&sim, e.instance, d, s.epoch);
        }
    }
    for i in 0..plan.external_sources {
        let key = sim.key(e.instance).named("outside-source").with(u64::from(i));
        o.start_scanning(&sim, sim.device_count() + i, key);
    }
    // The entry devices: the eligible ones with the smallest keys of their
    // identity, the same in every design where they are eligible.
    let key = sim.key(e.instance).named("entry");
    let mut ranked: Vec<(u64, DeviceIndex)> =
        plan.candidates.iter().map(|&d| (key.with(sim.identity(d)).value(), d)).collect();
    let n = (plan.entry_devices as usize).min(ranked.len());
    if n > 0 {
        ranked.select_nth_unstable(n - 1);
        ranked[..n].sort_unstable();
    }
    for (i, &(_, d)) in ranked[..n].iter().enumerate() {
        if sim.compromise_by(d, o.ids.entered, key.named("entered").with(i as u64)) {
            o.infected(&mut sim, e.instance, d);
        }
    }
    o.reschedule(&mut sim);
}

/// The scanner of the class named in the event succeeds and takes a host.
fn infect_next(In(e): In<Event>, mut sim: Sim, mut worms: ResMut<Instances<Outbreak>>) {
    let o = worms.get_mut(e.instance);
    if e.tag != o.generation || o.stopped {
        return; // a rate changed since this was scheduled
    }
    o.advance(sim.now());
    let class = e.target as usize;
    let Some((_, j)) = o.next_due(class) else { return };
    let mut scanner = o.scanners[j as usize].expect("a due scanner scans");
    scanner.n += 1;
    let draw = scanner.key.with(scanner.n);
    scanner.due += draw.named("gap").exp1();
    o.scanners[j as usize] = Some(scanner);
    o.due[class].push(Reverse((scanner.due.to_bits(), j)));
    // A zone it reaches, chosen in proportion to its susceptible hosts (a
    // draw of the scanner's own key), and in it the susceptible host of
    // lowest rank: together a uniform draw among the hosts it could take.
    // The rank is compared only within a zone, where every scanner that
    // takes from it sees the same hosts, so the ranks left stay exchangeable.
    let zone = class / 2;
    let total: u32 = o.plan.reach[zone].iter().map(|b| o.susceptible[usize::from(b.0)]).sum();
    let mut pick = draw.named("target").uniform() * f64::from(total);
    let mut victim_zone = None;
    for b in &o.plan.reach[zone] {
        let s = f64::from(o.susceptible[usize::from(b.0)]);
        if s > 0.0 {
            victim_zone = Some(usize::from(b.0));
            if pick < s {
                break;
            }
            pick -= s;
        }
    }
    let victim = victim_zone.and_then(|z| o.lowest(z));
    if let Some(d) = victim
        && sim.compromise_by(d, o.ids.exploited, draw.named("victim"))
    {
        o.infected(&mut sim, e.instance, d);
    }
    o.reschedule(&mut sim);
}

fn stop_scanning(In(e): In<Event>, mut worms: ResMut<Instances<Outbreak>>) {
    let o = worms.get_mut(e.instance);
    o.stopped = true;
    o.generation += 1;
}

/// Keeps the susceptible hosts and the scanners true to devices' states
/// after any mechanism changed one.
fn device_changed(In(e): In<Event>, mut sim: Sim, mut worms: ResMut<Instances<Outbreak>>) {
    let o = worms.get_mut(e.instance);
    if !o.started || o.stopped {
        return;
    }
    let d = e.target;
    let state = sim.state(d);
    o.advance(sim.now());
    let mut changed = false;
    let susceptible = o.plan.listens(sim.device(d).device_type) && state.susceptible_to(o.plan.vuln);
    let ranked = o.rank_of[d as usize] != NOT_RANKED;
    if susceptible && !ranked {
        o.rank(&sim, e.instance, d, state.epoch);
        changed = true;
    } else if !susceptible && ranked {
        changed |= o.unrank(&sim, d);
    }
    // Isolated or rebuilt devices stop scanning.
    if state.isolated || !state.compromised {
        changed |= o.stop_scanning(d);
    }
    if changed {
        o.reschedule(&mut sim);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::Transition;

    /// A flat zone of `n` hosts, all listening on SMB and vulnerable, where
    /// every compromise is detected after an exponential time with mean
    /// `detect_mean_h` and isolated at once: SIR with recovery rate
    /// 1/detect_mean_h.
    fn flat_sir(n: u32, scans_per_hour: f64, success: f64, detect_mean_h: f64) -> String {
        format!(
            r#"
            name = "flat-sir"
            duration = "30d"
            zones = [{{ id = "lan" }}]
            vulnerabilities = [{{ id = "eb", service = "smb" }}]
            device_types = [{{ id = "host", services = ["smb"], vulnerabilities = [{{ id = "eb" }}] }}]
            placement = [{{ zone = "lan", device_type = "host", count = {n} }}]
            [attacks.worm]
            exploit = "eb"
            exploit_success = {success}
            scans_per_hour = {scans_per_hour}
            entry_zone = "lan"
            entry_devices = 1
            [defences.monitoring]
            coverage = 1.0
            time_to_detect = {{ dist = "exponential", mean = "{detect_mean_h}h" }}
            [defences.incident_response]
            isolate_after = "0s"
            restore_time = "3000d"
            "#
        )
    }

    #[test]
    fn final_size_in_a_flat_zone_matches_sir_theory() {
        // R0 = scans_per_hour × success / recovery rate = 5 × 0.5 × 1 = 2.5.
        let n = 1000;
        let results = run(&flat_sir(n, 5.0, 0.5, 1.0), 300, false);
        let r0 = 2.5;
        let z = final_size(&[vec![r0]])[0];
        assert!((z - 0.8926).abs() < 1e-3, "final-size solver: {z}");

        let fractions: Vec<f64> = results.iter().map(|r| r.outcome.core().compromised as f64 / f64::from(n)).collect();
        let major: Vec<f64> = fractions.iter().copied().filter(|f| *f > 0.1).collect();
        let (mean, half) = mean_ci(&major);
        assert!((mean - z).abs() < half + 0.01, "major-outbreak attack rate {mean:.4} ± {half:.4}, theory {z:.4}");

        // With an exponential infectious period the offspring count is
        // geometric, so a single introduction dies out with probability 1/R0.
        let p_major = major.len() as f64 / fractions.len() as f64;
        let se = (p_major * (1.0 - p_major) / fractions.len() as f64).sqrt();
        assert!((p_major - (1.0 - 1.0 / r0)).abs() < 4.0 * se, "P(major) {p_major:.3}, theory {:.3}", 1.0 - 1.0 / r0);
    }

    #[test]
    fn spread_across_a_directed_conduit_matches_multi_group_theory() {
        // Zone a reaches b on SMB; b cannot reach back. A host in a spreads
        // its scans over the 1,199 other hosts it reaches.
        let text = r#"
            name = "two-zones"
            duration = "30d"
            zones = [{ id = "a" }, { id = "b" }]
            conduits = [{ from = "a", to = "b", services = ["smb"] }]
            vulnerabilities = [{ id = "eb", service = "smb" }]
            device_types = [{ id = "host", services = ["smb"], vulnerabilities = [{ id = "eb" }] }]
            placement = [
              { zone = "a", device_type = "host", count = 600 },
              { zone = "b", device_type = "host", count = 600 },
            ]
            [attacks.worm]
            exploit = "eb"
            scans_per_hour = 3.0
            entry_zone = "a"
            entry_devices = 1
            [defences.monitoring]
            coverage = 1.0
            time_to_detect = { dist = "exponential", mean = "1h" }
            [defences.incident_response]
            isolate_after = "0s"
            restore_time = "3000d"
        "#;
        let results = run(text, 500, true);
        let r = 3.0; // scans per infectious period × success
        let theory = final_size(&[vec![r * 600.0 / 1199.0, 0.0], vec![r * 600.0 / 1199.0, r * 600.0 / 599.0]]);
        let mut za = Vec::new();
        let mut zb = Vec::new();
        for res in &results {
            let mut per_zone = [0u32; 2];
            for e in res.events.iter().filter(|e| e.transition == Some(Transition::Compromised)) {
                per_zone[if e.device < 600 { 0 } else { 1 }] += 1;
            }
            if per_zone[0] > 60 {
                za.push(f64::from(per_zone[0]) / 600.0);
                zb.push(f64::from(per_zone[1]) / 600.0);
            }
        }
        assert!(za.len() > 100, "too few major outbreaks: {}", za.len());
        let (ma, ha) = mean_ci(&za);
        let (mb, hb) = mean_ci(&zb);
        assert!((ma - theory[0]).abs() < ha + 0.02, "zone a: {ma:.3} ± {ha:.3}, theory {:.3}", theory[0]);
        assert!((mb - theory[1]).abs() < hb + 0.02, "zone b: {mb:.3} ± {hb:.3}, theory {:.3}", theory[1]);
    }

    fn outbreak(extra_worm: &str, extra: &str) -> String {
        format!(
            r#"
            name = "outbreak"
            duration = "7d"
            zones = [{{ id = "lan" }}, {{ id = "internet", external = true }}]
            conduits = [{{ from = "internet", to = "lan", services = ["smb"] }}]
            vulnerabilities = [{{ id = "eb", service = "smb", disclosed = "-60d" }}]
            device_types = [{{ id = "host", services = ["smb"], vulnerabilities = [{{ id = "eb" }}] }}]
            placement = [{{ zone = "lan", device_type = "host", count = 400 }}]
            [attacks.worm]
            exploit = "eb"
            scans_per_hour = 2.0
            entry_zone = "lan"
            entry_devices = 1
            {extra_worm}
            {extra}
            "#
        )
    }

    #[test]
    fn the_kill_switch_stops_the_spread() {
        let free = compromised(&run(&outbreak("", ""), 60, false));
        let stopped = compromised(&run(&outbreak("kill_switch_after = \"2h\"", ""), 60, false));
        assert_clearly_below(stopped, free, "compromised with a kill switch at 2h");
    }

    #[test]
    fn external_sources_reach_the_estate_only_through_a_conduit() {
        let through = run(
            &outbreak("", "").replace(
                "entry_zone = \"lan\"\n            entry_devices = 1",
                "entry_zone = \"internet\"\n            external_sources = 1",
            ),
            20,
            false,
        );
        assert!(through.iter().all(|r| r.outcome.core().compromised > 300), "an open SMB conduit lets the outbreak in");
        let closed = outbreak("", "")
            .replace(
                "entry_zone = \"lan\"\n            entry_devices = 1",
                "entry_zone = \"internet\"\n            external_sources = 1",
            )
            .replace(
                "services = [\"smb\"] }]\n            vulnerabilities",
                "services = [\"https\"] }]\n            vulnerabilities",
            );
        assert!(
            run(&closed, 20, false).iter().all(|r| r.outcome.core().compromised == 0),
            "no SMB conduit, no outbreak"
        );
    }

    #[test]
    fn bad_parameters_are_reported_at_their_place() {
        let text = outbreak("", "")
            .replace("scans_per_hour = 2.0", "scans_per_hour = -1.0")
            .replace("entry_devices = 1", "entry_devices = 999");
        let err =
            match iomtsim_sim::load_model(iomtsim_sim::ScenarioSource::from_text("t.toml", text), &crate::registry()) {
                Err(e) => e,
                Ok(_) => panic!("accepted bad parameters"),
            };
        let locations = err.locations();
        assert!(locations.iter().any(|(at, m)| at.is_some() && m.contains("scans_per_hour")), "{locations:?}");
        assert!(locations.iter().any(|(at, m)| at.is_some() && m.contains("entry_devices is 999")), "{locations:?}");
    }
}

/// Scenario parameters outside the plugins, checked through the worm: each
/// moves the outcome the way its name says.
#[cfg(test)]
mod scenario_parameters {
    use crate::testing::*;
    use iomtsim_sim::Transition;

    #[test]
    fn intra_zone_stops_hosts_reaching_each_other() {
        let open = run(&lan(200, "-60d", "", "", ""), 10, false);
        let closed = run(
            &lan(200, "-60d", "", "", "")
                .replace("zones = [{ id = \"lan\" }]", "zones = [{ id = \"lan\", intra_zone = [\"https\"] }]"),
            10,
            false,
        );
        assert!(open.iter().all(|r| r.outcome.core().compromised > 150));
        assert!(closed.iter().all(|r| r.outcome.core().compromised == 1), "no SMB inside the zone: only patient zero");
    }

    fn two_zones(bidirectional: bool) -> String {
        format!(
            r#"
            name = "two"
            duration = "10d"
            zones = [{{ id = "a" }}, {{ id = "b" }}]
            conduits = [{{ from = "a", to = "b", services = ["smb"], bidirectional = {bidirectional} }}]
            vulnerabilities = [{{ id = "eb", service = "smb" }}]
            device_types = [{{ id = "host", services = ["smb"], vulnerabilities = [{{ id = "eb" }}] }}]
            placement = [{{ zone = "a", device_type = "host", count = 100 }}, {{ zone = "b", device_type = "host", count = 100 }}]
            [attacks.worm]
            exploit = "eb"
            scans_per_hour = 5.0
            entry_zone = "b"
            entry_devices = 1
            "#
        )
    }

    #[test]
    fn bidirectional_conduits_carry_both_ways() {
        // The outbreak starts in b; only a bidirectional conduit lets it back into a.
        let in_a = |rs: &[iomtsim_sim::TrialResult]| -> usize {
            rs.iter()
                .flat_map(|r| &r.events)
                .filter(|e| e.transition == Some(Transition::Compromised) && e.device < 100)
                .count()
        };
        assert_eq!(in_a(&run(&two_zones(false), 10, true)), 0);
        assert!(in_a(&run(&two_zones(true), 10, true)) > 500);
    }

    #[test]
    fn a_vulnerability_share_bounds_who_can_fall() {
        let half = run(
            &lan(400, "-60d", "", "", "")
                .replace("vulnerabilities = [{ id = \"eb\" }]", "vulnerabilities = [{ id = \"eb\", share = 0.5 }]"),
            20,
            false,
        );
        let (m, _) = compromised(&half);
        // Patient zero plus at most the carriers (about 200 of 400).
        assert!(m > 120.0 && m < 230.0, "{m}");
    }

    const RANSOM: &str = "[attacks.ransomware]\ndelay = \"1m\"";

    #[test]
    fn records_and_criticality_count_what_the_attack_reaches() {
        let text = lan(100, "-60d", "patient_records = 7\ncriticality = \"high\"", "", RANSOM);
        for r in run(&text, 5, false) {
            let o = r.outcome.core();
            assert_eq!(o.records_on_compromised_devices, 7 * o.compromised);
            assert!(
                (o.critical_downtime_device_hours - o.downtime_device_hours).abs() < 1e-9
                    && o.downtime_device_hours > 0.0
            );
        }
        let low = lan(100, "-60d", "criticality = \"low\"", "", RANSOM);
        assert!(run(&low, 5, false).iter().all(|r| {
            let o = r.outcome.core();
            o.critical_downtime_device_hours == 0.0 && o.records_on_compromised_devices == 0
        }));
    }

    #[test]
    fn the_entry_device_type_chooses_patient_zero() {
        let text = lan(50, "-60d", "", "entry_device_type = \"pump\"", "").replace(
            "[[placement]]",
            "[[device_types]]\n        id = \"pump\"\n        services = [\"https\"]\n        [[placement]]\n        zone = \"lan\"\n        device_type = \"pump\"\n        count = 50\n        [[placement]]",
        );
        for r in run(&text, 10, true) {
            let first = r.events.iter().find(|e| e.transition == Some(Transition::Compromised)).expect("patient zero");
            // The pumps' placement row comes first: they are devices 0..50.
            assert!(first.device < 50, "patient zero is a pump, got device {}", first.device);
        }
    }
}
