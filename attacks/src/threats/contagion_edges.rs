//! Contagion edge by edge, for a network given device by device (a graph
//! file): the same process as [`super::contagion`] on the zone model, with
//! "the hosts a scanner reaches" read from its own edges.
//!
//! An infected host `u` with `k` listening neighbours on the scanned
//! service sends each of them a scan at rate `scans_per_hour / k`, and a
//! scan takes a weak, uninfected, unisolated host with probability
//! `success`: per edge, a Poisson stream of successes at rate
//! `λ = scans_per_hour × success / k`. Its first success on each edge is
//! drawn when `u` is infected, `Exp(λ)` from a key of `u`'s compromise and
//! the neighbour's identity (so the same step of an outbreak draws alike in
//! every design, and common random numbers hold). If the neighbour is not
//! open to it then (taken by another host, isolated), `u` waits for it to
//! reopen and draws its next success from then on: by memorylessness, the
//! same process. Where the graph is complete within zones this is exactly
//! the zone model's spread, which a test checks.

use std::collections::HashMap;
use std::sync::Arc;

use iomtsim_sim::DeviceGraph;
use iomtsim_sim::prelude::*;

/// What a graph outbreak needs from the spread it runs.
pub struct EdgePlan {
    pub graph: Arc<DeviceGraph>,
    pub service: iomtsim_sim::ServiceId,
    /// Per zone: whether its hosts may use the service with each other.
    pub within: Vec<bool>,
    /// Successes per second of one scanner over all its edges.
    pub rate: f64,
    /// Per device type: whether it listens on the service, and whether it
    /// may have the weakness.
    pub listens: Vec<bool>,
    pub possible: Vec<bool>,
}

/// One trial's outbreak on a device graph.
pub struct EdgeOutbreak {
    /// Per device: how many times it began scanning (an event carries the
    /// number it was drawn under), and whether it scans now.
    epoch: Vec<u32>,
    scanning: Vec<bool>,
    /// Per scanning device: its success rate on each of its edges.
    edge_rate: Vec<f64>,
    /// Per scanning device: the key of its draws.
    keys: HashMap<DeviceIndex, Key>,
    /// Neighbours a scanner's success found closed, with the scanners
    /// waiting for them to reopen (scanner, epoch).
    waiting: HashMap<DeviceIndex, Vec<(DeviceIndex, u32)>>,
    hosts: u32,
}

/// Packs a scanner and its epoch into an event's tag.
fn tag(scanner: DeviceIndex, epoch: u32) -> u64 {
    (u64::from(scanner) << 32) | u64::from(epoch)
}

fn untag(tag: u64) -> (DeviceIndex, u32) {
    ((tag >> 32) as DeviceIndex, tag as u32)
}

impl EdgeOutbreak {
    pub fn new(devices: usize) -> Self {
        EdgeOutbreak {
            epoch: vec![0; devices],
            scanning: vec![false; devices],
            edge_rate: vec![0.0; devices],
            keys: HashMap::new(),
            waiting: HashMap::new(),
            hosts: 0,
        }
    }

    pub fn hosts_scanning(&self) -> u32 {
        self.hosts
    }

    /// `u` begins scanning under `key`: it counts its listening neighbours
    /// and draws its first success on each edge to one that could ever be
    /// taken.
    pub fn start(&mut self, sim: &mut Sim, plan: &EdgePlan, u: DeviceIndex, key: Key, infect: HandlerId) {
        if self.scanning[u as usize] {
            return;
        }
        self.scanning[u as usize] = true;
        self.epoch[u as usize] += 1;
        self.hosts += 1;
        self.keys.insert(u, key);
        let zone = sim.device(u).zone;
        let reached = |v: DeviceIndex, sim: &Sim| {
            let slot = sim.device(v);
            plan.listens[usize::from(slot.device_type.0)] && (slot.zone != zone || plan.within[usize::from(zone.0)])
        };
        let possible = |v: DeviceIndex, sim: &Sim| plan.possible[usize::from(sim.device(v).device_type.0)];
        let k = plan.graph.neighbours(u, plan.service).filter(|&v| reached(v, sim)).count();
        if k == 0 {
            return;
        }
        let rate = plan.rate / k as f64;
        self.edge_rate[u as usize] = rate;
        let epoch = self.epoch[u as usize];
        let targets: Vec<DeviceIndex> =
            plan.graph.neighbours(u, plan.service).filter(|&v| reached(v, sim) && possible(v, sim)).collect();
        for v in targets {
            let wait = edge_key(sim, key, v, 0).exp1() / rate;
            sim.schedule_in(SimDuration::from_secs_f64(wait), infect, v, tag(u, epoch));
        }
    }

