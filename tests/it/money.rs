//! Money follows the mechanism: a cost figure moves only the category it
//! prices, a design or a defence that stops every readable exfiltration
//! removes the breach cost,
//! and a year without attacks costs only the defences.

use iomtsim_analysis::money::{Category, defence_cost_per_year, trial_losses};
use iomtsim_sim::TrialResult;
use iomtsim_sim::costs::Costs;

use crate::{engine_from_text, root, run};

const COSTS: &str = r#"
[costs]
currency = "GBP"
record = 100
rebuild = 400
[costs.device_hour]
life-critical = 100
high = 50
medium = 10
low = 2
[costs.gdpr_breach]
fixed = 250000
fine_per_record = 5
fine_cap = 17500000
"#;

fn text(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative)).expect("scenario readable")
}

fn losses(engine: &iomtsim_sim::Engine, costs: &Costs, results: &[TrialResult]) -> Vec<[f64; 8]> {
    results.iter().map(|r| trial_losses(engine.model(), costs, r)).collect()
}

fn column(l: &[[f64; 8]], c: Category) -> Vec<f64> {
    let i = Category::ALL.iter().position(|x| *x == c).unwrap();
    l.iter().map(|x| x[i]).collect()
}

#[test]
fn doubling_the_cost_of_a_record_doubles_only_what_records_cost() {
    let e = engine_from_text("exfiltration.toml", &format!("{}{COSTS}", text("scenarios/threats/exfiltration.toml")));
    let results = run(&e, 60, 0);
    let costs = e.scenario().costs.clone().expect("a cost model");
    let mut dear = costs.clone();
    dear.record *= 2.0;
    let (base, doubled) = (losses(&e, &costs, &results), losses(&e, &dear, &results));
    let records = column(&base, Category::Records);
    assert!(records.iter().filter(|x| **x > 0.0).count() >= 10, "records left in some trials: {records:?}");
    for (a, b) in base.iter().zip(&doubled) {
        for (i, c) in Category::ALL.iter().enumerate() {
            let expected = if *c == Category::Records { 2.0 * a[i] } else { a[i] };
            assert_eq!(b[i], expected, "{c:?}");
        }
    }
    // The breach cost follows the records too: a breach in every trial
    // where records left, and none elsewhere.
    for (r, b) in records.iter().zip(column(&base, Category::Breaches)) {
        assert_eq!(*r > 0.0, b >= 250_000.0, "records {r}, breach cost {b}");
    }
}

#[test]
fn a_design_that_stops_every_exfiltration_removes_the_breach_cost() {
    let open = format!("{}{COSTS}", text("scenarios/threats/exfiltration.toml"));
    let egress = "[[conduits]]\nfrom = \"servers\"\nto = \"internet\"";
    assert!(open.contains(egress), "the teaching scenario's egress conduit");
    let closed = open.replace(egress, "[[conduits]]\nfrom = \"servers\"\nto = \"ward\"");
    let (eo, ec) = (engine_from_text("open.toml", &open), engine_from_text("closed.toml", &closed));
    let (ro, rc) = (run(&eo, 60, 0), run(&ec, 60, 0));
    let costs = eo.scenario().costs.clone().unwrap();
    let (lo, lc) = (losses(&eo, &costs, &ro), losses(&ec, &costs, &rc));
    assert!(column(&lo, Category::Breaches).iter().sum::<f64>() > 0.0, "breaches with egress");
    assert!(column(&lc, Category::Records).iter().all(|x| *x == 0.0));
    assert!(column(&lc, Category::Breaches).iter().all(|x| *x == 0.0));
    // What egress has nothing to do with stays: the worm takes as many
    // devices trial by trial (the ward still reaches the servers).
    let taken = |r: &[TrialResult]| r.iter().map(|t| t.outcome.core().compromised).sum::<u64>();
    let (a, b) = (taken(&ro) as f64, taken(&rc) as f64);
    assert!((a - b).abs() <= 0.25 * a, "compromised {a} with egress, {b} without");
}

#[test]
fn a_defence_that_leaves_every_record_unreadable_removes_the_breach_cost_and_nothing_else() {
    // Encryption at rest on every device type: what the worm's thieves
    // copy out is ciphertext (nobody holds an administrator's keys here).
    let open = format!("{}{COSTS}", text("scenarios/threats/exfiltration.toml"));
    let encrypted = format!("{open}\n[defences.encryption]\nat_rest = [\"all\"]\n");
    let (eo, ee) = (engine_from_text("open.toml", &open), engine_from_text("encrypted.toml", &encrypted));
    let (ro, re) = (run(&eo, 60, 0), run(&ee, 60, 0));
    let costs = eo.scenario().costs.clone().unwrap();
    let (lo, le) = (losses(&eo, &costs, &ro), losses(&ee, &costs, &re));
    assert!(column(&lo, Category::Breaches).iter().sum::<f64>() > 0.0, "breaches without encryption");
    assert!(column(&le, Category::Records).iter().all(|x| *x == 0.0));
    assert!(column(&le, Category::Breaches).iter().all(|x| *x == 0.0));
    // The devices fall and stay down as before, trial by trial.
    assert_eq!(column(&lo, Category::Downtime), column(&le, Category::Downtime));
    assert_eq!(column(&lo, Category::Rebuilds), column(&le, Category::Rebuilds));
}

