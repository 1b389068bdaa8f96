//! A local server that behaves like the USPS v3 APIs that usps-batch calls, under the same
//! paths, bodies, status codes and headers as USPS:
//!
//! - OAuth client credentials at `/oauth2/v3/token`;
//! - Addresses 3.0 at `/addresses/v3/...`;
//! - the base-rates and total-rates searches of Domestic Prices 3.0 at `/prices/v3/...` and of
//!   International Prices 3.0 at `/international-prices/v3/...`;
//! - domestic Shipping Options 3.0 at `/shipments/v3/options/search`;
//! - Service Standards 3.0 estimates at `/service-standards/v3/estimates`;
//! - payment authorization of Payments 3.0 at `/payments/v3/payment-authorization`;
//! - label purchase and cancel of Domestic Labels 3.0 at `/labels/v3/label`;
//! - Locations 3.0 at `/locations/v3/...`;
//! - Package Tracking 3.0 at `/tracking/v3r2/tracking` (batch) and
//!   `/tracking/v3/tracking/{trackingNumber}`.
//!
//! Access to each API can be switched off, as for an application without that product.
//!
//! It is not a mock. Addresses are standardized per Publication 28 and checked against the
//! real US ZIP Code directory. Tokens expire, and the quota is enforced with `Retry-After`.
//! Faults (server errors, dropped connections, slow responses) can be injected from a seed. The
//! rules that decide whether an address "exists" are in `src/sandbox/addresses.rs` and in
//! `docs/sandbox.md`.
//!
//! Two extra endpoints serve tests: `GET /__sandbox/stats` returns a [`StatsSnapshot`] and
//! `POST /__sandbox/expire-tokens` expires every issued token at once. Neither counts in the
//! stats or the quota.

pub mod access;
mod addresses;
mod box_lines;
mod directory;
pub mod faults;
mod gateway;
mod international;
mod label_pdf;
mod labels;
mod locations;
mod oauth;
mod options;
mod params;
mod payments;
mod places;
mod pub28;
mod quota;
mod rate_table;
mod rates;
mod rejection;
mod standardize;
mod standards;
mod stats;
mod tracking;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use axum::routing::{delete, get, post};
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::quota::Quota;
use crate::usps::paths;

pub use faults::Faults;
pub use labels::LabelAccountStats;
pub use stats::StatsSnapshot;

/// Client id that the sandbox accepts unless configured otherwise.
pub const DEFAULT_CLIENT_ID: &str = "sandbox-client";
/// Client secret that the sandbox accepts unless configured otherwise.
pub const DEFAULT_CLIENT_SECRET: &str = "sandbox-secret";
/// Token lifetime of USPS: 8 hours less one second.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(28_799);
/// Path of the endpoint that expires every issued token at once.
pub const EXPIRE_TOKENS_PATH: &str = "/__sandbox/expire-tokens";

