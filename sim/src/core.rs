//! What a mechanism's systems see of the trial: the [`Sim`] system
//! parameter. It holds the clock and the queue of events to come, the
//! devices' shared state, the trial's books (counters behind the engine's own
//! metrics, every declared metric's value, the event log) and the keys of
//! the trial's random draws.
//!
//! Every change to a device's shared state goes through a transition method
//! here ([`Sim::compromise`], [`Sim::detect`], …) that checks it applies,
//! keeps the books, records the event with its kind (and so its
//! provenance), and raises a signal that subscribed mechanisms receive at
//! the same instant, after the system that caused it returns.

use std::sync::Arc;

use bevy_ecs::entity::Entity;
use bevy_ecs::prelude::{ResMut, Resource};
use bevy_ecs::system::SystemParam;

use crate::device::{DeviceIndex, DeviceState, Transition};
use crate::domain::StaffId;
use crate::estate::VulnId;
use crate::model::Model;
use crate::outcome::{EventRecord, Sample};
use crate::queue::{Event, EventQueue, HandlerId};
use crate::random::Key;
use crate::scenario::{Arrival, DeviceSlot, Scenario};
use crate::time::{SimDuration, SimTime};
use crate::vocabulary::{EventKind, EventKindId, InstanceId, MetricId, MetricValue};

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

/// A change or event waiting to be delivered to subscribers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Signal {
    pub device: DeviceIndex,
    pub kind: EventKindId,
    pub transition: Option<Transition>,
    /// An advisory about this vulnerability, for `on_advisory` handlers
    /// only (no device is concerned).
    pub advisory: Option<VulnId>,
}

/// Counters behind the engine's own metrics.
#[derive(Clone, Debug, Default)]
pub(crate) struct Books {
    pub compromised_now: u32,
    pub disrupted_now: u32,
    pub isolated_now: u32,
    pub devices_patched: u32,
    pub compromised_ever: u64,
    pub peak_compromised: u64,
    pub disrupted_ever: u64,
    pub isolated_ever: u64,
    pub patches_installed: u64,
    pub records_on_compromised_devices: u64,
    pub downtime: SimDuration,
    pub critical_downtime: SimDuration,
    pub first_compromise: Option<SimTime>,
    pub first_detection: Option<SimTime>,
    pub events: u64,
    pub credentials_stolen: u64,
    pub records_exfiltrated: u64,
    pub records_disclosed_inside: u64,
    pub safety_events: u64,
    pub rebuilds: u64,
    /// Security-team hours spent.
    pub analyst_hours: f64,
    /// Per instance, when its activity was exposed, if it was.
    pub exposed: Vec<Option<SimTime>>,
    /// Vulnerabilities advised as exploited in the wild, one bit each.
    pub advised: u64,
    /// ATT&CK techniques whose indicators are known, one bit per entry of
    /// [`crate::TECHNIQUES`].
    pub indicators: u128,
    /// Per staff group: credentials an attacker holds.
    pub stolen: Vec<u32>,
    /// Per device type: devices working (neither disrupted nor isolated).
    pub working: Vec<u32>,
    /// Per clinical service: since when it is down, and hours lost so far.
    pub service_down_since: Vec<Option<SimTime>>,
    pub service_lost: Vec<SimDuration>,
}

/// The trial's clock, its queue of scheduled events and its books: a
/// resource, reached through [`Sim`].
#[derive(Resource)]
pub struct TrialCore {
    pub(crate) model: Arc<Model>,
    /// The events to come: handlers schedule straight into it, and the
    /// loop pops from it.
    pub(crate) queue: EventQueue,
    /// Every device's shared state, by device index: the engine's own
    /// per-device state, kept in its resource as one dense array, so that
    /// reading or changing a device's state in a handler is an index rather
    /// than an entity lookup, and a handler's parameters need no query.
    pub(crate) states: Vec<DeviceState>,
    pub(crate) now: SimTime,
    pub(crate) horizon: SimTime,
    pub(crate) root: Key,
    pub(crate) entities: Vec<Entity>,
    pub(crate) pending: Vec<Signal>,
    pub(crate) books: Books,
    pub(crate) values: Vec<MetricValue>,
    pub(crate) log: Option<Vec<EventRecord>>,
    pub(crate) samples: Vec<Sample>,
    pub(crate) started: bool,
}

