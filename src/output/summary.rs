//! `<job>.summary.json`: what a run did, for people and for scripts.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::output::atomic::AtomicFile;

/// The summary of one run. `elapsed_seconds` and `finished_at` are the only fields that
/// differ between two runs that did the same work.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub job: String,
    pub job_id: String,
    pub kind: String,
    pub run_id: i64,
    pub exit_code: i32,
    /// Rows in the input.
    pub rows: u64,
    /// Rows by `usps_status`.
    pub by_status: BTreeMap<String, u64>,
    /// Requests sent to the API in this run, retries included, token requests excluded.
    pub api_calls: u64,
    /// API calls per row that needed the API in this run, rows that shared a response
    /// included: `api_calls` divided by the rows less local errors, cache hits, resumed and
    /// remaining rows. 1.0 means one call per row, and `null` that no row needed the API.
    pub calls_per_row: Option<f64>,
    pub token_calls: u64,
    pub retries: u64,
    /// 429 responses met.
    pub rate_limited: u64,
    /// Rows served from the cache of earlier runs.
    pub cache_hits: u64,
    /// Rows that shared the response to an identical request of this run.
    pub deduplicated: u64,
    /// Rows that failed local checks and cost no call.
    pub local_errors: u64,
    /// Rows finished by earlier runs and not requested again.
    pub resumed_rows: u64,
    /// Rows left for a later run.
    pub remaining_rows: u64,
    pub elapsed_seconds: f64,
    pub finished_at: String,
    /// Reason the run stopped early, if it did.
    pub stopped: Option<String>,
    /// When the quota frees up again, after a quota stop (RFC 3339, UTC).
    pub quota_free_at: Option<String>,
    pub quota: String,
    pub state_file: String,
    pub output: String,
    pub error_report: String,
    /// `<job>.responses.jsonl`, for kinds that keep each row's whole response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responses: Option<String>,
    /// Label counts, postage total and label files; label jobs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<crate::output::labels::LabelTotals>,
}

impl Summary {
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut file = AtomicFile::create(path)?;
        serde_json::to_writer_pretty(&mut file, self)?;
        file.write_all(b"\n")?;
        file.commit()
    }
}
