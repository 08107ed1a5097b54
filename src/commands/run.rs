//! `iomtsim run`: runs the trials and prints a summary.

use iomtsim_analysis::numbers::count;
use iomtsim_analysis::render_table;
use iomtsim_analysis::workflow::{RunReport, RunRequest, Trials, run_scenario};

use super::progress::{Bar, stop_on_signal};
use crate::cli::{OutputArgs, RunArgs};
use crate::failure::Failure;

/// Runs a scenario.
pub fn run(args: RunArgs) -> Result<(), Failure> {
    let request = RunRequest {
        source: super::read_source(args.scenario.as_deref())?,
        seed: args.seed,
        trials: match (args.trials_range.clone(), args.trials) {
            (Some(r), _) => Trials::Range(r),
            (None, Some(n)) => Trials::Count(n),
            (None, None) => Trials::Default,
        },
        out: args.out.clone(),
        default_suffix: "",
        threads: args.threads,
        events: args.events,
        csv: args.csv,
        sample_every: args.sample_every,
        mode: args.output.mode(),
        batch_size: args.output.batch_size,
    };
    execute(request)
}

/// Runs a request and prints what it produced.
pub fn execute(request: RunRequest) -> Result<(), Failure> {
    let report = run_scenario(request, &iomtsim_attacks::registry(), &Bar::new(), stop_on_signal())
        .map_err(Failure::from_workflow)?;
    print(&report);
    Ok(())
}

fn print(r: &RunReport) {
    say!(
        "{} ({}): {}, trials {}..{}, seed {}",
        r.scenario,
        r.variant,
        count(u64::from(r.devices), "device", "devices"),
        r.trials.start,
        r.trials.end,
        r.seed
    );
    say!();
    say_raw!("{}", render_table(&r.summary));
    if let Some(m) = &r.money {
        say!();
        for line in iomtsim_analysis::money::loss_lines(m) {
            say!("{line}");
        }
    }
    say!();
    say!(
        "{} in {:.2} s on {}: {:.2} M events/s",
        count(r.events, "event", "events"),
        r.wall_seconds,
        count(r.threads as u64, "thread", "threads"),
        r.events as f64 / r.wall_seconds.max(1e-9) / 1e6
    );
    say!(
        "datasets written to {}, {} to {}",
        r.out.display(),
        count(r.plots.len() as u64, "plot", "plots"),
        r.out.join("plots").display()
    );
}

impl OutputArgs {
    /// How to treat an occupied output folder.
    pub fn mode(&self) -> iomtsim_analysis::OpenMode {
        match (self.force, self.resume) {
            (true, _) => iomtsim_analysis::OpenMode::Force,
            (_, true) => iomtsim_analysis::OpenMode::Resume,
            _ => iomtsim_analysis::OpenMode::New,
        }
    }
}
