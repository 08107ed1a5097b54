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

impl PluginFactory for PatchingFactory {
    fn kind(&self) -> &'static str {
        "patching"
    }

    fn role(&self) -> Role {
        Role::Defence
    }

    fn summary(&self) -> &'static str {
        "patch programme: vendor release, then a per-device installation lag; unsupported devices never patched"
    }

    fn schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<PatchingParams>()
    }

    fn configure(&self, section: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let params: PatchingParams = section.parse()?;
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
