//! Insider misuse: staff who open patient records with no clinical reason,
//! with their own valid accounts (ATT&CK T1078) and through the systems
//! that hold the records (T1213). Nothing is broken into and nothing leaves
//! the network, but each record opened is disclosed to someone with no
//! right to it: a breach under HIPAA (no good-faith exception covers
//! snooping) and GDPR alike [S23].
//!
//! The misuse arrives as the engine says (at the attack's `start`, or at
//! each arrival of its `arrivals_per_year`): each arrival turns `insiders`
//! accounts of one staff group to misuse, for `lasts` (absent: to the end
//! of the trial). Each insider browses once a day from its arrival, at a
//! time drawn for that insider and day, opening `records_per_day` records
//! (a fractional rate carries over from day to day). It browses only what its group may open: devices
//! holding patient records that the group logs in to (`logs_in_to`) over a
//! service the device listens on, in a zone its workstations (`works_in`)
//! reach on that service; a device cut off the network or out of service
//! is skipped. Among those it moves from device to device in an order drawn
//! for that insider and day, and never opens the same record twice.
//!
//! Once its misuse is found out (a review of the access logs, say), the
//! insiders' accounts are suspended: they browse no more.
//!
//! What it reads counts twice over: `records_browsed` counts every record
//! each insider opened; the estate's `records_disclosed_inside` (through
//! [`Sim::disclose_inside`], which also keeps the breach flags) counts each
//! patient once, assuming insiders browsing one device read different
//! patients until all of its records have been seen. That is an upper
//! bound on the patients exposed, and close to what random browsing
//! exposes while they have read a small share of a device's records.

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::{ServiceId, StaffId};
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "insider"`: staff browsing records with
/// no clinical reason.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InsiderParams {
    /// Id of the staff group the insiders belong to: their accounts' access
    /// is what they misuse.
    #[schemars(with = "String")]
    pub staff: Spanned<String>,
    /// How many of the group's accounts misuse their access. Default 1
    /// (assumed: one curious employee).
    #[serde(default = "one")]
    #[schemars(with = "u32")]
    pub insiders: Spanned<u32>,
    /// Records each insider opens a day, in one browsing session. Default 10
    /// (assumed; no published rate of snooping per day was found).
    #[serde(default = "ten")]
    #[schemars(with = "f64")]
    pub records_per_day: Spanned<f64>,
    /// How long each arrival's insiders go on browsing (they stop, or
    /// leave). Absent: to the end of the trial (assumed: nothing in the
    /// scenario stops them).
    #[serde(default)]
    #[schemars(with = "Option<SimDuration>")]
    pub lasts: Option<Spanned<SimDuration>>,
    /// Records browsed, by all its insiders together, for the attack to
    /// reach its objective. Default 500: the breach size at which HIPAA
    /// requires notice to HHS and the media [S23].
    #[serde(default = "default_objective")]
    #[schemars(with = "u64")]
    pub objective_records: Spanned<u64>,
}

fn one() -> Spanned<u32> {
    Spanned::new(0..0, 1)
}

fn ten() -> Spanned<f64> {
    Spanned::new(0..0, 10.0)
}

fn default_objective() -> Spanned<u64> {
    Spanned::new(0..0, 500)
}

/// The highest rate accepted: a bulk export, not browsing.
const MAX_RATE: f64 = 1e7;

/// Registers the `insider` mechanism.
pub struct InsiderFactory;

const LOGGED_IN: EventSpec = EventSpec::new(
    "insider-login",
    "is logged in to by an insider with their own account, for no clinical reason",
    "are logged in to by insiders with their own accounts, for no clinical reason",
)
.technique("T1078");
const BROWSED: EventSpec = EventSpec::new(
    "records-browsed",
    "has patient records opened by an insider with no clinical reason",
    "have patient records opened by insiders with no clinical reason",
)
.technique("T1213");
const RECORDS: MetricSpec = MetricSpec::count(
    "records_browsed",
    "records browsed without a clinical reason",
    "patient records the insiders opened with no clinical reason, each insider's counted (records_disclosed_inside counts each patient once)",
)
.unit("records")
.lower_is_better();
const SESSIONS: MetricSpec = MetricSpec::count(
    "sessions",
    "snooping sessions",
    "daily browsing sessions in which an insider opened at least one record",
)
.unit("sessions")
.lower_is_better();
const OBJECTIVE: MetricSpec = MetricSpec::flag(
    "objective_reached",
    "objective reached",
    "the insiders browsed at least objective_records records (default 500, HIPAA's threshold for notifying HHS and the media)",
);

impl PluginSpec for InsiderFactory {
    type Params = InsiderParams;
    const KIND: &'static str = "insider";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str =
        "staff opening patient records with no clinical reason, with their own accounts (T1078, T1213)";

    fn configure(p: InsiderParams, _: &Section<'_>, scenario: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let group = scenario.staff_ref(&p.staff).map_err(|d| problems.push(d)).ok();
        let insiders = *p.insiders.get_ref();
        if let Some(g) = group {
            let staff = &scenario.staff[usize::from(g.0)];
            if insiders == 0 || insiders > staff.count {
                problems.push(
                    Diagnostic::at(
                        p.insiders.span(),
                        format!("insiders is {insiders} but staff group `{}` has {} accounts", staff.id, staff.count),
                    )
                    .with_help("at least 1, and no more insiders than the group has accounts"),
                );
            }
        }
        let rate = *p.records_per_day.get_ref();
        if !(rate.is_finite() && rate > 0.0 && rate <= MAX_RATE) {
            problems.push(Diagnostic::at(
                p.records_per_day.span(),
                format!("records_per_day must be above 0 and at most {MAX_RATE:e}, found {rate}"),
            ));
        }
        if let Some(lasts) = &p.lasts
            && *lasts.get_ref() == SimDuration::ZERO
        {
            problems.push(
                Diagnostic::at(lasts.span(), "lasts must be longer than 0s")
                    .with_help("leave it out for misuse that goes on to the end of the trial"),
            );
        }
        if *p.objective_records.get_ref() == 0 {
            problems.push(
                Diagnostic::at(p.objective_records.span(), "objective_records must be at least 1")
                    .with_help("the objective is reached once this many records have been browsed"),
            );
        }
        let Some(group) = group else { return Err(problems) };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Insider {
            plan: Arc::new(Plan {
                insiders,
                records_per_day: rate,
                lasts: p.lasts.map(|s| *s.get_ref()),
                objective: *p.objective_records.get_ref(),
                within_reach: within_reach(scenario, group),
            }),
        }))
    }
}

/// The devices holding patient records that the accounts of `group` may
/// open from where they work, with their records, in device order: the
/// group logs in to the device's zone over a service the device listens
/// on, and its workstations' zone reaches the device's on that service.
fn within_reach(s: &Scenario, group: StaffId) -> Vec<(DeviceIndex, u64)> {
    let g = &s.staff[usize::from(group.0)];
    let Some(home) = g.works_in else { return Vec::new() };
    (0..s.device_count())
        .filter_map(|d| {
            let slot = s.devices[d as usize];
            let t = &s.device_types[usize::from(slot.device_type.0)];
            let opens = (0..s.services.len()).map(|i| ServiceId(i as u8)).any(|svc| {
                t.services.contains(svc) && g.can_log_in(slot.zone, svc) && s.network.reaches(home, slot.zone, svc)
            });
            (t.patient_records > 0 && opens).then_some((d, t.patient_records))
        })
        .collect()
}

/// What every trial shares.
struct Plan {
    insiders: u32,
    records_per_day: f64,
    lasts: Option<SimDuration>,
    objective: u64,
    within_reach: Vec<(DeviceIndex, u64)>,
}

impl Plan {
    /// When insider `a` browses for the `k`-th time: on the `k`-th day from
    /// its arrival, at a time of day drawn for that insider and day.
    fn session_time(&self, a: &Account, k: u64) -> SimTime {
        let time_of_day = a.key.named("session").with(u64::from(a.number)).with(k).uniform() * 86_400.0;
        a.arrived + SimDuration::from_days(k) + SimDuration::from_secs_f64(time_of_day)
    }

    /// Whether a session of `a` at `t` falls before it stops.
    fn before_stop(&self, a: &Account, t: SimTime) -> bool {
        self.lasts.is_none_or(|lasts| t < a.arrived + lasts)
    }

    /// Records the `k`-th session opens: the whole records of `k + 1` days'
    /// rate less those of `k` days', so fractions carry over.
    fn records_in_session(&self, k: u64) -> u64 {
        let due = |days: u64| (days as f64 * self.records_per_day).floor() as u64;
        due(k + 1) - due(k)
    }
}

struct Insider {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    begin: HandlerId,
    session: HandlerId,
    logged_in: EventKindId,
    browsed: EventKindId,
    records: MetricId,
    sessions: MetricId,
    objective: MetricId,
}

/// One account misused, from one arrival.
struct Account {
    /// The arrival's key: the instance's own for the first arrival, keyed
    /// by the arrival's number for later ones.
    key: Key,
    /// Its number among its arrival's insiders.
    number: u32,
    arrived: SimTime,
    /// Per device within reach (in the plan's order): records it has
    /// opened there.
    read: Vec<u64>,
}

/// One trial's misuse by one instance.
struct Snooping {
    plan: Arc<Plan>,
    ids: Ids,
    /// Every account misused so far, from every arrival.
    accounts: Vec<Account>,
    /// Per device within reach: distinct records disclosed.
    disclosed: Vec<u64>,
    browsed: u64,
}

impl Plugin for Insider {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            begin: b.handler("insider.begin", begin),
            session: b.handler("insider.session", browse),
            logged_in: b.event(LOGGED_IN),
            browsed: b.event(BROWSED),
            records: b.metric(RECORDS),
            sessions: b.metric(SESSIONS),
            objective: b.metric(OBJECTIVE),
        };
        b.story(
            "browsed {records_browsed} patient {records_browsed|record|records} with no clinical reason, \
             in {sessions} {sessions|session|sessions}",
        );
        b.init_resource::<Instances<Snooping>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_arrival(ids.begin);
        b.on_trial_start(move |mut all: ResMut<Instances<Snooping>>| {
            let n = plan.within_reach.len();
            all.insert(
                me,
                Snooping { plan: plan.clone(), ids, accounts: Vec::new(), disclosed: vec![0; n], browsed: 0 },
            );
        });
    }
}

/// The misuse arrives (the event's tag counts arrivals): `insiders` more
/// accounts turn to browsing, each from its first session today.
fn begin(In(e): In<Event>, mut sim: Sim, mut all: ResMut<Instances<Snooping>>) {
    let s = all.get_mut(e.instance);
    let first = sim.key(e.instance);
    let key = if e.tag == 0 { first } else { first.named("arrival").with(e.tag) };
    for number in 0..s.plan.insiders {
        let account = Account { key, number, arrived: sim.now(), read: vec![0; s.plan.within_reach.len()] };
        let at = s.plan.session_time(&account, 0);
        if s.plan.before_stop(&account, at) {
            // Never before now: the session falls on the arrival's first day.
            let _ = sim.schedule_at(at, s.ids.session, s.accounts.len() as u32, 0);
        }
        s.accounts.push(account);
    }
}

/// Account `e.target` browses for the `e.tag`-th time, then plans its next
/// session.
///
/// Once the misuse has been found out ([`Sim::exposed`]), the insiders'
/// accounts are suspended and they browse no more.
fn browse(In(e): In<Event>, mut sim: Sim, mut all: ResMut<Instances<Snooping>>) {
    if sim.exposed(e.instance) {
        return;
    }
    let s = all.get_mut(e.instance);
    let plan = s.plan.clone();
    let (i, k) = (e.target as usize, e.tag);
    let mut left = plan.records_in_session(k);
    if left > 0 {
        let open: Vec<DeviceIndex> = plan
            .within_reach
            .iter()
            .enumerate()
            .filter(|&(j, &(d, records))| {
                let state = sim.state(d);
                s.accounts[i].read[j] < records && !state.isolated && !state.disrupted
            })
            .map(|(_, &(d, _))| d)
            .collect();
        let a = &s.accounts[i];
        let key = a.key.named("browse").with(u64::from(a.number)).with(k);
        let order = crate::common::first_by_key(&sim, key, open, usize::MAX);
        let before = s.browsed;
        for d in order {
            let j = plan.within_reach.partition_point(|&(x, _)| x < d);
            let records = plan.within_reach[j].1;
            let opened = left.min(records - s.accounts[i].read[j]);
            s.accounts[i].read[j] += opened;
            left -= opened;
            s.browsed += opened;
            sim.add(s.ids.records, opened);
            let disclosed = (s.disclosed[j] + opened).min(records);
            let new = disclosed - s.disclosed[j];
            s.disclosed[j] = disclosed;
            sim.record(d, s.ids.logged_in);
            if new > 0 {
                sim.disclose_inside(d, new, s.ids.browsed);
            } else {
                sim.record(d, s.ids.browsed);
            }
            if left == 0 {
                break;
            }
        }
        if s.browsed > before {
            sim.add(s.ids.sessions, 1);
        }
        if s.browsed >= plan.objective {
            sim.raise(s.ids.objective);
        }
    }
    let next = plan.session_time(&s.accounts[i], k + 1);
    if plan.before_stop(&s.accounts[i], next) {
        // Always later than now: session k falls within day k.
        let _ = sim.schedule_at(next, s.ids.session, e.target, k + 1);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::{Engine, MetricValue, TrialResult};

    /// An EHR server of `records` records in a server room; nurses working
    /// on the ward, whose group is `nurses` (a staff table's body); the
    /// ward reaches the servers over `ward_to_servers`; the insider's
    /// parameters in `insider`, and `extra` appended.
    fn hospital(records: u64, nurses: &str, ward_to_servers: &str, insider: &str, extra: &str) -> String {
        format!(
            r#"
            name = "snooping"
            duration = "30d"
            zones = [{{ id = "ward" }}, {{ id = "servers" }}]
            conduits = [{{ from = "ward", to = "servers", services = [{ward_to_servers}] }}]
            vulnerabilities = [{{ id = "eb", service = "smb", disclosed = "-60d" }}]
            device_types = [
              {{ id = "ehr", services = ["https", "smb"], vulnerabilities = [{{ id = "eb" }}], patient_records = {records} }},
              {{ id = "workstation", services = ["rdp"] }},
            ]
            placement = [
              {{ zone = "servers", device_type = "ehr", count = 1 }},
              {{ zone = "ward", device_type = "workstation", count = 20 }},
            ]
            [[staff]]
            id = "nurses"
            role = "clinical"
            count = 50
            works_in = "ward"
            {nurses}
            [attacks.insider]
            staff = "nurses"
            {insider}
            {extra}
            "#
        )
    }

    const NURSES: &str = "logs_in_to = [\"servers\"]\nservices = [\"https\"]";

    fn metric(e: &Engine, name: &str) -> iomtsim_sim::MetricId {
        e.model().metric(&format!("insider.{name}")).expect("declared")
    }

    /// Per trial: (records browsed, records disclosed, sessions, objective reached).
    fn outcomes(text: &str, trials: u32) -> Vec<(u64, u64, u64, bool)> {
        let e = engine(text);
        let (records, sessions, objective) =
            (metric(&e, "records_browsed"), metric(&e, "sessions"), metric(&e, "objective_reached"));
        run(text, trials, false)
            .iter()
            .map(|r: &TrialResult| {
                (
                    r.outcome.get(records).count(),
                    r.outcome.core().records_disclosed_inside,
                    r.outcome.get(sessions).count(),
                    r.outcome.get(objective) == MetricValue::Flag(true),
                )
            })
            .collect()
    }

    #[test]
    fn records_browsed_grow_with_the_daily_rate_one_session_a_day() {
        // Thirty days, one session each: exactly 30 × the rate, in every trial.
        for (rate, expected) in [("10", 300), ("25", 750), ("0.5", 15)] {
            let text = hospital(100_000, NURSES, "\"https\"", &format!("records_per_day = {rate}"), "");
            for (browsed, disclosed, sessions, _) in outcomes(&text, 10) {
                assert_eq!((browsed, disclosed), (expected, expected), "records_per_day = {rate}");
                assert_eq!(sessions, expected.min(30), "records_per_day = {rate}");
            }
        }
    }

    #[test]
    fn start_lasts_and_insiders_bound_the_misuse() {
        let with = |insider: &str| outcomes(&hospital(100_000, NURSES, "\"https\"", insider, ""), 5);
        assert!(with("start = \"5d\"").iter().all(|o| o.0 == 250 && o.2 == 25), "days 5 to 30");
        assert!(with("lasts = \"10d\"").iter().all(|o| o.0 == 100 && o.2 == 10), "days 0 to 10");
        assert!(with("start = \"5d\"\nlasts = \"10d\"").iter().all(|o| o.0 == 100 && o.2 == 10), "days 5 to 15");
        assert!(with("insiders = 3").iter().all(|o| o.0 == 900 && o.1 == 900 && o.2 == 90), "three insiders");
    }

    #[test]
    fn more_frequent_arrivals_bring_more_misuse() {
        // Each arrival turns one more nurse for five days: 50 records each.
        let with = |rate: &str| {
            let text =
                hospital(100_000, NURSES, "\"https\"", &format!("lasts = \"5d\"\narrivals_per_year = {rate}"), "")
                    .replace("duration = \"30d\"", "duration = \"365d\"");
            outcomes(&text, 200)
        };
        let browsed = |os: &[(u64, u64, u64, bool)]| mean_ci(&os.iter().map(|o| o.0 as f64).collect::<Vec<_>>());
        let (rare, often) = (with("2.0"), with("8.0"));
        assert_clearly_below(browsed(&rare), browsed(&often), "records browsed at 2 arrivals a year");
        // About 50 records per arrival (one cut short by the trial's end at most).
        let (mean, half) = browsed(&often);
        assert!((mean - 400.0).abs() < half + 30.0, "8 arrivals a year × 50 records: {mean:.0} ± {half:.0}");
        assert!(with("0.0").iter().all(|o| o.0 == 0), "no arrival, no misuse");
    }

    #[test]
    fn nobody_reads_a_record_twice_nor_more_records_than_exist() {
        // 50 records: one insider reads them all in three days, then finds
        // nothing new; two insiders read 100 between them but expose 50 patients.
        for (browsed, disclosed, sessions, _) in
            outcomes(&hospital(50, NURSES, "\"https\"", "records_per_day = 20", ""), 5)
        {
            assert_eq!((browsed, disclosed, sessions), (50, 50, 3));
        }
        for (browsed, disclosed, _, _) in
            outcomes(&hospital(50, NURSES, "\"https\"", "records_per_day = 20\ninsiders = 2", ""), 5)
        {
            assert_eq!((browsed, disclosed), (100, 50));
        }
    }

    #[test]
    fn an_insider_reads_nothing_outside_its_groups_access() {
        for (nurses, conduit) in [
            ("logs_in_to = [\"ward\"]\nservices = [\"https\"]", "\"https\""), // no login rights in the servers' zone
            ("logs_in_to = [\"servers\"]\nservices = [\"ssh\"]", "\"https\""), // a service the server does not offer
            (NURSES, "\"smb\""), // the ward cannot reach the server over HTTPS
        ] {
            let text = hospital(100_000, nurses, conduit, "records_per_day = 50", "");
            for r in run(&text, 5, true) {
                assert_eq!(r.outcome.core().records_disclosed_inside, 0, "{nurses} over [{conduit}]");
                assert!(r.events.is_empty(), "no session is recorded");
            }
        }
        // A domain administrator logs in everywhere.
        let admins = hospital(100_000, NURSES, "\"https\"", "records_per_day = 50", "")
            .replace("role = \"clinical\"", "role = \"domain-administrator\"")
            .replace("logs_in_to = [\"servers\"]", "logs_in_to = [\"ward\"]");
        assert!(outcomes(&admins, 5).iter().all(|o| o.0 == 1500));
    }

    #[test]
    fn a_server_out_of_service_cannot_be_browsed() {
        // The EHR server is encrypted by ransomware a minute in; the insider starts an hour in.
        let text = hospital(
            100_000,
            NURSES,
            "\"https\"",
            "start = \"1h\"",
            "[attacks.worm]\nexploit = \"eb\"\nscans_per_hour = 1.0\nentry_zone = \"servers\"\nentry_devices = 1\n\
             [attacks.ransomware]\nfollows = [\"worm\"]\ndelay = \"1m\"",
        );
        assert!(outcomes(&text, 5).iter().all(|o| o.0 == 0));
    }

    #[test]
    fn the_objective_is_the_records_browsed() {
        let text = |objective: u32| {
            hospital(
                100_000,
                NURSES,
                "\"https\"",
                &format!("records_per_day = 10\nobjective_records = {objective}"),
                "",
            )
        };
        assert!(outcomes(&text(300), 5).iter().all(|o| o.3), "300 browsed in 30 days");
        assert!(outcomes(&text(301), 5).iter().all(|o| !o.3));
    }

    #[test]
    fn bad_parameters_are_reported() {
        let err =
            load_error(&hospital(10, NURSES, "\"https\"", "", "").replace("staff = \"nurses\"", "staff = \"nurse\""));
        assert!(err.contains("unknown staff group `nurse`"), "{err}");
        let err = load_error(&hospital(10, NURSES, "\"https\"", "insiders = 51", ""));
        assert!(err.contains("insiders is 51 but staff group `nurses` has 50 accounts"), "{err}");
        let err = load_error(&hospital(10, NURSES, "\"https\"", "lasts = \"0s\"", ""));
        assert!(err.contains("lasts must be longer than 0s"), "{err}");
        let err = load_error(&hospital(10, NURSES, "\"https\"", "records_per_day = 0", ""));
        assert!(err.contains("records_per_day must be above 0"), "{err}");
    }

    #[test]
    fn the_teaching_scenario_loads_runs_and_reaches_its_objective() {
        let text = include_str!("../../../scenarios/threats/insider.toml");
        let e = engine(text);
        let objective = metric(&e, "objective_reached");
        let results = run(text, 20, false);
        assert!(results.iter().any(|r| r.outcome.get(objective) == MetricValue::Flag(true)));
        assert!(results.iter().all(|r| r.outcome.core().breach_notifiable_gdpr));
    }
}
