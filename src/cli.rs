//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use iomtsim_analysis::workflow::MAX_THREADS;
use iomtsim_sim::scenario::limits::MAX_TRIALS;

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
    /// Run several designs with the same random trials and write a report
    /// comparing them (report.html, comparison.parquet).
    Compare(CompareArgs),
    /// Weigh each defence of a scenario against each of its attacks: run it
    /// as written and without each defence in turn, and write the table and
    /// heat map of what each one changes (matrix.parquet, plots/defence_matrix).
    Matrix(MatrixArgs),
    /// Run every cell of a parameter sweep with the same random trials and
    /// write sweep.parquet, the per-cell summary and the sweep's plots.
    Sweep(SweepArgs),
    /// Tell one trial as a story, in time order and plain words.
    Explain(ExplainArgs),
    /// Redraw the plots of a finished run from its datasets.
    Plot(PlotArgs),
    /// Run again exactly what a run.json describes.
    Rerun(RerunArgs),
    /// Join runs of adjacent trial slices (--trials-range) into one.
    Merge(MergeArgs),
}

/// `iomtsim run`.
#[derive(Args)]
pub struct RunArgs {
    /// Scenario file; without one, the shipped reference hospital
    /// (scenarios/hospital/regional-flat.toml) runs.
    pub scenario: Option<PathBuf>,
    /// Number of trials (default: the scenario's `trials`).
    #[arg(long, conflicts_with = "trials_range", value_parser = parse_trials)]
    pub trials: Option<u32>,
    /// Run only trials A to B-1 (written `A..B`), to split a run across
    /// processes or machines; `iomtsim merge` joins the slices.
    #[arg(long, value_name = "A..B", value_parser = parse_range)]
    pub trials_range: Option<std::ops::Range<u32>>,
    /// Seed of the random streams (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = parse_threads)]
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
    /// Sampling interval of timeseries.parquet, e.g. `1h` (default: the
    /// scenario's `sample_every`, or about 200 samples per trial).
    #[arg(long, value_name = "DURATION")]
    pub sample_every: Option<iomtsim_sim::SimDuration>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How a run uses its output folder.
#[derive(Args, Clone)]
pub struct OutputArgs {
    /// Replace the run an existing output folder holds.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Finish the interrupted run the output folder holds (same scenario and options).
    #[arg(long)]
    pub resume: bool,
    /// Trials committed to disk together; a crash loses at most one batch.
    #[arg(long, default_value_t = 256, value_parser = parse_batch_size)]
    pub batch_size: u32,
}

/// `iomtsim rerun`.
#[derive(Args)]
pub struct RerunArgs {
    /// The run.json of the run to reproduce.
    pub manifest: PathBuf,
    /// Output folder (default: out/<scenario name>-rerun).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `iomtsim compare`.
#[derive(Args)]
pub struct CompareArgs {
    /// Scenario files of the designs; the first is the baseline.
    #[arg(required = true, num_args = 2..)]
    pub designs: Vec<PathBuf>,
    /// Trials per design (default: the first design's `trials`).
    #[arg(long, value_parser = parse_trials)]
    pub trials: Option<u32>,
    /// Seed shared by every design (default: the first design's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: every core).
    #[arg(long, default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
    /// Output folder (default: out/compare).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace a comparison the output folder already holds.
    #[arg(long)]
    pub force: bool,
    /// The smallest difference that matters in practice, in percent of the
    /// first design's mean: smaller differences are not coloured in the
    /// report, however significant.
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0, value_parser = parse_percent)]
    pub min_effect: f64,
}

/// `iomtsim sweep`.
#[derive(Args)]
pub struct SweepArgs {
    /// The sweep file: the scenario, the parameters and their values.
    pub sweep: PathBuf,
    /// Trials per cell (default: the sweep's `trials`, else the scenario's).
    #[arg(long, value_parser = parse_trials)]
    pub trials: Option<u32>,
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
    /// Output folder (default: out/<sweep file name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace a sweep the output folder already holds.
    #[arg(long)]
    pub force: bool,
    /// Run only shard K of N (written `K/N`, K from 1): a block of the
    /// sweep's cells and trials, for one machine of N; `iomtsim merge` joins
    /// the N shards into exactly what a whole run writes.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
}

