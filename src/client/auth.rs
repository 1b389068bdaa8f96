//! OAuth client credentials: one token per run, shared by every worker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::job::Credentials;
use crate::scheduler::limiter::OAUTH_API;
use crate::scheduler::{Counters, Limiter, Stop};
use crate::usps::error::parse_error;
use crate::usps::oauth::{TokenRequest, TokenResponse};
use crate::usps::paths;

/// A bearer token in use. The value is secret: it is never logged or written.
#[derive(Clone)]
pub struct Bearer {
    pub value: Arc<str>,
    pub scope: Option<String>,
    /// `expires_in` of the token response, in seconds.
    pub expires_in: u64,
    /// `api_products` of the token response, such as `[Public Access I]`.
    pub api_products: Option<String>,
}

struct Current {
    bearer: Bearer,
    refresh_at: Instant,
}

/// Owns the run's token. Workers that meet a 401 call [`TokenManager::invalidate`] with the
/// token they used; the token is replaced only if no other worker replaced it already, so a
/// burst of 401s costs one token request, not one per worker.
pub struct TokenManager {
    http: reqwest::Client,
    base_url: String,
    credentials: Credentials,
    limiter: Arc<Limiter>,
    counters: Arc<Counters>,
    current: Mutex<Option<Current>>,
}

/// Attempts of a token request before the run stops on an outage.
const TOKEN_ATTEMPTS: u32 = 3;

impl TokenManager {
    pub fn new(
        http: reqwest::Client,
        base_url: String,
        credentials: Credentials,
        limiter: Arc<Limiter>,
        counters: Arc<Counters>,
    ) -> TokenManager {
        TokenManager {
            http,
            base_url,
            credentials,
            limiter,
            counters,
            current: Mutex::new(None),
        }
    }

    /// Returns the current token, requesting a new one when there is none or it is close to
    /// expiry.
    pub async fn token(&self) -> Result<Bearer, Stop> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref() {
            if Instant::now() < token.refresh_at {
                return Ok(token.bearer.clone());
            }
            tracing::info!("access token close to expiry; requesting a new one");
        }
        let fresh = self.fetch().await?;
        let bearer = fresh.bearer.clone();
        *current = Some(fresh);
        Ok(bearer)
    }

    /// Drops `used` after the API rejected it, unless another worker already replaced it.
    pub async fn invalidate(&self, used: &Bearer) {
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|token| Arc::ptr_eq(&token.bearer.value, &used.value))
        {
            *current = None;
        }
    }

    async fn fetch(&self) -> Result<Current, Stop> {
        let url = format!("{}{}", self.base_url, paths::TOKEN);
        let request = TokenRequest {
            grant_type: "client_credentials".into(),
            client_id: self.credentials.client_id.clone(),
            client_secret: self.credentials.client_secret.clone(),
            scope: None,
        };
        let mut last_failure = String::new();
        for attempt in 1..=TOKEN_ATTEMPTS {
            let slot = self
                .limiter
                .acquire(OAUTH_API, paths::TOKEN, true, &[])
                .await?;
            Counters::add(&self.counters.token_calls, 1);
            let sent = self.http.post(&url).json(&request).send().await;
            let (status, retry_after, body) = match sent {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = super::retry_after(response.headers());
                    let body = response.text().await.unwrap_or_default();
                    (status, retry_after, body)
                }
                Err(error) => {
                    self.limiter.record_status(slot, None).await?;
                    last_failure = super::describe_transport_error(&error);
                    tracing::warn!(attempt, url = %url, error = %last_failure, "token request failed");
                    tokio::time::sleep(Duration::from_secs(attempt as u64)).await;
                    continue;
                }
            };
            self.limiter.record_status(slot, Some(status)).await?;

            match status {
                200..=299 => return self.accept(&url, &body),
                429 => {
                    Counters::add(&self.counters.rate_limited, 1);
                    let wait = retry_after.unwrap_or_else(|| self.limiter.window());
                    tracing::warn!(
                        api = OAUTH_API,
                        wait_seconds = wait.as_secs(),
                        "token request answered 429"
                    );
                    self.limiter.block(OAUTH_API, Instant::now() + wait);
                    last_failure = "429 Too Many Requests".into();
                }
                500..=599 => {
                    last_failure = self.credentials.redact(&parse_error(status, &body).message);
                    tracing::warn!(attempt, status, error = %last_failure, "token request failed");
                    tokio::time::sleep(Duration::from_secs(attempt as u64)).await;
                }
                _ => {
                    let error = parse_error(status, &body);
                    return Err(Stop::Auth {
                        status: Some(status),
                        message: self.credentials.redact(&format!(
                            "the token request to {url} was rejected (HTTP {status}, {}): {}; check USPS_CLIENT_ID and USPS_CLIENT_SECRET, and that --env or --base-url names the host the app was registered for",
                            error.code,
                            error.message.trim_end_matches('.')
                        )),
                    });
                }
            }
        }
        Err(Stop::Outage {
            message: format!("no token from {url} after {TOKEN_ATTEMPTS} attempts: {last_failure}"),
        })
    }

    fn accept(&self, url: &str, body: &str) -> Result<Current, Stop> {
        let token: TokenResponse = serde_json::from_str(body).map_err(|error| Stop::Auth {
            status: None,
            message: format!(
                "the token endpoint {url} answered with something that is not a token ({error}); check --base-url"
            ),
        })?;
        // A bearer value that is not a bare JWT (whole JSON, quotes, a truncated string) makes
        // every call fail with 401, so it is caught here, before any row.
        if !looks_like_jwt(&token.access_token) {
            return Err(Stop::Auth {
                status: None,
                message: format!(
                    "the token endpoint {url} returned an access token that is not a JWT; check --base-url"
                ),
            });
        }
        let lifetime = Duration::from_secs(token.expires_in);
        // Refresh ahead of expiry: 5 minutes, or a tenth of short lifetimes.
        let margin = Duration::from_secs(300).min(lifetime / 10);
        tracing::info!(
            expires_in = token.expires_in,
            scope = token.scope.as_deref().unwrap_or(""),
            "access token obtained"
        );
        Ok(Current {
            bearer: Bearer {
                value: Arc::from(token.access_token.as_str()),
                scope: token.scope,
                expires_in: token.expires_in,
                api_products: token.api_products,
            },
            refresh_at: Instant::now() + lifetime.saturating_sub(margin),
        })
    }
}

/// Reports whether `token` has the three non-empty base64url parts of a JWT.
pub fn looks_like_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_shape() {
        assert!(looks_like_jwt("eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"));
        assert!(!looks_like_jwt("{\"access_token\":\"eyJ.a.b\"}"));
        assert!(!looks_like_jwt("\"eyJ.a.b\""));
        assert!(!looks_like_jwt("eyJ.a"));
        assert!(!looks_like_jwt("a..b"));
    }
}
