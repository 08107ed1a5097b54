//! One trial: a fresh world of devices, the mechanisms' resources and
//! start-of-trial systems, then the time-ordered queue drained in a tight
//! loop, each event dispatched to its handler (a system whose parameters
//! are cached for the trial) and each signal it raised delivered to the
//! subscribers at the same instant.

use std::sync::Arc;

use bevy_ecs::entity::Entity;
use bevy_ecs::world::World;

use crate::core::{Signal, TrialCore};
use crate::device::{Device, DeviceState};
use crate::model::{LiveHandler, Model};
use crate::outcome::{Breakdown, CoreMetric, TrialOutcome, TrialResult};
use crate::queue::{Event, EventQueue};
use crate::random::Key;
use crate::time::{SimDuration, SimTime};
use crate::vocabulary::MetricValue;

/// Runs trial `trial` of `model`. Its result depends only on (model, seed,
/// trial): every random draw is keyed by what it is for.
pub(crate) fn run_trial(
    model: &Arc<Model>,
    seed: u64,
    trial: u32,
    record_events: bool,
    sample_every: Option<SimDuration>,
) -> TrialResult {
    let root = Key::trial(seed, trial);
    let mut world = World::new();
    let entities = spawn_devices(&mut world, model, root);
    world.insert_resource(TrialCore::new(model.clone(), root, entities, record_events));
    for step in &model.init {
        step(&mut world);
    }
    let mut handlers: Vec<Box<dyn LiveHandler>> = model.handlers.iter().map(|h| h.instantiate(&mut world)).collect();
    for step in &model.startup {
        step(&mut world);
    }
    world.resource_mut::<TrialCore>().started = true;
    drain(&mut world, model, &mut handlers, sample_every.filter(|d| *d > SimDuration::ZERO));
    finish(&mut world, model, trial)
}

/// Spawns one entity per device, its traits drawn from keys of its stable
/// identity: the same device carries the same vulnerabilities in every
/// design, wherever it is placed.
fn spawn_devices(world: &mut World, model: &Model, root: Key) -> Vec<Entity> {
    let s = &model.scenario;
    let traits = root.named("device-traits");
    let devices = s.devices.iter().enumerate().map(|(i, slot)| {
        let t = &s.device_types[usize::from(slot.device_type.0)];
        let k = traits.with(model.identity[i]);
        let mut state =
            DeviceState { unsupported: k.named("unsupported-os").bernoulli(t.unsupported_os), ..Default::default() };
        for &(v, share) in &t.vulnerabilities {
            if k.with(model.vuln_keys[usize::from(v.0)]).bernoulli(share) {
                state.vulnerable |= 1 << v.0;
            }
        }
        (Device { index: i as u32, device_type: slot.device_type, zone: slot.zone, ordinal: slot.ordinal }, state)
    });
    world.spawn_batch(devices).collect()
}

/// The next thing the loop does: deliver signals, or handle an event.
enum Step {
    Deliver,
    Handle(Event),
    Done,
}

/// Drains the queue up to the horizon, sampling the estate's state at
/// every multiple of the sampling interval. State only changes at events,
/// so a sample at `t` is taken just before the first event after `t`, and
/// includes every event up to and including `t`.
fn drain(world: &mut World, model: &Model, handlers: &mut [Box<dyn LiveHandler>], every: Option<SimDuration>) {
    let mut queue = EventQueue::new();
    let mut signals: Vec<Signal> = Vec::new();
    let mut next_sample = every.map(|_| SimTime::ZERO);
    loop {
        // One look at the books per step: take what was scheduled and
        // raised, then either deliver the signals or advance the clock.
        let step = {
            let mut core = world.resource_mut::<TrialCore>();
            for e in core.scheduled.drain(..) {
                queue.push(e);
            }
            if !core.pending.is_empty() {
                std::mem::swap(&mut core.pending, &mut signals);
                Step::Deliver
            } else if let Some(e) = queue.pop() {
                debug_assert!(e.time >= core.now, "time never runs backwards");
                while let (Some(t), Some(every)) = (next_sample, every) {
                    if t >= e.time {
                        break;
                    }
                    let sample = core.sample(t);
                    core.samples.push(sample);
                    next_sample = Some(t + every);
                }
                core.now = e.time;
                core.books.events += 1;
                Step::Handle(e)
            } else {
                let horizon = core.horizon;
                core.now = horizon;
                while let (Some(t), Some(every)) = (next_sample, every) {
                    if t > horizon {
                        break;
                    }
                    let sample = core.sample(t);
                    core.samples.push(sample);
                    next_sample = Some(t + every);
                }
                Step::Done
            }
        };
        match step {
            Step::Handle(mut e) => {
                let h = usize::from(e.handler.0);
                e.instance = model.handlers[h].instance;
                handlers[h].run(world, e);
            }
            Step::Deliver => {
                let now = world.resource::<TrialCore>().now;
                for s in signals.drain(..) {
                    let to_transition = s.transition.map_or(&[][..], |t| &model.on_transition[t.index()][..]);
                    for &h in to_transition.iter().chain(&model.on_event) {
                        let e = Event {
                            time: now,
                            handler: h,
                            target: s.device,
                            tag: u64::from(s.kind.0),
                            instance: model.handlers[usize::from(h.0)].instance,
                        };
                        handlers[usize::from(h.0)].run(world, e);
                    }
                }
            }
            Step::Done => return,
        }
    }
}

