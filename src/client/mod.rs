//! The USPS HTTP client: token handling, the limiter, retries and outage detection around
//! each request.
//!
//! No generic retry layer is used, because each status has its own rule. A 401 refreshes the
//! token once. A 429 waits for `Retry-After` and is never a row error. 5xx and transport
//! failures back off a few times. Every other response goes back to the job kind.

pub mod auth;
pub mod payments;
pub mod request;

pub use auth::{Bearer, TokenManager};
pub use payments::PaymentAuthorizer;
pub use request::{ApiRequest, Method};

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::HeaderMap;

use crate::job::Credentials;
use crate::scheduler::{Counters, Limiter, Stop};
use crate::state::RowKey;
use crate::usps::error::parse_error;
use crate::usps::labels::PAYMENT_TOKEN_HEADER;
use crate::usps::payments::Role;

/// API name of Domestic Labels, whose calls carry the payment authorization token.
pub const LABELS_API: &str = "labels";

/// Time allowed to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a whole request, response included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts of one request after a 5xx or transport failure, the first included.
pub const MAX_ATTEMPTS: usize = 4;
/// Transient failures in a row, across all requests, after which the API counts as down and
/// the run stops instead of spending the quota on retries.
pub const OUTAGE_THRESHOLD: u32 = 8;

/// A final response from the API, for the job kind to interpret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// The response's `Content-Type`, or `None` for a response read from the cache.
    pub content_type: Option<String>,
}

/// The outcome of one request after its retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallResult {
    Answer(Answer),
    /// 5xx responses or transport failures until the attempts ran out. A rerun may succeed.
    Transient {
        message: String,
        status: Option<u16>,
        body: String,
    },
}

/// The client of one run.
pub struct UspsClient {
    http: reqwest::Client,
    base_url: String,
    limiter: Arc<Limiter>,
    tokens: TokenManager,
    /// Payment authorization, for jobs that buy labels.
    payments: Option<PaymentAuthorizer>,
    counters: Arc<Counters>,
    failures_in_row: AtomicU32,
    /// Whether a 401 gets a new token and one repeat of the request.
    refresh_on_401: bool,
    /// The label preflight that runs before the client's first call, when enabled.
    label_preflight: Option<tokio::sync::Mutex<Preflight>>,
}

/// Progress of the label preflight of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Preflight {
    NotRun,
    Passed,
    Failed,
}

/// Builds the HTTP client with the timeouts that reqwest leaves unset by default.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("usps-batch/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client settings are static and valid")
}

impl UspsClient {
    /// Builds the client of `base_url`, which requests its tokens from `token_url` (the same
    /// server unless the job sets `token_url`).
    pub fn new(
        base_url: String,
        token_url: String,
        credentials: Credentials,
        limiter: Arc<Limiter>,
        counters: Arc<Counters>,
    ) -> UspsClient {
        let http = http_client();
        let tokens = TokenManager::new(
            http.clone(),
            token_url,
            credentials,
            limiter.clone(),
            counters.clone(),
        );
        UspsClient {
            http,
            base_url,
            limiter,
            tokens,
            payments: None,
            counters,
            failures_in_row: AtomicU32::new(0),
            refresh_on_401: true,
            label_preflight: None,
        }
    }

