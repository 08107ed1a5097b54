//! Scale: the national scenario (NHS England in May 2017, about a million
//! devices in 15,380 zones) and a network read from graph files.
//!
//! - `national/load`: reading and configuring the scenario;
//! - `national/trial`: one trial on one thread (a trial's outbreak varies,
//!   so the median over samples is the figure to quote);
//! - `graph/load`: reading a node table and an edge list of a million
//!   devices and ten million edges (each edge both ways: twenty million
//!   directed), written once to a temporary folder.
//!
//! Memory is read from the kernel's count of resident pages: what the
//! loaded model holds per device, and the peak a trial adds above it,
//! printed beside the timings. Run with `cargo bench -p iomtsim-benches --bench national`.
//! Under `cargo test` (no `--bench`), the graph is a hundred times smaller.

use std::hint::black_box;
use std::io::Write as _;

use criterion::{Criterion, criterion_group, criterion_main};
use iomtsim_sim::{Engine, RunOptions, ScenarioSource, load_model};
use rand::{RngExt as _, SeedableRng};

/// Resident memory of this process now and at most since the last reset,
/// in bytes, from `/proc/self/status` (Linux; zero elsewhere).
fn resident() -> (usize, usize) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<usize>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Starts a new peak: the kernel resets VmHWM to the current resident size.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

const NATIONAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/national/nhs-england-2017.toml");

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn load_national() -> Engine {
    let source = ScenarioSource::from_path(std::path::Path::new(NATIONAL)).expect("the national scenario");
    Engine::new(load_model(source, &iomtsim_attacks::registry()).unwrap_or_else(|e| panic!("{e}")))
}

fn national(c: &mut Criterion) {
    let (before, _) = resident();
    let engine = load_national();
    let devices = engine.model().scenario.device_count();
    let (held, _) = resident();
    let model_bytes = held.saturating_sub(before);
    let options = RunOptions { seed: 2017, trials: 0..1, threads: 1, record_events: false, sample_every: None };
    reset_peak();
    let result = engine.run(&options, &|| {}).unwrap();
    let trial_peak = resident().1.saturating_sub(held);
    println!(
        "national: {devices} devices; the model holds {:.0} MiB ({:.0} bytes a device); a trial adds at most {:.0} MiB \
         ({:.0} bytes a device); {} compromised in trial 0",
        mib(model_bytes),
        model_bytes as f64 / f64::from(devices),
        mib(trial_peak),
        trial_peak as f64 / f64::from(devices),
        result[0].outcome.core().compromised,
    );
    let mut group = c.benchmark_group("national");
    group.sample_size(10);
    group.bench_function("load", |b| b.iter(|| black_box(load_national())));
    group.bench_function("trial", |b| b.iter(|| black_box(engine.run(&options, &|| {}).unwrap())));
    group.finish();
}

/// Writes a random graph of `devices` nodes and `edges` undirected edges,
/// each device with `edges / devices` neighbours on average, to `dir`.
fn write_graph(dir: &std::path::Path, devices: u32, edges: u64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut nodes = std::io::BufWriter::new(std::fs::File::create(dir.join("nodes.csv")).unwrap());
    writeln!(nodes, "id,device_type,zone").unwrap();
    for d in 0..devices {
        writeln!(nodes, "d{d},{},z{}", if d % 3 == 0 { "pc" } else { "pump" }, d / 1000).unwrap();
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("edges.csv")).unwrap());
    writeln!(out, "source,target,service").unwrap();
    for _ in 0..edges {
        let a = rng.random_range(0..devices);
        // Mostly neighbours within the same thousand, some anywhere.
        let b = if rng.random_bool(0.9) {
            (a / 1000) * 1000 + rng.random_range(0..1000)
        } else {
            rng.random_range(0..devices)
        };
        writeln!(out, "d{a},d{},smb", b.min(devices - 1)).unwrap();
    }
    out.flush().unwrap();
    std::fs::write(
        dir.join("graph.toml"),
        "name = \"graph\"\nduration = \"1d\"\n\
         device_types = [{ id = \"pc\", services = [\"smb\"] }, { id = \"pump\", services = [\"smb\"] }]\n\
         [graph]\nnodes = \"nodes.csv\"\nedges = \"edges.csv\"\n",
    )
    .unwrap();
}

fn graph(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let (devices, edges) = if full { (1_000_000, 10_000_000) } else { (10_000, 100_000) };
    let dir = tempfile_dir();
    write_graph(&dir, devices, edges);
    let path = dir.join("graph.toml");
    let load =
        || iomtsim_sim::Scenario::load(ScenarioSource::from_path(&path).unwrap()).unwrap_or_else(|e| panic!("{e}"));
    let (before, _) = resident();
    reset_peak();
    let s = load();
    let graph = s.network.device_graph().expect("a device graph");
    println!(
        "graph: {devices} devices, {} directed edges; holds {:.0} MiB ({:.1} bytes an edge); loading peaks at {:.0} MiB",
        graph.edge_count(),
        mib(graph.heap_bytes()),
        graph.heap_bytes() as f64 / graph.edge_count() as f64,
        mib(resident().1.saturating_sub(before)),
    );
    drop(s);
    let mut group = c.benchmark_group("graph");
    group.sample_size(10);
    group.bench_function(format!("load_{devices}_devices_{edges}_edges"), |b| b.iter(|| black_box(load())));
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh folder under the system's temporary directory.
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("iomtsim-bench-graph-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

criterion_group!(benches, national, graph);
criterion_main!(benches);