    /// `u` stops scanning (isolated, rebuilt, or the outbreak ended).
    pub fn stop(&mut self, u: DeviceIndex) -> bool {
        let was = std::mem::take(&mut self.scanning[u as usize]);
        if was {
            self.hosts -= 1;
            self.keys.remove(&u);
        }
        was
    }

    /// A success of a scanner on its edge to `v` falls due: the scanner's
    /// key and the key of this success, if it still scans under the epoch
    /// the success was drawn in. When `v` is closed (`open` false), the
    /// scanner waits for it to reopen, if it may (`may_reopen`).
    pub fn due(&mut self, sim: &Sim, e: &Event, open: bool, may_reopen: bool) -> Option<Key> {
        let (u, epoch) = untag(e.tag);
        if !self.scanning[u as usize] || self.epoch[u as usize] != epoch {
            return None;
        }
        let key = *self.keys.get(&u)?;
        if !open {
            if may_reopen {
                self.waiting.entry(e.target).or_default().push((u, epoch));
            }
            return None;
        }
        Some(key.named("success").with(sim.identity(e.target)).with(e.time.0))
    }

    /// `v` reopened (rebuilt, back from isolation): every scanner still
    /// waiting for it draws its next success on the edge from now, under a
    /// key of the moment it reopened.
    pub fn reopened(&mut self, sim: &mut Sim, v: DeviceIndex, infect: HandlerId) {
        let Some(waiting) = self.waiting.remove(&v) else { return };
        for (u, epoch) in waiting {
            if !self.scanning[u as usize] || self.epoch[u as usize] != epoch {
                continue;
            }
            let Some(&key) = self.keys.get(&u) else { continue };
            let wait = edge_key(sim, key, v, sim.now().0 + 1).exp1() / self.edge_rate[u as usize];
            sim.schedule_in(SimDuration::from_secs_f64(wait), infect, v, tag(u, epoch));
        }
    }
}

