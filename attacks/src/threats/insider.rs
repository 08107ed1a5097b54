//! Under construction: the `insider` threat.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "insider"` (under construction).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InsiderParams {}

/// Registers the `insider` mechanism.
pub struct InsiderFactory;

impl PluginSpec for InsiderFactory {
    type Params = InsiderParams;
    const KIND: &'static str = "insider";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "under construction";

    fn configure(_: InsiderParams, section: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Err(vec![Diagnostic::at(section.span(), "the insider threat is under construction")])
    }
}
