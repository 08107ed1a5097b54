//! Building a model: a scenario plus what its attacks and defences declare
//! and register, shared read-only by every trial.
//!
//! Like a bevy `App`, a [`SimBuilder`] collects from each mechanism's
//! `build` the metrics and event kinds it declares, the components and
//! resources it owns, the handlers (bevy systems that take the [`Event`]
//! they handle as input) it schedules, the transitions and events it
//! subscribes to, and the systems it runs at the start of each trial. The
//! result is a [`Model`], which the engine runs.

use std::marker::PhantomData;
use std::sync::Arc;

use bevy_ecs::component::Component;
use bevy_ecs::prelude::{In, Resource, World};
use bevy_ecs::system::{IntoSystem, SystemParamFunction, SystemState};
use bevy_ecs::world::FromWorld;

use crate::device::Transition;
use crate::estate::DeviceTypeId;
use crate::network::ZoneId;
use crate::outcome::CoreMetric;
use crate::queue::{Event, HandlerId};
use crate::random::name_hash;
use crate::scenario::Scenario;
use crate::techniques::technique_name;
use crate::vocabulary::{
    EventKind, EventKindId, EventSpec, InstanceId, InstanceInfo, MetricDecl, MetricId, MetricSpec,
};

/// Makes a handler's live form for one trial's world.
trait HandlerFactory: Send + Sync {
    fn instantiate(&self, world: &mut World) -> Box<dyn LiveHandler>;
}

/// A handler bound to one trial's world, with its system parameters cached.
pub(crate) trait LiveHandler {
    fn run(&mut self, world: &mut World, event: Event);
}

struct FnHandler<F, M> {
    name: &'static str,
    f: F,
    marker: PhantomData<fn() -> M>,
}

struct Live<F: SystemParamFunction<M, Param: 'static>, M> {
    name: &'static str,
    state: SystemState<F::Param>,
    f: F,
}

impl<F, M> HandlerFactory for FnHandler<F, M>
where
    M: 'static,
    F: SystemParamFunction<M, In = In<Event>, Out = (), Param: 'static> + Clone,
{
    fn instantiate(&self, world: &mut World) -> Box<dyn LiveHandler> {
        Box::new(Live::<F, M> { name: self.name, state: SystemState::new(world), f: self.f.clone() })
    }
}

impl<F, M> LiveHandler for Live<F, M>
where
    M: 'static,
    F: SystemParamFunction<M, In = In<Event>, Out = (), Param: 'static>,
{
    #[inline]
    fn run(&mut self, world: &mut World, event: Event) {
        match self.state.get_mut(world) {
            Ok(params) => self.f.run(event, params),
            Err(e) => panic!("handler `{}` cannot reach its parameters: {e}", self.name),
        }
        // Deferred work (components inserted through `Commands`) lands
        // before the next event; for handlers without it this does nothing.
        self.state.apply(world);
    }
}

type Step = Box<dyn Fn(&mut World) + Send + Sync>;

/// Makes a start-of-trial system, to be initialised once per world.
type MakeSystem = Box<dyn Fn() -> bevy_ecs::system::BoxedSystem + Send + Sync>;

pub(crate) struct HandlerEntry {
    pub name: &'static str,
    pub instance: InstanceId,
    factory: Box<dyn HandlerFactory>,
}

impl HandlerEntry {
    pub(crate) fn instantiate(&self, world: &mut World) -> Box<dyn LiveHandler> {
        self.factory.instantiate(world)
    }
}

/// A component a mechanism attaches to devices, for documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentInfo {
    /// The instance whose mechanism owns it.
    pub instance: InstanceId,
    /// Its Rust type name.
    pub name: &'static str,
}

