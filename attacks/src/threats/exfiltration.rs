//! Under construction: the `exfiltration` threat.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "exfiltration"` (under construction).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExfiltrationParams {}

/// Registers the `exfiltration` mechanism.
pub struct ExfiltrationFactory;

impl PluginSpec for ExfiltrationFactory {
    type Params = ExfiltrationParams;
    const KIND: &'static str = "exfiltration";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "under construction";

    fn configure(
        _: ExfiltrationParams,
        section: &Section<'_>,
        _: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Err(vec![Diagnostic::at(section.span(), "the exfiltration threat is under construction")])
    }
}
