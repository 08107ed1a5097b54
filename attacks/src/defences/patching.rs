//! Patching: once a vendor ships a patch, the hospital installs it on each
//! device after a lag of its own (drawn per device), on the devices its
//! programme reaches at all. Devices on an unsupported operating system
//! never receive one. A patched device can no longer be exploited through
//! that vulnerability, though a compromise that came first stays. Once a
//! compromise is detected, the programme may switch to emergency
//! patching: every patch still to install goes on within a shorter lag.

use std::collections::BTreeMap;
use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::random::name_hash;
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "patching"`: the hospital's patch programme.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchingParams {
    /// Time from a patch's release to its installation on a device.
    pub lag: Distribution,
    /// The lag for particular device types, by id, overriding `lag` (types
    /// whose patches need the vendor's service engineer take longer).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Distribution>")]
    pub lag_by_device_type: BTreeMap<Spanned<String>, Distribution>,
    /// Share of supported devices the programme reaches at all; the rest
    /// are never patched.
    #[serde(default = "Probability::one")]
    pub coverage: Probability,
    /// Once any compromise is detected in the trial, every released patch
    /// still to install on the devices the programme reaches is installed
    /// within this lag instead (an emergency change, as after WannaCry).
    /// Absent: no emergency patching.
    #[serde(default)]
    pub emergency_lag: Option<Distribution>,
}

/// Registers the `patching` mechanism.
pub struct PatchingFactory;

const INSTALLED: EventSpec =
    EventSpec::new("patch-installed", "receives its security patch", "receive their security patches");
const EMERGENCY: EventSpec = EventSpec::new(
    "emergency-patching",
    "is where the compromise that starts emergency patching is detected",
    "are where the compromises that start emergency patching are detected",
);
const PATCHES: MetricSpec =
    MetricSpec::count("patches_installed", "patches installed", "patches this programme installed during the trial")
        .unit("patches");

impl PluginSpec for PatchingFactory {
    type Params = PatchingParams;
    const KIND: &'static str = "patching";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "patch programme: vendor release, then a per-device installation lag; unsupported devices never patched";

    fn configure(
        params: PatchingParams,
        _: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut lags = vec![params.lag.clone(); scenario.device_types.len()];
        let mut problems = Vec::new();
        for (t, lag) in &params.lag_by_device_type {
            match scenario.device_type_ref(t) {
                Ok(t) => lags[usize::from(t.0)] = lag.clone(),
                Err(d) => problems.push(d),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let vuln_keys = scenario.vulnerabilities.iter().map(|v| name_hash(&v.id)).collect();
        let candidates = (0..scenario.device_count())
            .filter(|&d| {
                !scenario.device_types[usize::from(scenario.devices[d as usize].device_type.0)]
                    .vulnerabilities
                    .is_empty()
            })
            .collect();
        Ok(Box::new(Patching {
            plan: Arc::new(Plan {
                lags,
                coverage: params.coverage.get(),
                emergency_lag: params.emergency_lag,
                vuln_keys,
                candidates,
            }),
        }))
    }
}

struct Plan {
    /// The lag per device type.
    lags: Vec<Distribution>,
    coverage: f64,
    emergency_lag: Option<Distribution>,
    vuln_keys: Vec<u64>,
    /// The devices whose type carries any vulnerability.
    candidates: Vec<DeviceIndex>,
}

struct Patching {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    install: HandlerId,
    installed: EventKindId,
    emergency: EventKindId,
    patches: MetricId,
}

/// One instance's plan and ids, and the vulnerabilities its emergency
/// covers so far (one bit each).
struct Programme {
    plan: Arc<Plan>,
    ids: Ids,
    emergency: u64,
}

impl Plugin for Patching {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            install: b.handler("patching.install", install_patch),
            installed: b.event(INSTALLED),
            emergency: b.event(EMERGENCY),
            patches: b.metric(PATCHES),
        };
        if self.plan.emergency_lag.is_some() {
            let detected = b.handler("patching.emergency", start_emergency);
            b.on_transition(Transition::Detected, detected);
            let advised = b.handler("patching.advisory", emergency_for_advisory);
            b.on_advisory(advised);
        }
        b.story("installed {patches_installed} {patches_installed|patch|patches} during the trial");
        b.init_resource::<Instances<Programme>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut sim: Sim, mut all: ResMut<Instances<Programme>>| {
            all.insert(me, Programme { plan: plan.clone(), ids, emergency: 0 });
            schedule_patches(&mut sim, me, &plan, ids.install);
        });
    }
}

/// Draws, for every supported device the programme reaches, when each
/// patch it needs is installed: before the trial (done at once) or during
/// it (an event). Draws are keyed by device and vulnerability.
fn schedule_patches(sim: &mut Sim, me: InstanceId, plan: &Plan, install: HandlerId) {
    let root = sim.key(me);
    let released = crate::common::patch_release_offsets(sim);
    for &d in &plan.candidates {
        let state = sim.state(d);
        if state.unsupported || state.vulnerable == 0 {
            continue;
        }
        let key = sim.with_identity(root, d);
        if !key.named("coverage").bernoulli(plan.coverage) {
            continue;
        }
        let lag = &plan.lags[usize::from(sim.device(d).device_type.0)];
        let key = key.named("lag");
        crate::common::schedule_patch_installs(sim, d, &released, install, |i| lag.draw(key.with(plan.vuln_keys[i])));
    }
}

/// The first detection of the trial starts the emergency for every
/// vulnerability.
fn start_emergency(In(e): In<Event>, mut sim: Sim, mut all: ResMut<Instances<Programme>>) {
    let p = all.get_mut(e.instance);
    if p.emergency == u64::MAX {
        return;
    }
    let fresh = !p.emergency;
    p.emergency = u64::MAX;
    sim.record(e.target, p.ids.emergency);
    emergency(&mut sim, e.instance, p, fresh);
}

/// An advisory that vulnerability `e.target` is exploited in the wild
/// starts the emergency for it.
fn emergency_for_advisory(In(e): In<Event>, mut sim: Sim, mut all: ResMut<Instances<Programme>>) {
    let p = all.get_mut(e.instance);
    let bit = 1u64 << e.target;
    if p.emergency & bit != 0 {
        return;
    }
    p.emergency |= bit;
    emergency(&mut sim, e.instance, p, bit);
}

/// Every released patch for the vulnerabilities in `vulns` still missing
/// on a device the programme reaches is installed within the emergency
/// lag, drawn per device and vulnerability (an earlier scheduled
/// installation still comes first).
fn emergency(sim: &mut Sim, me: InstanceId, p: &Programme, vulns: u64) {
    let (plan, ids) = (p.plan.clone(), p.ids);
    let Some(lag) = &plan.emergency_lag else { return };
    let released = crate::common::patches_released(sim);
    let root = sim.key(me);
    for &d in &plan.candidates {
        let state = sim.state(d);
        if state.unsupported {
            continue;
        }
        let key = sim.with_identity(root, d);
        if !key.named("coverage").bernoulli(plan.coverage) {
            continue;
        }
        for (i, &out) in released.iter().enumerate() {
            let v = VulnId(i as u8);
            if out && vulns & (1 << i) != 0 && state.exposed_to(v) {
                let delay = lag.draw(key.named("emergency").with(plan.vuln_keys[i]));
                sim.schedule_in(delay, ids.install, d, u64::from(v.0));
            }
        }
    }
}

fn install_patch(In(e): In<Event>, mut sim: Sim, all: Res<Instances<Programme>>) {
    let ids = all.get(e.instance).ids;
    if sim.patch(e.target, VulnId(e.tag as u8), ids.installed) {
        sim.add(ids.patches, 1);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    #[test]
    fn patches_installed_before_the_outbreak_stop_it() {
        let none = run(&lan(300, "-60d", "", "", ""), 40, false);
        let patched = run(&lan(300, "-60d", "", "", "[defences.patching]\nlag = \"10d\""), 40, false);
        assert!(compromised(&none).0 > 250.0);
        // Only patient zero, which the worm reached by other means.
        assert!(patched.iter().all(|r| r.outcome.core().compromised == 1));
    }

    #[test]
    fn coverage_is_the_share_of_devices_patched() {
        let half = run(&lan(300, "-60d", "", "", "[defences.patching]\nlag = \"10d\"\ncoverage = 0.5"), 40, false);
        let none = run(&lan(300, "-60d", "", "", ""), 40, false);
        let (h, n) = (compromised(&half), compromised(&none));
        assert_clearly_below(h, n, "compromised with half the devices patched");
        // Half the hosts are patched, so at most half can fall.
        assert!(h.0 < 160.0 && h.0 > 80.0, "{h:?}");
    }

    #[test]
    fn unsupported_devices_are_never_patched() {
        let results =
            run(&lan(300, "-60d", "unsupported_os = 1.0", "", "[defences.patching]\nlag = \"10d\""), 20, false);
        assert!(results.iter().all(|r| r.outcome.core().patches_installed == 0));
        assert!(compromised(&results).0 > 250.0);
    }

    #[test]
    fn patches_released_during_the_trial_are_installed_after_the_lag() {
        // Disclosed at the start with a one-day vendor delay and a fixed
        // one-day lag: every patch lands at exactly 48 hours.
        let text = lan(200, "0s", "", "start = \"3d\"", "[defences.patching]\nlag = \"1d\"")
            .replace("disclosed = \"0s\"", "disclosed = \"0s\", vendor_patch_after = \"1d\"");
        let results = run(&text, 10, true);
        for r in &results {
            assert_eq!(r.outcome.core().patches_installed, 200);
            assert!(
                r.events
                    .iter()
                    .filter(|e| e.transition == Some(iomtsim_sim::Transition::Patched))
                    .all(|e| e.time.as_hours_f64() == 48.0)
            );
            assert_eq!(r.outcome.core().compromised, 1, "the outbreak starts after every patch");
        }
    }

    const SCENARIO: &str = include_str!("../../../scenarios/defences/patching.toml");

    #[test]
    fn the_shipped_programme_and_its_emergency_cut_the_outbreak() {
        let bare = without(SCENARIO, "defences.patching");
        let calm = SCENARIO.replace("emergency_lag = ", "# emergency_lag = ");
        let (on, off, no_emergency) = (run(SCENARIO, 100, false), run(&bare, 100, false), run(&calm, 100, false));
        assert_clearly_below(compromised(&on), compromised(&no_emergency), "compromised with the emergency");
        assert_clearly_below(compromised(&no_emergency), compromised(&off), "compromised with the programme");
        // Patching changes who can fall, not when the worm arrives.
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(a.outcome.core().first_compromise_h, b.outcome.core().first_compromise_h);
        }
    }

    #[test]
    fn emergency_patching_after_a_detection_saves_the_rest() {
        // A programme too slow to matter, and monitoring that sees some
        // compromises: once one is seen, the rest of the estate is patched
        // within hours.
        let watched = "[defences.monitoring]\ncoverage = 0.3\ntime_to_detect = \"1h\"";
        let slow = format!("[defences.patching]\nlag = \"1000d\"\n{watched}");
        let emergency = format!("[defences.patching]\nlag = \"1000d\"\nemergency_lag = \"2h\"\n{watched}");
        let text =
            |defences: &str| lan(300, "-60d", "", "", defences).replace("scans_per_hour = 2.0", "scans_per_hour = 0.5");
        let (a, b) = (run(&text(&emergency), 40, false), run(&text(&slow), 40, false));
        assert_clearly_below(compromised(&a), compromised(&b), "compromised with emergency patching");
        assert!(a.iter().all(|r| r.outcome.core().patches_installed > 200));
        // Unseen, the emergency never starts: the same trials as without it.
        let blind = |t: &str| t.replace("coverage = 0.3", "coverage = 0.0");
        let (a, b) = (run(&blind(&text(&emergency)), 20, false), run(&blind(&text(&slow)), 20, false));
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.outcome.core().compromised, y.outcome.core().compromised);
            assert_eq!(x.outcome.core().patches_installed, 0);
        }
    }

    #[test]
    fn a_device_types_own_lag_overrides_the_default() {
        let slow = run(
            &lan(300, "-60d", "", "", "[defences.patching]\nlag = \"10d\"\nlag_by_device_type = { host = \"1000d\" }"),
            20,
            false,
        );
        assert!(slow.iter().all(|r| r.outcome.core().compromised > 200), "the type's 1000-day lag applies");
        let err = load_error(&lan(
            10,
            "-60d",
            "",
            "",
            "[defences.patching]\nlag = \"1d\"\nlag_by_device_type = { pump = \"1d\" }",
        ));
        assert!(err.contains("unknown device type `pump`"), "{err}");
    }
}