#[test]
fn a_year_without_attacks_costs_only_the_defences() {
    let vlan = text("scenarios/procurement/vlan-by-department.toml");
    assert!(vlan.contains("arrivals_per_year = 1.1"));
    let quiet = vlan.replace("arrivals_per_year = 1.1", "arrivals_per_year = 0.0");
    let (ea, eq) = (engine_from_text("vlan.toml", &vlan), engine_from_text("quiet.toml", &quiet));
    let costs = eq.scenario().costs.clone().unwrap();
    let attacked: f64 = losses(&ea, &costs, &run(&ea, 40, 0)).iter().flatten().sum();
    let calm: f64 = losses(&eq, &costs, &run(&eq, 40, 0)).iter().flatten().sum();
    assert!(attacked > 0.0);
    assert_eq!(calm, 0.0);
    // 20k a year plus 60k once, written off over five years.
    assert_eq!(defence_cost_per_year(eq.scenario()), 20_000.0 + 60_000.0 / 5.0);
}

#[test]
fn false_alarms_cost_the_analysts_time_and_nothing_else() {
    // The monitoring teaching scenario prices an analyst's hour. Its false
    // alarms add to what the security team costs, and to nothing else.
    let noisy = text("scenarios/defences/monitoring.toml");
    let quiet = noisy.replace("false_alarms_per_day = 2.0", "false_alarms_per_day = 0.0");
    assert_ne!(noisy, quiet);
    let (en, eq) = (engine_from_text("noisy.toml", &noisy), engine_from_text("quiet.toml", &quiet));
    let (rn, rq) = (run(&en, 40, 0), run(&eq, 40, 0));
    let costs = en.scenario().costs.clone().expect("a cost model");
    let (ln, lq) = (losses(&en, &costs, &rn), losses(&eq, &costs, &rq));
    for (a, b) in ln.iter().zip(&lq) {
        for (i, c) in Category::ALL.iter().enumerate() {
            if *c == Category::Analysts {
                // 14 days at two a day, half an hour each at £60 an hour.
                assert!(a[i] - b[i] > 300.0 && a[i] - b[i] < 1_400.0, "false alarms cost {}", a[i] - b[i]);
            } else {
                assert_eq!(a[i], b[i], "{c:?}");
            }
        }
    }
}

#[test]
fn the_comparison_ranks_designs_by_loss_plus_defence_cost_and_says_what_each_buys() {
    // The response team's ward over a year, priced: without the team, and
    // with it at its yearly cost.
    use iomtsim_analysis::workflow::{CompareRequest, Quiet, Stop, compare_designs};
    use iomtsim_sim::ScenarioSource;
    let with = text("scenarios/defences/incident_response.toml")
        .replacen("duration = \"30d\"", "duration = \"365d\"", 1)
        .replacen("\n[defences.incident_response]\n", &format!("\n{COSTS}\n[defences.incident_response]\n"), 1);
    assert!(with.contains("cost_per_year = 120000"), "the team's yearly cost");
    let without = without_table(&with, "defences.incident_response").replacen(
        "name = \"incident-response\"",
        "name = \"no-team\"",
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let request = CompareRequest {
        designs: vec![ScenarioSource::from_text("no-team.toml", without), ScenarioSource::from_text("team.toml", with)],
        trials: Some(60),
        seed: Some(1),
        threads: 0,
        out: Some(dir.path().to_path_buf()),
        force: false,
        min_effect: 0.05,
    };
    let report = compare_designs(request, &iomtsim_attacks::registry(), &Quiet, &Stop::new()).expect("compares");
    let risk = report.risk.expect("both designs price harm in GBP");
    let (base, team) = (&risk.designs[0], &risk.designs[1]);
    assert_eq!((base.defence_cost, team.defence_cost, team.extra_cost), (0.0, 120_000.0, 120_000.0));
    // A trial is a year: the total is the expected loss plus what the defences cost.
    assert_eq!(risk.span, "a year");
    for d in &risk.designs {
        assert!((d.total - (d.expected + d.defence_cost)).abs() < 1e-6, "{d:?}");
        assert!(d.ci_low <= d.expected && d.expected <= d.ci_high && d.expected <= d.p99 && d.p95 <= d.p99);
    }
    // Paired, trial by trial: the loss the team avoids is the difference
    // of the expected losses, and its return is that per pound spent.
    assert!((team.avoided - (base.expected - team.expected)).abs() < 1e-6 * base.expected.max(1.0));
    assert!(team.avoided_low > 0.0, "the team avoids loss beyond noise: {team:?}");
    assert_eq!(team.return_on_spend, Some(team.avoided / team.extra_cost));
    // Cheapest in all first.
    let mut by_total: Vec<&_> = risk.designs.iter().collect();
    by_total.sort_by(|a, b| a.total.total_cmp(&b.total));
    assert_eq!(risk.ranking, by_total.iter().map(|d| d.design.clone()).collect::<Vec<_>>());
    assert!(!risk.sensitivity.is_empty() && risk.sensitivity.iter().all(|s| s.ranking.len() == 2));
    let words = iomtsim_analysis::risk::risk_sentences(&risk).join(" ");
    assert!(
        words.contains("Design incident-response costs GBP 120k a year more than no-team and avoids GBP"),
        "{words}"
    );
    assert!(words.contains("Ranked by expected loss plus defence cost, cheapest first"), "{words}");
    // The report leads with it, and the loss-exceedance curve is drawn.
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("costs GBP 120k a year more than no-team"));
    assert!(dir.path().join("plots/loss_exceedance.png").exists());
}

/// `text` without its table `[table]`: from its header to the next one.
fn without_table(text: &str, table: &str) -> String {
    let header = format!("[{table}]");
    let mut skipping = false;
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            skipping = t.starts_with(&header);
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
