//! A self-propagating worm with an optional ransomware payload, as
//! WannaCry was: exploitation of remote services (ATT&CK T1210) spreading
//! host to host, then data encrypted for impact (T1486).
//!
//! Each infected host scans as a Poisson process at `scans_per_hour`; each
//! scan goes to a host drawn uniformly from the `k` hosts it can reach on
//! the exploit's service, and takes it with probability `exploit_success`
//! if that host is vulnerable, unpatched, uninfected and not isolated. By
//! Poisson thinning this is independent per-pair transmission at rate
//! `scans_per_hour × exploit_success / k`, and since every host of a zone
//! reaches the same hosts, all infections into a zone form one Poisson
//! stream whose rate is the zone's susceptible count times the scan
//! pressure on it. The worm therefore keeps one pending "next infection"
//! event for the whole estate, redrawn (exactly, by memorylessness)
//! whenever a rate changes: no per-host or per-edge work.

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::{DeviceTypeId, ServiceId, Zone};
use serde::Deserialize;

const T_EXPLOIT_REMOTE_SERVICES: &str = "T1210";
const T_DATA_ENCRYPTED: &str = "T1486";

/// `[attacks.worm]`: a scanning worm, optionally carrying ransomware.
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
    /// Zone where it begins: patient zero's zone, or the external zone its
    /// outside sources scan from.
    #[schemars(with = "String")]
    pub entry_zone: Spanned<String>,
    /// Devices of the entry zone infected when it begins, drawn at random
    /// whatever their type (the worm arrived by laptop, USB or email).
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
    /// registered about four hours into the outbreak). Absent: never.
    #[serde(default)]
    pub kill_switch_after: Option<SimDuration>,
    /// Ransomware payload: time from infection to encryption, after which the
    /// device is out of service until restored. Absent: no payload.
    #[serde(default)]
    pub payload_delay: Option<Distribution>,
    /// Time for staff to report an encrypted device's ransom screen, which
    /// detects its compromise. Absent: nobody reports it.
    #[serde(default)]
    pub ransom_noticed_after: Option<Distribution>,
}

fn no_devices() -> Spanned<u32> {
    Spanned::new(0..0, 0)
}

/// Registers `[attacks.worm]`.
pub struct WormFactory;

impl PluginSpec for WormFactory {
    type Params = WormParams;
    const KIND: &'static str = "worm";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str =
        "self-propagating worm exploiting a remote service, with an optional ransomware payload (T1210, T1486)";

    fn configure(
        p: WormParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let vuln = scenario.vulnerability_ref(&p.exploit).map_err(|d| problems.push(d)).ok();
        let entry = scenario.zone_ref(&p.entry_zone).map_err(|d| problems.push(d)).ok();
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
        if let Some(z) = entry {
            let candidates = scenario
                .devices
                .iter()
                .filter(|d| d.zone == z && entry_type.is_none_or(|t| d.device_type == t))
                .count() as u32;
            if entry_devices > candidates {
                let of_type = entry_type
                    .map(|t| format!(" of type `{}`", scenario.device_types[usize::from(t.0)].id))
                    .unwrap_or_default();
                problems.push(
                    Diagnostic::at(
                        p.entry_devices.span(),
                        format!(
                            "entry_devices is {entry_devices} but zone `{}` holds {candidates} devices{of_type}",
                            p.entry_zone.get_ref()
                        ),
                    )
                    .with_help("infect at most as many devices as the zone holds"),
                );
            }
        }
        if entry_devices == 0 && p.external_sources == 0 {
            problems.push(
                Diagnostic::at(section.span(), "the worm has no source: entry_devices and external_sources are both 0")
                    .with_help("set entry_devices (infected devices in the entry zone) or external_sources"),
            );
        }
        let (Some(vuln), Some(entry)) = (vuln, entry) else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Worm { plan: Arc::new(WormPlan::new(scenario, &p, vuln, entry, entry_type)), handlers: None }))
    }
}

