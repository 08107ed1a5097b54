//! Vendor assessment at procurement: the hospital buys a device type's
//! model for what its maker's MDS2 form (the Manufacturer Disclosure
//! Statement for Medical Device Security [S16]) answers, and the estate
//! gets those answers in place of the scenario's. One table per purchase:
//! the device type and the chosen model's answers, each left out where the
//! model answers as the scenario's type already does; its `cost_per_year`
//! and `one_off_cost` are what the model costs beyond the other (so a team
//! can price a purchase's risk with `iomtsim compare` or `iomtsim matrix`).
//!
//! Each answer changes what the attacks meet on every device of the type:
//! - `supported_os` (CSUP): the maker patches its operating system, so
//!   patches reach every device (none is left on an unsupported OS);
//! - `automatic_updates` (CSUP, automatic updates): the model installs
//!   each patch its maker releases for its vulnerabilities by itself,
//!   `update_lag` after the release (drawn per device and vulnerability),
//!   whatever the hospital's patch programme does; a device on an
//!   unsupported OS receives none;
//! - `malware_protection` (MLDP): anti-malware on the model finds a
//!   compromise of one of its devices with probability
//!   `malware_detection`, `malware_detect_after` the compromise (both
//!   drawn from the compromise's key), if the device is still compromised
//!   then: the compromise is detected, for incident response to answer;
//! - `default_accounts` (PAUT): false leaves no maker's default password;
//! - `encrypts_at_rest` (STCF) and `encrypts_in_transit` (TXCF): its stored
//!   records and the data flows it sends or receives are encrypted;
//! - `authenticates_commands`: it refuses commands it cannot authenticate;
//! - `wireless` (CONN): false takes its radios away;
//! - `services` (SAHD, unused ports disabled): the only services it
//!   listens on;
//! - `remote_service` (RMOT): false means the model offers no remote
//!   service: it does not listen on the services the vendor staff groups
//!   that log in where it is placed log in over, so a vendor's accounts (a
//!   breached vendor's too) no longer reach it;
//! - `known_vulnerabilities`: the model's own known flaws, by id, in place
//!   of the type's.
//!
//! The answers that change the hospital (all but automatic updates and
//! malware protection) are applied before any trial; those two act during
//! each trial and count what they do (`updates_installed`,
//! `malware_detections`).

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::random::name_hash;
use iomtsim_sim::{DeviceTypeId, ServiceSet, StaffRole};
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "vendor_assessment"`: a device model
/// bought for its MDS2 answers.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorAssessmentParams {
    /// The device type whose model is chosen, by id.
    #[schemars(with = "String")]
    pub device_type: Spanned<String>,
    /// MDS2 CSUP: the maker still patches the model's operating system.
    #[serde(default)]
    pub supported_os: Option<bool>,
    /// MDS2 CSUP, automatic updates: the model installs its maker's
    /// patches for its vulnerabilities by itself, `update_lag` after their
    /// release, whatever the hospital's patch programme does (not on an
    /// unsupported OS). False: as the scenario's type, which waits for the
    /// programme.
    #[serde(default)]
    pub automatic_updates: Option<bool>,
    /// Time from a patch's release to the model installing it by itself,
    /// drawn per device and vulnerability; only with `automatic_updates =
    /// true`. Default lognormal, median 2 days, p90 14 days (assumed).
    #[serde(default)]
    #[schemars(with = "Option<Distribution>")]
    pub update_lag: Option<Spanned<Distribution>>,
    /// MDS2 MLDP: anti-malware runs on the model and finds a compromise of
    /// one of its devices (with `malware_detection`, after
    /// `malware_detect_after`). False: as the scenario's type, none.
    #[serde(default)]
    pub malware_protection: Option<bool>,
    /// Probability that the anti-malware finds a compromise; only with
    /// `malware_protection = true`. Default 0.5 (assumed).
    #[serde(default)]
    #[schemars(with = "Option<Probability>")]
    pub malware_detection: Option<Spanned<Probability>>,
    /// Time from a compromise to the anti-malware finding it, when it
    /// does; only with `malware_protection = true`. Default 1 hour
    /// (assumed).
    #[serde(default)]
    #[schemars(with = "Option<Distribution>")]
    pub malware_detect_after: Option<Spanned<Distribution>>,
    /// MDS2 PAUT: the model ships with default accounts; false leaves none
    /// (true keeps the type's share still on them).
    #[serde(default)]
    pub default_accounts: Option<bool>,
    /// MDS2 STCF: records stored on it are encrypted.
    #[serde(default)]
    pub encrypts_at_rest: Option<bool>,
    /// MDS2 TXCF: the data flows it sends and receives are encrypted.
    #[serde(default)]
    pub encrypts_in_transit: Option<bool>,
    /// It authenticates whoever sends it commands.
    #[serde(default)]
    pub authenticates_commands: Option<bool>,
    /// MDS2 CONN: it has radio interfaces; false removes them (true keeps
    /// the type's).
    #[serde(default)]
    pub wireless: Option<bool>,
    /// MDS2 SAHD: the only services it listens on.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub services: Option<Vec<Spanned<String>>>,
    /// MDS2 RMOT: the model offers remote service; false removes the
    /// services the vendor staff groups that log in where it is placed log
    /// in over from those it listens on (true keeps the type's).
    #[serde(default)]
    pub remote_service: Option<bool>,
    /// The model's known vulnerabilities, by id, in place of the type's.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub known_vulnerabilities: Option<Vec<Spanned<String>>>,
}

