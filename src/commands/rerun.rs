//! `iomtsim rerun`: reproduces a run from its run.json alone.

use iomtsim_analysis::{RunManifest, read_json};
use iomtsim_sim::ScenarioSource;
use sha2::{Digest, Sha256};

use super::run::{Settings, Trials, execute, hex};
use crate::cli::RerunArgs;
use crate::failure::Failure;

/// Runs again what a manifest describes: the same scenario text, seed,
/// trials and outputs.
pub fn rerun(args: RerunArgs) -> Result<(), Failure> {
    let manifest: RunManifest = read_json(&args.manifest)?;
    let plan = manifest.plan;
    if hex(&Sha256::digest(plan.scenario_text.as_bytes())) != plan.scenario_sha256 {
        return Err(Failure::BadInput(format!(
            "error: {}: the scenario text does not match its recorded SHA-256; the manifest was edited",
            args.manifest.display()
        )));
    }
    let this = format!("iomtsim {}", env!("CARGO_PKG_VERSION"));
    if plan.program != this {
        eprintln!("warning: the run was made by {}, this is {this}; results may differ", plan.program);
    }
    let source = ScenarioSource::from_text(plan.scenario_file.clone(), plan.scenario_text.clone());
    let mut output = args.output;
    output.batch_size = plan.batch_size;
    let settings = Settings {
        seed: Some(plan.seed),
        trials: Trials::Range(plan.trial_start..plan.trial_end),
        out: args.out,
        threads: args.threads,
        events: plan.events,
        csv: plan.csv,
        sample_every: Some(
            plan.sample_every
                .parse()
                .map_err(|e| Failure::BadInput(format!("error: {}: sample_every: {e}", args.manifest.display())))?,
        ),
        output,
    };
    execute(source, settings, |name| std::path::PathBuf::from("out").join(format!("{name}-rerun")))
}
