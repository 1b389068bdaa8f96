//! Progress on stderr: an indicatif bar on a terminal, a log line every few seconds
//! otherwise (cron, CI), nothing with `--quiet`.
//!
//! indicatif hides its bar when stderr is not a terminal, so a cron job would show nothing
//! at all without the log lines. The ETA comes from the calls left and the quota, not from
//! indicatif's own estimate, which swings with bursty work.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::quota::Quota;
use crate::scheduler::Counters;

/// Display mode of a run's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bar,
    Log,
    Quiet,
}

impl ProgressMode {
    /// Chooses the bar on a terminal, log lines elsewhere, and nothing when quiet.
    pub fn detect(quiet: bool) -> ProgressMode {
        use std::io::IsTerminal;
        if quiet {
            ProgressMode::Quiet
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Log
        }
    }
}

/// Log target of the progress lines, shown by default unless `--quiet`.
pub const PROGRESS_TARGET: &str = "usps_batch::progress";

/// Interval of the progress log lines.
const LOG_INTERVAL: Duration = Duration::from_secs(5);

// The bar in use, so that log lines are printed above it instead of tearing it.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// The running progress display.
pub struct Progress {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Progress {
    pub fn start(mode: ProgressMode, counters: Arc<Counters>, quota: Quota) -> Progress {
        let (stop, mut stopped) = watch::channel(false);
        let task = match mode {
            ProgressMode::Quiet => None,
            ProgressMode::Bar => {
                let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template("{bar:30} {pos}/{len} rows  {msg}")
                        .expect("the template is static and valid"),
                );
                if let Ok(mut active) = ACTIVE_BAR.lock() {
                    *active = Some(bar.clone());
                }
                Some(tokio::spawn(async move {
                    let started = Instant::now();
                    loop {
                        bar.set_length(Counters::get(&counters.rows_read));
                        bar.set_position(done_rows(&counters));
                        bar.set_message(describe(&counters, quota, started));
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                            _ = stopped.changed() => break,
                        }
                    }
                    bar.finish_and_clear();
                    if let Ok(mut active) = ACTIVE_BAR.lock() {
                        *active = None;
                    }
                }))
            }
            ProgressMode::Log => Some(tokio::spawn(async move {
                let started = Instant::now();
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(LOG_INTERVAL) => {}
                        _ = stopped.changed() => break,
                    }
                    tracing::info!(
                        target: PROGRESS_TARGET,
                        rows_done = done_rows(&counters),
                        rows_read = Counters::get(&counters.rows_read),
                        "progress: {}",
                        describe(&counters, quota, started)
                    );
                }
            })),
        };
        Progress { stop, task }
    }

    pub async fn finish(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

fn done_rows(counters: &Counters) -> u64 {
    Counters::get(&counters.rows_finished) + Counters::get(&counters.rows_skipped)
}

/// Describes calls made, rate and ETA, or what the run waits for.
fn describe(counters: &Counters, quota: Quota, started: Instant) -> String {
    let calls = Counters::get(&counters.api_calls);
    let elapsed = started.elapsed().as_secs_f64().max(0.001);
    if let Some(waiting) = counters.waiting() {
        return format!("{calls} calls; {waiting}");
    }
    let sent = calls.saturating_sub(Counters::get(&counters.retries));
    let left = Counters::get(&counters.calls_queued).saturating_sub(sent);
    let rate = calls as f64 / elapsed;
    let eta_seconds = match quota.limit {
        Some(limit) => {
            let per_second = limit.calls as f64 / limit.period.as_secs_f64();
            left as f64 / per_second.min(rate.max(per_second / 10.0))
        }
        None if rate > 0.0 => left as f64 / rate,
        None => 0.0,
    };
    format!(
        "{calls} calls, {rate:.1}/s, ETA {}",
        format_eta(Duration::from_secs_f64(eta_seconds.max(0.0)))
    )
}

pub(crate) fn format_eta(eta: Duration) -> String {
    let seconds = eta.as_secs();
    if seconds >= 3600 {
        format!("{}h{:02}m", seconds / 3600, (seconds % 3600) / 60)
    } else if seconds >= 60 {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{seconds}s")
    }
}

/// Writes log lines to stderr, above the progress bar when one is shown.
pub struct StderrAboveBar;

impl Write for StderrAboveBar {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        let line = one_line(buffer);
        let bar = ACTIVE_BAR.lock().ok().and_then(|active| active.clone());
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(&line))?,
            None => std::io::stderr().write_all(&line)?,
        }
        Ok(buffer.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Escapes the line breaks inside one formatted log event, keeping the final one. Messages
/// quote manifest values, and a value with a line break would otherwise print a second line
/// that reads as a log event of its own. The fmt layer writes each event in one call.
fn one_line(event: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let body = event.strip_suffix(b"\n").unwrap_or(event);
    if !body.iter().any(|&byte| byte == b'\n' || byte == b'\r') {
        return std::borrow::Cow::Borrowed(event);
    }
    let mut escaped = Vec::with_capacity(event.len() + 8);
    for &byte in body {
        match byte {
            b'\n' => escaped.extend_from_slice(b"\\n"),
            b'\r' => escaped.extend_from_slice(b"\\r"),
            other => escaped.push(other),
        }
    }
    if body.len() < event.len() {
        escaped.push(b'\n');
    }
    std::borrow::Cow::Owned(escaped)
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for StderrAboveBar {
    type Writer = StderrAboveBar;

    fn make_writer(&'a self) -> Self::Writer {
        StderrAboveBar
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_event_stays_one_line() {
        let forged = b"INFO row 3: state \"X\n2026-12-04 ERROR forged\" is invalid\n";
        assert_eq!(
            one_line(forged).as_ref(),
            b"INFO row 3: state \"X\\n2026-12-04 ERROR forged\" is invalid\n"
        );
        let plain = b"INFO started\n";
        assert!(matches!(one_line(plain), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn eta_formats() {
        assert_eq!(format_eta(Duration::from_secs(42)), "42s");
        assert_eq!(format_eta(Duration::from_secs(125)), "2m05s");
        assert_eq!(format_eta(Duration::from_secs(7260)), "2h01m");
    }
}