/// A scenario with its mechanisms built: the declarations every output is
/// made from, and what every trial runs.
pub struct Model {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// Its attacks and defences, defences first, each role in id order.
    pub instances: Vec<InstanceInfo>,
    /// Every outcome metric: the engine's own ([`CoreMetric`]) first, then
    /// each instance's.
    pub metrics: Vec<MetricDecl>,
    /// Every kind of event, each with the instance that records it.
    pub events: Vec<EventKind>,
    /// The components mechanisms attach to devices.
    pub components: Vec<ComponentInfo>,
    pub(crate) handlers: Vec<HandlerEntry>,
    pub(crate) on_transition: [Vec<HandlerId>; Transition::ALL.len()],
    pub(crate) on_event: Vec<HandlerId>,
    pub(crate) on_step: Vec<HandlerId>,
    pub(crate) on_advisory: Vec<HandlerId>,
    /// Run at the start of every trial, before the start-of-trial systems:
    /// each mechanism's resources made afresh and its components taken off
    /// every device, so a world reused for the next trial keeps nothing of
    /// the last.
    pub(crate) reset: Vec<Step>,
    pub(crate) startup: Vec<MakeSystem>,
    /// Each attack's arrival handler, by instance.
    pub(crate) arrivals: Vec<(InstanceId, HandlerId)>,
    /// Per device: the key part of its stable identity (type id, ordinal).
    pub(crate) identity: Vec<u64>,
    /// The same, made ready to extend keys with.
    pub(crate) identity_parts: Vec<crate::random::Part>,
    /// Per instance: the key part of its id.
    pub(crate) instance_keys: Vec<u64>,
    /// Per vulnerability: the key part of its id.
    pub(crate) vuln_keys: Vec<u64>,
    /// Per device: whether its downtime counts as critical.
    pub(crate) critical: Vec<bool>,
    /// Per device: the patient records it holds.
    pub(crate) records: Vec<u64>,
    /// Per device type: the clinical services that need it.
    pub(crate) services_of_type: Vec<Vec<u16>>,
    /// Per device type: how many devices there are.
    pub(crate) devices_of_type: Vec<u32>,
    /// The (zone, device type) pairs that hold devices, and each device's pair.
    pub(crate) cells: Vec<(ZoneId, DeviceTypeId)>,
    pub(crate) cell_of: Vec<u32>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("scenario", &self.scenario.name)
            .field("instances", &self.instances)
            .field("metrics", &self.metrics.len())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Model {
    /// The metric whose column is `column`.
    pub fn metric(&self, column: &str) -> Option<MetricId> {
        self.metrics.iter().position(|m| m.column == column).map(|i| MetricId(i as u16))
    }

    /// The instance with scenario id `id`.
    pub fn instance(&self, id: &str) -> Option<InstanceId> {
        self.instances.iter().position(|i| i.id == id).map(|i| InstanceId(i as u16))
    }

    /// The declaration of event kind `k`.
    pub fn event_kind(&self, k: EventKindId) -> &EventKind {
        &self.events[usize::from(k.0)]
    }

    /// The instance `i`.
    pub fn instance_info(&self, i: InstanceId) -> &InstanceInfo {
        &self.instances[usize::from(i.0)]
    }

    /// The name of handler `h`, for diagnostics.
    pub fn handler_name(&self, h: HandlerId) -> &'static str {
        self.handlers[usize::from(h.0)].name
    }
}