/// What every trial shares: the reach structure for the exploit's service.
struct WormPlan {
    vuln: VulnId,
    success: f64,
    scans_per_sec: f64,
    start: SimDuration,
    entry_zone: ZoneId,
    entry_devices: u32,
    entry_type: Option<DeviceTypeId>,
    external_sources: u32,
    kill_switch_after: Option<SimDuration>,
    payload_delay: Option<Distribution>,
    ransom_noticed_after: Option<Distribution>,
    /// For each zone B, the zones whose hosts reach B on the service.
    sources_into: Vec<Vec<ZoneId>>,
    /// For each zone A, how many hosts a host in A reaches (K_A, counting
    /// itself when it is one of them).
    reach_size: Vec<u32>,
    /// Whether a zone's hosts reach their own zone on the service.
    reaches_itself: Vec<bool>,
    /// Whether each device type listens on the service.
    listens: Vec<bool>,
}

impl WormPlan {
    fn new(s: &Scenario, p: &WormParams, vuln: VulnId, entry_zone: ZoneId, entry_type: Option<DeviceTypeId>) -> Self {
        let service: ServiceId = s.vulnerabilities[usize::from(vuln.0)].service;
        let listens: Vec<bool> = s.device_types.iter().map(|t| t.services.contains(service)).collect();
        let mut listeners = vec![0u32; s.zones.len()];
        for d in &s.devices {
            if listens[usize::from(d.device_type.0)] {
                listeners[usize::from(d.zone.0)] += 1;
            }
        }
        let mut sources_into = vec![Vec::new(); s.zones.len()];
        let mut reach_size = vec![0u32; s.zones.len()];
        let mut reaches_itself = vec![false; s.zones.len()];
        for (a, _) in s.zones.iter().enumerate().map(|(i, z): (usize, &Zone)| (ZoneId(i as u16), z)) {
            for b in s.network.reachable_zones(a, service) {
                sources_into[usize::from(b.0)].push(a);
                reach_size[usize::from(a.0)] += listeners[usize::from(b.0)];
                if a == b {
                    reaches_itself[usize::from(a.0)] = true;
                }
            }
        }
        WormPlan {
            vuln,
            success: p.exploit_success.get(),
            scans_per_sec: *p.scans_per_hour.get_ref() / 3600.0,
            start: p.start,
            entry_zone,
            entry_devices: *p.entry_devices.get_ref(),
            entry_type,
            external_sources: p.external_sources,
            kill_switch_after: p.kill_switch_after,
            payload_delay: p.payload_delay.clone(),
            ransom_noticed_after: p.ransom_noticed_after.clone(),
            sources_into,
            reach_size,
            reaches_itself,
            listens,
        }
    }

    /// Whether an infected device is itself among the hosts it reaches (so
    /// its scans spread over one host fewer).
    fn in_own_reach(&self, sim: &Sim, d: DeviceIndex) -> bool {
        let dev = sim.device(d);
        self.listens[usize::from(dev.device_type.0)] && self.reaches_itself[usize::from(dev.zone.0)]
    }
}

#[derive(Clone, Copy)]
struct WormHandlers {
    start: HandlerId,
    infect: HandlerId,
    stop: HandlerId,
    encrypt: HandlerId,
    notice: HandlerId,
    changed: HandlerId,
}

struct Worm {
    plan: Arc<WormPlan>,
    handlers: Option<WormHandlers>,
}

/// One trial's outbreak.
struct Outbreak {
    plan: Arc<WormPlan>,
    h: WormHandlers,
    started: bool,
    stopped: bool,
    /// Per zone: devices the exploit would take now (listening, carrying
    /// the vulnerability unpatched, not compromised, not isolated).
    susceptible: PartitionedSet,
    /// Per zone: infected devices scanning now.
    scanners: PartitionedSet,
    /// Per zone: how many of the scanners are among the hosts they reach.
    scanners_in_reach: Vec<u32>,
    /// Outside sources scanning from the entry zone.
    external: u32,
    /// Bumped whenever a rate changes; a pending infection event with an
    /// older generation is stale.
    generation: u64,
    /// Per zone, the rate of successful scans it receives, as of the last
    /// reschedule (which the pending infection event was drawn from).
    weights: Vec<f64>,
    /// Scratch: scans per second per host reached, from each source zone.
    source_rates: Vec<f64>,
}

