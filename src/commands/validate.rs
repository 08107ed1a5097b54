//! `iomtsim validate`: checks scenario files and reports every problem.

use crate::cli::ValidateArgs;
use crate::failure::Failure;
use crate::plural::count;

/// Checks each file; fails with exit code 2 if any is invalid.
pub fn validate(args: ValidateArgs) -> Result<(), Failure> {
    let mut reports = Vec::new();
    let mut failed = 0;
    for file in &args.files {
        match super::read_source(Some(file)).and_then(super::load) {
            Ok(model) => {
                let s = &model.scenario;
                say!(
                    "ok: {} ({} of {} in {}, {})",
                    file.display(),
                    count(s.device_count() as usize, "device", "devices"),
                    count(s.device_types.len(), "type", "types"),
                    count(s.zones.len(), "zone", "zones"),
                    count(s.conduits.len(), "conduit", "conduits")
                );
            }
            Err(e) => {
                failed += 1;
                reports.push(Failure::from(e));
            }
        }
    }
    if failed == 0 {
        return Ok(());
    }
    let text: Vec<String> = reports
        .into_iter()
        .map(|f| match f {
            Failure::BadInput(m) | Failure::Runtime(m) | Failure::Interrupted(m) => m,
        })
        .collect();
    Err(Failure::BadInput(format!(
        "{}\n{failed} of {} invalid",
        text.join("\n"),
        count(args.files.len(), "file", "files")
    )))
}
