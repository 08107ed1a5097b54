//! A ransomware payload: data encrypted for impact (ATT&CK T1486). It
//! follows the attacks it is told to follow: whenever one of them takes
//! control of a device, the payload encrypts it after a delay, and the
//! device is out of service until rebuilt. Staff may notice the ransom
//! screen and report it, which detects the compromise.
//!
//! Split from the worm that carried it in WannaCry, it can follow any
//! attack that gains control of a device: a worm, a human operator with
//! stolen credentials, a second wave.
//!
//! A human operator detonates instead: Conti waited about eight weeks
//! inside the HSE, then encrypted everything it held at once [S9]. With
//! `detonate_after`, the payload waits that long after the first compromise
//! it follows in the trial and encrypts, at that one instant, every device
//! the attacks it follows hold then (compromised by them, in the same
//! rebuild epoch, and not cut off the network, since the operator must
//! reach it to launch the payload); devices they take afterwards are
//! encrypted `delay` after their compromise, or left alone without one.
//!
//! Before encrypting, operators destroy what would let the hospital
//! recover without them (T1490: shadow copies deleted, backups reached
//! from the device wiped): 95% of hospitals hit saw attempts on their
//! backups, and two in three attempts succeeded [S14]. With
//! `inhibit_recovery`, that share of the devices the payload encrypts lose
//! their backups, and a rebuild must start from nothing.

