//! A self-propagating worm, as WannaCry was: exploitation of remote
//! services (ATT&CK T1210) spreading host to host. What it carries (a
//! ransomware payload) is a mechanism of its own that follows it.
//!
//! Each infected host scans at `scans_per_hour` the hosts it reaches on the
//! exploit's service and takes one with probability `exploit_success` if it
//! is vulnerable, unpatched, uninfected and not isolated; how the spread is
//! drawn so that common random numbers hold is told in
//! [`super::contagion`].

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use serde::Deserialize;

use super::contagion::{self, Outbreak, Spread, SpreadIds, SpreadParams, Weakness};

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
    /// Scanning stops for good this long after the worm first arrives
    /// (WannaCry's kill switch was registered the same evening, and stopped
    /// every copy at once, later ones too). Absent: never.
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

const OBJECTIVE: MetricSpec = MetricSpec::flag(
    "objective_reached",
    "objective reached",
    "the worm spread: it took at least one device by exploitation, beyond its entry devices",
)
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
        let (entry, _) = contagion::check_shared_fields(
            scenario,
            section,
            p.entry_zone.as_ref(),
            &p.scans_per_hour,
            p.external_sources,
            &mut problems,
        );
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
        let Some(vuln) = vuln else { return Err(problems) };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Worm { plan: Arc::new(WormPlan::new(scenario, &p, vuln, entry, candidates)) }))
    }
}

/// What every trial shares: the spread and how the outbreak begins.
struct WormPlan {
    spread: Arc<Spread>,
    entry_devices: u32,
    candidates: Vec<DeviceIndex>,
    kill_switch_after: Option<SimDuration>,
}

impl WormPlan {
    fn new(
        s: &Scenario,
        p: &WormParams,
        vuln: VulnId,
        entry_zone: Option<ZoneId>,
        candidates: Vec<DeviceIndex>,
    ) -> Self {
        let spread = Spread::new(
            s,
            SpreadParams {
                weakness: Weakness::Vulnerability(vuln),
                service: s.vulnerabilities[usize::from(vuln.0)].service,
                success: p.exploit_success.get(),
                scans_per_hour: *p.scans_per_hour.get_ref(),
                entry_zone,
                external_sources: p.external_sources,
            },
        );
        WormPlan {
            spread: Arc::new(spread),
            entry_devices: *p.entry_devices.get_ref(),
            candidates,
            kill_switch_after: p.kill_switch_after,
        }
    }
}

struct Worm {
    plan: Arc<WormPlan>,
}

#[derive(Clone, Copy)]
struct Ids {
    begin: HandlerId,
    stop: HandlerId,
    entered: EventKindId,
    spread: SpreadIds,
    objective: MetricId,
}

/// One instance's parameters and ids, for its handlers.
struct WormInstance {
    plan: Arc<WormPlan>,
    ids: Ids,
}

impl Plugin for Worm {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            begin: b.handler("worm.begin", begin),
            stop: b.handler("worm.stop", stop_scanning),
            entered: b.event(ENTERED),
            spread: SpreadIds {
                infect: b.handler("worm.infect", contagion::infect_next),
                taken: b.event(EXPLOITED),
                infections: b.metric(INFECTIONS),
            },
            objective: b.metric(OBJECTIVE),
        };
        contagion::watch(b, "worm.device_changed");
        let spread = b.handler("worm.spread", note_spread);
        b.on_transition(Transition::Compromised, spread);
        b.story("made {infections} {infections|infection|infections} in all (a device infected again counts again)");
        b.init_resource::<Instances<WormInstance>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_arrival(ids.begin);
        b.on_trial_start(
            move |mut worms: ResMut<Instances<WormInstance>>, mut outbreaks: ResMut<Instances<Outbreak>>, sim: Sim| {
                worms.insert(me, WormInstance { plan: plan.clone(), ids });
                let (devices, zones) = (sim.device_count() as usize, sim.scenario().zones.len());
                outbreaks.insert(me, Outbreak::new(plan.spread.clone(), ids.spread, devices, zones));
            },
        );
    }
}

/// The worm arrives (the event's tag counts its arrivals): the entry
/// devices fall and the spread is scheduled; at the first arrival the
/// outside sources start and the kill switch is set. A worm already killed
/// stays dead.
fn begin(
    In(e): In<Event>,
    mut sim: Sim,
    worms: Res<Instances<WormInstance>>,
    mut outbreaks: ResMut<Instances<Outbreak>>,
) {
    let w = worms.get(e.instance);
    let o = outbreaks.get_mut(e.instance);
    if o.stopped() {
        return;
    }
    if !o.started() {
        o.begin(&sim, e.instance);
        if let Some(after) = w.plan.kill_switch_after {
            sim.schedule_in(after, w.ids.stop, 0, 0);
        }
    }
    // The entry devices: the eligible ones with the smallest keys of their
    // identity, the same in every design where they are eligible.
    let first = sim.key(e.instance).named("entry");
    let key = if e.tag == 0 { first } else { first.with(e.tag) };
    let entries =
        crate::common::first_by_key(&sim, key, w.plan.candidates.iter().copied(), w.plan.entry_devices as usize);
    for (i, d) in entries.into_iter().enumerate() {
        o.seed(&mut sim, e.instance, d, w.ids.entered, key.named("entered").with(i as u64));
    }
    o.reschedule(&mut sim);
}

/// A device was compromised: if this worm took it by exploitation, the
/// worm has spread.
fn note_spread(In(e): In<Event>, mut sim: Sim, worms: Res<Instances<WormInstance>>) {
    let w = worms.get(e.instance);
    if EventKindId(e.tag as u16) == w.ids.spread.taken {
        sim.raise(w.ids.objective);
    }
}

