//! Under construction: the `dos` threat.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "dos"` (under construction).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DosParams {}

/// Registers the `dos` mechanism.
pub struct DosFactory;

impl PluginSpec for DosFactory {
    type Params = DosParams;
    const KIND: &'static str = "dos";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "under construction";

    fn configure(_: DosParams, section: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Err(vec![Diagnostic::at(section.span(), "the dos threat is under construction")])
    }
}
