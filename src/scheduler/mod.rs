//! Scheduling: the limiter that keeps every call inside the quota, the counters that the
//! progress display and the summary read, and the run loop that moves rows from the
//! manifest to the state file.

mod batch;
pub mod cancel;
pub mod counters;
pub mod dispatch;
pub mod fingerprint;
pub mod limiter;
mod purchase;
pub mod run;
pub mod scan;
pub mod signals;

pub use counters::Counters;
pub use limiter::Limiter;

use crate::state::StoreError;

/// Reason a run stops before every row is finished.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    /// The next free quota slot is further away than `--max-wait`.
    #[error("quota exhausted; the next call is allowed at {}", crate::output::time::describe_millis(*next_free_at))]
    QuotaExhausted { next_free_at: i64 },
    /// Too many 5xx responses or connection failures in a row.
    #[error("the API looks unavailable: {message}")]
    Outage { message: String },
    /// The credentials or the app's access were rejected; a person must act. `status` is the
    /// HTTP status of the rejection, when the server sent one.
    #[error("{message}")]
    Auth {
        message: String,
        status: Option<u16>,
    },
    /// The payer's account cannot pay (insufficient funds, an inactive account, a rejected
    /// payment). Someone must fix the account, after which a rerun goes on where it stopped.
    #[error("{message}")]
    Account { message: String },
    /// The state file failed; without checkpoints the run cannot go on safely.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Ctrl-C or SIGTERM.
    #[error("interrupted by a signal")]
    Interrupted,
    /// Another part of the run decided to stop; the first reason is the one reported.
    #[error("the run is stopping")]
    Halted,
}

/// The first reason a run stops for, shared by the dispatcher, its workers and the signal
/// handler. Setting it halts the limiter, so no worker sends another request.
pub struct StopFlag {
    reason: std::sync::Mutex<Option<Stop>>,
    limiter: std::sync::Arc<Limiter>,
}

impl StopFlag {
    pub fn new(limiter: std::sync::Arc<Limiter>) -> StopFlag {
        StopFlag {
            reason: std::sync::Mutex::new(None),
            limiter,
        }
    }

    /// Records `reason` unless another came first, and halts the limiter.
    pub fn set(&self, reason: Stop) {
        if let Ok(mut current) = self.reason.lock() {
            if current.is_none() && !matches!(reason, Stop::Halted) {
                tracing::warn!(error = %reason, "stopping the run");
                *current = Some(reason);
            }
        }
        self.limiter.halt();
    }

    pub fn is_set(&self) -> bool {
        self.reason
            .lock()
            .map(|reason| reason.is_some())
            .unwrap_or(true)
    }

    pub fn take(&self) -> Option<Stop> {
        self.reason.lock().ok().and_then(|mut reason| reason.take())
    }
}

impl Stop {
    /// Whether rerunning later can finish the job without anyone changing anything.
    pub fn is_resumable(&self) -> bool {
        matches!(
            self,
            Stop::QuotaExhausted { .. }
                | Stop::Outage { .. }
                | Stop::Interrupted
                | Stop::Account { .. }
        )
    }
}
