//! Monitoring (an IDS, EDR or log review): a compromise in a watched zone
//! is seen, with the zone's coverage as probability, after a time to
//! detect. What happens next is incident response's business.

use std::collections::BTreeMap;

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[defences.monitoring]`: detection of compromised devices.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitoringParams {
    /// Probability that a compromise is ever seen, in zones not listed in `zones`.
    #[serde(default)]
    pub coverage: Probability,
    /// Coverage per zone id, overriding `coverage` (monitoring is rarely even).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Probability>")]
    pub zones: BTreeMap<Spanned<String>, Probability>,
    /// Time from compromise to detection, when it is seen.
    pub time_to_detect: Distribution,
}

/// Registers `[defences.monitoring]`.
pub struct MonitoringFactory;

impl PluginFactory for MonitoringFactory {
    fn kind(&self) -> &'static str {
        "monitoring"
    }

    fn role(&self) -> Role {
        Role::Defence
    }

    fn summary(&self) -> &'static str {
        "intrusion detection: per-zone coverage and a time-to-detect distribution"
    }

    fn schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<MonitoringParams>()
    }

    fn configure(&self, section: &Section<'_>, scenario: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let params: MonitoringParams = section.parse()?;
        let mut coverage = vec![params.coverage.get(); scenario.zones.len()];
        let mut problems = Vec::new();
        for (zone, p) in &params.zones {
            match scenario.zone_ref(zone) {
                Ok(z) => coverage[usize::from(z.0)] = p.get(),
                Err(d) => problems.push(d),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Monitoring { coverage, time_to_detect: params.time_to_detect, handlers: None }))
    }
}

struct Monitoring {
    coverage: Vec<f64>,
    time_to_detect: Distribution,
    handlers: Option<(HandlerId, HandlerId)>,
}

/// What the handlers need each trial.
struct Watch {
    coverage: Vec<f64>,
    time_to_detect: Distribution,
    detect: HandlerId,
}

impl Plugin for Monitoring {
    fn build(&mut self, b: &mut SimBuilder) {
        let seen = b.add_handler("monitoring.compromise_seen", compromise_seen);
        let detect = b.add_handler("monitoring.detect", detect_compromise);
        b.subscribe(Signal::Compromised, seen);
        self.handlers = Some((seen, detect));
    }

    fn start_trial(&self, sim: &mut Sim) {
        let (_, detect) = self.handlers.expect("built before trials start");
        sim.insert_state(Watch { coverage: self.coverage.clone(), time_to_detect: self.time_to_detect.clone(), detect });
    }
}

fn compromise_seen(sim: &mut Sim, e: Event) {
    sim.with_state::<Watch, _>(|sim, w| {
        let zone = usize::from(sim.device(e.target).zone.0);
        if sim.rng().random_bool(w.coverage[zone]) {
            let delay = w.time_to_detect.sample(sim.rng());
            let epoch = u64::from(sim.device_state(e.target).epoch);
            sim.schedule_in(delay, w.detect, e.target, epoch);
        }
    });
}

fn detect_compromise(sim: &mut Sim, e: Event) {
    let s = sim.device_state(e.target);
    if s.compromised && u64::from(s.epoch) == e.tag {
        sim.detect(e.target, None);
    }
}
