//! Engine throughput: events per second for the reference hospital, for a
//! bare priority-queue loop of the same event count, and for the bare loop's
//! own work done through the engine (a bench-only mechanism), so that the
//! engine's overhead over its queue, and the mechanisms' work on top of it,
//! read as ratios; trial cost as the estate grows (1k / 10k / 100k devices);
//! and a whole 1,000-trial run.
//!
//! Run with `cargo bench -p iomtsim-benches`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use iomtsim_sim::prelude::*;
use iomtsim_sim::{Engine, EventQueue, Registry, RunOptions, ScenarioSource, load_model};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const REFERENCE: &str = include_str!("../../scenarios/hospital/regional-flat.toml");
const SEED: u64 = 20170512;
const TRIAL: u32 = 3;
/// Trials per measured batch of the reference hospital: outbreaks vary in
/// size from trial to trial, so one trial is not representative.
const BATCH: u32 = 16;

fn engine(name: &str, text: &str) -> Engine {
    let model = load_model(ScenarioSource::from_text(name, text.to_owned()), &iomtsim_attacks::registry())
        .unwrap_or_else(|e| panic!("{e}"));
    Engine::new(model)
}

/// `[attacks.<id>]` of kind `churn` (this benchmark only): the bare loop's
/// work as a mechanism. At the start it schedules `pending` events; each
/// event touches one device's counter in the mechanism's own resource and
/// schedules a successor at a random later time, until the trial has
/// handled `events`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ChurnParams {
    events: u64,
    pending: u32,
}

struct ChurnFactory;

impl PluginSpec for ChurnFactory {
    type Params = ChurnParams;
    const KIND: &'static str = "churn";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "benchmark only: pops, touches a device, pushes";

    fn configure(p: ChurnParams, _: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Ok(Box::new(Churn { events: p.events, pending: p.pending }))
    }
}

struct Churn {
    events: u64,
    pending: u32,
}

/// One instance's trial: its counters, its generator (as the bare loop's)
/// and how many events are left to schedule.
struct Counters {
    touched: Vec<u32>,
    rng: ChaCha8Rng,
    left: u64,
    handler: HandlerId,
}

impl Plugin for Churn {
    fn build(&self, b: &mut SimBuilder) {
        let handler = b.handler("churn.step", churn_step);
        b.init_resource::<Instances<Counters>>();
        let (me, events, pending) = (b.instance(), self.events, self.pending);
        b.on_trial_start(move |mut sim: Sim, mut all: ResMut<Instances<Counters>>| {
            let mut rng = ChaCha8Rng::seed_from_u64(sim.key(me).value());
            for i in 0..pending {
                let at = SimTime(rng.next_u64() % 1_000_000);
                sim.schedule_at(at, handler, i % sim.device_count(), 0).expect("before the start");
            }
            let touched = vec![0; sim.device_count() as usize];
            all.insert(me, Counters { touched, rng, left: events.saturating_sub(u64::from(pending)), handler });
        });
    }
}

fn churn_step(In(e): In<Event>, mut sim: Sim, mut all: ResMut<Instances<Counters>>) {
    let c = all.get_mut(e.instance);
    c.touched[e.target as usize] += 1;
    if c.left > 0 {
        c.left -= 1;
        let target = (c.rng.next_u64() % u64::from(sim.device_count())) as u32;
        let delay = SimDuration(c.rng.next_u64() % 1_000_000);
        sim.schedule_in(delay, c.handler, target, 0);
    }
}

/// A flat estate of `devices` devices with nothing but the churn on it.
fn churn_scenario(devices: u32, events: u64, pending: usize) -> String {
    format!(
        r#"
        name = "churn"
        duration = "30d"
        zones = [{{ id = "lan" }}]
        device_types = [{{ id = "host", services = ["https"] }}]
        placement = [{{ zone = "lan", device_type = "host", count = {devices} }}]
        [attacks.churn]
        events = {events}
        pending = {pending}
        "#
    )
}

/// The same pop-touch-push work with no engine around it: pop the earliest
/// event, update a plain state vector, push a successor at a random later
/// time, keeping about `pending` events in the queue.
fn bare_queue_loop(events: u64, devices: usize, pending: usize) -> u64 {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut state = vec![0u32; devices];
    let mut q = EventQueue::new();
    for i in 0..pending {
        q.push(Event {
            time: SimTime(rng.next_u64() % 1_000_000),
            handler: HandlerId(0),
            target: i as u32,
            tag: 0,
            instance: InstanceId(0),
        });
    }
    let mut done = 0;
    while done < events {
        let e = q.pop().expect("queue never drains");
        state[e.target as usize % devices] += 1;
        let target = (rng.next_u64() % devices as u64) as u32;
        q.push(Event {
            time: SimTime(e.time.0 + rng.next_u64() % 1_000_000),
            handler: HandlerId(0),
            target,
            tag: 0,
            instance: InstanceId(0),
        });
        done += 1;
    }
    state.iter().map(|&x| u64::from(x)).sum()
}

