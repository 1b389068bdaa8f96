//! The dispatcher: takes the scan's rows, sends one request per distinct key with bounded
//! concurrency, and commits each row's outcome.
//!
//! A request's concurrency permit is held until its rows are committed. At any moment at
//! most `concurrency` requests are therefore sent but not yet recorded, which bounds what a
//! `kill -9` can make a rerun repeat.
//!
//! For a kind with [`crate::kinds::Batching`], distinct keys are gathered into batches of up
//! to its maximum, which share one call and one permit (see `batch.rs`). Only the last batch
//! of a run may be partial, so a manifest of n distinct requests takes ceil(n / maximum)
//! calls however fast the scan reads it.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::client::{Answer, ApiRequest, CallResult, Method, UspsClient};
use crate::kinds::{Kind, RowOutcome};
use crate::scheduler::scan::{ScanItem, WorkItem};
use crate::scheduler::{Counters, Stop, StopFlag};
use crate::state::StoreError;
use crate::state::{
    cache, now_millis, rows, CacheEntry, CacheLookup, RowKey, RowState, Store, StoredRow,
};

/// Resolved rows committed together.
const BATCH_ROWS: usize = 512;
/// Maximum time a resolved row waits for its batch to commit.
const BATCH_DELAY: Duration = Duration::from_millis(200);

/// Settings and shared handles of the dispatcher.
pub struct Dispatcher {
    pub store: Store,
    pub client: Arc<UspsClient>,
    pub kind: Arc<dyn Kind>,
    pub counters: Arc<Counters>,
    pub job_id: String,
    /// The job's name, which scopes the pins of exactly-once rows (see `state::pins`).
    pub job_name: String,
    pub env: String,
    pub run_id: i64,
    pub cache: CacheLookup,
    pub concurrency: usize,
    pub stop: Arc<StopFlag>,
}

/// A row that waits for the response to an identical request.
pub(super) struct Waiter {
    row: u64,
    content_hash: [u8; 16],
    notes: Vec<String>,
    /// The row's own request, when it carries values that are not sent (see
    /// [`ApiRequest::query`](crate::client::ApiRequest::query)) and so may interpret the
    /// shared answer differently.
    request: Option<ApiRequest>,
}

impl Waiter {
    fn key(&self) -> RowKey {
        RowKey {
            row: self.row,
            content_hash: self.content_hash,
        }
    }
}

pub(super) type InFlight = Arc<Mutex<HashMap<[u8; 16], Vec<Waiter>>>>;

/// The outcome of a request, with the final answer it came from. Rows with their own request
/// (see [`Waiter::request`]) interpret that answer again.
pub(super) struct Settled {
    pub outcome: RowOutcome,
    /// The response when it is final, `None` otherwise.
    pub answer: Option<Answer>,
}

impl Settled {
    /// Builds a settled outcome that no row interprets again, such as a transient failure.
    pub fn alone(outcome: RowOutcome) -> Settled {
        Settled {
            outcome,
            answer: None,
        }
    }
}

/// The work of one spawned task: one request, or a batch of distinct requests sent together.
enum Task {
    Single(Box<WorkItem>),
    Batch(Vec<WorkItem>),
}

impl Task {
    fn keys(&self) -> Vec<[u8; 16]> {
        match self {
            Task::Single(work) => vec![work.key],
            Task::Batch(works) => works.iter().map(|work| work.key).collect(),
        }
    }
}

/// A batch of resolved rows on its way to the state file.
type Commit = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + Send>>;

/// Result of dispatching.
pub struct DispatchEnd {
    /// The reason the run stopped early, if it did.
    pub stop: Option<Stop>,
    /// A fatal scan problem (manifest or state file), if any.
    pub fatal: Option<String>,
}

