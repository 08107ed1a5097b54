//! `iomtsim merge`: joins runs of adjacent trial slices into one run, or
//! the shards of a sweep into the sweep.

use iomtsim_analysis::{OpenMode, merge_runs};

use crate::cli::MergeArgs;
use crate::failure::Failure;
use crate::plural::count;

/// Merges the slices, refusing runs of another scenario, seed or program.
pub fn merge(args: MergeArgs) -> Result<(), Failure> {
    if args.runs.iter().all(|d| iomtsim_analysis::workflow::is_sweep_shard(d)) {
        let report = iomtsim_analysis::workflow::merge_sweep_shards(
            &args.runs,
            &args.out,
            args.force,
            &iomtsim_attacks::registry(),
        )
        .map_err(Failure::from_workflow)?;
        say!(
            "joined {} into {}: {} x {}",
            count(args.runs.len(), "sweep shard", "sweep shards"),
            report.out.display(),
            count(report.sweep.cells.len(), "cell", "cells"),
            count(report.trials as usize, "trial", "trials")
        );
        return Ok(());
    }
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