impl Plugin for Worm {
    fn build(&mut self, b: &mut SimBuilder) {
        let h = WormHandlers {
            start: b.add_handler("worm.start", start_outbreak),
            infect: b.add_handler("worm.infect", infect_next),
            stop: b.add_handler("worm.kill_switch", stop_scanning),
            encrypt: b.add_handler("worm.encrypt", encrypt_device),
            notice: b.add_handler("worm.ransom_noticed", notice_ransom),
            changed: b.add_handler("worm.device_changed", device_changed),
        };
        for signal in [Signal::Compromised, Signal::Isolated, Signal::Restored, Signal::Patched] {
            b.subscribe(signal, h.changed);
        }
        self.handlers = Some(h);
    }

    fn start_trial(&self, sim: &mut Sim) {
        let h = self.handlers.expect("built before trials start");
        let zones = sim.scenario().zones.len();
        let n = sim.device_count() as usize;
        sim.insert_state(Outbreak {
            plan: self.plan.clone(),
            h,
            started: false,
            stopped: false,
            susceptible: PartitionedSet::new(n, zones),
            scanners: PartitionedSet::new(n, zones),
            scanners_in_reach: vec![0; zones],
            external: 0,
            generation: 0,
            weights: Vec::with_capacity(zones),
            source_rates: Vec::with_capacity(zones),
        });
        sim.schedule_in(self.plan.start, h.start, 0, 0);
        if let Some(after) = self.plan.kill_switch_after {
            sim.schedule_in(self.plan.start + after, h.stop, 0, 0);
        }
    }
}

fn start_outbreak(sim: &mut Sim, _: Event) {
    sim.with_state::<Outbreak, _>(|sim, o| {
        let plan = o.plan.clone();
        for d in 0..sim.device_count() {
            let dev = sim.device(d);
            if plan.listens[usize::from(dev.device_type.0)] && sim.device_state(d).susceptible_to(plan.vuln) {
                o.susceptible.insert(usize::from(dev.zone.0), d);
            }
        }
        o.started = true;
        o.external = plan.external_sources;
        // Patient zero(s): distinct devices of the entry zone (of the entry type, if one is set).
        let mut candidates = IndexedSet::new(sim.device_count() as usize);
        let is_candidate = |dev: iomtsim_sim::Device| {
            dev.zone == plan.entry_zone && plan.entry_type.is_none_or(|t| dev.device_type == t)
        };
        for d in (0..sim.device_count()).filter(|&d| is_candidate(sim.device(d))) {
            candidates.insert(d);
        }
        for _ in 0..plan.entry_devices {
            let Some(d) = candidates.choose(sim.rng()) else {
                break;
            };
            candidates.remove(d);
            if sim.compromise(d, T_EXPLOIT_REMOTE_SERVICES) {
                o.infected(sim, d);
            }
        }
        o.reschedule(sim);
    });
}

fn infect_next(sim: &mut Sim, e: Event) {
    sim.with_state::<Outbreak, _>(|sim, o| {
        if e.tag != o.generation || o.stopped {
            return; // a rate changed since this was drawn
        }
        // The weights the pending event was drawn from are still current:
        // every change since would have moved the generation on.
        let weights = &o.weights;
        let total: f64 = weights.iter().sum();
        let mut x = sim.rng().random::<f64>() * total;
        let mut zone = weights.len() - 1;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                zone = i;
                break;
            }
            x -= w;
        }
        // Rounding can leave `zone` on an empty set; fall back to the last
        // non-empty weighted zone.
        if weights[zone] == 0.0 {
            zone = weights.iter().rposition(|w| *w > 0.0).expect("a positive total rate has a positive zone");
        }
        let d = o.susceptible.choose(zone, sim.rng()).expect("a weighted zone has susceptible devices");
        if sim.compromise(d, T_EXPLOIT_REMOTE_SERVICES) {
            o.infected(sim, d);
        }
        o.reschedule(sim);
    });
}

fn stop_scanning(sim: &mut Sim, _: Event) {
    sim.with_state::<Outbreak, _>(|_, o| {
        o.stopped = true;
        o.generation += 1;
    });
}

fn encrypt_device(sim: &mut Sim, e: Event) {
    let s = sim.device_state(e.target);
    if !s.compromised || u64::from(s.epoch) != e.tag {
        return; // restored since infection
    }
    if sim.disrupt(e.target, T_DATA_ENCRYPTED) {
        let noticed = sim.state::<Outbreak>().and_then(|o| o.plan.ransom_noticed_after.clone());
        if let Some(dist) = noticed {
            let delay = dist.sample(sim.rng());
            let h = sim.state::<Outbreak>().expect("worm state").h.notice;
            sim.schedule_in(delay, h, e.target, e.tag);
        }
    }
}

