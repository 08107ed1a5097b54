//! The program end to end: `run` writes the promised datasets, `schema`
//! prints a usable schema.

use iomtsim_analysis::read_parquet;
use polars::prelude::*;

use crate::{iomtsim, root};

fn dtype(df: &DataFrame, name: &str) -> DataType {
    df.column(name).unwrap_or_else(|_| panic!("column {name}")).dtype().clone()
}

#[test]
fn run_writes_trials_events_and_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join("tests/fixtures/base.toml");
    let out = iomtsim(
        dir.path(),
        &[
            "run",
            scenario.to_str().unwrap(),
            "--trials",
            "20",
            "--out",
            "res",
            "--events",
            "--csv",
            "--seed",
            "7",
            "--sample-every",
            "2h",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("devices compromised") && stdout.contains("95% CI"), "{stdout}");
    assert!(stdout.contains("events/s"), "{stdout}");

    let res = dir.path().join("res");
    let trials = read_parquet(&res.join("trials.parquet")).unwrap();
    assert_eq!(trials.height(), 20);
    for (name, want) in [
        ("scenario", DataType::String),
        ("variant", DataType::String),
        ("trial", DataType::UInt32),
        ("seed", DataType::UInt64),
        ("devices", DataType::UInt64),
        ("compromised", DataType::UInt64),
        ("peak_compromised", DataType::UInt64),
        ("records_on_compromised_devices", DataType::UInt64),
        ("downtime_device_hours", DataType::Float64),
        ("detected", DataType::Boolean),
        ("time_to_detect_h", DataType::Float64),
        ("events", DataType::UInt64),
    ] {
        assert_eq!(dtype(&trials, name), want, "{name}");
    }
    let trial_ids: Vec<u32> = trials.column("trial").unwrap().u32().unwrap().into_no_null_iter().collect();
    assert_eq!(trial_ids, (0..20).collect::<Vec<u32>>());
    assert!(trials.column("seed").unwrap().u64().unwrap().into_no_null_iter().all(|s| s == 7));
    assert!(trials.column("devices").unwrap().u64().unwrap().into_no_null_iter().all(|d| d == 60));
    // Every mechanism's metrics are columns too, named by instance.
    for column in ["worm.infections", "ransomware.encryptions", "monitoring.detections", "incident_response.isolations"]
    {
        assert!(trials.column(column).is_ok(), "trials.parquet lacks {column}");
    }
    // Undetected trials have no time to detect.
    let detected = trials.column("detected").unwrap().bool().unwrap().clone();
    let ttd = trials.column("time_to_detect_h").unwrap().f64().unwrap().clone();
    for (d, t) in detected.iter().zip(ttd.iter()) {
        assert_eq!(d == Some(true), t.is_some());
    }

    let events = read_parquet(&res.join("events.parquet")).unwrap();
    let names: Vec<String> = events.get_column_names().iter().map(|s| s.to_string()).collect();
    assert_eq!(
        names,
        ["trial", "time_s", "kind", "source", "technique", "transition", "device", "device_type", "zone"]
    );
    let compromised: u64 = trials.column("compromised").unwrap().u64().unwrap().sum().unwrap();
    let first_compromises = events
        .clone()
        .lazy()
        .filter(col("transition").eq(lit("compromised")))
        .select([col("device"), col("trial")])
        .unique(None, UniqueKeepStrategy::First)
        .collect()
        .unwrap()
        .height() as u64;
    assert_eq!(first_compromises, compromised, "every compromised device has its event");
    // Every event says who recorded it; the worm's spread is T1210, its entry has no technique.
    let techniques = events.column("technique").unwrap().str().unwrap().clone();
    let kinds = events.column("kind").unwrap().str().unwrap().clone();
    let sources = events.column("source").unwrap().str().unwrap().clone();
    for ((k, t), src) in kinds.iter().zip(techniques.iter()).zip(sources.iter()) {
        assert!(src.is_some());
        match k {
            Some("exploited") => assert_eq!((t, src), (Some("T1210"), Some("worm"))),
            Some("entered") => assert_eq!((t, src), (None, Some("worm"))),
            Some("encrypted") => assert_eq!((t, src), (Some("T1486"), Some("ransomware"))),
            _ => {}
        }
    }

    // The time series: one sample every 2h of the 7-day trial, from 0h to
    // 168h; the last one is the state at the end.
    let ts = read_parquet(&res.join("timeseries.parquet")).unwrap();
    assert_eq!(ts.height(), 20 * 85);
    let last =
        ts.clone().lazy().filter(col("time_h").eq(lit(168.0))).sort(["trial"], Default::default()).collect().unwrap();
    let still: Vec<u64> = trials.column("still_compromised").unwrap().u64().unwrap().into_no_null_iter().collect();
    let at_end: Vec<u64> =
        last.column("compromised_now").unwrap().u32().unwrap().into_no_null_iter().map(u64::from).collect();
    assert_eq!(still, at_end);
    // Counts at an instant and totals over the trial are named apart: the
    // time series counts devices patched so far (before the trial too),
    // the trials count patches installed during it.
    let named = |df: &polars::prelude::DataFrame| -> Vec<String> {
        df.get_column_names().iter().map(|c| c.to_string()).collect()
    };
    assert!(named(&ts).contains(&"devices_patched".to_owned()) && !named(&ts).contains(&"patched".to_owned()));
    assert!(
        named(&trials).contains(&"patches_installed".to_owned()) && !named(&trials).contains(&"patched".to_owned())
    );
    let svg = std::fs::read_to_string(res.join("plots/compromised_over_time.svg")).expect("the time plot");
    assert!(svg.contains("devices compromised at that moment"), "the time plot counts at an instant");
    // Where the harm lands adds up to the trial totals.
    let bd = read_parquet(&res.join("breakdown.parquet")).unwrap();
    let per_trial = bd
        .clone()
        .lazy()
        .group_by([col("trial")])
        .agg([col("compromised").sum(), col("downtime_device_hours").sum(), col("devices").sum()])
        .sort(["trial"], Default::default())
        .collect()
        .unwrap();
    let summed: Vec<u64> =
        per_trial.column("compromised").unwrap().u32().unwrap().into_no_null_iter().map(u64::from).collect();
    let totals: Vec<u64> = trials.column("compromised").unwrap().u64().unwrap().into_no_null_iter().collect();
    assert_eq!(summed, totals);
    assert!(per_trial.column("devices").unwrap().u32().unwrap().into_no_null_iter().all(|d| d == 60));
    let down_bd: Vec<f64> =
        per_trial.column("downtime_device_hours").unwrap().f64().unwrap().into_no_null_iter().collect();
    let down: Vec<f64> = trials.column("downtime_device_hours").unwrap().f64().unwrap().into_no_null_iter().collect();
    for (a, b) in down_bd.iter().zip(&down) {
        assert!((a - b).abs() < 1e-6 * b.max(1.0), "{a} vs {b}");
    }

    assert!(res.join("trials.csv").exists() && res.join("events.csv").exists());

    // Plots are drawn with the run, and `iomtsim plot` redraws them.
    let plots = ["compromised_over_time", "outcome_distributions", "harm_by_device_type", "harm_by_zone"];
    for p in plots {
        for ext in ["svg", "png"] {
            assert!(res.join("plots").join(format!("{p}.{ext}")).exists(), "{p}.{ext}");
        }
    }
    std::fs::remove_dir_all(res.join("plots")).unwrap();
    let replot = iomtsim(dir.path(), &["plot", "res"]);
    assert!(replot.status.success(), "{}", String::from_utf8_lossy(&replot.stderr));
    let svg = std::fs::read_to_string(res.join("plots/harm_by_zone.svg")).unwrap();
    assert!(svg.contains("Mean devices compromised per trial, by zone"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(res.join("run.json")).unwrap()).unwrap();
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["trials"], 20);
    assert_eq!(manifest["scenario"], "bad-input-base");
    assert_eq!(manifest["scenario_sha256"].as_str().unwrap().len(), 64);
    assert!(manifest["events_per_second"].as_f64().unwrap() > 0.0);
    assert!(!std::fs::read_dir(&res).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains(".tmp-")));
}

