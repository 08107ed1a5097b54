//! Threat-intelligence sharing: membership of a sharing group (a health
//! ISAC, a national CERT's feed). Two kinds of news come in:
//! - advisories: some time after each vulnerability's disclosure, word
//!   that it is being exploited in the wild ([`Sim::advise_exploited`]);
//!   a patch programme with an emergency mode patches that vulnerability at
//!   once, before anything is seen here;
//! - indicators: some time after an attack's campaign starts (others it
//!   hits report it), the indicators of the ATT&CK techniques its steps use
//!   ([`Sim::share_indicators`]); monitoring that takes indicators sees
//!   later compromises by those techniques, and sees them sooner.
//!
//! It changes nothing by itself: it feeds the patch programme and the
//! monitoring, and a hospital with neither gains nothing from it.

use std::sync::Arc;

use iomtsim_sim::Offset;
use iomtsim_sim::prelude::*;
use iomtsim_sim::random::name_hash;
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "threat_intel"`: a threat-sharing feed.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreatIntelParams {
    /// Time from each vulnerability's disclosure to the advisory that it is
    /// exploited in the wild. Absent: no advisories.
    #[serde(default)]
    pub advisory_after: Option<Distribution>,
    /// Time from an attack's first step here to the indicators of its
    /// techniques, shared by others its campaign hit. Absent: no indicators.
    #[serde(default)]
    pub indicators_after: Option<Distribution>,
}

/// Registers the `threat_intel` mechanism.
pub struct ThreatIntelFactory;

const ADVISED: EventSpec = EventSpec::new(
    "exploited-advisory",
    "is where the advisory that a vulnerability is exploited is read",
    "are where advisories that vulnerabilities are exploited are read",
);
const ADVISORIES: MetricSpec = MetricSpec::count(
    "advisories",
    "exploitation advisories received",
    "vulnerabilities the feed reported exploited in the wild during the trial",
)
.unit("advisories");
const INDICATORS: MetricSpec = MetricSpec::count(
    "indicators_received",
    "technique indicators received",
    "ATT&CK techniques whose indicators the feed delivered during the trial",
)
.unit("techniques");

impl PluginSpec for ThreatIntelFactory {
    type Params = ThreatIntelParams;
    const KIND: &'static str = "threat_intel";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "threat-intelligence sharing: exploitation advisories and attack indicators, for patching and monitoring";

    fn configure(
        p: ThreatIntelParams,
        section: &Section<'_>,
        _: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        if p.advisory_after.is_none() && p.indicators_after.is_none() {
            return Err(vec![
                Diagnostic::at(section.span(), "this feed delivers nothing")
                    .with_help("give `advisory_after`, `indicators_after`, or both"),
            ]);
        }
        Ok(Box::new(ThreatIntel { params: Arc::new(p) }))
    }
}

struct ThreatIntel {
    params: Arc<ThreatIntelParams>,
}

/// One instance's parameters, ids and what it has heard of.
struct Feed {
    params: Arc<ThreatIntelParams>,
    indicate: HandlerId,
    advised: EventKindId,
    advisories: MetricId,
    indicators: MetricId,
    /// Per instance of the scenario, whether its campaign was reported.
    reported: Vec<bool>,
}

impl Plugin for ThreatIntel {
    fn build(&self, b: &mut SimBuilder) {
        let advise = b.handler("threat_intel.advise", advise);
        let indicate = b.handler("threat_intel.indicate", indicate);
        let seen = b.handler("threat_intel.campaign_seen", campaign_seen);
        if self.params.indicators_after.is_some() {
            b.on_event(seen);
        }
        let advised = b.event(ADVISED);
        let (advisories, indicators) = (b.metric(ADVISORIES), b.metric(INDICATORS));
        b.story(
            "delivered {advisories} exploitation {advisories|advisory|advisories} and the indicators of \
             {indicators_received} {indicators_received|technique|techniques}",
        );
        b.init_resource::<Instances<Feed>>();
        let (params, me) = (self.params.clone(), b.instance());
        b.on_trial_start(move |mut sim: Sim, mut all: ResMut<Instances<Feed>>| {
            let instances = sim.model().instances.len();
            all.insert(
                me,
                Feed {
                    params: params.clone(),
                    indicate,
                    advised,
                    advisories,
                    indicators,
                    reported: vec![false; instances],
                },
            );
            if let Some(after) = &params.advisory_after {
                let key = sim.key(me).named("advisory");
                let when: Vec<Offset> = sim
                    .scenario()
                    .vulnerabilities
                    .iter()
                    .map(|v| v.disclosed.plus(after.draw(key.with(name_hash(&v.id)))))
                    .collect();
                for (v, at) in when.into_iter().enumerate() {
                    let at = at.to_time().unwrap_or(SimTime::ZERO);
                    let _ = sim.schedule_at(at, advise, 0, v as u64);
                }
            }
        });
    }
}

/// The advisory for vulnerability `e.tag` arrives.
fn advise(In(e): In<Event>, mut sim: Sim, all: Res<Instances<Feed>>) {
    let f = all.get(e.instance);
    if sim.advise_exploited(VulnId(e.tag as u8), f.advised) {
        sim.add(f.advisories, 1);
    }
}

/// An attack's first step here: its campaign will be reported by others
/// after the indicators' delay.
fn campaign_seen(In(e): In<Event>, mut sim: Sim, mut all: ResMut<Instances<Feed>>) {
    let source = sim.event_kind(EventKindId(e.tag as u16)).source;
    if sim.model().instance_info(source).role != Role::Attack {
        return;
    }
    let f = all.get_mut(e.instance);
    if std::mem::replace(&mut f.reported[usize::from(source.0)], true) {
        return;
    }
    let Some(after) = &f.params.indicators_after else { return };
    let delay = after.draw(sim.key(e.instance).named("indicators").and(sim.key(source)));
    sim.schedule_in(delay, f.indicate, 0, u64::from(source.0));
}

/// The indicators of every technique attack instance `e.tag`'s steps use
/// arrive.
fn indicate(In(e): In<Event>, mut sim: Sim, all: Res<Instances<Feed>>) {
    let f = all.get(e.instance);
    let source = InstanceId(e.tag as u16);
    let techniques: Vec<&'static str> =
        sim.model().events.iter().filter(|k| k.source == source).filter_map(|k| k.technique).collect();
    let mut new = 0;
    for t in techniques {
        new += u64::from(sim.share_indicators(t));
    }
    sim.add(f.indicators, new);
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    const SCENARIO: &str = include_str!("../../../scenarios/defences/threat_intel.toml");

    #[test]
    fn an_advisory_brings_emergency_patching_forward_not_the_worms_arrival() {
        let bare = without(SCENARIO, "defences.threat_intel");
        let (on, off) = (run(SCENARIO, 60, false), run(&bare, 60, false));
        assert_clearly_below(compromised(&on), compromised(&off), "compromised with the advisory");
        assert!(metric(SCENARIO, &on, "threat_intel.advisories").iter().all(|&n| n == 1.0));
        // The advisory changes who can fall, not when the worm arrives: it
        // gets in, three weeks in, at the same moment of every trial.
        for (x, y) in on.iter().zip(&off) {
            assert_eq!(x.outcome.core().first_compromise_h, y.outcome.core().first_compromise_h);
        }
        // Without an emergency mode to bring forward, the advisory changes nothing.
        let calm = |t: &str| t.replace("emergency_lag = ", "# emergency_lag = ");
        let (a, b) = (run(&calm(SCENARIO), 30, false), run(&calm(&bare), 30, false));
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.outcome.core().compromised, y.outcome.core().compromised);
        }
    }

    #[test]
    fn indicators_let_monitoring_see_what_it_was_blind_to() {
        // Monitoring blind to the worm's exploit until the indicators come.
        let watch = "[defences.monitoring]\ntime_to_detect = \"12h\"\ntechniques = { T1210 = 0.0 }\n\
                     time_to_detect_with_indicators = \"1h\"\ntriage_hours = 0.0\n";
        let fed = lan(200, "-60d", "", "", &format!("{watch}[defences.threat_intel]\nindicators_after = \"6h\"\n"))
            .replace("scans_per_hour = 2.0", "scans_per_hour = 0.3");
        let blind = lan(200, "-60d", "", "", watch).replace("scans_per_hour = 2.0", "scans_per_hour = 0.3");
        let (a, b) = (run(&fed, 30, false), run(&blind, 30, false));
        let seen = |t: &str, r: &[_]| mean_ci(&metric(t, r, "monitoring.detections"));
        assert_clearly_below(seen(&blind, &b), seen(&fed, &a), "detections without indicators");
        assert!(metric(&fed, &a, "threat_intel.indicators_received").iter().all(|&n| n >= 1.0));
        // The worm itself spreads the same: nobody acts on the detections.
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.outcome.core().compromised, y.outcome.core().compromised);
        }
    }

    #[test]
    fn a_feed_that_delivers_nothing_is_refused() {
        let text = SCENARIO.replace("advisory_after = \"5d\"", "");
        let err = load_error(&text);
        assert!(err.contains("this feed delivers nothing"), "{err}");
    }
}
