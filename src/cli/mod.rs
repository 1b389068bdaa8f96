//! The command line: one file per command, each with its arguments and its `run`.
//! Arguments become a checked [`crate::job::JobConfig`] before any work starts.

pub mod cancel;
pub mod doctor;
pub mod logging;
pub mod plan;
pub mod run;
pub mod sandbox;
pub mod status;

use clap::{Parser, Subcommand};

use crate::exit::Exit;

/// Batch job runner for the USPS REST APIs: address cleansing through a rate limiter that
/// keeps the hourly quota, with checkpoints that let a stopped run resume.
#[derive(Debug, Parser)]
#[command(name = "usps-batch", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a job file: read the manifest, call the API, write the outputs.
    Run(run::RunArgs),
    /// Check a job's manifest and count the calls it needs, without calling the API.
    Plan(plan::PlanArgs),
    /// Cancel labels of a label job, or request their refund, and record each result.
    Cancel(cancel::CancelArgs),
    /// Show the jobs of a state file, their rows by state and the quota used.
    Status(status::StatusArgs),
    /// Serve the local USPS sandbox until Ctrl-C.
    Sandbox(sandbox::SandboxArgs),
    /// Check credentials, token, API access and quota for an environment or a job.
    Doctor(doctor::DoctorArgs),
}

/// Parses the command line and runs the command. Returns the exit code; `main` is the only
/// place that exits.
pub fn main() -> Exit {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return Exit::Fatal;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(args).await,
            Command::Plan(args) => plan::run(args).await,
            Command::Cancel(args) => cancel::run(args).await,
            Command::Status(args) => status::run(args).await,
            Command::Sandbox(args) => sandbox::run(args).await,
            Command::Doctor(args) => doctor::run(args).await,
        }
    });
    match result {
        Ok(exit) => exit,
        Err(error) => {
            // Printed, not logged: the default log level would show it twice.
            eprintln!("error: {}", describe_error(&error));
            Exit::Fatal
        }
    }
}

/// Joins an error with its causes, leaving out a cause whose text the message already
/// includes: most errors here name their cause in their own message.
fn describe_error(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_causes_are_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(io).context("cannot open in.csv: no such file");
        assert_eq!(describe_error(&error), "cannot open in.csv: no such file");
        let error = anyhow::anyhow!("disk full").context("cannot write out.csv");
        assert_eq!(describe_error(&error), "cannot write out.csv: disk full");
    }
}