/// How long [`Sandbox::shutdown`] waits for open requests before it aborts them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Settings of a sandbox.
#[derive(Clone)]
pub struct SandboxConfig {
    /// The one client id that gets tokens. Default: [`DEFAULT_CLIENT_ID`].
    pub client_id: String,
    /// The secret of `client_id`. Default: [`DEFAULT_CLIENT_SECRET`].
    pub client_secret: String,
    /// Calls allowed per client, token requests included. Default: 60 per hour.
    pub quota: Quota,
    /// Lifetime of issued tokens. Default: [`DEFAULT_TOKEN_TTL`].
    pub token_ttl: Duration,
    /// Delay added to every token and API response.
    pub latency: Duration,
    /// Seed of the fault draws and of the derived ZIP+4 and carrier route number.
    pub seed: u64,
    /// Injected faults. Default: none.
    pub faults: Faults,
    /// APIs of [`access::APIS`] that the client application has no access to: their calls
    /// get a 401 and the token's scope leaves them out. Default: none.
    pub disabled_apis: BTreeSet<String>,
    /// Starting balance of every payer account, in dollars. Default: unlimited.
    pub balance: Option<rust_decimal::Decimal>,
    /// `scope` of issued tokens, in place of the one `disabled_apis` gives. Default: every API
    /// of [`access::APIS`] that is not disabled. A test sets a narrower one to play an app
    /// whose token lacks label access.
    pub token_scope: Option<String>,
    /// Whether the stats count repeated requests, which keeps the identity of every distinct
    /// request that got a final response, 16 bytes each for the sandbox's lifetime. Default:
    /// true. The runner's in-process sandbox turns it off, because nothing reads its stats and
    /// the record would grow with the manifest.
    pub record_repeats: bool,
    /// Whether [`Sandbox::start`] builds the ZIP Code index (about 50 MB) before it listens.
    /// Default: true, so that no request waits for it. Off, the first request that needs the
    /// index builds it, and a run whose rows all come from the cache never does.
    pub build_index_at_start: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            quota: Quota::USPS_DEFAULT,
            token_ttl: DEFAULT_TOKEN_TTL,
            latency: Duration::ZERO,
            seed: 0,
            faults: Faults::default(),
            disabled_apis: BTreeSet::new(),
            balance: None,
            token_scope: None,
            record_repeats: true,
            build_index_at_start: true,
        }
    }
}

impl std::fmt::Debug for SandboxConfig {
    // The secret must never reach a log line, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("quota", &self.quota)
            .field("token_ttl", &self.token_ttl)
            .field("latency", &self.latency)
            .field("seed", &self.seed)
            .field("faults", &self.faults)
            .field("disabled_apis", &self.disabled_apis)
            .field("balance", &self.balance)
            .field("token_scope", &self.token_scope)
            .field("record_repeats", &self.record_repeats)
            .field("build_index_at_start", &self.build_index_at_start)
            .finish()
    }
}

impl SandboxConfig {
    /// Checks the settings that a caller can get wrong.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            !self.client_id.is_empty(),
            "invalid sandbox configuration: the client id is empty"
        );
        ensure!(
            !self.client_secret.is_empty(),
            "invalid sandbox configuration: the client secret is empty"
        );
        self.faults.validate()?;
        access::validate(&self.disabled_apis)
    }
}

/// The state of a sandbox, shared by its request handlers. Build one with
/// [`SandboxState::new`] and pass it to [`router`] to serve the sandbox yourself.
#[derive(Clone)]
pub struct SandboxState {
    shared: Arc<Shared>,
}

struct Shared {
    config: SandboxConfig,
    /// `scope` of issued tokens: the APIs the client has access to.
    token_scope: String,
    tokens: oauth::TokenStore,
    quotas: quota::QuotaBook,
    faults: faults::FaultInjector,
    stats: stats::StatsRecorder,
    labels: labels::LabelDesk,
}

impl SandboxState {
    /// Builds the state after checking `config`.
    pub fn new(config: SandboxConfig) -> Result<SandboxState> {
        config.validate()?;
        let shared = Shared {
            tokens: oauth::TokenStore::default(),
            quotas: quota::QuotaBook::new(config.quota),
            faults: faults::FaultInjector::new(config.faults.clone(), config.seed),
            stats: stats::StatsRecorder::new(config.record_repeats),
            labels: labels::LabelDesk::new(config.balance, &config.faults, config.seed),
            token_scope: config
                .token_scope
                .clone()
                .unwrap_or_else(|| access::token_scope(&config.disabled_apis)),
            config,
        };
        Ok(SandboxState {
            shared: Arc::new(shared),
        })
    }

    /// Returns the counters, as `GET /__sandbox/stats` does.
    pub fn stats(&self) -> StatsSnapshot {
        let mut snapshot = self.shared.stats.snapshot();
        snapshot.labels = self.shared.labels.snapshot();
        snapshot
    }

    /// Expires every issued access token and payment authorization token at once, and
    /// returns how many access tokens were still valid.
    pub fn expire_tokens(&self) -> usize {
        let now = tokio::time::Instant::now();
        let expired = self.shared.tokens.expire_all(now);
        let payment_tokens = self.shared.labels.expire_grants(now);
        tracing::info!(
            expired,
            payment_tokens,
            "expired every issued access and payment token"
        );
        expired
    }
}