const CORE_METRICS: [(CoreMetric, MetricSpec); 24] = [
    (
        CoreMetric::Devices,
        MetricSpec::count("devices", "devices in the estate", "devices the scenario places")
            .unit("devices")
            .bookkeeping(),
    ),
    (
        CoreMetric::Compromised,
        MetricSpec::count(
            "compromised",
            "devices compromised (ever)",
            "distinct devices an attacker controlled at some point",
        )
        .unit("devices")
        .lower_is_better(),
    ),
    (
        CoreMetric::PeakCompromised,
        MetricSpec::peak(
            "peak_compromised",
            "peak compromised at once",
            "most devices an attacker controlled at one time",
        )
        .unit("devices")
        .lower_is_better(),
    ),
    (
        CoreMetric::StillCompromised,
        MetricSpec::count(
            "still_compromised",
            "still compromised at the end",
            "devices an attacker controlled when the trial ended",
        )
        .unit("devices")
        .lower_is_better(),
    ),
    (
        CoreMetric::Disrupted,
        MetricSpec::count(
            "disrupted",
            "devices put out of function",
            "distinct devices that lost their function to an attack",
        )
        .unit("devices")
        .lower_is_better(),
    ),
    (
        CoreMetric::Isolated,
        MetricSpec::count("isolated", "devices cut off the network", "distinct devices isolated at some point")
            .unit("devices"),
    ),
    (
        CoreMetric::PatchesInstalled,
        MetricSpec::count(
            "patches_installed",
            "patches installed during the trial",
            "patches installed after the trial started",
        )
        .unit("patches"),
    ),
    (
        CoreMetric::RecordsOnCompromisedDevices,
        MetricSpec::count(
            "records_on_compromised_devices",
            "patient records on compromised devices",
            "patient records held by devices an attacker controlled (not necessarily taken)",
        )
        .unit("records")
        .lower_is_better(),
    ),
    (
        CoreMetric::DowntimeDeviceHours,
        MetricSpec::amount(
            "downtime_device_hours",
            "downtime (device-hours)",
            "device-hours out of service, disrupted or isolated",
        )
        .unit("device-hours")
        .lower_is_better(),
    ),
    (
        CoreMetric::CriticalDowntimeDeviceHours,
        MetricSpec::amount(
            "critical_downtime_device_hours",
            "critical-device downtime (device-hours)",
            "the same, counting only life-critical and high-criticality devices",
        )
        .unit("device-hours")
        .lower_is_better(),
    ),
    (
        CoreMetric::Detected,
        MetricSpec::flag("detected", "share of trials detected", "whether any compromise was detected")
            .higher_is_better(),
    ),
    (
        CoreMetric::TimeToDetectH,
        MetricSpec::hours(
            "time_to_detect_h",
            "time to detect (hours)",
            "hours from the first compromise to the first detection",
        )
        .lower_is_better(),
    ),
    (
        CoreMetric::FirstCompromiseH,
        MetricSpec::hours(
            "first_compromise_h",
            "time to first compromise (hours)",
            "hours from the trial start to the first compromise",
        ),
    ),
    (
        CoreMetric::DwellTimeH,
        MetricSpec::hours(
            "dwell_time_h",
            "attacker dwell time (hours)",
            "hours from the first compromise to the first detection, or to the end when never detected",
        )
        .lower_is_better(),
    ),
    (
        CoreMetric::CredentialsStolen,
        MetricSpec::count(
            "credentials_stolen",
            "staff credentials stolen",
            "staff account credentials an attacker came to hold",
        )
        .unit("accounts")
        .lower_is_better(),
    ),
    (
        CoreMetric::RecordsExfiltrated,
        MetricSpec::count(
            "records_exfiltrated",
            "patient records exfiltrated",
            "patient records that left the hospital readable (not encrypted, or with their keys)",
        )
        .unit("records")
        .lower_is_better(),
    ),
    (
        CoreMetric::RecordsDisclosedInside,
        MetricSpec::count(
            "records_disclosed_inside",
            "patient records disclosed inside",
            "patient records opened inside the hospital by someone with no right to them (nothing left the network)",
        )
        .unit("records")
        .lower_is_better(),
    ),
    (
        CoreMetric::BreachNotifiableHipaa,
        MetricSpec::flag(
            "breach_notifiable_hipaa",
            "share of trials with a HIPAA-notifiable breach",
            "500 or more patients' unsecured records exfiltrated or disclosed: report to HHS and the media within 60 days",
        )
        .lower_is_better(),
    ),
    (
        CoreMetric::BreachNotifiableGdpr,
        MetricSpec::flag(
            "breach_notifiable_gdpr",
            "share of trials with a GDPR-notifiable breach",
            "readable personal data exfiltrated or disclosed: notify the supervisory authority within 72 hours (Art. 33)",
        )
        .lower_is_better(),
    ),
    (
        CoreMetric::SafetyEvents,
        MetricSpec::count("safety_events", "patient-safety events", "harm to patients from an attack on their care")
            .unit("events")
            .lower_is_better(),
    ),
    (
        CoreMetric::ClinicalServiceHoursLost,
        MetricSpec::amount(
            "clinical_service_hours_lost",
            "clinical-service hours lost",
            "hours clinical services were down for want of the devices they need, summed over services",
        )
        .unit("service-hours")
        .lower_is_better(),
    ),
    (
        CoreMetric::Rebuilds,
        MetricSpec::count("rebuilds", "devices rebuilt", "devices rebuilt clean (a device rebuilt twice counts twice)")
            .unit("devices")
            .lower_is_better(),
    ),
    (
        CoreMetric::AnalystHours,
        MetricSpec::amount(
            "analyst_hours",
            "security-team hours",
            "hours the security team spent triaging alerts (false ones too) and answering them",
        )
        .unit("hours")
        .lower_is_better(),
    ),
    (
        CoreMetric::Events,
        MetricSpec::count("events", "engine events", "scheduled events the engine processed").bookkeeping(),
    ),
];

