//! One trial: the world of devices made ready (traits drawn afresh, every
//! mechanism's components and resources reset), the mechanisms'
//! start-of-trial systems, then the time-ordered queue drained in a tight
//! loop, each event dispatched to its handler (a system whose parameters
//! are cached) and each signal it raised delivered to the subscribers at
//! the same instant.
//!
//! A world is reused from trial to trial on the same worker: spawning
//! thousands of device entities costs more than most trials' events, and
//! resetting them costs a fraction of it. Nothing of one trial survives
//! into the next: every device's shared state is redrawn, every declared
//! component taken off, every declared resource made afresh and the books
//! replaced, so a trial's result does not depend on which trials ran
//! before it on the same worker.

use std::sync::Arc;

use bevy_ecs::entity::Entity;
use bevy_ecs::system::BoxedSystem;
use bevy_ecs::world::World;

use crate::core::{Signal, TrialCore};
use crate::device::{Device, DeviceState};
use crate::model::{LiveHandler, Model};
use crate::outcome::{Breakdown, CoreMetric, TrialOutcome, TrialResult};
use crate::queue::{Event, HandlerId};
use crate::random::{Key, name_hash};
use crate::time::{SimDuration, SimTime};
use crate::vocabulary::InstanceId;
use crate::vocabulary::MetricValue;

const TRAITS: u64 = name_hash("device-traits");
const UNSUPPORTED: u64 = name_hash("unsupported-os");
const DEFAULT_CREDENTIALS: u64 = name_hash("default-credentials");
const AUTHENTICATES: u64 = name_hash("authenticates-commands");

/// A world of a model's devices with its handlers bound, reused across the
/// trials one worker runs.
pub(crate) struct TrialWorld {
    model: Arc<Model>,
    world: World,
    entities: Vec<Entity>,
    handlers: Vec<Box<dyn LiveHandler>>,
    /// Per handler: the instance that registered it.
    instances: Vec<InstanceId>,
    /// Per device type: whether its devices' traits are the same in every
    /// trial (nothing to draw).
    plain_types: Vec<bool>,
    /// Per cell of the breakdown: how many devices it holds.
    cell_devices: Vec<u32>,
    startup: Vec<BoxedSystem>,
}

impl TrialWorld {
    /// Spawns the model's devices and binds its handlers.
    pub(crate) fn new(model: &Arc<Model>) -> Self {
        let mut world = World::new();
        let s = &model.scenario;
        let devices = s.devices.iter().enumerate().map(|(i, slot)| Device {
            index: i as u32,
            device_type: slot.device_type,
            zone: slot.zone,
            ordinal: slot.ordinal,
        });
        let entities = world.spawn_batch(devices).collect();
        for step in &model.reset {
            step(&mut world);
        }
        let handlers = model.handlers.iter().map(|h| h.instantiate(&mut world)).collect();
        let startup = model
            .startup
            .iter()
            .map(|make| {
                let mut system = make();
                system.initialize(&mut world);
                system
            })
            .collect();
        let instances = model.handlers.iter().map(|h| h.instance).collect();
        let plain_types = s
            .device_types
            .iter()
            .map(|t| {
                t.vulnerabilities.is_empty()
                    && t.unsupported_os == 0.0
                    && t.default_credentials == 0.0
                    && t.authenticates_commands >= 1.0
            })
            .collect();
        let mut cell_devices = vec![0u32; model.cells.len()];
        for &c in &model.cell_of {
            cell_devices[c as usize] += 1;
        }
        TrialWorld { model: model.clone(), world, entities, handlers, instances, plain_types, cell_devices, startup }
    }

