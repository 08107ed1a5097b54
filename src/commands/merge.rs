//! `iomtsim merge`: joins runs of adjacent trial slices into one run.

use iomtsim_analysis::{OpenMode, merge_runs};

use crate::cli::MergeArgs;
use crate::failure::Failure;
use crate::plural::count;

/// Merges the slices, refusing runs of another scenario, seed or program.
pub fn merge(args: MergeArgs) -> Result<(), Failure> {
    let mode = if args.force { OpenMode::Force } else { OpenMode::New };
    let merged = merge_runs(&args.runs, &args.out, mode)?;
    say!(
        "merged {} into {}: {} {}..{} of {}, seed {}",
        count(args.runs.len(), "run", "runs"),
        args.out.display(),
        count(merged.plan.trials() as usize, "trial", "trials"),
        merged.plan.trial_start,
        merged.plan.trial_end,
        merged.plan.scenario,
        merged.plan.seed
    );
    Ok(())
}
