//! Contagion on the zone network, shared by the mechanisms that spread
//! host to host by scanning (a worm exploiting a vulnerability, a botnet
//! logging in with default credentials).
//!
//! Each infected host scans as a Poisson process at `scans_per_hour`; each
//! scan goes to a host drawn uniformly from the `k` hosts it can reach on
//! the scanned service, and takes it with probability `success` if that
//! host has the weakness, is uninfected and not isolated (by Poisson
//! thinning, independent per-pair transmission at rate
//! `scans_per_hour × success / k`). So a scanner's *successful* scans form
//! a Poisson stream whose rate is `scans_per_hour × success ×` the share
//! of the hosts it reaches that are susceptible, the same for every scanner
//! of a zone.
//!
//! The spread is drawn with Sellke's time-change construction (Sellke
//! 1983, [S21]), applied to each scanner: a scanner succeeds each time the
//! rate it has accumulated since it began crosses the next of its own
//! unit-exponential thresholds, drawn from a key of its identity; the host
//! it takes is in a zone chosen in proportion to the susceptible hosts it
//! reaches there, and is that zone's susceptible host with the lowest rank,
//! a key of that host's identity (together, a uniform draw). This is
//! exactly the Markovian process above, and it makes common random numbers
//! hold: when two designs differ in their conduits, the same infected host
//! succeeds at nearly the same moments in both (its rate is a share of
//! susceptible hosts, which segmentation changes little), and takes the
//! same host wherever that host is within its reach in both. Without these
//! keys, two designs' outbreaks part ways at the first infection and never
//! meet again. Only successes are events, so a host that reaches no
//! susceptible host costs nothing.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::{DeviceTypeId, ServiceId};

/// What lets a scan take a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    /// An unpatched vulnerability on the scanned service.
    Vulnerability(VulnId),
    /// The maker's default credentials, still unchanged, on a login service.
    DefaultCredentials,
}

impl Weakness {
    /// Whether a scan would take a device in this state now: weak,
    /// uninfected and reachable (not isolated).
    fn open(self, s: &DeviceState) -> bool {
        let weak = match self {
            Weakness::Vulnerability(v) => s.exposed_to(v),
            Weakness::DefaultCredentials => s.default_credentials,
        };
        weak && !s.compromised && !s.isolated
    }

    /// Whether devices of type `t` may ever have it.
    fn possible(self, t: &iomtsim_sim::DeviceType) -> bool {
        match self {
            Weakness::Vulnerability(v) => t.vulnerabilities.iter().any(|(w, _)| *w == v),
            Weakness::DefaultCredentials => t.default_credentials > 0.0,
        }
    }
}

/// What every trial of one spreading instance shares: its parameters and
/// the reach structure for the scanned service.
pub struct Spread {
    weakness: Weakness,
    success: f64,
    scans_per_sec: f64,
    /// Zone its outside sources scan from.
    entry_zone: Option<ZoneId>,
    external_sources: u32,
    /// For each zone A, the zones its hosts reach on the service.
    reach: Vec<Vec<ZoneId>>,
    /// For each zone A, how many hosts a host in A reaches (K_A, counting
    /// itself when it is one of them).
    reach_size: Vec<u32>,
    /// Whether a zone's hosts reach their own zone on the service.
    reaches_itself: Vec<bool>,
    /// Whether each device type listens on the service.
    listens: Vec<bool>,
    /// The devices whose type listens on the service and may have the
    /// weakness: the only ones a scan can ever take.
    exposed: Vec<DeviceIndex>,
}

/// How a spreading instance scans.
pub struct SpreadParams {
    /// What lets a scan take a host.
    pub weakness: Weakness,
    /// The service scanned.
    pub service: ServiceId,
    /// Probability that one scan at a weak host takes it.
    pub success: f64,
    /// Scans each infected host sends per hour.
    pub scans_per_hour: f64,
    /// Zone its outside sources scan from.
    pub entry_zone: Option<ZoneId>,
    /// Infected hosts outside the estate scanning from the entry zone.
    pub external_sources: u32,
}

/// The checks every spreading mechanism makes of the fields it shares:
/// its entry zone resolves, its pace is a positive finite rate, and outside
/// sources have a zone to scan from. Problems are pushed to `problems`;
/// returns the entry zone (when given and valid) and the pace.
pub fn check_shared_fields(
    scenario: &Scenario,
    section: &Section<'_>,
    entry_zone: Option<&Spanned<String>>,
    scans_per_hour: &Spanned<f64>,
    external_sources: u32,
    problems: &mut Vec<Diagnostic>,
) -> (Option<ZoneId>, f64) {
    let zone = entry_zone.and_then(|z| scenario.zone_ref(z).map_err(|d| problems.push(d)).ok());
    let rate = *scans_per_hour.get_ref();
    if !(rate.is_finite() && rate > 0.0 && rate <= 1e7) {
        problems.push(Diagnostic::at(
            scans_per_hour.span(),
            format!("scans_per_hour must be above 0 and at most 10,000,000, found {rate}"),
        ));
    }
    if external_sources > 0 && entry_zone.is_none() {
        problems.push(
            Diagnostic::at(section.span(), "external_sources scan from the entry zone, but no entry_zone is set")
                .with_help("name the zone they scan from, e.g. entry_zone = \"internet\""),
        );
    }
    (zone, rate)
}

