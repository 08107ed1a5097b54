//! Datasets, statistics, plots and reports for iomtsim runs, and the work
//! behind each command ([`workflow`]): trial outcomes and event logs as
//! polars DataFrames written to Parquet or CSV, a `run.json` manifest,
//! means with confidence intervals, plots (plotters), the comparison report
//! and the trial story. Everything is built from what the model declares
//! (its metrics, event kinds and instances), never from a mechanism's name.
//! This is the only crate that builds polars and plotters, so the engine
//! crates build and test without them.

pub mod compare;
mod dataset;
pub mod explain;
mod manifest;
mod metrics;
pub mod money;
pub mod numbers;
mod output;
pub mod plots;
pub mod report;
pub mod risk;
mod store;
mod summary;
pub mod workflow;

pub use dataset::{breakdown_frame, events_frame, services_frame, timeseries_frame, trials_frame};
pub use manifest::{InputFile, RunManifest, RunPlan, ZoneReport};
pub use metrics::{MetricInfo, metric_infos};
pub use output::{OutputError, read_parquet, write_csv, write_parquet, write_text};
pub use store::{OpenMode, RunStore, StoreError, merge_runs, read_json};
pub use summary::{
    MAJOR_OUTBREAK, MIN_TRIALS_FOR_INTERVALS, MetricSummary, formatted, half_width, major_outbreak_info,
    major_outbreaks, render_table, summarize, wilson,
};
