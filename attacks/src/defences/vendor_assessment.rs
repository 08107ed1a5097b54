//! Vendor assessment at procurement: the hospital buys a device type's
//! model for what its maker's MDS2 form (the Manufacturer Disclosure
//! Statement for Medical Device Security [S16]) answers, and the estate
//! gets those answers in place of the scenario's. One table per purchase:
//! the device type and the chosen model's answers, each left out where the
//! model answers as the scenario's type already does; its `cost_per_year`
//! and `one_off_cost` are what the model costs beyond the other (so a team
//! can price a purchase's risk with `iomtsim compare` or `iomtsim matrix`).
//!
//! Each answer changes what the attacks meet on every device of the type:
//! - `supported_os` (CSUP): the maker patches its operating system, so
//!   patches reach every device (none is left on an unsupported OS);
//! - `default_accounts` (PAUT): false leaves no maker's default password;
//! - `encrypts_at_rest` (STCF) and `encrypts_in_transit` (TXCF): its stored
//!   records and the data flows it sends or receives are encrypted;
//! - `authenticates_commands`: it refuses commands it cannot authenticate;
//! - `wireless` (CONN): false takes its radios away;
//! - `services` (SAHD, unused ports disabled): the only services it
//!   listens on;
//! - `known_vulnerabilities`: the model's own known flaws, by id, in place
//!   of the type's.

use iomtsim_sim::prelude::*;
use iomtsim_sim::{DeviceTypeId, ServiceSet};
use serde::Deserialize;

/// `[defences.<id>]` with `kind = "vendor_assessment"`: a device model
/// bought for its MDS2 answers.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorAssessmentParams {
    /// The device type whose model is chosen, by id.
    #[schemars(with = "String")]
    pub device_type: Spanned<String>,
    /// MDS2 CSUP: the maker still patches the model's operating system.
    #[serde(default)]
    pub supported_os: Option<bool>,
    /// MDS2 PAUT: the model ships with default accounts; false leaves none
    /// (true keeps the type's share still on them).
    #[serde(default)]
    pub default_accounts: Option<bool>,
    /// MDS2 STCF: records stored on it are encrypted.
    #[serde(default)]
    pub encrypts_at_rest: Option<bool>,
    /// MDS2 TXCF: the data flows it sends and receives are encrypted.
    #[serde(default)]
    pub encrypts_in_transit: Option<bool>,
    /// It authenticates whoever sends it commands.
    #[serde(default)]
    pub authenticates_commands: Option<bool>,
    /// MDS2 CONN: it has radio interfaces; false removes them (true keeps
    /// the type's).
    #[serde(default)]
    pub wireless: Option<bool>,
    /// MDS2 SAHD: the only services it listens on.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub services: Option<Vec<Spanned<String>>>,
    /// The model's known vulnerabilities, by id, in place of the type's.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub known_vulnerabilities: Option<Vec<Spanned<String>>>,
}

/// Registers the `vendor_assessment` mechanism.
pub struct VendorAssessmentFactory;

impl PluginSpec for VendorAssessmentFactory {
    type Params = VendorAssessmentParams;
    const KIND: &'static str = "vendor_assessment";
    const ROLE: Role = Role::Defence;
    const SUMMARY: &'static str =
        "a device type's model bought for its MDS2 answers: patched OS, no default accounts, encryption, ports";

    fn configure(
        p: VendorAssessmentParams,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        let t = scenario.device_type_ref(&p.device_type).map_err(|d| vec![d])?;
        let mut problems = Vec::new();
        let answers = [
            p.supported_os,
            p.default_accounts,
            p.encrypts_at_rest,
            p.encrypts_in_transit,
            p.authenticates_commands,
            p.wireless,
        ];
        if answers.iter().all(Option::is_none) && p.services.is_none() && p.known_vulnerabilities.is_none() {
            problems.push(
                Diagnostic::at(section.span(), "this model answers nothing the scenario's type does not")
                    .with_help("give the chosen model's MDS2 answers, e.g. `default_accounts = false`"),
            );
        }
        let services = p.services.as_ref().map(|list| {
            let set = crate::common::service_set(scenario, list, &mut problems);
            for flow in scenario.data_flows.iter().filter(|f| f.to == t && !set.contains(f.service)) {
                problems.push(
                    Diagnostic::at(
                        p.device_type.span(),
                        format!(
                            "the model does not listen on {}, which data flow `{}` needs to reach it",
                            scenario.services[usize::from(flow.service.0)].id,
                            flow.id
                        ),
                    )
                    .with_help("list the services its data flows arrive over"),
                );
            }
            set
        });
        let vulnerabilities = p.known_vulnerabilities.as_ref().map(|list| {
            list.iter()
                .filter_map(|v| scenario.vulnerability_ref(v).map_err(|d| problems.push(d)).ok())
                .map(|v| (v, 1.0))
                .collect::<Vec<_>>()
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Model {
            device_type: t,
            supported_os: p.supported_os,
            default_accounts: p.default_accounts,
            encrypts_at_rest: p.encrypts_at_rest,
            encrypts_in_transit: p.encrypts_in_transit,
            authenticates_commands: p.authenticates_commands,
            wireless: p.wireless,
            services,
            vulnerabilities,
        }))
    }
}

