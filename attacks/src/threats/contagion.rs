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
use iomtsim_sim::{DeviceTypeId, ServiceId, WeightedCounts};

use super::contagion_edges::{EdgeOutbreak, EdgePlan};

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
    /// For each zone A, the zones its hosts reach on the service by
    /// conduits and inside A (not through a shared network).
    reach: Vec<Vec<ZoneId>>,
    /// For each zone A, the shared network (an index into `groups`) its
    /// hosts reach the other zones of on the service, if any.
    group: Vec<Option<usize>>,
    /// Each such shared network: its zones, and how many hosts listen there.
    groups: Vec<Group>,
    /// For each zone, its place among its shared network's zones.
    member_pos: Vec<usize>,
    /// For each zone A, how many hosts a host in A reaches (K_A, counting
    /// itself when it is one of them).
    reach_size: Vec<f64>,
    /// Whether a zone's hosts reach their own zone on the service.
    reaches_itself: Vec<bool>,
    /// Whether each device type listens on the service.
    listens: Vec<bool>,
    /// The devices whose type listens on the service and may have the
    /// weakness: the only ones a scan can ever take.
    exposed: Vec<DeviceIndex>,
    /// When the network is given device by device: the spread follows its
    /// edges instead ([`super::contagion_edges`]).
    edges: Option<EdgePlan>,
}

