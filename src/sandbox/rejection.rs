//! Error responses of the Addresses API in the standard `ErrorMessage` shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::usps::error::{ErrorDetail, ErrorMessage};

/// `apiVersion` of Addresses error bodies, as live USPS responses spell it.
pub(crate) const API_VERSION: &str = "/addresses/v3/";

/// Message error codes of the Addresses API in the USPS error inventory (2025-10).
pub(crate) mod codes {
    pub const INVALID_ADDRESS: &str = "010001";
    pub const INVALID_ZIP_CODE: &str = "010002";
    pub const INVALID_STATE: &str = "010003";
    pub const INVALID_CITY: &str = "010004";
    pub const ADDRESS_NOT_FOUND: &str = "010005";
    pub const MULTIPLE_ADDRESSES: &str = "010006";
}

/// An error response: a status and the standard body.
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    pub status: StatusCode,
    pub body: ErrorMessage,
}

/// One problem with a request, which becomes one entry of `error.errors`.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// Inventory code, when the inventory has one for this problem.
    pub code: Option<&'static str>,
    pub title: &'static str,
    pub detail: String,
    /// The query parameter at fault, and an example of a valid value.
    pub source: Option<(&'static str, &'static str)>,
}

impl Rejection {
    /// Builds a rejection whose `error.message` is `message` and whose `error.errors` lists
    /// `problems` in order.
    pub fn new(status: StatusCode, message: &str, problems: Vec<Problem>) -> Rejection {
        let errors = problems
            .into_iter()
            .map(|problem| ErrorDetail {
                status: Some(status.as_u16().to_string()),
                code: problem.code.map(str::to_string),
                title: Some(problem.title.to_string()),
                detail: Some(problem.detail),
                source: problem.source.map(
                    |(parameter, example)| json!({"parameter": parameter, "example": example}),
                ),
            })
            .collect();
        let mut body = ErrorMessage::new(
            API_VERSION,
            status.as_u16(),
            message,
            ErrorDetail::default(),
        );
        body.error.errors = errors;
        Rejection { status, body }
    }

    /// Builds a rejection with one problem.
    pub fn single(status: StatusCode, message: &str, problem: Problem) -> Rejection {
        Rejection::new(status, message, vec![problem])
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