fn reference_hospital(c: &mut Criterion) {
    let e = engine("regional-flat.toml", REFERENCE);
    let run_batch = || e.run_sequential(SEED, 0..BATCH, false);
    let first = run_batch();
    // The engine's units of work: scheduled events and signals delivered to
    // subscribers, each a handler call.
    let events: u64 = first.iter().map(|r| r.dispatches).sum();
    let pending = (first.iter().map(|r| r.mean_pending).sum::<f64>() / f64::from(BATCH)).round().max(1.0) as usize;
    let devices = e.scenario().device_count() as usize;
    let mut group = c.benchmark_group("reference_hospital");
    group.throughput(Throughput::Elements(events));
    // Whole trials, set-up of 6,060 device entities included.
    group.bench_function("engine_16_trials", |b| b.iter(|| black_box(run_batch())));
    // The same event count through a bare heap holding as many events as
    // the engine's queue held on average.
    group.bench_function("bare_queue_same_events", |b| b.iter(|| black_box(bare_queue_loop(events, devices, pending))));
    // The bare loop's work through the engine, on an estate as large, in
    // as many trials: what the engine adds over its queue, without the
    // mechanisms' own work (draws, books, set-up).
    let churn = {
        static CHURN: ChurnFactory = ChurnFactory;
        let text = churn_scenario(devices as u32, events / u64::from(BATCH), pending);
        let model = load_model(ScenarioSource::from_text("churn.toml", text), &Registry::new(vec![&CHURN]))
            .unwrap_or_else(|e| panic!("{e}"));
        Engine::new(model)
    };
    let dispatched: u64 = churn.run_sequential(SEED, 0..BATCH, false).iter().map(|r| r.dispatches).sum();
    assert_eq!(dispatched, events / u64::from(BATCH) * u64::from(BATCH), "the churn handles as many events");
    group.bench_function("engine_bare_work_same_events", |b| {
        b.iter(|| black_box(churn.run_sequential(SEED, 0..BATCH, false)))
    });
    group.finish();
}

fn flat_estate(devices: u32) -> String {
    // Hosts of one flat zone, a fifth of them Windows machines on SMB, a
    // worm entering through one of those.
    let windows = devices / 5;
    format!(
        r#"
        name = "flat-{devices}"
        duration = "30d"
        zones = [{{ id = "lan" }}]
        vulnerabilities = [{{ id = "eb", service = "smb", disclosed = "-59d" }}]
        device_types = [
          {{ id = "pc", services = ["smb"], vulnerabilities = [{{ id = "eb" }}] }},
          {{ id = "pump", services = ["https"] }},
        ]
        placement = [
          {{ zone = "lan", device_type = "pc", count = {windows} }},
          {{ zone = "lan", device_type = "pump", count = {} }},
        ]
        [attacks.worm]
        exploit = "eb"
        exploit_success = 0.9
        scans_per_hour = 2.0
        entry_zone = "lan"
        entry_devices = 1
        entry_device_type = "pc"
        [attacks.ransomware]
        delay = "10m"
        noticed_after = {{ dist = "lognormal", median = "30m", p90 = "4h" }}
        [defences.patching]
        lag = {{ dist = "lognormal", median = "58d", p90 = "240d" }}
        coverage = 0.57
        [defences.incident_response]
        isolate_after = "1h"
        restore_time = {{ dist = "lognormal", median = "21d", p90 = "90d" }}
        "#,
        devices - windows
    )
}

fn scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("flat_estate_trial");
    group.sample_size(10);
    for devices in [1_000u32, 10_000, 100_000] {
        let e = engine("flat.toml", &flat_estate(devices));
        let events = e.run_trial(SEED, TRIAL, false).outcome.core().events;
        group.throughput(Throughput::Elements(events));
        group.bench_with_input(BenchmarkId::from_parameter(devices), &e, |b, e| {
            b.iter(|| black_box(e.run_trial(SEED, TRIAL, false)))
        });
    }
    group.finish();
}

fn thousand_trials(c: &mut Criterion) {
    let e = engine("regional-flat.toml", REFERENCE);
    let mut group = c.benchmark_group("reference_hospital_run");
    group.sample_size(10);
    let options = RunOptions { seed: SEED, trials: 0..1000, threads: 0, record_events: false, sample_every: None };
    group.bench_function("1000_trials_all_cores", |b| b.iter(|| black_box(e.run(&options, &|| {}).unwrap())));
    group.finish();
}

criterion_group!(benches, reference_hospital, scaling, thousand_trials);
criterion_main!(benches);