impl Dispatcher {
    pub async fn run(self, mut items: mpsc::Receiver<ScanItem>) -> DispatchEnd {
        let this = Arc::new(self);
        let in_flight: InFlight = Arc::new(Mutex::new(HashMap::new()));
        let permits = Arc::new(Semaphore::new(this.concurrency));
        let stop = this.stop.clone();
        let mut tasks = JoinSet::new();
        let mut batch: Vec<StoredRow> = Vec::new();
        let mut committing: Option<Commit> = None;
        let mut fatal = None;
        let mut ticker = tokio::time::interval(BATCH_DELAY);
        let max_batch_rows = this.kind.batching().map(|batching| batching.max_rows());
        let mut gathered: Vec<WorkItem> = Vec::new();
        let batch_rejected = Arc::new(AtomicBool::new(false));
        let mut spawner = Spawner {
            dispatcher: this.clone(),
            in_flight: in_flight.clone(),
            permits,
            batch_rejected,
            tasks: &mut tasks,
        };

        loop {
            let item = tokio::select! {
                item = items.recv() => item,
                _ = ticker.tick() => {
                    if let Err(error) = this.flush(&mut batch, &mut committing).await {
                        stop.set(error);
                    }
                    continue;
                }
            };
            let Some(item) = item else { break };
            match item {
                ScanItem::Fatal(message) => {
                    fatal = Some(message);
                    break;
                }
                ScanItem::Resolved {
                    row,
                    content_hash,
                    outcome,
                } => {
                    let finished = stored_row(row, content_hash, &outcome);
                    this.resolve(finished, &mut batch, &mut committing).await;
                }
                ScanItem::Cached(cached) => {
                    let (row, content_hash) = (cached.row, cached.content_hash);
                    let outcome = cached.outcome(this.kind.as_ref());
                    let finished = stored_row(row, content_hash, &outcome);
                    this.resolve(finished, &mut batch, &mut committing).await;
                }
                ScanItem::Work(work) => {
                    if stop.is_set() {
                        // Left pending: the outputs mark it deferred, and a rerun sends it.
                        continue;
                    }
                    // A POST's query contains values that are not sent, such as a rate-shop
                    // deadline. An empty query is a value too (no deadline), so every POST
                    // row interprets the shared response with its own request. An exactly-once
                    // row shares nothing, and its outcome comes from the pinned request.
                    let own_request =
                        work.request.method == Method::Post && !this.kind.exactly_once();
                    let waiter = Waiter {
                        row: work.row,
                        content_hash: work.content_hash,
                        notes: work.notes.clone(),
                        request: own_request.then(|| work.request.clone()),
                    };
                    {
                        let mut map = in_flight.lock().expect("in-flight map lock");
                        if let Some(waiters) = map.get_mut(&work.key) {
                            // An identical request is on its way, so this row shares its response.
                            waiters.push(waiter);
                            Counters::add(&this.counters.deduplicated, 1);
                            continue;
                        }
                        map.insert(work.key, vec![waiter]);
                    }
                    match max_batch_rows {
                        None => spawner.spawn(Task::Single(Box::new(work))).await,
                        Some(max_rows) => {
                            gathered.push(work);
                            if gathered.len() >= max_rows {
                                spawner
                                    .spawn(Task::Batch(std::mem::take(&mut gathered)))
                                    .await;
                            }
                        }
                    }
                }
            }
            while let Some(done) = spawner.tasks.try_join_next() {
                if let Err(error) = done {
                    tracing::error!(%error, "request task failed");
                }
            }
        }

        // After a fatal scan problem or a stop, gathered rows stay pending for a rerun.
        if !gathered.is_empty() && fatal.is_none() && !stop.is_set() {
            spawner.spawn(Task::Batch(gathered)).await;
        }
        drop(spawner);
        while let Some(done) = tasks.join_next().await {
            if let Err(error) = done {
                tracing::error!(%error, "request task failed");
            }
        }
        let flushed = match this.flush(&mut batch, &mut committing).await {
            Ok(()) => Dispatcher::committed(&mut committing).await,
            Err(error) => Err(error),
        };
        if let Err(error) = flushed {
            stop.set(error);
        }
        DispatchEnd {
            stop: stop.take(),
            fatal,
        }
    }

    /// Queues the checkpoint of a row resolved without a call, and hands the batch on once it
    /// is full.
    async fn resolve(
        &self,
        finished: StoredRow,
        batch: &mut Vec<StoredRow>,
        committing: &mut Option<Commit>,
    ) {
        batch.push(finished);
        Counters::add(&self.counters.rows_finished, 1);
        if batch.len() >= BATCH_ROWS {
            if let Err(error) = self.flush(batch, committing).await {
                self.stop.set(error);
            }
        }
    }

    /// Hands the resolved rows of `batch` to the writer thread, once the previous batch has
    /// committed, and returns without waiting for this one. The writer then commits one batch
    /// while the next one fills, and at most one batch is in its hands at a time.
    async fn flush(
        &self,
        batch: &mut Vec<StoredRow>,
        committing: &mut Option<Commit>,
    ) -> Result<(), Stop> {
        if batch.is_empty() {
            return Ok(());
        }
        Dispatcher::committed(committing).await?;
        let rows = std::mem::take(batch);
        let job_id = self.job_id.clone();
        *committing = Some(Box::pin(self.store.queue(move |connection| {
            rows::upsert_rows(connection, &job_id, &rows, now_millis())
        })));
        Ok(())
    }

    /// Waits for the batch that [`Dispatcher::flush`] handed on, if any, to commit.
    async fn committed(committing: &mut Option<Commit>) -> Result<(), Stop> {
        match committing.take() {
            Some(commit) => Ok(commit.await?),
            None => Ok(()),
        }
    }

