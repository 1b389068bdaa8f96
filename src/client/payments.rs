//! Payment authorization: one call of Payments 3.0 turns the payer and label-owner roles into
//! the token that every Labels call sends in `X-Payment-Authorization-Token`.
//!
//! [`authorize_payment`] is the single call, usable on its own (a health check, say).
//! [`PaymentAuthorizer`] keeps the run's token in memory only, shares it among workers, and
//! renews it shortly before its eight hours run out or when the Labels API rejects it. The
//! token is never logged or written.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::scheduler::{Counters, Limiter, Stop};
use crate::usps::error::{parse_error, ApiError};
use crate::usps::paths;
use crate::usps::payments::{
    PaymentAuthorizationRequest, PaymentAuthorizationResponse, Role, ACCOUNT_CODES,
};

/// API name of Payments in the quota ledger and logs.
pub const PAYMENTS_API: &str = "payments";
/// Lifetime of a payment authorization token, per the Payments spec.
pub const PAYMENT_TOKEN_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// How long before expiry the token is renewed.
const RENEW_MARGIN: Duration = Duration::from_secs(10 * 60);
/// Attempts of the authorization call after transport failures and 5xx responses.
const ATTEMPTS: u32 = 3;

/// A failed payment authorization.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// USPS answered with an error: the roles or the account were rejected.
    #[error("payment authorization rejected (HTTP {}, {}): {}", .0.status, .0.code, .0.message)]
    Rejected(ApiError),
    /// The request did not get a response, or got a 5xx.
    #[error("payment authorization failed: {0}")]
    Transient(String),
    /// A 2xx whose body is not a payment authorization.
    #[error("payment authorization returned an unusable body: {0}")]
    Invalid(String),
}

impl PaymentError {
    /// Returns whether the error is about the payer's account (unknown, inactive, no funds),
    /// which someone can fix before a rerun.
    pub fn is_account_problem(&self) -> bool {
        matches!(self, PaymentError::Rejected(error) if ACCOUNT_CODES.contains(&error.code.as_str()))
    }
}

/// Sends one `POST /payments/v3/payment-authorization` with `bearer` and returns the response.
/// The caller owns the quota: this function does not consult the limiter.
pub async fn authorize_payment(
    http: &reqwest::Client,
    base_url: &str,
    bearer: &str,
    roles: &[Role],
) -> Result<PaymentAuthorizationResponse, PaymentError> {
    let (status, body) = send_authorization(http, base_url, bearer, roles).await?;
    read_authorization(status, &body)
}

async fn send_authorization(
    http: &reqwest::Client,
    base_url: &str,
    bearer: &str,
    roles: &[Role],
) -> Result<(u16, String), PaymentError> {
    let url = format!("{base_url}{}", paths::PAYMENT_AUTHORIZATION);
    let request = PaymentAuthorizationRequest {
        roles: roles.to_vec(),
    };
    let response = http
        .post(&url)
        .bearer_auth(bearer)
        .header(reqwest::header::ACCEPT, "application/json")
        .json(&request)
        .send()
        .await
        .map_err(|error| PaymentError::Transient(super::describe_transport_error(&error)))?;
    let status = response.status().as_u16();
    let body = response
        .text()
        .await
        .map_err(|error| PaymentError::Transient(super::describe_transport_error(&error)))?;
    Ok((status, body))
}

fn read_authorization(
    status: u16,
    body: &str,
) -> Result<PaymentAuthorizationResponse, PaymentError> {
    match status {
        200..=299 => {
            let response: PaymentAuthorizationResponse = serde_json::from_str(body)
                .map_err(|error| PaymentError::Invalid(error.to_string()))?;
            if response.payment_authorization_token.is_empty() {
                return Err(PaymentError::Invalid(
                    "paymentAuthorizationToken is empty".into(),
                ));
            }
            Ok(response)
        }
        500..=599 => Err(PaymentError::Transient(parse_error(status, body).message)),
        _ => Err(PaymentError::Rejected(parse_error(status, body))),
    }
}

struct Current {
    token: Arc<str>,
    renew_at: Instant,
}

/// Owns the run's payment authorization token.
pub struct PaymentAuthorizer {
    http: reqwest::Client,
    base_url: String,
    roles: Vec<Role>,
    limiter: Arc<Limiter>,
    counters: Arc<Counters>,
    current: Mutex<Option<Current>>,
}

