//! An IoT botnet in the manner of Mirai: bots scan for devices that still
//! accept their maker's default credentials over a login service (Telnet
//! for Mirai, [S12]) and log in with them (ATT&CK for ICS T0812, Default
//! Credentials), recruiting each device as a new bot that scans in turn.
//!
//! A recruited device serves the botnet: its link and processor go to
//! scanning for more bots and to the floods it is told to send (a `dos`
//! attack that follows this one floods from the bots). A small medical
//! device has little of either to spare, so with `impaired_share` that
//! share of recruits stop doing their clinical job while they are bots
//! (out of service until rebuilt, their downtime and the clinical services
//! that need them counted); the rest keep working. Bots live in memory, so a device rebuilt or
//! rebooted by the response is clean, and one whose credentials were
//! changed cannot be recruited (the MDS2 "default accounts" question,
//! [S16]). The spread itself is the contagion shared with the worm
//! ([`super::contagion`]), with default credentials in place of a
//! vulnerability.

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use serde::Deserialize;

use super::contagion::{self, Outbreak, Spread, SpreadIds, SpreadParams, Weakness};

/// `[attacks.<id>]` with `kind = "botnet"`: bots recruiting devices that
/// keep their default credentials.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BotnetParams {
    /// The login service bots scan (Mirai used Telnet, [S12]).
    #[schemars(with = "String")]
    pub service: Spanned<String>,
    /// Login attempts each bot makes per hour, all aimed at hosts it
    /// reaches on the service. Default 0.55: where every host a bot reaches
    /// is recruitable, the botnet then doubles every 76 minutes, as Mirai
    /// did early on ([S12]).
    #[serde(default = "mirai_pace")]
    #[schemars(with = "f64")]
    pub scans_per_hour: Spanned<f64>,
    /// Probability that one attempt at a device still on its default
    /// credentials logs in. Default 1 (assumed: Mirai's dictionary of about
    /// 60 pairs held the makers' defaults, [S12]).
    #[serde(default = "Probability::one")]
    pub login_success: Probability,
    /// Zone its outside bots scan from (e.g. the internet), and where its
    /// entry devices sit. Absent: entry devices may sit anywhere.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub entry_zone: Option<Spanned<String>>,
    /// Bots outside the estate scanning from the entry zone for the whole
    /// trial.
    #[serde(default)]
    pub external_sources: u32,
    /// Devices of the estate already bots when it begins (recruited before
    /// the trial, e.g. by a laptop on the ward's network): chosen among
    /// the devices that listen on the service and have default
    /// credentials, the same devices in every design.
    #[serde(default)]
    pub entry_devices: u32,
    /// Bots in the estate at once that make the botnet's objective (a
    /// force to flood with or to pivot from). Default 10 (assumed).
    #[serde(default = "ten")]
    pub objective_bots: u32,
    /// Share of recruited devices that stop doing their clinical job while
    /// they are bots, their link and processor taken by the botnet's
    /// scanning and floods: out of service until rebuilt. Default 0
    /// (assumed: no published share for medical devices; Mirai's bots kept
    /// working as cameras and routers while they scanned [S12]).
    #[serde(default)]
    pub impaired_share: Probability,
}

fn mirai_pace() -> Spanned<f64> {
    Spanned::new(0..0, std::f64::consts::LN_2 / (76.0 / 60.0))
}

fn ten() -> u32 {
    10
}

/// Registers the `botnet` mechanism.
pub struct BotnetFactory;

const SEEDED: EventSpec = EventSpec::new(
    "seeded",
    "is a bot when the trial's botnet begins (how it was recruited is not modelled)",
    "are bots when the trial's botnet begins (how they were recruited is not modelled)",
);
const RECRUITED: EventSpec = EventSpec::new(
    "recruited",
    "accepts the maker's default password and joins the botnet",
    "accept their makers' default passwords and join the botnet",
)
.technique("T0812");
const IMPAIRED: EventSpec = EventSpec::new(
    "impaired",
    "stops doing its clinical job, its link and processor taken by the botnet",
    "stop doing their clinical job, their links and processors taken by the botnet",
)
.technique("T0814");
const IMPAIRED_COUNT: MetricSpec = MetricSpec::count(
    "impaired",
    "bots out of service",
    "recruited devices that stopped doing their clinical job while they were bots",
)
.unit("devices")
.lower_is_better();
const RECRUITS: MetricSpec = MetricSpec::count(
    "recruits",
    "devices recruited as bots",
    "devices the botnet logged in to with default credentials, or held at the start (a device recruited again counts again)",
)
.unit("devices")
.lower_is_better();
const PEAK: MetricSpec =
    MetricSpec::peak("bots_peak", "most bots at once", "the most devices of the estate that were bots at one moment")
        .unit("devices")
        .lower_is_better();