/// Parses `K/N`.
fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("expected K/N with 1 <= K <= N, e.g. 2/4; found `{s}`");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (u32, u32) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// `iomtsim matrix`.
#[derive(Args)]
pub struct MatrixArgs {
    /// Scenario file; without one, the reference hospital's year with every
    /// defence (scenarios/hospital/regional-year-defended.toml).
    pub scenario: Option<PathBuf>,
    /// Trials per run (default: the scenario's `trials`).
    #[arg(long, value_parser = parse_trials)]
    pub trials: Option<u32>,
    /// Seed shared by every run (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
    /// Output folder (default: out/<scenario name>-matrix).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace a matrix the output folder already holds.
    #[arg(long)]
    pub force: bool,
    /// Weigh each defence alone against no defence at all, rather than
    /// without it against every defence.
    #[arg(long)]
    pub alone: bool,
}

/// `iomtsim explain`.
#[derive(Args)]
pub struct ExplainArgs {
    /// Scenario file (default: the reference hospital).
    pub scenario: Option<PathBuf>,
    /// Which trial to tell.
    #[arg(long, default_value_t = 0)]
    pub trial: u32,
    /// Seed (default: the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// `text` for the terminal, `md` for a Markdown handout.
    #[arg(long, value_enum, default_value_t = StoryFormatArg::Text)]
    pub format: StoryFormatArg,
    /// Write the story to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write an animated GIF of the zones filling with compromised devices.
    #[arg(long, value_name = "FILE.gif")]
    pub gif: Option<PathBuf>,
}

/// Story formats.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum StoryFormatArg {
    /// Plain text.
    Text,
    /// Markdown.
    Md,
}

/// `iomtsim plot`.
#[derive(Args)]
pub struct PlotArgs {
    /// Output folder of a finished run.
    pub run: PathBuf,
}

/// `iomtsim merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// Output folders of the slices.
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Where to write the joined run.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace the run an existing output folder holds.
    #[arg(long)]
    pub force: bool,
}

fn parse_range(s: &str) -> Result<std::ops::Range<u32>, String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("`{s}` is not a range; write A..B, e.g. 0..500"))?;
    let index = |x: &str| {
        x.trim().parse::<u32>().map_err(|_| format!("`{x}` is not a trial index; write a whole number, e.g. 0..500"))
    };
    let (a, b) = (index(a)?, index(b)?);
    if b <= a {
        return Err(format!("the range {a}..{b} holds no trial; B must exceed A"));
    }
    if b - a > MAX_TRIALS {
        return Err(format!("the range {a}..{b} holds {} trials; one run holds at most {MAX_TRIALS}", b - a));
    }
    Ok(a..b)
}

/// A whole number in `range`, or a message that says which.
fn whole(s: &str, range: std::ops::RangeInclusive<u64>, what: &str) -> Result<u64, String> {
    let allowed = format!("{what} must be a whole number from {} to {}", range.start(), range.end());
    let n: u64 = s.trim().parse().map_err(|_| format!("{allowed}, found `{s}`"))?;
    if range.contains(&n) { Ok(n) } else { Err(format!("{allowed}, found {n}")) }
}

fn parse_trials(s: &str) -> Result<u32, String> {
    whole(s, 1..=u64::from(MAX_TRIALS), "--trials").map(|n| n as u32)
}

fn parse_batch_size(s: &str) -> Result<u32, String> {
    whole(s, 1..=u64::from(MAX_TRIALS), "--batch-size").map(|n| n as u32)
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let x: f64 = s.trim().trim_end_matches('%').parse().map_err(|_| format!("`{s}` is not a percentage, e.g. 10"))?;
    if (0.0..=1000.0).contains(&x) { Ok(x) } else { Err(format!("a percentage from 0 to 1000, found {x}")) }
}

fn parse_threads(s: &str) -> Result<usize, String> {
    whole(s, 0..=MAX_THREADS as u64, "--threads (0 uses every core)").map(|n| n as usize)
}

/// `iomtsim validate`.
#[derive(Args)]
pub struct ValidateArgs {
    /// Scenario files to check.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}
