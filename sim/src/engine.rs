//! The discrete-event engine: one [`Sim`] per trial, holding the ECS world
//! of devices, the event queue, the clock and the trial's random stream.
//!
//! Events are drained from a plain priority queue in a tight loop and
//! dispatched through a table of handler functions that plugins register
//! once per scenario ([`SimBuilder`]). The engine knows no attack by name:
//! plugins speak to each other through [`Signal`]s (a device compromised,
//! detected, isolated …) that the engine delivers as events at the current
//! instant, after the handler that raised them.

use std::any::{Any, TypeId};
use std::sync::Arc;

use bevy_ecs::entity::Entity;
use bevy_ecs::world::World;

use crate::device::DeviceIndex;
use crate::outcome::{EventRecord, Signal, Tally};
use crate::queue::{Event, EventQueue, HandlerId};
use crate::rng::TrialRng;
use crate::scenario::Scenario;
use crate::time::{SimDuration, SimTime};

/// A function that handles one kind of event.
pub type Handler = fn(&mut Sim, Event);

/// Scheduling an event before the current instant is refused rather than
/// silently reordering time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot schedule an event at {at:?}, before the current time {now:?}")]
pub struct SchedulingError {
    /// The requested instant.
    pub at: SimTime,
    /// The current instant.
    pub now: SimTime,
}

/// Registers handlers and signal subscriptions while plugins are built.
#[derive(Default)]
pub struct SimBuilder {
    handlers: Vec<(&'static str, Handler)>,
    subscribers: [Vec<HandlerId>; Signal::ALL.len()],
}

impl SimBuilder {
    /// Registers `handler` under a name (for diagnostics) and returns the
    /// id to schedule it with.
    ///
    /// # Panics
    /// If more than 65,535 handlers are registered, which no scenario needs.
    pub fn add_handler(&mut self, name: &'static str, handler: Handler) -> HandlerId {
        let id = HandlerId(u16::try_from(self.handlers.len()).expect("fewer than 65,536 handlers"));
        self.handlers.push((name, handler));
        id
    }

    /// Calls `handler` with the device whenever `signal` is raised.
    pub fn subscribe(&mut self, signal: Signal, handler: HandlerId) {
        self.subscribers[signal.index()].push(handler);
    }

    pub(crate) fn finish(self) -> Program {
        Program { handlers: self.handlers, subscribers: self.subscribers }
    }
}

/// The handler table and subscriptions, shared by every trial of a run.
pub(crate) struct Program {
    handlers: Vec<(&'static str, Handler)>,
    subscribers: [Vec<HandlerId>; Signal::ALL.len()],
}

/// One trial in progress.
pub struct Sim {
    /// Devices as entities with [`crate::Device`] and [`crate::DeviceState`].
    pub world: World,
    pub(crate) devices: Vec<Entity>,
    pub(crate) scenario: Arc<Scenario>,
    program: Arc<Program>,
    queue: EventQueue,
    now: SimTime,
    pub(crate) horizon: SimTime,
    rng: TrialRng,
    states: Vec<(TypeId, Option<Box<dyn Any + Send>>)>,
    pub(crate) tally: Tally,
    pub(crate) log: Option<Vec<EventRecord>>,
    sample_every: Option<SimDuration>,
    pub(crate) samples: Vec<crate::outcome::Sample>,
}

impl Sim {
    pub(crate) fn new(
        world: World,
        devices: Vec<Entity>,
        scenario: Arc<Scenario>,
        program: Arc<Program>,
        rng: TrialRng,
        record_events: bool,
        sample_every: Option<SimDuration>,
    ) -> Self {
        let horizon = SimTime::ZERO + scenario.duration;
        Sim {
            world,
            devices,
            scenario,
            program,
            queue: EventQueue::new(),
            now: SimTime::ZERO,
            horizon,
            rng,
            states: Vec::new(),
            tally: Tally::default(),
            log: record_events.then(Vec::new),
            sample_every: sample_every.filter(|d| *d > SimDuration::ZERO),
            samples: Vec::new(),
        }
    }

    /// The current instant.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// When the trial ends.
    pub fn horizon(&self) -> SimTime {
        self.horizon
    }

    /// The scenario being simulated.
    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    /// The trial's random stream. Draw only from this, so that the trial
    /// depends on nothing but (scenario, seed, trial index).
    pub fn rng(&mut self) -> &mut TrialRng {
        &mut self.rng
    }

    /// Schedules `handler` after `delay`. Events past the horizon are
    /// dropped, since they can never fire.
    pub fn schedule_in(&mut self, delay: SimDuration, handler: HandlerId, target: u32, tag: u64) {
        let time = self.now + delay;
        if time <= self.horizon {
            self.queue.push(Event { time, handler, target, tag });
        }
    }

    /// Schedules `handler` at an absolute instant.
    ///
    /// # Errors
    /// [`SchedulingError`] if `time` is before now.
    pub fn schedule_at(
        &mut self,
        time: SimTime,
        handler: HandlerId,
        target: u32,
        tag: u64,
    ) -> Result<(), SchedulingError> {
        if time < self.now {
            return Err(SchedulingError { at: time, now: self.now });
        }
        if time <= self.horizon {
            self.queue.push(Event { time, handler, target, tag });
        }
        Ok(())
    }