#[test]
fn run_without_a_scenario_runs_the_reference_hospital() {
    let dir = tempfile::tempdir().unwrap();
    let out = iomtsim(dir.path(), &["run", "--trials", "30"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let trials = read_parquet(&dir.path().join("out/regional-flat/trials.parquet")).unwrap();
    assert_eq!(trials.height(), 30);
    assert!(trials.column("devices").unwrap().u64().unwrap().into_no_null_iter().all(|d| d > 5000));
}

#[test]
fn the_thread_count_does_not_change_the_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/teaching/flat-ward.toml");
    let s = scenario.to_str().unwrap();
    for (threads, out) in [("1", "one"), ("2", "two"), ("8", "eight")] {
        let o = iomtsim(dir.path(), &["run", s, "--trials", "60", "--threads", threads, "--out", out]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let bytes = |d: &str| std::fs::read(dir.path().join(d).join("trials.parquet")).unwrap();
    assert_eq!(bytes("one"), bytes("two"));
    assert_eq!(bytes("one"), bytes("eight"));
}

#[test]
fn schema_describes_the_format_and_every_plugin() {
    let out = iomtsim(&root(), &["schema"]);
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let props = &schema["properties"];
    for key in ["name", "duration", "zones", "conduits", "device_types", "placement", "attacks", "defences"] {
        assert!(props.get(key).is_some(), "schema lacks {key}");
    }
    assert!(props["attacks"]["properties"]["worm"].is_object());
    for d in ["patching", "monitoring", "incident_response"] {
        assert!(props["defences"]["properties"][d].is_object(), "schema lacks defence {d}");
    }
    let defs = schema["$defs"].as_object().expect("definitions");
    assert!(defs.contains_key("WormParams") && defs.contains_key("Distribution"));
    let worm = &defs["WormParams"]["properties"]["scans_per_hour"];
    assert!(worm["description"].as_str().unwrap().contains("Scans"), "field docs flow into the schema");
    // The engine's own fields: when an attack arrives, what a defence costs, and the cost model.
    assert!(defs["WormParams"]["properties"]["arrivals_per_year"].is_object());
    assert!(defs["WormParams"]["properties"]["start"].is_object());
    assert!(defs["PatchingParams"]["properties"]["cost_per_year"].is_object());
    assert!(props.get("costs").is_some(), "schema lacks costs");
}

#[test]
fn bad_arguments_exit_with_code_2() {
    let out = iomtsim(&root(), &["run", "--trials", "many"]);
    assert_eq!(out.status.code(), Some(2));
    let out = iomtsim(&root(), &["run", "tests/fixtures/base.toml", "--trials", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--trials must be a whole number from 1 to 1000000"));
}

#[test]
fn a_closed_output_pipe_is_not_a_crash() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_iomtsim"))
        .arg("schema")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `iomtsim schema | head -0`
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn help_texts_are_stable() {
    for (name, args) in
        [("help", vec!["--help"]), ("run_help", vec!["run", "--help"]), ("compare_help", vec!["compare", "--help"])]
    {
        let out = iomtsim(&root(), &args);
        assert!(out.status.success());
        insta::assert_snapshot!(name, String::from_utf8_lossy(&out.stdout));
    }
}

/// Absurd or impossible numbers are refused before anything starts, with
/// the range the program really accepts.
#[test]
fn numbers_out_of_range_are_refused_with_the_real_range() {
    let dir = tempfile::tempdir().unwrap();
    let base = root().join("tests/fixtures/base.toml").display().to_string();
    for (args, says) in [
        (vec!["--threads", "100000"], "from 0 to 1024"),
        (vec!["--trials", "0"], "from 1 to 1000000"),
        (vec!["--trials", "5000000000"], "from 1 to 1000000"),
        (vec!["--batch-size", "0"], "from 1 to 1000000"),
        (vec!["--trials-range", "0..5000000"], "at most 1000000"),
    ] {
        let mut all = vec!["run", base.as_str(), "--out", "res"];
        all.extend(&args);
        let out = iomtsim(dir.path(), &all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stderr.contains("4294967295"), "{args:?} shows the integer type's range: {stderr}");
    }
    assert!(!dir.path().join("res").exists(), "nothing started");
}

#[test]
fn a_range_of_trials_is_named_as_such_in_its_errors() {
    let out = iomtsim(&root(), &["run", "tests/fixtures/base.toml", "--trials-range", "5..2"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--trials-range") && !stderr.contains("'--trials <"), "{stderr}");
}

/// A file whose reported size is zero but whose content never ends is
/// refused at the limit, not read forever.
#[test]
fn an_endless_file_is_refused_at_the_size_limit() {
    let out = iomtsim(&root(), &["validate", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("limited to"));
}

#[test]
fn the_animation_goes_into_a_folder_that_does_not_exist_yet() {
    let dir = tempfile::tempdir().unwrap();
    let ward = root().join("scenarios/teaching/flat-ward.toml").display().to_string();
    let out = iomtsim(dir.path(), &["explain", &ward, "--gif", "new/folder/ward.gif"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("new/folder/ward.gif").exists());
}

#[test]
fn names_with_letters_of_any_alphabet_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("tests/fixtures/base.toml"))
        .unwrap()
        .replace("name = \"bad-input-base\"", "name = \"klinik-ünï\"");
    std::fs::write(dir.path().join("k.toml"), text).unwrap();
    let out = iomtsim(dir.path(), &["run", "k.toml", "--trials", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("out/klinik-ünï/trials.parquet").exists());
}

#[test]
fn an_error_is_said_once() {
    let out = iomtsim(&root(), &["validate", "tests/bad_inputs/placement-unknown-zone.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("unknown zone `icu`").count(), 1, "{stderr}");
}

#[test]
fn counts_agree_with_their_nouns() {
    let out = iomtsim(&root(), &["validate", "tests/fixtures/base.toml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("60 devices of 2 types in 2 zones, 1 conduit)"), "{stdout}");
    let out = iomtsim(&root(), &["validate", "tests/bad_inputs/duration-zero.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 of 1 file invalid") && !stderr.contains("1 files"), "{stderr}");
}

/// A scenario of one device, as `base.toml` with one workstation and no pumps.
pub fn one_device_scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join("tests/fixtures/base.toml"))
        .unwrap()
        .replace("count = 20", "count = 1")
        .replace("[[placement]]\nzone = \"ward\"\ndevice_type = \"pump\"\ncount = 40\n", "");
    assert!(!text.contains("count = 40"), "the pumps are gone");
    let path = dir.join("one.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_run_of_one_device_on_one_thread_says_so_in_the_singular() {
    let dir = tempfile::tempdir().unwrap();
    let one = one_device_scenario(dir.path());
    let out = iomtsim(dir.path(), &["run", one.to_str().unwrap(), "--trials", "1", "--threads", "1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("): 1 device, trials 0..1"), "{stdout}");
    assert!(stdout.contains(" on 1 thread: "), "{stdout}");
    for wrong in ["1 devices", "1 threads", "1 plots", "1 events "] {
        let said = stdout
            .match_indices(wrong)
            .any(|(i, _)| !stdout[..i].chars().next_back().is_some_and(|c| c.is_ascii_digit() || c == ','));
        assert!(!said, "{wrong:?} in:\n{stdout}");
    }
    // With one trial the table has no interval to give, and says n/a for all of it.
    assert!(stdout.contains("n/a") && !stdout.contains(", n/a]"), "{stdout}");
}

/// The limit on devices is reported at the row that crosses it.
#[test]
fn the_device_limit_points_at_the_row_that_crosses_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("tests/fixtures/base.toml")).unwrap().replace(
        "[[placement]]\nzone = \"ward\"\ndevice_type = \"pump\"\ncount = 40",
        "[[placement]]\nzone = \"ward\"\ndevice_type = \"pump\"\ncount = 1500000\n\n[[placement]]\nzone = \"ward\"\ndevice_type = \"pump\"\ncount = 900000\n\n[[placement]]\nzone = \"ward\"\ndevice_type = \"pump\"\ncount = 5",
    );
    std::fs::write(dir.path().join("big.toml"), &text).unwrap();
    let out = iomtsim(dir.path(), &["validate", "big.toml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().position(|l| l == "count = 900000").unwrap() + 1;
    assert!(stderr.contains(&format!("big.toml:{line}:")), "{stderr}");
}
