//! Runs are reproducible bit for bit, and an interrupted run loses nothing:
//! slices merge into the full run, a killed run resumes to the same
//! dataset, and output folders are never overwritten by accident.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{iomtsim, root};

fn bytes(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display()))
}

fn ok(out: std::process::Output) -> std::process::Output {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn ward() -> String {
    root().join("scenarios/teaching/flat-ward.toml").display().to_string()
}

#[test]
fn slices_merge_into_the_full_run() {
    let d = tempfile::tempdir().unwrap();
    let w = ward();
    ok(iomtsim(d.path(), &["run", &w, "--trials", "90", "--events", "--out", "full"]));
    ok(iomtsim(d.path(), &["run", &w, "--trials-range", "0..40", "--events", "--out", "a", "--batch-size", "7"]));
    ok(iomtsim(d.path(), &["run", &w, "--trials-range", "40..90", "--events", "--out", "b", "--threads", "1"]));
    ok(iomtsim(d.path(), &["merge", "b", "a", "--out", "merged"]));
    assert_eq!(bytes(&d.path().join("full"), "trials.parquet"), bytes(&d.path().join("merged"), "trials.parquet"));
    assert_eq!(bytes(&d.path().join("full"), "events.parquet"), bytes(&d.path().join("merged"), "events.parquet"));
}

#[test]
fn merge_refuses_slices_of_different_runs() {
    let d = tempfile::tempdir().unwrap();
    let w = ward();
    ok(iomtsim(d.path(), &["run", &w, "--trials-range", "0..10", "--out", "a"]));
    ok(iomtsim(d.path(), &["run", &w, "--trials-range", "10..20", "--out", "b", "--seed", "5"]));
    ok(iomtsim(d.path(), &["run", &w, "--trials-range", "30..40", "--out", "c"]));
    ok(iomtsim(
        d.path(),
        &[
            "run",
            &root().join("tests/fixtures/base.toml").display().to_string(),
            "--trials-range",
            "10..20",
            "--out",
            "e",
        ],
    ));
    for (other, why) in [("b", "seed"), ("c", "gap"), ("e", "scenario"), ("a", "overlap")] {
        let out = iomtsim(d.path(), &["merge", "a", other, "--out", "m"]);
        assert_eq!(out.status.code(), Some(2), "{other}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(why), "{other}: {stderr}");
    }
    assert!(!d.path().join("m").join("trials.parquet").exists());
}

#[test]
fn rerun_reproduces_a_run_from_its_manifest() {
    let d = tempfile::tempdir().unwrap();
    ok(iomtsim(d.path(), &["run", &ward(), "--trials", "50", "--seed", "99", "--events", "--out", "first"]));
    ok(iomtsim(d.path(), &["rerun", "first/run.json", "--out", "second", "--threads", "1"]));
    for f in ["trials.parquet", "events.parquet"] {
        assert_eq!(bytes(&d.path().join("first"), f), bytes(&d.path().join("second"), f), "{f}");
    }
    let manifest: serde_json::Value = serde_json::from_slice(&bytes(&d.path().join("first"), "run.json")).unwrap();
    for key in ["program", "scenario_sha256", "scenario_text", "seed", "trial_start", "trial_end", "zones"] {
        assert!(manifest.get(key).is_some(), "run.json lacks {key}");
    }
}

#[test]
fn an_existing_output_folder_is_not_overwritten_without_force() {
    let d = tempfile::tempdir().unwrap();
    let w = ward();
    ok(iomtsim(d.path(), &["run", &w, "--trials", "10", "--out", "res"]));
    std::fs::write(d.path().join("res/notes.txt"), "mine").unwrap();
    let before = bytes(&d.path().join("res"), "trials.parquet");
    let again = iomtsim(d.path(), &["run", &w, "--trials", "20", "--out", "res"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    assert_eq!(before, bytes(&d.path().join("res"), "trials.parquet"));
    ok(iomtsim(d.path(), &["run", &w, "--trials", "20", "--out", "res", "--force"]));
    assert_ne!(before, bytes(&d.path().join("res"), "trials.parquet"));
    assert_eq!(
        std::fs::read_to_string(d.path().join("res/notes.txt")).unwrap(),
        "mine",
        "--force removes only the run's files"
    );
    // Nothing was written outside the output folder.
    let mut entries: Vec<String> =
        std::fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    entries.sort();
    assert_eq!(entries, ["res"]);
}

/// Starts a long run of the reference hospital in small batches and returns
/// once at least `batches` of them are on disk.
fn start_and_wait(dir: &Path, out: &str, batches: usize) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iomtsim"))
        .current_dir(dir)
        .args(["run", "--trials", "3000", "--batch-size", "25", "--out", out])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if !committed_within(&dir.join(out).join("parts"), batches, Duration::from_secs(120)) {
        // Not left running behind a failed test.
        let _ = child.kill();
        let _ = child.wait();
        panic!("no batch committed within two minutes");
    }
    child
}

/// Whether at least `batches` batches of trials are on disk in `parts`
/// before `limit` has passed.
fn committed_within(parts: &Path, batches: usize, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let n = std::fs::read_dir(parts)
            .map(|r| {
                r.filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().starts_with("trials-"))).count()
            })
            .unwrap_or(0);
        if n >= batches {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

#[test]
fn a_killed_run_resumes_to_the_same_dataset() {
    let d = tempfile::tempdir().unwrap();
    let mut child = start_and_wait(d.path(), "killed", 2);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run was killed before it finished");
    let killed = d.path().join("killed");
    assert!(killed.join("run.partial.json").exists() && !killed.join("run.json").exists());
    assert!(!killed.join("trials.parquet").exists(), "no half-made dataset");

    let out = ok(iomtsim(d.path(), &["run", "--trials", "3000", "--out", "killed", "--resume"]));
    assert!(String::from_utf8_lossy(&out.stdout).contains("datasets written"));
    ok(iomtsim(d.path(), &["run", "--trials", "3000", "--out", "whole"]));
    assert_eq!(bytes(&killed, "trials.parquet"), bytes(&d.path().join("whole"), "trials.parquet"));
    assert!(!killed.join("parts").exists() && !killed.join("run.partial.json").exists());
}

#[test]
fn ctrl_c_stops_after_the_batch_and_says_how_to_resume() {
    let d = tempfile::tempdir().unwrap();
    let child = start_and_wait(d.path(), "stopped", 1);
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupted") && stderr.contains("--resume"), "{stderr}");

    // Resuming with other options is refused, not mixed in.
    let other = iomtsim(d.path(), &["run", "--trials", "3000", "--seed", "1", "--out", "stopped", "--resume"]);
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("seed"));
    // Starting afresh over an interrupted run is refused too.
    let fresh = iomtsim(d.path(), &["run", "--trials", "3000", "--out", "stopped"]);
    assert_eq!(fresh.status.code(), Some(2));

    ok(iomtsim(d.path(), &["run", "--trials", "3000", "--out", "stopped", "--resume"]));
    ok(iomtsim(d.path(), &["run", "--trials", "3000", "--out", "whole"]));
    assert_eq!(bytes(&d.path().join("stopped"), "trials.parquet"), bytes(&d.path().join("whole"), "trials.parquet"));
}

#[test]
fn sigterm_stops_after_the_batch_and_says_how_to_resume() {
    let d = tempfile::tempdir().unwrap();
    let child = start_and_wait(d.path(), "terminated", 1);
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupted") && stderr.contains("--resume"), "{stderr}");
    assert!(d.path().join("terminated/run.partial.json").exists());
}

#[test]
fn force_removes_only_the_runs_own_files_even_in_plots() {
    let d = tempfile::tempdir().unwrap();
    let w = ward();
    ok(iomtsim(d.path(), &["run", &w, "--trials", "10", "--out", "res"]));
    std::fs::write(d.path().join("res/plots/my-figure.svg"), "<svg/>").unwrap();
    std::fs::write(d.path().join("res/notes.csv"), "a,b\n").unwrap();
    ok(iomtsim(d.path(), &["run", &w, "--trials", "12", "--out", "res", "--force"]));
    assert_eq!(std::fs::read_to_string(d.path().join("res/plots/my-figure.svg")).unwrap(), "<svg/>");
    assert_eq!(std::fs::read_to_string(d.path().join("res/notes.csv")).unwrap(), "a,b\n");
    assert!(d.path().join("res/plots/harm_by_zone.svg").exists(), "the run's own plots are redrawn");
}

#[test]
fn ctrl_c_during_a_comparison_leaves_no_empty_plots_folder() {
    let d = tempfile::tempdir().unwrap();
    let flat = root().join("scenarios/procurement/flat.toml").display().to_string();
    let vlan = root().join("scenarios/procurement/vlan-by-department.toml").display().to_string();
    let child = Command::new(env!("CARGO_BIN_EXE_iomtsim"))
        .current_dir(d.path())
        .args(["compare", &flat, &vlan, "--trials", "200000", "--out", "cmp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    assert!(!d.path().join("cmp/plots").exists(), "no empty plots folder is left behind");
}
