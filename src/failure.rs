//! How a command fails: bad input (exit code 2) or a failure to do the work
//! (exit code 1), always as a message, never a panic.

use std::process::ExitCode;

/// A failed command.
pub enum Failure {
    /// The user's input is wrong; the message says how to fix it.
    BadInput(String),
    /// The work could not be done (disk full, permissions …).
    Runtime(String),
    /// The user stopped the run; what was finished is kept.
    Interrupted(String),
}

impl Failure {
    /// Prints the message and returns the exit code.
    pub fn report(self) -> ExitCode {
        match self {
            Failure::BadInput(msg) => {
                eprintln!("{}", msg.trim_end());
                ExitCode::from(2)
            }
            Failure::Runtime(msg) => {
                eprintln!("error: {}", msg.trim_end());
                ExitCode::from(1)
            }
            Failure::Interrupted(msg) => {
                eprintln!("{}", msg.trim_end());
                ExitCode::from(130)
            }
        }
    }
}

impl From<iomtsim_sim::ScenarioError> for Failure {
    fn from(e: iomtsim_sim::ScenarioError) -> Self {
        match &e {
            iomtsim_sim::ScenarioError::Invalid { .. } | iomtsim_sim::ScenarioError::NotUtf8 { .. } => {
                Failure::BadInput(e.to_string())
            }
            _ => Failure::BadInput(format!("error: {e}")),
        }
    }
}

impl From<iomtsim_analysis::OutputError> for Failure {
    fn from(e: iomtsim_analysis::OutputError) -> Self {
        Failure::Runtime(e.to_string())
    }
}

impl From<iomtsim_analysis::StoreError> for Failure {
    fn from(e: iomtsim_analysis::StoreError) -> Self {
        if e.is_usage() { Failure::BadInput(format!("error: {e}")) } else { Failure::Runtime(e.to_string()) }
    }
}

impl Failure {
    /// How a library workflow's failure reaches the user: interruptions
    /// with the command that resumes.
    pub fn from_workflow(e: iomtsim_analysis::workflow::WorkflowError) -> Self {
        use iomtsim_analysis::workflow::WorkflowError as W;
        match e {
            W::Scenario(e) => Failure::from(e),
            W::Usage(m) => Failure::BadInput(format!("error: {m}")),
            W::Store(e) => Failure::from(e),
            W::Interrupted { message, resumable: true } => {
                Failure::Interrupted(format!("{message}\nfinish the run with:\n  {} --resume", resume_command()))
            }
            W::Interrupted { message, resumable: false } => Failure::Interrupted(message),
            W::Runtime(m) => Failure::Runtime(m),
        }
    }
}

/// The command line that was run, to repeat with --resume.
fn resume_command() -> String {
    std::env::args()
        .filter(|a| a != "--force" && a != "--resume")
        .map(|a| if a.contains(' ') { format!("'{a}'") } else { a })
        .collect::<Vec<_>>()
        .join(" ")
}