    /// Delivers `signal` about `device` to its subscribers, at this instant.
    pub(crate) fn emit(&mut self, signal: Signal, device: DeviceIndex, tag: u64) {
        let n = self.program.subscribers[signal.index()].len();
        for i in 0..n {
            let handler = self.program.subscribers[signal.index()][i];
            self.queue.push(Event { time: self.now, handler, target: device, tag });
        }
    }

    /// Stores a plugin's per-trial state. Plugins keep their hot state here
    /// rather than as ECS resources because a handler needs it and the
    /// [`Sim`] mutably at once: taking a box out and back is a pointer move.
    pub fn insert_state<T: Any + Send>(&mut self, state: T) {
        let id = TypeId::of::<T>();
        match self.states.iter_mut().find(|(t, _)| *t == id) {
            Some(slot) => slot.1 = Some(Box::new(state)),
            None => self.states.push((id, Some(Box::new(state)))),
        }
    }

    /// Runs `f` with a plugin's state and the simulation.
    ///
    /// # Panics
    /// If the plugin never inserted its state (a bug in the plugin) or
    /// calls this re-entrantly for the same type.
    pub fn with_state<T: Any + Send, R>(&mut self, f: impl FnOnce(&mut Sim, &mut T) -> R) -> R {
        let id = TypeId::of::<T>();
        let slot = self.states.iter().position(|(t, _)| *t == id).expect("plugin state inserted at trial start");
        let mut boxed = self.states[slot].1.take().expect("plugin state not borrowed re-entrantly");
        let state = boxed.downcast_mut::<T>().expect("state slot holds its type");
        let out = f(self, state);
        self.states[slot].1 = Some(boxed);
        out
    }

    /// Read-only access to a plugin's state, if present.
    pub fn state<T: Any + Send>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.states.iter().find(|(t, _)| *t == id).and_then(|(_, b)| b.as_ref()).and_then(|b| b.downcast_ref())
    }

    /// Drains the queue up to the horizon, sampling the estate's state at
    /// every multiple of the sampling interval. State only changes at
    /// events, so a sample at `t` is taken just before the first event after
    /// `t`, and includes every event up to and including `t`.
    pub(crate) fn run(&mut self) {
        let mut next_sample = self.sample_every.map(|_| SimTime::ZERO);
        while let Some(event) = self.queue.pop() {
            debug_assert!(event.time >= self.now, "time never runs backwards");
            while let (Some(t), Some(every)) = (next_sample, self.sample_every) {
                if t >= event.time {
                    break;
                }
                self.samples.push(self.sample(t));
                next_sample = Some(t + every);
            }
            self.now = event.time;
            self.tally.events += 1;
            let handler = self.program.handlers[usize::from(event.handler.0)].1;
            handler(self, event);
        }
        self.now = self.horizon;
        while let (Some(t), Some(every)) = (next_sample, self.sample_every) {
            if t > self.horizon {
                break;
            }
            self.samples.push(self.sample(t));
            next_sample = Some(t + every);
        }
    }

    /// Name of a registered handler, for diagnostics.
    pub fn handler_name(&self, id: HandlerId) -> &'static str {
        self.program.handlers[usize::from(id.0)].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Registry;
    use crate::rng::trial_rng;
    use crate::scenario::{Scenario, ScenarioSource};

    fn tiny() -> Arc<Scenario> {
        let text = r#"
            name = "t"
            duration = "1h"
            zones = [{ id = "z" }]
            device_types = [{ id = "d" }]
            placement = [{ zone = "z", device_type = "d", count = 1 }]
        "#;
        Scenario::load(ScenarioSource::from_text("t.toml", text), &Registry::new(vec![])).unwrap().scenario
    }

    struct Trace(Vec<(u64, u64)>);

    fn record(sim: &mut Sim, e: Event) {
        let now = sim.now().0;
        sim.with_state::<Trace, _>(|_, t| t.0.push((now, e.tag)));
        if e.tag == 1 {
            // Scheduling into the past is an error value, not a panic.
            assert!(sim.schedule_at(SimTime(0), e.handler, 0, 9).is_err());
            sim.schedule_in(SimDuration::ZERO, e.handler, 0, 3);
        }
    }

    #[test]
    fn events_run_in_time_order_and_drop_past_the_horizon() {
        let mut b = SimBuilder::default();
        let h = b.add_handler("record", record);
        let program = Arc::new(b.finish());
        let mut sim =
            Sim::new(World::new(), vec![], tiny(), program, trial_rng(1, 0), false, Some(SimDuration::from_secs(15)));
        sim.insert_state(Trace(vec![]));
        sim.schedule_in(SimDuration::from_secs(20), h, 0, 2);
        sim.schedule_in(SimDuration::from_secs(10), h, 0, 1);
        sim.schedule_in(SimDuration::from_hours(2), h, 0, 4);
        sim.run();
        let trace = sim.state::<Trace>().unwrap();
        assert_eq!(trace.0, vec![(10_000_000, 1), (10_000_000, 3), (20_000_000, 2)]);
        assert_eq!(sim.tally.events, 3);
        // Samples every 15 s up to the one-hour horizon.
        assert_eq!(sim.samples.len(), 241);
        assert!(sim.samples.iter().enumerate().all(|(i, s)| s.time.0 == i as u64 * 15_000_000));
    }
}
