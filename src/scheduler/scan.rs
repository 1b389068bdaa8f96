//! The scan: reads the manifest beside the row checkpoints, runs the local checks and the
//! cache lookups, and hands the rows that need a call to the dispatcher.
//!
//! It runs in two stages on two blocking threads, each with its own read connection, so a
//! large manifest streams through without round trips to the writer thread. The first stage
//! reads the manifest and the checkpoints and runs the local checks. The second looks up the
//! cache and sends every item to the dispatcher in manifest order, cached responses included,
//! which the dispatcher interprets. The lookups are most of the work, and splitting them from
//! reading and checking lets the two halves run on two cores.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use crate::checks::check_json_values;
use crate::client::{Answer, ApiRequest};
use crate::kinds::{note_moved_default_date, outcome_from_issue, Kind, Prepared, RowOutcome};
use crate::manifest::{ColumnMap, ManifestReader};
use crate::scheduler::Counters;
use crate::state::{cache, open_reader, CacheEntry, CacheLookup, RowCursor, RowState};

/// A row that the scan hands on.
pub enum ScanItem {
    /// The row's outcome is known without a call: a local error.
    Resolved {
        row: u64,
        content_hash: [u8; 16],
        outcome: RowOutcome,
    },
    /// The row's response is in the cache. The receiver interprets it, because the lookups
    /// keep the scan's second stage busy while the dispatcher's thread has time to spare.
    Cached(Box<CachedItem>),
    /// The row needs `request`.
    Work(WorkItem),
    /// The manifest or the state file failed; the run stops.
    Fatal(String),
}

/// A row waiting for its request.
pub struct WorkItem {
    pub row: u64,
    pub content_hash: [u8; 16],
    /// For exactly-once kinds, the row's occurrence among rows with its content, counted in
    /// manifest order from 1; 0 for other kinds.
    pub occurrence: u32,
    pub request: ApiRequest,
    pub key: [u8; 16],
    pub notes: Vec<String>,
}

/// A row whose response came from the cache.
pub struct CachedItem {
    pub row: u64,
    pub content_hash: [u8; 16],
    pub request: ApiRequest,
    /// The row's own notes, from its local checks.
    pub notes: Vec<String>,
    pub entry: CacheEntry,
}

impl CachedItem {
    /// Interprets the cached response for the row.
    pub fn outcome(self, kind: &dyn Kind) -> RowOutcome {
        let mut outcome = kind.interpret(
            &self.request,
            &Answer {
                status: self.entry.status,
                body: self.entry.body,
                content_type: None,
            },
        );
        // The row's own notes come first, then those that the response brought.
        let answer_notes = std::mem::replace(&mut outcome.notes, self.notes);
        outcome.notes.extend(answer_notes);
        outcome
    }
}

/// Inputs of the scan.
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
    /// Rows starting at or after this byte offset lie past the complete lines of the input
    /// that the last run saw. A checkpoint of such a row may come from a line that was still
    /// being written, so a changed row there is processed again instead of stopping the run.
    pub rescan_from_byte: u64,
    pub counters: Arc<Counters>,
}

/// Rows whose lookups share one read transaction of the state file.
///
/// Outside a transaction every SQLite statement takes and releases the file's shared locks,
/// two `fcntl` calls each. A reader also drops its whole page cache when it starts a
/// transaction after the writer has committed, which the writer does every few hundred rows.
/// Reading many rows in one transaction avoids both. The snapshot it reads is at most this many
/// rows old, which only delays a cache hit: the dispatcher checks the cache again before it
/// sends a request.
const ROWS_PER_READ_TRANSACTION: u32 = 1024;

/// The scan's open read transaction, if any, and the rows read in it.
struct ReadTransaction<'c> {
    connection: &'c Connection,
    open: bool,
    rows: u32,
}

