//! Sweep scaling: every cell of the shipped grid sweep of the teaching ward
//! (patch coverage by worm speed, 12 cells), 200 trials a cell (the sweep
//! file's own), three ways: cell after cell on 1 thread; cell after cell,
//! each cell's trials shared by 2 threads; and two workers taking whole
//! cells, one thread each, which is what `iomtsim sweep` does when it has
//! at least as many cells as threads (a small cell's trials are too few to
//! share out well). Results do not depend on the threads; the ratio of the
//! medians is the speed-up from a second core.
//!
//! Run with `cargo bench -p iomtsim-benches --bench sweep`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use iomtsim_sim::sweep::Sweep;
use iomtsim_sim::{Engine, RunOptions, ScenarioSource, load_model};

const TRIALS: u32 = 200;

fn cells() -> Vec<Engine> {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/sweeps/patching-and-speed.toml");
    let sweep = Sweep::load(ScenarioSource::from_path(std::path::Path::new(file)).expect("the shipped sweep"))
        .unwrap_or_else(|e| panic!("{e}"));
    let models = sweep.check(|s| load_model(s, &iomtsim_attacks::registry())).unwrap_or_else(|e| panic!("{e}"));
    models.into_iter().map(Engine::new).collect()
}

fn sweep_threads(c: &mut Criterion) {
    let engines = cells();
    let mut group = c.benchmark_group("sweep_grid_12_cells");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(TRIALS) * engines.len() as u64));
    for threads in [1usize, 2] {
        let options = RunOptions { seed: 42, trials: 0..TRIALS, threads, record_events: false, sample_every: None };
        group.bench_with_input(BenchmarkId::new("threads", threads), &options, |b, o| {
            b.iter(|| {
                for e in &engines {
                    black_box(e.run(o, &|| {}).unwrap());
                }
            })
        });
    }
    // Two workers each taking whole cells, one thread a cell.
    let options = RunOptions { seed: 42, trials: 0..TRIALS, threads: 1, record_events: false, sample_every: None };
    group.bench_with_input(BenchmarkId::new("cells_in_parallel", 2), &options, |b, o| {
        b.iter(|| {
            let next = std::sync::atomic::AtomicUsize::new(0);
            std::thread::scope(|scope| {
                for _ in 0..2 {
                    scope.spawn(|| {
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(e) = engines.get(i) else { break };
                            black_box(e.run(o, &|| {}).unwrap());
                        }
                    });
                }
            });
        })
    });
    group.finish();
}

criterion_group!(benches, sweep_threads);
criterion_main!(benches);
