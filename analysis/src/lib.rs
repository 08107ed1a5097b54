//! Datasets and statistics for iomtsim runs: trial outcomes and event logs
//! as polars DataFrames written to Parquet or CSV, a `run.json` manifest,
//! means with confidence intervals, and plots (plotters). This is the only crate that builds
//! polars, so the engine crates build and test without it.

pub mod compare;
mod dataset;
pub mod explain;
mod manifest;
mod output;
pub mod plots;
pub mod report;
mod store;
mod summary;

pub use dataset::{breakdown_frame, events_frame, timeseries_frame, trials_frame};
pub use manifest::{RunManifest, RunPlan, ZoneReport};
pub use output::{OutputError, read_parquet, write_csv, write_parquet, write_text};
pub use polars;
pub use store::{OpenMode, RunStore, StoreError, merge_runs, read_json};
pub use summary::{MetricSummary, SUMMARY_METRICS, half_width, render_table, summarize};