fn notice_ransom(sim: &mut Sim, e: Event) {
    let s = sim.device_state(e.target);
    if s.compromised && u64::from(s.epoch) == e.tag {
        sim.detect(e.target, None);
    }
}

/// Keeps the susceptible and scanning sets true to devices' states after
/// any plugin changed one.
fn device_changed(sim: &mut Sim, e: Event) {
    sim.with_state::<Outbreak, _>(|sim, o| {
        if !o.started {
            return;
        }
        let d = e.target;
        let dev = sim.device(d);
        let zone = usize::from(dev.zone.0);
        let state = sim.device_state(d);
        let mut changed = false;
        let should_be_susceptible = o.plan.listens[usize::from(dev.device_type.0)] && state.susceptible_to(o.plan.vuln);
        changed |= if should_be_susceptible { o.susceptible.insert(zone, d) } else { o.susceptible.remove(zone, d) };
        // Isolated or rebuilt devices stop scanning.
        if (state.isolated || !state.compromised) && o.scanners.remove(zone, d) {
            if o.plan.in_own_reach(sim, d) {
                o.scanners_in_reach[zone] -= 1;
            }
            changed = true;
        }
        if changed {
            o.reschedule(sim);
        }
    });
}

impl Outbreak {
    /// Books a device the worm just took: it scans, and its payload runs.
    fn infected(&mut self, sim: &mut Sim, d: DeviceIndex) {
        let zone = usize::from(sim.device(d).zone.0);
        self.susceptible.remove(zone, d);
        if self.scanners.insert(zone, d) && self.plan.in_own_reach(sim, d) {
            self.scanners_in_reach[zone] += 1;
        }
        if let Some(delay) = &self.plan.payload_delay {
            let delay = delay.sample(sim.rng());
            let epoch = u64::from(sim.device_state(d).epoch);
            sim.schedule_in(delay, self.h.encrypt, d, epoch);
        }
    }

    /// Recomputes, per zone, the rate of successful scans it receives: the
    /// scan pressure on each of its hosts (scans per second from every zone
    /// that reaches it, each source's scans spread over the hosts it
    /// reaches) times its susceptible count. Buffers are reused: this runs
    /// on every event that changes a rate.
    fn refresh_weights(&mut self) {
        let plan = &self.plan;
        self.source_rates.clear();
        for a in 0..self.scanners_in_reach.len() {
            let k = f64::from(plan.reach_size[a]);
            let in_reach = f64::from(self.scanners_in_reach[a]);
            let mut others = (self.scanners.len(a) as u32 - self.scanners_in_reach[a]) as f64;
            if a == usize::from(plan.entry_zone.0) {
                others += f64::from(self.external);
            }
            let own = if k > 1.0 { in_reach / (k - 1.0) } else { 0.0 };
            let foreign = if k > 0.0 { others / k } else { 0.0 };
            self.source_rates.push(plan.scans_per_sec * (own + foreign));
        }
        self.weights.clear();
        for (b, sources) in plan.sources_into.iter().enumerate() {
            let pressure: f64 = sources.iter().map(|a| self.source_rates[usize::from(a.0)]).sum();
            self.weights.push(plan.success * pressure * self.susceptible.len(b) as f64);
        }
    }

