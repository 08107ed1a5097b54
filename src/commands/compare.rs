//! `iomtsim compare`: runs several designs with common random numbers and
//! writes a report a non-statistician can read.

use iomtsim_analysis::workflow::{CompareRequest, compare_designs};

use super::progress::{Bar, stop_on_signal};
use crate::cli::CompareArgs;
use crate::failure::Failure;

/// Runs every design over the same trials and writes the report.
pub fn compare(args: CompareArgs) -> Result<(), Failure> {
    let designs = args.designs.iter().map(|p| super::read_source(Some(p))).collect::<Result<Vec<_>, _>>()?;
    let request = CompareRequest {
        designs,
        trials: args.trials,
        seed: args.seed,
        threads: args.threads,
        out: args.out,
        force: args.force,
        min_effect: args.min_effect / 100.0,
    };
    let report = compare_designs(request, &iomtsim_attacks::registry(), &Bar::new(), stop_on_signal())
        .map_err(Failure::from_workflow)?;
    for s in &report.summary {
        say!("{s}");
    }
    say!("report written to {}", report.out.join("report.html").display());
    Ok(())
}
