//! Encryption: in transit, of the data flows it names (TLS for HL7 and
//! MQTT, DICOM over TLS), so that a listener in the middle reads nothing;
//! at rest, of the records on the device types it names, so that copies
//! taken without the keys expose nobody. It changes what an eavesdropper
//! or an exfiltration obtains, not whether devices fall: a worm spreads as
//! before. Keys held by administrators still open the records to an
//! attacker who has stolen their credentials (see the exfiltration threat).

use iomtsim_sim::prelude::*;
use serde::Deserialize;

use crate::common::select;

/// `[defences.<id>]` with `kind = "encryption"`: flows encrypted in transit
/// and records encrypted at rest.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EncryptionParams {
    /// Data flows encrypted in transit, by id (`["all"]` for every flow).
    /// Default: none.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub in_transit: Vec<Spanned<String>>,
    /// Device types whose stored patient records are encrypted at rest, by
    /// id (`["all"]` for every type). Default: none.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub at_rest: Vec<Spanned<String>>,
}

/// Registers the `encryption` mechanism.
pub struct EncryptionFactory;

impl PluginSpec for EncryptionFactory {
    type Params = EncryptionParams;
    const KIND: &'static str = "encryption";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "encryption of data flows in transit and of stored records at rest: what eavesdropping and theft obtain";

    fn configure(
        params: EncryptionParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        if params.in_transit.is_empty() && params.at_rest.is_empty() {
            return Err(vec![
                Diagnostic::at(section.span(), "this encryption encrypts nothing")
                    .with_help("name data flows in `in_transit` or device types in `at_rest` (or `[\"all\"]`)"),
            ]);
        }
        let flows = select(Some(&params.in_transit), scenario.data_flows.len(), |id| {
            scenario.data_flow_ref(id).map(|f| usize::from(f.0))
        });
        let types = select(Some(&params.at_rest), scenario.device_types.len(), |id| {
            scenario.device_type_ref(id).map(|t| usize::from(t.0))
        });
        match (flows, types) {
            (Ok(flows), Ok(types)) => Ok(Box::new(Encryption {
                flows: if params.in_transit.is_empty() { vec![false; flows.len()] } else { flows },
                types: if params.at_rest.is_empty() { vec![false; types.len()] } else { types },
            })),
            (flows, types) => Err(flows.err().into_iter().chain(types.err()).flatten().collect()),
        }
    }
}

struct Encryption {
    /// Per data flow, whether this defence encrypts it.
    flows: Vec<bool>,
    /// Per device type, whether this defence encrypts its records.
    types: Vec<bool>,
}

impl Plugin for Encryption {
    fn build(&self, _: &mut SimBuilder) {}

    fn amend(&self, scenario: &mut Scenario) {
        for (flow, &on) in scenario.data_flows.iter_mut().zip(&self.flows) {
            flow.encrypted |= on;
        }
        for (t, &on) in scenario.device_types.iter_mut().zip(&self.types) {
            t.encrypted_at_rest |= on;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;

    const SCENARIO: &str = include_str!("../../../scenarios/defences/encryption.toml");

    #[test]
    fn encryption_in_transit_leaves_the_eavesdropper_nothing_to_read() {
        let on = run(SCENARIO, 60, false);
        let off = run(&without(SCENARIO, "defences.encryption"), 60, false);
        let read = |text: &str, r: &[_]| mean_ci(&metric(text, r, "eavesdrop.messages_read"));
        let (with, bare) = (read(SCENARIO, &on), read(&without(SCENARIO, "defences.encryption"), &off));
        assert_clearly_below(with, bare, "messages read with encryption in transit");
        assert!(with.0 > 0.0, "the pumps' status messages, left in clear, are still read");
        let flows = |text: &str, r: &[_]| metric(text, r, "eavesdrop.flows_read");
        assert!(flows(SCENARIO, &on).iter().all(|&n| n <= 1.0), "only the flow left in clear");
    }

    #[test]
    fn encryption_at_rest_protects_the_records_not_the_devices() {
        let off_text = without(SCENARIO, "defences.encryption");
        let (on, off) = (run(SCENARIO, 60, false), run(&off_text, 60, false));
        let records = |r: &[iomtsim_sim::TrialResult]| {
            mean_ci(&r.iter().map(|t| t.outcome.core().records_exfiltrated as f64).collect::<Vec<_>>())
        };
        assert_clearly_below(records(&on), records(&off), "records exfiltrated with encryption at rest");
        // The worm that carries the theft spreads exactly as before: the
        // same devices fall in every trial.
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(a.outcome.core().compromised, b.outcome.core().compromised);
        }
    }

    #[test]
    fn unknown_flows_and_types_are_reported() {
        let text = SCENARIO.replace("in_transit = [\"vitals\"]", "in_transit = [\"x-ray\"]");
        let err = load_error(&text);
        assert!(err.contains("unknown data flow `x-ray`"), "{err}");
        let text = SCENARIO.replace("at_rest = [\"central-station\"]", "at_rest = [\"toaster\"]");
        let err = load_error(&text);
        assert!(err.contains("unknown device type `toaster`"), "{err}");
    }
}
