//! Outcome of a row: its status, the result columns, notes and error. Stored as JSON in
//! the state file and written to the outputs.

use serde::{Deserialize, Serialize};

/// The `usps_status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    /// USPS confirmed the input as given (standardized).
    Ok,
    /// USPS confirmed the address after changing or filling its ZIP Code, city or state.
    Corrected,
    /// USPS has no such address, city or ZIP Code.
    NotFound,
    /// USPS needs more information, usually a unit number.
    Ambiguous,
    /// The row failed a local check or the API's validation; fix the input.
    InvalidInput,
    /// The request failed. `retryable` in the error tells whether a rerun may fix it.
    Error,
    /// Not processed yet: the run stopped before this row. A rerun processes it.
    Deferred,
    /// A purchase that may or may not have happened: the request was sent and no response
    /// confirmed it either way. A rerun resolves it with the same idempotency key.
    InDoubt,
}

impl RowStatus {
    /// Every status, in the order the README lists them.
    pub const ALL: [RowStatus; 8] = [
        RowStatus::Ok,
        RowStatus::Corrected,
        RowStatus::NotFound,
        RowStatus::Ambiguous,
        RowStatus::InvalidInput,
        RowStatus::Error,
        RowStatus::Deferred,
        RowStatus::InDoubt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Ok => "ok",
            RowStatus::Corrected => "corrected",
            RowStatus::NotFound => "not_found",
            RowStatus::Ambiguous => "ambiguous",
            RowStatus::InvalidInput => "invalid_input",
            RowStatus::Error => "error",
            RowStatus::Deferred => "deferred",
            RowStatus::InDoubt => "in_doubt",
        }
    }

    /// Returns whether the row counts as succeeded, which keeps it out of the error report.
    pub fn is_success(self) -> bool {
        matches!(self, RowStatus::Ok | RowStatus::Corrected)
    }
}

/// Reason a row did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// The runner's code for the problem, such as `zip_too_short` or `address_not_found`.
    pub code: String,
    /// The code USPS sent, such as `010005`, when the error came from the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usps_code: Option<String>,
    /// The API field or manifest column concerned, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
    /// Whether a rerun may fix it without a change to the input.
    pub retryable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The API's response body as received, for error responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

/// The full result of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowOutcome {
    pub status: RowStatus,
    /// Result columns in the order of the kind's `result_columns`; empty when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Repairs and warnings, such as a padded ZIP Code or a transliterated name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RowError>,
    /// The whole API response, kept for kinds whose response does not fit in columns; see
    /// [`crate::kinds::Kind::writes_responses`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<serde_json::Value>,
}

impl RowOutcome {
    pub fn success(status: RowStatus, values: Vec<String>) -> RowOutcome {
        RowOutcome {
            status,
            values,
            notes: Vec::new(),
            error: None,
            response: None,
        }
    }

    pub fn failure(status: RowStatus, error: RowError) -> RowOutcome {
        RowOutcome {
            status,
            values: Vec::new(),
            notes: Vec::new(),
            error: Some(error),
            response: None,
        }
    }

    /// Builds a row error found by the runner itself, which costs no call.
    pub fn local(code: &str, field: Option<String>, message: String) -> RowOutcome {
        RowOutcome::failure(
            RowStatus::InvalidInput,
            RowError {
                code: code.to_string(),
                usps_code: None,
                field,
                message,
                retryable: false,
                http_status: None,
                raw: None,
            },
        )
    }

    /// Builds the outcome of a request that kept failing with 5xx responses or transport errors.
    pub fn transient(message: String, status: Option<u16>, body: String) -> RowOutcome {
        let code = match status {
            Some(500..) => "upstream_5xx",
            // A 4xx reaches here only when its body is not a USPS error.
            Some(400..=499) => "invalid_response",
            _ => "transport_error",
        };
        RowOutcome::retry_later(code, message, status, (!body.is_empty()).then_some(body))
    }

    /// Builds an `error` outcome that a rerun may fix without a change to the input, such
    /// as a response that breaks the spec.
    pub fn retry_later(
        code: &str,
        message: String,
        http_status: Option<u16>,
        raw: Option<String>,
    ) -> RowOutcome {
        RowOutcome::failure(
            RowStatus::Error,
            RowError {
                code: code.into(),
                usps_code: None,
                field: None,
                message,
                retryable: true,
                http_status,
                raw,
            },
        )
    }

    /// Turns a transient failure of a purchase into an in-doubt outcome: the request may have
    /// been charged before the failure.
    pub fn into_in_doubt(mut self, idempotency_key: &str) -> RowOutcome {
        self.status = RowStatus::InDoubt;
        if let Some(error) = self.error.as_mut() {
            error.message = format!(
                "not confirmed either way, the label may have been bought ({}); rerun to resolve it with the same idempotency key {idempotency_key}",
                error.message
            );
            error.code = "in_doubt".into();
            error.retryable = true;
        }
        self
    }

    pub fn is_retryable(&self) -> bool {
        self.error.as_ref().is_some_and(|error| error.retryable)
    }
}
