//! Monitoring (an IDS, EDR or log review): a compromise in a watched zone
//! is seen, with the zone's coverage (and, where the table says, the
//! technique's detection rate) as probability, after a time to detect. An
//! alert becomes a detection only if somebody acts on it: a monitor-only
//! deployment (as at the HSE, whose antivirus alerts nobody followed up
//! [S9]) raises alerts and detects nothing. Every alert looked at, false
//! alarms too, costs the security team triage time. A signature detector
//! (a few techniques, few false alarms) and an anomaly detector (any
//! technique, many false alarms) are two instances of this mechanism.
//! What happens after a detection is incident response's business.

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
    /// Time from compromise to detection for a compromise by a technique
    /// whose indicators are known (shared by a threat-intelligence feed):
    /// such a compromise is seen with the zone's coverage whatever
    /// `techniques` says. Absent: indicators change nothing.
    #[serde(default)]
    pub time_to_detect_with_indicators: Option<Distribution>,
    /// Probability of seeing a compromise made by each ATT&CK technique,
    /// by id (e.g. `{ T1210 = 0.9, T1021 = 0.2 }`), multiplying the zone's
    /// coverage; techniques not listed are seen with `other_techniques`.
    /// A technique listed here is also watched in the steps an attack takes
    /// on a device it holds without changing its state (records sent out
    /// over a command-and-control channel, T1041, say): such a step is seen
    /// with the same probability, and detects that device's compromise.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Probability>")]
    pub techniques: BTreeMap<Spanned<String>, Probability>,
    /// Probability of seeing a compromise by a technique `techniques` does
    /// not list (or by no technique). Default 1.
    #[serde(default = "Probability::one")]
    pub other_techniques: Probability,
    /// Share of alerts somebody acts on. Default 1; 0 is monitor-only: the
    /// alerts are raised and nobody follows them up.
    #[serde(default = "Probability::one")]
    pub acted_on: Probability,
    /// False alarms a day, each triaged like a true alert. Default 0.
    #[serde(default)]
    #[schemars(with = "f64")]
    pub false_alarms_per_day: Option<Spanned<f64>>,
    /// Security-team hours to triage one alert, true or false. Default 0.5
    /// (assumed).
    #[serde(default = "default_triage")]
    #[schemars(with = "f64")]
    pub triage_hours: Spanned<f64>,
}

fn default_triage() -> Spanned<f64> {
    Spanned::new(0..0, 0.5)
}

/// Registers the `monitoring` mechanism.
pub struct MonitoringFactory;

const ALERT: EventSpec =
    EventSpec::new("alert", "is found compromised by monitoring", "are found compromised by monitoring");
const IGNORED: EventSpec =
    EventSpec::new("alert-ignored", "raises an alert that nobody acts on", "raise alerts that nobody acts on");
const IGNORED_ALERTS: MetricSpec = MetricSpec::count(
    "alerts_ignored",
    "alerts nobody acted on",
    "true alerts of compromises that nobody followed up (monitor-only, or lost in the noise)",
)
.unit("alerts")
.lower_is_better();
const FALSE_ALARMS: MetricSpec = MetricSpec::count(
    "false_alarms",
    "false alarms",
    "alerts of compromises that never happened, raised during the trial",
)
.unit("alerts")
.lower_is_better();
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
        let mut techniques = Vec::new();
        for (id, p) in &params.techniques {
            match crate::common::technique_ref(id, id.span()) {
                Ok(t) => techniques.push((t, p.get())),
                Err(d) => problems.push(d),
            }
        }
        let false_alarms = params.false_alarms_per_day.as_ref().map_or(0.0, |r| *r.get_ref());
        if let Some(r) = &params.false_alarms_per_day
            && !(false_alarms.is_finite() && (0.0..=100_000.0).contains(&false_alarms))
        {
            problems.push(Diagnostic::at(
                r.span(),
                format!("false_alarms_per_day must be between 0 and 100,000, found {false_alarms}"),
            ));
        }
        let triage = *params.triage_hours.get_ref();
        if !(triage.is_finite() && (0.0..=1_000.0).contains(&triage)) {
            problems.push(Diagnostic::at(
                params.triage_hours.span(),
                format!("triage_hours must be between 0 and 1,000, found {triage}"),
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Monitoring {
            plan: Arc::new(Plan {
                coverage,
                time_to_detect: params.time_to_detect,
                with_indicators: params.time_to_detect_with_indicators,
                techniques,
                other_techniques: params.other_techniques.get(),
                acted_on: params.acted_on.get(),
                false_alarms_per_day: false_alarms,
                triage_hours: triage,
            }),
        }))
    }
}

