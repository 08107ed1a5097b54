//! `run.json`: everything needed to reproduce a run and to cite it.

use serde::{Deserialize, Serialize};

/// The manifest of one run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunManifest {
    /// Program name and version.
    pub program: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario variant.
    pub variant: String,
    /// The scenario file as given (or `<embedded>`).
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// Seed of the random streams.
    pub seed: u64,
    /// First trial index.
    pub trial_start: u32,
    /// Trials run.
    pub trials: u32,
    /// Worker threads used (results do not depend on it).
    pub threads: usize,
    /// Whether the event log was written.
    pub events: bool,
    /// Devices in the estate.
    pub devices: u32,
    /// Engine events processed over all trials.
    pub total_events: u64,
    /// Wall-clock seconds spent running trials.
    pub wall_seconds: f64,
    /// Engine events per wall-clock second.
    pub events_per_second: f64,
    /// When the run finished (RFC 3339, UTC).
    pub finished_at: String,
}
