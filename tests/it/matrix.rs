//! The defence matrix: each cell is what one defence changes, with common
//! random numbers that hold (a defence that does nothing changes nothing,
//! trial by trial), and the program writes the table and the heat map.

use iomtsim_analysis::workflow::{MatrixReport, MatrixRequest, Quiet, Stop, defence_matrix};
use iomtsim_sim::ScenarioSource;

use crate::{iomtsim, root};

fn matrix(text: &str, trials: u32, alone: bool, out: &std::path::Path) -> MatrixReport {
    let request = MatrixRequest {
        source: ScenarioSource::from_text("matrix.toml", text),
        trials: Some(trials),
        seed: None,
        threads: 0,
        out: Some(out.to_owned()),
        force: true,
        alone,
    };
    match defence_matrix(request, &iomtsim_attacks::registry(), &Quiet, &Stop::new()) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

fn cell<'a>(r: &'a MatrixReport, defence: &str, outcome: &str) -> &'a iomtsim_analysis::workflow::MatrixCell {
    r.cells.iter().find(|c| c.defence == defence && c.outcome == outcome).expect("the cell")
}

#[test]
fn each_cell_is_what_its_defence_changes_and_an_idle_defence_changes_nothing() {
    // The response team of the teaching scenario, beside an audit that
    // never runs within the trial.
    let text = std::fs::read_to_string(root().join("scenarios/defences/incident_response.toml")).unwrap()
        + "\n[defences.idle]\nkind = \"audit\"\nevery = \"1000d\"\n";
    let dir = tempfile::tempdir().unwrap();
    let r = matrix(&text, 60, false, dir.path());
    assert_eq!(r.defences, ["idle", "incident_response", "monitoring"]);
    // Every draw is keyed by what it is for: without the idle audit, every
    // trial comes out exactly as with it.
    for c in r.cells.iter().filter(|c| c.defence == "idle") {
        assert_eq!((c.difference, c.interval), (0.0, (0.0, 0.0)), "{}", c.outcome);
    }
    let team = cell(&r, "incident_response", "compromised");
    assert!(team.interval.1 < 0.0 && team.clear(), "the team cuts compromised devices: {team:?}");
    assert!(cell(&r, "incident_response", "worm.objective_reached").with <= 1.0);
    // The dataset holds a row per defence and outcome.
    let df = iomtsim_analysis::read_parquet(&dir.path().join("matrix.parquet")).unwrap();
    assert_eq!(df.height(), r.defences.len() * r.outcomes.len());
    assert!(dir.path().join("plots/defence_matrix.svg").exists());
    // The Markdown table gives every cell with its interval.
    let md = std::fs::read_to_string(dir.path().join("matrix.md")).unwrap();
    let row = md.lines().find(|l| l.starts_with("| incident_response |")).expect("a row per defence");
    assert_eq!(row.matches('[').count(), r.outcomes.len(), "an interval per outcome: {row}");
    assert!(md.contains("| idle | 0 [0, 0] |") || md.contains("| idle | 0.00 [0.00, 0.00] |"), "{md}");
}

#[test]
fn each_defence_is_set_beside_what_it_costs_and_the_loss_it_avoids() {
    // The teaching scenario with a cost model: the loss avoided is the
    // negated paired difference of the loss, and the cost is the table's (120,000 a year).
    let text = std::fs::read_to_string(root().join("scenarios/defences/incident_response.toml")).unwrap();
    let priced = text.replacen(
        "\n[defences.incident_response]\n",
        "\n[costs]\ncurrency = \"GBP\"\nrebuild = 400\n[costs.device_hour]\nmedium = 50\nlow = 50\nhigh = 50\nlife-critical = 50\n\
         [defences.incident_response]\n",
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let r = matrix(&priced, 40, false, dir.path());
    let i = r.defences.iter().position(|d| d == "incident_response").unwrap();
    assert_eq!(r.costs[i], Some(120_000.0));
    let loss = cell(&r, "incident_response", "loss_total");
    let (avoided, (lo, hi)) = r.loss_avoided("incident_response").unwrap();
    assert_eq!(avoided, -loss.difference);
    assert_eq!((lo, hi), (-loss.interval.1, -loss.interval.0));
    assert!(lo > 0.0, "the team avoids downtime, so loss: {avoided} [{lo}, {hi}]");
    let words = iomtsim_analysis::workflow::matrix_costs(&r);
    assert!(words.contains("incident_response: costs GBP 120k a year; avoids GBP"), "{words}");
    let md = std::fs::read_to_string(dir.path().join("matrix.md")).unwrap();
    assert!(md.contains("cost a year (GBP)") && md.contains("| 120,000 |"), "{md}");
}

#[test]
fn alone_weighs_each_defence_against_none() {
    // With one defence, "alone against none" and "without it against all"
    // are the same comparison.
    let text = std::fs::read_to_string(root().join("scenarios/defences/mfa.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (matrix(&text, 60, true, dir.path()), matrix(&text, 60, false, dir.path()));
    for (x, y) in a.cells.iter().zip(&b.cells) {
        assert_eq!((x.difference, x.with, x.without), (y.difference, y.with, y.without), "{}", x.outcome);
    }
    let reached = cell(&a, "mfa", "phishing.objective_reached");
    assert!(reached.interval.1 < 0.0, "MFA cuts the operator's reach: {reached:?}");
}

#[test]
fn the_program_prints_the_matrix_and_refuses_a_scenario_without_defences() {
    let dir = tempfile::tempdir().unwrap();
    let file = root().join("scenarios/defences/audit_log.toml");
    let out = iomtsim(dir.path(), &["matrix", file.to_str().unwrap(), "--trials", "20", "--out", "m"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("audit_log") && stdout.contains("[1] snooping: objective reached"), "{stdout}");
    assert!(dir.path().join("m/matrix.csv").exists());
    let bare = dir.path().join("bare.toml");
    std::fs::write(&bare, std::fs::read_to_string(root().join("scenarios/teaching/flat-ward.toml")).unwrap()).unwrap();
    let text = std::fs::read_to_string(&bare).unwrap();
    let cut = text.find("[defences.").map_or(text.len(), |i| i);
    std::fs::write(&bare, &text[..cut]).unwrap();
    let out = iomtsim(dir.path(), &["matrix", "bare.toml", "--trials", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no defence"), "{}", String::from_utf8_lossy(&out.stderr));
}