impl PaymentAuthorizer {
    pub fn new(
        http: reqwest::Client,
        base_url: String,
        roles: Vec<Role>,
        limiter: Arc<Limiter>,
        counters: Arc<Counters>,
    ) -> PaymentAuthorizer {
        PaymentAuthorizer {
            http,
            base_url,
            roles,
            limiter,
            counters,
            current: Mutex::new(None),
        }
    }

    /// Returns the current token, authorizing with `bearer` when there is none or it is close
    /// to expiry.
    pub async fn token(&self, bearer: &str) -> Result<Arc<str>, Stop> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref() {
            if Instant::now() < token.renew_at {
                return Ok(token.token.clone());
            }
            tracing::info!("payment authorization token close to expiry; renewing it");
        }
        let token = self.fetch(bearer).await?;
        let value = token.token.clone();
        *current = Some(token);
        Ok(value)
    }

    /// Drops `used` after the API rejected it, unless another worker already replaced it.
    pub async fn invalidate(&self, used: &Arc<str>) {
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|token| Arc::ptr_eq(&token.token, used))
        {
            *current = None;
        }
    }

    async fn fetch(&self, bearer: &str) -> Result<Current, Stop> {
        let mut last_failure = String::new();
        for attempt in 1..=ATTEMPTS {
            let slot = self
                .limiter
                .acquire(PAYMENTS_API, paths::PAYMENT_AUTHORIZATION, false, &[])
                .await?;
            Counters::add(&self.counters.api_calls, 1);
            let sent = send_authorization(&self.http, &self.base_url, bearer, &self.roles).await;
            let status = sent.as_ref().ok().map(|(status, _)| *status);
            self.limiter.record_status(slot, status).await?;
            let result = sent.and_then(|(status, body)| read_authorization(status, &body));
            match result {
                Ok(response) => {
                    tracing::info!("payment authorization token obtained");
                    return Ok(Current {
                        token: Arc::from(response.payment_authorization_token.as_str()),
                        renew_at: Instant::now() + PAYMENT_TOKEN_LIFETIME - RENEW_MARGIN,
                    });
                }
                Err(PaymentError::Transient(message)) => {
                    tracing::warn!(attempt, error = %message, "payment authorization failed; retrying");
                    last_failure = message;
                    tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                }
                Err(error) if error.is_account_problem() => {
                    return Err(Stop::Account {
                        message: format!(
                            "{error}; fix the payer account (EPS balance or status) in the USPS Business Customer Gateway, then rerun: rows not yet bought stay pending"
                        ),
                    });
                }
                Err(error) => {
                    let status = match &error {
                        PaymentError::Rejected(rejected) => Some(rejected.status),
                        _ => None,
                    };
                    return Err(Stop::Auth {
                        status,
                        message: format!(
                            "{error}; check the [payment] table of the job file (CRID, MID, manifest MID, account type and number) or the USPS_CRID, USPS_MID, USPS_ACCOUNT_NUMBER variables"
                        ),
                    });
                }
            }
        }
        Err(Stop::Outage {
            message: format!(
                "no payment authorization from {}{} after {ATTEMPTS} attempts: {last_failure}",
                self.base_url,
                paths::PAYMENT_AUTHORIZATION
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_codes_are_account_problems() {
        let body = r#"{"apiVersion":"/payments/v3","error":{"code":"400","message":"Bad Request","errors":[{"code":"100007","detail":"Your Trust balance has insufficient funds."}]}}"#;
        let error = read_authorization(400, body).unwrap_err();
        assert!(error.is_account_problem(), "{error}");
        let body = r#"{"error":{"code":"400","message":"PAYER is required","errors":[{"code":"160228"}]}}"#;
        let error = read_authorization(400, body).unwrap_err();
        assert!(!error.is_account_problem(), "{error}");
    }

    #[test]
    fn empty_token_is_invalid() {
        let error = read_authorization(200, r#"{"paymentAuthorizationToken":""}"#).unwrap_err();
        assert!(matches!(error, PaymentError::Invalid(_)), "{error}");
        let error = read_authorization(503, "down").unwrap_err();
        assert!(matches!(error, PaymentError::Transient(_)), "{error}");
    }
}
