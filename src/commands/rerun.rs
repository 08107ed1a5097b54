//! `iomtsim rerun`: reproduces a run from its run.json alone.

use iomtsim_analysis::workflow::rerun_request;

use crate::cli::RerunArgs;
use crate::failure::Failure;

/// Runs again what a manifest describes: the same scenario text, seed,
/// trials and outputs.
pub fn rerun(args: RerunArgs) -> Result<(), Failure> {
    let (mut request, warning) = rerun_request(&args.manifest).map_err(Failure::from_workflow)?;
    if let Some(w) = warning {
        eprintln!("{w}");
    }
    request.out = args.out;
    request.threads = args.threads;
    request.mode = args.output.mode();
    super::run::execute(request)
}
