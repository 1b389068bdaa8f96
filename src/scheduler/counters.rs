//! Counters shared by the client, the run loop, the progress display and the summary.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Progress of a run so far. Every field counts this run only.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests sent to the API, retries included and token requests excluded.
    pub api_calls: AtomicU64,
    pub token_calls: AtomicU64,
    /// Repeated attempts after a 401, 429, 5xx or transport failure.
    pub retries: AtomicU64,
    /// 429 responses met.
    pub rate_limited: AtomicU64,
    /// Rows served from the state file's cache.
    pub cache_hits: AtomicU64,
    /// Rows that shared the response to an identical request sent for another row.
    pub deduplicated: AtomicU64,
    /// Rows that failed local checks, costing no call.
    pub local_errors: AtomicU64,
    /// Rows read from the manifest so far.
    pub rows_read: AtomicU64,
    /// Rows already finished by an earlier run.
    pub rows_skipped: AtomicU64,
    /// Rows finished by this run.
    pub rows_finished: AtomicU64,
    /// Calls that the rows read so far need: one per row, or one per batch of rows for a
    /// kind that batches.
    pub calls_queued: AtomicU64,
    /// Set while the run waits for a quota slot, for the progress display.
    pub waiting: Mutex<Option<String>>,
}

impl Counters {
    pub fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub fn set_waiting(&self, message: Option<String>) {
        if let Ok(mut waiting) = self.waiting.lock() {
            *waiting = message;
        }
    }

    pub fn waiting(&self) -> Option<String> {
        self.waiting.lock().ok().and_then(|waiting| waiting.clone())
    }
}
