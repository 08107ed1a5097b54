//! The shipped network given device by device: the same ward read from its
//! CSV files and from the GraphML networkx wrote gives the same trials, and
//! the graph's segments keep the worm where its edges allow.

use crate::{engine, engine_from_text, root, run};

#[test]
fn the_ward_scan_gives_the_same_trials_from_csv_and_from_graphml() {
    let file = "scenarios/graphs/ward-scan.toml";
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let graphml = text
        .replace("nodes = \"ward-scan-nodes.csv\"", "graphml = \"ward-scan.graphml\"")
        .replace("edges = \"ward-scan-edges.csv\"   # each edge reaches both ways (directed = false)\n", "");
    assert_ne!(graphml, text);
    let (csv, xml) = (engine(file), engine_from_text(file, &graphml));
    let (a, b) = (run(&csv, 50, 0), run(&xml, 50, 0));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(format!("{:?}", x.outcome), format!("{:?}", y.outcome), "trial {}", x.outcome.trial);
    }
    // The worm spreads over SMB edges only: pumps, monitors and the bays'
    // other devices never fall; Windows hosts do.
    let model = csv.model();
    let type_of = |id: &str| model.scenario.device_types.iter().position(|t| t.id == id).unwrap() as u16;
    let taken = |id: &str| -> u32 {
        a.iter().flat_map(|r| &r.breakdown).filter(|c| c.device_type.0 == type_of(id)).map(|c| c.compromised).sum()
    };
    assert!(taken("workstation") > 0 && taken("blood-gas-analyser") > 0, "the Windows hosts fall");
    assert_eq!(taken("infusion-pump") + taken("patient-monitor") + taken("wearable"), 0);
}

#[test]
fn a_sweep_of_a_graph_scenario_finds_its_graph_files() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/graphs/ward-scan.toml");
    // In a folder of its own: the cell's name then holds a slash, which
    // must not change where the graph files are read from.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let sweep = dir.path().join("sub/sweep.toml");
    std::fs::write(
        &sweep,
        format!(
            "scenario = {:?}\ntrials = 10\n[[parameters]]\npath = \"attacks.worm.scans_per_hour\"\nvalues = [1.0, 4.0]\n",
            scenario.display().to_string()
        ),
    )
    .unwrap();
    let out = crate::iomtsim(dir.path(), &["sweep", "sub/sweep.toml", "--out", "study"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("study/sweep.parquet").exists());
}
