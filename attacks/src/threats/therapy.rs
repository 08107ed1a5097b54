//! Under construction: the `therapy` threat.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "therapy"` (under construction).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TherapyParams {}

/// Registers the `therapy` mechanism.
pub struct TherapyFactory;

impl PluginSpec for TherapyFactory {
    type Params = TherapyParams;
    const KIND: &'static str = "therapy";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "under construction";

    fn configure(_: TherapyParams, section: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Err(vec![Diagnostic::at(section.span(), "the therapy threat is under construction")])
    }
}
