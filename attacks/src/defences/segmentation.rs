//! Segmentation beyond the zones: host allow-lists and micro-segmentation.
//! The zones and conduits of a scenario are its network segmentation; this
//! defence adds what a design buys on top of them, so that it can be priced
//! and switched on and off:
//! - an allow-list firewall per device type (MDS2 NAUT): the type accepts
//!   connections over the listed services only, whatever it listens on;
//! - micro-segmentation per zone: the zone's hosts may reach each other
//!   only over the listed services (`[]`: not at all), as if each sat in a
//!   segment of its own.
//!
//! An exploit or a login over a closed service no longer reaches the
//! device. A service a data flow into the type needs cannot be closed: the
//! flow would stop, and the clinical function with it.

use std::collections::BTreeMap;

use iomtsim_sim::prelude::*;
use iomtsim_sim::{DeviceTypeId, ServiceSet};

use crate::common::service_set;
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "segmentation"`: allow-lists and
/// micro-segments.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentationParams {
    /// Per device type, the only services its host firewall accepts, e.g.
    /// `{ "infusion-pump" = ["https"] }`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub allow: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    /// Per zone, the only services its hosts may use with each other, e.g.
    /// `{ ward = ["hl7"] }`; `[]` cuts every host off from its neighbours.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub micro_segments: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

/// Registers the `segmentation` mechanism.
pub struct SegmentationFactory;

impl PluginSpec for SegmentationFactory {
    type Params = SegmentationParams;
    const KIND: &'static str = "segmentation";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "host allow-list firewalls per device type and micro-segments per zone: closed services reach nothing";

    fn configure(
        params: SegmentationParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        if params.allow.is_empty() && params.micro_segments.is_empty() {
            problems.push(
                Diagnostic::at(section.span(), "this segmentation closes nothing")
                    .with_help("give `allow` per device type or `micro_segments` per zone"),
            );
        }
        let mut allow = Vec::new();
        for (t, list) in &params.allow {
            let Ok(id) = scenario.device_type_ref(t).map_err(|d| problems.push(d)) else { continue };
            let set = service_set(scenario, list, &mut problems);
            for flow in scenario.data_flows.iter().filter(|f| f.to == id && !set.contains(f.service)) {
                problems.push(
                    Diagnostic::at(
                        t.span(),
                        format!(
                            "the allow-list of `{}` closes {}, which data flow `{}` needs to reach it",
                            t.get_ref(),
                            scenario.services[usize::from(flow.service.0)].id,
                            flow.id
                        ),
                    )
                    .with_help("allow the services the device type's data flows arrive over"),
                );
            }
            allow.push((id, set));
        }
        let mut segments = Vec::new();
        for (z, list) in &params.micro_segments {
            let Ok(id) = scenario.zone_ref(z).map_err(|d| problems.push(d)) else { continue };
            segments.push((id, service_set(scenario, list, &mut problems)));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Segmentation { allow, segments }))
    }
}

struct Segmentation {
    allow: Vec<(DeviceTypeId, ServiceSet)>,
    segments: Vec<(ZoneId, ServiceSet)>,
}

impl Plugin for Segmentation {
    fn build(&self, _: &mut SimBuilder) {}

    fn amend(&self, scenario: &mut Scenario) {
        for &(t, set) in &self.allow {
            let services = &mut scenario.device_types[usize::from(t.0)].services;
            *services = ServiceSet(services.0 & set.0);
        }
        for &(z, set) in &self.segments {
            let intra = &mut scenario.zones[usize::from(z.0)].intra;
            *intra = ServiceSet(intra.0 & set.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    const SCENARIO: &str = include_str!("../../../scenarios/defences/segmentation.toml");

    /// Per trial, the devices of type `type_id` it compromised.
    fn taken(text: &str, results: &[iomtsim_sim::TrialResult], type_id: &str) -> Vec<u32> {
        let engine = engine(text);
        let types = &engine.scenario().device_types;
        let t = types.iter().position(|d| d.id == type_id).unwrap_or_else(|| panic!("no type {type_id}"));
        let of = |r: &iomtsim_sim::TrialResult| {
            r.breakdown.iter().filter(|b| usize::from(b.device_type.0) == t).map(|b| b.compromised).sum()
        };
        results.iter().map(of).collect()
    }

    #[test]
    fn an_allow_list_keeps_the_worm_off_the_pumps_and_the_workstations_fall_as_before() {
        let bare = without(SCENARIO, "defences.segmentation");
        let (on, off) = (run(SCENARIO, 60, false), run(&bare, 60, false));
        let pumps = |t: &str, r: &[iomtsim_sim::TrialResult]| {
            mean_ci(&taken(t, r, "infusion-pump").into_iter().map(f64::from).collect::<Vec<_>>())
        };
        assert_clearly_below(pumps(SCENARIO, &on), pumps(&bare, &off), "pumps taken behind an allow-list");
        assert_eq!(pumps(SCENARIO, &on).0, 0.0);
        // The workstations' SMB stays open: the worm takes as many of them
        // in every trial as on the ward without the allow-list.
        let before = taken(&bare, &off, "workstation");
        assert!(before.iter().any(|&n| n > 1), "the worm spreads among the workstations");
        assert_eq!(taken(SCENARIO, &on, "workstation"), before, "workstations taken behind the pumps' allow-list");
    }

    #[test]
    fn a_micro_segment_stops_spread_between_neighbours_not_the_worms_way_in() {
        let segmented = SCENARIO
            .replace("allow = { \"infusion-pump\" = [\"https\"] }", "micro_segments = { ward = [\"https\", \"hl7\"] }");
        assert_ne!(segmented, SCENARIO);
        let bare = without(SCENARIO, "defences.segmentation");
        let (on, off) = (run(&segmented, 60, false), run(&bare, 60, false));
        assert_clearly_below(compromised(&on), compromised(&off), "compromised in a micro-segmented ward");
        assert!(on.iter().all(|r| r.outcome.core().compromised == 1), "only the entry device falls");
        // The segments are inside the ward, not around it: the worm still
        // gets in, through a workstation, at the same moment of each trial.
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(a.outcome.core().first_compromise_h, b.outcome.core().first_compromise_h);
        }
        assert!(taken(&segmented, &on, "workstation").iter().all(|&n| n == 1), "the entry is a workstation");
    }

    #[test]
    fn closing_what_a_data_flow_needs_is_refused() {
        let text =
            SCENARIO.replace("allow = { \"infusion-pump\" = [\"https\"] }", "allow = { \"drug-library\" = [\"smb\"] }");
        let err = load_error(&text);
        assert!(err.contains("closes https, which data flow `drug-library` needs"), "{err}");
    }
}