/// The assumed lag of a model's automatic updates: half within 2 days,
/// nine in ten within 14.
fn default_update_lag() -> Distribution {
    Distribution::LogNormal { median: SimDuration::from_days(2), p90: SimDuration::from_days(14) }
}

/// The assumed share of compromises a model's anti-malware finds.
const DEFAULT_MALWARE_DETECTION: f64 = 0.5;

/// The assumed time the anti-malware takes to find a compromise.
fn default_malware_detect_after() -> Distribution {
    Distribution::Fixed(SimDuration::from_hours(1))
}

/// Registers the `vendor_assessment` mechanism.
pub struct VendorAssessmentFactory;

const UPDATED: EventSpec = EventSpec::new(
    "automatic-update",
    "installs its maker's security update by itself",
    "install their maker's security updates by themselves",
);
const MALWARE_FOUND: EventSpec = EventSpec::new(
    "malware-detected",
    "is found compromised by its own anti-malware",
    "are found compromised by their own anti-malware",
);
const UPDATES: MetricSpec = MetricSpec::count(
    "updates_installed",
    "updates the model installed by itself",
    "patches the model's devices installed by themselves (automatic updates) during the trial",
)
.unit("patches");
const DETECTIONS: MetricSpec = MetricSpec::count(
    "malware_detections",
    "compromises the model's anti-malware detected",
    "compromised devices of the model that its own anti-malware detected first",
)
.unit("devices");

impl PluginSpec for VendorAssessmentFactory {
    type Params = VendorAssessmentParams;
    const KIND: &'static str = "vendor_assessment";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str = "a device type's model bought for its MDS2 answers: patched OS, automatic updates, anti-malware, no default accounts, encryption, ports, no remote service";

