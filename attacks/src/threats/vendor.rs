//! Under construction: the `vendor` threat.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "vendor"` (under construction).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorParams {}

/// Registers the `vendor` mechanism.
pub struct VendorFactory;

impl PluginSpec for VendorFactory {
    type Params = VendorParams;
    const KIND: &'static str = "vendor";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "under construction";

    fn configure(_: VendorParams, section: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Err(vec![Diagnostic::at(section.span(), "the vendor threat is under construction")])
    }
}
