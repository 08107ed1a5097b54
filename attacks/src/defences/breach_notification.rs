//! Breach-notification compliance: the hospital's process for telling the
//! regulator when patient records have left. It becomes aware of a breach
//! once records have left readable and it knows it has been attacked (a
//! compromise detected, or an attack's activity found out); it then
//! notifies after its process time. Under the GDPR (Art. 33) the deadline
//! is 72 hours from awareness; under HIPAA, 60 days from discovery for a
//! breach of 500 records or more [S23]. A breach the hospital never
//! becomes aware of is never notified: it counts as notifiable in the
//! outcomes, and as undiscovered here.
//!
//! It changes nothing the attacks do; it measures whether the hospital
//! would meet its deadlines, and how fast.

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "breach_notification"`: the notification
/// process.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreachNotificationParams {
    /// Time from awareness of a breach to the regulator notified (the
    /// investigation, the legal review, the form). Default log-normal with
    /// median 48h and p90 7d (assumed).
    #[serde(default = "default_notify_after")]
    pub notify_after: Distribution,
}

fn default_notify_after() -> Distribution {
    Distribution::LogNormal { median: SimDuration::from_hours(48), p90: SimDuration::from_days(7) }
}

/// GDPR Art. 33: 72 hours from awareness.
const GDPR_DEADLINE: SimDuration = SimDuration::from_hours(72);
/// HIPAA breach notification rule: 60 days from discovery.
const HIPAA_DEADLINE: SimDuration = SimDuration::from_days(60);
/// HIPAA notifies HHS within the deadline for breaches of this many records.
const HIPAA_RECORDS: u64 = 500;

/// Registers the `breach_notification` mechanism.
pub struct BreachNotificationFactory;

const AWARE: EventSpec = EventSpec::new(
    "breach-known",
    "is where the hospital learns that patient records have left",
    "are where the hospital learns that patient records have left",
);
const DISCOVERED: MetricSpec = MetricSpec::flag(
    "breach_discovered",
    "breach discovered",
    "records left readable and the hospital became aware of it during the trial",
)
.higher_is_better();
const GDPR_IN_TIME: MetricSpec = MetricSpec::flag(
    "gdpr_notified_in_time",
    "GDPR notification within 72 h",
    "the regulator was notified within 72 hours of awareness (GDPR Art. 33)",
)
.higher_is_better();
const GDPR_LATE: MetricSpec = MetricSpec::flag(
    "gdpr_deadline_missed",
    "GDPR 72-hour deadline missed",
    "a breach the hospital knew of was not notified within 72 hours of awareness (when those hours end within the trial)",
)
.lower_is_better();
const HIPAA_LATE: MetricSpec = MetricSpec::flag(
    "hipaa_deadline_missed",
    "HIPAA 60-day deadline missed",
    "a breach of 500 records or more the hospital knew of was not notified within 60 days of discovery \
     (when those days end within the trial)",
)
.lower_is_better();
const HOURS: MetricSpec = MetricSpec::hours(
    "hours_to_notify",
    "hours from awareness to notification",
    "hours from awareness of the breach to the regulator notified, in trials where it was",
)
.lower_is_better();

impl PluginSpec for BreachNotificationFactory {
    type Params = BreachNotificationParams;
    const KIND: &'static str = "breach_notification";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str = "breach-notification process: GDPR 72-hour and HIPAA 60-day deadlines met or missed";

    fn configure(
        p: BreachNotificationParams,
        _: &Section<'_>,
        _: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Ok(Box::new(BreachNotification { params: Arc::new(p) }))
    }
}

struct BreachNotification {
    params: Arc<BreachNotificationParams>,
}

/// One instance's parameters, ids and progress.
struct Process {
    params: Arc<BreachNotificationParams>,
    notify: HandlerId,
    deadline: HandlerId,
    aware: EventKindId,
    discovered: MetricId,
    gdpr_in_time: MetricId,
    gdpr_late: MetricId,
    hipaa_late: MetricId,
    hours: MetricId,
    aware_at: Option<SimTime>,
    /// How long the notification took, once made.
    took: Option<SimDuration>,
}

impl Plugin for BreachNotification {
    fn build(&self, b: &mut SimBuilder) {
        let watch = b.handler("breach_notification.watch", watch);
        b.on_event(watch);
        let notify = b.handler("breach_notification.notify", notify);
        let deadline = b.handler("breach_notification.deadline", deadline_passes);
        let aware = b.event(AWARE);
        let ids =
            (b.metric(DISCOVERED), b.metric(GDPR_IN_TIME), b.metric(GDPR_LATE), b.metric(HIPAA_LATE), b.metric(HOURS));
        b.init_resource::<Instances<Process>>();
        let (params, me) = (self.params.clone(), b.instance());
        b.on_trial_start(move |mut all: ResMut<Instances<Process>>| {
            let (discovered, gdpr_in_time, gdpr_late, hipaa_late, hours) = ids;
            all.insert(
                me,
                Process {
                    params: params.clone(),
                    notify,
                    deadline,
                    aware,
                    discovered,
                    gdpr_in_time,
                    gdpr_late,
                    hipaa_late,
                    hours,
                    aware_at: None,
                    took: None,
                },
            );
        });
    }
}

/// After every event: once records are breached (taken out or disclosed
/// inside) and the attack is known, the
/// hospital is aware of the breach, and its process starts.
fn watch(In(e): In<Event>, mut sim: Sim, mut all: ResMut<Instances<Process>>) {
    let p = all.get_mut(e.instance);
    if p.aware_at.is_some() || sim.records_breached() == 0 || !sim.attack_known() {
        return;
    }
    p.aware_at = Some(sim.now());
    sim.record(e.target, p.aware);
    sim.raise(p.discovered);
    let delay = p.params.notify_after.draw(sim.key(e.instance).named("notify"));
    sim.schedule_in(delay, p.notify, e.target, 0);
    // The deadlines run out unless the notification comes first.
    sim.schedule_in(GDPR_DEADLINE, p.deadline, e.target, 0);
    sim.schedule_in(HIPAA_DEADLINE, p.deadline, e.target, 1);
}

fn notify(In(e): In<Event>, mut sim: Sim, mut all: ResMut<Instances<Process>>) {
    let p = all.get_mut(e.instance);
    let Some(aware) = p.aware_at else { return };
    let took = sim.now() - aware;
    p.took = Some(took);
    sim.set_hours(p.hours, took.as_hours_f64());
    if took <= GDPR_DEADLINE {
        sim.raise(p.gdpr_in_time);
    }
}

/// A deadline is up (tag 0: the GDPR's 72 hours; 1: HIPAA's 60 days, for
/// a breach of 500 records or more): missed, unless notified in time.
fn deadline_passes(In(e): In<Event>, mut sim: Sim, all: Res<Instances<Process>>) {
    let p = all.get(e.instance);
    match e.tag {
        0 if p.took.is_none_or(|t| t > GDPR_DEADLINE) => sim.raise(p.gdpr_late),
        1 if p.took.is_none_or(|t| t > HIPAA_DEADLINE) && sim.records_breached() >= HIPAA_RECORDS => {
            sim.raise(p.hipaa_late);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    const SCENARIO: &str = include_str!("../../../scenarios/defences/breach_notification.toml");

    #[test]
    fn a_notification_process_meets_the_72_hours_and_changes_no_breach() {
        let bare = without(SCENARIO, "defences.breach_notification");
        let (on, off) = (run(SCENARIO, 60, false), run(&bare, 60, false));
        // Per trial, a breach the GDPR says to notify that was not notified
        // within 72 hours. Without a process nobody notifies (its metrics
        // are not even declared), so every notifiable breach counts.
        let unnotified = |text: &str, r: &[iomtsim_sim::TrialResult]| {
            let in_time = match engine(text).model().metric("breach_notification.gdpr_notified_in_time") {
                Some(_) => metric(text, r, "breach_notification.gdpr_notified_in_time"),
                None => vec![0.0; r.len()],
            };
            let late =
                r.iter().zip(&in_time).map(|(t, &n)| f64::from(t.outcome.core().breach_notifiable_gdpr && n == 0.0));
            mean_ci(&late.collect::<Vec<_>>())
        };
        assert!(engine(&bare).model().metric("breach_notification.gdpr_notified_in_time").is_none());
        assert_clearly_below(unnotified(SCENARIO, &on), unnotified(&bare, &off), "GDPR breaches left unnotified");
        // The process tells the regulator; the attacks do as before: the
        // same records leave, and the same breaches are notifiable.
        for (a, b) in on.iter().zip(&off) {
            let (a, b) = (a.outcome.core(), b.outcome.core());
            assert_eq!(a.records_exfiltrated, b.records_exfiltrated);
            assert_eq!(a.breach_notifiable_gdpr, b.breach_notifiable_gdpr);
            assert_eq!(a.breach_notifiable_hipaa, b.breach_notifiable_hipaa);
        }
        assert!(on.iter().any(|r| r.outcome.core().records_exfiltrated > 0));
    }

    #[test]
    fn a_faster_process_meets_the_72_hours() {
        let slow = SCENARIO.replace("notify_after = \"24h\"", "notify_after = \"5d\"");
        let (fast, late) = (run(SCENARIO, 60, false), run(&slow, 60, false));
        let discovered = metric(SCENARIO, &fast, "breach_notification.breach_discovered");
        let in_time = metric(SCENARIO, &fast, "breach_notification.gdpr_notified_in_time");
        let missed = metric(&slow, &late, "breach_notification.gdpr_deadline_missed");
        assert!(discovered.iter().sum::<f64>() >= 30.0, "most breaches are discovered");
        assert_eq!(in_time, discovered, "every discovered breach notified within a day");
        assert_eq!(missed, discovered, "every discovered breach notified after five days");
        // The process changes nothing the attacks do.
        for (a, b) in fast.iter().zip(&late) {
            assert_eq!(a.outcome.core().records_exfiltrated, b.outcome.core().records_exfiltrated);
        }
    }

    #[test]
    fn hipaa_allows_sixty_days() {
        let long = SCENARIO.replace("duration = \"14d\"", "duration = \"90d\"");
        let (in_time, late) = (long.clone(), long.replace("notify_after = \"24h\"", "notify_after = \"70d\""));
        let (a, b) = (run(&in_time, 30, false), run(&late, 30, false));
        assert!(metric(&in_time, &a, "breach_notification.hipaa_deadline_missed").iter().all(|&x| x == 0.0));
        let missed = metric(&late, &b, "breach_notification.hipaa_deadline_missed");
        let big: Vec<f64> = metric(&late, &b, "breach_notification.breach_discovered")
            .iter()
            .zip(&b)
            .map(|(d, r)| if *d > 0.0 && r.outcome.core().records_exfiltrated >= 500 { 1.0 } else { 0.0 })
            .collect();
        assert!(big.iter().sum::<f64>() > 10.0);
        assert_eq!(missed, big, "every breach of 500 records or more notified after 70 days is late");
    }

    #[test]
    fn a_breach_nobody_detects_is_never_notified() {
        let blind = without(SCENARIO, "defences.monitoring");
        let results = run(&blind, 30, false);
        assert!(results.iter().any(|r| r.outcome.core().records_exfiltrated > 0));
        assert!(metric(&blind, &results, "breach_notification.breach_discovered").iter().all(|&x| x == 0.0));
        assert!(metric(&blind, &results, "breach_notification.gdpr_notified_in_time").iter().all(|&x| x == 0.0));
    }
}
