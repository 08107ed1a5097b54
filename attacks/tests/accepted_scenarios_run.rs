//! Property: any scenario the validator accepts runs a trial without
//! panicking, and its outcome is coherent. Scenarios are drawn at random,
//! valid and invalid values mixed, so both paths are exercised.

use iomtsim_sim::{Engine, ScenarioSource, load_model};
use proptest::prelude::*;

const ZONES: &[&str] = &["a", "b", "wan"];
const SERVICES: &[&str] = &["smb", "https", "hl7", "rdp"];
const DURATIONS: &[&str] = &["1s", "90s", "1h", "3d", "30d"];
const BAD_DURATIONS: &[&str] = &["0s", "x", "-1h"];
const TYPES: &[&str] = &["pc", "pump", "server"];

/// Mostly `good`, now and then `bad`: each drawn scenario has a fair chance
/// of being valid, and every kind of mistake still turns up.
fn mostly(good: &'static [&'static str], bad: &'static [&'static str]) -> impl Strategy<Value = &'static str> + Clone {
    prop_oneof![19 => pick(good), 1 => pick(bad)]
}

fn duration() -> impl Strategy<Value = &'static str> + Clone {
    mostly(DURATIONS, BAD_DURATIONS)
}

fn zone_ref() -> impl Strategy<Value = &'static str> + Clone {
    mostly(&["a", "b"], &["c", "wan"])
}

fn services() -> impl Strategy<Value = Vec<&'static str>> {
    prop_oneof![19 => proptest::sample::subsequence(SERVICES.to_vec(), 1..3), 1 => Just(vec!["bogus"]), 1 => Just(vec![])]
}

fn pick(xs: &[&'static str]) -> impl Strategy<Value = &'static str> + Clone {
    proptest::sample::select(xs.to_vec())
}

fn probability() -> impl Strategy<Value = f64> {
    prop_oneof![60 => 0.0f64..=1.0, 5 => Just(0.0), 5 => Just(1.0), 1 => Just(1.5), 1 => Just(-0.2)]
}

fn distribution() -> impl Strategy<Value = String> {
    prop_oneof![
        duration().prop_map(|d| format!("\"{d}\"")),
        duration().prop_map(|m| format!("{{ dist = \"exponential\", mean = \"{m}\" }}")),
        ordered_pair().prop_map(|(m, p)| format!("{{ dist = \"lognormal\", median = \"{m}\", p90 = \"{p}\" }}")),
        ordered_pair().prop_map(|(a, b)| format!("{{ dist = \"uniform\", min = \"{a}\", max = \"{b}\" }}")),
    ]
}

/// Two durations, mostly the first shorter than the second.
fn ordered_pair() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop_oneof![
        10 => (0..DURATIONS.len() - 1).prop_flat_map(|i| (Just(DURATIONS[i]), pick(&DURATIONS[i + 1..]))),
        1 => (duration(), duration()),
    ]
}

fn list(xs: &[&str]) -> String {
    format!("[{}]", xs.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", "))
}

prop_compose! {
    fn zones()(intra_a in proptest::option::of(proptest::sample::subsequence(SERVICES.to_vec(), 0..3)),
               intra_b in proptest::option::of(proptest::sample::subsequence(SERVICES.to_vec(), 0..3)),
               duplicate in proptest::bool::weighted(0.03)) -> String {
        let intra = |i: Option<Vec<&str>>| i.map(|s| format!("intra_zone = {}\n", list(&s))).unwrap_or_default();
        let mut s = format!("[[zones]]\nid = \"a\"\n{}\n[[zones]]\nid = \"b\"\n{}\n[[zones]]\nid = \"wan\"\nexternal = true\n\n", intra(intra_a), intra(intra_b));
        if duplicate { s += "[[zones]]\nid = \"a\"\n\n"; }
        s
    }
}

prop_compose! {
    fn conduit()((from, to) in prop_oneof![
                    20 => pick(ZONES).prop_flat_map(|a| (Just(a), pick(ZONES).prop_filter("distinct ends", move |b| *b != a))),
                    1 => pick(ZONES).prop_map(|a| (a, a)),
                 ], services in services(),
                 both in any::<bool>()) -> String {
        format!("[[conduits]]\nfrom = \"{from}\"\nto = \"{to}\"\nservices = {}\nbidirectional = {both}\n\n", list(&services))
    }
}

prop_compose! {
    fn device_type(id: &'static str)(services in services(),
                     vulnerable in proptest::bool::weighted(0.8), share in probability(), unsupported in probability(),
                     records in 0u64..1000,
                     criticality in pick(&["life-critical", "high", "medium", "low"])) -> String {
        let vulns = if vulnerable { format!("vulnerabilities = [{{ id = \"v\", share = {share} }}]\n") } else { String::new() };
        format!("[[device_types]]\nid = \"{id}\"\nservices = {}\n{vulns}unsupported_os = {unsupported}\npatient_records = {records}\ncriticality = \"{criticality}\"\n\n", list(&services))
    }
}

prop_compose! {
    fn placement()(zone in zone_ref(), t in pick(TYPES), count in prop_oneof![30 => 0u32..60, 1 => Just(3_000_000)]) -> String {
        format!("[[placement]]\nzone = \"{zone}\"\ndevice_type = \"{t}\"\ncount = {count}\n\n")
    }
}