    fn configure(
        p: VendorAssessmentParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let t = scenario.device_type_ref(&p.device_type).map_err(|d| vec![d])?;
        let mut problems = Vec::new();
        let answers = [
            p.supported_os,
            p.automatic_updates,
            p.malware_protection,
            p.default_accounts,
            p.encrypts_at_rest,
            p.encrypts_in_transit,
            p.authenticates_commands,
            p.wireless,
            p.remote_service,
        ];
        if answers.iter().all(Option::is_none) && p.services.is_none() && p.known_vulnerabilities.is_none() {
            problems.push(
                Diagnostic::at(section.span(), "this model answers nothing the scenario's type does not")
                    .with_help("give the chosen model's MDS2 answers, e.g. `default_accounts = false`"),
            );
        }
        // A setting of an answer the model does not give.
        let mut only_with = |span: Option<std::ops::Range<usize>>, name: &str, answer: &str| {
            if let Some(span) = span {
                problems.push(
                    Diagnostic::at(span, format!("{name} is for a model whose MDS2 form answers `{answer} = true`"))
                        .with_help(format!("add `{answer} = true`, or leave {name} out")),
                );
            }
        };
        if p.automatic_updates != Some(true) {
            only_with(p.update_lag.as_ref().map(Spanned::span), "update_lag", "automatic_updates");
        }
        if p.malware_protection != Some(true) {
            only_with(p.malware_detection.as_ref().map(Spanned::span), "malware_detection", "malware_protection");
            only_with(p.malware_detect_after.as_ref().map(Spanned::span), "malware_detect_after", "malware_protection");
        }
        let services = p.services.as_ref().map(|list| {
            let set = crate::common::service_set(scenario, list, &mut problems);
            for flow in scenario.data_flows.iter().filter(|f| f.to == t && !set.contains(f.service)) {
                problems.push(
                    Diagnostic::at(
                        p.device_type.span(),
                        format!(
                            "the model does not listen on {}, which data flow `{}` needs to reach it",
                            scenario.services[usize::from(flow.service.0)].id,
                            flow.id
                        ),
                    )
                    .with_help("list the services its data flows arrive over"),
                );
            }
            set
        });
        let remote = (p.remote_service == Some(false)).then(|| vendor_services(scenario, t));
        if let Some((remote, vendors)) = &remote {
            for flow in scenario.data_flows.iter().filter(|f| f.to == t && remote.contains(f.service)) {
                let vendor = vendors
                    .iter()
                    .find(|&&g| scenario.staff[g].services.contains(flow.service))
                    .map_or("", |&g| scenario.staff[g].id.as_str());
                problems.push(
                    Diagnostic::at(
                        p.device_type.span(),
                        format!(
                            "a model with no remote service does not listen on {}, which vendor `{vendor}` logs \
                             in over and data flow `{}` needs to reach it",
                            scenario.services[usize::from(flow.service.0)].id,
                            flow.id
                        ),
                    )
                    .with_help("the vendor's remote service and the data flow share a service: move one of them"),
                );
            }
        }
        let vulnerabilities = p.known_vulnerabilities.as_ref().map(|list| {
            list.iter()
                .filter_map(|v| scenario.vulnerability_ref(v).map_err(|d| problems.push(d)).ok())
                .map(|v| (v, 1.0))
                .collect::<Vec<_>>()
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        let devices: Vec<DeviceIndex> =
            (0..scenario.device_count()).filter(|&d| scenario.devices[d as usize].device_type == t).collect();
        let updates = (p.automatic_updates == Some(true)).then(|| Updates {
            lag: p.update_lag.map_or_else(default_update_lag, Spanned::into_inner),
            vuln_keys: scenario.vulnerabilities.iter().map(|v| name_hash(&v.id)).collect(),
            devices,
        });
        let malware = (p.malware_protection == Some(true)).then(|| Malware {
            detection: p.malware_detection.map_or(DEFAULT_MALWARE_DETECTION, |x| x.into_inner().get()),
            after: p.malware_detect_after.map_or_else(default_malware_detect_after, Spanned::into_inner),
        });
        Ok(Box::new(Model {
            device_type: t,
            supported_os: p.supported_os,
            default_accounts: p.default_accounts,
            encrypts_at_rest: p.encrypts_at_rest,
            encrypts_in_transit: p.encrypts_in_transit,
            authenticates_commands: p.authenticates_commands,
            wireless: p.wireless,
            services,
            no_remote_service: remote.map(|(set, _)| set),
            vulnerabilities,
            plan: Arc::new(Plan { device_type: t, updates, malware }),
        }))
    }
}

/// The services that the vendor staff groups logging in to a zone where
/// type `t` is placed log in over, and those groups (by index).
fn vendor_services(scenario: &Scenario, t: DeviceTypeId) -> (ServiceSet, Vec<usize>) {
    let mut zones = vec![false; scenario.zones.len()];
    for slot in scenario.devices.iter().filter(|s| s.device_type == t) {
        zones[usize::from(slot.zone.0)] = true;
    }
    let mut set = ServiceSet::NONE;
    let mut groups = Vec::new();
    for (g, staff) in scenario.staff.iter().enumerate() {
        let there = staff.logs_in_to.iter().zip(&zones).any(|(&logs_in, &placed)| logs_in && placed);
        if staff.role == StaffRole::Vendor && there {
            groups.push(g);
            for s in 0..scenario.services.len() {
                let s = iomtsim_sim::ServiceId(s as u8);
                if staff.services.contains(s) {
                    set.insert(s);
                }
            }
        }
    }
    (set, groups)
}

struct Model {
    device_type: DeviceTypeId,
    supported_os: Option<bool>,
    default_accounts: Option<bool>,
    encrypts_at_rest: Option<bool>,
    encrypts_in_transit: Option<bool>,
    authenticates_commands: Option<bool>,
    wireless: Option<bool>,
    services: Option<ServiceSet>,
    /// With `remote_service = false`: the services the vendors log in over,
    /// which the model does not listen on.
    no_remote_service: Option<ServiceSet>,
    vulnerabilities: Option<Vec<(iomtsim_sim::VulnId, f64)>>,
    /// What the answers that act during a trial need.
    plan: Arc<Plan>,
}

/// The answers that act during each trial.
struct Plan {
    device_type: DeviceTypeId,
    updates: Option<Updates>,
    malware: Option<Malware>,
}

/// Automatic updates: the lag, and the devices of the type.
struct Updates {
    lag: Distribution,
    vuln_keys: Vec<u64>,
    devices: Vec<DeviceIndex>,
}

/// Anti-malware: how often and how soon it finds a compromise.
struct Malware {
    detection: f64,
    after: Distribution,
}

#[derive(Clone, Copy)]
struct UpdateIds {
    install: HandlerId,
    installed: EventKindId,
    metric: MetricId,
}

#[derive(Clone, Copy)]
struct MalwareIds {
    detect: HandlerId,
    detected: EventKindId,
    metric: MetricId,
}

/// One instance's plan and ids, for its handlers.
struct Runtime {
    plan: Arc<Plan>,
    updates: Option<UpdateIds>,
    malware: Option<MalwareIds>,
}

impl Plugin for Model {
    fn build(&self, b: &mut SimBuilder) {
        let plan = self.plan.clone();
        if plan.updates.is_none() && plan.malware.is_none() {
            return;
        }
        let updates = plan.updates.as_ref().map(|_| UpdateIds {
            install: b.handler("vendor_assessment.update", install_update),
            installed: b.event(UPDATED),
            metric: b.metric(UPDATES),
        });
        let malware = plan.malware.as_ref().map(|_| {
            let seen = b.handler("vendor_assessment.malware_seen", malware_seen);
            b.on_transition(Transition::Compromised, seen);
            MalwareIds {
                detect: b.handler("vendor_assessment.malware_detect", detect_malware),
                detected: b.event(MALWARE_FOUND),
                metric: b.metric(DETECTIONS),
            }
        });
        b.story(match (updates.is_some(), malware.is_some()) {
            (true, true) => {
                "installed {updates_installed} {updates_installed|update|updates} by itself; its anti-malware \
                 detected {malware_detections} {malware_detections|compromise|compromises}"
            }
            (true, false) => "installed {updates_installed} {updates_installed|update|updates} by itself",
            _ => "its anti-malware detected {malware_detections} {malware_detections|compromise|compromises}",
        });
        b.init_resource::<Instances<Runtime>>();
        let me = b.instance();
        b.on_trial_start(move |mut sim: Sim, mut all: ResMut<Instances<Runtime>>| {
            all.insert(me, Runtime { plan: plan.clone(), updates, malware });
            if let (Some(u), Some(ids)) = (&plan.updates, updates) {
                schedule_updates(&mut sim, me, u, ids.install);
            }
        });
    }

    fn amend(&self, scenario: &mut Scenario) {
        let t = &mut scenario.device_types[usize::from(self.device_type.0)];
        let share = |yes: bool| if yes { 1.0 } else { 0.0 };
        if let Some(supported) = self.supported_os {
            t.unsupported_os = share(!supported);
        }
        if self.default_accounts == Some(false) {
            t.default_credentials = 0.0;
        }
        if let Some(encrypted) = self.encrypts_at_rest {
            t.encrypted_at_rest = encrypted;
        }
        if let Some(authenticates) = self.authenticates_commands {
            t.authenticates_commands = share(authenticates);
        }
        if self.wireless == Some(false) {
            t.radio.clear();
        }
        if let Some(services) = self.services {
            t.services = services;
        }
        if let Some(remote) = self.no_remote_service {
            let mut kept = ServiceSet::NONE;
            for s in 0..scenario.services.len() {
                let s = iomtsim_sim::ServiceId(s as u8);
                if t.services.contains(s) && !remote.contains(s) {
                    kept.insert(s);
                }
            }
            t.services = kept;
        }
        if let Some(v) = &self.vulnerabilities {
            t.vulnerabilities.clone_from(v);
        }
        if let Some(encrypted) = self.encrypts_in_transit {
            for f in scenario.data_flows.iter_mut().filter(|f| f.from == self.device_type || f.to == self.device_type) {
                f.encrypted = encrypted;
            }
        }
    }
}

/// Draws, for every device of the type on a supported operating system,
/// when it installs each released patch for the vulnerabilities it
/// carries: before the trial (done at once) or during it (an event).
/// Draws are keyed by device and vulnerability.
fn schedule_updates(sim: &mut Sim, me: InstanceId, u: &Updates, install: HandlerId) {
    let root = sim.key(me);
    let released = crate::common::patch_release_offsets(sim);
    for &d in &u.devices {
        let state = sim.state(d);
        if state.unsupported || state.vulnerable == 0 {
            continue;
        }
        let key = sim.with_identity(root, d).named("update");
        crate::common::schedule_patch_installs(sim, d, &released, install, |i| u.lag.draw(key.with(u.vuln_keys[i])));
    }
}

/// The device installs its maker's patch for vulnerability `e.tag`.
fn install_update(In(e): In<Event>, mut sim: Sim, all: Res<Instances<Runtime>>) {
    let Some(ids) = all.get(e.instance).updates else { return };
    if sim.patch(e.target, VulnId(e.tag as u8), ids.installed) {
        sim.add(ids.metric, 1);
    }
}

/// A device was compromised: if it is of the model, its anti-malware finds
/// the compromise, or not, after the time it takes. Both draws are keyed
/// by the compromise.
fn malware_seen(In(e): In<Event>, mut sim: Sim, all: Res<Instances<Runtime>>) {
    let r = all.get(e.instance);
    let (Some(m), Some(ids)) = (&r.plan.malware, r.malware) else { return };
    let d = e.target;
    if sim.device(d).device_type != r.plan.device_type {
        return;
    }
    let s = sim.state(d);
    let key = sim.key(e.instance).and(s.cause);
    if key.named("malware-found").bernoulli(m.detection) {
        let delay = m.after.draw(key.named("malware-delay"));
        sim.schedule_in(delay, ids.detect, d, u64::from(s.epoch));
    }
}

/// The anti-malware finds the compromise, if the device is still
/// compromised the same way (not rebuilt since).
fn detect_malware(In(e): In<Event>, mut sim: Sim, all: Res<Instances<Runtime>>) {
    let Some(ids) = all.get(e.instance).malware else { return };
    let s = sim.state(e.target);
    if !s.compromised || u64::from(s.epoch) != e.tag {
        return;
    }
    if sim.detect(e.target, ids.detected) {
        sim.add(ids.metric, 1);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::{RadioKind, TrialResult};

    const SCENARIO: &str = include_str!("../../../scenarios/defences/vendor_assessment.toml");

    #[test]
    fn every_answer_changes_the_device_type_as_its_name_says() {
        let before = engine(&without(SCENARIO, "defences.pump-b"));
        let after = engine(SCENARIO);
        let pump = |e: &iomtsim_sim::Engine| e.scenario().device_types[0].clone();
        let (a, b) = (pump(&before), pump(&after));
        assert_eq!((a.unsupported_os, b.unsupported_os), (1.0, 0.0), "supported_os");
        assert_eq!((a.default_credentials, b.default_credentials), (0.21, 0.0), "default_accounts");
        assert_eq!((a.encrypted_at_rest, b.encrypted_at_rest), (false, true), "encrypts_at_rest");
        assert_eq!((a.authenticates_commands, b.authenticates_commands), (0.0, 1.0), "authenticates_commands");
        assert_eq!(a.radio.first().map(|r| r.kind), Some(RadioKind::Wifi));
        assert!(b.radio.is_empty(), "wireless");
        let smb = after.scenario().service_id("smb").unwrap();
        assert!(a.services.contains(smb) && !b.services.contains(smb), "services");
        let ids = |e: &iomtsim_sim::Engine, t: &iomtsim_sim::DeviceType| -> Vec<String> {
            t.vulnerabilities.iter().map(|(v, _)| e.scenario().vulnerabilities[usize::from(v.0)].id.clone()).collect()
        };
        assert_eq!((ids(&before, &a), ids(&after, &b)), (vec!["ms17-010".into()], vec!["pump-b-web".into()]));
        let flows = |e: &iomtsim_sim::Engine| e.scenario().data_flows.iter().map(|f| f.encrypted).collect::<Vec<_>>();
        assert_eq!((flows(&before), flows(&after)), (vec![false], vec![true]), "encrypts_in_transit");
    }

    /// Devices of the type numbered `t` that trial `r` compromised.
    fn taken(r: &TrialResult, t: u16) -> u32 {
        r.breakdown.iter().filter(|b| b.device_type.0 == t).map(|b| b.compromised).sum()
    }

    /// Mean and half-width of `f` over `results`.
    fn mean_of(results: &[TrialResult], f: impl Fn(&TrialResult) -> f64) -> (f64, f64) {
        mean_ci(&results.iter().map(f).collect::<Vec<_>>())
    }

    const PUMP: u16 = 0;
    const WORKSTATION: u16 = 2;

    #[test]
    fn the_better_model_keeps_the_worm_off_the_pumps_and_nothing_else_changes() {
        let bare = without(SCENARIO, "defences.pump-b");
        let (on, off) = (run(SCENARIO, 60, false), run(&bare, 60, false));
        let by_type = |r: &iomtsim_sim::TrialResult, pumps: bool| -> u32 {
            r.breakdown.iter().filter(|b| (b.device_type.0 == 0) == pumps).map(|b| b.compromised).sum()
        };
        let pumps = |r: &[iomtsim_sim::TrialResult]| {
            mean_ci(&r.iter().map(|t| f64::from(by_type(t, true))).collect::<Vec<_>>())
        };
        assert_clearly_below(pumps(&on), pumps(&off), "pumps taken of the assessed model");
        assert_eq!(pumps(&on).0, 0.0);
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(by_type(a, false), by_type(b, false), "the workstations fall as before");
        }
    }

    /// The ward with model A's pumps as installed, and a purchase of the
    /// same pump (`[defences.pump-a2]`) answering `answers`.
    fn model_a_with(answers: &str) -> String {
        format!(
            "{}\n[defences.pump-a2]\nkind = \"vendor_assessment\"\ndevice_type = \"infusion-pump\"\n{answers}\n",
            without(SCENARIO, "defences.pump-b")
        )
    }

    #[test]
    fn automatic_updates_patch_the_pumps_without_a_patch_programme_unless_their_os_is_unsupported() {
        // Model A on a supported OS, updating itself or waiting for a patch
        // programme the ward does not have: EternalBlue's patch came out 59
        // days before, so nearly every pump that updates itself has it.
        let updating = model_a_with("supported_os = true\nautomatic_updates = true");
        let waiting = model_a_with("supported_os = true\nautomatic_updates = false");
        let (on, off) = (run(&updating, 60, false), run(&waiting, 60, false));
        let pumps = |r: &[TrialResult]| mean_of(r, |t| f64::from(taken(t, PUMP)));
        assert_clearly_below(pumps(&on), pumps(&off), "pumps taken when they update themselves");
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(taken(a, WORKSTATION), taken(b, WORKSTATION), "the workstations fall as before");
        }
        // A patch released as the trial starts is installed during it, and
        // counted: about 60% of the lags (median 2 days) fall in 3 days.
        let fresh = |t: &str| t.replace("disclosed = \"-59d\"", "disclosed = \"0s\"");
        let on = run(&fresh(&updating), 60, false);
        let counted = metric(&fresh(&updating), &on, "pump-a2.updates_installed");
        let installed = mean_ci(&counted);
        assert_clearly_below((0.0, 0.0), installed, "updates installed during the trial");
        assert!(installed.0 > 10.0 && installed.0 < 26.0, "{installed:?} of 30 pumps");
        for (r, n) in on.iter().zip(&counted) {
            assert_eq!(r.outcome.core().patches_installed as f64, *n, "every patch is the model's own");
        }
        // On the unsupported embedded OS of model A, nothing is installed:
        // the same trials as without the purchase.
        let unsupported = model_a_with("automatic_updates = true");
        let bare = without(SCENARIO, "defences.pump-b");
        let (on, off) = (run(&unsupported, 40, false), run(&bare, 40, false));
        assert!(metric(&unsupported, &on, "pump-a2.updates_installed").iter().all(|&x| x == 0.0));
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(taken(a, PUMP), taken(b, PUMP), "no update reaches an unsupported OS");
        }
    }