fn stop_scanning(In(e): In<Event>, mut outbreaks: ResMut<Instances<Outbreak>>) {
    outbreaks.get_mut(e.instance).stop();
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
        let text = &format!(
            r#"
            name = "two-zones"
            duration = "30d"
            zones = [{{ id = "a" }}, {{ id = "b" }}]
            conduits = [{{ from = "a", to = "b", services = ["smb"] }}]
            vulnerabilities = [{{ id = "eb", service = "smb" }}]
            device_types = [{{ id = "host", services = ["smb"], vulnerabilities = [{{ id = "eb" }}] }}]
            placement = [
              {{ zone = "a", device_type = "host", count = 600 }},
              {{ zone = "b", device_type = "host", count = 600 }},
            ]
            {SIR_WORM_FROM_A}"#
        );
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

    /// Three zones of 200 hosts on one shared network that reaches `reach`
    /// of the other zones' hosts; hosts detected after an exponential hour
    /// and isolated at once.
    fn shared_network(reach: f64) -> String {
        format!(
            r#"
            name = "shared"
            duration = "30d"
            shared_networks = [{{ id = "n3", services = ["smb"], reach = {reach} }}]
            zones = [{{ id = "a", shared_network = "n3" }}, {{ id = "b", shared_network = "n3" }}, {{ id = "c", shared_network = "n3" }}]
            vulnerabilities = [{{ id = "eb", service = "smb" }}]
            device_types = [{{ id = "host", services = ["smb"], vulnerabilities = [{{ id = "eb" }}] }}]
            placement = [
              {{ zone = "a", device_type = "host", count = 200 }},
              {{ zone = "b", device_type = "host", count = 200 }},
              {{ zone = "c", device_type = "host", count = 200 }},
            ]
            {SIR_WORM_FROM_A}
            "#
        )
    }

    #[test]
    fn a_shared_network_spreads_as_multi_group_theory_says() {
        for reach in [1.0, 0.2] {
            let results = run(&shared_network(reach), 400, true);
            // A host reaches 199 in its zone and `reach` of the 400 others:
            // per pair, 3 × (1 or reach) / K.
            let k = 199.0 + reach * 400.0;
            let (own, other) = (3.0 * 200.0 / k, 3.0 * reach * 200.0 / k);
            let theory = final_size(&[
                vec![own * 199.0 / 200.0, other, other],
                vec![other, own * 199.0 / 200.0, other],
                vec![other, other, own * 199.0 / 200.0],
            ]);
            let mut taken = Vec::new();
            for r in &results {
                let per_zone = taken_per_zone(r, 200, 3);
                if per_zone.iter().sum::<u32>() > 60 {
                    taken.push(f64::from(per_zone[1] + per_zone[2]) / 400.0);
                }
            }
            assert!(taken.len() > 100, "too few major outbreaks: {}", taken.len());
            let (m, h) = mean_ci(&taken);
            assert!(
                (m - theory[1]).abs() < h + 0.02,
                "reach {reach}: other zones {m:.3} ± {h:.3}, theory {:.3}",
                theory[1]
            );
        }
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
    fn the_objective_is_spreading_beyond_the_entry() {
        let closed = lan(50, "-60d", "", "", "")
            .replace("zones = [{ id = \"lan\" }]", "zones = [{ id = \"lan\", intra_zone = [\"https\"] }]");
        let reached = |text: &str| {
            let e = engine(text);
            let m = e.model().metric("worm.objective_reached").expect("declared");
            run(text, 10, false).iter().filter(|r| r.outcome.get(m) == iomtsim_sim::MetricValue::Flag(true)).count()
        };
        assert_eq!(reached(&lan(50, "-60d", "", "", "")), 10);
        assert_eq!(reached(&closed), 0, "only patient zero: no spread");
    }

    /// A year on a zone where hosts cannot reach each other: each arrival
    /// of the worm takes one entry device and goes no further.
    fn arrivals(rate: &str) -> String {
        lan(2000, "-60d", "", rate, "")
            .replace("duration = \"10d\"", "duration = \"365d\"")
            .replace("zones = [{ id = \"lan\" }]", "zones = [{ id = \"lan\", intra_zone = [\"https\"] }]")
    }

    #[test]
    fn attacks_arrive_as_often_as_their_yearly_rate_says() {
        let per_trial = |text: &str| -> Vec<f64> {
            run(text, 400, false).iter().map(|r| r.outcome.core().compromised as f64).collect()
        };
        let (mean, half) = mean_ci(&per_trial(&arrivals("arrivals_per_year = 3.0")));
        assert!((mean - 3.0).abs() < half + 0.05, "Poisson arrivals, mean 3 a year: {mean:.2} ± {half:.2}");
        assert!(run(&arrivals("arrivals_per_year = 0.0"), 20, false).iter().all(|r| r.outcome.core().compromised == 0));
        // Once a year at most, by `start`: exactly one entry.
        assert!(run(&arrivals("start = \"100d\""), 5, false).iter().all(|r| r.outcome.core().compromised == 1));
    }

    #[test]
    fn only_attacks_that_start_on_their_own_take_an_arrival() {
        let err = load_error(&lan(10, "-60d", "", "", "[attacks.ransomware]\ndelay = \"1m\"\narrivals_per_year = 2.0"));
        assert!(err.contains("answers other attacks and has no arrival of its own"), "{err}");
        let err =
            load_error(&lan(10, "-60d", "", "", "[defences.monitoring]\ntime_to_detect = \"1h\"\nstart = \"1d\""));
        assert!(err.contains("only attacks arrive"), "{err}");
        let err = load_error(&lan(10, "-60d", "", "start = \"1d\"\narrivals_per_year = 2.0", ""));
        assert!(err.contains("not both"), "{err}");
    }

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