impl Spread {
    /// The reach structure of `p.service` in `s`.
    pub fn new(s: &Scenario, p: SpreadParams) -> Self {
        let service = p.service;
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
                listens[usize::from(t.0)] && p.weakness.possible(&s.device_types[usize::from(t.0)])
            })
            .collect();
        Spread {
            weakness: p.weakness,
            success: p.success,
            scans_per_sec: p.scans_per_hour / 3600.0,
            entry_zone: p.entry_zone,
            external_sources: p.external_sources,
            reach,
            reach_size,
            reaches_itself,
            listens,
            exposed,
        }
    }

    fn listens(&self, t: DeviceTypeId) -> bool {
        self.listens[usize::from(t.0)]
    }

    /// Whether a scan could take `d` now.
    fn takes(&self, sim: &Sim, d: DeviceIndex) -> bool {
        self.listens(sim.device(d).device_type) && self.weakness.open(&sim.state(d))
    }
}

/// The ids an outbreak books its successes with.
#[derive(Clone, Copy)]
pub struct SpreadIds {
    /// Its handler of [`infect_next`].
    pub infect: HandlerId,
    /// The event a host it takes records.
    pub taken: EventKindId,
    /// The count of hosts it took.
    pub infections: MetricId,
}

/// Registers the handlers that keep an outbreak true to devices' states;
/// `name` is the mechanism's handler name for them.
pub fn watch(b: &mut SimBuilder, name: &'static str) {
    let changed = b.handler(name, device_changed);
    for t in [Transition::Compromised, Transition::Isolated, Transition::Restored, Transition::Patched] {
        b.on_transition(t, changed);
    }
    b.init_resource::<Instances<Outbreak>>();
}

/// A heap entry ordered by a number that is never negative, so that its
/// bits order like the number: (the number's bits, who).
type Entry = Reverse<(u64, u32)>;

/// An infected host, or an outside source, scanning.
#[derive(Clone, Copy)]
struct Scanner {
    /// The pressure its class must accumulate for its next success.
    due: f64,
    /// Successes so far (each draws the next from its own key).
    n: u64,
    /// The key of its draws: this instance, this host and its epoch.
    key: Key,
}

/// One trial's outbreak of one spreading instance.
///
/// Scanners are grouped in classes: the scanners of one zone that are, or
/// are not, among the hosts they reach (an outside source is one that is
/// not). All scanners of a class succeed at the same rate: scans per
/// second × exploit success × the share of the hosts they reach that are
/// susceptible. Each scanner's successes are the times its class's
/// accumulated rate crosses its own unit-exponential thresholds.
pub struct Outbreak {
    plan: Arc<Spread>,
    ids: SpreadIds,
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
    /// Devices of the estate scanning now (outside sources not counted).
    hosts: u32,
    devices: u32,
}

const NOT_RANKED: u64 = u64::MAX;

impl Outbreak {
    pub fn new(plan: Arc<Spread>, ids: SpreadIds, devices: usize, zones: usize) -> Self {
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
            hosts: 0,
            devices: devices as u32,
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
        if j < self.devices {
            self.hosts += 1;
        }
    }

    /// Stops device `j` scanning; whether it was.
    fn stop_scanning(&mut self, j: u32) -> bool {
        let was = self.scanners[j as usize].take().is_some();
        if was {
            self.hosts -= 1;
        }
        was
    }

    /// Devices of the estate it holds and scanning from now.
    pub fn hosts_scanning(&self) -> u32 {
        self.hosts
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
    pub fn reschedule(&mut self, sim: &mut Sim) {
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
    /// The outbreak begins: every host with the weakness is ranked, and
    /// the outside sources start scanning. Entry devices follow through
    /// [`Outbreak::seed`], then [`Outbreak::reschedule`].
    pub fn begin(&mut self, sim: &Sim, instance: InstanceId) {
        let plan = self.plan.clone();
        self.started = true;
        self.last = sim.now();
        for &d in &plan.exposed {
            if plan.takes(sim, d) {
                self.rank(sim, instance, d, sim.state(d).epoch);
            }
        }
        for i in 0..plan.external_sources {
            let key = sim.key(instance).named("outside-source").with(u64::from(i));
            self.start_scanning(sim, sim.device_count() + i, key);
        }
    }

    /// Takes `d` as an entry device, whatever its weaknesses, booking the
    /// compromise under `kind` with `cause`.
    pub fn seed(&mut self, sim: &mut Sim, instance: InstanceId, d: DeviceIndex, kind: EventKindId, cause: Key) {
        if sim.compromise_by(d, kind, cause) {
            self.infected(sim, instance, d);
        }
    }

    /// Whether it has begun.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Whether it was stopped for good.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Scanning stops for good (a kill switch).
    pub fn stop(&mut self) {
        self.stopped = true;
        self.generation += 1;
    }
}

/// The scanner of the class named in the event succeeds and takes a host.
pub fn infect_next(In(e): In<Event>, mut sim: Sim, mut outbreaks: ResMut<Instances<Outbreak>>) {
    let o = outbreaks.get_mut(e.instance);
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
        && sim.compromise_by(d, o.ids.taken, draw.named("victim"))
    {
        o.infected(&mut sim, e.instance, d);
    }
    o.reschedule(&mut sim);
}

/// Keeps the susceptible hosts and the scanners true to devices' states
/// after any mechanism changed one.
fn device_changed(In(e): In<Event>, mut sim: Sim, mut outbreaks: ResMut<Instances<Outbreak>>) {
    let o = outbreaks.get_mut(e.instance);
    if !o.started || o.stopped {
        return;
    }
    let d = e.target;
    let state = sim.state(d);
    o.advance(sim.now());
    let mut changed = false;
    let susceptible = o.plan.takes(&sim, d);
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
