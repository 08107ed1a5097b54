//! Patching: once a vendor ships a patch, the hospital installs it on each
//! device after a lag of its own (drawn per device), on the devices its
//! programme reaches at all. Devices on an unsupported operating system
//! never receive one. A patched device can no longer be exploited through
//! that vulnerability, though a compromise that came first stays.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[defences.patching]`: the hospital's patch programme.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchingParams {
    /// Time from a patch's release to its installation on a device; device
    /// types may override it with their own `patch_lag`.
    pub lag: Distribution,
    /// Share of supported devices the programme reaches at all; the rest
    /// are never patched.
    #[serde(default = "Probability::one")]
    pub coverage: Probability,
}

/// Registers `[defences.patching]`.
pub struct PatchingFactory;

impl PluginSpec for PatchingFactory {
    type Params = PatchingParams;
    const KIND: &'static str = "patching";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "patch programme: vendor release, then a per-device installation lag; unsupported devices never patched";

    fn configure(params: PatchingParams, _: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Ok(Box::new(Patching { params, install: None }))
    }
}

struct Patching {
    params: PatchingParams,
    install: Option<HandlerId>,
}

impl Plugin for Patching {
    fn build(&mut self, b: &mut SimBuilder) {
        self.install = Some(b.add_handler("patching.install", install_patch));
    }

    fn start_trial(&self, sim: &mut Sim) {
        let install = self.install.expect("built before trials start");
        let scenario = sim.scenario().clone();
        for d in 0..sim.device_count() {
            let state = sim.device_state(d);
            if state.unsupported || state.vulnerable == 0 {
                continue;
            }
            if !sim.rng().random_bool(self.params.coverage.get()) {
                continue;
            }
            let t = sim.device(d).device_type;
            let lag = scenario.patch_lag(t, &self.params.lag);
            for &(v, _) in &scenario.device_types[usize::from(t.0)].vulnerabilities {
                if !state.carries(v) {
                    continue;
                }
                let released = scenario.vulnerabilities[usize::from(v.0)].patch_released();
                let installed = released.plus(lag.sample(sim.rng()));
                match installed.to_time() {
                    None | Some(SimTime::ZERO) => sim.patch_before_start(d, v),
                    Some(at) => sim.schedule_at(at, install, d, u64::from(v.0)).expect("trial has not started"),
                }
            }
        }
    }
}

fn install_patch(sim: &mut Sim, e: Event) {
    sim.patch(e.target, VulnId(e.tag as u8));
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    fn mean(results: &[iomtsim_sim::TrialResult], f: impl Fn(&iomtsim_sim::TrialOutcome) -> f64) -> f64 {
        results.iter().map(|r| f(&r.outcome)).sum::<f64>() / results.len() as f64
    }

    #[test]
    fn patches_installed_before_the_outbreak_stop_it() {
        let none = run(&lan(300, "-60d", "", "", ""), 40, false);
        let patched = run(&lan(300, "-60d", "", "", "[defences.patching]\nlag = \"10d\""), 40, false);
        assert!(mean(&none, |o| f64::from(o.compromised)) > 250.0);
        // Only patient zero, which the worm reached by other means.
        assert!(patched.iter().all(|r| r.outcome.compromised == 1));
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
        assert!(results.iter().all(|r| r.outcome.patched == 0));
        assert!(mean(&results, |o| f64::from(o.compromised)) > 250.0);
    }

    #[test]
    fn patches_released_during_the_trial_are_installed_after_the_lag() {
        // Disclosed at the start with a one-day vendor delay and a fixed
        // one-day lag: every patch lands at exactly 48 hours.
        let text = lan(200, "0s", "", "start = \"3d\"", "[defences.patching]\nlag = \"1d\"")
            .replace("disclosed = \"0s\"", "disclosed = \"0s\", vendor_patch_after = \"1d\"");
        let results = run(&text, 10, true);
        for r in &results {
            assert_eq!(r.outcome.patched, 200);
            assert!(
                r.events
                    .iter()
                    .filter(|e| e.kind == iomtsim_sim::Signal::Patched)
                    .all(|e| e.time.as_hours_f64() == 48.0)
            );
            assert_eq!(r.outcome.compromised, 1, "the outbreak starts after every patch");
        }
    }

    #[test]
    fn a_device_types_own_lag_overrides_the_default() {
        let slow = run(&lan(300, "-60d", "patch_lag = \"1000d\"", "", "[defences.patching]\nlag = \"10d\""), 20, false);
        assert!(slow.iter().all(|r| r.outcome.compromised > 200), "the type's 1000-day lag applies");
    }
}
