//! The national scenario stays near what WannaCry did to the NHS in
//! England (National Audit Office, [S8]): the fitted trusts infected within
//! a factor of two of the 34 counted, GP practices within a factor of two
//! of the 595; and the national network is what carries the worm between
//! organisations: with no reach over it, only the organisations it entered
//! fall.

use crate::{engine, engine_from_text, root, run};

const FILE: &str = "scenarios/national/nhs-england-2017.toml";

/// Mean trusts and GP practices with at least one device compromised.
fn organisations_infected(e: &iomtsim_sim::Engine, trials: u32) -> (f64, f64) {
    let s = &e.model().scenario;
    let (mut trusts, mut practices) = (0usize, 0usize);
    for r in run(e, trials, 0) {
        let mut hit: Vec<&str> = r
            .breakdown
            .iter()
            .filter(|c| c.compromised > 0)
            .filter_map(|c| s.zones[usize::from(c.zone.0)].organisation.as_deref())
            .collect();
        hit.sort_unstable();
        hit.dedup();
        trusts += hit.iter().filter(|o| o.starts_with("trust-")).count();
        practices += hit.iter().filter(|o| o.starts_with("gp-")).count();
    }
    (trusts as f64 / f64::from(trials), practices as f64 / f64::from(trials))
}

#[test]
fn the_national_scenario_lands_near_what_wannacry_did() {
    let e = engine(FILE);
    let s = &e.model().scenario;
    assert_eq!(s.zones.iter().filter_map(|z| z.organisation.as_deref()).filter(|o| o.ends_with("-001")).count(), 2);
    assert!(s.device_count() > 900_000, "about a million devices: {}", s.device_count());
    let (trusts, practices) = organisations_infected(&e, 8);
    assert!((17.0..=68.0).contains(&trusts), "trusts infected: {trusts} (NAO: 34)");
    assert!((298.0..=1190.0).contains(&practices), "GP practices infected: {practices} (NAO: 595)");

    // Without reach over N3, the worm stays in the organisations it entered.
    let text = std::fs::read_to_string(root().join(FILE)).unwrap();
    let cut = text.replace("reach = 0.0004 ", "reach = 0.0 ");
    assert_ne!(cut, text);
    let (trusts_cut, practices_cut) = organisations_infected(&engine_from_text(FILE, &cut), 4);
    assert!(trusts_cut + practices_cut <= 40.0, "at most the 40 entered: {trusts_cut} + {practices_cut}");
}

#[test]
fn each_zone_names_its_organisation_in_the_breakdown_and_the_summary_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("two.toml"),
        r#"
        name = "two"
        duration = "2d"
        shared_networks = [{ id = "n", services = ["smb"] }]
        zones = [
          { id = "a-lan", organisation = "a", shared_network = "n" },
          { id = "b-lan", organisation = "b", shared_network = "n" },
          { id = "spare" },
        ]
        vulnerabilities = [{ id = "eb", service = "smb" }]
        device_types = [{ id = "pc", services = ["smb"], vulnerabilities = [{ id = "eb" }] }]
        placement = [
          { zone = "a-lan", device_type = "pc", count = 20 },
          { zone = "b-lan", device_type = "pc", count = 20 },
          { zone = "spare", device_type = "pc", count = 5 },
        ]
        [attacks.worm]
        exploit = "eb"
        scans_per_hour = 10.0
        entry_zone = "a-lan"
        entry_devices = 1
        "#,
    )
    .unwrap();
    let out = crate::iomtsim(dir.path(), &["run", "two.toml", "--trials", "5", "--out", "run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bd = iomtsim_analysis::read_parquet(&dir.path().join("run/breakdown.parquet")).unwrap();
    let pairs: std::collections::BTreeSet<(String, String)> = bd
        .column("zone")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .zip(bd.column("organisation").unwrap().str().unwrap().iter())
        .map(|(z, o)| (z.unwrap().to_owned(), o.unwrap().to_owned()))
        .collect();
    let expected = [("a-lan", "a"), ("b-lan", "b"), ("spare", "")];
    assert_eq!(pairs, expected.iter().map(|(z, o)| ((*z).to_owned(), (*o).to_owned())).collect());
    // Over the shared network the worm reaches both organisations in every trial.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let label = "organisations with a device compromised (of 2)";
    let line = stdout.lines().find(|l| l.starts_with(label)).expect("a row");
    assert_eq!(line[label.len()..].split_whitespace().next(), Some("2"), "the mean: {line}");
}