/// Collects what each mechanism declares and registers while it builds.
pub struct SimBuilder {
    model: Model,
    current: Option<InstanceId>,
}

impl SimBuilder {
    /// A builder for `scenario`, with the engine's own metrics declared.
    pub fn new(scenario: Arc<Scenario>) -> Self {
        let s = &scenario;
        let identity: Vec<u64> = s
            .devices
            .iter()
            .map(|d| crate::random::identity(&s.device_types[usize::from(d.device_type.0)].id, d.ordinal))
            .collect();
        let critical =
            s.devices.iter().map(|d| s.device_types[usize::from(d.device_type.0)].criticality.is_critical()).collect();
        let records = s.devices.iter().map(|d| s.device_types[usize::from(d.device_type.0)].patient_records).collect();
        let mut cells: Vec<(ZoneId, DeviceTypeId)> =
            s.placements.iter().filter(|p| p.count > 0).map(|p| (p.zone, p.device_type)).collect();
        cells.sort();
        cells.dedup();
        let cell_of = s
            .devices
            .iter()
            .map(|d| cells.binary_search(&(d.zone, d.device_type)).expect("every device's pair is a cell") as u32)
            .collect();
        let vuln_keys = s.vulnerabilities.iter().map(|v| name_hash(&v.id)).collect();
        let mut services_of_type = vec![Vec::new(); s.device_types.len()];
        for (i, c) in s.clinical_services.iter().enumerate() {
            for (t, _) in &c.needs {
                if !services_of_type[usize::from(t.0)].contains(&(i as u16)) {
                    services_of_type[usize::from(t.0)].push(i as u16);
                }
            }
        }
        let mut devices_of_type = vec![0u32; s.device_types.len()];
        for d in &s.devices {
            devices_of_type[usize::from(d.device_type.0)] += 1;
        }
        let metrics = CORE_METRICS
            .iter()
            .enumerate()
            .map(|(i, (m, spec))| {
                debug_assert_eq!(m.id(), MetricId(i as u16));
                MetricDecl {
                    column: spec.name.to_owned(),
                    name: spec.name,
                    label: spec.label.to_owned(),
                    description: spec.description,
                    unit: spec.unit,
                    better: spec.better,
                    kind: spec.kind,
                    bookkeeping: spec.bookkeeping,
                    source: None,
                }
            })
            .collect();
        SimBuilder {
            model: Model {
                scenario,
                instances: Vec::new(),
                metrics,
                events: Vec::new(),
                components: Vec::new(),
                handlers: Vec::new(),
                on_transition: Default::default(),
                on_event: Vec::new(),
                on_step: Vec::new(),
                on_advisory: Vec::new(),
                reset: Vec::new(),
                startup: Vec::new(),
                arrivals: Vec::new(),
                identity_parts: identity.iter().map(|&i| crate::random::Part::new(i)).collect(),
                identity,
                instance_keys: Vec::new(),
                vuln_keys,
                services_of_type,
                devices_of_type,
                critical,
                records,
                cells,
                cell_of,
            },
            current: None,
        }
    }

    /// Starts building the next instance.
    pub(crate) fn begin(&mut self, info: InstanceInfo) -> InstanceId {
        let id = InstanceId(self.model.instances.len() as u16);
        self.model.instance_keys.push(name_hash(&info.id));
        self.model.instances.push(info);
        self.current = Some(id);
        id
    }

    /// The finished model.
    pub(crate) fn finish(self) -> Model {
        self.model
    }

    /// The instance being built.
    ///
    /// # Panics
    /// Outside a mechanism's `build`.
    pub fn instance(&self) -> InstanceId {
        self.current.expect("called from a mechanism's build")
    }

    /// The scenario being built.
    pub fn scenario(&self) -> &Arc<Scenario> {
        &self.model.scenario
    }

