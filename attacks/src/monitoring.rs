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

impl PluginSpec for MonitoringFactory {
    type Params = MonitoringParams;
    const KIND: &'static str = "monitoring";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str = "intrusion detection: per-zone coverage and a time-to-detect distribution";

    fn configure(
        params: MonitoringParams,
        _: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
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
        sim.insert_state(Watch {
            coverage: self.coverage.clone(),
            time_to_detect: self.time_to_detect.clone(),
            detect,
        });
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

#[cfg(test)]
mod tests {
    use crate::testing::*;

    const RESPOND: &str = "[defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"100d\"";

    #[test]
    fn watched_compromises_are_detected_and_contained() {
        let watched = run(
            &lan(
                300,
                "-60d",
                "",
                "",
                &format!(
                    "[defences.monitoring]\ncoverage = 1.0\ntime_to_detect = {{ dist = \"exponential\", mean = \"1h\" }}\n{RESPOND}"
                ),
            ),
            60,
            false,
        );
        let blind = run(
            &lan(
                300,
                "-60d",
                "",
                "",
                &format!("[defences.monitoring]\ncoverage = 0.0\ntime_to_detect = \"1h\"\n{RESPOND}"),
            ),
            60,
            false,
        );
        assert!(watched.iter().all(|r| r.outcome.detected));
        assert!(blind.iter().all(|r| !r.outcome.detected));
        assert_clearly_below(compromised(&watched), compromised(&blind), "compromised under monitoring");
    }

    #[test]
    fn zone_coverage_overrides_the_default() {
        let text = lan(
            100,
            "-60d",
            "",
            "",
            "[defences.monitoring]\ncoverage = 1.0\nzones = { lan = 0.0 }\ntime_to_detect = \"1h\"",
        );
        assert!(run(&text, 10, false).iter().all(|r| !r.outcome.detected));
    }

    #[test]
    fn time_to_detect_is_measured_from_the_first_compromise() {
        let text =
            lan(100, "-60d", "", "start = \"5h\"", "[defences.monitoring]\ncoverage = 1.0\ntime_to_detect = \"2h\"");
        for r in run(&text, 10, false) {
            assert_eq!(r.outcome.first_compromise_h, Some(5.0));
            assert_eq!(r.outcome.time_to_detect_h, Some(2.0));
        }
    }

    #[test]
    fn unknown_zones_are_reported() {
        let text = lan(10, "-60d", "", "", "[defences.monitoring]\nzones = { icu = 0.5 }\ntime_to_detect = \"1h\"");
        let err =
            iomtsim_sim::Scenario::load(iomtsim_sim::ScenarioSource::from_text("t.toml", text), &crate::registry())
                .err()
                .expect("unknown zone rejected");
        assert!(err.to_string().contains("unknown zone `icu`"), "{err}");
    }
}
