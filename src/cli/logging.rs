//! Logging through tracing-subscriber to stderr, as text or JSON.

use std::io::IsTerminal;

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

use crate::output::progress::{StderrAboveBar, PROGRESS_TARGET};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber. The level is `warn` by default (progress lines aside),
/// `info` with `-v` and `debug` with `-vv`. `USPS_BATCH_LOG` (an `EnvFilter` directive such
/// as `usps_batch=debug`) overrides both. JSON lines put event fields at the top level, so
/// their schema stays flat and stable.
pub fn init(format: LogFormat, verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    // Progress lines stand in for the bar when stderr is not a terminal (cron), so they show
    // at the default level too.
    let progress = if quiet { "error" } else { "info" };
    let filter = EnvFilter::try_from_env("USPS_BATCH_LOG").unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "usps_batch={default},{PROGRESS_TARGET}={progress},warn"
        ))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(StderrAboveBar)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        // tracing-subscriber reports a failed write with `eprintln!`, which panics when
        // stderr is closed (a cron job's, or a parent that stopped reading); the panic would
        // kill the task that logged, such as a sandbox request handler.
        .log_internal_errors(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
