//! An attacker nearby takes devices over their radios (ICS ATT&CK T0860
//! Wireless Compromise): someone in a waiting room, a corridor or a car
//! park with a laptop and a Bluetooth or Wi-Fi adapter. The wired zones and
//! conduits do not stand in the way: whoever is within range of a device's
//! radio reaches it, however the network is segmented.
//!
//! The attacker walks into each of its zones when the attack arrives (its
//! table's `start`, or each arrival of its `arrivals_per_year`) and stays
//! for `stays`. Which devices it reaches follows from geometry: it stands in one
//! spot, and the zone's devices are spread uniformly over its floor, so a
//! device whose radio carries `range_m` metres is in reach with probability
//! `min(1, π·range_m² / floor_area_m2)` (assumed). Whether a device is in
//! reach is a draw keyed by its identity, so the same devices are in reach
//! in every design that places them in a zone the attacker visits, and a
//! larger floor or a shorter range only ever takes devices out of reach.
//! Each device in reach falls with `success_probability`, at a moment
//! within the stay; both draws are keyed by the device too. A later visit
//! (another arrival) stands in another spot: its draws are keyed by the
//! arrival's number as well.

use std::sync::Arc;

use iomtsim_sim::RadioKind;
use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "wireless"`: an attacker within radio
/// range of devices.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WirelessParams {
    /// Ids of the zones the attacker walks into (a ward, a waiting room).
    /// It stands in one spot in each, all during the same stay; give a lone
    /// walker who visits zones in turn one instance per zone, each with its
    /// own `start`.
    #[schemars(with = "Vec<String>")]
    pub zones: Vec<Spanned<String>>,
    /// Which radios it attacks: `ble` (Bluetooth Low Energy) or `wifi`.
    /// Devices without a radio of this kind are out of its reach.
    pub radio: RadioKind,
    /// How long it stays; devices fall at moments spread uniformly over the
    /// stay. Default `1h` (assumed: one visit).
    #[serde(default = "one_hour")]
    pub stays: SimDuration,
    /// Probability that the attacker takes a device within its reach (the
    /// device's radio stack is vulnerable, or it pairs without
    /// authentication). Default 0.5 (assumed).
    #[serde(default = "half")]
    pub success_probability: Probability,
}

fn one_hour() -> SimDuration {
    SimDuration::from_hours(1)
}

fn half() -> Probability {
    Probability::new(0.5).expect("0.5 is a probability")
}

/// Registers the `wireless` mechanism.
pub struct WirelessFactory;

const IN_RANGE: EventSpec = EventSpec::new(
    "in-radio-range",
    "is within reach of an attacker's radio nearby",
    "are within reach of an attacker's radio nearby",
);
const HIJACKED: EventSpec =
    EventSpec::new("radio-hijacked", "is taken over through its radio", "are taken over through their radios")
        .technique("T0860");
const IN_RANGE_COUNT: MetricSpec = MetricSpec::count(
    "in_range",
    "devices within the attacker's radio range",
    "devices with a radio of the attacked kind that stood within range of the attacker's spot",
)
.unit("devices")
.lower_is_better();
const HIJACKS: MetricSpec = MetricSpec::count(
    "hijacked",
    "devices taken over the air",
    "devices the attacker took through their radios (not counting those already compromised)",
)
.unit("devices")
.lower_is_better();
const OBJECTIVE: MetricSpec = MetricSpec::flag(
    "objective_reached",
    "objective reached",
    "whether the attacker took at least one device through its radio",
)
.lower_is_better();

impl PluginSpec for WirelessFactory {
    type Params = WirelessParams;
    const KIND: &'static str = "wireless";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "attacker within radio range taking devices over BLE or Wi-Fi (T0860)";

    fn configure(
        p: WirelessParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut visited = vec![false; scenario.zones.len()];
        if p.zones.is_empty() {
            problems.push(
                Diagnostic::at(section.span(), "the attacker walks into no zone: `zones` is empty")
                    .with_help("name the zones it visits, e.g. zones = [\"ward-4\"]"),
            );
        }
        for r in &p.zones {
            match scenario.zone_ref(r) {
                Ok(z) if scenario.zones[usize::from(z.0)].external => problems.push(
                    Diagnostic::at(
                        r.span(),
                        format!("zone `{}` is outside the estate: no device stands there", r.get_ref()),
                    )
                    .with_help("name a zone of the hospital's premises, where its devices are"),
                ),
                Ok(z) => visited[usize::from(z.0)] = true,
                Err(d) => problems.push(d),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // The chance that a device of each type is within reach in each
        // zone visited: the attacker's spot covers π r² of the floor.
        let reach: Vec<Option<f64>> = scenario
            .device_types
            .iter()
            .map(|t| t.radio.iter().filter(|r| r.kind == p.radio).map(|r| r.range_m).reduce(f64::max))
            .collect();
        let candidates = scenario
            .devices
            .iter()
            .enumerate()
            .filter(|(_, d)| visited[usize::from(d.zone.0)])
            .filter_map(|(i, d)| {
                let range = reach[usize::from(d.device_type.0)]?;
                let area = scenario.zones[usize::from(d.zone.0)].floor_area_m2;
                Some((i as DeviceIndex, in_reach(range, area)))
            })
            .collect();
        Ok(Box::new(Wireless {
            plan: Arc::new(Plan { stays: p.stays, success: p.success_probability.get(), candidates }),
        }))
    }
}

/// The chance that a device with a radio of range `range_m`, placed
/// uniformly at random on a floor of `area_m2`, is within that range of a
/// fixed spot (edge effects ignored): the covered share of the floor.
fn in_reach(range_m: f64, area_m2: f64) -> f64 {
    (std::f64::consts::PI * range_m * range_m / area_m2).min(1.0)
}

struct Plan {
    stays: SimDuration,
    success: f64,
    /// Devices in a visited zone with a radio of the attacked kind, each
    /// with its chance of being within reach.
    candidates: Vec<(DeviceIndex, f64)>,
}

struct Wireless {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    arrive: HandlerId,
    hijack: HandlerId,
    in_range: EventKindId,
    hijacked: EventKindId,
    in_range_count: MetricId,
    hijacks: MetricId,
    objective: MetricId,
}

/// One instance's parameters and ids, for its handlers.
struct Walk {
    plan: Arc<Plan>,
    ids: Ids,
}

impl Plugin for Wireless {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            arrive: b.handler("wireless.arrive", arrive),
            hijack: b.handler("wireless.hijack", hijack),
            in_range: b.event(IN_RANGE),
            hijacked: b.event(HIJACKED),
            in_range_count: b.metric(IN_RANGE_COUNT),
            hijacks: b.metric(HIJACKS),
            objective: b.metric(OBJECTIVE),
        };
        b.story("came within radio range of {in_range} {in_range|device|devices} and took {hijacked} over the air");
        b.init_resource::<Instances<Walk>>();
        b.on_arrival(ids.arrive);
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut walks: ResMut<Instances<Walk>>| {
            walks.insert(me, Walk { plan: plan.clone(), ids });
        });
    }
}

/// The attacker arrives (the event's tag counts its visits): the devices
/// within reach of its spot are known, and those it will take fall at
/// moments within its stay.
fn arrive(In(e): In<Event>, mut sim: Sim, walks: Res<Instances<Walk>>) {
    let w = walks.get(e.instance);
    let first = sim.key(e.instance);
    let key = if e.tag == 0 { first } else { first.with(e.tag) };
    for &(d, share) in &w.plan.candidates {
        let id = sim.identity(d);
        if !key.named("in-range").with(id).bernoulli(share) {
            continue;
        }
        sim.record(d, w.ids.in_range);
        sim.add(w.ids.in_range_count, 1);
        if key.named("success").with(id).bernoulli(w.plan.success) {
            let at = key.named("when").with(id).uniform() * w.plan.stays.as_secs_f64();
            sim.schedule_in(SimDuration::from_secs_f64(at), w.ids.hijack, d, e.tag);
        }
    }
}

fn hijack(In(e): In<Event>, mut sim: Sim, walks: Res<Instances<Walk>>) {
    let w = walks.get(e.instance);
    let cause = sim.key(e.instance).named("hijacked").with(e.tag).with(sim.identity(e.target));
    if sim.compromise_by(e.target, w.ids.hijacked, cause) {
        sim.add(w.ids.hijacks, 1);
        sim.raise(w.ids.objective);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::{Transition, TrialResult};

    /// A ward of `pumps` BLE pumps (range `range` m) and 40 monitors on
    /// Wi-Fi only, on a floor of `area` m², with no conduit and no traffic
    /// allowed inside the zone, and an attacker with a BLE radio.
    fn ward(pumps: u32, range: f64, area: f64, attack: &str) -> String {
        format!(
            r#"
            name = "radio"
            duration = "2d"
            zones = [{{ id = "ward", intra_zone = [], floor_area_m2 = {area} }}, {{ id = "office" }}]
            device_types = [
              {{ id = "pump", radio = [{{ kind = "ble", range_m = {range} }}] }},
              {{ id = "monitor", radio = [{{ kind = "wifi", range_m = 50.0 }}] }},
            ]
            placement = [
              {{ zone = "ward", device_type = "pump", count = {pumps} }},
              {{ zone = "ward", device_type = "monitor", count = 40 }},
            ]
            [attacks.wireless]
            zones = ["ward"]
            radio = "ble"
            {attack}
            "#
        )
    }

    fn metric(text: &str, results: &[TrialResult], name: &str) -> Vec<f64> {
        let m = engine(text).model().metric(&format!("wireless.{name}")).expect("declared");
        results.iter().map(|r| r.outcome.get(m).as_f64().unwrap_or(0.0)).collect()
    }

    #[test]
    fn only_devices_with_the_attacked_radio_fall_whatever_the_wiring() {
        // The ward has no conduit and its hosts cannot talk to each other:
        // the radio needs neither.
        let text = ward(100, 10.0, 1000.0, "success_probability = 1.0\nstart = \"3h\"\nstays = \"2h\"");
        let results = run(&text, 40, true);
        let mut taken = 0;
        for r in &results {
            for e in r.events.iter().filter(|e| e.transition == Some(Transition::Compromised)) {
                assert!(e.device < 100, "a monitor (Wi-Fi only) was taken by a BLE attacker: {}", e.device);
                let h = e.time.as_hours_f64();
                assert!((3.0..=5.0).contains(&h), "taken at {h}h, outside the stay");
                taken += 1;
            }
        }
        assert!(taken > 40 * 20, "about a third of 100 pumps fall in each trial, {taken} in 40 trials");
        let in_range = metric(&text, &results, "in_range");
        let hijacked = metric(&text, &results, "hijacked");
        assert_eq!(in_range, hijacked, "with certain success every pump in reach falls");
        let reached = metric(&text, &results, "objective_reached");
        assert!(reached.iter().all(|&x| x == 1.0));
        // A Wi-Fi attacker reaches the monitors instead, and never a pump.
        let wifi = text.replace("radio = \"ble\"", "radio = \"wifi\"");
        for r in run(&wifi, 10, true) {
            let taken: Vec<u32> =
                r.events.iter().filter(|e| e.transition == Some(Transition::Compromised)).map(|e| e.device).collect();
            // 40 monitors with a 50 m range on 1,000 m²: all in reach.
            assert_eq!(taken.len(), 40);
            assert!(taken.iter().all(|&d| d >= 100));
        }
    }

    #[test]
    fn a_four_times_larger_floor_or_half_the_range_cuts_the_reach_fourfold() {
        let trials = 200;
        let near = ward(400, 10.0, 1000.0, "");
        let far = ward(400, 10.0, 4000.0, "");
        let short = ward(400, 5.0, 1000.0, "");
        let (rn, rf, rs) = (run(&near, trials, false), run(&far, trials, false), run(&short, trials, false));
        let n = mean_ci(&metric(&near, &rn, "in_range"));
        let f = mean_ci(&metric(&far, &rf, "in_range"));
        let expected_near = 400.0 * std::f64::consts::PI * 100.0 / 1000.0;
        assert!((n.0 - expected_near).abs() < n.1 + 1.0, "{:.1} ± {:.1}, expected {expected_near:.1}", n.0, n.1);
        assert!(
            (f.0 - expected_near / 4.0).abs() < f.1 + 0.5,
            "{:.1} ± {:.1}, expected {:.1}",
            f.0,
            f.1,
            expected_near / 4.0
        );
        assert_clearly_below(f, n, "pumps in reach on a floor four times larger");
        // Half the range covers the same share as four times the floor, and
        // the keyed draws put the very same pumps in reach.
        assert_eq!(metric(&far, &rf, "in_range"), metric(&short, &rs, "in_range"));
        // Success halves what falls among them.
        let hijacked = mean_ci(&metric(&near, &rn, "hijacked"));
        assert!((hijacked.0 - n.0 / 2.0).abs() < hijacked.1 + 1.0, "default success 0.5: {hijacked:?} of {n:?}");
    }

    #[test]
    fn each_visit_stands_in_a_new_spot() {
        // About ten visits in two days (five a day), each from a spot of
        // its own: a pump out of reach on one visit may be in reach on the
        // next, so nearly all fall, 100 × (1 − e^(−10 × 0.314)) ≈ 95.7.
        let trials = 60;
        let once = ward(100, 10.0, 1000.0, "success_probability = 1.0");
        let often = ward(100, 10.0, 1000.0, "success_probability = 1.0\narrivals_per_year = 1825.0");
        let (ro, rf) = (run(&once, trials, false), run(&often, trials, false));
        let o = mean_ci(&metric(&once, &ro, "hijacked"));
        let f = mean_ci(&metric(&often, &rf, "hijacked"));
        assert_clearly_below(o, f, "pumps taken in one visit rather than about ten");
        assert!((f.0 - 95.7).abs() < f.1 + 3.0, "{f:?}, expected about 95.7");
        // The visits reach about 31.4 pumps each, taken or not.
        let reached = mean_ci(&metric(&often, &rf, "in_range"));
        assert!((reached.0 - 314.0).abs() < reached.1 + 10.0, "{reached:?}, expected about 314");
    }

    #[test]
    fn nothing_falls_before_arrival_without_success_or_past_the_horizon() {
        let never = ward(100, 10.0, 1000.0, "success_probability = 0.0");
        assert!(run(&never, 20, false).iter().all(|r| r.outcome.core().compromised == 0));
        let late = ward(100, 10.0, 1000.0, "start = \"3d\"");
        assert!(run(&late, 20, false).iter().all(|r| r.outcome.core().compromised == 0));
    }

    #[test]
    fn the_teaching_scenario_reaches_its_objective() {
        let text = include_str!("../../../scenarios/threats/wireless.toml");
        let results = run(text, 200, false);
        let m = engine(text).model().metric("visitor.objective_reached").expect("declared");
        let reached = results.iter().filter(|r| r.outcome.get(m).as_f64() == Some(1.0)).count();
        let share = reached as f64 / results.len() as f64;
        assert!(share > 0.2, "objective reached in {:.0}% of trials", share * 100.0);
    }

    #[test]
    fn zones_must_be_on_the_premises() {
        let text = ward(10, 10.0, 1000.0, "").replace("zones = [\"ward\"]", "zones = [\"lobby\"]");
        let err = load_error(&text);
        assert!(err.contains("unknown zone `lobby`"), "{err}");
        let outside = ward(10, 10.0, 1000.0, "")
            .replace("{ id = \"office\" }", "{ id = \"internet\", external = true }")
            .replace("zones = [\"ward\"]", "zones = [\"internet\"]");
        let err = load_error(&outside);
        assert!(err.contains("zone `internet` is outside the estate"), "{err}");
    }
}
