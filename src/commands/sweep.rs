//! `iomtsim sweep`: a parameter study over one scenario.

use iomtsim_analysis::numbers::count;
use iomtsim_analysis::workflow::{SweepRequest, run_sweep, sweep_table};
use iomtsim_sim::ScenarioSource;

use super::progress::{Bar, stop_on_signal};
use crate::cli::SweepArgs;
use crate::failure::Failure;

/// Runs every cell of the sweep and writes its datasets and plots.
pub fn sweep(args: SweepArgs) -> Result<(), Failure> {
    let request = SweepRequest {
        source: ScenarioSource::from_path(&args.sweep)?,
        trials: args.trials,
        threads: args.threads,
        out: args.out,
        force: args.force,
        shard: args.shard,
    };
    let report = run_sweep(request, &iomtsim_attacks::registry(), &Bar::new(), stop_on_signal())
        .map_err(Failure::from_workflow)?;
    if let Some((k, n)) = report.shard {
        say!(
            "shard {k} of {n} of {} x {} written to {}; join the {n} shards with `iomtsim merge`",
            count(report.sweep.cells.len() as u64, "cell", "cells"),
            count(u64::from(report.trials), "trial", "trials"),
            report.out.display()
        );
        return Ok(());
    }
    say!(
        "{}, {} each, the same trials in every cell:",
        count(report.sweep.cells.len() as u64, "cell", "cells"),
        count(u64::from(report.trials), "trial", "trials")
    );
    say_raw!("{}", sweep_table(&report));
    say!("sweep written to {}", report.out.join("sweep.parquet").display());
    Ok(())
}