const OBJECTIVE: MetricSpec = MetricSpec::flag(
    "objective_reached",
    "objective reached",
    "the botnet held at least objective_bots devices of the estate at one moment",
)
.lower_is_better();

impl PluginSpec for BotnetFactory {
    type Params = BotnetParams;
    const KIND: &'static str = "botnet";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "IoT botnet recruiting devices through their default credentials (T0812)";

    fn configure(
        p: BotnetParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let service = scenario.service_ref(&p.service).map_err(|d| problems.push(d)).ok();
        let (entry_zone, rate) = contagion::check_shared_fields(
            scenario,
            section,
            p.entry_zone.as_ref(),
            &p.scans_per_hour,
            p.external_sources,
            &mut problems,
        );
        if p.entry_devices == 0 && p.external_sources == 0 {
            problems.push(
                Diagnostic::at(section.span(), "the botnet has no bots: entry_devices and external_sources are both 0")
                    .with_help("set external_sources (bots scanning from the entry zone) or entry_devices"),
            );
        }
        let Some(service) = service else { return Err(problems) };
        if !problems.is_empty() {
            return Err(problems);
        }
        let spread = Spread::new(
            scenario,
            SpreadParams {
                weakness: Weakness::DefaultCredentials,
                service,
                success: p.login_success.get(),
                scans_per_hour: rate,
                entry_zone,
                external_sources: p.external_sources,
            },
        );
        let candidates = (0..scenario.device_count())
            .filter(|&d| {
                let slot = scenario.devices[d as usize];
                let t = &scenario.device_types[usize::from(slot.device_type.0)];
                entry_zone.is_none_or(|z| slot.zone == z) && t.services.contains(service) && t.default_credentials > 0.0
            })
            .collect();
        Ok(Box::new(Botnet {
            plan: Arc::new(Plan {
                spread: Arc::new(spread),
                entry_devices: p.entry_devices,
                candidates,
                objective_bots: p.objective_bots.max(1),
                impaired_share: p.impaired_share.get(),
            }),
        }))
    }
}

struct Plan {
    spread: Arc<Spread>,
    entry_devices: u32,
    /// Devices that may be bots at the start: listening on the service,
    /// of a type with default credentials, in the entry zone if one is set.
    candidates: Vec<DeviceIndex>,
    objective_bots: u32,
    impaired_share: f64,
}

struct Botnet {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    begin: HandlerId,
    seeded: EventKindId,
    spread: SpreadIds,
    peak: MetricId,
    objective: MetricId,
    impaired: EventKindId,
    impaired_count: MetricId,
}

/// One instance's parameters and ids, for its handlers.
struct Herd {
    plan: Arc<Plan>,
    ids: Ids,
}

impl Plugin for Botnet {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            begin: b.handler("botnet.begin", begin),
            seeded: b.event(SEEDED),
            spread: SpreadIds {
                infect: b.handler("botnet.recruit", contagion::infect_next),
                taken: b.event(RECRUITED),
                infections: b.metric(RECRUITS),
            },
            peak: b.metric(PEAK),
            objective: b.metric(OBJECTIVE),
            impaired: b.event(IMPAIRED),
            impaired_count: b.metric(IMPAIRED_COUNT),
        };
        contagion::watch(b, "botnet.device_changed");
        b.on_arrival(ids.begin);
        let count = b.handler("botnet.count", count_bots);
        b.on_transition(Transition::Compromised, count);
        b.story(
            "recruited {recruits} {recruits|device|devices}, at most {bots_peak} at once; \
             {impaired} {impaired|bot|bots} stopped doing {impaired|its|their} clinical job",
        );
        b.init_resource::<Instances<Herd>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(
            move |sim: Sim, mut herds: ResMut<Instances<Herd>>, mut outbreaks: ResMut<Instances<Outbreak>>| {
                herds.insert(me, Herd { plan: plan.clone(), ids });
                let (devices, zones) = (sim.device_count() as usize, sim.scenario().zones.len());
                outbreaks.insert(me, Outbreak::new(plan.spread.clone(), ids.spread, devices, zones));
            },
        );
    }
}

