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

/// A trial of the 6,060-device hospital is a story a class can read: a
/// major outbreak in at most about a hundred lines, with the outbreak
/// itself told step by step, not in one line, and no "1 devices".
#[test]
fn a_big_outbreak_is_told_in_a_readable_number_of_lines() {
    use iomtsim_analysis::explain::{StoryFormat, tell};
    let e = crate::engine("scenarios/hospital/regional-flat.toml");
    let seed = e.scenario().seed;
    let (trial, result) = (0..40)
        .map(|t| (t, e.run_trial(seed, t, true)))
        .find(|(_, r)| r.outcome.core().compromised > 300)
        .expect("a major outbreak among the first 40 trials");
    let story = tell(e.model(), &result, StoryFormat::Text);
    let lines = story.lines().count();
    assert!(lines <= 100, "trial {trial}: {lines} lines");
    let spread_lines = story.lines().filter(|l| l.contains("are compromised") || l.contains("is compromised")).count();
    assert!(spread_lines >= 5, "the outbreak unfolds over several lines, not one: {spread_lines}\n{story}");
    for wrong in ["1 devices", "1 minutes", "1 isolations", "1 patches", "1 compromises"] {
        let said = story
            .match_indices(wrong)
            .any(|(i, _)| !story[..i].chars().next_back().is_some_and(|c| c.is_ascii_digit() || c == ',' || c == '.'));
        assert!(!said, "{wrong:?} in:\n{story}");
    }
}

#[test]
fn patient_zero_is_told_as_the_way_in_not_as_an_exploit() {
    let out = iomtsim(&root(), &["explain", "scenarios/teaching/flat-ward.toml", "--trial", "2"]);
    let story = String::from_utf8_lossy(&out.stdout);
    let first = story.lines().find(|l| l.contains("The attack begins")).expect("the story says where it begins");
    assert!(first.contains("initial access, not modelled") && !first.contains("T1210"), "{first}");
}

/// The first of the first `n` trials of a shipped scenario whose outcome
/// passes `pick`, told as plain text.
fn story_where(scenario: &str, n: u32, pick: impl Fn(&iomtsim_sim::CoreOutcome) -> bool) -> String {
    use iomtsim_analysis::explain::{StoryFormat, tell};
    let e = crate::engine(scenario);
    let seed = e.scenario().seed;
    let result = (0..n)
        .map(|t| e.run_trial(seed, t, true))
        .find(|r| pick(&r.outcome.core()))
        .unwrap_or_else(|| panic!("no such trial among the first {n} of {scenario}"));
    tell(e.model(), &result, StoryFormat::Text)
}

fn summary_of(story: &str) -> &str {
    &story[story.find("Summary: ").expect("a summary")..]
}

#[test]
fn the_summary_tells_harm_to_patients_and_their_data_and_lost_services() {
    let therapy = story_where("scenarios/threats/therapy.toml", 40, |o| o.safety_events > 1);
    let summary = summary_of(&therapy);
    assert!(summary.contains("Patients came to harm") && summary.contains("(patient-safety events)"), "{summary}");

    let taken = story_where("scenarios/threats/exfiltration.toml", 40, |o| o.records_exfiltrated >= 500);
    let summary = summary_of(&taken);
    assert!(
        summary.contains("patient records left the hospital readable: a breach notifiable under HIPAA and GDPR"),
        "{summary}"
    );

    let flood = story_where("scenarios/threats/dos.toml", 40, |o| o.clinical_service_hours_lost > 0.0);
    let summary = summary_of(&flood);
    assert!(summary.contains("Clinical services were down for ") && summary.contains("hours in all"), "{summary}");

    // A trial without them does not mention them.
    let quiet =
        story_where("scenarios/teaching/flat-ward.toml", 40, |o| o.safety_events == 0 && o.records_exfiltrated == 0);
    let summary = summary_of(&quiet);
    assert!(!summary.contains("patient-safety") && !summary.contains("left the hospital"), "{summary}");
}

#[test]
fn one_device_that_does_something_several_times_agrees_in_number_and_counts_are_whole() {
    let story = story_where("scenarios/threats/aitm.toml", 40, |o| o.compromised > 0);
    for line in story.lines().filter(|l| l.contains(" — A ") || l.contains(" — An ")) {
        assert!(!line.contains(") show ") && !line.contains(") are ") && !line.contains(") refuse "), "{line}");
    }
    let read = story.lines().find(|l| l.contains(": read ")).expect("the eavesdropper's line");
    let messages = read.split(": read ").nth(1).unwrap().split(' ').next().unwrap();
    assert!(messages.chars().all(|c| c.is_ascii_digit() || c == ','), "a whole count: {read}");
    assert!(messages.len() < 4 || messages.contains(','), "thousands separated: {read}");
}

#[test]
fn a_story_of_one_device_speaks_of_it_in_the_singular() {
    let dir = tempfile::tempdir().unwrap();
    let one = crate::cli::one_device_scenario(dir.path());
    let out = iomtsim(dir.path(), &["explain", one.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let story = String::from_utf8_lossy(&out.stdout);
    assert!(story.contains("1 device in 1 zone."), "{story}");
    assert!(story.contains("1 of 1 device was compromised"), "{story}");
    for wrong in ["1 devices", "1 others", "1 were", "1 patient records", "1 device-hours"] {
        let said = story
            .match_indices(wrong)
            .any(|(i, _)| !story[..i].chars().next_back().is_some_and(|c| c.is_ascii_digit() || c == ',' || c == '.'));
        assert!(!said, "{wrong:?} in:\n{story}");
    }
}