/// A shared network's zones, as one spread sees them.
struct Group {
    members: Vec<ZoneId>,
    listeners: u32,
    /// The share of the other zones' hosts one host reaches through it.
    share: f64,
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
    if external_sources > 0 && scenario.network.device_graph().is_some() {
        problems.push(
            Diagnostic::at(
                section.span(),
                "external_sources scan from outside, but this scenario's network is a graph of its devices",
            )
            .with_help("set entry_devices instead: devices of the graph the attack holds when it begins"),
        );
    } else if external_sources > 0 && entry_zone.is_none() {
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
        let mut reach_size = vec![0.0f64; s.zones.len()];
        let mut reaches_itself = vec![false; s.zones.len()];
        let mut group = vec![None; s.zones.len()];
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of_network: Vec<Option<usize>> = vec![None; s.shared_networks.len()];
        let mut member_pos = vec![0usize; s.zones.len()];
        for a in (0..s.zones.len()).map(|i| ZoneId(i as u16)) {
            let ai = usize::from(a.0);
            let shared = s.network.shared_reach(a, service);
            if let Some((n, members, share)) = shared {
                let g = *group_of_network[n].get_or_insert_with(|| {
                    for (i, z) in members.iter().enumerate() {
                        member_pos[usize::from(z.0)] = i;
                    }
                    let heard = members.iter().map(|z| listeners[usize::from(z.0)]).sum();
                    groups.push(Group { members: members.to_vec(), listeners: heard, share });
                    groups.len() - 1
                });
                group[ai] = Some(g);
                reach_size[ai] += share * f64::from(groups[g].listeners - listeners[ai]);
            }
            for b in s.network.directly_reachable_zones(a, service) {
                // A zone of its own shared network is reached through that.
                let on_same = b != a && shared.is_some_and(|(_, m, _)| m.binary_search(&b).is_ok());
                if on_same {
                    continue;
                }
                reach[ai].push(b);
                reach_size[ai] += f64::from(listeners[usize::from(b.0)]);
                if a == b {
                    reaches_itself[ai] = true;
                }
            }
        }
        let exposed = (0..s.device_count())
            .filter(|&d| {
                let t = s.devices[d as usize].device_type;
                listens[usize::from(t.0)] && p.weakness.possible(&s.device_types[usize::from(t.0)])
            })
            .collect();
        let edges = s.network.device_graph().map(|graph| EdgePlan {
            graph: graph.clone(),
            service,
            within: (0..s.zones.len()).map(|z| s.network.allows_within(ZoneId(z as u16), service)).collect(),
            rate: p.scans_per_hour / 3600.0 * p.success,
            listens: listens.clone(),
            possible: s.device_types.iter().map(|t| p.weakness.possible(t)).collect(),
        });
        Spread {
            edges,
            group,
            groups,
            member_pos,
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
    /// The outbreak edge by edge, on a device graph.
    edges: Option<EdgeOutbreak>,
    /// Per shared network: susceptible hosts per zone, and their total.
    group_susceptible: Vec<WeightedCounts>,
    /// The classes with scanners, whose rates are kept up to date (a class
    /// without one needs none: a scanner's threshold is drawn relative to
    /// its class's accumulated rate when it starts).
    active: Vec<usize>,
    is_active: Vec<bool>,
}

const NOT_RANKED: u64 = u64::MAX;

/// The key of instance `instance`'s ranks of susceptible hosts.
fn rank_key(sim: &Sim, instance: InstanceId) -> Key {
    sim.key(instance).named("rank")
}

impl Outbreak {
    pub fn new(plan: Arc<Spread>, ids: SpreadIds, devices: usize, zones: usize) -> Self {
        let sources = devices + plan.external_sources as usize;
        Outbreak {
            edges: plan.edges.as_ref().map(|_| EdgeOutbreak::new(devices)),
            group_susceptible: plan.groups.iter().map(|g| WeightedCounts::new(g.members.len())).collect(),
            active: Vec::new(),
            is_active: vec![false; 2 * zones],
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
    /// `ranks` is the instance's key named `"rank"` ([`rank_key`]).
    fn rank(&mut self, sim: &Sim, ranks: Key, d: DeviceIndex, epoch: u32) {
        let (zone, entry) = self.count_in(sim, ranks, d, epoch);
        self.ranked[zone].push(entry);
    }

    /// Books `d` as susceptible with its rank; returns its zone and the
    /// entry that ranks it there.
    fn count_in(&mut self, sim: &Sim, ranks: Key, d: DeviceIndex, epoch: u32) -> (usize, Entry) {
        let zone = usize::from(sim.device(d).zone.0);
        let rank = sim.with_identity(ranks, d).with(u64::from(epoch)).value().min(NOT_RANKED - 1);
        self.rank_of[d as usize] = rank;
        self.susceptible[zone] += 1;
        if let Some(g) = self.plan.group[zone] {
            self.group_susceptible[g].add(self.plan.member_pos[zone], 1);
        }
        (zone, Reverse((rank, d)))
    }

    fn unrank(&mut self, sim: &Sim, d: DeviceIndex) -> bool {
        if self.rank_of[d as usize] == NOT_RANKED {
            return false;
        }
        self.rank_of[d as usize] = NOT_RANKED;
        let zone = usize::from(sim.device(d).zone.0);
        self.susceptible[zone] -= 1;
        if let Some(g) = self.plan.group[zone] {
            self.group_susceptible[g].add(self.plan.member_pos[zone], -1);
        }
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
        if !self.is_active[c] {
            self.is_active[c] = true;
            // Kept in class order, so that ties resolve alike in every design.
            let at = self.active.binary_search(&c).unwrap_or_else(|i| i);
            self.active.insert(at, c);
        }
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
        self.edges.as_ref().map_or(self.hosts, EdgeOutbreak::hosts_scanning)
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
            for &c in &self.active {
                self.accumulated[c] += self.rate[c] * dt;
            }
        }
        self.last = now;
    }

    /// Susceptible hosts a host in zone `a` reaches: by conduits and in its
    /// zone, and through its shared network (every other zone of it); the
    /// latter also weighted by the share of them one host reaches.
    fn reachable(&self, a: usize) -> (u32, u32, f64) {
        let direct = self.plan.reach[a].iter().map(|b| self.susceptible[usize::from(b.0)]).sum();
        let (shared, weighted) = self.plan.group[a].map_or((0, 0.0), |g| {
            let n = self.group_susceptible[g].total() - self.susceptible[a];
            (n, f64::from(n) * self.plan.groups[g].share)
        });
        (direct, shared, weighted)
    }

    /// Recomputes each active class's rate from the susceptible hosts it
    /// reaches, and lets go of classes whose scanners have all stopped.
    fn refresh_rates(&mut self) {
        let mut i = 0;
        while i < self.active.len() {
            let c = self.active[i];
            if self.next_due(c).is_none() {
                self.active.remove(i);
                self.is_active[c] = false;
                self.rate[c] = 0.0;
                continue;
            }
            let (a, in_reach) = (c / 2, c % 2);
            let (direct, _, shared) = self.reachable(a);
            let targets = self.plan.reach_size[a] - in_reach as f64;
            self.rate[c] = if targets > 0.0 {
                self.plan.scans_per_sec * self.plan.success * (f64::from(direct) + shared) / targets
            } else {
                0.0
            };
            i += 1;
        }
    }

    /// Schedules the next success afresh from the current rates.
    pub fn reschedule(&mut self, sim: &mut Sim) {
        self.generation += 1;
        if self.stopped || !self.started || self.edges.is_some() {
            return;
        }
        self.advance(sim.now());
        self.refresh_rates();
        let mut next: Option<(f64, usize)> = None;
        for i in 0..self.active.len() {
            let c = self.active[i];
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
        if let (Some(edges), Some(plan)) = (&mut self.edges, &self.plan.edges) {
            edges.start(sim, plan, d, key, self.ids.infect);
            return;
        }
        self.start_scanning(sim, d, key);
    }
    /// The outbreak begins: every host with the weakness is ranked, and
    /// the outside sources start scanning. Entry devices follow through
    /// [`Outbreak::seed`], then [`Outbreak::reschedule`].
    pub fn begin(&mut self, sim: &Sim, instance: InstanceId) {
        let plan = self.plan.clone();
        self.started = true;
        self.last = sim.now();
        if self.edges.is_some() {
            return; // each scanner draws its own edges when it starts
        }
        // Every zone's hosts gathered, then made a heap at once (in linear
        // time): the entries are distinct, so they come out in the same
        // order as if pushed one by one.
        let ranks = rank_key(sim, instance);
        let mut lists: Vec<Vec<Entry>> = self.ranked.iter_mut().map(|h| std::mem::take(h).into_vec()).collect();
        for &d in &plan.exposed {
            let state = sim.state(d);
            if plan.listens(sim.device(d).device_type) && plan.weakness.open(&state) {
                let (zone, entry) = self.count_in(sim, ranks, d, state.epoch);
                lists[zone].push(entry);
            }
        }
        for (heap, list) in self.ranked.iter_mut().zip(lists) {
            *heap = BinaryHeap::from(list);
        }
        for i in 0..plan.external_sources {
            let key = sim.key(instance).named("outside-source").with(u64::from(i));
            self.start_scanning(sim, sim.device_count() + i, key);
        }
    }

    /// Takes `d` as an entry device, whatever its weaknesses, booking the
    /// compromise under `kind` with `cause`.
    pub fn seed(&mut self, sim: &mut Sim, instance: InstanceId, d: DeviceIndex, kind: EventKindId, cause: Key) {
        self.advance(sim.now());
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
    if o.edges.is_some() {
        return infect_over_edge(&e, &mut sim, o);
    }
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
    // Its entry is the class's first (`next_due` just found it there):
    // moved to its new place rather than left behind, stale, for a later
    // look to throw away. The entries are distinct, so the order they
    // come out in does not depend on how the heap holds them.
    let entry = Reverse((scanner.due.to_bits(), j));
    let heap = &mut o.due[class];
    let moved = match heap.peek_mut() {
        Some(mut first) if first.0.1 == j => {
            *first = entry;
            true
        }
        _ => false,
    };
    if !moved {
        heap.push(entry);
    }
    // A zone it reaches, chosen in proportion to its susceptible hosts (a
    // draw of the scanner's own key), and in it the susceptible host of
    // lowest rank: together a uniform draw among the hosts it could take.
    // The rank is compared only within a zone, where every scanner that
    // takes from it sees the same hosts, so the ranks left stay exchangeable.
    // Through a shared network, the zone is drawn the same way among its
    // other zones, without looking at each.
    let zone = class / 2;
    let (direct, shared, weighted) = o.reachable(zone);
    let mut pick = draw.named("target").uniform() * (f64::from(direct) + weighted);
    let mut victim_zone = None;
    let mut found = false;
    for b in &o.plan.reach[zone] {
        let s = f64::from(o.susceptible[usize::from(b.0)]);
        if s > 0.0 {
            victim_zone = Some(usize::from(b.0));
            if pick < s {
                found = true;
                break;
            }
            pick -= s;
        }
    }
    if !found
        && shared > 0
        && let Some(g) = o.plan.group[zone]
    {
        // The pick among the other zones' hosts, laid out zone by zone with
        // this zone's own left out.
        let counts = &o.group_susceptible[g];
        let own = o.plan.member_pos[zone];
        let share = o.plan.groups[g].share;
        let mut x = ((pick / share).max(0.0) as u32).min(shared - 1);
        if x >= counts.before(own) {
            x += o.susceptible[zone];
        }
        victim_zone = Some(usize::from(o.plan.groups[g].members[counts.find(x)].0));
    }
    let victim = victim_zone.and_then(|z| o.lowest(z));
    if let Some(d) = victim
        && sim.compromise_by(d, o.ids.taken, draw.named("victim"))
    {
        o.infected(&mut sim, e.instance, d);
    }
    o.reschedule(&mut sim);
}

/// A scanner's success on its edge to the event's target falls due.
fn infect_over_edge(e: &Event, sim: &mut Sim, o: &mut Outbreak) {
    if o.stopped {
        return;
    }
    let v = e.target;
    let state = sim.state(v);
    let open = o.plan.takes(sim, v);
    let may_reopen = !open && o.plan.listens(sim.device(v).device_type) && (state.compromised || state.isolated);
    let Some(edges) = &mut o.edges else { return };
    if let Some(cause) = edges.due(sim, e, open, may_reopen)
        && sim.compromise_by(v, o.ids.taken, cause)
    {
        o.infected(sim, e.instance, v);
    }
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
    if let Some(edges) = &mut o.edges {
        if state.isolated || !state.compromised {
            edges.stop(d);
        }
        if o.plan.takes(&sim, d) {
            edges.reopened(&mut sim, d, o.ids.infect);
        }
        return;
    }
    o.advance(sim.now());
    let mut changed = false;
    let susceptible = o.plan.takes(&sim, d);
    let ranked = o.rank_of[d as usize] != NOT_RANKED;
    if susceptible && !ranked {
        o.rank(&sim, rank_key(&sim, e.instance), d, state.epoch);
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
