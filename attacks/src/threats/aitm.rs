//! Under construction: the `aitm` threat.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "aitm"` (under construction).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AitmParams {}

/// Registers the `aitm` mechanism.
pub struct AitmFactory;

impl PluginSpec for AitmFactory {
    type Params = AitmParams;
    const KIND: &'static str = "aitm";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "under construction";

    fn configure(_: AitmParams, section: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Err(vec![Diagnostic::at(section.span(), "the aitm threat is under construction")])
    }
}