    /// Declares an outcome metric of the instance being built: a column
    /// `<instance id>.<name>` of `trials.parquet`, a row of summaries and
    /// comparison reports.
    pub fn metric(&mut self, spec: MetricSpec) -> MetricId {
        let instance = self.instance();
        let id = &self.model.instances[usize::from(instance.0)].id;
        let decl = MetricDecl {
            column: format!("{id}.{}", spec.name),
            name: spec.name,
            label: format!("{} ({id})", spec.label),
            description: spec.description,
            unit: spec.unit,
            better: spec.better,
            kind: spec.kind,
            bookkeeping: spec.bookkeeping,
            source: Some(instance),
        };
        assert!(!self.model.metrics.iter().any(|m| m.column == decl.column), "metric `{}` declared twice", decl.column);
        self.model.metrics.push(decl);
        MetricId((self.model.metrics.len() - 1) as u16)
    }

    /// Declares a kind of event the instance being built records.
    ///
    /// # Panics
    /// If it names an ATT&CK technique missing from [`crate::TECHNIQUES`]
    /// (a bug in the mechanism).
    pub fn event(&mut self, spec: EventSpec) -> EventKindId {
        if let Some(t) = spec.technique {
            assert!(
                technique_name(t).is_some(),
                "event `{}` names technique {t}, which is not in TECHNIQUES",
                spec.name
            );
        }
        self.model.events.push(EventKind {
            name: spec.name,
            technique: spec.technique,
            one: spec.one,
            many: spec.many,
            source: self.instance(),
        });
        EventKindId((self.model.events.len() - 1) as u16)
    }

    /// Sets the instance's sentence for trial stories: `{metric}` stands for
    /// the value of one of its metrics, `{metric|one|many}` for the word
    /// that agrees with it, e.g. "isolated {isolations} {isolations|device|devices}".
    pub fn story(&mut self, template: &'static str) {
        let i = self.instance();
        self.model.instances[usize::from(i.0)].story = Some(template);
    }

    /// Declares a component the mechanism attaches to devices. It must be
    /// stored as a sparse set (`#[component(storage = "SparseSet")]`): a
    /// device's table row then never moves, so every pass over the estate
    /// visits devices in their order, whatever was attached before. It is
    /// taken off every device at the start of each trial.
    ///
    /// # Panics
    /// If the component is stored in tables (a bug in the mechanism).
    pub fn component<C: Component>(&mut self) {
        assert!(
            C::STORAGE_TYPE == bevy_ecs::component::StorageType::SparseSet,
            "component {} must use #[component(storage = \"SparseSet\")]",
            std::any::type_name::<C>()
        );
        let instance = self.instance();
        let name = std::any::type_name::<C>();
        if !self.model.components.iter().any(|c| c.name == name) {
            self.model.reset.push(Box::new(|w: &mut World| {
                let marked: Vec<bevy_ecs::entity::Entity> =
                    w.query_filtered::<bevy_ecs::entity::Entity, bevy_ecs::query::With<C>>().iter(w).collect();
                for e in marked {
                    w.entity_mut(e).remove::<C>();
                }
            }));
        }
        self.model.components.push(ComponentInfo { instance, name });
    }

    /// A resource the mechanism keeps its state in, made afresh from its
    /// `Default` at the start of every trial (once, however many instances
    /// share it; see [`Instances`]).
    pub fn init_resource<R: Resource + FromWorld>(&mut self) {
        self.model.reset.push(Box::new(|w: &mut World| {
            w.remove_resource::<R>();
            w.init_resource::<R>();
        }));
    }