/// Closes the books at the horizon: downtime still running is counted up
/// to it, and the engine's own metrics and the breakdown are filled in.
fn finish(world: &mut World, model: &Model, trial: u32) -> TrialResult {
    let horizon = world.resource::<TrialCore>().horizon;
    let mut cells: Vec<Breakdown> = model
        .cells
        .iter()
        .map(|&(zone, device_type)| Breakdown {
            zone,
            device_type,
            devices: 0,
            compromised: 0,
            disrupted: 0,
            downtime_device_hours: 0.0,
        })
        .collect();
    let (mut open, mut open_critical) = (SimDuration::ZERO, SimDuration::ZERO);
    let mut query = world.query::<(&Device, &DeviceState)>();
    for (device, state) in query.iter(world) {
        let d = device.index as usize;
        let mut downtime = state.downtime;
        if let Some(since) = state.unavailable_since {
            let span = horizon - since;
            downtime += span;
            open += span;
            if model.critical[d] {
                open_critical += span;
            }
        }
        let cell = &mut cells[model.cell_of[d] as usize];
        cell.devices += 1;
        cell.compromised += u32::from(state.ever_compromised);
        cell.disrupted += u32::from(state.ever_disrupted);
        cell.downtime_device_hours += downtime.as_hours_f64();
    }
    let mut core = world.resource_mut::<TrialCore>();
    let b = core.books.clone();
    let values = &mut core.values;
    let mut set = |m: CoreMetric, v: MetricValue| values[usize::from(m.id().0)] = v;
    let hours = |x: Option<SimTime>| x.map(SimTime::as_hours_f64);
    set(CoreMetric::Devices, MetricValue::Count(model.scenario.devices.len() as u64));
    set(CoreMetric::Compromised, MetricValue::Count(b.compromised_ever));
    set(CoreMetric::PeakCompromised, MetricValue::Count(b.peak_compromised));
    set(CoreMetric::StillCompromised, MetricValue::Count(u64::from(b.compromised_now)));
    set(CoreMetric::Disrupted, MetricValue::Count(b.disrupted_ever));
    set(CoreMetric::Isolated, MetricValue::Count(b.isolated_ever));
    set(CoreMetric::PatchesInstalled, MetricValue::Count(b.patches_installed));
    set(CoreMetric::RecordsOnCompromisedDevices, MetricValue::Count(b.records_on_compromised_devices));
    set(CoreMetric::DowntimeDeviceHours, MetricValue::Amount((b.downtime + open).as_hours_f64()));
    set(
        CoreMetric::CriticalDowntimeDeviceHours,
        MetricValue::Amount((b.critical_downtime + open_critical).as_hours_f64()),
    );
    set(CoreMetric::Detected, MetricValue::Flag(b.first_detection.is_some()));
    set(
        CoreMetric::TimeToDetectH,
        MetricValue::Hours(match (b.first_compromise, b.first_detection) {
            (Some(c), Some(d)) => Some((d - c).as_hours_f64()),
            _ => None,
        }),
    );
    set(CoreMetric::FirstCompromiseH, MetricValue::Hours(hours(b.first_compromise)));
    set(CoreMetric::Events, MetricValue::Count(b.events));
    TrialResult {
        outcome: TrialOutcome { trial, values: std::mem::take(&mut core.values) },
        events: core.log.take().unwrap_or_default(),
        samples: std::mem::take(&mut core.samples),
        breakdown: cells,
    }
}