use std::sync::Arc;

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "ransomware"`: a payload that encrypts
/// devices other attacks take.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RansomwareParams {
    /// Ids of the attacks whose compromises it follows. Absent: every other
    /// attack of the scenario.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub follows: Option<Vec<Spanned<String>>>,
    /// Time from a device's compromise to its encryption. With
    /// `detonate_after`, only for devices taken after the detonation (absent:
    /// those are left alone). At least one of the two must be given.
    #[serde(default)]
    pub delay: Option<Distribution>,
    /// Encrypt everything at once: this long after the first compromise it
    /// follows in the trial, every device the followed attacks hold then is
    /// encrypted at the same instant (Conti detonated about eight weeks
    /// after its phishing e-mail was opened at the HSE [S9]). Absent: each
    /// device is encrypted `delay` after its own compromise.
    #[serde(default)]
    pub detonate_after: Option<Distribution>,
    /// Time for staff to report an encrypted device's ransom screen, which
    /// detects its compromise. Absent: nobody reports it.
    #[serde(default)]
    pub noticed_after: Option<Distribution>,
    /// Share of the devices it encrypts whose backups it destroys first
    /// (T1490): a rebuild of such a device cannot restore from a backup.
    /// Default 0; 0.66 of attempts on backups succeeded in hospitals hit
    /// in 2024 [S14].
    #[serde(default)]
    pub inhibit_recovery: Probability,
}

/// Registers the `ransomware` mechanism.
pub struct RansomwareFactory;

const ENCRYPTED: EventSpec =
    EventSpec::new("encrypted", "is encrypted and stops working", "are encrypted and stop working").technique("T1486");
const INHIBITED: EventSpec = EventSpec::new(
    "recovery-inhibited",
    "has its shadow copies and backups destroyed",
    "have their shadow copies and backups destroyed",
)
.technique("T1490");
const REPORTED: EventSpec = EventSpec::new(
    "ransom-reported",
    "is reported by staff, who see its ransom screen",
    "are reported by staff, who see their ransom screens",
);
const ENCRYPTIONS: MetricSpec = MetricSpec::count(
    "encryptions",
    "devices encrypted",
    "devices the payload encrypted (a device encrypted again counts again)",
)
.unit("devices")
.lower_is_better();
const REPORTS: MetricSpec = MetricSpec::count(
    "reports",
    "ransom screens reported by staff",
    "encrypted devices staff reported, detecting their compromise",
)
.unit("devices");

const OBJECTIVE: MetricSpec =
    MetricSpec::flag("objective_reached", "objective reached", "the payload encrypted at least one device")
        .lower_is_better();

impl PluginSpec for RansomwareFactory {
    type Params = RansomwareParams;
    const KIND: &'static str = "ransomware";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "ransomware payload encrypting devices other attacks take (T1486)";

    fn configure(
        p: RansomwareParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let follows = crate::common::resolve_follows(p.follows.as_deref(), section, scenario)?;
        if p.delay.is_none() && p.detonate_after.is_none() {
            return Err(vec![
                Diagnostic::at(
                    section.span(),
                    "the payload never encrypts anything: neither `delay` nor `detonate_after` is given",
                )
                .with_help(
                    "set `delay` (encrypt each device that long after its compromise), `detonate_after` \
                         (encrypt everything held at one moment), or both",
                ),
            ]);
        }
        let plan = Plan {
            follows,
            delay: p.delay,
            detonate_after: p.detonate_after,
            noticed_after: p.noticed_after,
            inhibit_recovery: p.inhibit_recovery.get(),
        };
        Ok(Box::new(Ransomware { plan: Arc::new(plan) }))
    }
}

struct Plan {
    follows: Vec<bool>,
    delay: Option<Distribution>,
    detonate_after: Option<Distribution>,
    noticed_after: Option<Distribution>,
    inhibit_recovery: f64,
}

struct Ransomware {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    encrypt: HandlerId,
    detonate: HandlerId,
    report: HandlerId,
    encrypted: EventKindId,
    reported: EventKindId,
    inhibited: EventKindId,
    encryptions: MetricId,
    reports: MetricId,
    objective: MetricId,
}

/// One instance's parameters and ids, for its handlers, and what it waits
/// to detonate.
struct Payload {
    plan: Arc<Plan>,
    ids: Ids,
    /// Before the detonation: the devices the followed attacks took, with
    /// their epoch then.
    held: Vec<(DeviceIndex, u32)>,
    /// The detonation is scheduled.
    armed: bool,
    /// The detonation has happened.
    detonated: bool,
}

impl Plugin for Ransomware {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            encrypt: b.handler("ransomware.encrypt", encrypt),
            detonate: b.handler("ransomware.detonate", detonate),
            report: b.handler("ransomware.report", report),
            encrypted: b.event(ENCRYPTED),
            reported: b.event(REPORTED),
            inhibited: b.event(INHIBITED),
            encryptions: b.metric(ENCRYPTIONS),
            reports: b.metric(REPORTS),
            objective: b.metric(OBJECTIVE),
        };
        let follow = b.handler("ransomware.follow", follow);
        b.on_transition(Transition::Compromised, follow);
        b.story("encrypted {encryptions} {encryptions|device|devices}; staff reported {reports} ransom {reports|screen|screens}");
        b.init_resource::<Instances<Payload>>();
        let (plan, me) = (self.plan.clone(), b.instance());
        b.on_trial_start(move |mut payloads: ResMut<Instances<Payload>>| {
            payloads.insert(me, Payload { plan: plan.clone(), ids, held: Vec::new(), armed: false, detonated: false });
        });
    }
}

/// A device was compromised: if an attack this payload follows took it,
/// encryption is scheduled, or the device waits for the detonation (which
/// the first such compromise of the trial arms).
fn follow(In(e): In<Event>, mut sim: Sim, mut payloads: ResMut<Instances<Payload>>) {
    let p = payloads.get_mut(e.instance);
    if !crate::common::caused_by_followed(&sim, e.tag, &p.plan.follows) {
        return;
    }
    let d = e.target;
    let epoch = sim.state(d).epoch;
    let cause = sim.state(d).cause;
    if let Some(after) = &p.plan.detonate_after
        && !p.detonated
    {
        p.held.push((d, epoch));
        if !p.armed {
            p.armed = true;
            let wait = after.draw(sim.key(e.instance).named("detonate"));
            sim.schedule_in(wait, p.ids.detonate, 0, 0);
        }
        return;
    }
    if let Some(delay) = &p.plan.delay {
        let delay = delay.draw(sim.key(e.instance).named("delay").and(cause));
        sim.schedule_in(delay, p.ids.encrypt, d, u64::from(epoch));
    }
}

fn encrypt(In(e): In<Event>, mut sim: Sim, payloads: Res<Instances<Payload>>) {
    let p = payloads.get(e.instance);
    let s = sim.state(e.target);
    if !s.compromised || u64::from(s.epoch) != e.tag {
        return; // rebuilt since the compromise
    }
    encrypt_now(&mut sim, p, e.instance, e.target);
}

/// The detonation: every device the followed attacks still hold is
/// encrypted at this instant.
fn detonate(In(e): In<Event>, mut sim: Sim, mut payloads: ResMut<Instances<Payload>>) {
    let p = payloads.get_mut(e.instance);
    p.detonated = true;
    for (d, epoch) in std::mem::take(&mut p.held) {
        let s = sim.state(d);
        if s.compromised && !s.isolated && s.epoch == epoch {
            encrypt_now(&mut sim, p, e.instance, d);
        }
    }
}

/// Encrypts compromised device `d`, after destroying its backups if the
/// payload inhibits recovery there; staff may then report its ransom
/// screen.
fn encrypt_now(sim: &mut Sim, p: &Payload, me: InstanceId, d: DeviceIndex) {
    let s = sim.state(d);
    if p.plan.inhibit_recovery > 0.0 && sim.key(me).named("inhibit").and(s.cause).bernoulli(p.plan.inhibit_recovery) {
        sim.destroy_backups(d, p.ids.inhibited);
    }
    if sim.disrupt(d, p.ids.encrypted) {
        sim.add(p.ids.encryptions, 1);
        sim.raise(p.ids.objective);
        if let Some(noticed) = &p.plan.noticed_after {
            let key = sim.key(me).named("noticed").and(s.cause);
            let delay = noticed.draw(key);
            sim.schedule_in(delay, p.ids.report, d, u64::from(s.epoch));
        }
    }
}

fn report(In(e): In<Event>, mut sim: Sim, payloads: Res<Instances<Payload>>) {
    let p = payloads.get(e.instance);
    let s = sim.state(e.target);
    if s.compromised && u64::from(s.epoch) == e.tag && sim.detect(e.target, p.ids.reported) {
        sim.add(p.ids.reports, 1);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::{SimDuration, SimTime, Transition, TrialResult};

    const RESPOND: &str =
        "[defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"1d\"\npatch_on_restore = false";

    #[test]
    fn the_payload_encrypts_and_downtime_accrues_until_restored() {
        let encrypted = run(&lan(400, "-60d", "", "", "[attacks.ransomware]\ndelay = \"10m\""), 20, false);
        for r in &encrypted {
            let o = r.outcome.core();
            assert_eq!(o.disrupted, o.compromised, "every infected host is encrypted");
            assert!(o.downtime_device_hours > o.disrupted as f64 * 24.0, "downtime accrues while encrypted");
            assert!(!o.detected, "nobody notices without a ransom report");
        }
        let noticed = run(
            &lan(
                400,
                "-60d",
                "",
                "",
                &format!("[attacks.ransomware]\ndelay = \"10m\"\nnoticed_after = \"1h\"\n{RESPOND}"),
            ),
            20,
            false,
        );
        let e = engine(&lan(
            400,
            "-60d",
            "",
            "",
            &format!("[attacks.ransomware]\ndelay = \"10m\"\nnoticed_after = \"1h\"\n{RESPOND}"),
        ));
        let restorations = e.model().metric("incident_response.restorations").unwrap();
        for r in &noticed {
            let o = r.outcome.core();
            assert!(o.detected);
            let ttd = o.time_to_detect_h.unwrap();
            assert!((ttd - (10.0 / 60.0 + 1.0)).abs() < 1e-6, "first detection 1h after the first encryption: {ttd}");
            assert!(r.outcome.get(restorations).count() > 0);
        }
    }

    #[test]
    fn it_follows_only_the_attacks_it_is_told_to() {
        // A second worm instance with no entry of its own never compromises
        // anything here, and the payload follows only it: nothing is encrypted.
        let text = lan(
            200,
            "-60d",
            "",
            "",
            "[attacks.other]\nkind = \"worm\"\nexploit = \"eb\"\nscans_per_hour = 1.0\nentry_devices = 1\nstart = \"30d\"\n\
             [attacks.ransomware]\ndelay = \"1m\"\nfollows = [\"other\"]",
        );
        assert!(
            run(&text, 10, false).iter().all(|r| r.outcome.core().disrupted == 0 && r.outcome.core().compromised > 1)
        );
        let unknown = lan(10, "-60d", "", "", "[attacks.ransomware]\ndelay = \"1m\"\nfollows = [\"wurm\"]");
        let err = load_error(&unknown);
        assert!(err.contains("unknown attack `wurm`"), "{err}");
    }

    /// Devices with the time something happened to them.
    type Times = Vec<(u32, SimTime)>;

    /// Per trial: when each device was compromised and when encrypted.
    fn timeline(r: &TrialResult) -> (Times, Times) {
        let of =
            |t: Transition| r.events.iter().filter(|e| e.transition == Some(t)).map(|e| (e.device, e.time)).collect();
        (of(Transition::Compromised), of(Transition::Disrupted))
    }

    #[test]
    fn a_detonation_encrypts_everything_held_at_one_instant() {
        // The worm takes the LAN within hours; five days after its first
        // compromise, everything it holds is encrypted at once.
        let text = lan(400, "-60d", "", "", "[attacks.ransomware]\ndetonate_after = \"5d\"");
        for r in run(&text, 10, true) {
            let (compromised, encrypted) = timeline(&r);
            let at = compromised[0].1 + SimDuration::from_days(5);
            assert!(encrypted.iter().all(|&(_, t)| t == at), "every encryption at the detonation");
            assert_eq!(encrypted.len(), compromised.iter().filter(|&&(_, t)| t < at).count());
            assert!(encrypted.len() > 300);
        }
    }

    #[test]
    fn after_the_detonation_the_delay_or_nothing_applies() {
        // Detonated two hours in, while the worm is still spreading.
        let with_delay = lan(400, "-60d", "", "", "[attacks.ransomware]\ndetonate_after = \"2h\"\ndelay = \"1m\"");
        for r in run(&with_delay, 10, true) {
            let (compromised, encrypted) = timeline(&r);
            let at = compromised[0].1 + SimDuration::from_hours(2);
            let held = compromised.iter().filter(|&&(_, t)| t < at).count();
            assert!(held > 1 && held < 300, "still spreading at the detonation: {held}");
            assert_eq!(encrypted.iter().filter(|&&(_, t)| t == at).count(), held);
            for &(d, t) in compromised.iter().filter(|&&(_, t)| t > at) {
                let later = SimDuration::from_secs(60);
                assert!(
                    encrypted.contains(&(d, t + later)),
                    "device {d} taken after the detonation: encrypted 1m later"
                );
            }
        }
        let once = lan(400, "-60d", "", "", "[attacks.ransomware]\ndetonate_after = \"2h\"");
        for r in run(&once, 10, true) {
            let (compromised, encrypted) = timeline(&r);
            let at = compromised[0].1 + SimDuration::from_hours(2);
            assert_eq!(encrypted.len(), compromised.iter().filter(|&&(_, t)| t < at).count(), "only the detonation");
            assert!(compromised.len() > encrypted.len());
        }
    }

    #[test]
    fn inhibited_recovery_leaves_the_encrypted_devices_no_backup_to_restore_from() {
        // Every device backed up; a rebuild from backup takes a day, from
        // nothing ten. The payload destroys the backups of the share
        // `inhibit_recovery` of the devices it encrypts.
        let text = |share: f64| {
            lan(
                400,
                "-60d",
                "",
                "",
                &format!(
                    "[attacks.ransomware]\ndelay = \"10m\"\nnoticed_after = \"1h\"\ninhibit_recovery = {share}\n\
                     [defences.incident_response]\nisolate_after = \"0s\"\nrestore_time = \"1d\"\n\
                     restore_without_backup = \"10d\"\nbackup_coverage = 1.0\npatch_on_restore = false"
                ),
            )
        };
        let share_without_backup = |share: f64| {
            let t = text(share);
            let results = run(&t, 20, false);
            let lost: f64 = metric(&t, &results, "incident_response.rebuilt_without_backup").iter().sum();
            let isolated: f64 = metric(&t, &results, "incident_response.isolations").iter().sum();
            let downtime = mean_ci(&results.iter().map(|r| r.outcome.core().downtime_device_hours).collect::<Vec<_>>());
            let detected: Vec<Option<f64>> = results.iter().map(|r| r.outcome.core().time_to_detect_h).collect();
            (lost / isolated.max(1.0), downtime, detected)
        };
        let (none, short, spread_none) = share_without_backup(0.0);
        let (all, long, spread_all) = share_without_backup(1.0);
        let (some, _, _) = share_without_backup(0.66);
        assert_eq!(none, 0.0, "with every backup intact, every rebuild restores from one");
        assert!(all > 0.99, "every encrypted device lost its backup: {all}");
        assert!(some > 0.45 && some < 0.85, "about two in three lost theirs: {some}");
        assert_clearly_below(short, long, "downtime when the backups survive");
        assert_eq!(spread_none, spread_all, "destroying backups changes nothing before the first rebuild");
    }

    #[test]
    fn the_payload_needs_a_delay_or_a_detonation() {
        let err = load_error(&lan(10, "-60d", "", "", "[attacks.ransomware]\nnoticed_after = \"1h\""));
        assert!(err.contains("neither `delay` nor `detonate_after`"), "{err}");
    }
}
