//! A compromised vendor's remote access, a supply-chain intrusion (ATT&CK
//! T1199 Trusted Relationship): the attacker takes a device maker's
//! remote-service credentials and comes in the way its service engineers
//! do, through the vendor's remote-service conduit (T1133 External Remote
//! Services), logging in with the vendor's valid accounts (T1078). MedJack
//! [S11] found imaging and laboratory devices used as footholds this way.
//!
//! At each arrival (the engine's `start`, or each arrival at
//! `arrivals_per_year`: a fresh breach of the vendor) the vendor's
//! credentials are stolen; from then on the attacker opens remote sessions
//! and logs in, one device at a time at `moves_per_hour`, to up to
//! `devices` devices that the vendor's accounts log in to (a zone and a
//! service they use, which the device's type listens on) and that the
//! vendor's external zone reaches over that service. Without that conduit
//! nothing in the hospital opens. The devices are taken in the order of a
//! draw keyed by their identity (and the arrival), so the same devices fall
//! in every design where they are reachable. A password reset of the vendor's accounts
//! (revoked credentials) stops it. Other attacks (a payload, an
//! exfiltration) can follow the devices it takes.

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::{ServiceId, StaffId, StaffRole};
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "vendor"`: an attacker with a vendor's
/// remote-service credentials.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorParams {
    /// Id of the staff group whose credentials are stolen; its role must
    /// be `vendor`. Where its accounts log in, and over which services,
    /// bounds what the attacker can reach.
    #[schemars(with = "String")]
    pub vendor: Spanned<String>,
    /// The external zone the vendor connects from: its remote-service
    /// conduits lead from here.
    #[schemars(with = "String")]
    pub from: Spanned<String>,
    /// How many devices the attacker logs in to at each arrival. Default 3 (assumed: a
    /// handful of footholds, as MedJack [S11] found a few imaging and lab
    /// devices per hospital).
    #[serde(default = "three")]
    #[schemars(with = "u32")]
    pub devices: Spanned<u32>,
    /// The attacker's pace: logins per hour, each after an exponential
    /// wait. Default 1 (assumed).
    #[serde(default = "one_per_hour")]
    #[schemars(with = "f64")]
    pub moves_per_hour: Spanned<f64>,
}

fn three() -> Spanned<u32> {
    Spanned::new(0..0, 3)
}

fn one_per_hour() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}

/// Registers the `vendor` mechanism.
pub struct VendorFactory;

const STOLEN: EventSpec = EventSpec::new(
    "vendor-credentials-stolen",
    "is serviced by a vendor that is breached and its remote-access credentials stolen",
    "are serviced by a vendor that is breached and its remote-access credentials stolen",
)
.technique("T1199");
const SESSION: EventSpec = EventSpec::new(
    "vendor-session",
    "is reached over the vendor's remote-access connection",
    "are reached over the vendor's remote-access connection",
)
.technique("T1133");
const LOGGED_IN: EventSpec = EventSpec::new(
    "vendor-login",
    "is logged in to with the vendor's stolen account and taken",
    "are logged in to with the vendor's stolen account and taken",
)
.technique("T1078");
const OBJECTIVE: MetricSpec = MetricSpec::flag(
    "objective_reached",
    "objective reached",
    "the attacker took at least one device through the vendor's remote access",
);
const TAKEN: MetricSpec = MetricSpec::count(
    "devices_taken",
    "devices taken through vendor access",
    "devices the attacker logged in to with the vendor's credentials",
)
.unit("devices")
.lower_is_better();
const FIRST: MetricSpec = MetricSpec::hours(
    "first_login_h",
    "time to the first vendor login (hours)",
    "hours from the trial start to the attacker's first login through the vendor's remote access",
);
const REVOKED: MetricSpec = MetricSpec::flag(
    "cut_off",
    "cut off by revoked credentials",
    "the vendor's credentials were revoked before the attacker took all it meant to",
)
.higher_is_better();

impl PluginSpec for VendorFactory {
    type Params = VendorParams;
    const KIND: &'static str = "vendor";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "compromised vendor remote access: stolen vendor credentials used over its remote-service conduit (T1199, T1133, T1078)";

    fn configure(p: VendorParams, _: &Section<'_>, scenario: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let group = match scenario.staff_ref(&p.vendor) {
            Ok(g) if scenario.staff[usize::from(g.0)].role == StaffRole::Vendor => Some(g),
            Ok(g) => {
                let vendors: Vec<&str> =
                    scenario.staff.iter().filter(|s| s.role == StaffRole::Vendor).map(|s| s.id.as_str()).collect();
                let role = match scenario.staff[usize::from(g.0)].role {
                    StaffRole::Clinical => "clinical",
                    StaffRole::Administrator => "administrator",
                    StaffRole::DomainAdministrator => "domain-administrator",
                    StaffRole::Vendor => "vendor",
                    StaffRole::Service => "service",
                };
                problems.push(
                    Diagnostic::at(
                        p.vendor.span(),
                        format!("staff group `{}` is not a vendor (its role is {role})", p.vendor.get_ref()),
                    )
                    .with_help(if vendors.is_empty() {
                        "add a staff group with role = \"vendor\" (a device maker's service engineers)".to_owned()
                    } else {
                        format!("the vendor groups of this scenario are: {}", vendors.join(", "))
                    }),
                );
                None
            }
            Err(d) => {
                problems.push(d);
                None
            }
        };
        let from = match scenario.zone_ref(&p.from) {
            Ok(z) if scenario.zones[usize::from(z.0)].external => Some(z),
            Ok(_) => {
                problems.push(
                    Diagnostic::at(p.from.span(), format!("zone `{}` is not external", p.from.get_ref())).with_help(
                        "`from` is the vendor's own network, an external zone with a conduit into the hospital",
                    ),
                );
                None
            }
            Err(d) => {
                problems.push(d);
                None
            }
        };
        if *p.devices.get_ref() == 0 {
            problems.push(
                Diagnostic::at(p.devices.span(), "devices must be at least 1")
                    .with_help("how many devices the attacker logs in to"),
            );
        }
        let pace = *p.moves_per_hour.get_ref();
        if !(pace.is_finite() && pace > 0.0 && pace <= 1e6) {
            problems.push(Diagnostic::at(
                p.moves_per_hour.span(),
                format!("moves_per_hour must be above 0 and at most 1,000,000, found {pace}"),
            ));
        }
        match (group, from) {
            (Some(group), Some(from)) if problems.is_empty() => {
                Ok(Box::new(Vendor { plan: Arc::new(Plan::new(scenario, &p, group, from)) }))
            }
            _ => Err(problems),
        }
    }
}

/// What every trial shares.
struct Plan {
    group: StaffId,
    devices: u32,
    moves_per_sec: f64,
    /// Devices the vendor's accounts log in to and its zone reaches over
    /// one of the services they use: what the attacker can take.
    reachable: Vec<DeviceIndex>,
    /// Devices the vendor's accounts log in to, reachable or not: where its
    /// stolen credentials are recorded.
    serviced: Vec<DeviceIndex>,
}

impl Plan {
    fn new(s: &Scenario, p: &VendorParams, group: StaffId, from: ZoneId) -> Self {
        let staff = &s.staff[usize::from(group.0)];
        // Per service, the zones the vendor's network reaches over it.
        let reached: Vec<Vec<ZoneId>> =
            (0..s.services.len()).map(|v| s.network.reachable_zones(from, ServiceId(v as u8))).collect();
        let (mut reachable, mut serviced) = (Vec::new(), Vec::new());
        for d in 0..s.device_count() {
            let slot = s.devices[d as usize];
            let listens = s.device_types[usize::from(slot.device_type.0)].services;
            let usable: Vec<ServiceId> = (0..s.services.len())
                .map(|v| ServiceId(v as u8))
                .filter(|&v| listens.contains(v) && staff.can_log_in(slot.zone, v))
                .collect();
            if !usable.is_empty() {
                serviced.push(d);
            }
            if usable.iter().any(|v| reached[usize::from(v.0)].contains(&slot.zone)) {
                reachable.push(d);
            }
        }
        Plan {
            group,
            devices: *p.devices.get_ref(),
            moves_per_sec: *p.moves_per_hour.get_ref() / 3600.0,
            reachable,
            serviced,
        }
    }
}

struct Vendor {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    login: HandlerId,
    stolen: EventKindId,
    session: EventKindId,
    logged_in: EventKindId,
    objective: MetricId,
    taken: MetricId,
    first: MetricId,
    revoked: MetricId,
}

impl Plugin for Vendor {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            login: b.handler("vendor.login", log_in),
            stolen: b.event(STOLEN),
            session: b.event(SESSION),
            logged_in: b.event(LOGGED_IN),
            objective: b.metric(OBJECTIVE),
            taken: b.metric(TAKEN),
            first: b.metric(FIRST),
            revoked: b.metric(REVOKED),
        };
        let arrive = b.handler("vendor.arrive", arrive);
        b.on_arrival(arrive);
        b.story("logged in to {devices_taken} {devices_taken|device|devices} with a vendor's stolen remote-service credentials{cut_off| before they were revoked|}");
        b.init_resource::<Instances<Intrusion>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut intrusions: ResMut<Instances<Intrusion>>| {
            intrusions
                .insert(me, Intrusion { plan: plan.clone(), ids, arrival: 0, order: Vec::new(), next: 0, taken: 0 });
        });
    }
}

/// One trial's intrusion of one instance.
struct Intrusion {
    plan: Arc<Plan>,
    ids: Ids,
    /// The latest arrival: logins scheduled by an earlier one are stale.
    arrival: u64,
    /// The reachable devices in the order the attacker tries them.
    order: Vec<DeviceIndex>,
    /// The next of them to try.
    next: usize,
    /// Devices taken since the latest arrival.
    taken: u32,
}

/// A login event's tag: the arrival in the high half, the step in the low.
const STEP_BITS: u32 = 32;

impl Intrusion {
    /// The key of this arrival's draws: the first arrival's is the
    /// instance's own, later ones add the arrival's number.
    fn key(&self, sim: &Sim, me: InstanceId) -> Key {
        let key = sim.key(me);
        if self.arrival == 0 { key } else { key.with(self.arrival) }
    }

    /// Schedules login number `step` after an exponential wait keyed by it.
    fn schedule_login(&self, sim: &mut Sim, me: InstanceId, step: u64) {
        let wait = self.key(sim, me).named("wait").with(step).exp1() / self.plan.moves_per_sec;
        let tag = (self.arrival << STEP_BITS) | step;
        sim.schedule_in(SimDuration::from_secs_f64(wait), self.ids.login, 0, tag);
    }
}

/// The attacker arrives (the tag counts arrivals): the vendor's
/// credentials are stolen, and the first login is scheduled. A later
/// arrival is a fresh breach: it starts over, with its own order and count.
fn arrive(In(e): In<Event>, mut sim: Sim, mut intrusions: ResMut<Instances<Intrusion>>) {
    let x = intrusions.get_mut(e.instance);
    let plan = x.plan.clone();
    x.arrival = e.tag;
    x.next = 0;
    x.taken = 0;
    let key = x.key(&sim, e.instance);
    // The theft is told of the device the vendor services that the
    // attacker would try first; a vendor that logs in to nothing here
    // holds no credential of this hospital.
    // A credential that a second factor keeps from logging in opens nothing.
    let usable =
        match crate::common::first_by_key(&sim, key.named("serviced"), plan.serviced.iter().copied(), 1).first() {
            Some(&d) => sim.steal_credentials(d, plan.group, 1, x.ids.stolen, key.named("theft")) > 0,
            None => false,
        };
    x.order = if usable {
        crate::common::first_by_key(&sim, key.named("order"), plan.reachable.iter().copied(), plan.reachable.len())
    } else {
        Vec::new()
    };
    if !x.order.is_empty() {
        x.schedule_login(&mut sim, e.instance, 0);
    }
}

/// The attacker logs in to the next device it can take, unless the
/// vendor's credentials were revoked.
fn log_in(In(e): In<Event>, mut sim: Sim, mut intrusions: ResMut<Instances<Intrusion>>) {
    let x = intrusions.get_mut(e.instance);
    let (arrival, step) = (e.tag >> STEP_BITS, e.tag & ((1 << STEP_BITS) - 1));
    if arrival != x.arrival {
        return; // a later arrival started over
    }
    if sim.credentials_held(x.plan.group) == 0 {
        sim.raise(x.ids.revoked);
        return;
    }
    let cause = x.key(&sim, e.instance).named("login").with(step);
    while let Some(&d) = x.order.get(x.next) {
        x.next += 1;
        // Already someone's, or cut off the network: the next one.
        let s = sim.state(d);
        if s.compromised || s.isolated {
            continue;
        }
        sim.record(d, x.ids.session);
        if sim.compromise_by(d, x.ids.logged_in, cause) {
            x.taken += 1;
            sim.add(x.ids.taken, 1);
            sim.raise(x.ids.objective);
            let hours = sim.now().as_hours_f64();
            sim.set_hours(x.ids.first, hours);
            break;
        }
    }
    if x.taken < x.plan.devices && x.next < x.order.len() {
        x.schedule_login(&mut sim, e.instance, step + 1);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::prelude::*;
    use iomtsim_sim::{Engine, Registry, RunOptions, ScenarioSource, StaffId, TrialResult, load_model};
    use serde::Deserialize;

    /// An imaging suite (10 X-ray consoles, 2 PACS servers) and a ward (20
    /// workstations), all on RDP, both reached from the vendor's network
    /// over `conduit`; the vendor's engineers log in to the imaging suite only.
    fn suite(duration: &str, conduit: &str, attack: &str) -> String {
        format!(
            r#"
            name = "imaging-suite"
            duration = "{duration}"
            zones = [{{ id = "imaging" }}, {{ id = "ward" }}, {{ id = "acme-net", external = true }}]
            conduits = [
              {{ from = "acme-net", to = "imaging", services = [{conduit}] }},
              {{ from = "acme-net", to = "ward", services = [{conduit}] }},
            ]
            device_types = [
              {{ id = "xray", services = ["rdp", "dicom"] }},
              {{ id = "pacs", services = ["rdp", "smb"] }},
              {{ id = "workstation", services = ["rdp"] }},
            ]
            placement = [
              {{ zone = "imaging", device_type = "xray", count = 10 }},
              {{ zone = "imaging", device_type = "pacs", count = 2 }},
              {{ zone = "ward", device_type = "workstation", count = 20 }},
            ]
            staff = [
              {{ id = "acme", role = "vendor", count = 2, logs_in_to = ["imaging"], services = ["rdp"] }},
              {{ id = "nurses", role = "clinical", count = 30, logs_in_to = ["ward"], services = ["rdp"] }},
            ]
            [attacks.vendor]
            vendor = "acme"
            from = "acme-net"
            {attack}
            "#
        )
    }

    fn metric(text: &str, results: &[TrialResult], name: &str) -> Vec<f64> {
        let m = engine(text).model().metric(&format!("vendor.{name}")).expect("declared");
        results.iter().map(|r| r.outcome.get(m).as_f64().unwrap_or(f64::NAN)).collect()
    }

    #[test]
    fn the_vendor_path_needs_the_vendor_conduit() {
        let closed = suite("2d", "\"https\"", "devices = 5");
        let results = run(&closed, 10, false);
        for r in &results {
            let o = r.outcome.core();
            assert_eq!(o.compromised, 0, "no conduit carrying RDP from the vendor: nothing opens");
            assert_eq!(o.credentials_stolen, 1, "the credentials are stolen all the same");
        }
        assert!(metric(&closed, &results, "objective_reached").iter().all(|&x| x == 0.0));

        let open = suite("2d", "\"rdp\"", "devices = 5");
        let results = run(&open, 10, false);
        assert!(results.iter().all(|r| r.outcome.core().compromised == 5));
        assert!(metric(&open, &results, "objective_reached").iter().all(|&x| x == 1.0));
    }

    #[test]
    fn only_zones_the_vendor_logs_in_to_are_touched_and_at_most_devices() {
        // The ward is reachable from the vendor's network too, but its
        // accounts do not log in there.
        let all = suite("10d", "\"rdp\"", "devices = 100");
        for r in run(&all, 10, true) {
            assert_eq!(r.outcome.core().compromised, 12, "every imaging device, nothing else");
            assert!(r.events.iter().all(|e| e.device < 12), "only the imaging suite is touched");
        }
        for n in [1u64, 4] {
            let text = suite("10d", "\"rdp\"", &format!("devices = {n}"));
            assert!(run(&text, 10, false).iter().all(|r| r.outcome.core().compromised == n));
        }
        // The same devices in every trial's design: devices = 1 takes the
        // first of those devices = 4 takes.
        let one = run(&suite("10d", "\"rdp\"", "devices = 1"), 10, true);
        let four = run(&suite("10d", "\"rdp\"", "devices = 4"), 10, true);
        for (a, b) in one.iter().zip(&four) {
            let taken = |r: &TrialResult| -> Vec<u32> {
                r.events.iter().filter(|e| e.transition == Some(Transition::Compromised)).map(|e| e.device).collect()
            };
            assert_eq!(taken(a)[0], taken(b)[0]);
        }
    }

    #[test]
    fn arrival_and_pace_set_when_devices_fall() {
        let late = suite("5d", "\"rdp\"", "start = \"2d\"\ndevices = 12");
        let results = run(&late, 10, false);
        assert!(metric(&late, &results, "first_login_h").iter().all(|&h| h > 48.0));
        assert!(results.iter().all(|r| r.outcome.core().credentials_stolen == 1));
        // In six hours a slow attacker takes fewer devices than a quick one.
        let taken = |pace: f64| {
            compromised(&run(&suite("6h", "\"rdp\"", &format!("devices = 12\nmoves_per_hour = {pace}")), 100, false))
        };
        assert_clearly_below(taken(0.5), taken(4.0), "devices taken in 6h at 0.5 vs 4 logins an hour");
    }

    #[test]
    fn each_arrival_is_a_fresh_breach() {
        // One device per arrival: more arrivals in a month take more devices.
        let taken = |rate: u32| {
            let text = suite("30d", "\"rdp\"", &format!("devices = 1\narrivals_per_year = {rate}"));
            let results = run(&text, 100, false);
            let logins = metric(&text, &results, "devices_taken");
            for (r, n) in results.iter().zip(&logins) {
                assert_eq!(r.outcome.core().compromised as f64, *n, "every compromise is a vendor login");
                assert!(*n <= 12.0);
            }
            mean_ci(&logins)
        };
        let (rare, often) = (taken(12), taken(120));
        assert_clearly_below(rare, often, "devices taken in 30 days at 12 vs 120 arrivals a year");
    }

    #[test]
    fn a_staff_group_that_is_not_a_vendor_is_refused() {
        let text = suite("1d", "\"rdp\"", "").replace("vendor = \"acme\"", "vendor = \"nurses\"");
        let err = load_error(&text);
        assert!(err.contains("staff group `nurses` is not a vendor (its role is clinical)"), "{err}");
        assert!(err.contains("the vendor groups of this scenario are: acme"), "{err}");
        let inside = suite("1d", "\"rdp\"", "").replace("from = \"acme-net\"\n", "from = \"ward\"\n");
        assert!(load_error(&inside).contains("zone `ward` is not external"));
    }

    /// A password reset of one staff group at a fixed time (tests only).
    #[derive(Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct ResetParams {
        #[schemars(with = "String")]
        group: Spanned<String>,
        at: SimDuration,
    }

    struct ResetFactory;

    const RESET: EventSpec = EventSpec::new("reset", "has its passwords reset", "have their passwords reset");

    impl PluginSpec for ResetFactory {
        type Params = ResetParams;
        const KIND: &'static str = "reset";
        const ROLE: Role = Role::Defence;
        const SUMMARY: &'static str = "test mechanism: resets a staff group's passwords";

        fn configure(p: ResetParams, _: &Section<'_>, s: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
            Ok(Box::new(Reset { group: s.staff_ref(&p.group).map_err(|d| vec![d])?, at: p.at }))
        }
    }

    struct Reset {
        group: StaffId,
        at: SimDuration,
    }

    #[derive(Resource, Default)]
    struct ResetGroup(Option<StaffId>);

    impl Plugin for Reset {
        fn build(&self, b: &mut SimBuilder) {
            b.event(RESET);
            let reset = b.handler("reset.reset", |_: In<Event>, mut sim: Sim, g: Res<ResetGroup>| {
                if let Some(g) = g.0 {
                    sim.revoke_credentials(g);
                }
            });
            b.init_resource::<ResetGroup>();
            let (group, at) = (self.group, self.at);
            b.on_trial_start(move |mut sim: Sim, mut g: ResMut<ResetGroup>| {
                g.0 = Some(group);
                sim.schedule_at(SimTime::ZERO + at, reset, 0, 0).expect("the trial has not started");
            });
        }
    }

    #[test]
    fn revoked_credentials_stop_the_attacker() {
        static RESET_FACTORY: ResetFactory = ResetFactory;
        static VENDOR: super::VendorFactory = super::VendorFactory;
        let registry = Registry::new(vec![&VENDOR as &dyn PluginFactory, &RESET_FACTORY]);
        let text = suite("3d", "\"rdp\"", "devices = 12\nmoves_per_hour = 1.0");
        let taken = |text: String| {
            let model = load_model(ScenarioSource::from_text("t.toml", text), &registry).expect("valid");
            let cut = model.metric("vendor.cut_off").expect("declared");
            let options = RunOptions { seed: 1, trials: 0..50, threads: 0, record_events: false, sample_every: None };
            let results = Engine::new(model).run(&options, &|| {}).expect("thread pool");
            let cut: Vec<bool> = results.iter().map(|r| r.outcome.get(cut).as_f64() == Some(1.0)).collect();
            (compromised(&results), cut, results)
        };
        let (free, free_cut, free_results) = taken(text.clone());
        assert!(free_results.iter().all(|r| r.outcome.core().compromised == 12));
        assert!(free_cut.iter().all(|c| !c));
        let (reset, reset_cut, _) = taken(format!("{text}\n[defences.reset]\ngroup = \"acme\"\nat = \"3h\""));
        assert!(reset_cut.iter().all(|&c| c), "every attacker was still at work after 3h");
        assert_clearly_below(reset, free, "devices taken with a password reset at 3h");
    }

    #[test]
    fn the_teaching_scenario_takes_imaging_devices_and_a_payload_follows() {
        let text = include_str!("../../../scenarios/threats/vendor.toml");
        let results = run(text, 40, false);
        assert!(metric(text, &results, "objective_reached").contains(&1.0));
        assert!(results.iter().any(|r| r.outcome.core().disrupted > 0), "the ransomware follows the vendor path");
    }
}
