//! Every file in tests/bad_inputs/ is rejected with exit code 2 and a
//! message naming the file, line and column; the messages are snapshots.

use crate::{iomtsim, root};

fn bad_input_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/bad_inputs"))
        .expect("corpus present")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_base_of_the_corpus_is_valid() {
    let out = iomtsim(&root(), &["validate", "tests/fixtures/base.toml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_bad_input_is_rejected_with_its_place_and_a_fix() {
    let files = bad_input_files();
    assert!(files.len() >= 40, "the corpus has {} files", files.len());
    for name in files {
        let path = format!("tests/bad_inputs/{name}");
        let out = iomtsim(&root(), &["validate", &path]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{name}: exit code; stderr:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        assert!(stderr.contains(&path), "{name}: the message names the file:\n{stderr}");
        let whole_file = ["empty.toml", "no-zones.toml"].contains(&name.as_str());
        if !whole_file {
            // The scenario's own place, or a place in a graph file it names.
            let located = if stderr.starts_with(&format!("error: {path}:")) {
                format!("{path}:")
            } else {
                let first = stderr.lines().next().unwrap_or_default();
                let file = first.trim_start_matches("error: ").split(':').next().unwrap_or_default();
                format!("{file}:")
            };
            let after = &stderr[stderr.find(&located).expect("file named") + located.len()..];
            let mut parts = after.splitn(3, ':');
            let line = parts.next().unwrap_or_default();
            let col = parts.next().unwrap_or_default();
            assert!(
                line.parse::<u32>().is_ok() && col.parse::<u32>().is_ok(),
                "{name}: expected FILE:LINE:COL, got:\n{stderr}"
            );
        }
        insta::assert_snapshot!(name.trim_end_matches(".toml").to_owned(), stderr);
    }
}

#[test]
fn run_rejects_bad_input_the_same_way() {
    let out = iomtsim(&root(), &["run", "tests/bad_inputs/placement-unknown-zone.toml", "--trials", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown zone `icu`"));
}

#[test]
fn oversized_and_missing_files_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    std::fs::File::create(&big).unwrap().set_len(100 * 1024 * 1024).unwrap();
    let out = iomtsim(dir.path(), &["validate", "big.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("limited to"), "{}", String::from_utf8_lossy(&out.stderr));

    let out = iomtsim(dir.path(), &["validate", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read scenario `missing.toml`"));
}

#[test]
fn several_files_are_all_checked() {
    let out = iomtsim(
        &root(),
        &[
            "validate",
            "tests/fixtures/base.toml",
            "tests/bad_inputs/duration-zero.toml",
            "tests/bad_inputs/trials-zero.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("duration-zero.toml") && stderr.contains("trials-zero.toml"), "{stderr}");
    assert!(stderr.contains("2 of 3 files invalid"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: tests/fixtures/base.toml"));
}
