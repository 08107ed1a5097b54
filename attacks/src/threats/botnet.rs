//! Under construction: the `botnet` threat.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "botnet"` (under construction).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BotnetParams {}

/// Registers the `botnet` mechanism.
pub struct BotnetFactory;

impl PluginSpec for BotnetFactory {
    type Params = BotnetParams;
    const KIND: &'static str = "botnet";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "under construction";

    fn configure(_: BotnetParams, section: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Err(vec![Diagnostic::at(section.span(), "the botnet threat is under construction")])
    }
}
