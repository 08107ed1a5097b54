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

#[test]
fn a_run_records_its_graph_files_and_will_not_repeat_or_join_on_changed_ones() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["ward-scan.toml", "ward-scan-nodes.csv", "ward-scan-edges.csv"] {
        std::fs::copy(root().join("scenarios/graphs").join(f), dir.path().join(f)).unwrap();
    }
    let run = |args: &[&str]| crate::iomtsim(dir.path(), args);
    let first = run(&["run", "ward-scan.toml", "--trials-range", "0..4", "--out", "first"]);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let manifest = std::fs::read_to_string(dir.path().join("first/run.json")).unwrap();
    assert!(manifest.contains("ward-scan-edges.csv") && manifest.contains("input_files"), "{manifest}");
    // Unchanged, the run repeats.
    let again = run(&["rerun", "first/run.json", "--out", "again"]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    // One edge fewer: neither a repeat nor a join with a slice run on the
    // changed network reads it silently.
    let edges = dir.path().join("ward-scan-edges.csv");
    let text = std::fs::read_to_string(&edges).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&edges, lines[..lines.len() - 1].join("\n") + "\n").unwrap();
    let changed = run(&["rerun", "first/run.json", "--out", "changed"]);
    assert_eq!(changed.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&changed.stderr);
    assert!(stderr.contains("ward-scan-edges.csv changed since the run"), "{stderr}");
    let second = run(&["run", "ward-scan.toml", "--trials-range", "4..8", "--out", "second"]);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let joined = run(&["merge", "first", "second", "--out", "joined"]);
    assert_ne!(joined.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&joined.stderr);
    assert!(stderr.contains("graph files"), "{stderr}");
}