    /// Sends one request and commits the outcome of every row that waits for it.
    async fn process(&self, work: &WorkItem, in_flight: &InFlight) -> Result<(), Stop> {
        let exactly_once = self.kind.exactly_once();
        let pinned = if exactly_once {
            match self.pin_request(work).await? {
                Ok(pinned) => Some(pinned),
                Err(outcome) => {
                    // The check ruled the row out: nothing was bought, so it is final.
                    self.release_with(work, in_flight, &outcome).await?;
                    return Ok(());
                }
            }
        } else {
            None
        };
        let request = pinned
            .as_ref()
            .map(|(request, _)| request)
            .unwrap_or(&work.request);

        // An exactly-once row never reads a cached response.
        let cached = if exactly_once {
            None
        } else {
            self.cached_outcome(work).await?
        };
        let settled = match cached {
            Some(settled) => settled,
            None => {
                let rows = self.waiting_rows(&[work], in_flight);
                match self.client.call(request, &rows).await? {
                    CallResult::Answer(answer) => {
                        let outcome = self.kind.interpret(request, &answer);
                        if exactly_once && (400..500).contains(&answer.status) {
                            self.forget_rejected(work).await?;
                        }
                        if let Some(stop) = self.kind.stop_reason(&outcome) {
                            // The row goes back to pending, so a rerun sends it again with
                            // the same pinned key once the cause is fixed.
                            self.release(work, in_flight).await?;
                            return Err(stop);
                        }
                        self.settle(work, outcome, answer, !exactly_once).await?
                    }
                    CallResult::Transient {
                        message,
                        status,
                        body,
                    } => {
                        let outcome = RowOutcome::transient(message, status, body);
                        if let Some((_, idempotency_key)) = &pinned {
                            tracing::warn!(row = work.row, idempotency_key = %idempotency_key, "purchase not confirmed either way; the row is in doubt");
                        }
                        Settled::alone(self.kind.transient_outcome(request, outcome))
                    }
                }
            }
        };
        self.commit(work, settled, in_flight).await
    }

    /// Returns the outcome of a response to an identical request that arrived after the scan
    /// looked in the cache.
    pub(super) async fn cached_outcome(&self, work: &WorkItem) -> Result<Option<Settled>, Stop> {
        let env = self.env.clone();
        let key = work.key;
        let lookup = self.cache;
        let cached = self
            .store
            .call(move |connection| cache::get(connection, &env, &key, lookup))
            .await?;
        Ok(cached.map(|entry| {
            Counters::add(&self.counters.deduplicated, 1);
            let answer = Answer {
                status: entry.status,
                body: entry.body,
                content_type: None,
            };
            Settled {
                outcome: self.kind.interpret(&work.request, &answer),
                answer: Some(answer),
            }
        }))
    }

    /// Returns the rows that wait for `works`, to mark in flight while their call is out.
    pub(super) fn waiting_rows(&self, works: &[&WorkItem], in_flight: &InFlight) -> Vec<RowKey> {
        let map = in_flight.lock().expect("in-flight map lock");
        works
            .iter()
            .filter_map(|work| map.get(&work.key))
            .flat_map(|waiters| waiters.iter().map(Waiter::key))
            .collect()
    }

    /// Sends `request`, the single-row form of a rejected batch, on behalf of `work`'s rows
    /// and returns their outcome, interpreted with the row's own request.
    pub(super) async fn send_single(
        &self,
        work: &WorkItem,
        request: &ApiRequest,
        in_flight: &InFlight,
    ) -> Result<Settled, Stop> {
        let rows = self.waiting_rows(&[work], in_flight);
        match self.client.call(request, &rows).await? {
            CallResult::Answer(answer) => {
                let outcome = self.kind.interpret(&work.request, &answer);
                self.settle(work, outcome, answer, true).await
            }
            CallResult::Transient {
                message,
                status,
                body,
            } => Ok(Settled::alone(RowOutcome::transient(message, status, body))),
        }
    }

    /// Keeps the response behind `outcome` as `keep` does, and reports to the client whether
    /// the API responded usefully.
    pub(super) async fn settle(
        &self,
        work: &WorkItem,
        outcome: RowOutcome,
        answer: Answer,
        cacheable: bool,
    ) -> Result<Settled, Stop> {
        let (settled, usable) = self.keep(work, outcome, answer, cacheable).await?;
        if usable {
            self.client.note_usable_response();
        } else {
            self.client.note_unusable_response(&work.request)?;
        }
        Ok(settled)
    }

