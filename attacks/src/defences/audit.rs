//! Security audits and vulnerability scans: at a fixed interval a scan
//! looks at every device and finds each open weakness with a probability:
//! a maker's default password never changed (MDS2 PAUT), and each
//! vulnerability whose patch is out but not installed (on devices whose
//! maker still patches them). What it finds is fixed after a delay: the
//! password changed, the patch installed. It closes what patching missed
//! (devices out of the programme's reach) and what nobody tracked (default
//! accounts); it cannot close a hole with no patch.

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use iomtsim_sim::random::name_hash;
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "audit"`: periodic scans and fixes.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Time between scans; the first runs this long after the trial starts.
    #[schemars(with = "SimDuration")]
    pub every: Spanned<SimDuration>,
    /// Probability that a scan finds a given open weakness on a device.
    /// Default 0.9 (assumed: authenticated scans miss devices that are off
    /// or unreachable).
    #[serde(default = "default_finds")]
    pub finds: Probability,
    /// Time from a finding to its fix. Default log-normal with median 7d
    /// and p90 30d (assumed).
    #[serde(default = "default_fix_after")]
    pub fix_after: Distribution,
}

fn default_finds() -> Probability {
    Probability::new(0.9).unwrap_or_default()
}

fn default_fix_after() -> Distribution {
    Distribution::LogNormal { median: SimDuration::from_days(7), p90: SimDuration::from_days(30) }
}

/// Registers the `audit` mechanism.
pub struct AuditFactory;

const CHANGED: EventSpec = EventSpec::new(
    "default-password-changed",
    "has its maker's default password changed after an audit found it",
    "have their makers' default passwords changed after an audit found them",
);
const CLOSED: EventSpec = EventSpec::new(
    "patched-after-scan",
    "receives a missing patch a vulnerability scan found",
    "receive missing patches a vulnerability scan found",
);
const SCANS: MetricSpec =
    MetricSpec::count("scans", "scans run", "audits and vulnerability scans run during the trial").unit("scans");
const PASSWORDS: MetricSpec = MetricSpec::count(
    "default_passwords_changed",
    "default passwords changed",
    "devices whose maker's default password an audit found and had changed",
)
.unit("devices");
const PATCHES: MetricSpec = MetricSpec::count(
    "missing_patches_installed",
    "missing patches installed",
    "patches a scan found missing and had installed",
)
.unit("patches");

/// A fix's tag: the weakness (0 the default password, `1 + v` the patch
/// for vulnerability `v`) in the low byte, the scan above it.
fn tag(scan: u64, weakness: u64) -> u64 {
    (scan << 8) | weakness
}

impl PluginSpec for AuditFactory {
    type Params = AuditParams;
    const KIND: &'static str = "audit";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "periodic audits and vulnerability scans: default passwords changed and missing patches installed";

    fn configure(
        params: AuditParams,
        _: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let every = *params.every.get_ref();
        if every < SimDuration::from_hours(1) {
            return Err(vec![
                Diagnostic::at(params.every.span(), "audits must be at least an hour apart")
                    .with_help("scans are periodic: a month (`30d`) or a quarter (`91d`) is usual"),
            ]);
        }
        let vuln_keys = scenario.vulnerabilities.iter().map(|v| name_hash(&v.id)).collect();
        Ok(Box::new(Audit {
            plan: Arc::new(Plan { every, finds: params.finds.get(), fix_after: params.fix_after, vuln_keys }),
        }))
    }
}

struct Plan {
    every: SimDuration,
    finds: f64,
    fix_after: Distribution,
    vuln_keys: Vec<u64>,
}

struct Audit {
    plan: Arc<Plan>,
}

/// One instance's parameters and ids, for its handlers.
struct Auditor {
    plan: Arc<Plan>,
    scan: HandlerId,
    fix: HandlerId,
    changed: EventKindId,
    closed: EventKindId,
    scans: MetricId,
    passwords: MetricId,
    patches: MetricId,
}

impl Plugin for Audit {
    fn build(&self, b: &mut SimBuilder) {
        let scan = b.handler("audit.scan", scan);
        let fix = b.handler("audit.fix", fix);
        let (changed, closed) = (b.event(CHANGED), b.event(CLOSED));
        let (scans, passwords, patches) = (b.metric(SCANS), b.metric(PASSWORDS), b.metric(PATCHES));
        b.story(
            "ran {scans} {scans|scan|scans}, changing {default_passwords_changed} default \
             {default_passwords_changed|password|passwords} and installing {missing_patches_installed} missing \
             {missing_patches_installed|patch|patches}",
        );
        b.init_resource::<Instances<Auditor>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut sim: Sim, mut all: ResMut<Instances<Auditor>>| {
            let every = plan.every;
            all.insert(me, Auditor { plan: plan.clone(), scan, fix, changed, closed, scans, passwords, patches });
            sim.schedule_in(every, scan, 0, 1);
        });
    }
}

/// Scan number `e.tag` looks at every device; each open weakness is found
/// with the plan's probability, keyed by (scan, device, weakness), and
/// fixed after its own delay. The next scan is scheduled.
fn scan(In(e): In<Event>, mut sim: Sim, all: Res<Instances<Auditor>>) {
    let a = all.get(e.instance);
    let plan = &a.plan;
    sim.add(a.scans, 1);
    sim.schedule_in(plan.every, a.scan, 0, e.tag + 1);
    let released = crate::common::patches_released(&sim);
    let root = sim.key(e.instance).with(e.tag);
    let mut found = Vec::new();
    for (d, s) in sim.devices() {
        let open_patches = if s.unsupported { 0 } else { s.vulnerable & !s.patched };
        if !s.default_credentials && open_patches == 0 {
            continue;
        }
        let key = root.with(sim.identity(d));
        if s.default_credentials && key.named("password").bernoulli(plan.finds) {
            found.push((d, 0, key.named("password")));
        }
        for (v, &out) in released.iter().enumerate() {
            if out && open_patches & (1 << v) != 0 && key.with(plan.vuln_keys[v]).bernoulli(plan.finds) {
                found.push((d, 1 + v as u64, key.with(plan.vuln_keys[v])));
            }
        }
    }
    for (d, weakness, key) in found {
        let delay = plan.fix_after.draw(key.named("fix"));
        sim.schedule_in(delay, a.fix, d, tag(e.tag, weakness));
    }
}

fn fix(In(e): In<Event>, mut sim: Sim, all: Res<Instances<Auditor>>) {
    let a = all.get(e.instance);
    match e.tag & 0xff {
        0 => {
            if sim.change_default_credentials(e.target, a.changed) {
                sim.add(a.passwords, 1);
            }
        }
        w => {
            if sim.patch(e.target, VulnId((w - 1) as u8), a.closed) {
                sim.add(a.patches, 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    const SCENARIO: &str = include_str!("../../../scenarios/defences/audit.toml");

    #[test]
    fn audits_shrink_the_botnet_by_changing_default_passwords_not_a_flaw_with_no_patch() {
        let bare = without(SCENARIO, "defences.audit");
        let (on, off) = (run(SCENARIO, 60, false), run(&bare, 60, false));
        let recruits = |text: &str, r: &[_]| mean_ci(&metric(text, r, "botnet.recruits"));
        assert_clearly_below(recruits(SCENARIO, &on), recruits(&bare, &off), "devices recruited with audits");
        assert!(metric(SCENARIO, &on, "audit.default_passwords_changed").iter().all(|&x| x > 0.0));
        // The building controllers also carry a BACnet flaw whose patch
        // never comes, and a worm exploits it after three audits, its
        // scanning killed before the botnet comes (so that the two never
        // contend for a controller). The scans look at the controllers,
        // find no patch to install, and the worm takes as many as without
        // them in every trial.
        let flawed = |text: &str| {
            let t = insert_after(
                text,
                "name = \"Building controller (HVAC, lifts)\"",
                "vulnerabilities = [{ id = \"bacnet-flaw\" }]",
            );
            insert_before(
                &t,
                "[attacks.botnet]",
                "[[vulnerabilities]]\nid = \"bacnet-flaw\"\nservice = \"bacnet\"\ndisclosed = \"-30d\"\n\
                 vendor_patch_after = \"1000d\"\n\n\
                 [attacks.worm]\nexploit = \"bacnet-flaw\"\nexploit_success = 0.5\nscans_per_hour = 0.02\n\
                 start = \"100d\"\nkill_switch_after = \"15d\"\nentry_zone = \"iot\"\nentry_devices = 1\nentry_device_type = \"building-system\"\n",
            )
        };
        let (flawed_on, flawed_off) = (flawed(SCENARIO), flawed(&bare));
        let (on, off) = (run(&flawed_on, 60, false), run(&flawed_off, 60, false));
        let infections = metric(&flawed_on, &on, "worm.infections");
        assert!(infections.iter().any(|&n| n > 1.0), "the worm spreads beyond its entry");
        assert_eq!(infections, metric(&flawed_off, &off, "worm.infections"), "controllers the worm took");
        assert!(on.iter().all(|r| r.outcome.core().patches_installed == 0), "no patch to install");
    }

    #[test]
    fn an_audit_that_finds_nothing_changes_nothing() {
        let blind = SCENARIO.replace("finds = 0.9", "finds = 0.0");
        let bare = without(SCENARIO, "defences.audit");
        let (a, b) = (run(&blind, 20, false), run(&bare, 20, false));
        assert!(metric(&blind, &a, "audit.default_passwords_changed").iter().all(|&n| n == 0.0));
        assert_eq!(metric(&blind, &a, "botnet.recruits"), metric(&bare, &b, "botnet.recruits"));
    }

    #[test]
    fn more_frequent_audits_close_more() {
        let quarterly = SCENARIO.replace("every = \"30d\"", "every = \"150d\"");
        let (monthly, rare) = (run(SCENARIO, 40, false), run(&quarterly, 40, false));
        let changed = |text: &str, r: &[_]| mean_ci(&metric(text, r, "audit.default_passwords_changed"));
        assert_clearly_below(
            changed(&quarterly, &rare),
            changed(SCENARIO, &monthly),
            "passwords changed every five months",
        );
    }

    #[test]
    fn scans_install_missing_patches_but_not_on_unsupported_devices() {
        let text = lan(200, "-60d", "", "start = \"300d\"", "[defences.audit]\nevery = \"30d\"\nfix_after = \"1d\"")
            .replace("duration = \"10d\"", "duration = \"365d\"");
        let results = run(&text, 10, false);
        assert!(results.iter().all(|r| r.outcome.core().compromised == 1), "the hosts were patched in time");
        let unsupported = lan(
            200,
            "-60d",
            "unsupported_os = 1.0",
            "start = \"300d\"",
            "[defences.audit]\nevery = \"30d\"\nfix_after = \"1d\"",
        )
        .replace("duration = \"10d\"", "duration = \"365d\"");
        let results = run(&unsupported, 10, false);
        assert!(results.iter().all(|r| r.outcome.core().patches_installed == 0));
        assert!(results.iter().all(|r| r.outcome.core().compromised > 150));
    }

    #[test]
    fn audits_leave_a_vulnerability_without_a_patch_open() {
        // The patch is never released within the year: scans find nothing
        // to install, and the worm spreads as without them.
        let text = |audit: &str| {
            lan(200, "-60d", "", "start = \"300d\"", audit)
                .replace("duration = \"10d\"", "duration = \"365d\"")
                .replace("disclosed = \"-60d\"", "disclosed = \"-60d\", vendor_patch_after = \"1000d\"")
        };
        let on = run(&text("[defences.audit]\nevery = \"30d\""), 20, false);
        let off = run(&text(""), 20, false);
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(a.outcome.core().compromised, b.outcome.core().compromised);
        }
    }
}