prop_compose! {
    fn worm()(rate in prop_oneof![20 => 0.01f64..50.0, 1 => Just(0.0), 1 => Just(-1.0)], success in probability(), zone in pick(ZONES),
              devices in 0u32..3, external in 0u32..3, kill in proptest::option::of(duration()),
              payload in proptest::option::of(distribution()), noticed in proptest::option::of(distribution()),
              entry_type in proptest::option::of(pick(TYPES)), start in duration()) -> String {
        let mut s = format!("[attacks.worm]\nexploit = \"v\"\nscans_per_hour = {rate}\nexploit_success = {success}\nentry_zone = \"{zone}\"\nentry_devices = {devices}\nexternal_sources = {external}\nstart = \"{start}\"\n");
        if let Some(k) = kill { s += &format!("kill_switch_after = \"{k}\"\n"); }
        if let Some(t) = entry_type { s += &format!("entry_device_type = \"{t}\"\n"); }
        if let Some(p) = payload {
            s += &format!("\n[attacks.ransomware]\ndelay = {p}\n");
            if let Some(n) = noticed { s += &format!("noticed_after = {n}\n"); }
        }
        s + "\n"
    }
}

prop_compose! {
    fn defences()(patching in proptest::option::of((distribution(), probability(), proptest::option::of((pick(TYPES), distribution())))),
                  monitoring in proptest::option::of((probability(), distribution(), zone_ref(), probability())),
                  response in proptest::option::of((distribution(), distribution(), any::<bool>()))) -> String {
        let mut s = String::new();
        if let Some((lag, coverage, by_type)) = patching {
            s += &format!("[defences.patching]\nlag = {lag}\ncoverage = {coverage}\n");
            if let Some((t, l)) = by_type { s += &format!("lag_by_device_type = {{ {t} = {l} }}\n"); }
            s += "\n";
        }
        if let Some((c, ttd, z, zc)) = monitoring {
            s += &format!("[defences.monitoring]\ncoverage = {c}\ntime_to_detect = {ttd}\nzones = {{ {z} = {zc} }}\n\n");
        }
        if let Some((iso, restore, patch)) = response {
            s += &format!("[defences.incident_response]\nisolate_after = {iso}\nrestore_time = {restore}\npatch_on_restore = {patch}\n\n");
        }
        s
    }
}

prop_compose! {
    fn scenario()(duration in duration(), zones in zones(),
                  conduits in proptest::collection::vec(conduit(), 0..4),
                  types in (device_type("pc"), device_type("pump"), device_type("server")),
                  placements in proptest::collection::vec(placement(), 1..5), service in pick(SERVICES),
                  disclosed in pick(&["-59d", "0s", "2h", "-1h"]), worm in proptest::option::weighted(0.9, worm()),
                  defences in defences()) -> String {
        let mut s = format!("name = \"prop\"\nduration = \"{duration}\"\n\n[[vulnerabilities]]\nid = \"v\"\nservice = \"{service}\"\ndisclosed = \"{disclosed}\"\nvendor_patch_after = \"1h\"\n\n");
        s += &zones;
        for part in conduits.iter().chain([&types.0, &types.1, &types.2]).chain(&placements) {
            s += part;
        }
        s += &worm.unwrap_or_default();
        s + &defences
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn accepted_scenarios_run_a_trial(text in scenario()) {
        let loaded = load_model(ScenarioSource::from_text("prop.toml", text.clone()), &iomtsim_attacks::registry());
        if let Ok(model) = loaded {
            let engine = Engine::new(model);
            let o = engine.run_trial(7, 0, true).outcome.core();
            prop_assert!(o.compromised <= o.devices, "{text}");
            prop_assert!(o.peak_compromised <= o.compromised, "{text}");
            prop_assert!(o.still_compromised <= o.peak_compromised, "{text}");
            prop_assert!(o.disrupted <= o.devices, "{text}");
            prop_assert!(o.downtime_device_hours >= 0.0 && o.downtime_device_hours.is_finite(), "{text}");
            prop_assert_eq!(o.detected, o.time_to_detect_h.is_some());
        } else if let Err(e) = loaded {
            // Every rejection renders, and names the file.
            prop_assert!(e.to_string().contains("prop.toml"), "{}", e);
        }
    }
}

/// The property above only means something if many drawn scenarios are
/// accepted and some of those see an outbreak.
#[test]
fn drawn_scenarios_are_often_accepted_and_sometimes_spread() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut accepted, mut spread) = (0, 0);
    for _ in 0..600 {
        let text = scenario().new_tree(&mut runner).unwrap().current();
        let loaded = load_model(ScenarioSource::from_text("prop.toml", text.clone()), &iomtsim_attacks::registry());
        if std::env::var("SHOW_REJECTIONS").is_ok()
            && let Err(e) = &loaded
        {
            eprintln!("{text}\n{e}");
        }
        if let Ok(model) = loaded {
            accepted += 1;
            if Engine::new(model).run_trial(7, 0, false).outcome.core().compromised > 1 {
                spread += 1;
            }
        }
    }
    eprintln!("{accepted} accepted, {spread} spread");
    assert!(accepted >= 60, "only {accepted} of 600 drawn scenarios were accepted");
    assert!(spread >= 5, "only {spread} accepted scenarios saw an outbreak spread");
}