    /// Runs trial `trial`. Its result depends only on (model, seed, trial):
    /// every random draw is keyed by what it is for.
    pub(crate) fn run(
        &mut self,
        seed: u64,
        trial: u32,
        record_events: bool,
        sample_every: Option<SimDuration>,
    ) -> TrialResult {
        let model = self.model.clone();
        let root = Key::trial(seed, trial);
        // The last trial's books, if any, lend their storage to this one's.
        let states = self.world.remove_resource::<TrialCore>().map(|c| c.states).unwrap_or_default();
        let states = self.reset_devices(root, states);
        for step in &model.reset {
            step(&mut self.world);
        }
        self.world.insert_resource(TrialCore::new(model.clone(), root, self.entities.clone(), states, record_events));
        for system in &mut self.startup {
            if let Err(e) = system.run((), &mut self.world) {
                panic!("a start-of-trial system could not run: {e}");
            }
        }
        let mut core = self.world.resource_mut::<TrialCore>();
        core.schedule_arrivals();
        core.started = true;
        let (pending, dispatches) = self.drain(sample_every.filter(|d| *d > SimDuration::ZERO));
        let mut result = finish(&mut self.world, &model, &self.cell_devices, trial);
        result.mean_pending = pending;
        result.dispatches = dispatches;
        result
    }

    /// Draws every device's traits afresh from keys of its stable identity:
    /// the same device carries the same vulnerabilities in every design,
    /// wherever it is placed. Fills `states` by device index.
    fn reset_devices(&mut self, root: Key, mut states: Vec<DeviceState>) -> Vec<DeviceState> {
        let model = &self.model;
        let s = &model.scenario;
        let traits = root.with(TRAITS);
        let plain = DeviceState { authenticates_commands: true, ..Default::default() };
        states.clear();
        states.extend(s.devices.iter().enumerate().map(|(i, slot)| {
            let ti = usize::from(slot.device_type.0);
            if self.plain_types[ti] {
                return plain;
            }
            let t = &s.device_types[ti];
            let k = traits.with_part(model.identity_parts[i]);
            let mut fresh = DeviceState {
                unsupported: bernoulli(k, UNSUPPORTED, t.unsupported_os),
                default_credentials: bernoulli(k, DEFAULT_CREDENTIALS, t.default_credentials),
                authenticates_commands: bernoulli(k, AUTHENTICATES, t.authenticates_commands),
                ..plain
            };
            for &(v, share) in &t.vulnerabilities {
                if bernoulli(k, model.vuln_keys[usize::from(v.0)], share) {
                    fresh.vulnerable |= 1 << v.0;
                }
            }
            fresh
        }));
        states
    }

    /// Drains the queue up to the horizon, sampling the estate's state at
    /// every multiple of the sampling interval. State only changes at
    /// events, so a sample at `t` is taken just before the first event after
    /// `t`, and includes every event up to and including `t`. Returns the
    /// mean number of events pending when one was taken, and the number of
    /// handler calls.
    fn drain(&mut self, every: Option<SimDuration>) -> (f64, u64) {
        let model = self.model.clone();
        let mut signals: Vec<Signal> = Vec::new();
        let mut next_sample = every.map(|_| SimTime::ZERO);
        let (mut pending_sum, mut taken, mut delivered) = (0u64, 0u64, 0u64);
        loop {
            // One look at the books per step: either take the signals raised
            // to deliver them, or advance the clock to the next event.
            let (step, now) = {
                let mut core = self.world.resource_mut::<TrialCore>();
                let core = &mut *core;
                let step = if !core.pending.is_empty() {
                    std::mem::swap(&mut core.pending, &mut signals);
                    Step::Deliver
                } else if let Some(e) = core.queue.pop() {
                    pending_sum += core.queue.len() as u64 + 1;
                    taken += 1;
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
                };
                (step, core.now)
            };
            match step {
                Step::Handle(mut e) => {
                    let h = usize::from(e.handler.0);
                    e.instance = self.instances[h];
                    self.handlers[h].run(&mut self.world, e);
                }
                Step::Deliver => {
                    for s in signals.drain(..) {
                        let (first, then, steps): (&[HandlerId], &[HandlerId], &[HandlerId]) = if s.advisory.is_some() {
                            (&model.on_advisory, &[], &[])
                        } else {
                            match s.transition {
                                Some(t) => (&model.on_transition[t.index()][..], &model.on_event, &[]),
                                None => (&[], &model.on_event, &model.on_step),
                            }
                        };
                        for &h in first.iter().chain(then).chain(steps) {
                            let h = usize::from(h.0);
                            let e = Event {
                                time: now,
                                handler: HandlerId(h as u16),
                                target: s.device,
                                tag: u64::from(s.kind.0),
                                instance: self.instances[h],
                            };
                            self.handlers[h].run(&mut self.world, e);
                            delivered += 1;
                        }
                    }
                }
                Step::Done => {
                    let mean = if taken == 0 { 0.0 } else { pending_sum as f64 / taken as f64 };
                    return (mean, taken + delivered);
                }
            }
        }
    }
}

