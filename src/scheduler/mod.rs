//! Scheduling: the limiter that keeps every call inside the quota, the counters that the
//! progress display and the summary read, and the run loop that moves rows from the
//! manifest to the state file.

pub mod counters;
pub mod dispatch;
pub mod fingerprint;
pub mod limiter;
pub mod run;
pub mod scan;

pub use counters::Counters;
pub use limiter::Limiter;

use crate::state::StoreError;

/// Why a run stops before every row is finished.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    /// The next free quota slot is further away than `--max-wait`.
    #[error("quota exhausted; the next call is allowed at {}", crate::output::time::describe_millis(*next_free_at))]
    QuotaExhausted { next_free_at: i64 },
    /// Too many 5xx answers or connection failures in a row.
    #[error("the API looks unavailable: {message}")]
    Outage { message: String },
    /// The credentials or the app's access were rejected; a person must act.
    #[error("{message}")]
    Auth { message: String },
    /// The state file failed; without checkpoints the run cannot go on safely.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Stop {
    /// Whether rerunning later can finish the job without anyone changing anything.
    pub fn is_resumable(&self) -> bool {
        matches!(self, Stop::QuotaExhausted { .. } | Stop::Outage { .. })
    }
}
