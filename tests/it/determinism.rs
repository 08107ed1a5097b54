//! A trial's result depends only on (scenario, seed, trial index).

use iomtsim_sim::RunOptions;

use crate::engine;

#[test]
fn results_do_not_depend_on_threads_or_batching() {
    let e = engine("scenarios/hospital/regional-flat.toml");
    let opts = |threads, trials| RunOptions { seed: 11, trials, threads, record_events: true, sample_every: None };
    let one = e.run(&opts(1, 0..24), &|| {}).unwrap();
    let two = e.run(&opts(2, 0..24), &|| {}).unwrap();
    let four = e.run(&opts(4, 0..24), &|| {}).unwrap();
    for ((a, b), c) in one.iter().zip(&two).zip(&four) {
        assert_eq!(a.outcome, b.outcome);
        assert_eq!(a.outcome, c.outcome);
        assert_eq!(a.events, b.events);
        assert_eq!(a.events, c.events);
    }
    // A slice of trials run on its own gives the same trials.
    let slice = e.run(&opts(2, 10..14), &|| {}).unwrap();
    for r in &slice {
        assert_eq!(r.outcome, one[r.outcome.trial as usize].outcome);
    }
}

#[test]
fn different_seeds_give_different_trials() {
    let e = engine("scenarios/teaching/flat-ward.toml");
    let run = |seed| {
        e.run(&RunOptions { seed, trials: 0..20, threads: 1, record_events: true, sample_every: None }, &|| {}).unwrap()
    };
    let (a, b) = (run(1), run(2));
    assert!(a.iter().zip(&b).any(|(x, y)| x.events != y.events));
}

/// A defence that never acts changes nothing else: adding one to the
/// reference hospital leaves every other metric of every trial, and every
/// event, exactly as it was. Draws are keyed by what they are for, so its
/// presence shifts no one else's.
#[test]
fn a_defence_that_never_acts_changes_no_other_outcome() {
    let text = std::fs::read_to_string(crate::root().join("scenarios/hospital/regional-flat.toml")).unwrap();
    let idle =
        format!("{text}\n[defences.idle-watch]\nkind = \"monitoring\"\ncoverage = 0.0\ntime_to_detect = \"1h\"\n");
    let (base, with) = (crate::engine_from_text("base.toml", &text), crate::engine_from_text("idle.toml", &idle));
    let opts = RunOptions { seed: 5, trials: 0..40, threads: 0, record_events: true, sample_every: None };
    let (a, b) = (base.run(&opts, &|| {}).unwrap(), with.run(&opts, &|| {}).unwrap());
    let described = |m: &iomtsim_sim::Model, r: &iomtsim_sim::TrialResult| -> Vec<(u64, u32, String, String)> {
        r.events
            .iter()
            .map(|e| {
                let k = m.event_kind(e.kind);
                (e.time.0, e.device, k.name.to_owned(), m.instance_info(k.source).id.clone())
            })
            .collect()
    };
    let mut changed = 0;
    for (x, y) in a.iter().zip(&b) {
        for (i, decl) in base.model().metrics.iter().enumerate() {
            let j = with.model().metric(&decl.column).unwrap();
            assert_eq!(x.outcome.values[i], y.outcome.get(j), "trial {}: {}", x.outcome.trial, decl.column);
        }
        assert_eq!(described(base.model(), x), described(with.model(), y), "trial {}", x.outcome.trial);
        changed += usize::from(x.outcome.core().compromised > 1);
    }
    assert!(changed > 20, "the trials have outbreaks for the idle defence to miss");
    let detections = with.model().metric("idle-watch.detections").unwrap();
    assert!(b.iter().all(|r| r.outcome.get(detections).count() == 0));
}
