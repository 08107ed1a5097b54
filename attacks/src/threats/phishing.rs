//! A human-operated intrusion that starts with an e-mail, as the Conti
//! attack on the HSE did [S9]: a phishing campaign (ATT&CK T1566) gives an
//! operator stolen accounts (T1078) and footholds where users opened the
//! attachment (T1204); from there the operator maps the network (T1046),
//! dumps the credentials cached on the devices it holds (T1003) and logs
//! in with them to more devices (T1021), until it holds a domain
//! administrator's credentials (or, where no group administers the domain,
//! a foothold in a given share of the zones).
//!
//! Every draw is keyed by what it is about, so that two designs of the same
//! hospital meet the same people and the same operator:
//! - whether an account receives the e-mail and clicks, and when, by (the
//!   group's id, the account's ordinal): the same people click in every
//!   design;
//! - the device a click lands on, by the click and each candidate device's
//!   identity ([`crate::common::first_by_key`]): the same workstation
//!   wherever it is a candidate;
//! - whether a group's credentials are cached on a device, by (the group's
//!   id, the device's identity);
//! - the operator's n-th move, its time and target, by `n`.
//!
//! What the operator may log in to is what the scenario's staff may:
//! a group's credentials open a device if the group logs in to its zone
//! over a service it listens on ([`iomtsim_sim::Staff::can_log_in`]), and
//! the operator reaches it over that service from a zone where it holds a
//! device. Devices cut off the network or rebuilt are no longer held;
//! credentials revoked by a password reset ([`Sim::revoke_credentials`])
//! no longer open anything. When the operator holds nothing any more it
//! stops, until a click still to come gives it a new foothold.

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::{ServiceSet, StaffId, StaffRole};
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "phishing"`: a phishing campaign and the
/// human operator who uses what it yields.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhishingParams {
    /// Ids of the staff groups the e-mails go to. Absent: every group that
    /// reads e-mail (`email = true`).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub targets: Option<Vec<Spanned<String>>>,
    /// Share of each targeted group's accounts the e-mail reaches; each
    /// recipient clicks with its group's `click_rate` (set on `[[staff]]`;
    /// untrained healthcare staff click 32–47% of the time [S13]). Default
    /// 1, the whole group (assumed).
    #[serde(default = "Probability::one")]
    pub recipients: Probability,
    /// Time from the e-mail's arrival to a recipient's click, when their
    /// credentials are taken and their device falls. Default log-normal
    /// with median 1h and p90 1d (assumed: the Verizon DBIR's median of
    /// 21 s to click is counted from opening the message, and people open
    /// their mail over a working day).
    #[serde(default = "default_click_delay")]
    pub click_delay: Distribution,
    /// The device type a click lands on (the workstation staff read mail
    /// on). Absent: any device of the group's `works_in` zone.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub foothold_device_type: Option<Spanned<String>>,
    /// Time from the first foothold to the operator knowing the network's
    /// services, after which it moves laterally. Default log-normal with
    /// median 1d and p90 7d (assumed).
    #[serde(default = "default_discovery_time")]
    pub discovery_time: Distribution,
    /// Time from a device's compromise to the operator dumping the
    /// credentials cached on it. Default log-normal with median 1d (assumed)
    /// and p90 13d (at the HSE, Mimikatz was seen 13 days after the
    /// phishing e-mail was opened [S9]).
    #[serde(default = "default_dumping_time")]
    pub dumping_time: Distribution,
    /// Probability that a dump of a device yields a credential of a staff
    /// group that logs in to it (cached in its memory). Default 0.3
    /// (assumed).
    #[serde(default = "default_cached")]
    pub cached_credential_probability: Probability,
    /// Devices the operator logs in to per hour, once it knows the
    /// network (one operator per campaign); 0 keeps it where the clicks put
    /// it. Default 0.25, about six a day (assumed).
    #[serde(default = "default_moves")]
    #[schemars(with = "f64")]
    pub moves_per_hour: Spanned<f64>,
    /// When set, the objective is holding devices in at least this share
    /// of the zones that hold devices. Absent: the objective is a domain
    /// administrator's credentials, or where no staff group is a domain
    /// administrator, a foothold in half the zones (assumed).
    #[serde(default)]
    pub objective_share: Option<Probability>,
}

fn default_click_delay() -> Distribution {
    Distribution::LogNormal { median: SimDuration::from_hours(1), p90: SimDuration::from_days(1) }
}

fn default_discovery_time() -> Distribution {
    Distribution::LogNormal { median: SimDuration::from_days(1), p90: SimDuration::from_days(7) }
}

fn default_dumping_time() -> Distribution {
    Distribution::LogNormal { median: SimDuration::from_days(1), p90: SimDuration::from_days(13) }
}

fn default_cached() -> Probability {
    Probability::new(0.3).unwrap_or_default()
}

fn default_moves() -> Spanned<f64> {
    Spanned::new(0..0, 0.25)
}

/// The zone share the objective asks for when the scenario has no domain
/// administrators and the table says nothing (assumed).
const DEFAULT_OBJECTIVE_SHARE: f64 = 0.5;

/// Registers the `phishing` mechanism.
pub struct PhishingFactory;

const OPENED: EventSpec = EventSpec::new(
    "phish-opened",
    "receives a phishing e-mail that its user opens",
    "receive phishing e-mails that their users open",
)
.technique("T1566");
const PHISHED: EventSpec = EventSpec::new(
    "credentials-phished",
    "gives the attacker its user's password, typed into a phishing page",
    "give the attacker their users' passwords, typed into phishing pages",
)
.technique("T1078");
const EXECUTED: EventSpec = EventSpec::new(
    "user-execution",
    "is taken over when its user opens the attachment",
    "are taken over when their users open the attachment",
)
.technique("T1204");
const DISCOVERED: EventSpec = EventSpec::new(
    "network-discovery",
    "is used to map the services the network offers",
    "are used to map the services the network offers",
)
.technique("T1046");
const DUMPED: EventSpec = EventSpec::new(
    "credentials-dumped",
    "gives up a password cached in its memory",
    "give up passwords cached in their memory",
)
.technique("T1003");
const MOVED: EventSpec = EventSpec::new(
    "lateral-movement",
    "is logged in to with stolen credentials and taken over",
    "are logged in to with stolen credentials and taken over",
)
.technique("T1021");

const REPORTED: EventSpec = EventSpec::new(
    "phish-reported",
    "is where a user reports the phishing e-mail, and the security team pulls it from every inbox",
    "are where users report phishing e-mails, and the security team pulls them from every inbox",
);
const FOUND: EventSpec = EventSpec::new(
    "phish-foothold-found",
    "is found compromised when the security team traces who clicked the reported e-mail",
    "are found compromised when the security team traces who clicked the reported e-mail",
);

const CLICKS: MetricSpec =
    MetricSpec::count("clicks", "phishing e-mails clicked", "accounts whose users clicked the phishing e-mail")
        .unit("accounts")
        .lower_is_better();
const REPORTS: MetricSpec = MetricSpec::count(
    "campaigns_reported",
    "campaigns reported by staff",
    "campaign arrivals a recipient reported before the e-mail had done all its harm: it is pulled from \
     every inbox, and the devices of those who clicked it are found",
)
.unit("campaigns")
.higher_is_better();
const FOOTHOLDS: MetricSpec = MetricSpec::count(
    "footholds",
    "devices taken by phishing",
    "devices the operator took when their users opened the attachment (a device taken again counts again)",
)
.unit("devices")
.lower_is_better();
const DUMPS: MetricSpec = MetricSpec::count(
    "credentials_dumped",
    "credentials dumped",
    "staff credentials the operator dumped from devices it held",
)
.unit("accounts")
.lower_is_better();
const MOVES: MetricSpec = MetricSpec::count(
    "lateral_moves",
    "devices taken by lateral movement",
    "devices the operator logged in to with stolen credentials and took (a device taken again counts again)",
)
.unit("devices")
.lower_is_better();
const OBJECTIVE: MetricSpec = MetricSpec::flag(
    "objective_reached",
    "objective reached",
    "the operator held a domain administrator's credentials (or, when the objective is a share of zones, \
     held devices in that share of the zones holding devices)",
)
.lower_is_better();
const TIME_TO_OBJECTIVE: MetricSpec = MetricSpec::hours(
    "time_to_objective",
    "hours to the objective",
    "hours from the campaign's first e-mails until the operator reached its objective, in trials where it did",
)
.higher_is_better();

impl PluginSpec for PhishingFactory {
    type Params = PhishingParams;
    const KIND: &'static str = "phishing";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str =
        "phishing campaign and human operator: stolen accounts, credential dumping, lateral movement (T1566, T1021)";

    fn configure(
        p: PhishingParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let foothold_type = match &p.foothold_device_type {
            Some(t) => scenario.device_type_ref(t).map(Some).map_err(|d| problems.push(d)).unwrap_or(None),
            None => None,
        };
        // The targeted groups, each with where its reference stands (the
        // whole table when the groups are implied).
        let mut groups: Vec<(StaffId, std::ops::Range<usize>)> = Vec::new();
        match &p.targets {
            Some(ids) => {
                for id in ids {
                    match scenario.staff_ref(id) {
                        Ok(g) if !scenario.staff[usize::from(g.0)].email => problems.push(
                            Diagnostic::at(id.span(), format!("staff group `{}` does not read e-mail", id.get_ref()))
                                .with_help("target groups with `email = true`, or set it on this group"),
                        ),
                        Ok(g) if !groups.iter().any(|(x, _)| *x == g) => groups.push((g, id.span())),
                        Ok(_) => {}
                        Err(d) => problems.push(d),
                    }
                }
            }
            None => {
                groups = (0..scenario.staff.len())
                    .filter(|&g| scenario.staff[g].email)
                    .map(|g| (StaffId(g as u16), section.span()))
                    .collect();
                if groups.is_empty() {
                    problems.push(
                        Diagnostic::at(
                            section.span(),
                            "no staff group reads e-mail: the campaign has nobody to send to",
                        )
                        .with_help("declare [[staff]] groups with `email = true` (the default)"),
                    );
                }
            }
        }
        let mut targets = Vec::new();
        for (g, span) in groups {
            let staff = &scenario.staff[usize::from(g.0)];
            let Some(zone) = staff.works_in else {
                problems.push(
                    Diagnostic::at(
                        span,
                        format!("staff group `{}` works in no zone: a click would land nowhere", staff.id),
                    )
                    .with_help("give the group `works_in` (or `logs_in_to`) in [[staff]]"),
                );
                continue;
            };
            let candidates: Vec<DeviceIndex> = (0..scenario.device_count())
                .filter(|&d| {
                    let slot = scenario.devices[d as usize];
                    slot.zone == zone && foothold_type.is_none_or(|t| slot.device_type == t)
                })
                .collect();
            if candidates.is_empty() && (p.foothold_device_type.is_none() || foothold_type.is_some()) {
                let of_type =
                    p.foothold_device_type.as_ref().map(|t| format!(" of type `{}`", t.get_ref())).unwrap_or_default();
                problems.push(
                    Diagnostic::at(
                        span,
                        format!(
                            "staff group `{}` works in zone `{}`, which holds no devices{of_type}: a click would land nowhere",
                            staff.id,
                            scenario.zones[usize::from(zone.0)].id
                        ),
                    )
                    .with_help("place the devices the group reads its mail on in its `works_in` zone"),
                );
                continue;
            }
            targets.push(Target { group: g, candidates });
        }
        let rate = *p.moves_per_hour.get_ref();
        if !(rate.is_finite() && (0.0..=3600.0).contains(&rate)) {
            problems.push(Diagnostic::at(
                p.moves_per_hour.span(),
                format!("moves_per_hour must be between 0 and 3,600, found {rate}"),
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Phishing { plan: Arc::new(Plan::new(scenario, p, targets)) }))
    }
}

/// A targeted staff group and the devices its clicks may land on.
struct Target {
    group: StaffId,
    candidates: Vec<DeviceIndex>,
}

/// What the operator is after.
enum Objective {
    /// Any of these domain administrator groups' credentials.
    DomainAdmin(Vec<StaffId>),
    /// Devices held in at least this many zones.
    Zones(usize),
}

/// What every trial shares: the parameters and who may log in where.
struct Plan {
    targets: Vec<Target>,
    recipients: f64,
    click_delay: Distribution,
    discovery_time: Distribution,
    dumping_time: Distribution,
    cached: f64,
    moves_per_sec: f64,
    objective: Objective,
    /// Per staff group, per zone: the services over which its accounts log
    /// in to the zone's hosts.
    logins: Vec<Vec<ServiceSet>>,
    /// Per device type: the services it listens on.
    listens: Vec<ServiceSet>,
    /// Per zone: the zones its hosts reach and over which services.
    reach: Vec<Vec<(ZoneId, ServiceSet)>>,
}

impl Plan {
    fn new(s: &Scenario, p: PhishingParams, targets: Vec<Target>) -> Self {
        let services = s.services.len();
        let logins = s
            .staff
            .iter()
            .map(|g| {
                (0..s.zones.len())
                    .map(|z| {
                        let mut set = ServiceSet::NONE;
                        for sv in (0..services).map(|i| iomtsim_sim::ServiceId(i as u8)) {
                            if g.can_log_in(ZoneId(z as u16), sv) {
                                set.insert(sv);
                            }
                        }
                        set
                    })
                    .collect()
            })
            .collect();
        let reach = (0..s.zones.len())
            .map(|a| {
                let mut to: Vec<(ZoneId, ServiceSet)> = Vec::new();
                for sv in (0..services).map(|i| iomtsim_sim::ServiceId(i as u8)) {
                    for b in s.network.reachable_zones(ZoneId(a as u16), sv) {
                        match to.iter_mut().find(|(z, _)| *z == b) {
                            Some((_, set)) => set.insert(sv),
                            None => {
                                let mut set = ServiceSet::NONE;
                                set.insert(sv);
                                to.push((b, set));
                            }
                        }
                    }
                }
                to
            })
            .collect();
        let admins: Vec<StaffId> = (0..s.staff.len())
            .filter(|&g| s.staff[g].role == StaffRole::DomainAdministrator)
            .map(|g| StaffId(g as u16))
            .collect();
        let zones_with_devices = s.devices_per_zone().iter().filter(|&&n| n > 0).count();
        let zones_needed =
            |share: f64| ((share * zones_with_devices as f64).ceil() as usize).clamp(1, zones_with_devices.max(1));
        let objective = match p.objective_share {
            Some(share) => Objective::Zones(zones_needed(share.get())),
            None if !admins.is_empty() => Objective::DomainAdmin(admins),
            None => Objective::Zones(zones_needed(DEFAULT_OBJECTIVE_SHARE)),
        };
        Plan {
            targets,
            recipients: p.recipients.get(),
            click_delay: p.click_delay,
            discovery_time: p.discovery_time,
            dumping_time: p.dumping_time,
            cached: p.cached_credential_probability.get(),
            moves_per_sec: *p.moves_per_hour.get_ref() / 3600.0,
            objective,
            logins,
            listens: s.device_types.iter().map(|t| t.services).collect(),
            reach,
        }
    }
}

struct Phishing {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    click: HandlerId,
    discover: HandlerId,
    dump: HandlerId,
    mv: HandlerId,
    report: HandlerId,
    opened: EventKindId,
    reported: EventKindId,
    found: EventKindId,
    phished: EventKindId,
    executed: EventKindId,
    discovered: EventKindId,
    dumped: EventKindId,
    moved: EventKindId,
    clicks: MetricId,
    reports: MetricId,
    footholds: MetricId,
    dumps: MetricId,
    moves: MetricId,
    objective: MetricId,
    time_to_objective: MetricId,
}

impl Plugin for Phishing {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            click: b.handler("phishing.click", click),
            discover: b.handler("phishing.discover", discover),
            dump: b.handler("phishing.dump", dump_credentials),
            mv: b.handler("phishing.move", move_laterally),
            report: b.handler("phishing.report", report),
            opened: b.event(OPENED),
            reported: b.event(REPORTED),
            found: b.event(FOUND),
            phished: b.event(PHISHED),
            executed: b.event(EXECUTED),
            discovered: b.event(DISCOVERED),
            dumped: b.event(DUMPED),
            moved: b.event(MOVED),
            clicks: b.metric(CLICKS),
            reports: b.metric(REPORTS),
            footholds: b.metric(FOOTHOLDS),
            dumps: b.metric(DUMPS),
            moves: b.metric(MOVES),
            objective: b.metric(OBJECTIVE),
            time_to_objective: b.metric(TIME_TO_OBJECTIVE),
        };
        let send = b.handler("phishing.send", send_campaign);
        b.on_arrival(send);
        b.story(
            "{clicks} {clicks|user|users} clicked, giving {footholds} {footholds|foothold|footholds}; the operator \
             dumped {credentials_dumped} {credentials_dumped|credential|credentials} and took \
             {lateral_moves} more {lateral_moves|device|devices}",
        );
        b.init_resource::<Instances<Campaign>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |sim: Sim, mut campaigns: ResMut<Instances<Campaign>>| {
            let groups = sim.scenario().staff.len();
            campaigns.insert(me, Campaign::new(plan.clone(), ids, groups));
        });
    }
}

/// One trial's campaign: what the operator holds and knows.
struct Campaign {
    plan: Arc<Plan>,
    ids: Ids,
    /// Devices it took, with their epoch then (held while still
    /// compromised in that epoch and not cut off).
    held: Vec<(DeviceIndex, u32)>,
    /// Devices clicks took, with their epoch then and the arrival whose
    /// e-mail was clicked: what a report of that e-mail reveals.
    clicked: Vec<(DeviceIndex, u32, u64)>,
    /// Arrivals whose e-mail was reported and pulled from the inboxes:
    /// their clicks still to come do not happen.
    pulled: Vec<u64>,
    /// Per staff group: credentials it stole (usable while the group's
    /// stolen credentials have not been revoked).
    stolen: Vec<u32>,
    discovery_pending: bool,
    discovered: bool,
    moving: bool,
    /// Moves made so far (the n-th move draws from its own key).
    moves: u64,
    reached: bool,
    /// When the first e-mails went out.
    arrived: Option<SimTime>,
}

impl Campaign {
    fn new(plan: Arc<Plan>, ids: Ids, groups: usize) -> Self {
        Campaign {
            plan,
            ids,
            held: Vec::new(),
            clicked: Vec::new(),
            pulled: Vec::new(),
            stolen: vec![0; groups],
            discovery_pending: false,
            discovered: false,
            moving: false,
            moves: 0,
            reached: false,
            arrived: None,
        }
    }

    /// Forgets devices rebuilt or cut off since it took them; returns
    /// whether it still holds any.
    fn prune(&mut self, sim: &Sim) -> bool {
        self.held.retain(|&(d, epoch)| {
            let s = sim.state(d);
            s.compromised && !s.isolated && s.epoch == epoch
        });
        !self.held.is_empty()
    }

    /// Whether it holds credentials of `g` that still work.
    fn can_use(&mut self, sim: &Sim, g: usize) -> bool {
        if sim.credentials_held(StaffId(g as u16)) == 0 {
            self.stolen[g] = 0; // reset: what it stole was revoked
        }
        self.stolen[g] > 0
    }

    /// Steals one credential of group `g` on device `d`; `theft` keys the
    /// draws made on it.
    fn steal(&mut self, sim: &mut Sim, d: DeviceIndex, g: usize, kind: EventKindId, theft: Key) -> u32 {
        self.can_use(sim, g);
        let new = sim.steal_credentials(d, StaffId(g as u16), 1, kind, theft);
        self.stolen[g] += new;
        new
    }

    /// The operator took device `d`: it will dump its credentials, map the
    /// network from it if it has not yet, and resume moving if it had
    /// stopped for want of a foothold.
    fn took(&mut self, sim: &mut Sim, me: InstanceId, d: DeviceIndex) {
        let s = sim.state(d);
        self.held.push((d, s.epoch));
        let key = sim.key(me).and(s.cause);
        let delay = self.plan.dumping_time.draw(key.named("dump"));
        sim.schedule_in(delay, self.ids.dump, d, u64::from(s.epoch));
        if !self.discovered && !self.discovery_pending {
            self.discovery_pending = true;
            let delay = self.plan.discovery_time.draw(key.named("discovery"));
            sim.schedule_in(delay, self.ids.discover, d, 0);
        } else {
            self.resume(sim, me);
        }
    }

    /// Schedules the next move, if the operator knows the network and is
    /// not already moving.
    fn resume(&mut self, sim: &mut Sim, me: InstanceId) {
        if !self.discovered || self.moving || self.plan.moves_per_sec <= 0.0 {
            return;
        }
        let gap = sim.key(me).named("move").with(self.moves + 1).named("gap").exp1() / self.plan.moves_per_sec;
        self.moving = true;
        sim.schedule_in(SimDuration::from_secs_f64(gap), self.ids.mv, 0, 0);
    }

    /// Raises the objective once it is reached.
    fn check_objective(&mut self, sim: &mut Sim) {
        if self.reached {
            return;
        }
        let plan = self.plan.clone();
        let reached = match &plan.objective {
            Objective::DomainAdmin(groups) => groups.iter().any(|g| self.can_use(sim, usize::from(g.0))),
            Objective::Zones(needed) => {
                self.prune(sim);
                let mut zones: Vec<ZoneId> = self.held.iter().map(|&(d, _)| sim.device(d).zone).collect();
                zones.sort_unstable();
                zones.dedup();
                zones.len() >= *needed
            }
        };
        if reached {
            self.reached = true;
            sim.raise(self.ids.objective);
            let since = self.arrived.map_or(SimDuration::ZERO, |t| sim.now() - t);
            sim.set_hours(self.ids.time_to_objective, since.as_hours_f64());
        }
    }
}

/// The key of a click: the campaign's arrival (the first keyed as it
/// always was), the group's id and the account's ordinal, so the same
/// people click in every design.
fn click_key(sim: &Sim, me: InstanceId, arrival: u64, group: &str, account: u32) -> Key {
    let first = sim.key(me).named("click");
    let key = if arrival == 0 { first } else { first.with(arrival) };
    key.named(group).with(u64::from(account))
}

/// A click's event tag: the arrival in the high half, the account in the low.
fn click_tag(arrival: u64, account: u32) -> u64 {
    (arrival << 32) | u64::from(account)
}

/// The e-mails go out (the event's tag counts the campaign's arrivals: a
/// campaign arriving again mails everyone again, and the same operator
/// uses whatever it yields): each recipient who clicks does so after the
/// click delay.
///
/// A recipient who does not click may report the e-mail instead (their
/// group's `report_rate`), when a clicker would have clicked; the first
/// report of an arrival is the one that matters.
fn send_campaign(In(e): In<Event>, mut sim: Sim, mut campaigns: ResMut<Instances<Campaign>>) {
    let c = campaigns.get_mut(e.instance);
    c.arrived.get_or_insert(sim.now());
    let arrival = e.tag;
    let mut first_report: Option<(SimDuration, u32, u32)> = None;
    for (t, target) in c.plan.targets.iter().enumerate() {
        let staff = &sim.scenario().staff[usize::from(target.group.0)];
        let (count, rate, report_rate) = (staff.count, staff.click_rate, staff.report_rate);
        if rate <= 0.0 && report_rate <= 0.0 {
            continue;
        }
        let id = staff.id.clone();
        for account in 0..count {
            let key = click_key(&sim, e.instance, arrival, &id, account);
            if !key.named("receives").bernoulli(c.plan.recipients) {
                continue;
            }
            let delay = c.plan.click_delay.draw(key.named("delay"));
            if key.named("clicks").bernoulli(rate) {
                sim.schedule_in(delay, c.ids.click, t as u32, click_tag(arrival, account));
            } else if key.named("reports").bernoulli(report_rate) && first_report.is_none_or(|(at, _, _)| delay < at) {
                first_report = Some((delay, t as u32, account));
            }
        }
    }
    if let Some((delay, t, account)) = first_report {
        sim.schedule_in(delay, c.ids.report, t, click_tag(arrival, account));
    }
}

/// A recipient reports the e-mail: the security team pulls it from every
/// inbox (clicks still to come do not happen) and traces who clicked it,
/// finding the devices those clicks took (a detection, which incident
/// response answers). What the operator did from them is not revealed.
fn report(In(e): In<Event>, mut sim: Sim, mut campaigns: ResMut<Instances<Campaign>>) {
    let c = campaigns.get_mut(e.instance);
    let plan = c.plan.clone();
    let target = &plan.targets[e.target as usize];
    let g = usize::from(target.group.0);
    let (arrival, account) = (e.tag >> 32, (e.tag & u64::from(u32::MAX)) as u32);
    let key = click_key(&sim, e.instance, arrival, &sim.scenario().staff[g].id, account);
    let Some(&reporter) =
        crate::common::first_by_key(&sim, key.named("foothold"), target.candidates.iter().copied(), 1).first()
    else {
        return;
    };
    c.pulled.push(arrival);
    sim.record(reporter, c.ids.reported);
    sim.add(c.ids.reports, 1);
    let found: Vec<DeviceIndex> = c
        .clicked
        .iter()
        .filter(|&&(d, epoch, a)| {
            let s = sim.state(d);
            a == arrival && s.compromised && s.epoch == epoch
        })
        .map(|&(d, _, _)| d)
        .collect();
    for d in found {
        sim.detect(d, c.ids.found);
    }
}

/// A recipient clicks: their credentials are stolen and the device they
/// read mail on falls.
fn click(In(e): In<Event>, mut sim: Sim, mut campaigns: ResMut<Instances<Campaign>>) {
    let c = campaigns.get_mut(e.instance);
    let plan = c.plan.clone();
    let target = &plan.targets[e.target as usize];
    let g = usize::from(target.group.0);
    let (arrival, account) = (e.tag >> 32, (e.tag & u64::from(u32::MAX)) as u32);
    if c.pulled.contains(&arrival) {
        return; // reported and pulled before this user clicked
    }
    let key = click_key(&sim, e.instance, arrival, &sim.scenario().staff[g].id, account);
    let Some(&d) =
        crate::common::first_by_key(&sim, key.named("foothold"), target.candidates.iter().copied(), 1).first()
    else {
        return;
    };
    sim.record(d, c.ids.opened);
    sim.add(c.ids.clicks, 1);
    c.steal(&mut sim, d, g, c.ids.phished, key);
    if sim.compromise_by(d, c.ids.executed, key) {
        sim.add(c.ids.footholds, 1);
        c.clicked.push((d, sim.state(d).epoch, arrival));
        c.took(&mut sim, e.instance, d);
    }
    c.check_objective(&mut sim);
}

/// The operator has mapped the network from a device it holds, and starts
/// moving; if it holds nothing any more, the next foothold starts again.
fn discover(In(e): In<Event>, mut sim: Sim, mut campaigns: ResMut<Instances<Campaign>>) {
    let c = campaigns.get_mut(e.instance);
    c.discovery_pending = false;
    if !c.prune(&sim) {
        return;
    }
    let from = if c.held.iter().any(|&(d, _)| d == e.target) { e.target } else { c.held[0].0 };
    sim.record(from, c.ids.discovered);
    c.discovered = true;
    c.resume(&mut sim, e.instance);
}

/// The operator dumps the credentials cached on a device it still holds:
/// one of each group that logs in to it, with the cached-credential
/// probability.
fn dump_credentials(In(e): In<Event>, mut sim: Sim, mut campaigns: ResMut<Instances<Campaign>>) {
    let c = campaigns.get_mut(e.instance);
    let d = e.target;
    let s = sim.state(d);
    if !s.compromised || s.isolated || u64::from(s.epoch) != e.tag {
        return; // cut off or rebuilt since
    }
    let plan = c.plan.clone();
    let slot = sim.device(d);
    let listens = plan.listens[usize::from(slot.device_type.0)];
    let key = sim.key(e.instance).named("cached").with(sim.identity(d));
    for (g, logins) in plan.logins.iter().enumerate() {
        if logins[usize::from(slot.zone.0)].0 & listens.0 == 0 {
            continue;
        }
        let group = &sim.scenario().staff[g].id;
        let theft = key.named(group);
        if theft.bernoulli(plan.cached) {
            let new = c.steal(&mut sim, d, g, c.ids.dumped, theft);
            sim.add(c.ids.dumps, u64::from(new));
        }
    }
    c.check_objective(&mut sim);
}

/// The operator's next move: it logs in with credentials it holds to a
/// device those credentials open and it reaches from a zone where it holds
/// a device.
fn move_laterally(In(e): In<Event>, mut sim: Sim, mut campaigns: ResMut<Instances<Campaign>>) {
    let c = campaigns.get_mut(e.instance);
    c.moving = false;
    if !c.prune(&sim) {
        return; // no foothold left: the operator stops
    }
    let plan = c.plan.clone();
    let zones = plan.reach.len();
    // What its credentials open, per zone.
    let mut opens = vec![0u64; zones];
    for (g, logins) in plan.logins.iter().enumerate() {
        if c.can_use(&sim, g) {
            for (o, l) in opens.iter_mut().zip(logins) {
                *o |= l.0;
            }
        }
    }
    // What it reaches from the zones where it holds devices, per zone.
    let mut from: Vec<ZoneId> = c.held.iter().map(|&(d, _)| sim.device(d).zone).collect();
    from.sort_unstable();
    from.dedup();
    let mut reaches = vec![0u64; zones];
    for z in from {
        for &(to, set) in &plan.reach[usize::from(z.0)] {
            reaches[usize::from(to.0)] |= set.0;
        }
    }
    let candidates: Vec<DeviceIndex> = sim
        .devices()
        .filter(|(d, s)| {
            let slot = sim.device(*d);
            let z = usize::from(slot.zone.0);
            !s.compromised
                && !s.isolated
                && opens[z] & reaches[z] & plan.listens[usize::from(slot.device_type.0)].0 != 0
        })
        .map(|(d, _)| d)
        .collect();
    c.moves += 1;
    let key = sim.key(e.instance).named("move").with(c.moves);
    if let Some(&d) = crate::common::first_by_key(&sim, key.named("target"), candidates, 1).first()
        && sim.compromise_by(d, c.ids.moved, key)
    {
        sim.add(c.ids.moves, 1);
        c.took(&mut sim, e.instance, d);
    }
    c.check_objective(&mut sim);
    c.resume(&mut sim, e.instance);
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::{Transition, TrialResult};

    /// A ward of 40 workstations and 40 pumps that reaches a server room
    /// over `conduit` services. Nurses (200, reading mail, clicking at
    /// `click_rate`) log in to the ward's workstations over RDP; IT
    /// administrators (no mail) log in to `admins_log_in_to`; two domain
    /// administrators (no mail) log in everywhere. Devices 0–39 are the
    /// workstations, 40–79 the pumps, 80–99 the servers.
    fn hospital(click_rate: f64, admins_log_in_to: &str, conduit: &str, phishing: &str, extra: &str) -> String {
        format!(
            r#"
            name = "phish"
            duration = "20d"
            zones = [{{ id = "ward" }}, {{ id = "servers" }}]
            conduits = [{{ from = "ward", to = "servers", services = [{conduit}] }}]
            device_types = [
              {{ id = "workstation", services = ["rdp", "smb"] }},
              {{ id = "pump", services = ["https"] }},
              {{ id = "server", services = ["rdp", "smb"] }},
            ]
            placement = [
              {{ zone = "ward", device_type = "workstation", count = 40 }},
              {{ zone = "ward", device_type = "pump", count = 40 }},
              {{ zone = "servers", device_type = "server", count = 20 }},
            ]
            [[staff]]
            id = "nurses"
            role = "clinical"
            count = 200
            click_rate = {click_rate}
            logs_in_to = ["ward"]
            services = ["rdp"]
            [[staff]]
            id = "it"
            role = "administrator"
            count = 6
            email = false
            logs_in_to = {admins_log_in_to}
            services = ["rdp"]
            works_in = "ward"
            {extra}
            [attacks.phishing]
            foothold_device_type = "workstation"
            click_delay = {{ dist = "exponential", mean = "2h" }}
            discovery_time = "12h"
            dumping_time = {{ dist = "exponential", mean = "1d" }}
            moves_per_hour = 1.0
            {phishing}
            "#
        )
    }

    const DOMAIN_ADMINS: &str = "[[staff]]\nid = \"domain-admins\"\nrole = \"domain-administrator\"\ncount = 2\nemail = false\nservices = [\"rdp\"]";

    fn metric(text: &str, results: &[TrialResult], name: &str) -> Vec<f64> {
        let m = engine(text).model().metric(&format!("phishing.{name}")).unwrap();
        results.iter().map(|r| r.outcome.get(m).as_f64().unwrap_or(0.0)).collect()
    }

    /// Compromises of devices 80 and above (the server room), over all trials.
    fn server_compromises(results: &[TrialResult]) -> usize {
        results
            .iter()
            .flat_map(|r| &r.events)
            .filter(|e| e.transition == Some(Transition::Compromised) && e.device >= 80)
            .count()
    }

    #[test]
    fn staff_whose_click_rate_is_not_given_click_as_untrained_staff_do() {
        // The nurses' line removed: they click at the default 0.331 [S13],
        // the same clicks, trial by trial, as when it is written out.
        let given = hospital(0.331, "[\"ward\"]", "\"rdp\"", "", "");
        let default = given.replacen("click_rate = 0.331\n", "", 1);
        assert_ne!(given, default);
        let (a, b) = (run(&given, 20, false), run(&default, 20, false));
        let (ca, cb) = (metric(&given, &a, "clicks"), metric(&default, &b, "clicks"));
        assert_eq!(ca, cb);
        let mean = ca.iter().sum::<f64>() / ca.len() as f64;
        assert!(mean > 0.0, "untrained staff click: {ca:?}");
    }

    #[test]
    fn nobody_clicking_means_the_attack_never_starts() {
        for rate in [0.0, 0.1] {
            let text = hospital(rate, "[\"ward\", \"servers\"]", "\"rdp\"", "", DOMAIN_ADMINS);
            let results = run(&text, 40, false);
            let objective = metric(&text, &results, "objective_reached");
            let started = results.iter().filter(|r| r.outcome.core().compromised > 0).count();
            if rate == 0.0 {
                for r in &results {
                    let o = r.outcome.core();
                    assert_eq!((o.compromised, o.credentials_stolen), (0, 0), "nobody clicked: {o:?}");
                }
                assert!(objective.iter().all(|&x| x == 0.0), "no objective without a click");
            } else {
                assert_eq!(started, results.len(), "with a click rate of 10%, every trial starts");
                assert!(objective.iter().sum::<f64>() > 20.0, "and mostly reaches its objective: {objective:?}");
            }
        }
    }

    #[test]
    fn a_higher_click_rate_gives_more_footholds_and_reaches_the_objective_more_often() {
        let outcome = |rate: f64| {
            let text = hospital(rate, "[\"ward\", \"servers\"]", "\"rdp\"", "", DOMAIN_ADMINS)
                .replace("duration = \"20d\"", "duration = \"3d\"");
            let results = run(&text, 150, false);
            (mean_ci(&metric(&text, &results, "footholds")), mean_ci(&metric(&text, &results, "objective_reached")))
        };
        let (low_footholds, low_objective) = outcome(0.005);
        let (high_footholds, high_objective) = outcome(0.05);
        assert_clearly_below(low_footholds, high_footholds, "footholds with 0.5% clicking vs 5%");
        assert_clearly_below(low_objective, high_objective, "objective share with 0.5% clicking vs 5%");
    }

    #[test]
    fn lateral_movement_stays_where_someone_can_log_in() {
        // Nobody logs in beyond the ward (the conduit carries RDP, but no
        // credentials open the servers): the operator never leaves the ward.
        let confined = hospital(0.05, "[\"ward\"]", "\"rdp\"", "cached_credential_probability = 1.0", "");
        let results = run(&confined, 40, true);
        assert_eq!(server_compromises(&results), 0);
        assert!(metric(&confined, &results, "lateral_moves").iter().sum::<f64>() > 100.0, "it moves in the ward");
        // IT logs in to the servers too, and their credentials are cached in the ward.
        let open = hospital(0.05, "[\"ward\", \"servers\"]", "\"rdp\"", "cached_credential_probability = 1.0", "");
        let results = run(&open, 40, true);
        assert!(server_compromises(&results) > 200, "with IT's credentials it reaches the servers");
        // Pumps listen on nothing anybody logs in over.
        assert!(
            results
                .iter()
                .flat_map(|r| &r.events)
                .all(|e| e.transition != Some(Transition::Compromised) || !(40..80).contains(&e.device))
        );
    }

    #[test]
    fn without_cached_credentials_only_the_clicked_groups_reach_counts() {
        let text = hospital(0.05, "[\"ward\", \"servers\"]", "\"rdp\"", "cached_credential_probability = 0.0", "");
        let results = run(&text, 40, true);
        let clicks = metric(&text, &results, "clicks");
        let dumped = metric(&text, &results, "credentials_dumped");
        for (r, (c, d)) in results.iter().zip(clicks.iter().zip(&dumped)) {
            assert_eq!(r.outcome.core().credentials_stolen as f64, *c, "only the phished accounts are stolen");
            assert_eq!(*d, 0.0);
        }
        assert_eq!(server_compromises(&results), 0, "the nurses' accounts do not open the servers");
        assert!(metric(&text, &results, "lateral_moves").iter().sum::<f64>() > 100.0, "they do open the ward");
    }

    #[test]
    fn the_same_people_click_whatever_the_network() {
        let designs = ["\"rdp\"", "\"https\""]
            .map(|c| hospital(0.05, "[\"ward\", \"servers\"]", c, "cached_credential_probability = 1.0", ""));
        let [open, closed] = designs.each_ref().map(|t| run(t, 30, true));
        let opened = engine(&designs[0]).model().events.iter().position(|k| k.name == "phish-opened").unwrap();
        let clicks = |r: &TrialResult| -> Vec<(u64, u32)> {
            r.events.iter().filter(|e| usize::from(e.kind.0) == opened).map(|e| (e.time.0, e.device)).collect()
        };
        for (a, b) in open.iter().zip(&closed) {
            assert!(!clicks(a).is_empty());
            assert_eq!(clicks(a), clicks(b), "trial {}: the same people click at the same moments", a.outcome.trial);
        }
        assert!(server_compromises(&open) > 100 && server_compromises(&closed) == 0, "yet the designs differ");
    }

    #[test]
    fn an_operator_cut_off_everywhere_stops() {
        // Every compromise is seen within minutes and isolated for good:
        // by the time the operator has mapped the network, it holds nothing.
        let watched = hospital(
            0.05,
            "[\"ward\", \"servers\"]",
            "\"rdp\"",
            "",
            "[defences.monitoring]\ntime_to_detect = \"10m\"\n\
             [defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"1000d\"",
        )
        .replace("dumping_time = { dist = \"exponential\", mean = \"1d\" }", "dumping_time = \"1d\"");
        let results = run(&watched, 40, false);
        assert!(results.iter().all(|r| r.outcome.core().compromised > 0));
        for name in ["lateral_moves", "credentials_dumped"] {
            assert!(metric(&watched, &results, name).iter().all(|&x| x == 0.0), "{name} after isolation");
        }
        let blind = hospital(0.05, "[\"ward\", \"servers\"]", "\"rdp\"", "", "");
        assert!(metric(&blind, &run(&blind, 40, false), "lateral_moves").iter().sum::<f64>() > 100.0);
    }

    #[test]
    fn the_objective_can_be_a_share_of_the_zones() {
        // No domain administrators: the objective is a foothold in half the
        // zones, which the first click gives; asking for every zone needs
        // the servers, which only IT's dumped credentials open.
        let half = hospital(0.05, "[\"ward\"]", "\"rdp\"", "", "");
        let all = hospital(0.05, "[\"ward\"]", "\"rdp\"", "objective_share = 1.0", "");
        let reached = |t: &str| metric(t, &run(t, 30, false), "objective_reached").iter().sum::<f64>();
        assert_eq!(reached(&half), 30.0);
        assert_eq!(reached(&all), 0.0);
        let all_open = hospital(0.05, "[\"ward\", \"servers\"]", "\"rdp\"", "objective_share = 1.0", "");
        assert!(reached(&all_open) > 20.0);
    }

    #[test]
    fn bad_targets_are_named() {
        let text = hospital(0.1, "[\"ward\"]", "\"rdp\"", "targets = [\"nurse\"]", "");
        let err = load_error(&text);
        assert!(err.contains("unknown staff group `nurse`"), "{err}");
        let text = hospital(0.1, "[\"ward\"]", "\"rdp\"", "targets = [\"it\"]", "");
        let err = load_error(&text);
        assert!(err.contains("staff group `it` does not read e-mail"), "{err}");
    }

    #[test]
    fn the_teaching_scenario_reaches_its_objective_in_some_trials() {
        let text = include_str!("../../../scenarios/threats/phishing.toml");
        let results = run(text, 40, false);
        let reached = metric(text, &results, "objective_reached").iter().sum::<f64>();
        assert!(reached > 0.0 && reached < 40.0, "objective reached in {reached} of 40 trials");
        // The payload detonates weeks later on what the operator still holds.
        let encrypted = any_metric(text, &results, "ransomware.encryptions");
        assert!(encrypted.iter().any(|&x| x > 0.0), "some trials end encrypted");
        let devices = f64::from(engine(text).model().scenario.device_count());
        assert!(compromised(&results).0 < devices);
    }

    #[test]
    fn a_campaign_arriving_again_mails_everyone_again() {
        // Once at the start, or about every five days: more arrivals, more
        // clicks.
        let once = hospital(0.01, "[\"ward\"]", "\"rdp\"", "", "");
        let often = once.replace("[attacks.phishing]", "[attacks.phishing]\narrivals_per_year = 73");
        let (a, b) = (run(&once, 40, false), run(&often, 40, false));
        let (clicks_once, clicks_often) = (metric(&once, &a, "clicks"), metric(&often, &b, "clicks"));
        assert_clearly_below(mean_ci(&clicks_once), mean_ci(&clicks_often), "clicks, one arrival vs 73 a year");
    }

    /// Per trial, the value of metric `name` (e.g. `ransomware.encryptions`).
    fn any_metric(text: &str, results: &[TrialResult], name: &str) -> Vec<f64> {
        let m = engine(text).model().metric(name).unwrap();
        results.iter().map(|r| r.outcome.get(m).as_f64().unwrap_or(0.0)).collect()
    }

    #[test]
    fn catching_the_operator_while_it_dwells_saves_devices_from_the_detonation() {
        // The operator dwells two weeks before detonating. Monitoring that
        // sees each compromise after days, and cuts it off, shortens the
        // dwell time and leaves less to encrypt; the same people click.
        let payload = "[attacks.ransomware]\nfollows = [\"phishing\"]\ndetonate_after = \"14d\"";
        let blind = hospital(0.05, "[\"ward\", \"servers\"]", "\"rdp\"", "", payload);
        let watched = hospital(
            0.05,
            "[\"ward\", \"servers\"]",
            "\"rdp\"",
            "",
            &format!(
                "{payload}\n[defences.monitoring]\ntime_to_detect = {{ dist = \"exponential\", mean = \"3d\" }}\n\
                 [defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"1000d\""
            ),
        );
        let (a, b) = (run(&blind, 60, false), run(&watched, 60, false));
        let dwell = |r: &[TrialResult]| {
            mean_ci(&r.iter().map(|t| t.outcome.core().dwell_time_h.unwrap_or(0.0)).collect::<Vec<_>>())
        };
        let encrypted = |t: &str, r: &[TrialResult]| mean_ci(&any_metric(t, r, "ransomware.encryptions"));
        let (dwell_blind, dwell_watched) = (dwell(&a), dwell(&b));
        let (enc_blind, enc_watched) = (encrypted(&blind, &a), encrypted(&watched, &b));
        assert_clearly_below(dwell_watched, dwell_blind, "dwell time (h) watched vs blind");
        assert_clearly_below(enc_watched, enc_blind, "devices encrypted watched vs blind");
        assert!(dwell_blind.0 > 14.0 * 24.0, "unwatched, it dwells to the horizon: {dwell_blind:?}");
        assert_eq!(metric(&blind, &a, "clicks"), metric(&watched, &b, "clicks"), "the same people click");
    }

    #[test]
    fn a_ransomware_operator_detonates_everything_at_once() {
        let text = hospital(
            0.05,
            "[\"ward\", \"servers\"]",
            "\"rdp\"",
            "cached_credential_probability = 1.0",
            "[attacks.ransomware]\nfollows = [\"phishing\"]\ndetonate_after = \"10d\"",
        );
        for r in run(&text, 20, true) {
            let encrypted: Vec<_> = r.events.iter().filter(|e| e.transition == Some(Transition::Disrupted)).collect();
            let at = encrypted[0].time;
            assert!(encrypted.iter().all(|e| e.time == at), "one instant");
            let first = r.events.iter().find(|e| e.transition == Some(Transition::Compromised)).unwrap().time;
            assert_eq!(at - first, iomtsim_sim::SimDuration::from_days(10));
            let held_then =
                r.events.iter().filter(|e| e.transition == Some(Transition::Compromised) && e.time <= at).count();
            assert_eq!(encrypted.len(), held_then, "every device held at the detonation");
            assert!(held_then > 20);
        }
    }
}
