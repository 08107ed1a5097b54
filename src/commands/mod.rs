//! One module per subcommand.

pub mod compare;
pub mod explain;
pub mod matrix;
pub mod merge;
pub mod plot;
pub mod rerun;
pub mod run;
pub mod schema;
pub mod sweep;
pub mod validate;

mod progress;

use std::path::Path;

use iomtsim_sim::{Model, ScenarioSource};

/// The reference hospital, run when no scenario is named.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/hospital/regional-flat.toml");

/// The name the embedded default goes by in messages and manifests.
pub const DEFAULT_SCENARIO_FILE: &str = "<embedded>/scenarios/hospital/regional-flat.toml";

/// Reads a scenario file, or the embedded default.
pub fn read_source(path: Option<&Path>) -> Result<ScenarioSource, iomtsim_sim::ScenarioError> {
    match path {
        Some(p) => ScenarioSource::from_path(p),
        None => Ok(ScenarioSource::from_text(DEFAULT_SCENARIO_FILE, DEFAULT_SCENARIO)),
    }
}

/// Loads a scenario and builds its model with every shipped attack and defence.
pub fn load(source: ScenarioSource) -> Result<Model, iomtsim_sim::ScenarioError> {
    iomtsim_sim::load_model(source, &iomtsim_attacks::registry())
}
