//! Parameter sweeps: every cell runs the scenario with its values written
//! in, over the same trials; the swept parameter moves the outcome the way
//! its name says; bad paths and values are refused at their place in the
//! sweep file before anything runs.

use iomtsim_analysis::workflow::{Quiet, Stop, SweepReport, SweepRequest, run_sweep};
use iomtsim_sim::ScenarioSource;
use iomtsim_sim::sweep::Sweep;

use crate::{engine, iomtsim, root, run};

fn sweep(text: &str, trials: u32, out: &std::path::Path) -> SweepReport {
    // The sweep file stands in scenarios/sweeps/, where its scenario path
    // is relative to.
    let file = root().join("scenarios/sweeps/test.toml").display().to_string();
    let request = SweepRequest {
        source: ScenarioSource::from_text(file, text),
        trials: Some(trials),
        threads: 0,
        out: Some(out.to_owned()),
        force: true,
        shard: None,
    };
    match run_sweep(request, &iomtsim_attacks::registry(), &Quiet, &Stop::new()) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn mean(r: &SweepReport, cell: u32, outcome: &str) -> (f64, f64, f64) {
    let s = r.summaries.iter().find(|s| s.cell == cell && s.outcome == outcome).expect("a summary");
    (s.mean, s.interval.0, s.interval.1)
}

#[test]
fn a_grid_writes_every_cell_and_coverage_cuts_the_outbreak() {
    let text = std::fs::read_to_string(root().join("scenarios/sweeps/patching-and-speed.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let r = sweep(&text, 60, dir.path());
    assert_eq!(r.sweep.cells.len(), 12, "four coverages by three speeds");
    let df = iomtsim_analysis::read_parquet(&dir.path().join("sweep.parquet")).unwrap();
    assert_eq!(df.height(), 12 * 60);
    let coverage = df.column("defences.patching.coverage").unwrap().f64().unwrap();
    assert_eq!(coverage.get(0), Some(0.2));
    assert_eq!(coverage.get(df.height() - 1), Some(0.95));
    // The last parameter varies fastest: cells 2 and 11 are the fastest
    // worm at the least and the most coverage.
    let (least, most) = (mean(&r, 2, "compromised"), mean(&r, 11, "compromised"));
    assert!(most.2 < least.1, "coverage 0.95 {most:?} against 0.2 {least:?}");
    // And a faster worm takes more at the same coverage.
    let (slow, fast) = (mean(&r, 0, "compromised"), mean(&r, 2, "compromised"));
    assert!(slow.2 < fast.1, "0.3 scans an hour {slow:?} against 3 {fast:?}");
    assert!(dir.path().join("plots/compromised_heatmap.svg").exists());
}

#[test]
fn a_one_at_a_time_design_starts_from_the_scenario_as_written() {
    let text = std::fs::read_to_string(root().join("scenarios/sweeps/ward-one-at-a-time.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let r = sweep(&text, 40, dir.path());
    assert_eq!(r.sweep.cells.len(), 1 + 4 * 4);
    // Cell 0 runs exactly the trials of the scenario file itself.
    let direct = run(&engine("scenarios/teaching/flat-ward.toml"), 40, 0);
    let df = iomtsim_analysis::read_parquet(&dir.path().join("sweep.parquet")).unwrap();
    let cells = df.column("cell").unwrap().u32().unwrap();
    let compromised = df.column("compromised").unwrap().cast(&polars::prelude::DataType::Float64).unwrap();
    let compromised = compromised.f64().unwrap();
    let cell0: Vec<f64> =
        (0..df.height()).filter(|&i| cells.get(i) == Some(0)).map(|i| compromised.get(i).unwrap()).collect();
    let expected: Vec<f64> = direct.iter().map(|t| t.outcome.core().compromised as f64).collect();
    assert_eq!(cell0, expected);
    for stem in ["compromised_tornado", "compromised_by_0", "compromised_by_2"] {
        assert!(dir.path().join(format!("plots/{stem}.svg")).exists(), "{stem}");
    }
}

#[test]
fn every_shipped_sweep_loads_and_checks() {
    for f in std::fs::read_dir(root().join("scenarios/sweeps")).unwrap() {
        let f = f.unwrap().path();
        let sweep = Sweep::load(ScenarioSource::from_path(&f).unwrap()).unwrap_or_else(|e| panic!("{e}"));
        let models = sweep.check(|s| iomtsim_sim::load_model(s, &iomtsim_attacks::registry()));
        assert!(models.is_ok_and(|m| m.len() == sweep.cells.len()), "{}", f.display());
    }
}

#[test]
fn bad_paths_and_values_are_refused_at_their_place_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let text = format!("scenario = \"{}\"\n{body}", root().join("scenarios/teaching/flat-ward.toml").display());
        std::fs::write(dir.path().join(name), text).unwrap();
    };
    write("path.toml", "[[parameters]]\npath = \"defences.patching.coverrage\"\nvalues = [0.5]\n");
    write("value.toml", "[[parameters]]\npath = \"defences.patching.coverage\"\nvalues = [0.5, 1.5]\n");
    write(
        "range.toml",
        "[[parameters]]\npath = \"attacks.worm.scans_per_hour\"\nlogspace = { from = 0.0, to = 2.0, steps = 3 }\n",
    );
    write("table.toml", "[[parameters]]\npath = \"defences.patching\"\nvalues = [1]\n");
    write(
        "cells.toml",
        "[[parameters]]\npath = \"defences.patching.coverage\"\nlinspace = { from = 0.0, to = 1.0, steps = 101 }\n\
         [[parameters]]\npath = \"attacks.worm.scans_per_hour\"\nlinspace = { from = 0.1, to = 5.0, steps = 101 }\n",
    );
    let cases = [
        (
            "path.toml",
            "path.toml:3:8",
            "`defences.patching.coverrage` leads nowhere: `defences.patching` has no `coverrage`",
        ),
        ("value.toml", "value.toml:4:16", "the scenario refuses `defences.patching.coverage = 1.5`"),
        ("range.toml", "range.toml:4:12", "a logspace runs between two numbers above zero"),
        ("table.toml", "table.toml:3:8", "`defences.patching` is a table, not a value"),
        ("cells.toml", "cells.toml", "the sweep has 10201 cells; at most 10000 are allowed"),
    ];
    for (file, place, message) in cases {
        let out = iomtsim(dir.path(), &["sweep", file, "--out", "never"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
        assert!(stderr.contains(place) && stderr.contains(message), "{file}: {stderr}");
        assert!(!dir.path().join("never").exists(), "{file}: nothing runs");
    }
}

#[test]
fn shards_join_into_exactly_what_a_whole_run_writes() {
    let text = std::fs::read_to_string(root().join("scenarios/sweeps/patching-and-speed.toml")).unwrap();
    let file = root().join("scenarios/sweeps/patching-and-speed.toml").display().to_string();
    let registry = iomtsim_attacks::registry();
    let dir = tempfile::tempdir().unwrap();
    let request = |out: std::path::PathBuf, shard| SweepRequest {
        source: ScenarioSource::from_text(file.clone(), text.clone()),
        trials: Some(30),
        threads: 0,
        out: Some(out),
        force: true,
        shard,
    };
    let whole = dir.path().join("whole");
    run_sweep(request(whole.clone(), None), &registry, &Quiet, &Stop::new()).unwrap();
    let bytes = |d: &std::path::Path, f: &str| std::fs::read(d.join(f)).unwrap();
    // 12 cells x 30 trials: 3 and 4 shards split cells in the middle.
    for n in [1u32, 3, 4] {
        let shards: Vec<_> = (1..=n)
            .map(|k| {
                let out = dir.path().join(format!("{n}-{k}"));
                let r = run_sweep(request(out.clone(), Some((k, n))), &registry, &Quiet, &Stop::new()).unwrap();
                assert_eq!(r.shard, Some((k, n)));
                out
            })
            .collect();
        let joined = dir.path().join(format!("joined-{n}"));
        iomtsim_analysis::workflow::merge_sweep_shards(&shards, &joined, false, &registry).unwrap();
        for f in ["sweep.parquet", "sweep_summary.parquet", "sweep_summary.csv"] {
            assert!(bytes(&whole, f) == bytes(&joined, f), "{f} joined from {n} shards differs");
        }
    }
    // A shard missing, or of another sweep, is refused.
    let missing = [dir.path().join("3-1"), dir.path().join("3-3")];
    let err = iomtsim_analysis::workflow::merge_sweep_shards(&missing, &dir.path().join("x"), false, &registry);
    assert!(err.is_err_and(|e| e.to_string().contains("needs each of shards 1 to 3 once")));
    let mixed = [dir.path().join("3-1"), dir.path().join("4-2"), dir.path().join("3-3")];
    let err = iomtsim_analysis::workflow::merge_sweep_shards(&mixed, &dir.path().join("y"), false, &registry);
    assert!(err.is_err_and(|e| e.to_string().contains("shard of another sweep")));
}
