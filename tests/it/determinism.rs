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
