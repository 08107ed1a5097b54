//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Monte-Carlo simulation of attacks and defences on a hospital's connected
/// medical devices.
#[derive(Parser)]
#[command(name = "iomtsim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run a scenario's trials and write the datasets.
    Run(RunArgs),
    /// Check scenario files without running them.
    Validate(ValidateArgs),
    /// Print the JSON Schema of the scenario format.
    Schema,
}

/// `iomtsim run`.
#[derive(Args)]
pub struct RunArgs {
    /// Scenario file; without one, the shipped reference hospital
    /// (scenarios/hospital/regional-flat.toml) runs.
    pub scenario: Option<PathBuf>,
    /// Number of trials (default: the scenario's `trials`).
    #[arg(long)]
    pub trials: Option<u32>,
    /// Seed of the random streams (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output folder (default: out/<scenario name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write events.parquet: every security-relevant event of every trial.
    #[arg(long)]
    pub events: bool,
    /// Also write each dataset as CSV.
    #[arg(long)]
    pub csv: bool,
}

/// `iomtsim validate`.
#[derive(Args)]
pub struct ValidateArgs {
    /// Scenario files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}
