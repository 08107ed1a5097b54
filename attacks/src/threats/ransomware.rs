//! A ransomware payload: data encrypted for impact (ATT&CK T1486). It
//! follows the attacks it is told to follow: whenever one of them takes
//! control of a device, the payload encrypts it after a delay, and the
//! device is out of service until rebuilt. Staff may notice the ransom
//! screen and report it, which detects the compromise.
//!
//! Split from the worm that carried it in WannaCry, it can follow any
//! attack that gains control of a device: a worm, a human operator with
//! stolen credentials, a second wave.

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
    /// Time from a device's compromise to its encryption.
    pub delay: Distribution,
    /// Time for staff to report an encrypted device's ransom screen, which
    /// detects its compromise. Absent: nobody reports it.
    #[serde(default)]
    pub noticed_after: Option<Distribution>,
}

/// Registers the `ransomware` mechanism.
pub struct RansomwareFactory;

const ENCRYPTED: EventSpec =
    EventSpec::new("encrypted", "is encrypted and stops working", "are encrypted and stop working").technique("T1486");
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
        Ok(Box::new(Ransomware { plan: Arc::new(Plan { follows, delay: p.delay, noticed_after: p.noticed_after }) }))
    }
}

struct Plan {
    follows: Vec<bool>,
    delay: Distribution,
    noticed_after: Option<Distribution>,
}

struct Ransomware {
    plan: Arc<Plan>,
}

#[derive(Clone, Copy)]
struct Ids {
    encrypt: HandlerId,
    report: HandlerId,
    encrypted: EventKindId,
    reported: EventKindId,
    encryptions: MetricId,
    reports: MetricId,
    objective: MetricId,
}

/// One instance's parameters and ids, for its handlers.
struct Payload {
    plan: Arc<Plan>,
    ids: Ids,
}

impl Plugin for Ransomware {
    fn build(&self, b: &mut SimBuilder) {
        let ids = Ids {
            encrypt: b.handler("ransomware.encrypt", encrypt),
            report: b.handler("ransomware.report", report),
            encrypted: b.event(ENCRYPTED),
            reported: b.event(REPORTED),
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
            payloads.insert(me, Payload { plan: plan.clone(), ids });
        });
    }
}

/// A device was compromised: if an attack this payload follows took it,
/// encryption is scheduled.
fn follow(In(e): In<Event>, mut sim: Sim, payloads: Res<Instances<Payload>>) {
    let p = payloads.get(e.instance);
    if !crate::common::caused_by_followed(&sim, e.tag, &p.plan.follows) {
        return;
    }
    let d = e.target;
    let epoch = u64::from(sim.state(d).epoch);
    let cause = sim.state(d).cause;
    let delay = p.plan.delay.draw(sim.key(e.instance).named("delay").and(cause));
    sim.schedule_in(delay, p.ids.encrypt, d, epoch);
}

fn encrypt(In(e): In<Event>, mut sim: Sim, payloads: Res<Instances<Payload>>) {
    let p = payloads.get(e.instance);
    let s = sim.state(e.target);
    if !s.compromised || u64::from(s.epoch) != e.tag {
        return; // rebuilt since the compromise
    }
    if sim.disrupt(e.target, p.ids.encrypted) {
        sim.add(p.ids.encryptions, 1);
        sim.raise(p.ids.objective);
        if let Some(noticed) = &p.plan.noticed_after {
            let key = sim.key(e.instance).named("noticed").and(s.cause);
            let delay = noticed.draw(key);
            sim.schedule_in(delay, p.ids.report, e.target, e.tag);
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
}
