//! `iomtsim schema`: the JSON Schema of the scenario format, for editors.

use crate::failure::Failure;

/// Prints the schema.
pub fn schema() -> Result<(), Failure> {
    let schema = iomtsim_sim::scenario_schema(&iomtsim_attacks::registry());
    let text = serde_json::to_string_pretty(&schema).map_err(|e| Failure::Runtime(e.to_string()))?;
    say!("{text}");
    Ok(())
}