    /// Draws the next infection afresh from the current rates.
    fn reschedule(&mut self, sim: &mut Sim) {
        self.generation += 1;
        if self.stopped {
            return;
        }
        self.refresh_weights();
        let rate: f64 = self.weights.iter().sum();
        if rate > 0.0 {
            let delay = exponential_delay(sim.rng(), rate);
            sim.schedule_in(delay, self.h.infect, 0, self.generation);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::Signal;

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

        let fractions: Vec<f64> = results.iter().map(|r| f64::from(r.outcome.compromised) / f64::from(n)).collect();
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
            for e in res.events.iter().filter(|e| e.kind == Signal::Compromised) {
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
        assert!(through.iter().all(|r| r.outcome.compromised > 300), "an open SMB conduit lets the outbreak in");
        let closed = outbreak("", "")
            .replace(
                "entry_zone = \"lan\"\n            entry_devices = 1",
                "entry_zone = \"internet\"\n            external_sources = 1",
            )
            .replace(
                "services = [\"smb\"] }]\n            vulnerabilities",
                "services = [\"https\"] }]\n            vulnerabilities",
            );
        assert!(run(&closed, 20, false).iter().all(|r| r.outcome.compromised == 0), "no SMB conduit, no outbreak");
    }

    #[test]
    fn the_payload_encrypts_and_downtime_accrues_until_restored() {
        let encrypted = run(&outbreak("payload_delay = \"10m\"", ""), 20, false);
        for r in &encrypted {
            let o = &r.outcome;
            assert_eq!(o.disrupted, o.compromised, "every infected host is encrypted");
            assert!(o.downtime_device_hours > f64::from(o.disrupted) * 24.0, "downtime accrues while encrypted");
            assert!(!o.detected, "nobody notices without a ransom report");
        }
        let noticed = run(
            &outbreak(
                "payload_delay = \"10m\"\nransom_noticed_after = \"1h\"",
                "[defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"1d\"\npatch_on_restore = false",
            ),
            20,
            false,
        );
        for r in &noticed {
            let o = &r.outcome;
            assert!(o.detected);
            let ttd = o.time_to_detect_h.unwrap();
            assert!((ttd - (10.0 / 60.0 + 1.0)).abs() < 1e-6, "first detection 1h after the first encryption: {ttd}");
            assert!(o.restored > 0);
        }
        // Restored hosts are rebuilt clean but, unpatched, fall again: the
        // same host can be compromised more than once.
        let reinfections: u32 = noticed.iter().map(|r| r.outcome.restored).sum();
        assert!(reinfections > 0);
    }

    #[test]
    fn bad_parameters_are_reported_at_their_place() {
        let text = outbreak("", "")
            .replace("scans_per_hour = 2.0", "scans_per_hour = -1.0")
            .replace("entry_devices = 1", "entry_devices = 999");
        let err = match iomtsim_sim::Scenario::load(
            iomtsim_sim::ScenarioSource::from_text("t.toml", text),
            &crate::registry(),
        ) {
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
    use iomtsim_sim::Signal;

    #[test]
    fn intra_zone_stops_hosts_reaching_each_other() {
        let open = run(&lan(200, "-60d", "", "", ""), 10, false);
        let closed = run(
            &lan(200, "-60d", "", "", "")
                .replace("zones = [{ id = \"lan\" }]", "zones = [{ id = \"lan\", intra_zone = [\"https\"] }]"),
            10,
            false,
        );
        assert!(open.iter().all(|r| r.outcome.compromised > 150));
        assert!(closed.iter().all(|r| r.outcome.compromised == 1), "no SMB inside the zone: only patient zero");
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
            rs.iter().flat_map(|r| &r.events).filter(|e| e.kind == Signal::Compromised && e.device < 100).count()
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

    #[test]
    fn records_and_criticality_count_what_the_attack_reaches() {
        let text = lan(100, "-60d", "patient_records = 7\ncriticality = \"high\"", "payload_delay = \"1m\"", "");
        for r in run(&text, 5, false) {
            let o = &r.outcome;
            assert_eq!(o.records_exposed, 7 * u64::from(o.compromised));
            assert!(
                (o.critical_downtime_device_hours - o.downtime_device_hours).abs() < 1e-9
                    && o.downtime_device_hours > 0.0
            );
        }
        let low = lan(100, "-60d", "criticality = \"low\"", "payload_delay = \"1m\"", "");
        assert!(
            run(&low, 5, false)
                .iter()
                .all(|r| r.outcome.critical_downtime_device_hours == 0.0 && r.outcome.records_exposed == 0)
        );
    }

    #[test]
    fn the_entry_device_type_chooses_patient_zero() {
        let text = lan(50, "-60d", "", "entry_device_type = \"pump\"", "").replace(
            "[[placement]]",
            "[[device_types]]\n        id = \"pump\"\n        services = [\"https\"]\n        [[placement]]\n        zone = \"lan\"\n        device_type = \"pump\"\n        count = 50\n        [[placement]]",
        );
        for r in run(&text, 10, true) {
            let first = r.events.iter().find(|e| e.kind == Signal::Compromised).expect("patient zero");
            // The pumps' placement row comes first: they are devices 0..50.
            assert!(first.device < 50, "patient zero is a pump, got device {}", first.device);
        }
    }
}
