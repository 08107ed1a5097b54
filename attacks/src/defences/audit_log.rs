//! Audit logging and its review: the systems log every use of the
//! techniques the table lists (an account logging in, records opened,
//! settings changed), and the logs are reviewed at a fixed interval. A
//! review finds each logged misuse with a probability; the first finding
//! exposes the attack that made it ([`Sim::expose`]), which answers as it
//! does (an insider's account is suspended). It acts after the fact: what
//! was read before the review was read.
//!
//! Tamper-evident logs (hash-chained or written once, what guidance reaches
//! for with "blockchain") cannot be altered unseen. Plain logs can: an
//! attacker who controls the device that logged the event when the review
//! comes has wiped it. Tamper evidence protects the record of what
//! happened; it stops no attack, and does not help against an insider who
//! uses their own rights, whose actions are logged either way.

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "audit_log"`: logging and log review.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditLogParams {
    /// ATT&CK techniques whose use the logs record, by id. Default
    /// `["T1078", "T1213"]`: valid accounts used and records opened.
    #[serde(default = "default_techniques")]
    #[schemars(with = "Vec<String>")]
    pub techniques: Vec<Spanned<String>>,
    /// Time between reviews of the logs; the first is this long after the
    /// trial starts.
    #[schemars(with = "SimDuration")]
    pub review_every: Spanned<SimDuration>,
    /// Probability that a review finds a given logged misuse. Default 0.2
    /// (assumed: reviews sample the logs, or alert on unusual access).
    #[serde(default = "default_finds")]
    pub finds: Probability,
    /// The logs cannot be altered unseen. Default true; false lets an
    /// attacker who controls a device at the review wipe what it logged.
    #[serde(default = "yes")]
    pub tamper_evident: bool,
}

fn default_techniques() -> Vec<Spanned<String>> {
    ["T1078", "T1213"].iter().map(|t| Spanned::new(0..0, (*t).to_owned())).collect()
}

fn default_finds() -> Probability {
    Probability::new(0.2).unwrap_or_default()
}

fn yes() -> bool {
    true
}

/// Registers the `audit_log` mechanism.
pub struct AuditLogFactory;

const FOUND: EventSpec = EventSpec::new(
    "misuse-found-in-logs",
    "is where a review of the logs finds an attacker's or insider's misuse",
    "are where reviews of the logs find attackers' or insiders' misuse",
);
const REVIEWS: MetricSpec =
    MetricSpec::count("reviews", "log reviews", "reviews of the audit logs during the trial").unit("reviews");
const FINDINGS: MetricSpec = MetricSpec::count(
    "misuse_found",
    "misuse found in the logs",
    "logged uses of the listed techniques that a review found",
)
.unit("events")
.higher_is_better();
const WIPED: MetricSpec = MetricSpec::count(
    "log_entries_wiped",
    "log entries wiped",
    "logged misuse an attacker wiped from plain (not tamper-evident) logs before a review",
)
.unit("events")
.lower_is_better();
const DISCOVERY: MetricSpec = MetricSpec::hours(
    "time_to_discovery",
    "hours to discovery in the logs",
    "hours from the first logged misuse to the review that first found any, in trials where one did",
)
.lower_is_better();

impl PluginSpec for AuditLogFactory {
    type Params = AuditLogParams;
    const KIND: &'static str = "audit_log";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "audit logs (tamper-evident or not) reviewed periodically: misuse found after the fact exposes its attack";

    fn configure(
        params: AuditLogParams,
        section: &Section<'_>,
        _: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut techniques = Vec::new();
        for id in &params.techniques {
            match crate::common::technique_ref(id, section.span()) {
                Ok(t) => techniques.push(t),
                Err(d) => problems.push(d),
            }
        }
        let every = *params.review_every.get_ref();
        if every < SimDuration::from_hours(1) {
            problems.push(
                Diagnostic::at(params.review_every.span(), "log reviews must be at least an hour apart")
                    .with_help("a weekly review is `7d`"),
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(AuditLog {
            plan: Arc::new(Plan {
                techniques,
                every,
                finds: params.finds.get(),
                tamper_evident: params.tamper_evident,
            }),
        }))
    }
}

struct Plan {
    techniques: Vec<&'static str>,
    every: SimDuration,
    finds: f64,
    tamper_evident: bool,
}

struct AuditLog {
    plan: Arc<Plan>,
}

/// A logged use of a listed technique.
struct Entry {
    kind: EventKindId,
    device: DeviceIndex,
    at: SimTime,
    /// Its number in the log, to key the review's draw.
    number: u64,
}

/// One instance's plan, ids and log.
struct Log {
    plan: Arc<Plan>,
    review: HandlerId,
    found: EventKindId,
    reviews: MetricId,
    findings: MetricId,
    wiped: MetricId,
    discovery: MetricId,
    /// Entries since the last review.
    pending: Vec<Entry>,
    logged: u64,
    first_logged: Option<SimTime>,
    discovered: bool,
}

impl Plugin for AuditLog {
    fn build(&self, b: &mut SimBuilder) {
        let log = b.handler("audit_log.log", log_event);
        b.on_event(log);
        let review = b.handler("audit_log.review", review);
        let found = b.event(FOUND);
        let (reviews, findings, wiped, discovery) =
            (b.metric(REVIEWS), b.metric(FINDINGS), b.metric(WIPED), b.metric(DISCOVERY));
        b.story(
            "{reviews} {reviews|review|reviews} of the logs found {misuse_found} logged \
             {misuse_found|misuse|misuses}; {log_entries_wiped} {log_entries_wiped|entry was|entries were} wiped",
        );
        b.init_resource::<Instances<Log>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut sim: Sim, mut all: ResMut<Instances<Log>>| {
            all.insert(
                me,
                Log {
                    plan: plan.clone(),
                    review,
                    found,
                    reviews,
                    findings,
                    wiped,
                    discovery,
                    pending: Vec::new(),
                    logged: 0,
                    first_logged: None,
                    discovered: false,
                },
            );
            sim.schedule_in(plan.every, review, 0, 1);
        });
    }
}

/// Every event of a listed technique is logged.
fn log_event(In(e): In<Event>, sim: Sim, mut all: ResMut<Instances<Log>>) {
    let log = all.get_mut(e.instance);
    let kind = EventKindId(e.tag as u16);
    let Some(t) = sim.event_kind(kind).technique else { return };
    if !log.plan.techniques.contains(&t) {
        return;
    }
    let now = sim.now();
    log.first_logged.get_or_insert(now);
    log.pending.push(Entry { kind, device: e.target, at: now, number: log.logged });
    log.logged += 1;
}

/// Review number `e.tag`: each entry since the last review is wiped (plain
/// logs on a device an attacker controls) or found with the plan's
/// probability, keyed by its number in the log; a finding exposes the
/// attack that made it.
fn review(In(e): In<Event>, mut sim: Sim, mut all: ResMut<Instances<Log>>) {
    let log = all.get_mut(e.instance);
    sim.add(log.reviews, 1);
    sim.schedule_in(log.plan.every, log.review, 0, e.tag + 1);
    let key = sim.key(e.instance).named("found");
    for entry in std::mem::take(&mut log.pending) {
        if !log.plan.tamper_evident && sim.state(entry.device).compromised {
            sim.add(log.wiped, 1);
            continue;
        }
        if !key.with(entry.number).bernoulli(log.plan.finds) {
            continue;
        }
        sim.add(log.findings, 1);
        if !std::mem::replace(&mut log.discovered, true) {
            let since = log.first_logged.unwrap_or(entry.at);
            sim.set_hours(log.discovery, (sim.now() - since).as_hours_f64());
        }
        let source = sim.event_kind(entry.kind).source;
        sim.expose(source, entry.device, log.found);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    const SCENARIO: &str = include_str!("../../../scenarios/defences/audit_log.toml");

    #[test]
    fn reviewed_logs_stop_the_snooping_after_the_fact_but_not_a_worm() {
        let bare = without(SCENARIO, "defences.audit_log");
        let (on, off) = (run(SCENARIO, 60, false), run(&bare, 60, false));
        let browsed = |t: &str, r: &[_]| mean_ci(&metric(t, r, "snooping.records_browsed"));
        assert_clearly_below(browsed(SCENARIO, &on), browsed(&bare, &off), "records browsed with reviewed logs");
        // After the fact: the first week's browsing happens either way.
        assert!(metric(SCENARIO, &on, "snooping.records_browsed").iter().all(|&n| n >= 60.0));
        assert!(metric(SCENARIO, &on, "audit_log.time_to_discovery").iter().all(|&h| h > 0.0));
        // The logs stop no attack: beside the nurse, a worm exploiting an
        // RDP flaw (T1210, which they do not record) takes the same ward
        // workstations in every trial, reviewed or not.
        let (wormy_on, wormy_off) = (with_rdp_worm(SCENARIO), with_rdp_worm(&bare));
        let (on, off) = (run(&wormy_on, 60, false), run(&wormy_off, 60, false));
        let infections = metric(&wormy_on, &on, "worm.infections");
        assert!(infections.iter().any(|&n| n > 1.0), "the worm spreads beyond its entry");
        assert_eq!(infections, metric(&wormy_off, &off, "worm.infections"), "workstations the worm took");
        assert!(metric(&wormy_on, &on, "audit_log.misuse_found").iter().all(|&n| n > 0.0), "the nurse is found");
    }

    #[test]
    fn a_review_that_finds_nothing_stops_nobody() {
        let blind = SCENARIO.replace("finds = 0.2", "finds = 0.0");
        let bare = without(SCENARIO, "defences.audit_log");
        let (a, b) = (run(&blind, 20, false), run(&bare, 20, false));
        assert_eq!(metric(&blind, &a, "snooping.records_browsed"), metric(&bare, &b, "snooping.records_browsed"));
        // Reviewed monthly rather than weekly, the snooping goes on longer.
        let monthly = SCENARIO.replace("review_every = \"7d\"", "review_every = \"30d\"");
        let (m, w) = (run(&monthly, 40, false), run(SCENARIO, 40, false));
        let browsed = |t: &str, r: &[_]| mean_ci(&metric(t, r, "snooping.records_browsed"));
        assert_clearly_below(browsed(SCENARIO, &w), browsed(&monthly, &m), "records browsed under weekly review");
    }

    #[test]
    fn plain_logs_lose_what_an_attacker_controls() {
        // The worm's exploitation (T1210) is logged on the devices it takes;
        // it still holds them at the review.
        let text = |evident: bool| {
            lan(
                100,
                "-60d",
                "",
                "",
                &format!(
                    "[defences.audit_log]\ntechniques = [\"T1210\"]\nreview_every = \"9d\"\nfinds = 1.0\ntamper_evident = {evident}"
                ),
            )
        };
        let (evident, plain) = (run(&text(true), 10, false), run(&text(false), 10, false));
        assert!(metric(&text(true), &evident, "audit_log.misuse_found").iter().all(|&n| n > 50.0));
        assert!(metric(&text(false), &plain, "audit_log.misuse_found").iter().all(|&n| n == 0.0));
        assert!(metric(&text(false), &plain, "audit_log.log_entries_wiped").iter().all(|&n| n > 50.0));
        for (a, b) in evident.iter().zip(&plain) {
            assert_eq!(a.outcome.core().compromised, b.outcome.core().compromised, "no attack is stopped");
        }
    }

    #[test]
    fn unknown_techniques_are_reported() {
        let err = load_error(&SCENARIO.replace("techniques = [\"T1078\", \"T1213\"]", "techniques = [\"T0000\"]"));
        assert!(err.contains("unknown ATT&CK technique `T0000`"), "{err}");
    }
}
