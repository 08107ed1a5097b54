//! `iomtsim plot`: redraws a finished run's plots from its datasets.

use crate::cli::PlotArgs;
use crate::failure::Failure;

/// Draws every plot into `<run>/plots/`.
pub fn plot(args: PlotArgs) -> Result<(), Failure> {
    if !args.run.join("trials.parquet").exists() {
        return Err(Failure::BadInput(format!(
            "error: {} holds no finished run (no trials.parquet)",
            args.run.display()
        )));
    }
    let files = iomtsim_analysis::plots::plot_run(&args.run).map_err(|e| Failure::Runtime(e.to_string()))?;
    for f in files {
        say!("{}", f.display());
    }
    Ok(())
}
