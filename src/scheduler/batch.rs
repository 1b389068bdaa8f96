//! Batch calls of the dispatcher: distinct requests that share one call, for kinds with
//! [`Batching`].
//!
//! Each row keeps its own request as its cache and deduplication key. The batch response is
//! split into one [`crate::client::Answer`] per row, which is cached, interpreted and
//! committed as if the row had been sent alone, so checkpoints, the cache and resuming work
//! as for single calls. The quota ledger records one slot for the batch call, with every
//! waiting row marked in flight.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::client::{ApiRequest, CallResult};
use crate::kinds::{BatchAnswer, Batching, RowOutcome};
use crate::scheduler::dispatch::{Dispatcher, InFlight, Settled};
use crate::scheduler::scan::WorkItem;
use crate::scheduler::Stop;

impl Dispatcher {
    /// Sends `works` in one batch call, or one by one where the batch endpoint is rejected,
    /// and commits every waiting row.
    pub(super) async fn process_batch(
        &self,
        works: Vec<WorkItem>,
        in_flight: &InFlight,
        batch_rejected: &AtomicBool,
    ) -> Result<(), Stop> {
        let batching = self
            .kind
            .batching()
            .expect("batch tasks are spawned for batching kinds only");

        // An identical request of another batch may have got its response since the scan looked.
        let mut unsent = Vec::with_capacity(works.len());
        for work in works {
            match self.cached_outcome(&work).await? {
                Some(settled) => self.commit(&work, settled, in_flight).await?,
                None => unsent.push(work),
            }
        }
        if unsent.is_empty() {
            return Ok(());
        }

        if !batch_rejected.load(Ordering::Relaxed)
            && self
                .send_batch(batching, &unsent, in_flight, batch_rejected)
                .await?
        {
            return Ok(());
        }

        // NOTE: the rows of a rejected batch go one after another under the batch's one
        // concurrency permit, so the fallback runs slower than single-row kinds would.
        for work in &unsent {
            let single = batching.single(&work.request);
            let settled = self.send_single(work, &single, in_flight).await?;
            self.commit(work, settled, in_flight).await?;
        }
        Ok(())
    }

    /// Sends `works` as one batch call and commits their rows. Returns false, with nothing
    /// committed, when the endpoint rejected the batch and the rows must go one by one.
    async fn send_batch(
        &self,
        batching: &dyn Batching,
        works: &[WorkItem],
        in_flight: &InFlight,
        batch_rejected: &AtomicBool,
    ) -> Result<bool, Stop> {
        let requests: Vec<&ApiRequest> = works.iter().map(|work| &work.request).collect();
        let combined = batching.combine(&requests);
        let work_refs: Vec<&WorkItem> = works.iter().collect();
        let rows = self.waiting_rows(&work_refs, in_flight);
        tracing::debug!(
            api = combined.api,
            items = works.len(),
            rows = rows.len(),
            "sending a batch"
        );

        let answer = match self.client.call_allowing_denial(&combined, &rows).await? {
            CallResult::Answer(answer) => answer,
            CallResult::Transient {
                message,
                status,
                body,
            } => {
                let outcome = RowOutcome::transient(message, status, body);
                for work in works {
                    self.commit(work, Settled::alone(outcome.clone()), in_flight)
                        .await?;
                }
                return Ok(true);
            }
        };

        match batching.split(&requests, &answer) {
            BatchAnswer::PerRow(answers) => {
                // The call counts once towards an outage, however many rows it carried: it
                // was usable when any row's part of it was.
                let mut any_usable = false;
                for (work, row_answer) in works.iter().zip(answers) {
                    let settled = match row_answer {
                        Some(row_answer) => {
                            let outcome = self.kind.interpret(&work.request, &row_answer);
                            let (settled, usable) =
                                self.keep(work, outcome, row_answer, true).await?;
                            any_usable |= usable;
                            settled
                        }
                        None => Settled::alone(missing_from_batch(answer.status)),
                    };
                    self.commit(work, settled, in_flight).await?;
                }
                if any_usable {
                    self.client.note_usable_response();
                } else {
                    self.client.note_unusable_response(&combined)?;
                }
                Ok(true)
            }
            BatchAnswer::Unusable(message) => {
                self.client.note_unusable_response(&combined)?;
                tracing::warn!(api = combined.api, rows = ?rows, error = %message, "unusable batch response; the rows are retried on a later run");
                let outcome = unusable_batch(answer.status, message, answer.body);
                for work in works {
                    self.commit(work, Settled::alone(outcome.clone()), in_flight)
                        .await?;
                }
                Ok(true)
            }
            BatchAnswer::Rejected { for_run } => {
                let error = crate::usps::error::parse_error(answer.status, &answer.body);
                if for_run && !batch_rejected.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        path = combined.path,
                        status = answer.status,
                        code = %error.code,
                        "{}; sending every further row to the single-row endpoint",
                        error.message
                    );
                } else if !for_run {
                    tracing::info!(
                        path = combined.path,
                        status = answer.status,
                        code = %error.code,
                        rows = ?rows,
                        "batch rejected as a whole ({}); sending its rows one by one",
                        error.message
                    );
                }
                Ok(false)
            }
        }
    }
}

/// Builds the outcome of a row that a batch response left out. A rerun sends it again.
fn missing_from_batch(status: u16) -> RowOutcome {
    RowOutcome::retry_later(
        "missing_from_response",
        "the batch response has no entry for this row; a rerun sends it again".into(),
        Some(status),
        None,
    )
}

/// Builds the outcome of the rows of a batch whose response does not match the spec.
fn unusable_batch(status: u16, message: String, body: String) -> RowOutcome {
    RowOutcome::retry_later(
        "invalid_response",
        format!("{message}; a rerun sends it again"),
        Some(status),
        Some(body),
    )
}
