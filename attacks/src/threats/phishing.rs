//! Under construction: the `phishing` threat.

use iomtsim_sim::prelude::*;
use serde::Deserialize;

/// `[attacks.<id>]` with `kind = "phishing"` (under construction).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhishingParams {}

/// Registers the `phishing` mechanism.
pub struct PhishingFactory;

impl PluginSpec for PhishingFactory {
    type Params = PhishingParams;
    const KIND: &'static str = "phishing";
    const ROLE: Role = Role::Attack;
    const SUMMARY: &'static str = "under construction";

    fn configure(_: PhishingParams, section: &Section<'_>, _: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        Err(vec![Diagnostic::at(section.span(), "the phishing threat is under construction")])
    }
}
