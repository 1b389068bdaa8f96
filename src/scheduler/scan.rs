//! The scan: reads the manifest beside the row checkpoints, runs the local checks and the
//! cache lookups, and hands the rows that need a call to the dispatcher.
//!
//! It runs on a blocking thread with its own read connection, so a large manifest streams
//! through without round trips to the writer thread.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::client::{Answer, ApiRequest};
use crate::kinds::{outcome_from_issue, Kind, RowOutcome};
use crate::manifest::{ColumnMap, ManifestReader};
use crate::scheduler::Counters;
use crate::state::{cache, open_reader, CacheLookup, RowCursor, RowState};

/// A row that the scan hands on.
pub enum ScanItem {
    /// The row's outcome is known without a call: a local error or a cache hit.
    Resolved {
        row: u64,
        content_hash: [u8; 16],
        outcome: RowOutcome,
    },
    /// The row needs `request`.
    Work(WorkItem),
    /// The manifest or the state file failed; the run stops.
    Fatal(String),
}

/// A row waiting for its request.
pub struct WorkItem {
    pub row: u64,
    pub content_hash: [u8; 16],
    pub request: ApiRequest,
    pub key: [u8; 16],
    pub notes: Vec<String>,
}

/// What the scan works from.
pub struct ScanInput {
    pub reader: ManifestReader,
    pub columns: ColumnMap,
    pub kind: Arc<dyn Kind>,
    pub state_path: PathBuf,
    pub job_id: String,
    pub env: String,
    pub run_id: i64,
    pub cache: CacheLookup,
    pub retry_errors: bool,
    pub counters: Arc<Counters>,
}

/// Scans the manifest and sends its rows to `sender`. Rows finished by an earlier run are
/// skipped; failed rows are scanned again when their error was retryable or
/// `--retry-errors` is set.
pub fn scan(input: ScanInput, sender: mpsc::Sender<ScanItem>) {
    let ScanInput {
        mut reader,
        columns,
        kind,
        state_path,
        job_id,
        env,
        run_id,
        cache,
        retry_errors,
        counters,
    } = input;
    let send = |item: ScanItem| sender.blocking_send(item).is_ok();

    let connection = match open_reader(&state_path) {
        Ok(connection) => connection,
        Err(error) => {
            send(ScanItem::Fatal(error.to_string()));
            return;
        }
    };
    let mut cursor = RowCursor::new(&connection, &job_id);

    while let Some(record) = reader.next_record() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                send(ScanItem::Fatal(error.to_string()));
                return;
            }
        };
        Counters::add(&counters.rows_read, 1);

        let stored = match cursor.get(record.row) {
            Ok(stored) => stored,
            Err(error) => {
                send(ScanItem::Fatal(format!(
                    "state file {}: {error}",
                    state_path.display()
                )));
                return;
            }
        };
        if let Some(stored) = stored {
            if stored.content_hash != record.content_hash {
                send(ScanItem::Fatal(format!(
                    "row {} (line {}) of the input differs from the row that an earlier run processed; the file was rewritten, not only appended to. Run again with --fresh to start over",
                    record.row, record.line
                )));
                return;
            }
            let finished = match stored.state {
                RowState::Done => true,
                RowState::Failed => !(stored.retryable || retry_errors),
                RowState::Pending | RowState::InFlight => false,
            };
            if finished {
                Counters::add(&counters.rows_skipped, 1);
                continue;
            }
        }

        let resolved = |outcome: RowOutcome| ScanItem::Resolved {
            row: record.row,
            content_hash: record.content_hash,
            outcome,
        };
        if let Some(problem) = &record.problem {
            tracing::info!(
                row = record.row,
                line = record.line,
                code = problem.code,
                "{}",
                problem.message
            );
            Counters::add(&counters.local_errors, 1);
            let outcome = RowOutcome::local(problem.code, None, problem.message.clone());
            if !send(resolved(outcome)) {
                return;
            }
            continue;
        }

        let prepared = match kind.prepare(&record, &columns) {
            Ok(prepared) => prepared,
            Err(issue) => {
                tracing::info!(
                    row = record.row,
                    line = record.line,
                    code = issue.code,
                    "{}",
                    issue.message
                );
                Counters::add(&counters.local_errors, 1);
                if !send(resolved(outcome_from_issue(&issue))) {
                    return;
                }
                continue;
            }
        };
        let key = prepared.request.key();
        match cache::get(&connection, &env, &key, cache) {
            Ok(Some(entry)) => {
                let mut outcome = kind.interpret(
                    &prepared.request,
                    &Answer {
                        status: entry.status,
                        body: entry.body,
                    },
                );
                outcome.notes = prepared.notes;
                if entry.run_id == Some(run_id) {
                    Counters::add(&counters.deduplicated, 1);
                } else {
                    Counters::add(&counters.cache_hits, 1);
                }
                if !send(resolved(outcome)) {
                    return;
                }
            }
            Ok(None) => {
                Counters::add(&counters.calls_queued, 1);
                let work = WorkItem {
                    row: record.row,
                    content_hash: record.content_hash,
                    request: prepared.request,
                    key,
                    notes: prepared.notes,
                };
                if !send(ScanItem::Work(work)) {
                    return;
                }
            }
            Err(error) => {
                send(ScanItem::Fatal(format!(
                    "state file {}: cache lookup failed: {error}",
                    state_path.display()
                )));
                return;
            }
        }
    }
}