    /// Makes a 401 final instead of fetching a new token and repeating the request. A caller
    /// that has just obtained its token knows that a 401 cannot mean an expired one, and
    /// saves the two calls of the repeat.
    pub fn without_token_refresh(mut self) -> UspsClient {
        self.refresh_on_401 = false;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Adds payment authorization with `roles`, for jobs that call the Labels API.
    pub fn with_payments(mut self, roles: Vec<Role>) -> UspsClient {
        self.payments = Some(PaymentAuthorizer::new(
            self.http.clone(),
            self.base_url.clone(),
            roles,
            self.limiter.clone(),
            self.counters.clone(),
        ));
        self
    }

    /// Runs [`UspsClient::preflight_payments`] once, before the client's first call of any
    /// API. After a failed preflight every call fails. A run whose rows are all finished makes no
    /// call, so it spends neither a token request nor a payment authorization.
    pub fn with_label_preflight(mut self) -> UspsClient {
        self.label_preflight = Some(tokio::sync::Mutex::new(Preflight::NotRun));
        self
    }

    /// Runs the label preflight if it is enabled and has not run yet. Concurrent callers wait
    /// for the first one's preflight, and after a failure they get [`Stop::Halted`], because
    /// the first caller returns the failure itself.
    async fn run_label_preflight(&self) -> Result<(), Stop> {
        let Some(preflight) = &self.label_preflight else {
            return Ok(());
        };
        let mut preflight = preflight.lock().await;
        match *preflight {
            Preflight::Passed => Ok(()),
            Preflight::Failed => Err(Stop::Halted),
            Preflight::NotRun => match self.preflight_payments().await {
                Ok(()) => {
                    *preflight = Preflight::Passed;
                    Ok(())
                }
                Err(stop) => {
                    tracing::error!(error = %stop, "label preflight failed; no row was sent");
                    *preflight = Preflight::Failed;
                    Err(stop)
                }
            },
        }
    }

    /// Checks, before any label row, that the access token's scope names the Labels and
    /// Payments APIs and that the payment authorization succeeds.
    pub async fn preflight_payments(&self) -> Result<(), Stop> {
        let bearer = self.tokens.token().await?;
        let scope = bearer.scope.clone().unwrap_or_default();
        let missing = missing_label_scopes(&scope);
        if scope.trim().is_empty() {
            // A token without a scope proves nothing either way, so only the payment
            // authorization below decides.
            tracing::warn!("the access token has no scope; cannot check Labels and Payments access before the first row");
        } else if !missing.is_empty() {
            return Err(Stop::Auth {
                status: None,
                message: format!(
                    "the access token's scope ({scope:?}) lacks {}; request Domestic Labels and Payments access for the app from USPS, then refresh its claims in the customer onboarding portal",
                    missing.join(" and ")
                ),
            });
        }
        let Some(payments) = &self.payments else {
            return Err(Stop::Auth {
                status: None,
                message: "no payment account is configured for this label job".into(),
            });
        };
        payments.token(&bearer.value).await.map(|_| ())
    }

    /// Obtains the run's first token, so that wrong credentials or a wrong host stop the run
    /// before any row is sent.
    pub async fn preflight(&self) -> Result<Bearer, Stop> {
        self.tokens.token().await
    }

    /// Sends `request` for `rows` (marked in flight when the slot is reserved) and returns
    /// the final response, or the last transient failure once the attempts ran out.
    pub async fn call(&self, request: &ApiRequest, rows: &[RowKey]) -> Result<CallResult, Stop> {
        self.send(request, rows, false).await
    }

    /// Sends `request` as [`UspsClient::call`] does, but returns a 401 that persists after a
    /// new token, and a 403, as an [`Answer`] instead of stopping the run. The caller has another
    /// endpoint to fall back on.
    pub async fn call_allowing_denial(
        &self,
        request: &ApiRequest,
        rows: &[RowKey],
    ) -> Result<CallResult, Stop> {
        self.send(request, rows, true).await
    }

    async fn send(
        &self,
        request: &ApiRequest,
        rows: &[RowKey],
        denial_is_answer: bool,
    ) -> Result<CallResult, Stop> {
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(8))
            .with_max_times(MAX_ATTEMPTS - 1)
            .with_jitter()
            .build();
        self.run_label_preflight().await?;
        let mut refreshed_token = false;
        loop {
            let bearer = self.tokens.token().await?;
            let payment_token = match &self.payments {
                Some(payments) if request.api == LABELS_API => {
                    Some(payments.token(&bearer.value).await?)
                }
                _ => None,
            };
            let slot = self
                .limiter
                .acquire(request.api, request.path, false, rows)
                .await?;
            Counters::add(&self.counters.api_calls, 1);

            let mut builder = request
                .build(&self.http, &self.base_url)
                .bearer_auth(&*bearer.value);
            if let Some(token) = &payment_token {
                builder = builder.header(PAYMENT_TOKEN_HEADER, &**token);
            }
            let sent = builder.send().await;

            let received = match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = retry_after(response.headers());
                    let content_type = response
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_string);
                    match response.text().await {
                        Ok(body) => Ok((status, retry_after, body, content_type)),
                        // The status came but the body broke off: a transport failure.
                        Err(error) => Err(Failure {
                            message: describe_transport_error(&error),
                            status: Some(status),
                            body: String::new(),
                        }),
                    }
                }
                Err(error) => Err(Failure {
                    message: describe_transport_error(&error),
                    status: None,
                    body: String::new(),
                }),
            };
            let status = match &received {
                Ok((status, _, _, _)) => Some(*status),
                Err(failure) => failure.status,
            };
            self.limiter.record_status(slot, status).await?;

            let failure = match received {
                Err(failure) => failure,
                Ok((status, retry_after, body, content_type)) => match status {
                    401 if self.refresh_on_401 && !refreshed_token => {
                        // USPS tokens can die before `expires_in`: get a new one and repeat
                        // the request once. A label call may have been rejected for its payment
                        // token instead, so that one is renewed too.
                        let error = parse_error(status, &body);
                        tracing::warn!(api = request.api, rows = ?rows, code = %error.code, "401 from the API; requesting a new token and repeating the request once");
                        self.tokens.invalidate(&bearer).await;
                        if let (Some(payments), Some(token)) = (&self.payments, &payment_token) {
                            payments.invalidate(token).await;
                        }
                        refreshed_token = true;
                        Counters::add(&self.counters.retries, 1);
                        continue;
                    }
                    401 | 403 if !denial_is_answer => {
                        return Err(self.access_denied(request, status, &body))
                    }
                    429 => {
                        Counters::add(&self.counters.rate_limited, 1);
                        Counters::add(&self.counters.retries, 1);
                        let wait = retry_after.unwrap_or_else(|| self.limiter.window());
                        tracing::warn!(
                            api = request.api,
                            path = request.path,
                            rows = ?rows,
                            wait_seconds = wait.as_secs_f64(),
                            "429 from the API: the server's quota is spent; the rows stay pending"
                        );
                        self.limiter.block(request.api, Instant::now() + wait);
                        continue;
                    }
                    500..=599 => Failure {
                        message: format!(
                            "HTTP {status} from {}: {}",
                            request.path,
                            parse_error(status, &body).message
                        ),
                        status: Some(status),
                        body,
                    },
                    400..=499 if serde_json::from_str::<serde_json::Value>(&body).is_err() => {
                        // USPS sends every 4xx with a JSON error body, so this one came from
                        // something else on the way (a proxy, or a wrong base URL) and reveals
                        // nothing about the row. The row stays retryable, the response is not
                        // cached, and a run of them stops the run as an outage. Repeating the
                        // request at once would only spend more quota.
                        let message = format!(
                            "HTTP {status} from {} with a body that is not a USPS error (not JSON); check base_url, or a proxy between usps-batch and USPS",
                            request.path
                        );
                        tracing::warn!(api = request.api, rows = ?rows, status, "{message}");
                        self.transient(request, rows, &message)?;
                        return Ok(CallResult::Transient {
                            message,
                            status: Some(status),
                            body,
                        });
                    }
                    // The caller reports whether the body was usable, which ends or extends a
                    // run of failures.
                    _ => {
                        return Ok(CallResult::Answer(Answer {
                            status,
                            body,
                            content_type,
                        }))
                    }
                },
            };

            self.transient(request, rows, &failure.message)?;
            match backoff.next() {
                Some(delay) => {
                    Counters::add(&self.counters.retries, 1);
                    tracing::warn!(
                        api = request.api,
                        rows = ?rows,
                        error = %failure.message,
                        delay_ms = delay.as_millis() as u64,
                        "request failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
                None => {
                    tracing::warn!(api = request.api, rows = ?rows, error = %failure.message, "request failed after {MAX_ATTEMPTS} attempts; a rerun will try again");
                    return Ok(CallResult::Transient {
                        message: failure.message,
                        status: failure.status,
                        body: failure.body,
                    });
                }
            }
        }
    }

    /// Ends a run of transient failures after a usable response from the API.
    pub fn note_usable_response(&self) {
        self.failures_in_row.store(0, Ordering::Relaxed);
    }

    /// Counts a response that the job kind could not use as a transient failure.
    pub fn note_unusable_response(&self, request: &ApiRequest) -> Result<(), Stop> {
        self.transient(request, &[], "the response does not match the USPS spec")
    }

    /// Counts a transient failure and stops the run once they come in a long row.
    fn transient(&self, request: &ApiRequest, rows: &[RowKey], message: &str) -> Result<(), Stop> {
        let in_row = self.failures_in_row.fetch_add(1, Ordering::Relaxed) + 1;
        if in_row >= OUTAGE_THRESHOLD {
            // Workers still in flight reach here too; the outage is logged once.
            if in_row == OUTAGE_THRESHOLD {
                tracing::error!(api = request.api, rows = ?rows, failures = in_row, error = %message, "API outage: stopping the run");
            }
            return Err(Stop::Outage {
                message: format!(
                    "{in_row} failures in a row from {}{}; last: {message}",
                    self.base_url, request.path
                ),
            });
        }
        Ok(())
    }

    fn access_denied(&self, request: &ApiRequest, status: u16, body: &str) -> Stop {
        let error = parse_error(status, body);
        let hint = if status == 401 && error.message.contains("empty") {
            "an empty 401 usually means the token came from another host: check --base-url and the credentials"
        } else if status == 401 && self.refresh_on_401 {
            "the app's credentials or access were rejected even with a new token: check the credentials and the app's API products in the USPS developer portal"
        } else if status == 401 {
            "the app's access to this API or its token was rejected: check the app's API products in the USPS developer portal"
        } else {
            "the app has no access to this API: request it from USPS, and refresh the app's claims in the customer onboarding portal"
        };
        Stop::Auth {
            message: format!(
                "HTTP {status} from {}{} ({}: {}); {hint}",
                self.base_url, request.path, error.code, error.message
            ),
            status: Some(status),
        }
    }
}