/// `key.with(part).bernoulli(p)`, without the draw when its outcome is
/// certain: a uniform in [0, 1) is never below 0 and always below 1.
#[inline]
fn bernoulli(key: Key, part: u64, p: f64) -> bool {
    if p <= 0.0 {
        false
    } else if p >= 1.0 {
        true
    } else {
        key.with(part).bernoulli(p)
    }
}

/// The next thing the loop does: deliver signals, or handle an event.
enum Step {
    Deliver,
    Handle(Event),
    Done,
}

/// Closes the books at the horizon: downtime still running is counted up
/// to it, and the engine's own metrics and the breakdown are filled in.
fn finish(world: &mut World, model: &Model, cell_devices: &[u32], trial: u32) -> TrialResult {
    let mut core = world.resource_mut::<TrialCore>();
    let horizon = core.horizon;
    let mut cells: Vec<Breakdown> = model
        .cells
        .iter()
        .zip(cell_devices)
        .map(|(&(zone, device_type), &devices)| Breakdown {
            zone,
            device_type,
            devices,
            compromised: 0,
            disrupted: 0,
            downtime_device_hours: 0.0,
        })
        .collect();
    let (mut open, mut open_critical) = (SimDuration::ZERO, SimDuration::ZERO);
    for (d, state) in core.states.iter().enumerate() {
        // A device the trial left alone adds nothing (adding a zero
        // downtime leaves a sum as it was).
        if !state.ever_compromised
            && !state.ever_disrupted
            && state.downtime == SimDuration::ZERO
            && state.unavailable_since.is_none()
        {
            continue;
        }
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
        cell.compromised += u32::from(state.ever_compromised);
        cell.disrupted += u32::from(state.ever_disrupted);
        cell.downtime_device_hours += downtime.as_hours_f64();
    }
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
    set(
        CoreMetric::DwellTimeH,
        MetricValue::Hours(b.first_compromise.map(|c| (b.first_detection.unwrap_or(horizon) - c).as_hours_f64())),
    );
    set(CoreMetric::CredentialsStolen, MetricValue::Count(b.credentials_stolen));
    set(CoreMetric::RecordsExfiltrated, MetricValue::Count(b.records_exfiltrated));
    set(CoreMetric::RecordsDisclosedInside, MetricValue::Count(b.records_disclosed_inside));
    let breached = b.records_exfiltrated + b.records_disclosed_inside;
    set(CoreMetric::BreachNotifiableHipaa, MetricValue::Flag(breached >= 500));
    set(CoreMetric::BreachNotifiableGdpr, MetricValue::Flag(breached > 0));
    set(CoreMetric::SafetyEvents, MetricValue::Count(b.safety_events));
    let service_hours: Vec<f64> = b
        .service_lost
        .iter()
        .zip(&b.service_down_since)
        .map(|(lost, since)| (*lost + since.map_or(SimDuration::ZERO, |s| horizon - s)).as_hours_f64())
        .collect();
    set(CoreMetric::ClinicalServiceHoursLost, MetricValue::Amount(service_hours.iter().sum()));
    set(CoreMetric::Rebuilds, MetricValue::Count(b.rebuilds));
    set(CoreMetric::AnalystHours, MetricValue::Amount(b.analyst_hours));
    set(CoreMetric::Events, MetricValue::Count(b.events));
    TrialResult {
        outcome: TrialOutcome { trial, values: std::mem::take(&mut core.values) },
        events: core.log.take().unwrap_or_default(),
        samples: std::mem::take(&mut core.samples),
        breakdown: cells,
        service_hours_lost: service_hours,
        mean_pending: 0.0,
        dispatches: 0,
    }
}