struct Model {
    device_type: DeviceTypeId,
    supported_os: Option<bool>,
    default_accounts: Option<bool>,
    encrypts_at_rest: Option<bool>,
    encrypts_in_transit: Option<bool>,
    authenticates_commands: Option<bool>,
    wireless: Option<bool>,
    services: Option<ServiceSet>,
    vulnerabilities: Option<Vec<(iomtsim_sim::VulnId, f64)>>,
}

impl Plugin for Model {
    fn build(&self, _: &mut SimBuilder) {}

    fn amend(&self, scenario: &mut Scenario) {
        let t = &mut scenario.device_types[usize::from(self.device_type.0)];
        let share = |yes: bool| if yes { 1.0 } else { 0.0 };
        if let Some(supported) = self.supported_os {
            t.unsupported_os = share(!supported);
        }
        if self.default_accounts == Some(false) {
            t.default_credentials = 0.0;
        }
        if let Some(encrypted) = self.encrypts_at_rest {
            t.encrypted_at_rest = encrypted;
        }
        if let Some(authenticates) = self.authenticates_commands {
            t.authenticates_commands = share(authenticates);
        }
        if self.wireless == Some(false) {
            t.radio.clear();
        }
        if let Some(services) = self.services {
            t.services = services;
        }
        if let Some(v) = &self.vulnerabilities {
            t.vulnerabilities.clone_from(v);
        }
        if let Some(encrypted) = self.encrypts_in_transit {
            for f in scenario.data_flows.iter_mut().filter(|f| f.from == self.device_type || f.to == self.device_type) {
                f.encrypted = encrypted;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::*;
    use iomtsim_sim::RadioKind;

    const SCENARIO: &str = include_str!("../../../scenarios/defences/vendor_assessment.toml");

    #[test]
    fn every_answer_changes_the_device_type_as_its_name_says() {
        let before = engine(&without(SCENARIO, "defences.pump-b"));
        let after = engine(SCENARIO);
        let pump = |e: &iomtsim_sim::Engine| e.scenario().device_types[0].clone();
        let (a, b) = (pump(&before), pump(&after));
        assert_eq!((a.unsupported_os, b.unsupported_os), (1.0, 0.0), "supported_os");
        assert_eq!((a.default_credentials, b.default_credentials), (0.21, 0.0), "default_accounts");
        assert_eq!((a.encrypted_at_rest, b.encrypted_at_rest), (false, true), "encrypts_at_rest");
        assert_eq!((a.authenticates_commands, b.authenticates_commands), (0.0, 1.0), "authenticates_commands");
        assert_eq!(a.radio.first().map(|r| r.kind), Some(RadioKind::Wifi));
        assert!(b.radio.is_empty(), "wireless");
        let smb = after.scenario().service_id("smb").unwrap();
        assert!(a.services.contains(smb) && !b.services.contains(smb), "services");
        assert!(!a.vulnerabilities.is_empty() && b.vulnerabilities.is_empty(), "known_vulnerabilities");
        let flows = |e: &iomtsim_sim::Engine| e.scenario().data_flows.iter().map(|f| f.encrypted).collect::<Vec<_>>();
        assert_eq!((flows(&before), flows(&after)), (vec![false], vec![true]), "encrypts_in_transit");
    }

    #[test]
    fn the_better_model_keeps_the_worm_off_the_pumps_and_nothing_else_changes() {
        let bare = without(SCENARIO, "defences.pump-b");
        let (on, off) = (run(SCENARIO, 60, false), run(&bare, 60, false));
        let by_type = |r: &iomtsim_sim::TrialResult, pumps: bool| -> u32 {
            r.breakdown.iter().filter(|b| (b.device_type.0 == 0) == pumps).map(|b| b.compromised).sum()
        };
        let pumps = |r: &[iomtsim_sim::TrialResult]| {
            mean_ci(&r.iter().map(|t| f64::from(by_type(t, true))).collect::<Vec<_>>())
        };
        assert_clearly_below(pumps(&on), pumps(&off), "pumps taken of the assessed model");
        assert_eq!(pumps(&on).0, 0.0);
        for (a, b) in on.iter().zip(&off) {
            assert_eq!(by_type(a, false), by_type(b, false), "the workstations fall as before");
        }
    }

    #[test]
    fn a_model_that_closes_a_needed_port_is_refused() {
        let err = load_error(&SCENARIO.replace("services = [\"https\"]", "services = [\"hl7\"]"));
        assert!(err.contains("does not listen on https, which data flow `drug-library` needs"), "{err}");
        let err = load_error(&SCENARIO.replace("device_type = \"infusion-pump\"", "device_type = \"toaster\""));
        assert!(err.contains("unknown device type `toaster`"), "{err}");
    }
}
