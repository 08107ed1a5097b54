//! `iomtsim matrix`: what each defence of a scenario buys against each of
//! its attacks.

use iomtsim_analysis::numbers::count;
use iomtsim_analysis::workflow::{MatrixRequest, defence_matrix, matrix_costs, matrix_table};
use iomtsim_sim::ScenarioSource;

use super::progress::{Bar, stop_on_signal};
use crate::cli::MatrixArgs;
use crate::failure::Failure;

/// The reference hospital's year with every defence, weighed when no
/// scenario is named.
const DEFENDED: &str = include_str!("../../scenarios/hospital/regional-year-defended.toml");

/// Runs the scenario with and without each defence and writes the matrix.
pub fn matrix(args: MatrixArgs) -> Result<(), Failure> {
    let source = match &args.scenario {
        Some(p) => ScenarioSource::from_path(p)?,
        None => ScenarioSource::from_text("<embedded>/scenarios/hospital/regional-year-defended.toml", DEFENDED),
    };
    let request = MatrixRequest {
        source,
        trials: args.trials,
        seed: args.seed,
        threads: args.threads,
        out: args.out,
        force: args.force,
        alone: args.alone,
    };
    let report = defence_matrix(request, &iomtsim_attacks::registry(), &Bar::new(), stop_on_signal())
        .map_err(Failure::from_workflow)?;
    if report.alone {
        say!(
            "What each defence changes on its own, with it alone against no defence, {} each:",
            count(u64::from(report.trials), "trial", "trials")
        );
    } else {
        say!(
            "What each defence changes, with it against without it (every other defence kept), {} each:",
            count(u64::from(report.trials), "trial", "trials")
        );
    }
    say_raw!("{}", matrix_table(&report));
    say_raw!("{}", matrix_costs(&report));
    say!("matrix written to {}", report.out.join("matrix.parquet").display());
    Ok(())
}