    /// Caches the answer behind `outcome` when it is final and `cacheable`, and returns the
    /// settled outcome with whether the response was usable. A 2xx whose body breaks the spec
    /// (an HTML error page, say) is not usable, and counts towards an outage like a 5xx.
    pub(super) async fn keep(
        &self,
        work: &WorkItem,
        outcome: RowOutcome,
        answer: Answer,
        cacheable: bool,
    ) -> Result<(Settled, bool), Stop> {
        let usable = !(outcome.is_retryable() && (200..300).contains(&answer.status));
        // Answers that depend on the input alone (2xx, 4xx row errors) are final and cached.
        // A retryable 4xx, such as a tracking number that USPS does not know yet, is not.
        let shared = if usable && !outcome.is_retryable() {
            if cacheable {
                self.cache_answer(work, answer.clone()).await?;
            }
            Some(answer)
        } else {
            None
        };
        let settled = Settled {
            outcome,
            answer: shared,
        };
        Ok((settled, usable))
    }

    /// Commits the settled outcome for every row that waits for `work`'s request.
    pub(super) async fn commit(
        &self,
        work: &WorkItem,
        settled: Settled,
        in_flight: &InFlight,
    ) -> Result<(), Stop> {
        // The key leaves the map only after the cache contains the response, so a later row with
        // the same request finds one or the other.
        let waiters = in_flight
            .lock()
            .expect("in-flight map lock")
            .remove(&work.key)
            .unwrap_or_default();
        let stored: Vec<StoredRow> = waiters
            .iter()
            .map(|waiter| {
                let mut row_outcome = match (&waiter.request, &settled.answer) {
                    (Some(request), Some(answer)) => self.kind.interpret(request, answer),
                    _ => settled.outcome.clone(),
                };
                // The row's own notes (repairs of its input) come first, then those that
                // the answer brought, such as a USPS warning.
                let answer_notes = std::mem::take(&mut row_outcome.notes);
                row_outcome.notes = waiter.notes.clone();
                row_outcome.notes.extend(answer_notes);
                if let Some(error) = &row_outcome.error {
                    tracing::info!(row = waiter.row, code = %error.code, status = row_outcome.status.as_str(), "{}", error.message);
                }
                stored_row(waiter.row, waiter.content_hash, &row_outcome)
            })
            .collect();
        let count = stored.len() as u64;
        let job_id = self.job_id.clone();
        self.store
            .call(move |connection| rows::upsert_rows(connection, &job_id, &stored, now_millis()))
            .await?;
        Counters::add(&self.counters.rows_finished, count);
        Ok(())
    }

    async fn cache_answer(&self, work: &WorkItem, answer: Answer) -> Result<(), Stop> {
        let env = self.env.clone();
        let key = work.key;
        let kind = self.kind.job_kind().name();
        let run_id = self.run_id;
        let entry = CacheEntry {
            status: answer.status,
            body: answer.body,
            run_id: Some(run_id),
        };
        self.store
            .call(move |connection| {
                cache::put(connection, &env, &key, kind, &entry, now_millis(), run_id)
            })
            .await?;
        Ok(())
    }
}

/// Spawns request tasks, each holding one concurrency permit until its rows are committed.
struct Spawner<'t> {
    dispatcher: Arc<Dispatcher>,
    in_flight: InFlight,
    permits: Arc<Semaphore>,
    /// Set once the batch endpoint rejected a call for the rest of the run.
    batch_rejected: Arc<AtomicBool>,
    tasks: &'t mut JoinSet<()>,
}

impl Spawner<'_> {
    async fn spawn(&mut self, task: Task) {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let this = self.dispatcher.clone();
        let in_flight = self.in_flight.clone();
        let batch_rejected = self.batch_rejected.clone();
        self.tasks.spawn(async move {
            let keys = task.keys();
            let result = match task {
                Task::Single(work) => this.process(&work, &in_flight).await,
                Task::Batch(works) => this.process_batch(works, &in_flight, &batch_rejected).await,
            };
            if let Err(error) = result {
                // The rows stay pending (or in flight); a rerun sends them.
                if let Ok(mut map) = in_flight.lock() {
                    for key in keys {
                        map.remove(&key);
                    }
                }
                this.stop.set(error);
            }
            drop(permit);
        });
    }
}

/// Builds the checkpoint of a finished row.
pub fn stored_row(row: u64, content_hash: [u8; 16], outcome: &RowOutcome) -> StoredRow {
    let state = if outcome.status.is_success() {
        RowState::Done
    } else {
        RowState::Failed
    };
    StoredRow {
        row,
        content_hash,
        state,
        retryable: outcome.is_retryable(),
        result: Some(serde_json::to_string(outcome).expect("outcomes serialize")),
        updated_at: 0,
    }
}