impl TrialCore {
    pub(crate) fn new(
        model: Arc<Model>,
        root: Key,
        entities: Vec<Entity>,
        states: Vec<DeviceState>,
        record_events: bool,
    ) -> Self {
        let horizon = SimTime::ZERO + model.scenario.duration;
        let values = model.metrics.iter().map(|m| MetricValue::zero(m.kind)).collect();
        let s = &model.scenario;
        let books = Books {
            stolen: vec![0; s.staff.len()],
            exposed: vec![None; model.instances.len()],
            working: model.devices_of_type.clone(),
            service_down_since: vec![None; s.clinical_services.len()],
            service_lost: vec![SimDuration::ZERO; s.clinical_services.len()],
            ..Books::default()
        };
        TrialCore {
            model,
            queue: EventQueue::new(),
            states,
            now: SimTime::ZERO,
            horizon,
            root,
            entities,
            pending: Vec::new(),
            books,
            values,
            log: record_events.then(Vec::new),
            samples: Vec::new(),
            started: false,
        }
    }

    /// Schedules every attack's arrivals: at its `start`, or at the
    /// instants of a Poisson process whose gaps are drawn from keys of the
    /// attack and the arrival's number, so that every design meets the same
    /// arrivals.
    pub(crate) fn schedule_arrivals(&mut self) {
        const YEAR_SECONDS: f64 = 365.0 * 86_400.0;
        let model = self.model.clone();
        for &(instance, handler) in &model.arrivals {
            let i = usize::from(instance.0);
            let mut push = |time: SimTime, tag: u64| {
                if time <= self.horizon {
                    self.queue.push(Event { time, handler, target: 0, tag, instance: InstanceId(0) });
                }
            };
            match model.scenario.instances[i].arrival {
                Arrival::At(start) => push(SimTime::ZERO + start, 0),
                Arrival::PerYear(rate) if rate > 0.0 => {
                    let key = self.root.with(model.instance_keys[i]).named("arrival");
                    let per_second = rate / YEAR_SECONDS;
                    let mut t = 0.0;
                    for k in 0u64.. {
                        t += key.with(k).exp1() / per_second;
                        let time = SimTime::ZERO + SimDuration::from_secs_f64(t);
                        if time > self.horizon {
                            break;
                        }
                        push(time, k);
                    }
                }
                Arrival::PerYear(_) => {}
            }
        }
    }

    /// The estate's state now, for the time series.
    pub(crate) fn sample(&self, time: SimTime) -> Sample {
        let b = &self.books;
        Sample {
            time,
            compromised_now: b.compromised_now,
            disrupted_now: b.disrupted_now,
            isolated_now: b.isolated_now,
            devices_patched: b.devices_patched,
        }
    }

    fn push(&mut self, device: DeviceIndex, kind: EventKindId, transition: Option<Transition>) {
        if let Some(log) = &mut self.log {
            log.push(EventRecord { time: self.now, kind, device, transition });
        }
        self.pending.push(Signal { device, kind, transition, advisory: None });
    }
}

/// The trial as a mechanism's systems see it. Take it as a parameter of a
/// handler or a start-of-trial system:
///
/// ```ignore
/// fn isolate(In(e): In<Event>, mut sim: Sim, response: Res<Instances<Response>>) { … }
/// ```
#[derive(SystemParam)]
pub struct Sim<'w> {
    core: ResMut<'w, TrialCore>,
}

