//! The shipped scenarios show what each defence buys: segmentation and
//! patching move the metrics they target by more than the confidence
//! interval. Designs are compared with the same seed, so each trial of one
//! design draws from the same random stream as its counterpart.

use crate::{engine, engine_from_text, mean_ci, root, run};

fn clearly_below(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 + a.1 < b.0 - b.1
}

#[test]
fn segmentation_cuts_compromised_devices_and_exposed_records() {
    let flat = run(&engine("scenarios/hospital/regional-flat.toml"), 300, 0);
    let segmented = run(&engine("scenarios/hospital/regional-segmented.toml"), 300, 0);
    let c = |o: &iomtsim_sim::TrialOutcome| f64::from(o.compromised);
    let r = |o: &iomtsim_sim::TrialOutcome| o.records_exposed as f64;
    let k = |o: &iomtsim_sim::TrialOutcome| o.critical_downtime_device_hours;
    let (cf, cs) = (mean_ci(&flat, c), mean_ci(&segmented, c));
    assert!(clearly_below(cs, cf), "compromised: segmented {cs:?} vs flat {cf:?}");
    assert!(clearly_below(mean_ci(&segmented, r), mean_ci(&flat, r)), "records exposed");
    assert!(clearly_below(mean_ci(&segmented, k), mean_ci(&flat, k)), "critical-device downtime");
}

#[test]
fn patching_cuts_compromised_devices_in_the_reference_hospital() {
    let text = std::fs::read_to_string(root().join("scenarios/hospital/regional-flat.toml")).unwrap();
    let start = text.find("[defences.patching]").unwrap();
    let end = text.find("[defences.monitoring]").unwrap();
    let unpatched = format!("{}{}", &text[..start], &text[end..]);
    let faster = text.replace("coverage = 0.57", "coverage = 0.95");
    let c = |o: &iomtsim_sim::TrialOutcome| f64::from(o.compromised);
    let base = mean_ci(&run(&engine_from_text("flat.toml", &text), 200, 0), c);
    let none = mean_ci(&run(&engine_from_text("unpatched.toml", &unpatched), 200, 0), c);
    let more = mean_ci(&run(&engine_from_text("more.toml", &faster), 200, 0), c);
    assert!(clearly_below(base, none), "patching {base:?} vs none {none:?}");
    assert!(clearly_below(more, base), "95% coverage {more:?} vs 57% {base:?}");
}

#[test]
fn every_shipped_scenario_validates_and_runs() {
    for entry in ["hospital/regional-flat.toml", "hospital/regional-segmented.toml", "teaching/flat-ward.toml"] {
        let e = engine(&format!("scenarios/{entry}"));
        let results = run(&e, 5, 0);
        assert!(results.iter().all(|r| r.outcome.compromised >= 1), "{entry}: the outbreak starts");
    }
}

#[test]
fn the_reference_hospital_has_the_promised_estate() {
    let e = engine("scenarios/hospital/regional-flat.toml");
    let s = e.scenario();
    assert!((5_500..=6_500).contains(&s.device_count()), "{} devices", s.device_count());
    assert!(s.device_types.len() >= 10);
    let seg = engine("scenarios/hospital/regional-segmented.toml");
    // The same estate: the same number of devices of each type.
    let per_type = |s: &iomtsim_sim::Scenario| {
        let mut v: Vec<(String, u32)> = s
            .device_types
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), s.devices.iter().filter(|d| usize::from(d.device_type.0) == i).count() as u32))
            .collect();
        v.sort();
        v
    };
    assert_eq!(per_type(s), per_type(seg.scenario()));
    let ward = engine("scenarios/teaching/flat-ward.toml");
    assert!((150..=250).contains(&ward.scenario().device_count()));
}
