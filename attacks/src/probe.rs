//! A mechanism that exists only for the tests: it proves that an attack
//! with its own per-device component, its own kind of event and its own
//! metric is one file here and one line in the registry, and appears in
//! `trials.parquet`, the run summary and the trial story with nothing else
//! touched.
//!
//! At `at`, it tampers with the settings of `devices` devices of one type
//! (the first by ordinal), `times` times each: each tampering is an event
//! that changes none of the shared device state, counted on the device in
//! its own [`Tampered`] component.

use iomtsim_sim::DeviceTypeId;
use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "probe"` (tests only).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeParams {
    /// The device type it tampers with.
    #[schemars(with = "String")]
    pub device_type: Spanned<String>,
    /// How many of them.
    pub devices: u32,
    /// How many times each.
    pub times: u32,
    /// When.
    pub at: SimDuration,
}

/// Registers the `probe` mechanism.
pub struct ProbeFactory;

const TAMPERED: EventSpec =
    EventSpec::new("tampered", "has its settings tampered with", "have their settings tampered with")
        .technique("T0831");
const DEVICES: MetricSpec =
    MetricSpec::count("devices_tampered", "devices tampered with", "distinct devices whose settings were changed")
        .unit("devices")
        .lower_is_better();
const MOST: MetricSpec =
    MetricSpec::peak("most_tamperings", "most tamperings of one device", "the most times one device was tampered with");

impl PluginSpec for ProbeFactory {
    type Params = ProbeParams;
    const KIND: &'static str = "probe";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "test mechanism: tampers with device settings";

    fn configure(p: ProbeParams, _: &Section<'_>, scenario: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let t = scenario.device_type_ref(&p.device_type).map_err(|d| vec![d])?;
        Ok(Box::new(Probe { device_type: t, devices: p.devices, times: p.times, at: p.at }))
    }
}

struct Probe {
    device_type: DeviceTypeId,
    devices: u32,
    times: u32,
    at: SimDuration,
}

/// How many times this device's settings were changed.
#[derive(Component, Clone, Copy, Debug, Default)]
#[component(storage = "SparseSet")]
pub struct Tampered(pub u32);

#[derive(Clone, Copy)]
struct Ids {
    kind: EventKindId,
    devices: MetricId,
    most: MetricId,
}

impl Plugin for Probe {
    fn build(&self, b: &mut SimBuilder) {
        b.component::<Tampered>();
        let ids = Ids { kind: b.event(TAMPERED), devices: b.metric(DEVICES), most: b.metric(MOST) };
        let tamper = b.handler("probe.tamper", tamper);
        b.story("tampered with {devices_tampered} {devices_tampered|device|devices}");
        b.init_resource::<Instances<Ids>>();
        let (me, t, n, times, at) = (b.instance(), self.device_type, self.devices, self.times, self.at);
        b.on_trial_start(move |mut sim: Sim, mut all: ResMut<Instances<Ids>>| {
            all.insert(me, ids);
            let targets: Vec<DeviceIndex> =
                (0..sim.device_count()).filter(|&d| sim.device(d).device_type == t).take(n as usize).collect();
            for d in targets {
                for i in 0..times {
                    let when = SimTime::ZERO + at + SimDuration::from_secs(u64::from(i));
                    sim.schedule_at(when, tamper, d, 0).expect("the trial has not started");
                }
            }
        });
    }
}

fn tamper(
    In(e): In<Event>,
    mut sim: Sim,
    mut marks: Query<&mut Tampered>,
    ids: Res<Instances<Ids>>,
    mut commands: Commands,
) {
    let ids = *ids.get(e.instance);
    let entity = sim.entity(e.target);
    let count = match marks.get_mut(entity) {
        Ok(mut t) => {
            t.0 += 1;
            t.0
        }
        Err(_) => {
            // First tampering: the component arrives with the state it holds.
            commands.entity(entity).insert(Tampered(1));
            sim.add(ids.devices, 1);
            1
        }
    };
    sim.peak(ids.most, u64::from(count));
    sim.record(e.target, ids.kind);
}

#[cfg(test)]
mod tests {
    use iomtsim_analysis::workflow::{Quiet, RunRequest, Stop, Trials, run_scenario};
    use iomtsim_analysis::{OpenMode, read_parquet};
    use iomtsim_sim::ScenarioSource;

    const SCENARIO: &str = r#"
        name = "probe"
        duration = "1d"
        zones = [{ id = "ward" }]
        device_types = [{ id = "pump", name = "Infusion pump" }, { id = "pc" }]
        placement = [{ zone = "ward", device_type = "pc", count = 5 }, { zone = "ward", device_type = "pump", count = 10 }]
        [attacks.probe]
        device_type = "pump"
        devices = 3
        times = 2
        at = "2h"
    "#;

    #[test]
    fn a_new_attack_shows_up_in_every_output_without_touching_them() {
        let dir = tempfile::tempdir().unwrap();
        let request = RunRequest {
            source: ScenarioSource::from_text("probe.toml", SCENARIO),
            seed: None,
            trials: Trials::Count(4),
            out: Some(dir.path().join("run")),
            default_suffix: "",
            threads: 1,
            events: true,
            csv: false,
            sample_every: None,
            mode: OpenMode::New,
            batch_size: 256,
        };
        let report = run_scenario(request, &crate::registry(), &Quiet, &Stop::new()).unwrap();

        // trials.parquet: its metrics are columns named by instance.
        let trials = read_parquet(&dir.path().join("run/trials.parquet")).unwrap();
        let tampered: Vec<u64> =
            trials.column("probe.devices_tampered").unwrap().u64().unwrap().into_no_null_iter().collect();
        assert_eq!(tampered, [3, 3, 3, 3]);
        let most: Vec<u64> =
            trials.column("probe.most_tamperings").unwrap().u64().unwrap().into_no_null_iter().collect();
        assert_eq!(most, [2, 2, 2, 2], "its own component counted each device's tamperings");
        // events.parquet: its kind, its technique, its provenance.
        let events = read_parquet(&dir.path().join("run/events.parquet")).unwrap();
        assert_eq!(events.height(), 4 * 3 * 2);
        let kinds: Vec<&str> = events.column("kind").unwrap().str().unwrap().iter().flatten().collect();
        assert!(kinds.iter().all(|k| *k == "tampered"));
        let sources: Vec<&str> = events.column("source").unwrap().str().unwrap().iter().flatten().collect();
        assert!(sources.iter().all(|s| *s == "probe"));
        // The summary.
        let row = report.summary.iter().find(|s| s.metric == "probe.devices_tampered").expect("a summary row");
        assert_eq!((row.label.as_str(), row.mean), ("devices tampered with (probe)", 3.0));

        // The story.
        let engine = iomtsim_sim::Engine::new(
            iomtsim_sim::load_model(ScenarioSource::from_text("probe.toml", SCENARIO), &crate::registry()).unwrap(),
        );
        let story = iomtsim_analysis::explain::tell(
            engine.model(),
            &engine.run_trial(1, 0, true),
            iomtsim_analysis::explain::StoryFormat::Text,
        );
        assert!(story.contains("3 devices (3 × infusion pump) in ward have their settings tampered with — manipulation of control (T0831)"), "{story}");
        assert!(
            story.contains("probe (attack, test mechanism: tampers with device settings): tampered with 3 devices."),
            "{story}"
        );
    }
}
