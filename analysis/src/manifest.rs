//! `run.json`: everything needed to reproduce a run and to cite it.

use serde::{Deserialize, Serialize};

use crate::metrics::MetricInfo;

/// What defines a run's results: the program, the scenario (its full text),
/// the seed and the trials. Two runs with equal plans produce byte-identical
/// `trials.parquet`, however many threads or processes ran them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RunPlan {
    /// Program name and version.
    pub program: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario variant.
    pub variant: String,
    /// The scenario file as given (or `<embedded>/…`).
    pub scenario_file: String,
    /// SHA-256 of the scenario text.
    pub scenario_sha256: String,
    /// The scenario text itself, so the run can be reproduced from this file alone.
    pub scenario_text: String,
    /// Seed of the random streams.
    pub seed: u64,
    /// First trial index.
    pub trial_start: u32,
    /// One past the last trial index.
    pub trial_end: u32,
    /// Trials committed to disk together.
    pub batch_size: u32,
    /// Whether the event log is written.
    pub events: bool,
    /// Whether CSV copies are written.
    pub csv: bool,
    /// Sampling interval of `timeseries.parquet`, as a duration string.
    pub sample_every: String,
    /// Files the scenario read besides its text (graph files), with their
    /// SHA-256: a resumed, merged or repeated run must read the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_files: Vec<InputFile>,
}

/// A file a scenario read besides its own text.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputFile {
    /// The file, as the scenario's folder and its name in the scenario give it.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

impl RunPlan {
    /// Number of trials.
    pub fn trials(&self) -> u32 {
        self.trial_end - self.trial_start
    }

    /// The datasets this run writes, `trials` last: a batch whose trials
    /// part exists is complete.
    pub fn datasets(&self) -> Vec<&'static str> {
        let mut kinds = vec!["timeseries", "breakdown", "services"];
        if self.events {
            kinds.push("events");
        }
        kinds.push("trials");
        kinds
    }

    /// The batches the trials are committed in.
    pub fn batches(&self) -> Vec<std::ops::Range<u32>> {
        let size = self.batch_size.max(1);
        let mut out = Vec::new();
        let mut a = self.trial_start;
        while a < self.trial_end {
            let b = a.saturating_add(size).min(self.trial_end);
            out.push(a..b);
            a = b;
        }
        out
    }
}

/// A zone as reported with the results.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ZoneReport {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// IEC 62443 target security level, if given.
    pub security_level: Option<u8>,
    /// Outside the estate.
    pub external: bool,
    /// Devices it holds.
    pub devices: u32,
}

/// The manifest of a finished run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunManifest {
    /// What defines the results.
    #[serde(flatten)]
    pub plan: RunPlan,
    /// Number of trials (`trial_end - trial_start`).
    pub trials: u32,
    /// The scenario's description.
    pub description: String,
    /// Devices in the estate.
    pub devices: u32,
    /// The zones and their devices.
    pub zones: Vec<ZoneReport>,
    /// The columns of `trials.parquet` past the identifying ones: every
    /// metric the model declared, with who declared it.
    #[serde(default)]
    pub metrics: Vec<MetricInfo>,
    /// Worker threads of the last invocation (results do not depend on it).
    pub threads: usize,
    /// Engine events processed over all trials.
    pub total_events: u64,
    /// Wall-clock seconds the last invocation spent running trials.
    pub wall_seconds: f64,
    /// Engine events per wall-clock second in the last invocation.
    pub events_per_second: f64,
    /// When the run finished (RFC 3339, UTC).
    pub finished_at: String,
    /// Output folders of the slices this run was merged from, if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}
