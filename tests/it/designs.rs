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
    let c = |o: &iomtsim_sim::CoreOutcome| o.compromised as f64;
    let r = |o: &iomtsim_sim::CoreOutcome| o.records_on_compromised_devices as f64;
    let k = |o: &iomtsim_sim::CoreOutcome| o.critical_downtime_device_hours;
    let (cf, cs) = (mean_ci(&flat, c), mean_ci(&segmented, c));
    assert!(clearly_below(cs, cf), "compromised: segmented {cs:?} vs flat {cf:?}");
    assert!(clearly_below(mean_ci(&segmented, r), mean_ci(&flat, r)), "records exposed");
    assert!(clearly_below(mean_ci(&segmented, k), mean_ci(&flat, k)), "critical-device downtime");
    // The pump zone: no conduit carries the pumps' maintenance port, so the
    // tampering that follows the worm changes no dose.
    let s = |o: &iomtsim_sim::CoreOutcome| o.safety_events as f64;
    assert!(mean_ci(&flat, s).0 > 1.0, "doses changed on the flat network: {:?}", mean_ci(&flat, s));
    assert_eq!(mean_ci(&segmented, s).0, 0.0, "no dose changed behind the pump zone");
}

#[test]
fn patching_cuts_compromised_devices_in_the_reference_hospital() {
    let text = std::fs::read_to_string(root().join("scenarios/hospital/regional-flat.toml")).unwrap();
    let start = text.find("[defences.patching]").unwrap();
    let end = text.find("[defences.monitoring]").unwrap();
    let unpatched = format!("{}{}", &text[..start], &text[end..]);
    let faster = text.replace("coverage = 0.57", "coverage = 0.95");
    let c = |o: &iomtsim_sim::CoreOutcome| o.compromised as f64;
    let base = mean_ci(&run(&engine_from_text("flat.toml", &text), 200, 0), c);
    let none = mean_ci(&run(&engine_from_text("unpatched.toml", &unpatched), 200, 0), c);
    let more = mean_ci(&run(&engine_from_text("more.toml", &faster), 200, 0), c);
    assert!(clearly_below(base, none), "patching {base:?} vs none {none:?}");
    assert!(clearly_below(more, base), "95% coverage {more:?} vs 57% {base:?}");
}

