//! `iomtsim`: the command-line program. It parses arguments, loads the
//! scenario, calls the engine (`iomtsim-sim` with the plugins of
//! `iomtsim-attacks`) and hands results to `iomtsim-analysis`; nothing more.

/// Prints a line to standard output, ignoring a closed pipe
/// (`iomtsim run | head`): by then every output file is written.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Prints to standard output without a newline, ignoring a closed pipe.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

mod cli;
mod commands;
mod failure;
mod plural;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let outcome = match cli.command {
        cli::Command::Run(args) => commands::run::run(args),
        cli::Command::Validate(args) => commands::validate::validate(args),
        cli::Command::Schema => commands::schema::schema(),
        cli::Command::Compare(args) => commands::compare::compare(args),
        cli::Command::Matrix(args) => commands::matrix::matrix(args),
        cli::Command::Sweep(args) => commands::sweep::sweep(args),
        cli::Command::Explain(args) => commands::explain::explain(args),
        cli::Command::Plot(args) => commands::plot::plot(args),
        cli::Command::Rerun(args) => commands::rerun::rerun(args),
        cli::Command::Merge(args) => commands::merge::merge(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