/// Returns the scopes that label jobs need and `scope` (space-separated, as in a token
/// response) lacks.
pub fn missing_label_scopes(scope: &str) -> Vec<&'static str> {
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    ["labels", "payments"]
        .into_iter()
        .filter(|name| !scopes.contains(name))
        .collect()
}

struct Failure {
    message: String,
    status: Option<u16>,
    body: String,
}

/// Reads `Retry-After` as seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let date = httpdate::parse_http_date(value).ok()?;
            date.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        }
    };
    // USPS windows are an hour or a day, so a longer wait is a broken header. It would also
    // put the free time past what the summary can print.
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Longest `Retry-After` taken as given.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// Describes a reqwest error without its URL's query, which may hold address data.
pub fn describe_transport_error(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderValue, RETRY_AFTER};

    #[test]
    fn label_scopes_are_checked_by_word() {
        assert!(missing_label_scopes("addresses labels payments").is_empty());
        assert_eq!(missing_label_scopes("addresses labels"), ["payments"]);
        assert_eq!(
            missing_label_scopes("international-labels payments-x"),
            ["labels", "payments"]
        );
    }

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("30"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(30)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("999999999999"));
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("30"));
        let later = SystemTime::now() + Duration::from_secs(120);
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap(),
        );
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(100), "{wait:?}");
        assert!(wait <= Duration::from_secs(120), "{wait:?}");
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