impl<'c> ReadTransaction<'c> {
    fn new(connection: &'c Connection) -> ReadTransaction<'c> {
        ReadTransaction {
            connection,
            open: false,
            rows: 0,
        }
    }

    /// Opens a transaction for the next row, or ends the current one after
    /// [`ROWS_PER_READ_TRANSACTION`] rows and opens a new one.
    fn next_row(&mut self) -> rusqlite::Result<()> {
        if self.open && self.rows >= ROWS_PER_READ_TRANSACTION {
            self.end()?;
        }
        if !self.open {
            self.connection.execute_batch("BEGIN DEFERRED")?;
            self.open = true;
            self.rows = 0;
        }
        self.rows += 1;
        Ok(())
    }

    /// Ends the transaction. A read transaction left open stops the writer's checkpoints from
    /// moving past its snapshot, so it must not stay open while the scan waits.
    fn end(&mut self) -> rusqlite::Result<()> {
        if self.open {
            self.open = false;
            self.connection.execute_batch("COMMIT")?;
        }
        Ok(())
    }
}

/// Items queued before a stage sends them together. The receiving thread drains a burst in
/// one wake-up, where sending each row alone woke it for every row.
const SEND_BATCH: usize = 64;

/// Batches that the first stage may queue ahead of the second.
const STAGE_QUEUE: usize = 16;

/// The scan's side of the channel, with the read transaction that a full channel ends.
struct Output<'c> {
    sender: mpsc::Sender<ScanItem>,
    transaction: ReadTransaction<'c>,
    pending: Vec<ScanItem>,
}