    #[test]
    fn anti_malware_detects_a_share_of_the_pumps_compromises_and_nothing_else() {
        let protected = model_a_with("malware_protection = true");
        let bare = without(SCENARIO, "defences.pump-b");
        let (on, off) = (run(&protected, 60, true), run(&bare, 60, true));
        // Nobody watches the ward otherwise: the attacker stays unseen to
        // the end, unless the pumps' anti-malware finds one of them.
        let dwell = |r: &[TrialResult]| mean_of(r, |t| t.outcome.core().dwell_time_h.unwrap_or(0.0));
        assert_clearly_below(dwell(&on), dwell(&off), "hours before the first detection");
        let found = metric(&protected, &on, "pump-a2.malware_detections");
        let share = found.iter().sum::<f64>() / on.iter().map(|t| f64::from(taken(t, PUMP))).sum::<f64>();
        assert!((0.35..=0.65).contains(&share), "found {share:.2} of the pumps' compromises, expected about 0.5");
        // Only the model's own devices are found.
        let e = engine(&protected);
        for r in &on {
            for ev in r.events.iter().filter(|ev| ev.transition == Some(iomtsim_sim::Transition::Detected)) {
                assert_eq!(e.scenario().devices[ev.device as usize].device_type.0, PUMP, "a workstation detected");
            }
        }
        // No one answers a detection here, so the worm takes the same
        // devices.
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(a.outcome.core().compromised, b.outcome.core().compromised);
            assert_eq!(taken(a, PUMP), taken(b, PUMP));
        }
    }

    /// An imaging suite whose makers' engineers (one vendor group) log in
    /// over RDP from their own network; the vendor is breached at the
    /// start and the attacker logs in to every device it can reach.
    fn imaging(defences: &str) -> String {
        format!(
            r#"
            name = "imaging"
            duration = "3d"
            zones = [{{ id = "imaging" }}, {{ id = "vendor-net", external = true }}]
            conduits = [{{ from = "vendor-net", to = "imaging", services = ["rdp"] }}]
            device_types = [
              {{ id = "xray", services = ["rdp", "dicom"] }},
              {{ id = "ct-scanner", services = ["rdp", "dicom"] }},
            ]
            placement = [
              {{ zone = "imaging", device_type = "xray", count = 6 }},
              {{ zone = "imaging", device_type = "ct-scanner", count = 4 }},
            ]
            staff = [
              {{ id = "scanner-maker", role = "vendor", count = 3, logs_in_to = ["imaging"], services = ["rdp"] }},
            ]
            [attacks.vendor]
            vendor = "scanner-maker"
            from = "vendor-net"
            devices = 10
            {defences}
            "#
        )
    }

    #[test]
    fn a_model_with_no_remote_service_is_out_of_the_breached_vendors_reach() {
        let xray_b = |remote: bool| {
            imaging(&format!(
                "[defences.xray-b]\nkind = \"vendor_assessment\"\ndevice_type = \"xray\"\nremote_service = {remote}"
            ))
        };
        let (no_remote, remote) = (xray_b(false), xray_b(true));
        let (on, off) = (run(&no_remote, 40, false), run(&remote, 40, false));
        let xrays = |r: &[TrialResult]| mean_of(r, |t| f64::from(taken(t, 0)));
        assert_clearly_below(xrays(&on), xrays(&off), "X-ray consoles taken by the breached vendor");
        assert_eq!(xrays(&on).0, 0.0);
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(taken(a, 1), taken(b, 1), "the CT consoles fall as before");
            assert_eq!(a.outcome.core().credentials_stolen, b.outcome.core().credentials_stolen);
        }
        let e = engine(&no_remote);
        let (rdp, dicom) = (e.scenario().service_id("rdp").unwrap(), e.scenario().service_id("dicom").unwrap());
        let xray = &e.scenario().device_types[0];
        assert!(!xray.services.contains(rdp) && xray.services.contains(dicom), "only the vendor's service goes");
        // A data flow over the vendor's service cannot lose it.
        let flow = "data_flows = [{ id = \"worklist\", from = \"ct-scanner\", to = \"xray\", service = \"rdp\" }]";
        let err = load_error(&insert_before(&no_remote, "[attacks.vendor]", flow));
        assert!(err.contains("vendor `scanner-maker` logs in over and data flow `worklist` needs"), "{err}");
    }

    #[test]
    fn a_model_that_closes_a_needed_port_is_refused() {
        let err = load_error(&SCENARIO.replace("services = [\"https\"]", "services = [\"hl7\"]"));
        assert!(err.contains("does not listen on https, which data flow `drug-library` needs"), "{err}");
        let err = load_error(&SCENARIO.replace("device_type = \"infusion-pump\"", "device_type = \"toaster\""));
        assert!(err.contains("unknown device type `toaster`"), "{err}");
    }

    #[test]
    fn settings_of_an_answer_the_model_does_not_give_are_refused() {
        let err = load_error(&model_a_with("default_accounts = false\nupdate_lag = \"1d\""));
        assert!(err.contains("update_lag is for a model whose MDS2 form answers `automatic_updates = true`"), "{err}");
        let err = load_error(&model_a_with("malware_protection = false\nmalware_detection = 0.9"));
        assert!(err.contains("malware_detection is for a model"), "{err}");
        let err = load_error(&model_a_with("wireless = false\nmalware_detect_after = \"2h\""));
        assert!(err.contains("malware_detect_after is for a model"), "{err}");
        let err = load_error(&model_a_with("malware_protection = true\nmalware_detection = 1.5"));
        assert!(err.contains("expected a probability"), "{err}");
    }
}