struct Plan {
    coverage: Vec<f64>,
    time_to_detect: Distribution,
    with_indicators: Option<Distribution>,
    /// Detection rate per technique listed.
    techniques: Vec<(&'static str, f64)>,
    other_techniques: f64,
    acted_on: f64,
    false_alarms_per_day: f64,
    triage_hours: f64,
}

impl Plan {
    /// Probability of seeing a compromise in `zone` by `technique`.
    fn sees(&self, zone: usize, technique: Option<&str>) -> f64 {
        let by_technique = technique
            .and_then(|t| self.techniques.iter().find(|(x, _)| *x == t))
            .map_or(self.other_techniques, |(_, p)| *p);
        self.coverage[zone] * by_technique
    }
}

struct Monitoring {
    plan: Arc<Plan>,
}

/// One instance's parameters and ids, for its handlers.
struct Watch {
    plan: Arc<Plan>,
    detect: HandlerId,
    alert: EventKindId,
    ignored: EventKindId,
    detections: MetricId,
    ignored_alerts: MetricId,
}

impl Plugin for Monitoring {
    fn build(&self, b: &mut SimBuilder) {
        let seen = b.handler("monitoring.compromise_seen", compromise_seen);
        b.on_transition(Transition::Compromised, seen);
        if !self.plan.techniques.is_empty() {
            let step = b.handler("monitoring.step_seen", step_seen);
            b.on_step(step);
        }
        let detect = b.handler("monitoring.detect", detect_compromise);
        let alert = b.event(ALERT);
        let ignored = b.event(IGNORED);
        let detections = b.metric(DETECTIONS);
        let ignored_alerts = b.metric(IGNORED_ALERTS);
        let false_alarms = b.metric(FALSE_ALARMS);
        b.story(
            "detected {detections} {detections|compromise|compromises}; {alerts_ignored} \
             {alerts_ignored|alert|alerts} went unheeded, beside {false_alarms} false \
             {false_alarms|alarm|alarms}",
        );
        b.init_resource::<Instances<Watch>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut sim: Sim, mut watches: ResMut<Instances<Watch>>| {
            watches.insert(me, Watch { plan: plan.clone(), detect, alert, ignored, detections, ignored_alerts });
            raise_false_alarms(&mut sim, me, &plan, false_alarms);
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
    let technique = sim.event_kind(EventKindId(e.tag as u16)).technique;
    let epoch = u64::from(sim.state(d).epoch);
    let key = sim.key(e.instance).and(sim.state(d).cause);
    let indicated = match (&w.plan.with_indicators, technique) {
        (Some(with), Some(t)) if sim.indicators_known(t) => Some(with),
        _ => None,
    };
    let p = if indicated.is_some() { w.plan.coverage[zone] } else { w.plan.sees(zone, technique) };
    if key.named("seen").bernoulli(p) {
        let delay = indicated.unwrap_or(&w.plan.time_to_detect).draw(key.named("delay"));
        sim.schedule_in(delay, w.detect, d, epoch);
    }
}

/// An attack took a step on a device without changing its state: if the
/// step's technique is one this monitoring lists and the device is
/// compromised, the step may be seen, and the compromise detected after
/// the time to detect. Draws are keyed by the compromise and the step.
fn step_seen(In(e): In<Event>, mut sim: Sim, watches: Res<Instances<Watch>>) {
    let w = watches.get(e.instance);
    let d = e.target;
    let kind = EventKindId(e.tag as u16);
    let Some(technique) = sim.event_kind(kind).technique else { return };
    let Some(&(_, p)) = w.plan.techniques.iter().find(|(t, _)| *t == technique) else { return };
    let state = sim.state(d);
    if !state.compromised || state.detected {
        return;
    }
    let zone = usize::from(sim.device(d).zone.0);
    let key = sim.key(e.instance).and(state.cause).named("step").with(e.tag);
    if key.named("seen").bernoulli(w.plan.coverage[zone] * p) {
        let delay = w.plan.time_to_detect.draw(key.named("delay"));
        sim.schedule_in(delay, w.detect, d, u64::from(state.epoch));
    }
}

/// The alert is raised: somebody acts on it (and spends the triage time),
/// and the compromise is detected; or nobody does.
fn detect_compromise(In(e): In<Event>, mut sim: Sim, watches: Res<Instances<Watch>>) {
    let w = watches.get(e.instance);
    let s = sim.state(e.target);
    if !s.compromised || u64::from(s.epoch) != e.tag {
        return;
    }
    let key = sim.key(e.instance).and(s.cause);
    if !key.named("acted-on").bernoulli(w.plan.acted_on) {
        sim.record(e.target, w.ignored);
        sim.add(w.ignored_alerts, 1);
        return;
    }
    sim.spend_analyst_hours(w.plan.triage_hours);
    if sim.detect(e.target, w.alert) {
        sim.add(w.detections, 1);
    }
}

/// The trial's false alarms: a Poisson count over the trial, each looked
/// at (with the share of alerts acted on) for the triage time.
fn raise_false_alarms(sim: &mut Sim, me: InstanceId, plan: &Plan, metric: MetricId) {
    if plan.false_alarms_per_day <= 0.0 {
        return;
    }
    let key = sim.key(me).named("false-alarms");
    let days = sim.horizon().as_hours_f64() / 24.0;
    let (mut t, mut n, mut triaged) = (0.0, 0u64, 0u64);
    loop {
        t += key.with(n).exp1() / plan.false_alarms_per_day;
        if t > days {
            break;
        }
        triaged += u64::from(key.with(n).named("acted-on").bernoulli(plan.acted_on));
        n += 1;
    }
    sim.add(metric, n);
    sim.spend_analyst_hours(triaged as f64 * plan.triage_hours);
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

    const SCENARIO: &str = include_str!("../../../scenarios/defences/monitoring.toml");

    #[test]
    fn the_shipped_monitoring_contains_the_worm_once_in_and_costs_analyst_hours() {
        let bare = without(SCENARIO, "defences.monitoring");
        let ignored = SCENARIO.replace("acted_on = 1.0", "acted_on = 0.0");
        let (on, off, only) = (run(SCENARIO, 100, false), run(&bare, 100, false), run(&ignored, 100, false));
        assert_clearly_below(compromised(&on), compromised(&off), "compromised under monitoring");
        let hours = |r: &[iomtsim_sim::TrialResult]| {
            mean_ci(&r.iter().map(|t| t.outcome.core().analyst_hours).collect::<Vec<_>>())
        };
        assert_clearly_below(hours(&off), hours(&on), "analyst hours without monitoring");
        // Monitoring sees the worm once it is in; it does not keep it out:
        // the first compromise comes at the same moment of every trial.
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(a.outcome.core().first_compromise_h, b.outcome.core().first_compromise_h);
        }
        // Monitor-only: the same trials as no monitoring at all.
        for (a, b) in only.iter().zip(&off) {
            assert_eq!(a.outcome.core().compromised, b.outcome.core().compromised);
            assert!(!a.outcome.core().detected);
        }
    }

    #[test]
    fn alerts_nobody_acts_on_detect_nothing() {
        // Monitor-only: every compromise raises an alert, and the outbreak
        // runs as if nobody watched.
        let only = format!("[defences.monitoring]\ntime_to_detect = \"1h\"\nacted_on = 0.0\n{RESPOND}");
        let (watched, unwatched) =
            (run(&lan(300, "-60d", "", "", &only), 30, false), run(&lan(300, "-60d", "", "", RESPOND), 30, false));
        let text = lan(300, "-60d", "", "", &only);
        let ignored = metric(&text, &watched, "monitoring.alerts_ignored");
        for ((a, b), n) in watched.iter().zip(&unwatched).zip(&ignored) {
            assert!(!a.outcome.core().detected);
            assert_eq!(a.outcome.core().compromised, b.outcome.core().compromised);
            assert!(*n > 0.0, "the alerts were raised");
            assert_eq!(a.outcome.core().analyst_hours, 0.0, "nobody looked at them");
        }
    }

    #[test]
    fn a_technique_the_detector_does_not_know_goes_unseen() {
        // The worm's exploit is T1210; a detector blind to it sees only
        // the entry device, which fell some other way.
        let blind =
            lan(100, "-60d", "", "", "[defences.monitoring]\ntime_to_detect = \"1h\"\ntechniques = { T1210 = 0.0 }");
        let results = run(&blind, 10, false);
        for (r, n) in results.iter().zip(metric(&blind, &results, "monitoring.detections")) {
            assert!(r.outcome.core().compromised > 50 && n == 1.0, "{n}");
        }
        let only = lan(
            100,
            "-60d",
            "",
            "",
            "[defences.monitoring]\ntime_to_detect = \"1h\"\ntechniques = { T1210 = 1.0 }\nother_techniques = 0.0",
        );
        let results = run(&only, 10, false);
        for (r, n) in results.iter().zip(metric(&only, &results, "monitoring.detections")) {
            assert_eq!(n, (r.outcome.core().compromised - 1) as f64, "all but the entry");
        }
        let err = load_error(&lan(
            10,
            "-60d",
            "",
            "",
            "[defences.monitoring]\ntime_to_detect = \"1h\"\ntechniques = { T9999 = 1.0 }",
        ));
        assert!(err.contains("unknown ATT&CK technique `T9999`"), "{err}");
    }

    #[test]
    fn false_alarms_cost_analyst_hours_and_nothing_else() {
        let noisy = lan(
            300,
            "-60d",
            "",
            "",
            "[defences.monitoring]\ntime_to_detect = \"1h\"\nfalse_alarms_per_day = 10.0\ntriage_hours = 0.5",
        );
        let quiet = lan(300, "-60d", "", "", "[defences.monitoring]\ntime_to_detect = \"1h\"\ntriage_hours = 0.5");
        let (a, b) = (run(&noisy, 30, false), run(&quiet, 30, false));
        let alarms = metric(&noisy, &a, "monitoring.false_alarms");
        let (n, _) = mean_ci(&alarms);
        assert!((n - 100.0).abs() < 10.0, "ten a day for ten days: {n}");
        for ((x, y), f) in a.iter().zip(&b).zip(&alarms) {
            assert_eq!(x.outcome.core().compromised, y.outcome.core().compromised);
            let extra = x.outcome.core().analyst_hours - y.outcome.core().analyst_hours;
            assert!((extra - 0.5 * f).abs() < 1e-9, "half an hour per false alarm");
        }
    }

    #[test]
    fn a_signature_and_an_anomaly_detector_together_see_what_either_sees_and_cost_both() {
        // A signature detector that knows the worm's exploit (T1210), fast
        // and quiet, beside an anomaly detector that sees any technique
        // less often and later, with many false alarms (assumed). With no
        // response, detection changes nothing else, so each trial's first
        // detection with both is the earlier of each alone, and the
        // analysts' hours add up.
        const SIGNATURE: &str = "[defences.signature]\nkind = \"monitoring\"\ntime_to_detect = \"1h\"\n\
                                 techniques = { T1210 = 0.3 }\nother_techniques = 0.0\nfalse_alarms_per_day = 0.5";
        const ANOMALY: &str = "[defences.anomaly]\nkind = \"monitoring\"\n\
                               time_to_detect = { dist = \"lognormal\", median = \"6h\", p90 = \"2d\" }\n\
                               other_techniques = 0.2\nfalse_alarms_per_day = 5.0";
        let scenario = |defences: &str| lan(300, "-60d", "", "", defences);
        let (sig, anom, both) = (
            run(&scenario(SIGNATURE), 30, false),
            run(&scenario(ANOMALY), 30, false),
            run(&scenario(&format!("{SIGNATURE}\n{ANOMALY}")), 30, false),
        );
        let mut earlier_than_signature = 0;
        for ((s, a), b) in sig.iter().zip(&anom).zip(&both) {
            let (s, a, b) = (s.outcome.core(), a.outcome.core(), b.outcome.core());
            assert_eq!(b.compromised, s.compromised, "detection alone stops nothing");
            let first = match (s.time_to_detect_h, a.time_to_detect_h) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            assert_eq!(b.time_to_detect_h, first, "the first to see it detects it");
            earlier_than_signature +=
                usize::from(b.time_to_detect_h < s.time_to_detect_h || s.time_to_detect_h.is_none());
            assert!(
                (b.analyst_hours - (s.analyst_hours + a.analyst_hours)).abs() < 1e-9,
                "each triages its own alerts"
            );
        }
        assert!(earlier_than_signature > 0, "the anomaly detector sometimes sees first");
        // Together they detect more of the compromises than either alone.
        let both_text = scenario(&format!("{SIGNATURE}\n{ANOMALY}"));
        let together: Vec<f64> = metric(&both_text, &both, "signature.detections")
            .iter()
            .zip(metric(&both_text, &both, "anomaly.detections"))
            .map(|(x, y)| x + y)
            .collect();
        for (alone, text, runs) in [("signature", SIGNATURE, &sig), ("anomaly", ANOMALY, &anom)] {
            let own = metric(&scenario(text), runs, &format!("{alone}.detections"));
            assert_clearly_below(mean_ci(&own), mean_ci(&together), &format!("compromises detected, {alone} alone"));
        }
    }

    #[test]
    fn unknown_zones_are_reported() {
        let text = lan(10, "-60d", "", "", "[defences.monitoring]\nzones = { icu = 0.5 }\ntime_to_detect = \"1h\"");
        let err = load_error(&text);
        assert!(err.contains("unknown zone `icu`"), "{err}");
    }
}