/// The key of a scanner's draw on its edge to `v`, the first (`n` = 0) or
/// one after `v` reopened at instant `n - 1`.
fn edge_key(sim: &Sim, scanner: Key, v: DeviceIndex, n: u64) -> Key {
    scanner.named("edge").with(sim.identity(v)).with(n)
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::path::Path;

    use crate::testing::*;
    use iomtsim_sim::{Engine, RunOptions, ScenarioSource, Transition, load_model};

    /// Loads a scenario written to `dir` beside its graph files.
    fn engine_in(dir: &Path, text: &str) -> Engine {
        let path = dir.join("scenario.toml");
        std::fs::write(&path, text).unwrap();
        match load_model(ScenarioSource::from_path(&path).unwrap(), &crate::registry()) {
            Ok(model) => Engine::new(model),
            Err(e) => panic!("{e}"),
        }
    }

    fn run_engine(engine: &Engine, trials: u32) -> Vec<iomtsim_sim::TrialResult> {
        let options = RunOptions { seed: 1, trials: 0..trials, threads: 0, record_events: true, sample_every: None };
        engine.run(&options, &|| {}).unwrap()
    }

    /// Both designs share everything but the network: the worm scans SMB
    /// from one entry host in zone a ([`SIR_WORM_FROM_A`]).
    fn common() -> String {
        format!(
            "duration = \"30d\"\nvulnerabilities = [{{ id = \"eb\", service = \"smb\" }}]\n\
             device_types = [{{ id = \"host\", services = [\"smb\"], vulnerabilities = [{{ id = \"eb\" }}] }}]\n\
             {SIR_WORM_FROM_A}"
        )
    }

    /// Per trial with a major outbreak: the share of each zone taken.
    fn shares_per_zone(results: &[iomtsim_sim::TrialResult], n: u32) -> (Vec<f64>, Vec<f64>, usize) {
        let (mut za, mut zb) = (Vec::new(), Vec::new());
        for r in results {
            let taken = taken_per_zone(r, n, 2);
            if taken[0] > n / 10 {
                za.push(f64::from(taken[0]) / f64::from(n));
                zb.push(f64::from(taken[1]) / f64::from(n));
            }
        }
        let major = za.len();
        (za, zb, major)
    }

    #[test]
    fn a_graph_complete_within_zones_spreads_as_the_zone_model_does() {
        let n = 250u32;
        let dir = tempfile::tempdir().unwrap();
        // Zone a (hosts 0..n) reaches zone b (n..2n) on SMB; b cannot reach back.
        let zones = format!(
            "name = \"zones\"\nzones = [{{ id = \"a\" }}, {{ id = \"b\" }}]\n\
             conduits = [{{ from = \"a\", to = \"b\", services = [\"smb\"] }}]\n\
             placement = [{{ zone = \"a\", device_type = \"host\", count = {n} }}, {{ zone = \"b\", device_type = \"host\", count = {n} }}]\n{}",
            common()
        );
        let mut nodes = String::from("id,device_type,zone\n");
        for i in 0..2 * n {
            writeln!(nodes, "h{i},host,{}", if i < n { "a" } else { "b" }).unwrap();
        }
        let mut edges = String::from("source,target,service\n");
        for i in 0..2 * n {
            for j in 0..2 * n {
                let same = (i < n) == (j < n);
                if i != j && (same || (i < n && j >= n)) {
                    writeln!(edges, "h{i},h{j},smb").unwrap();
                }
            }
        }
        std::fs::write(dir.path().join("nodes.csv"), nodes).unwrap();
        std::fs::write(dir.path().join("edges.csv"), edges).unwrap();
        let graph = format!(
            "name = \"graph\"\ngraph = {{ nodes = \"nodes.csv\", edges = \"edges.csv\", directed = true }}\n{}",
            common()
        );
        let trials = 400;
        let on_zones = run_engine(&engine_in(dir.path(), &zones), trials);
        let on_graph = run_engine(&engine_in(dir.path(), &graph), trials);

        // Multi-group SIR theory: a host of a scans 2n-1 hosts, of b n-1.
        let r = 3.0;
        let nf = f64::from(n);
        let theory =
            final_size(&[vec![r * nf / (2.0 * nf - 1.0), 0.0], vec![r * nf / (2.0 * nf - 1.0), r * nf / (nf - 1.0)]]);
        let (ga, gb, g_major) = shares_per_zone(&on_graph, n);
        let (za, zb, z_major) = shares_per_zone(&on_zones, n);
        assert!(g_major > 100 && z_major > 100, "too few major outbreaks: {g_major}, {z_major}");
        for (name, graph, zone, theory) in [("a", &ga, &za, theory[0]), ("b", &gb, &zb, theory[1])] {
            let (g, gh) = mean_ci(graph);
            let (z, zh) = mean_ci(zone);
            assert!((g - theory).abs() < gh + 0.02, "zone {name} on the graph: {g:.3} ± {gh:.3}, theory {theory:.3}");
            assert!((g - z).abs() < gh + zh, "zone {name}: graph {g:.3} ± {gh:.3}, zone model {z:.3} ± {zh:.3}");
        }
        // The chance of a major outbreak agrees too.
        let share = |m: usize| m as f64 / f64::from(trials);
        let (pg, pz) = (share(g_major), share(z_major));
        let se = (pg * (1.0 - pg) / f64::from(trials) + pz * (1.0 - pz) / f64::from(trials)).sqrt();
        assert!((pg - pz).abs() < 3.0 * se, "P(major): graph {pg:.3}, zone model {pz:.3}");
    }

    /// A chain of hosts, each reaching only the next, the worm entering at
    /// the first; `cut` removes the edge after that host.
    fn chain(dir: &Path, n: u32, cut: Option<u32>) -> Engine {
        let mut nodes = String::from("id,zone,device_type\n");
        let mut edges = String::from("source,target\n");
        for i in 0..n {
            writeln!(nodes, "h{i},lan,host").unwrap();
            if i + 1 < n && Some(i) != cut {
                writeln!(edges, "h{i},h{}", i + 1).unwrap();
            }
        }
        std::fs::write(dir.join("nodes.csv"), nodes).unwrap();
        std::fs::write(dir.join("edges.csv"), edges).unwrap();
        engine_in(
            dir,
            r#"
            name = "chain"
            duration = "30d"
            vulnerabilities = [{ id = "eb", service = "smb" }]
            device_types = [{ id = "host", services = ["smb"], vulnerabilities = [{ id = "eb" }] }]
            [graph]
            nodes = "nodes.csv"
            edges = "edges.csv"
            [attacks.worm]
            exploit = "eb"
            scans_per_hour = 1.0
            entry_zone = "lan"
            entry_devices = 1
            entry_device_type = "host"
            "#,
        )
    }

    #[test]
    fn spread_follows_the_edges_and_stops_where_one_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let n = 40;
        for cut in [None, Some(19)] {
            for r in run_engine(&chain(dir.path(), n, cut), 20) {
                let taken: Vec<u32> = r
                    .events
                    .iter()
                    .filter(|e| e.transition == Some(Transition::Compromised))
                    .map(|e| e.device)
                    .collect();
                // Every host falls next to one already taken.
                let (mut lo, mut hi) = (taken[0], taken[0]);
                for &d in &taken[1..] {
                    assert!(d + 1 == lo || d == hi + 1, "host {d} fell away from {lo}..={hi}");
                    (lo, hi) = (lo.min(d), hi.max(d));
                }
                // The whole chain, or the entry's side of the cut, falls.
                let side = match cut {
                    None => (0, n - 1),
                    Some(c) if taken[0] <= c => (0, c),
                    Some(c) => (c + 1, n - 1),
                };
                assert_eq!((lo, hi), side, "cut {cut:?}, entry {}", taken[0]);
            }
        }
    }
}
