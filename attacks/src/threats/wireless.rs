//! Under construction: the `wireless` threat.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "wireless"` (under construction).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WirelessParams {}

/// Registers the `wireless` mechanism.
pub struct WirelessFactory;

impl PluginSpec for WirelessFactory {
    type Params = WirelessParams;
    const KIND: &'static str = "wireless";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "under construction";

    fn configure(_: WirelessParams, section: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Err(vec![Diagnostic::at(section.span(), "the wireless threat is under construction")])
    }
}
