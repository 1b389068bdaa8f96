//! The limiter: every request, token requests included, passes here before it is sent.
//!
//! Two layers apply. A `governor` GCRA limiter paces calls inside this process at the
//! quota's rate with a configurable burst. The quota ledger in the state file is the
//! authority: it counts every call of the credential in a sliding window, across processes
//! and restarts, and a slot is reserved there in a transaction before the request goes out.
//! `governor` alone would not do: `Quota::per_hour(60)` lets a burst of 60 through on top of
//! the steady rate, so close to 120 calls could pass in the first hour, and a restarted
//! process would start with a full bucket.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, RateLimiter};
use tokio::sync::Notify;

use crate::job::QuotaPool;
use crate::output::time::describe_millis;
use crate::quota::Quota;
use crate::scheduler::{Counters, Stop};
use crate::state::{ledger, now_millis, LedgerUse, Reservation, RowKey, Store};

/// Name of the pool that covers every API of a credential.
pub const SHARED_POOL: &str = "all";

/// API name under which token requests are recorded.
pub const OAUTH_API: &str = "oauth";

/// Settings of a [`Limiter`].
#[derive(Debug, Clone)]
pub struct LimiterConfig {
    pub credential: String,
    pub quota: Quota,
    pub pool: QuotaPool,
    pub burst: Option<u32>,
    pub max_wait: Duration,
    pub job_id: String,
}

pub struct Limiter {
    store: Store,
    config: LimiterConfig,
    /// One pacing limiter per pool, created and seeded on the pool's first call.
    governors: tokio::sync::Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>,
    /// Pools that got a 429, with the time before which no call may go to them.
    blocked: Mutex<HashMap<String, Instant>>,
    counters: Arc<Counters>,
    /// Set once the run stops; every later or waiting acquire returns [`Stop::Halted`].
    halted: AtomicBool,
    halt_notify: Notify,
}

impl Limiter {
    pub fn new(store: Store, config: LimiterConfig, counters: Arc<Counters>) -> Limiter {
        Limiter {
            store,
            config,
            governors: tokio::sync::Mutex::new(HashMap::new()),
            blocked: Mutex::new(HashMap::new()),
            counters,
            halted: AtomicBool::new(false),
            halt_notify: Notify::new(),
        }
    }

    /// Returns the pacing limiter of `pool`, creating it on first use. A new one is seeded
    /// from the calls the ledger already contains for the current window, so that a run started
    /// right after another does not burst again.
    async fn governor_for(
        &self,
        pool: &str,
    ) -> Result<Option<Arc<DefaultDirectRateLimiter>>, Stop> {
        let Some(limit) = self.config.quota.limit else {
            return Ok(None);
        };
        let mut governors = self.governors.lock().await;
        if let Some(governor) = governors.get(pool) {
            return Ok(Some(governor.clone()));
        }

        let calls = NonZeroU32::new(limit.calls).unwrap_or(NonZeroU32::MIN);
        let burst = self
            .config
            .burst
            .and_then(NonZeroU32::new)
            .unwrap_or(calls)
            .min(calls);
        let interval = (limit.period / limit.calls.max(1)).max(Duration::from_nanos(1));
        let Some(quota) = governor::Quota::with_period(interval) else {
            return Ok(None);
        };
        let governor = Arc::new(RateLimiter::direct(quota.allow_burst(burst)));

        let credential = self.config.credential.clone();
        let pool_name = pool.to_string();
        let window = limit.period.as_millis() as i64;
        let spent = self
            .store
            .call(move |connection| {
                ledger::window_use(connection, &credential, &pool_name, window, now_millis())
            })
            .await?;
        if spent.calls > 0 {
            tracing::info!(
                calls = spent.calls,
                pool,
                quota = %self.config.quota,
                "quota already used in the current window by earlier runs"
            );
            let cells = (spent.calls.min(u32::MAX as u64) as u32).min(burst.get());
            if let Some(cells) = NonZeroU32::new(cells) {
                // The ledger still blocks what the seeded bucket lets through.
                let _ = governor.check_n(cells);
            }
        }
        governors.insert(pool.to_string(), governor.clone());
        Ok(Some(governor))
    }

    pub fn quota(&self) -> Quota {
        self.config.quota
    }

    fn pool_for(&self, api: &str) -> String {
        match self.config.pool {
            QuotaPool::Shared => SHARED_POOL.to_string(),
            QuotaPool::PerApi => api.to_string(),
        }
    }