/// The botnet turns to the estate (the event's tag counts its arrivals):
/// at the first arrival its outside bots start scanning; at each, its entry
/// devices that still have default credentials become bots.
fn begin(In(e): In<Event>, mut sim: Sim, herds: Res<Instances<Herd>>, mut outbreaks: ResMut<Instances<Outbreak>>) {
    let h = herds.get(e.instance);
    let o = outbreaks.get_mut(e.instance);
    if !o.started() {
        o.begin(&sim, e.instance);
    }
    let key = sim.key(e.instance).named("entry").with(e.tag);
    let weak = h.plan.candidates.iter().copied().filter(|&d| sim.state(d).default_credentials);
    let entries: Vec<DeviceIndex> = weak.collect();
    for (i, d) in crate::common::first_by_key(&sim, key, entries, h.plan.entry_devices as usize).into_iter().enumerate()
    {
        o.seed(&mut sim, e.instance, d, h.ids.seeded, key.named("seeded").with(i as u64));
    }
    o.reschedule(&mut sim);
}

/// A device joined some attack: if it joined this botnet, the bots are
/// counted, and the device may stop doing its job (drawn for this
/// recruitment).
fn count_bots(In(e): In<Event>, mut sim: Sim, herds: Res<Instances<Herd>>, outbreaks: Res<Instances<Outbreak>>) {
    let h = herds.get(e.instance);
    let kind = EventKindId(e.tag as u16);
    if kind != h.ids.spread.taken && kind != h.ids.seeded {
        return;
    }
    if h.plan.impaired_share > 0.0 {
        let cause = sim.state(e.target).cause;
        if sim.key(e.instance).named("impaired").and(cause).bernoulli(h.plan.impaired_share)
            && sim.disrupt(e.target, h.ids.impaired)
        {
            sim.add(h.ids.impaired_count, 1);
        }
    }
    let bots = outbreaks.get(e.instance).hosts_scanning();
    sim.peak(h.ids.peak, u64::from(bots));
    if bots >= h.plan.objective_bots {
        sim.raise(h.ids.objective);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::MetricValue;

    /// A ward of `n` cameras listening on Telnet, a share `defaults` of
    /// them on default credentials, with one bot on the internet scanning
    /// through a Telnet conduit.
    fn ward(n: u32, defaults: f64, conduit: &str, extra: &str) -> String {
        format!(
            r#"
            name = "ward"
            duration = "2d"
            zones = [{{ id = "ward" }}, {{ id = "internet", external = true }}]
            conduits = [{{ from = "internet", to = "ward", services = ["{conduit}"] }}]
            [[device_types]]
            id = "camera"
            services = ["telnet"]
            default_credentials = {defaults}
            [[placement]]
            zone = "ward"
            device_type = "camera"
            count = {n}
            [attacks.botnet]
            service = "telnet"
            entry_zone = "internet"
            external_sources = 1
            scans_per_hour = 2.0
            {extra}
            "#
        )
    }

    fn recruits(text: &str, trials: u32) -> Vec<f64> {
        let e = engine(text);
        let m = e.model().metric("botnet.recruits").expect("declared");
        run(text, trials, false).iter().map(|r| r.outcome.get(m).count() as f64).collect()
    }

    #[test]
    fn nobody_is_recruited_once_no_default_credentials_remain() {
        let all = recruits(&ward(300, 1.0, "telnet", ""), 20);
        assert!(all.iter().all(|&n| n > 250.0), "every camera on defaults joins: {all:?}");
        let none = run(&ward(300, 0.0, "telnet", ""), 20, false);
        assert!(none.iter().all(|r| r.outcome.core().compromised == 0), "no default credentials, no bots");
    }

    #[test]
    fn the_share_on_default_credentials_bounds_the_botnet() {
        let half = mean_ci(&recruits(&ward(400, 0.5, "telnet", ""), 30));
        assert!(half.0 > 170.0 && half.0 < 230.0, "about half of 400: {half:?}");
        let most = mean_ci(&recruits(&ward(400, 0.9, "telnet", ""), 30));
        assert_clearly_below(half, most, "recruits with 50% vs 90% on defaults");
    }

    #[test]
    fn outside_bots_need_a_conduit_carrying_the_login_service() {
        let closed = run(&ward(200, 1.0, "https", ""), 20, false);
        assert!(closed.iter().all(|r| r.outcome.core().compromised == 0));
    }

    #[test]
    fn a_slower_pace_recruits_fewer_within_the_horizon() {
        let fast =
            mean_ci(&recruits(&ward(300, 1.0, "telnet", "").replace("duration = \"2d\"", "duration = \"6h\""), 30));
        let slow = mean_ci(&recruits(
            &ward(300, 1.0, "telnet", "")
                .replace("duration = \"2d\"", "duration = \"6h\"")
                .replace("scans_per_hour = 2.0", "scans_per_hour = 0.5"),
            30,
        ));
        assert_clearly_below(slow, fast, "recruits in 6h at 0.5 vs 2 attempts an hour");
    }

    #[test]
    fn the_objective_needs_enough_bots_at_once() {
        let text = |bots: u32| ward(50, 1.0, "telnet", &format!("objective_bots = {bots}"));
        let flag = |t: &str| {
            let e = engine(t);
            let m = e.model().metric("botnet.objective_reached").expect("declared");
            run(t, 10, false).iter().filter(|r| r.outcome.get(m) == MetricValue::Flag(true)).count()
        };
        assert_eq!(flag(&text(20)), 10);
        assert_eq!(flag(&text(51)), 0, "more bots than devices is never reached");
    }

    #[test]
    fn a_rebuild_clears_a_bot() {
        let respond = "[defences.monitoring]\ncoverage = 1.0\ntime_to_detect = \"10m\"\n\
                       [defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"1h\"\npatch_on_restore = false";
        let text = ward(200, 1.0, "telnet", &format!("\n{respond}"));
        let e = engine(&text);
        let peak = e.model().metric("botnet.bots_peak").expect("declared");
        for r in run(&text, 10, false) {
            // Every bot is caught within minutes: the herd never grows far.
            assert!(r.outcome.get(peak).count() < 20, "peak {}", r.outcome.get(peak).count());
        }
    }

    #[test]
    fn impaired_bots_go_out_of_service_and_the_rest_keep_working() {
        // Every camera on defaults joins; with a share impaired, that share
        // of recruits stop working until the end of the trial.
        let downtime = |share: f64| {
            let text = ward(300, 1.0, "telnet", &format!("impaired_share = {share}"));
            let results = run(&text, 20, false);
            let impaired = metric(&text, &results, "botnet.impaired");
            let recruits = metric(&text, &results, "botnet.recruits");
            let share_out = impaired.iter().sum::<f64>() / recruits.iter().sum::<f64>();
            let down = results.iter().map(|r| r.outcome.core().downtime_device_hours).collect::<Vec<_>>();
            let disrupted: Vec<u64> = results.iter().map(|r| r.outcome.core().disrupted).collect();
            (share_out, mean_ci(&down), disrupted, recruits)
        };
        let (none, working, untouched, recruited_none) = downtime(0.0);
        let (half, impaired, disrupted, recruited_half) = downtime(0.5);
        assert_eq!(none, 0.0);
        assert!(untouched.iter().all(|&d| d == 0), "recruits keep working by default");
        assert!((half - 0.5).abs() < 0.05, "about half the recruits stop working: {half}");
        assert!(disrupted.iter().all(|&d| d > 100));
        assert_clearly_below(working, impaired, "device-hours down, bots working vs half impaired");
        assert_eq!(recruited_none, recruited_half, "impaired bots still recruit: the spread is unchanged");
    }

    #[test]
    fn an_unknown_service_is_named() {
        let err = load_error(&ward(10, 1.0, "telnet", "").replace("service = \"telnet\"", "service = \"telnt\""));
        assert!(err.contains("unknown service `telnt`"), "{err}");
    }
}
