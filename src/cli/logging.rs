//! Logging through tracing-subscriber to stderr, as text or JSON.

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

use crate::output::progress::StderrAboveBar;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber. The level is `warn` by default, `info` with `-v`,
/// `debug` with `-vv`; `USPS_BATCH_LOG` (an `EnvFilter` directive such as
/// `usps_batch=debug`) overrides both. JSON lines put event fields at the top level, so
/// their schema stays flat and stable.
pub fn init(format: LogFormat, verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = EnvFilter::try_from_env("USPS_BATCH_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("usps_batch={default},warn")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(StderrAboveBar)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