impl Sim<'_> {
    /// The current instant.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.core.now
    }

    /// When the trial ends.
    #[inline]
    pub fn horizon(&self) -> SimTime {
        self.core.horizon
    }

    /// The scenario being simulated.
    #[inline]
    pub fn scenario(&self) -> &Scenario {
        &self.core.model.scenario
    }

    /// The model: the scenario and every declaration.
    #[inline]
    pub fn model(&self) -> &Arc<Model> {
        &self.core.model
    }

    /// Devices in the estate.
    #[inline]
    pub fn device_count(&self) -> u32 {
        self.core.entities.len() as u32
    }

    /// What device `d` is: its type, zone and ordinal within its type.
    #[inline]
    pub fn device(&self, d: DeviceIndex) -> DeviceSlot {
        self.core.model.scenario.devices[d as usize]
    }

    /// The shared state of device `d`.
    #[inline]
    pub fn state(&self, d: DeviceIndex) -> DeviceState {
        self.core.states[d as usize]
    }

    /// Every device and its shared state, in device order.
    pub fn devices(&self) -> impl Iterator<Item = (DeviceIndex, &DeviceState)> + '_ {
        self.core.states.iter().enumerate().map(|(d, s)| (d as DeviceIndex, s))
    }

    /// The entity of device `d`, for a mechanism's own components.
    #[inline]
    pub fn entity(&self, d: DeviceIndex) -> Entity {
        self.core.entities[d as usize]
    }

    /// The declaration of event kind `k`.
    #[inline]
    pub fn event_kind(&self, k: EventKindId) -> &EventKind {
        &self.core.model.events[usize::from(k.0)]
    }

    /// The key of instance `i`'s random draws in this trial; extend it with
    /// a purpose and what the draw is about, e.g.
    /// `sim.key(e.instance).named("detect").with(sim.identity(d))`.
    #[inline]
    pub fn key(&self, i: InstanceId) -> Key {
        self.core.root.with(self.core.model.instance_keys[usize::from(i.0)])
    }

    /// The stable identity of device `d` as a key part: its type's id and
    /// its ordinal within the type, the same in every design that has it.
    #[inline]
    pub fn identity(&self, d: DeviceIndex) -> u64 {
        self.core.model.identity[d as usize]
    }

    /// `key` extended by the stable identity of device `d`: the same key as
    /// `key.with(sim.identity(d))`, made faster.
    #[inline]
    pub fn with_identity(&self, key: Key, d: DeviceIndex) -> Key {
        key.with_part(self.core.model.identity_parts[d as usize])
    }

    /// Schedules `handler` after `delay`. Events past the horizon are
    /// dropped, since they can never fire.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, handler: HandlerId, target: u32, tag: u64) {
        let time = self.core.now + delay;
        if time <= self.core.horizon {
            self.core.queue.push(Event { time, handler, target, tag, instance: InstanceId(0) });
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
        if time < self.core.now {
            return Err(SchedulingError { at: time, now: self.core.now });
        }
        if time <= self.core.horizon {
            self.core.queue.push(Event { time, handler, target, tag, instance: InstanceId(0) });
        }
        Ok(())
    }

    /// Adds `n` to count metric `m`.
    #[inline]
    pub fn add(&mut self, m: MetricId, n: u64) {
        if let MetricValue::Count(v) = &mut self.core.values[usize::from(m.0)] {
            *v += n;
        }
    }

    /// Raises peak metric `m` to `n` if it is higher.
    #[inline]
    pub fn peak(&mut self, m: MetricId, n: u64) {
        if let MetricValue::Count(v) = &mut self.core.values[usize::from(m.0)] {
            *v = (*v).max(n);
        }
    }

    /// Adds `x` to amount metric `m`.
    #[inline]
    pub fn add_amount(&mut self, m: MetricId, x: f64) {
        if let MetricValue::Amount(v) = &mut self.core.values[usize::from(m.0)] {
            *v += x;
        }
    }

    /// Sets flag metric `m`.
    #[inline]
    pub fn raise(&mut self, m: MetricId) {
        if let MetricValue::Flag(v) = &mut self.core.values[usize::from(m.0)] {
            *v = true;
        }
    }

    /// Sets hours metric `m` to `hours`, unless it was set before.
    #[inline]
    pub fn set_hours(&mut self, m: MetricId, hours: f64) {
        if let MetricValue::Hours(v) = &mut self.core.values[usize::from(m.0)] {
            v.get_or_insert(hours);
        }
    }

    /// Records an event of kind `kind` about device `d` that changes none
    /// of its shared state (a phish clicked, a dose changed). Subscribers to
    /// every event receive it.
    #[inline]
    pub fn record(&mut self, d: DeviceIndex, kind: EventKindId) {
        self.core.push(d, kind, None);
    }

    /// Applies `change` to device `d`, accounting downtime when the device
    /// goes out of or back into service; returns the state before and after.
    fn change(&mut self, d: DeviceIndex, change: impl FnOnce(&mut DeviceState)) -> (DeviceState, DeviceState) {
        let now = self.core.now;
        let state = &mut self.core.states[d as usize];
        let before = *state;
        change(state);
        let mut accrued = None;
        match (before.unavailable(), state.unavailable()) {
            (false, true) => state.unavailable_since = Some(now),
            (true, false) => {
                let span = state.unavailable_since.take().map_or(SimDuration::ZERO, |since| now - since);
                state.downtime += span;
                accrued = Some(span);
            }
            _ => {}
        }
        let after = *state;
        let books = &mut self.core.books;
        let count = |counter: &mut u32, was: bool, is: bool| {
            if is && !was {
                *counter += 1;
            } else if was && !is {
                *counter -= 1;
            }
        };
        count(&mut books.compromised_now, before.compromised, after.compromised);
        count(&mut books.disrupted_now, before.disrupted, after.disrupted);
        count(&mut books.isolated_now, before.isolated, after.isolated);
        count(&mut books.devices_patched, before.patched != 0, after.patched != 0);
        books.peak_compromised = books.peak_compromised.max(u64::from(books.compromised_now));
        if let Some(span) = accrued {
            books.downtime += span;
            if self.core.model.critical[d as usize] {
                self.core.books.critical_downtime += span;
            }
        }
        if before.unavailable() != after.unavailable() {
            self.count_working(d, !after.unavailable());
        }
        (before, after)
    }

    /// Keeps the working devices per type and the clinical services that
    /// need them up to date, when device `d` stops or starts working.
    fn count_working(&mut self, d: DeviceIndex, working: bool) {
        let core = &mut *self.core;
        let model = &core.model;
        let t = usize::from(model.scenario.devices[d as usize].device_type.0);
        if working {
            core.books.working[t] += 1;
        } else {
            core.books.working[t] -= 1;
        }
        for &c in &model.services_of_type[t] {
            let c = usize::from(c);
            let service = &model.scenario.clinical_services[c];
            let up = service.needs.iter().all(|(t, share)| {
                let t = usize::from(t.0);
                f64::from(core.books.working[t]) >= share * f64::from(model.devices_of_type[t]) - 1e-9
            });
            let since = &mut core.books.service_down_since[c];
            match (up, *since) {
                (false, None) => *since = Some(core.now),
                (true, Some(from)) => {
                    core.books.service_lost[c] += core.now - from;
                    *since = None;
                }
                _ => {}
            }
        }
    }

    /// Whether clinical service `c` is down now.
    pub fn service_down(&self, c: crate::domain::ClinicalServiceId) -> bool {
        self.core.books.service_down_since[usize::from(c.0)].is_some()
    }

    /// An attacker steals up to `n` more credentials of staff group `group`
    /// (by phishing, dumping, …, as `kind` says), on device `d`; `theft` keys
    /// the draws made on them. Where the group must also give a second
    /// factor, each stolen credential logs in only with the group's
    /// [`crate::Staff::second_factor_bypass`]. Returns how many the attacker
    /// can now use (no more than the group has); every one stolen is counted.
    pub fn steal_credentials(&mut self, d: DeviceIndex, group: StaffId, n: u32, kind: EventKindId, theft: Key) -> u32 {
        let g = usize::from(group.0);
        let staff = &self.core.model.scenario.staff[g];
        let (count, bypass) = (staff.count, staff.second_factor_bypass);
        let held = self.core.books.stolen[g];
        let stolen = n.min(count - held);
        if stolen == 0 {
            return 0;
        }
        let key = theft.named("second-factor").with(u64::from(group.0));
        let usable = if bypass >= 1.0 {
            stolen
        } else {
            (0..stolen).filter(|&i| key.with(u64::from(i)).bernoulli(bypass)).count() as u32
        };
        self.core.books.stolen[g] += usable;
        self.core.books.credentials_stolen += u64::from(stolen);
        self.core.push(d, kind, None);
        usable
    }

    /// Device `d`'s maker's default credentials are changed (an audit found
    /// them, as `kind` says): an attacker who knows them no longer logs in.
    /// Returns false, changing nothing, if they had been changed already.
    pub fn change_default_credentials(&mut self, d: DeviceIndex, kind: EventKindId) -> bool {
        if !self.state(d).default_credentials {
            return false;
        }
        self.change(d, |s| s.default_credentials = false);
        self.core.push(d, kind, None);
        true
    }

    /// The security team spends `hours` (triaging an alert, false or not;
    /// answering an incident), counted in the trial's `analyst_hours`.
    pub fn spend_analyst_hours(&mut self, hours: f64) {
        self.core.books.analyst_hours += hours;
    }

    /// The activity of attack instance `i` has been found out (in the logs,
    /// in a report), as event `kind` about device `d` says: what the attack
    /// does about it (an insider's account suspended) is its own business.
    /// Returns false if it had been found out already.
    pub fn expose(&mut self, i: InstanceId, d: DeviceIndex, kind: EventKindId) -> bool {
        let now = self.core.now;
        let slot = &mut self.core.books.exposed[usize::from(i.0)];
        if slot.is_some() {
            return false;
        }
        *slot = Some(now);
        self.core.push(d, kind, None);
        true
    }

    /// Word comes that vulnerability `v` is exploited in the wild (an
    /// advisory, read as event `kind` says): handlers registered with
    /// [`crate::SimBuilder::on_advisory`] receive it, with `v` in the
    /// event's `target`. Returns false if it had been advised already.
    pub fn advise_exploited(&mut self, v: VulnId, kind: EventKindId) -> bool {
        let bit = 1u64 << v.0;
        if self.core.books.advised & bit != 0 {
            return false;
        }
        self.core.books.advised |= bit;
        self.core.pending.push(Signal { device: u32::from(v.0), kind, transition: None, advisory: Some(v) });
        true
    }

    /// Whether vulnerability `v` has been advised as exploited.
    pub fn advised_exploited(&self, v: VulnId) -> bool {
        self.core.books.advised & (1u64 << v.0) != 0
    }

    /// The indicators of ATT&CK technique `id` become known (shared by
    /// others an attack using it hit): detectors that take indicators
    /// recognise it from now on. Returns false if they were known already
    /// or the technique is not in [`crate::TECHNIQUES`].
    pub fn share_indicators(&mut self, id: &str) -> bool {
        let Some(i) = crate::TECHNIQUES.iter().position(|(t, _, _)| *t == id) else { return false };
        let bit = 1u128 << i;
        let known = self.core.books.indicators & bit != 0;
        self.core.books.indicators |= bit;
        !known
    }

    /// Whether the indicators of technique `id` are known.
    pub fn indicators_known(&self, id: &str) -> bool {
        crate::TECHNIQUES
            .iter()
            .position(|(t, _, _)| *t == id)
            .is_some_and(|i| self.core.books.indicators & (1u128 << i) != 0)
    }

    /// Patient records that have left the hospital readable so far.
    pub fn records_exfiltrated(&self) -> u64 {
        self.core.books.records_exfiltrated
    }

    /// Patient records breached so far: those that left readable and those
    /// disclosed inside to someone with no right to them. Breach
    /// notification counts both.
    pub fn records_breached(&self) -> u64 {
        self.core.books.records_exfiltrated + self.core.books.records_disclosed_inside
    }

    /// Whether the hospital knows it has been attacked: a compromise has
    /// been detected or an attack's activity found out.
    pub fn attack_known(&self) -> bool {
        self.core.books.first_detection.is_some() || self.core.books.exposed.iter().any(Option::is_some)
    }

    /// Whether the activity of instance `i` has been found out.
    pub fn exposed(&self, i: InstanceId) -> bool {
        self.core.books.exposed[usize::from(i.0)].is_some()
    }

    /// Credentials of `group` an attacker holds now.
    pub fn credentials_held(&self, group: StaffId) -> u32 {
        self.core.books.stolen[usize::from(group.0)]
    }

    /// Every credential of `group` an attacker holds is made worthless (a
    /// password reset); returns how many were.
    pub fn revoke_credentials(&mut self, group: StaffId) -> u32 {
        std::mem::take(&mut self.core.books.stolen[usize::from(group.0)])
    }

    /// `records` patient records leave the hospital readable from device
    /// `d` (the event kind says how).
    pub fn exfiltrate(&mut self, d: DeviceIndex, records: u64, kind: EventKindId) {
        self.core.books.records_exfiltrated += records;
        self.core.push(d, kind, None);
    }

    /// `records` patient records on device `d` are opened by someone inside
    /// the hospital with no right to them (the event kind says how):
    /// nothing leaves the network, but the records are breached.
    pub fn disclose_inside(&mut self, d: DeviceIndex, records: u64, kind: EventKindId) {
        self.core.books.records_disclosed_inside += records;
        self.core.push(d, kind, None);
    }

    /// An attack on device `d` harms a patient (a dose changed, a reading
    /// falsified and acted on).
    pub fn safety_event(&mut self, d: DeviceIndex, kind: EventKindId) {
        self.core.books.safety_events += 1;
        self.core.push(d, kind, None);
    }

    /// An attacker takes control of `d` (the event kind says how). Returns
    /// false, changing nothing, if it is already compromised or isolated.
    /// The compromise's key is the device's identity and epoch; an attack
    /// that knows which of its steps this is should use
    /// [`Sim::compromise_by`].
    pub fn compromise(&mut self, d: DeviceIndex, kind: EventKindId) -> bool {
        let cause = Key::default().with(self.identity(d)).with(u64::from(self.state(d).epoch));
        self.compromise_by(d, kind, cause)
    }

    /// An attacker takes control of `d` in the step whose key is `cause`
    /// (e.g. the attacker's instance, the host it came from and the number
    /// of that host's success): what answers this compromise is drawn from
    /// it (see [`DeviceState::cause`]).
    pub fn compromise_by(&mut self, d: DeviceIndex, kind: EventKindId, cause: Key) -> bool {
        let s = self.state(d);
        if s.compromised || s.isolated {
            return false;
        }
        let (before, _) = self.change(d, |s| {
            s.compromised = true;
            s.ever_compromised = true;
            s.cause = cause;
        });
        if !before.ever_compromised {
            let records = self.core.model.records[d as usize];
            let books = &mut self.core.books;
            books.compromised_ever += 1;
            books.records_on_compromised_devices += records;
        }
        let now = self.core.now;
        self.core.books.first_compromise.get_or_insert(now);
        self.core.push(d, kind, Some(Transition::Compromised));
        true
    }

    /// `d` loses its function (encrypted, bricked, flooded) and stays out of
    /// service until restored. It need not be compromised: a denial of
    /// service needs no foothold. Returns false if already disrupted.
    pub fn disrupt(&mut self, d: DeviceIndex, kind: EventKindId) -> bool {
        if self.state(d).disrupted {
            return false;
        }
        let (before, _) = self.change(d, |s| {
            s.disrupted = true;
            s.ever_disrupted = true;
        });
        if !before.ever_disrupted {
            self.core.books.disrupted_ever += 1;
        }
        self.core.push(d, kind, Some(Transition::Disrupted));
        true
    }

    /// An attacker destroys `d`'s backups (the event kind says how): until
    /// `d` is rebuilt, a restoration finds no backup of it to restore from.
    /// Returns false if they were already destroyed.
    pub fn destroy_backups(&mut self, d: DeviceIndex, kind: EventKindId) -> bool {
        if self.state(d).backups_destroyed {
            return false;
        }
        self.change(d, |s| s.backups_destroyed = true);
        self.core.push(d, kind, None);
        true
    }

    /// The compromise of `d` is detected (the event kind says by whom).
    /// Returns false if `d` is not compromised or its compromise is known.
    pub fn detect(&mut self, d: DeviceIndex, kind: EventKindId) -> bool {
        let s = self.state(d);
        if !s.compromised || s.detected {
            return false;
        }
        self.change(d, |s| s.detected = true);
        let now = self.core.now;
        self.core.books.first_detection.get_or_insert(now);
        self.core.push(d, kind, Some(Transition::Detected));
        true
    }

    /// `d` is cut off the network: it can neither be reached nor reach
    /// others, and is out of service. Returns false if already isolated.
    pub fn isolate(&mut self, d: DeviceIndex, kind: EventKindId) -> bool {
        if self.state(d).isolated {
            return false;
        }
        let (before, _) = self.change(d, |s| {
            s.isolated = true;
            s.ever_isolated = true;
        });
        if !before.ever_isolated {
            self.core.books.isolated_ever += 1;
        }
        self.core.push(d, kind, Some(Transition::Isolated));
        true
    }

    /// `d` is rebuilt clean and returned to service. Events scheduled for
    /// its earlier compromise become stale (its epoch moves on).
    pub fn restore(&mut self, d: DeviceIndex, kind: EventKindId) -> bool {
        self.change(d, |s| {
            s.compromised = false;
            s.disrupted = false;
            s.isolated = false;
            s.detected = false;
            s.backups_destroyed = false;
            s.epoch += 1;
        });
        self.core.books.rebuilds += 1;
        self.core.push(d, kind, Some(Transition::Restored));
        true
    }

    /// `d` works again after losing its function, without being rebuilt (the
    /// flood that took it down ended): an attacker who controls it still
    /// does. Returns false if it was not disrupted.
    pub fn recover(&mut self, d: DeviceIndex, kind: EventKindId) -> bool {
        if !self.state(d).disrupted {
            return false;
        }
        self.change(d, |s| s.disrupted = false);
        self.core.push(d, kind, Some(Transition::Recovered));
        true
    }

    /// Installs the patch for `v` on `d`. Returns false if `d` does not
    /// carry `v` or it is already patched.
    pub fn patch(&mut self, d: DeviceIndex, v: VulnId, kind: EventKindId) -> bool {
        if !self.state(d).exposed_to(v) {
            return false;
        }
        self.change(d, |s| s.patched |= 1 << v.0);
        self.core.books.patches_installed += 1;
        self.core.push(d, kind, Some(Transition::Patched));
        true
    }

    /// Marks `v` as patched on `d` before the trial starts (the patch was
    /// installed before time zero): no event, no signal. Only start-of-trial
    /// systems may call it.
    ///
    /// # Panics
    /// If the trial has started.
    pub fn patch_before_start(&mut self, d: DeviceIndex, v: VulnId) {
        assert!(!self.core.started, "patch_before_start is for start-of-trial systems");
        self.change(d, |s| s.patched |= 1 << v.0);
    }
}