/// Builds the sandbox's routes on `state`.
pub fn router(state: SandboxState) -> Router {
    Router::new()
        .route(paths::TOKEN, post(gateway::token))
        .route(paths::ADDRESS, get(gateway::address))
        .route(paths::CITY_STATE, get(gateway::city_state))
        .route(paths::ZIPCODE, get(gateway::zipcode))
        .route(paths::BASE_RATES, post(gateway::base_rates))
        .route(paths::TOTAL_RATES, post(gateway::total_rates))
        .route(paths::SHIPPING_OPTIONS, post(gateway::shipping_options))
        .route(
            paths::PAYMENT_AUTHORIZATION,
            post(gateway::payment_authorization),
        )
        .route(paths::LABEL, post(gateway::label))
        .route(paths::LABEL_BY_TRACKING, delete(gateway::cancel_label))
        .route(
            paths::INTERNATIONAL_BASE_RATES,
            post(gateway::international_base_rates),
        )
        .route(
            paths::INTERNATIONAL_TOTAL_RATES,
            post(gateway::international_total_rates),
        )
        .route(paths::SERVICE_STANDARDS, get(gateway::service_standards))
        .route(
            paths::POST_OFFICE_LOCATIONS,
            get(gateway::post_office_locations),
        )
        .route(paths::DROPOFF_LOCATIONS, get(gateway::dropoff_locations))
        .route(
            paths::PARCEL_LOCKER_LOCATIONS,
            get(gateway::parcel_locker_locations),
        )
        .route(paths::TRACKING_BATCH, post(gateway::tracking_batch))
        .route(paths::TRACKING_SINGLE, get(gateway::tracking_single))
        .route(paths::SANDBOX_STATS, get(gateway::stats))
        .route(EXPIRE_TOKENS_PATH, post(gateway::expire_tokens))
        .with_state(state)
}

/// A running sandbox. Dropping it stops accepting connections at once, while
/// [`Sandbox::shutdown`] also lets open requests finish first.
pub struct Sandbox {
    local_addr: SocketAddr,
    state: SandboxState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds `listen` and serves the sandbox on a spawned task. Port 0 picks a free port, which
    /// [`Sandbox::local_addr`] returns.
    pub async fn start(config: SandboxConfig, listen: SocketAddr) -> Result<Sandbox> {
        let build_index = config.build_index_at_start;
        let state = SandboxState::new(config)?;
        if build_index {
            // Build the ZIP Code index now, off the async threads, so that the first request
            // is not the one that waits for it (most of a second in a debug build).
            tokio::task::spawn_blocking(directory::directory)
                .await
                .context("failed to build the sandbox's ZIP Code index")?;
        }
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("failed to bind the sandbox to {listen}"))?;
        let local_addr = listener
            .local_addr()
            .context("failed to read the sandbox's bound address")?;

        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    // A dropped sender also stops the server.
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "the sandbox server failed");
            }
        });
        tracing::info!(%local_addr, "sandbox listening");
        Ok(Sandbox {
            local_addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Returns the URL to send requests to, such as `http://127.0.0.1:8080`. A sandbox bound
    /// to all interfaces is reached through loopback.
    pub fn base_url(&self) -> String {
        let ip = match self.local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.local_addr.port()))
    }

    /// Returns the counters, as `GET /__sandbox/stats` does.
    pub fn stats(&self) -> StatsSnapshot {
        self.state.stats()
    }

    /// Expires every issued token at once, as `POST /__sandbox/expire-tokens` does.
    pub fn expire_tokens(&self) -> usize {
        self.state.expire_tokens()
    }

    /// Stops accepting connections, lets open requests finish for up to 5 seconds, then
    /// aborts the rest.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                tracing::info!("sandbox requests still open after the grace period; aborting them");
                task.abort();
            }
        }
        tracing::info!(local_addr = %self.local_addr, "sandbox stopped");
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