/// Every scenario file under `scenarios/`.
pub fn shipped_scenarios() -> Vec<String> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let dir = dir.unwrap().path();
        // Sweep files vary a scenario; they are not scenarios themselves.
        if !dir.is_dir() || dir.ends_with("sweeps") {
            continue;
        }
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "toml") {
                out.push(f.strip_prefix(root()).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_shipped_scenario_runs_and_every_mechanism_in_it_acts() {
    let files = shipped_scenarios();
    assert!(files.len() >= 6, "{files:?}");
    // (folder, instance id, kind) -> whether it acted in some file of the folder.
    let mut acted_in_folder: std::collections::BTreeMap<(String, String, String), bool> = Default::default();
    for file in files {
        let e = engine(&file);
        let results = run(&e, 20, 0);
        let model = e.model();
        // The attacks do not take everything.
        let (mean, _) = mean_ci(&results, |o| o.compromised as f64);
        assert!(mean < f64::from(model.scenario.device_count()), "{file}: mean compromised {mean}");
        // Every step an attack takes names an ATT&CK technique of the table.
        for kind in &model.events {
            if let Some(t) = kind.technique {
                assert!(iomtsim_sim::technique_name(t).is_some(), "{file}: {} emits {t}, not in the table", kind.name);
            }
        }
        let folder = file.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_owned());
        for (i, info) in model.instances.iter().enumerate() {
            let own: Vec<_> = model
                .metrics
                .iter()
                .enumerate()
                .filter(|(_, m)| m.source.is_some_and(|s| usize::from(s.0) == i))
                .map(|(j, _)| iomtsim_sim::MetricId(j as u16))
                .collect();
            let acted = if own.is_empty() {
                // A defence that changes the hospital before the trials
                // (encryption, an allow-list) counts nothing itself: it acts
                // if the same trials without it come out differently.
                changes_outcomes(&file, &format!("{}.{}", info.role.table(), info.id), &results)
            } else {
                results.iter().any(|r| own.iter().any(|m| r.outcome.get(*m).as_f64().is_some_and(|v| v > 0.0)))
            };
            *acted_in_folder.entry((folder.clone(), info.id.clone(), info.kind.to_owned())).or_default() |= acted;
        }
    }
    // Every attack and defence a file configures changes something in some
    // trial of some design of its folder: none is there for show. (A design
    // may be there to show an attack stopped, as a pump zone stops pump
    // tampering, when the other designs of its folder show it acting.)
    for ((folder, id, kind), acted) in acted_in_folder {
        assert!(acted, "{folder}: {id} ({kind}) never acted in 20 trials of any design");
    }
}

/// Whether the trials of `file` without its table `[table]` differ from
/// `results` in some column both runs have.
fn changes_outcomes(file: &str, table: &str, results: &[iomtsim_sim::TrialResult]) -> bool {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let header = format!("\n[{table}]");
    let start = text.rfind(&header).unwrap_or_else(|| panic!("{file}: no [{table}]"));
    let end = text[start + header.len()..].find("\n[").map_or(text.len(), |i| start + header.len() + i);
    let bare = engine_from_text(file, &format!("{}{}", &text[..start], &text[end..]));
    let with = engine(file);
    let others = run(&bare, results.len() as u32, 0);
    bare.model().metrics.iter().enumerate().any(|(j, m)| {
        let Some(same) = with.model().metric(&m.column) else { return false };
        results
            .iter()
            .zip(&others)
            .any(|(a, b)| a.outcome.get(same).as_f64() != b.outcome.get(iomtsim_sim::MetricId(j as u16)).as_f64())
    })
}

/// Every attack and defence is configured by some shipped scenario, so the
/// test above runs it and checks the techniques it emits.
#[test]
fn every_mechanism_ships_in_a_scenario() {
    let texts: Vec<String> =
        shipped_scenarios().iter().map(|f| std::fs::read_to_string(root().join(f)).unwrap()).collect();
    for factory in iomtsim_attacks::registry().iter() {
        let kind = factory.kind();
        let header = format!("s.{kind}]");
        let named = format!("kind = \"{kind}\"");
        assert!(
            texts.iter().any(|t| t.contains(&header) || t.contains(&named)),
            "no shipped scenario configures `{kind}`"
        );
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

/// Common random numbers hold: the shipped procurement designs, flat and
/// one VLAN per department, run with the same seed, differ trial by trial
/// so little beyond what the design changes that the paired interval of
/// their difference in devices compromised is at most a fifth as wide as
/// the unpaired (Welch) interval of the same trials.
#[test]
fn common_random_numbers_narrow_the_procurement_comparison() {
    use iomtsim_analysis::compare::welch_half_width;
    use iomtsim_analysis::half_width;
    let flat = run(&engine("scenarios/procurement/flat.toml"), 300, 0);
    let vlan = run(&engine("scenarios/procurement/vlan-by-department.toml"), 300, 0);
    let a: Vec<f64> = flat.iter().map(|r| r.outcome.core().compromised as f64).collect();
    let b: Vec<f64> = vlan.iter().map(|r| r.outcome.core().compromised as f64).collect();
    let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| y - x).collect();
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (d.len() - 1) as f64).sqrt();
    let ratio = half_width(sd, d.len() as u32) / welch_half_width(&b, &a);
    assert!(ratio <= 0.2, "paired interval {ratio:.3} times the width of the unpaired one");
    // And the design still makes a difference beyond that interval.
    assert!(mean + half_width(sd, d.len() as u32) < 0.0, "VLANs cut devices compromised: {mean:.1}");
}
