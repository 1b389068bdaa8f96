//! Injected faults: server errors, dropped connections and slow responses, drawn from a seeded
//! random number generator so that a given seed repeats the same sequence of faults.
//!
//! Faults apply to API requests only, after the access token and the quota were checked, so
//! that a faulty response costs quota as it does behind the USPS gateway. The token endpoint
//! draws no faults.

use std::sync::Mutex;
use std::time::Duration;

use anyhow::{ensure, Result};
use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::usps::error::{ErrorDetail, ErrorMessage};

/// Shares of API requests that meet each fault, as fractions from 0.0 to 1.0.
///
/// Every field has a default of zero, so a job file names only the faults it wants.
#[derive(Clone, Default, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Share that gets a 500 or 503 without the request being processed. Half of these carry the
    /// standard error body and half the plain text that USPS sends for some internal errors.
    pub error_rate: f64,
    /// Share processed and then cut off: the connection closes before a complete response.
    pub drop_rate: f64,
    /// Share whose response is delayed by `slow_ms`.
    pub slow_rate: f64,
    /// Delay of a slow response, in milliseconds.
    pub slow_ms: u64,
    /// Share of label purchases that are charged and then cut off before the response, drawn
    /// by the label service from a generator of its own.
    pub label_drop_rate: f64,
    /// Length of a label outage, in milliseconds: after the first label is charged, every
    /// label request gets 503 for this long. With `label_drop_rate` it leaves a purchase
    /// unconfirmed either way until the outage ends.
    pub label_outage_ms: u64,
}

impl Faults {
    /// Checks that every rate is a number from 0.0 to 1.0.
    pub fn validate(&self) -> Result<()> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("drop_rate", self.drop_rate),
            ("slow_rate", self.slow_rate),
            ("label_drop_rate", self.label_drop_rate),
        ] {
            ensure!(
                (0.0..=1.0).contains(&rate),
                "invalid sandbox fault {name} = {rate}: write a share from 0.0 to 1.0"
            );
        }
        Ok(())
    }
}

/// The plain-text body of an injected 500 or 503, as some USPS internal errors arrive.
pub const PLAIN_ERROR_TEXT: &str = "There was an internal server error.";

/// Faults drawn for one API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FaultDraw {
    pub error: Option<InjectedError>,
    pub drop: bool,
    pub slow: Option<Duration>,
}

/// An injected server error: its status and whether the body is the standard JSON or text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InjectedError {
    pub status: StatusCode,
    pub plain_text: bool,
}

/// The seeded generator behind the fault draws.
pub(crate) struct FaultInjector {
    faults: Faults,
    rng: Mutex<StdRng>,
}

impl FaultInjector {
    pub fn new(faults: Faults, seed: u64) -> Self {
        FaultInjector {
            faults,
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// Draws the faults of the next API request.
    ///
    /// Each call takes the same five numbers from the generator whatever the rates are, so the
    /// n-th request to reach the draw meets the same faults for a given seed and configuration.
    pub fn draw(&self) -> FaultDraw {
        let (error_roll, drop_roll, slow_roll, status_roll, body_roll) = {
            let mut rng = self
                .rng
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            (
                rng.random::<f64>(),
                rng.random::<f64>(),
                rng.random::<f64>(),
                rng.random::<bool>(),
                rng.random::<bool>(),
            )
        };

        // `random::<f64>()` lies in [0, 1), so a rate of 0.0 never fires and 1.0 always does.
        let error = (error_roll < self.faults.error_rate).then_some(InjectedError {
            status: if status_roll {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            },
            plain_text: body_roll,
        });
        FaultDraw {
            error,
            drop: error.is_none() && drop_roll < self.faults.drop_rate,
            slow: (slow_roll < self.faults.slow_rate)
                .then(|| Duration::from_millis(self.faults.slow_ms)),
        }
    }
}

impl InjectedError {
    /// Builds the response: the standard error body, or the plain text of [`PLAIN_ERROR_TEXT`].
    pub fn into_response(self, api_version: &str) -> Response {
        if self.plain_text {
            return (
                self.status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                PLAIN_ERROR_TEXT,
            )
                .into_response();
        }
        let (message, title) = if self.status == StatusCode::SERVICE_UNAVAILABLE {
            ("Service is unavailable.", "Service Unavailable")
        } else {
            (PLAIN_ERROR_TEXT, "Internal Server Error")
        };
        let detail = ErrorDetail {
            status: Some(self.status.as_u16().to_string()),
            title: Some(title.to_string()),
            detail: Some("Injected by the sandbox's error_rate fault; retry later.".to_string()),
            ..Default::default()
        };
        let body = ErrorMessage::new(api_version, self.status.as_u16(), message, detail);
        (self.status, axum::Json(body)).into_response()
    }
}

/// Builds a response whose body fails at its first read. Hyper then closes the connection
/// without finishing the response, so the client sees a transport error.
pub(crate) fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by the sandbox's drop_rate fault",
        ))
    });
    Response::new(Body::from_stream(failing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faults(error_rate: f64, drop_rate: f64, slow_rate: f64) -> Faults {
        Faults {
            error_rate,
            drop_rate,
            slow_rate,
            slow_ms: 250,
            label_drop_rate: 0.0,
            label_outage_ms: 0,
        }
    }

    #[test]
    fn same_seed_repeats_draws() {
        let config = faults(0.3, 0.3, 0.3);
        let first = FaultInjector::new(config.clone(), 42);
        let second = FaultInjector::new(config, 42);
        for _ in 0..200 {
            assert_eq!(first.draw(), second.draw());
        }
    }

    #[test]
    fn zero_rates_never_fire() {
        let injector = FaultInjector::new(Faults::default(), 7);
        for _ in 0..1000 {
            assert_eq!(injector.draw(), FaultDraw::default());
        }
    }

    #[test]
    fn full_rates_always_fire() {
        let injector = FaultInjector::new(faults(1.0, 0.0, 1.0), 7);
        for _ in 0..100 {
            let draw = injector.draw();
            assert!(draw.error.is_some());
            assert_eq!(draw.slow, Some(Duration::from_millis(250)));
        }
    }

    #[test]
    fn error_excludes_drop() {
        let injector = FaultInjector::new(faults(1.0, 1.0, 0.0), 3);
        for _ in 0..100 {
            assert!(!injector.draw().drop);
        }
    }

    #[test]
    fn rates_match_shares() {
        let injector = FaultInjector::new(faults(0.2, 0.0, 0.0), 11);
        let errors = (0..10_000)
            .filter(|_| injector.draw().error.is_some())
            .count();
        assert!((1_700..2_300).contains(&errors), "{errors} errors in 10000");
    }

    #[test]
    fn validate_rejects_out_of_range() {
        assert!(faults(0.0, 1.0, 0.5).validate().is_ok());
        assert!(faults(1.5, 0.0, 0.0).validate().is_err());
        assert!(faults(0.0, -0.1, 0.0).validate().is_err());
        assert!(faults(0.0, 0.0, f64::NAN).validate().is_err());
    }

    #[test]
    fn faults_deserialize_partially() {
        let parsed: Faults = serde_json::from_str(r#"{"error_rate":0.1}"#).unwrap();
        assert_eq!(parsed.error_rate, 0.1);
        assert_eq!(parsed.slow_ms, 0);
        assert!(serde_json::from_str::<Faults>(r#"{"eror_rate":0.1}"#).is_err());
    }
}
