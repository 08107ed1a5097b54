//! Monitoring (an IDS, EDR or log review): a compromise in a watched zone
//! is seen, with the zone's coverage as probability, after a time to
//! detect. What happens next is incident response's business.

use std::collections::BTreeMap;
use std::sync::Arc;

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "monitoring"`: detection of compromised devices.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitoringParams {
    /// Probability that a compromise is ever seen, in zones not listed in
    /// `zones`. Default 1: every compromise in every zone is seen.
    #[serde(default = "Probability::one")]
    pub coverage: Probability,
    /// Coverage per zone id, overriding `coverage` (monitoring is rarely even).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Probability>")]
    pub zones: BTreeMap<Spanned<String>, Probability>,
    /// Time from compromise to detection, when it is seen.
    pub time_to_detect: Distribution,
}

/// Registers the `monitoring` mechanism.
pub struct MonitoringFactory;

const ALERT: EventSpec =
    EventSpec::new("alert", "is found compromised by monitoring", "are found compromised by monitoring");
const DETECTIONS: MetricSpec = MetricSpec::count(
    "detections",
    "compromises monitoring detected",
    "compromised devices this monitoring detected first",
)
.unit("devices");

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
        Ok(Box::new(Monitoring { plan: Arc::new(Plan { coverage, time_to_detect: params.time_to_detect }) }))
    }
}

struct Plan {
    coverage: Vec<f64>,
    time_to_detect: Distribution,
}

struct Monitoring {
    plan: Arc<Plan>,
}

/// One instance's parameters and ids, for its handlers.
struct Watch {
    plan: Arc<Plan>,
    detect: HandlerId,
    alert: EventKindId,
    detections: MetricId,
}

impl Plugin for Monitoring {
    fn build(&self, b: &mut SimBuilder) {
        let seen = b.handler("monitoring.compromise_seen", compromise_seen);
        b.on_transition(Transition::Compromised, seen);
        let detect = b.handler("monitoring.detect", detect_compromise);
        let alert = b.event(ALERT);
        let detections = b.metric(DETECTIONS);
        b.story("detected {detections} {detections|compromise|compromises}");
        b.init_resource::<Instances<Watch>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut watches: ResMut<Instances<Watch>>| {
            watches.insert(me, Watch { plan: plan.clone(), detect, alert, detections });
        });
    }
}

/// A device was compromised: if its zone is watched, this compromise will
/// be seen after the time to detect. Both draws are keyed by the
/// compromise, so they do not depend on what else happened.
fn compromise_seen(In(e): In<Event>, mut sim: Sim, watches: Res<Instances<Watch>>) {
    let w = watches.get(e.instance);
    let d = e.target;
    let zone = usize::from(sim.device(d).zone.0);
    let epoch = u64::from(sim.state(d).epoch);
    let key = sim.key(e.instance).and(sim.state(d).cause);
    if key.named("seen").bernoulli(w.plan.coverage[zone]) {
        let delay = w.plan.time_to_detect.draw(key.named("delay"));
        sim.schedule_in(delay, w.detect, d, epoch);
    }
}

fn detect_compromise(In(e): In<Event>, mut sim: Sim, watches: Res<Instances<Watch>>) {
    let w = watches.get(e.instance);
    let s = sim.state(e.target);
    if s.compromised && u64::from(s.epoch) == e.tag && sim.detect(e.target, w.alert) {
        sim.add(w.detections, 1);
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
        assert!(watched.iter().all(|r| r.outcome.core().detected));
        assert!(blind.iter().all(|r| !r.outcome.core().detected));
        assert_clearly_below(compromised(&watched), compromised(&blind), "compromised under monitoring");
    }

    #[test]
    fn coverage_defaults_to_every_zone() {
        let text = lan(100, "-60d", "", "", "[defences.monitoring]\ntime_to_detect = \"1h\"");
        assert!(run(&text, 10, false).iter().all(|r| r.outcome.core().detected));
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
        assert!(run(&text, 10, false).iter().all(|r| !r.outcome.core().detected));
    }

    #[test]
    fn time_to_detect_is_measured_from_the_first_compromise() {
        let text =
            lan(100, "-60d", "", "start = \"5h\"", "[defences.monitoring]\ncoverage = 1.0\ntime_to_detect = \"2h\"");
        let e = engine(&text);
        let detections = e.model().metric("monitoring.detections").unwrap();
        for r in run(&text, 10, false) {
            assert_eq!(r.outcome.core().first_compromise_h, Some(5.0));
            assert_eq!(r.outcome.core().time_to_detect_h, Some(2.0));
            assert_eq!(r.outcome.get(detections).count(), r.outcome.core().compromised, "each compromise is seen");
        }
    }

    #[test]
    fn unknown_zones_are_reported() {
        let text = lan(10, "-60d", "", "", "[defences.monitoring]\nzones = { icu = 0.5 }\ntime_to_detect = \"1h\"");
        let err = load_error(&text);
        assert!(err.contains("unknown zone `icu`"), "{err}");
    }
}