    /// Registers a handler: a system that takes the [`Event`] it handles as
    /// `In<Event>`, with [`crate::Sim`] and the mechanism's resources and
    /// queries as further parameters. Returns the id to schedule it with.
    ///
    /// A world is reused for the next trial after resetting what mechanisms
    /// declare, so a handler keeps its state only in declared resources and
    /// components: never in a `Local`, never in entities it spawns.
    pub fn handler<M, F>(&mut self, name: &'static str, f: F) -> HandlerId
    where
        M: 'static,
        F: SystemParamFunction<M, In = In<Event>, Out = (), Param: 'static> + Clone,
    {
        let instance = self.instance();
        let id = HandlerId(u16::try_from(self.model.handlers.len()).expect("fewer than 65,536 handlers"));
        self.model.handlers.push(HandlerEntry {
            name,
            instance,
            factory: Box::new(FnHandler { name, f, marker: PhantomData::<fn() -> M> }),
        });
        id
    }

    /// Calls `handler` whenever a device makes transition `t` (the event
    /// carries the device in `target` and the causing event kind in `tag`).
    pub fn on_transition(&mut self, t: Transition, handler: HandlerId) {
        self.model.on_transition[t.index()].push(handler);
    }

    /// Calls `handler` for every recorded event of any kind (the event
    /// carries the device in `target` and the event kind in `tag`).
    pub fn on_event(&mut self, handler: HandlerId) {
        self.model.on_event.push(handler);
    }

    /// Calls `handler` for every recorded event that changes no device's
    /// state: a step an attack takes on a device it holds or reaches
    /// (records collected or sent out, messages read), as opposed to a
    /// transition (the event carries the device in `target` and the event
    /// kind in `tag`).
    pub fn on_step(&mut self, handler: HandlerId) {
        self.model.on_step.push(handler);
    }

    /// Calls `handler` whenever a vulnerability is advised as exploited in
    /// the wild ([`crate::Sim::advise_exploited`]); the event carries the
    /// vulnerability's index in `target` and the advisory's event kind in
    /// `tag`.
    pub fn on_advisory(&mut self, handler: HandlerId) {
        self.model.on_advisory.push(handler);
    }

    /// Calls `handler` each time the attack arrives: once at its table's
    /// `start` (default: when the trial starts), or at the random instants
    /// of a Poisson process at its `arrivals_per_year`, the same instants in
    /// every design. The event's `tag` counts the arrivals from 0, to key
    /// what each arrival draws. An attack that starts on its own (rather
    /// than answering others) registers one; the engine refuses `start` or
    /// `arrivals_per_year` on an attack that does not.
    pub fn on_arrival(&mut self, handler: HandlerId) {
        let me = self.instance();
        self.model.arrivals.push((me, handler));
    }

    /// Runs `system` once at the start of every trial, after every
    /// resource is created and before the first event: it inserts the
    /// instance's state and schedules its first events.
    pub fn on_trial_start<M, S>(&mut self, system: S)
    where
        S: IntoSystem<(), (), M> + Clone + Send + Sync + 'static,
    {
        self.model.startup.push(Box::new(move || Box::new(IntoSystem::into_system(system.clone()))));
    }
}

/// Per-instance state of a mechanism of which a scenario may run several
/// instances (two worms, a worm and a second wave): a resource holding one
/// slot per instance, indexed by [`InstanceId`].
#[derive(Resource)]
pub struct Instances<T: Send + Sync + 'static>(Vec<Option<T>>);

impl<T: Send + Sync + 'static> Default for Instances<T> {
    fn default() -> Self {
        Instances(Vec::new())
    }
}

impl<T: Send + Sync + 'static> Instances<T> {
    /// Stores the state of instance `i`.
    pub fn insert(&mut self, i: InstanceId, state: T) {
        let i = usize::from(i.0);
        if self.0.len() <= i {
            self.0.resize_with(i + 1, || None);
        }
        self.0[i] = Some(state);
    }

    /// The state of instance `i`.
    ///
    /// # Panics
    /// If the instance never stored it (a bug in the mechanism).
    pub fn get(&self, i: InstanceId) -> &T {
        self.0.get(usize::from(i.0)).and_then(Option::as_ref).expect("instance state inserted at trial start")
    }

    /// The state of instance `i`, mutably.
    ///
    /// # Panics
    /// If the instance never stored it (a bug in the mechanism).
    pub fn get_mut(&mut self, i: InstanceId) -> &mut T {
        self.0.get_mut(usize::from(i.0)).and_then(Option::as_mut).expect("instance state inserted at trial start")
    }

    /// Every instance's state.
    pub fn iter(&self) -> impl Iterator<Item = (InstanceId, &T)> {
        self.0.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (InstanceId(i as u16), s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_metrics_are_declared_in_their_fixed_order() {
        for (i, (m, _)) in CORE_METRICS.iter().enumerate() {
            assert_eq!(m.id(), MetricId(i as u16));
        }
    }
}
