//! `iomtsim explain` tells one trial in plain words, with numbers that
//! agree with the datasets, and animates it.

use iomtsim_analysis::read_parquet;

use crate::{iomtsim, root};

#[test]
fn the_story_of_a_trial_agrees_with_its_dataset_row() {
    let dir = tempfile::tempdir().unwrap();
    let ward = root().join("scenarios/teaching/flat-ward.toml").display().to_string();
    let out = iomtsim(
        dir.path(),
        &["explain", &ward, "--trial", "3", "--format", "md", "--out", "story.md", "--gif", "ward.gif"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let story = std::fs::read_to_string(dir.path().join("story.md")).unwrap();
    assert!(story.starts_with("# flat-ward: trial 3"), "{story}");
    for part in [
        "## What happened",
        "## What each attack and defence did",
        "## Summary",
        "Day 0, 09:00",
        "T1210",
        "The attack begins",
    ] {
        assert!(story.contains(part), "the story lacks {part:?}:\n{story}");
    }
    // Time runs forwards through the story.
    let days: Vec<u32> = story
        .lines()
        .filter_map(|l| l.strip_prefix("- **Day "))
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(days.windows(2).all(|w| w[0] <= w[1]) && !days.is_empty());

    let run = iomtsim(dir.path(), &["run", &ward, "--trials", "4", "--out", "res"]);
    assert!(run.status.success());
    let trials = read_parquet(&dir.path().join("res/trials.parquet")).unwrap();
    let compromised = trials.column("compromised").unwrap().u64().unwrap().get(3).unwrap();
    assert!(
        story.contains(&format!("{compromised} of 200 devices were compromised")),
        "the summary disagrees with trials.parquet ({compromised}):\n{story}"
    );

    let gif = std::fs::read(dir.path().join("ward.gif")).unwrap();
    assert_eq!(&gif[..6], b"GIF89a");
    let frames = gif.windows(3).filter(|w| *w == [0x21, 0xF9, 0x04]).count();
    assert!(frames >= 40, "{frames} frames");
}

#[test]
fn the_plain_text_story_needs_no_markdown() {
    let out = iomtsim(&root(), &["explain", "scenarios/teaching/flat-ward.toml"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("flat-ward — trial 0") && !text.contains("**") && text.contains("Summary:"), "{text}");
}