    /// Waits for a free slot for one request to `path` of `api` and records it in the
    /// ledger, marking `rows` in flight in the same transaction. Returns the ledger id, or
    /// [`Stop::QuotaExhausted`] when the slot is further away than `--max-wait`.
    pub async fn acquire(
        &self,
        api: &str,
        path: &str,
        is_token: bool,
        rows: &[RowKey],
    ) -> Result<i64, Stop> {
        let pool = self.pool_for(api);
        let usage = LedgerUse {
            credential: self.config.credential.clone(),
            pool: pool.clone(),
            api: api.to_string(),
            path: path.to_string(),
            is_token,
            limit: self.config.quota.limit,
            margin_ms: self.margin_ms(),
        };
        loop {
            if self.halted.load(Ordering::SeqCst) {
                return Err(Stop::Halted);
            }
            if let Some(until) = self.blocked_until(&pool) {
                let wait = until.saturating_duration_since(Instant::now());
                self.wait(wait, "a 429 answer's retry time").await?;
                continue;
            }

            if let Some(governor) = self.governor_for(&pool).await? {
                if let Err(not_until) = governor.check() {
                    let wait = not_until.wait_time_from(DefaultClock::default().now());
                    if wait > self.config.max_wait {
                        // The pace alone may free a cell sooner than the ledger's window
                        // frees a slot; the stop must name the later of the two.
                        let paced = now_millis() + wait.as_millis() as i64;
                        let free = self.ledger_free_at(&usage).await?.unwrap_or(paced);
                        return Err(Stop::QuotaExhausted {
                            next_free_at: free.max(paced),
                        });
                    }
                    self.wait(wait, "the quota's pace").await?;
                    continue;
                }
            }

            let usage = usage.clone();
            let job_id = self.config.job_id.clone();
            let rows = rows.to_vec();
            let reservation = self
                .store
                .call(move |connection| {
                    ledger::reserve(connection, &usage, now_millis(), &job_id, &rows)
                })
                .await?;
            match reservation {
                Reservation::Granted { id } => {
                    self.counters.set_waiting(None);
                    return Ok(id);
                }
                Reservation::Full { next_free_at } => {
                    let wait = Duration::from_millis((next_free_at - now_millis()).max(0) as u64);
                    self.wait(wait, "a free slot in the quota window").await?;
                }
            }
        }
    }

    /// Returns when the ledger's window has a free slot for `usage`, or `None` when it has
    /// one now.
    async fn ledger_free_at(&self, usage: &LedgerUse) -> Result<Option<i64>, Stop> {
        let Some(limit) = usage.limit else {
            return Ok(None);
        };
        let usage = usage.clone();
        let free = self
            .store
            .call(move |connection| ledger::next_free_at(connection, &usage, limit, now_millis()))
            .await?;
        Ok(free)
    }

    /// Stops the run when `wait` exceeds `--max-wait`; otherwise sleeps it, telling the
    /// progress display what the run waits for and until when.
    async fn wait(&self, wait: Duration, reason: &str) -> Result<(), Stop> {
        let until = now_millis() + wait.as_millis() as i64;
        if wait > self.config.max_wait {
            return Err(Stop::QuotaExhausted {
                next_free_at: until,
            });
        }
        if wait >= Duration::from_secs(1) {
            let message = format!("waiting for {reason} until {}", describe_millis(until));
            tracing::info!("{message}");
            self.counters.set_waiting(Some(message));
        }
        let halted = self.halt_notify.notified();
        if self.halted.load(Ordering::SeqCst) {
            return Err(Stop::Halted);
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => Ok(()),
            _ = halted => Err(Stop::Halted),
        }
    }

    /// Stops every waiting and later [`Limiter::acquire`], so a stopping run sends nothing
    /// more.
    pub fn halt(&self) {
        self.halted.store(true, Ordering::SeqCst);
        self.halt_notify.notify_waiters();
    }

    /// Blocks the pool of `api` until `until`, after a 429.
    pub fn block(&self, api: &str, until: Instant) {
        let pool = self.pool_for(api);
        if let Ok(mut blocked) = self.blocked.lock() {
            let entry = blocked.entry(pool).or_insert(until);
            if *entry < until {
                *entry = until;
            }
        }
    }

    fn blocked_until(&self, pool: &str) -> Option<Instant> {
        let mut blocked = self.blocked.lock().ok()?;
        match blocked.get(pool) {
            Some(until) if *until > Instant::now() => Some(*until),
            Some(_) => {
                blocked.remove(pool);
                None
            }
            None => None,
        }
    }

    /// Extra time added to the window. USPS counts a call when it arrives, a moment after
    /// the slot was reserved here, so the ledger's window is kept slightly longer.
    fn margin_ms(&self) -> i64 {
        match self.config.quota.limit {
            Some(limit) => (limit.period.as_millis() as i64 / 50).clamp(50, 2000),
            None => 0,
        }
    }

    /// Records the HTTP status of a ledger entry (none for a transport failure).
    pub async fn record_status(&self, id: i64, status: Option<u16>) -> Result<(), Stop> {
        self.store
            .call(move |connection| ledger::record_status(connection, id, status))
            .await?;
        Ok(())
    }

    /// Returns the quota's window, for 429s that come without `Retry-After`.
    pub fn window(&self) -> Duration {
        self.config
            .quota
            .limit
            .map(|limit| limit.period)
            .unwrap_or(Duration::from_secs(60))
    }
}