impl Output<'_> {
    /// Queues `item`, and sends the queue when it contains [`SEND_BATCH`] items or `item` is
    /// fatal. Returns false when the receiver is gone.
    fn send(&mut self, item: ScanItem) -> bool {
        let fatal = matches!(item, ScanItem::Fatal(_));
        self.pending.push(item);
        if fatal || self.pending.len() >= SEND_BATCH {
            self.flush()
        } else {
            true
        }
    }

    /// Sends the queued items in order, ending the read transaction first when the channel is
    /// full and a send must wait. Returns false when the receiver is gone.
    fn flush(&mut self) -> bool {
        for item in self.pending.drain(..) {
            match self.sender.try_send(item) {
                Ok(()) => {}
                Err(TrySendError::Closed(_)) => return false,
                Err(TrySendError::Full(item)) => {
                    if let Err(error) = self.transaction.end() {
                        // The transaction wrote nothing, so no data is at stake. A connection
                        // that stays broken fails the next row's lookup, which stops the run.
                        tracing::warn!(%error, "ending the scan's read transaction failed");
                    }
                    if self.sender.blocking_send(item).is_err() {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// Scans the manifest and sends its rows to `sender`. Rows finished by an earlier run are
/// skipped; failed rows are scanned again when their error was retryable or
/// `--retry-errors` is set.
pub fn scan(input: ScanInput, sender: mpsc::Sender<ScanItem>) {
    let ScanInput {
        reader,
        columns,
        kind,
        state_path,
        job_id,
        env,
        run_id,
        cache,
        retry_errors,
        rescan_from_byte,
        counters,
    } = input;
    let check = CheckStage {
        reader,
        columns,
        kind: kind.clone(),
        state_path: state_path.clone(),
        job_id,
        retry_errors,
        rescan_from_byte,
        counters: counters.clone(),
    };
    let rows_per_call = kind
        .batching()
        .map_or(1, |batching| batching.max_rows() as u64);
    let lookup = LookupStage {
        kind,
        rows_per_call,
        queued_rows: Cell::new(0),
        state_path,
        env,
        run_id,
        cache,
        counters,
    };
    let (checked_sender, checked_receiver) = std_mpsc::sync_channel(STAGE_QUEUE);
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("scan-check".into())
            .spawn_scoped(scope, move || check_rows(check, checked_sender));
        if let Err(error) = spawned {
            let message = format!("cannot start the manifest scan thread: {error}");
            let _ = sender.blocking_send(ScanItem::Fatal(message));
            return;
        }
        look_up_rows(lookup, checked_receiver, sender);
    });
}

/// A row as the first stage hands it to the second, in manifest order.
enum Checked {
    /// An item that needs no cache lookup: a local error, or a fatal problem.
    Ready(ScanItem),
    /// A row that passed the local checks. Its response may be in the cache.
    Prepared {
        row: u64,
        content_hash: [u8; 16],
        occurrence: u32,
        prepared: Prepared,
        key: [u8; 16],
    },
}

/// Inputs of the first stage.
struct CheckStage {
    reader: ManifestReader,
    columns: ColumnMap,
    kind: Arc<dyn Kind>,
    state_path: PathBuf,
    job_id: String,
    retry_errors: bool,
    rescan_from_byte: u64,
    counters: Arc<Counters>,
}

/// Runs the first stage: reads the manifest beside the checkpoints, skips finished rows and
/// runs the local checks. Stops at the first fatal problem, or when the second stage stops.
fn check_rows(stage: CheckStage, sender: std_mpsc::SyncSender<Vec<Checked>>) {
    let CheckStage {
        mut reader,
        columns,
        kind,
        state_path,
        job_id,
        retry_errors,
        rescan_from_byte,
        counters,
    } = stage;
    let mut batch = Vec::with_capacity(SEND_BATCH);
    // Queues `checked`, and sends the batch when it is full or `checked` is fatal. Returns
    // false when the second stage is gone.
    let mut push = |checked: Checked| -> bool {
        let fatal = matches!(checked, Checked::Ready(ScanItem::Fatal(_)));
        batch.push(checked);
        if fatal || batch.len() >= SEND_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(SEND_BATCH));
            return sender.send(full).is_ok();
        }
        true
    };
    let fatal = |message: String| Checked::Ready(ScanItem::Fatal(message));

    let connection = match open_reader(&state_path) {
        Ok(connection) => connection,
        Err(error) => {
            push(fatal(error.to_string()));
            return;
        }
    };
    let mut cursor = RowCursor::new(&connection, &job_id);
    // Occurrences of each row content, counted over every row (finished ones too), so that the
    // n-th of several identical orders is the same purchase in every run. Only exactly-once
    // kinds keep it, because it has an entry per distinct row.
    let mut occurrences: Option<HashMap<[u8; 16], u32>> = kind.exactly_once().then(HashMap::new);

    while let Some(record) = reader.next_record() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                push(fatal(error.to_string()));
                return;
            }
        };
        Counters::add(&counters.rows_read, 1);
        let occurrence = match occurrences.as_mut() {
            Some(seen) => {
                let count = seen.entry(record.content_hash).or_insert(0);
                *count += 1;
                *count
            }
            None => 0,
        };

        let stored = match cursor.get(record.row) {
            Ok(stored) => stored,
            Err(error) => {
                push(fatal(format!(
                    "state file {}: {error}",
                    state_path.display()
                )));
                return;
            }
        };
        let stored = stored.filter(|stored| {
            stored.content_hash == record.content_hash || record.byte < rescan_from_byte
        });
        let checkpoint_at = stored.as_ref().map(|stored| stored.updated_at);
        if let Some(stored) = stored {
            if stored.content_hash != record.content_hash {
                push(fatal(format!(
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

        let resolved = |outcome: RowOutcome| {
            Checked::Ready(ScanItem::Resolved {
                row: record.row,
                content_hash: record.content_hash,
                outcome,
            })
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
            if !push(resolved(outcome)) {
                return;
            }
            continue;
        }

        let prepared =
            check_json_values(&record, &columns).and_then(|()| kind.prepare(&record, &columns));
        let checked = match prepared {
            Ok(mut prepared) => {
                if let Some(checkpoint_at) = checkpoint_at {
                    note_moved_default_date(&mut prepared, &record, &columns, checkpoint_at);
                }
                // A purchase row gets a key of its own, so it never shares a request.
                let key = if kind.exactly_once() {
                    row_request_key(record.row, &record.content_hash)
                } else {
                    prepared.request.key()
                };
                Checked::Prepared {
                    row: record.row,
                    content_hash: record.content_hash,
                    occurrence,
                    prepared,
                    key,
                }
            }
            Err(issue) => {
                tracing::info!(
                    row = record.row,
                    line = record.line,
                    code = issue.code,
                    "{}",
                    issue.message
                );
                Counters::add(&counters.local_errors, 1);
                resolved(outcome_from_issue(&issue))
            }
        };
        if !push(checked) {
            return;
        }
    }
    if !batch.is_empty() {
        let _ = sender.send(batch);
    }
}

/// Inputs of the second stage.
struct LookupStage {
    kind: Arc<dyn Kind>,
    /// Rows that one call carries: 1, or the batch size of a batching kind.
    rows_per_call: u64,
    /// Rows queued for a call so far.
    queued_rows: Cell<u64>,
    state_path: PathBuf,
    env: String,
    run_id: i64,
    cache: CacheLookup,
    counters: Arc<Counters>,
}

/// Runs the second stage: looks up the cache for the checked rows and sends every item to the
/// dispatcher, in the order the first stage checked them. Returning drops `receiver`, which
/// stops the first stage.
fn look_up_rows(
    stage: LookupStage,
    receiver: std_mpsc::Receiver<Vec<Checked>>,
    sender: mpsc::Sender<ScanItem>,
) {
    let connection = match open_reader(&stage.state_path) {
        Ok(connection) => connection,
        Err(error) => {
            let _ = sender.blocking_send(ScanItem::Fatal(error.to_string()));
            return;
        }
    };
    let mut output = Output {
        sender,
        transaction: ReadTransaction::new(&connection),
        pending: Vec::with_capacity(SEND_BATCH),
    };

    loop {
        let batch = match receiver.try_recv() {
            Ok(batch) => batch,
            Err(std_mpsc::TryRecvError::Disconnected) => break,
            Err(std_mpsc::TryRecvError::Empty) => {
                // The first stage is behind: send what is ready and end the read
                // transaction before waiting for it.
                if !output.flush() {
                    return;
                }
                if let Err(error) = output.transaction.end() {
                    tracing::warn!(%error, "ending the scan's read transaction failed");
                }
                match receiver.recv() {
                    Ok(batch) => batch,
                    Err(_) => break,
                }
            }
        };
        for checked in batch {
            if !look_up_row(&stage, &connection, &mut output, checked) {
                return;
            }
        }
    }
    output.flush();
}

/// Looks up the cache for one checked row, or passes a ready item on. Returns false when the
/// scan must stop: the item was fatal, or the dispatcher is gone.
fn look_up_row(
    stage: &LookupStage,
    connection: &Connection,
    output: &mut Output<'_>,
    checked: Checked,
) -> bool {
    let (row, content_hash, occurrence, prepared, key) = match checked {
        Checked::Ready(item) => {
            let fatal = matches!(item, ScanItem::Fatal(_));
            return output.send(item) && !fatal;
        }
        Checked::Prepared {
            row,
            content_hash,
            occurrence,
            prepared,
            key,
        } => (row, content_hash, occurrence, prepared, key),
    };

    if let Err(error) = output.transaction.next_row() {
        output.send(ScanItem::Fatal(format!(
            "state file {}: cannot start a read transaction: {error}",
            stage.state_path.display()
        )));
        return false;
    }
    let counters = &stage.counters;
    let cached = if stage.kind.exactly_once() {
        Ok(None)
    } else {
        cache::get(connection, &stage.env, &key, stage.cache)
    };
    match cached {
        Ok(Some(entry)) => {
            if entry.run_id == Some(stage.run_id) {
                Counters::add(&counters.deduplicated, 1);
            } else {
                Counters::add(&counters.cache_hits, 1);
            }
            output.send(ScanItem::Cached(Box::new(CachedItem {
                row,
                content_hash,
                request: prepared.request,
                notes: prepared.notes,
                entry,
            })))
        }
        Ok(None) => {
            // The first row of each prospective batch adds a call. Rows that share a
            // request still count, so this is an upper bound.
            let queued = stage.queued_rows.get();
            stage.queued_rows.set(queued + 1);
            if queued.is_multiple_of(stage.rows_per_call) {
                Counters::add(&counters.calls_queued, 1);
            }
            output.send(ScanItem::Work(WorkItem {
                row,
                content_hash,
                occurrence,
                request: prepared.request,
                key,
                notes: prepared.notes,
            }))
        }
        Err(error) => {
            output.send(ScanItem::Fatal(format!(
                "state file {}: cache lookup failed: {error}",
                stage.state_path.display()
            )));
            false
        }
    }
}

/// Returns a request key unique to a row, for kinds whose rows never share a request.
fn row_request_key(row: u64, content_hash: &[u8; 16]) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(b"row ");
    hasher.update(row.to_le_bytes());
    hasher.update(content_hash);
    let digest = hasher.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}
