//! Helpers shared by the plugins' tests: build a scenario from text, run
//! trials, summarise.

use iomtsim_sim::{Engine, RunOptions, ScenarioSource, TrialResult, load_model};

/// Loads `text` with every mechanism of this crate, panicking with the
/// rendered diagnostics if it is invalid.
pub fn engine(text: &str) -> Engine {
    match load_model(ScenarioSource::from_text("test.toml", text), &crate::registry()) {
        Ok(model) => Engine::new(model),
        Err(e) => panic!("{e}"),
    }
}

/// The rendered error of an invalid scenario.
pub fn load_error(text: &str) -> String {
    match load_model(ScenarioSource::from_text("test.toml", text), &crate::registry()) {
        Ok(_) => panic!("accepted an invalid scenario:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Runs `trials` trials of `text` with seed 1.
pub fn run(text: &str, trials: u32, record_events: bool) -> Vec<TrialResult> {
    let options = RunOptions { seed: 1, trials: 0..trials, threads: 0, record_events, sample_every: None };
    engine(text).run(&options, &|| {}).expect("thread pool")
}

/// Mean and 95% confidence half-width (normal approximation).
pub fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, 1.96 * (var / n).sqrt())
}

/// Mean compromised devices over `results`, with its 95% half-width.
pub fn compromised(results: &[TrialResult]) -> (f64, f64) {
    mean_ci(&results.iter().map(|r| r.outcome.core().compromised as f64).collect::<Vec<_>>())
}

/// Asserts that the intervals `a` and `b` do not overlap and `a` is lower.
pub fn assert_clearly_below(a: (f64, f64), b: (f64, f64), what: &str) {
    assert!(
        a.0 + a.1 < b.0 - b.1,
        "{what}: expected {:.1} ± {:.1} to lie clearly below {:.1} ± {:.1}",
        a.0,
        a.1,
        b.0,
        b.1
    );
}

/// A worm entering at one host of zone `a`, scanning SMB 3 times an hour,
/// every compromise detected after an exponential hour and isolated at
/// once (SIR with a recovery rate of 1 an hour): tables to append to a
/// scenario's top-level keys.
pub const SIR_WORM_FROM_A: &str = r#"
    [attacks.worm]
    exploit = "eb"
    scans_per_hour = 3.0
    entry_zone = "a"
    entry_devices = 1
    [defences.monitoring]
    coverage = 1.0
    time_to_detect = { dist = "exponential", mean = "1h" }
    [defences.incident_response]
    isolate_after = "0s"
    restore_time = "3000d"
"#;

/// Devices a trial compromised in each of `zones` runs of `size`
/// consecutive devices (zones placed one row each, in order).
pub fn taken_per_zone(result: &TrialResult, size: u32, zones: usize) -> Vec<u32> {
    let mut taken = vec![0u32; zones];
    for e in result.events.iter().filter(|e| e.transition == Some(iomtsim_sim::Transition::Compromised)) {
        taken[(e.device / size) as usize] += 1;
    }
    taken
}

/// Solves the multi-group SIR final-size relation
/// `-ln(1 - z_i) = sum_j r[i][j] * z_j` by fixed-point iteration from
/// `z = 1`, which converges to the major-outbreak solution.
pub fn final_size(r: &[Vec<f64>]) -> Vec<f64> {
    let mut z = vec![1.0; r.len()];
    for _ in 0..10_000 {
        z = (0..r.len()).map(|i| 1.0 - (-(0..r.len()).map(|j| r[i][j] * z[j]).sum::<f64>()).exp()).collect();
    }
    z
}

/// A flat LAN of `n` Windows hosts listening on SMB, all carrying a
/// vulnerability disclosed `disclosed` before the start, with a worm
/// entering through one host at time zero. `device_extra` is added to the
/// device type, `worm_extra` to the worm, and `defences` appended.
pub fn lan(n: u32, disclosed: &str, device_extra: &str, worm_extra: &str, defences: &str) -> String {
    format!(
        r#"
        name = "lan"
        duration = "10d"
        zones = [{{ id = "lan" }}]
        vulnerabilities = [{{ id = "eb", service = "smb", disclosed = "{disclosed}" }}]
        [[device_types]]
        id = "host"
        services = ["smb"]
        vulnerabilities = [{{ id = "eb" }}]
        {device_extra}
        [[placement]]
        zone = "lan"
        device_type = "host"
        count = {n}
        [attacks.worm]
        exploit = "eb"
        scans_per_hour = 2.0
        entry_zone = "lan"
        entry_devices = 1
        {worm_extra}

        {defences}
        "#
    )
}

/// The per-trial values of metric `name` (`"<instance id>.<metric>"`) of
/// the scenario `text` (0 where a flag is down or an hours metric unset).
pub fn metric(text: &str, results: &[TrialResult], name: &str) -> Vec<f64> {
    let m = engine(text).model().metric(name).unwrap_or_else(|| panic!("no metric {name}"));
    results.iter().map(|r| r.outcome.get(m).as_f64().unwrap_or(0.0)).collect()
}

/// `text` without its table `[<table>]` (say `defences.training`): the
/// same scenario with that defence switched off. Everything from the
/// table's header to the next table header goes.
pub fn without(text: &str, table: &str) -> String {
    let header = format!("[{table}]");
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    let mut found = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            skipping = trimmed.starts_with(&header);
            found |= skipping;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(found, "no table {header} in the scenario");
    out
}

/// `text` with `extra` on lines of its own just before the first
/// occurrence of `anchor` (a table header, say): a scenario variation built
/// in memory. Panics if `anchor` is not there, so that a shipped scenario
/// edited under a test cannot leave the variation silently unmade.
pub fn insert_before(text: &str, anchor: &str, extra: &str) -> String {
    assert!(text.contains(anchor), "no `{anchor}` in the scenario");
    text.replacen(anchor, &format!("{extra}\n{anchor}"), 1)
}

/// `text` with `extra` on lines of its own just after the first line that
/// `anchor` ends (a device type's `name = ...`, say, to give the type one
/// more key). Panics if `anchor` is not there.
pub fn insert_after(text: &str, anchor: &str, extra: &str) -> String {
    let at = text.find(anchor).unwrap_or_else(|| panic!("no `{anchor}` in the scenario"));
    let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
    format!("{}\n{extra}{}", &text[..end], &text[end..])
}

/// A teaching ward of `scenarios/defences/` (one with clinical
/// workstations and a snooping insider) with an RDP flaw (BlueKeep) in its
/// workstations and a slow worm exploiting it from one of them: an attack
/// that needs no account and that no log records, beside the insider.
pub fn with_rdp_worm(text: &str) -> String {
    let flawed = insert_after(text, "name = \"Clinical workstation\"", "vulnerabilities = [{ id = \"bluekeep\" }]");
    insert_before(
        &flawed,
        "[attacks.snooping]",
        "[[vulnerabilities]]\nid = \"bluekeep\"\nservice = \"rdp\"\ndisclosed = \"-30d\"\n\n\
         [attacks.worm]\nexploit = \"bluekeep\"\nscans_per_hour = 0.001\nentry_zone = \"ward\"\n\
         entry_devices = 1\nentry_device_type = \"workstation\"\n",
    )
}
