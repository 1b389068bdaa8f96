//! The dispatcher's steps for exactly-once rows (label purchases): the check before a row is
//! pinned, the pin of its idempotency key and body, and the release of a row that ends
//! without a purchase. Other kinds never reach these steps.

use crate::client::{Answer, ApiRequest, CallResult};
use crate::kinds::RowOutcome;
use crate::scheduler::dispatch::{stored_row, Dispatcher, InFlight};
use crate::scheduler::scan::WorkItem;
use crate::scheduler::{Counters, Stop};
use crate::state::pins::PinIdentity;
use crate::state::{cache, now_millis, pins, rows, CacheEntry, RowKey, RowState, StoredRow};
use crate::usps::labels::IDEMPOTENCY_KEY_HEADER;

impl Dispatcher {
    /// Pins the row's request: its idempotency key and exact body, committed before the first
    /// attempt and reused unchanged on every later one. Returns the request to send and its
    /// key.
    pub(super) async fn pin_request(
        &self,
        work: &WorkItem,
    ) -> Result<Result<(ApiRequest, String), RowOutcome>, Stop> {
        let mut request = work.request.clone();
        let row = RowKey {
            row: work.row,
            content_hash: work.content_hash,
        };
        // A request that may have been sent is fixed; only a row never sent is checked.
        let scope = self.job_name.clone();
        let occurrence = work.occurrence;
        let content_hash = work.content_hash;
        let existing = self
            .store
            .call(move |connection| {
                let identity = PinIdentity {
                    scope: &scope,
                    occurrence,
                };
                pins::get(connection, identity, content_hash)
            })
            .await?;
        if existing.is_none_or(|pin| pin.attempts == 0) {
            if let Some(check) = self.kind.check_request(&request) {
                let answer = match self.look_up(&check).await? {
                    Ok(answer) => answer,
                    Err(outcome) => return Ok(Err(outcome)),
                };
                if let Some(outcome) = self.kind.apply_check(&mut request, &check, &answer) {
                    return Ok(Err(outcome));
                }
            }
        }

        self.kind.complete_request(&mut request);
        let body = request
            .body
            .as_ref()
            .map(|body| body.to_string())
            .unwrap_or_default();
        let candidate = uuid::Uuid::new_v4().hyphenated().to_string();
        let job_id = self.job_id.clone();
        let scope = self.job_name.clone();
        let pin = self
            .store
            .call(move |connection| {
                let identity = PinIdentity {
                    scope: &scope,
                    occurrence,
                };
                pins::pin(
                    connection,
                    &job_id,
                    row,
                    identity,
                    &candidate,
                    &body,
                    now_millis(),
                )
            })
            .await?;

        if pin.attempts > 0 {
            tracing::info!(row = work.row, idempotency_key = %pin.idempotency_key, attempts = pin.attempts, "sending a purchase again with its pinned idempotency key");
        }
        // The stored text is sent, not the freshly built body, so that every attempt carries
        // the same payload even if the manifest or the defaults changed meanwhile.
        // The text was written from a JSON value, so it parses. A body lost to a damaged state
        // file would be sent empty, which the API rejects as a row error without a charge.
        request.body = serde_json::from_str(&pin.body).ok();
        request
            .headers
            .push((IDEMPOTENCY_KEY_HEADER, pin.idempotency_key.clone()));
        Ok(Ok((request, pin.idempotency_key)))
    }

    /// Sends a lookup made by [`Kind::check_request`], or reads its response from the cache.
    /// A transient failure comes back as a retryable row outcome.
    pub(super) async fn look_up(
        &self,
        check: &ApiRequest,
    ) -> Result<Result<Answer, RowOutcome>, Stop> {
        let env = self.env.clone();
        let key = check.key();
        let lookup = self.cache;
        let cached = self
            .store
            .call(move |connection| cache::get(connection, &env, &key, lookup))
            .await?;
        if let Some(entry) = cached {
            Counters::add(&self.counters.cache_hits, 1);
            return Ok(Ok(Answer {
                status: entry.status,
                body: entry.body,
                content_type: None,
            }));
        }
        // No row keys: the lookup must not move the row's purchase checkpoint.
        match self.client.call(check, &[]).await? {
            CallResult::Answer(answer) => {
                self.client.note_usable_response();
                if answer.status < 500 {
                    let env = self.env.clone();
                    let entry = CacheEntry {
                        status: answer.status,
                        body: answer.body.clone(),
                        run_id: Some(self.run_id),
                    };
                    let run_id = self.run_id;
                    let api = check.api;
                    self.store
                        .call(move |connection| {
                            cache::put(connection, &env, &key, api, &entry, now_millis(), run_id)
                        })
                        .await?;
                }
                Ok(Ok(answer))
            }
            CallResult::Transient {
                message,
                status,
                body,
            } => Ok(Err(RowOutcome::transient(message, status, body))),
        }
    }

    /// Drops the pin of a purchase whose only attempt the API rejected, so that a later
    /// attempt (after the input or the account is fixed) is dated on its own day.
    pub(super) async fn forget_rejected(&self, work: &WorkItem) -> Result<(), Stop> {
        let scope = self.job_name.clone();
        let occurrence = work.occurrence;
        let content_hash = work.content_hash;
        let forgotten = self
            .store
            .call(move |connection| {
                let identity = PinIdentity {
                    scope: &scope,
                    occurrence,
                };
                pins::forget_rejected(connection, identity, content_hash)
            })
            .await?;
        if forgotten {
            tracing::debug!(
                row = work.row,
                "purchase rejected on its only attempt; its key is released"
            );
        }
        Ok(())
    }

    /// Commits the outcome of a row that ends before its request, and releases its key.
    pub(super) async fn release_with(
        &self,
        work: &WorkItem,
        in_flight: &InFlight,
        outcome: &RowOutcome,
    ) -> Result<(), Stop> {
        if let Ok(mut map) = in_flight.lock() {
            map.remove(&work.key);
        }
        let mut outcome = outcome.clone();
        outcome.notes = work.notes.clone();
        if let Some(error) = &outcome.error {
            tracing::info!(row = work.row, code = %error.code, status = outcome.status.as_str(), "{}", error.message);
        }
        let stored = stored_row(work.row, work.content_hash, &outcome);
        let job_id = self.job_id.clone();
        self.store
            .call(move |connection| rows::upsert_rows(connection, &job_id, &[stored], now_millis()))
            .await?;
        Counters::add(&self.counters.rows_finished, 1);
        Ok(())
    }

    /// Puts a row that a stop interrupted back to pending.
    pub(super) async fn release(&self, work: &WorkItem, in_flight: &InFlight) -> Result<(), Stop> {
        if let Ok(mut map) = in_flight.lock() {
            map.remove(&work.key);
        }
        let job_id = self.job_id.clone();
        let stored = StoredRow {
            row: work.row,
            content_hash: work.content_hash,
            state: RowState::Pending,
            retryable: true,
            result: None,
            updated_at: 0,
        };
        self.store
            .call(move |connection| rows::upsert_rows(connection, &job_id, &[stored], now_millis()))
            .await?;
        Ok(())
    }
}
