//! Kinds of job: how a manifest row becomes a request, and how a response becomes the row's
//! result columns.

mod address;
mod city_state;
mod dates;
mod domestic_price;
mod international_price;
mod label_address;
mod label_fields;
mod label_nesting;
pub mod labels;
mod locations;
mod outcome;
mod rate_shop;
mod service_standard;
mod shipping_options;
mod tracking;
mod zipcode;

pub use dates::note_moved_default_date;
pub use outcome::{RowError, RowOutcome, RowStatus};

use crate::checks::RowIssue;
use crate::client::{Answer, ApiRequest};
use crate::job::{JobConfig, JobKind};
use crate::manifest::Record;
use crate::manifest::{ColumnMap, FieldSpec};
use crate::usps::error::parse_error;

/// A row ready to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub request: ApiRequest,
    pub notes: Vec<String>,
}

/// The behaviour of one kind of job.
pub trait Kind: Send + Sync {
    fn job_kind(&self) -> JobKind;
    /// Returns the API fields the manifest maps, with their header aliases.
    fn fields(&self) -> &'static [FieldSpec];
    /// Result columns this kind adds, between `usps_status` and the notes and error columns.
    fn result_columns(&self) -> &'static [&'static str];
    /// Runs the local checks and builds the request, with values normalized (upper case,
    /// single spaces) so that identical requests share one call.
    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue>;
    /// Turns a response (2xx or a 4xx row error) into the row's outcome.
    fn interpret(&self, request: &ApiRequest, answer: &Answer) -> RowOutcome;
    /// Reports whether the kind keeps each row's whole response in [`RowOutcome::response`],
    /// to be written to `<job>.responses.jsonl` beside the output.
    fn writes_responses(&self) -> bool {
        false
    }

    /// Returns whether each row is a purchase of its own. Such a row never shares a request with an
    /// identical row and never reads a cached response, because two identical orders are two
    /// labels. Its request is pinned in the state file with an idempotency key before its
    /// first attempt.
    fn exactly_once(&self) -> bool {
        false
    }

    /// Fills the values of a request that depend on the day it is first sent, such as a
    /// mailing date of today. Called before the request is pinned.
    fn complete_request(&self, _request: &mut ApiRequest) {}

    /// Returns a lookup to send before an exactly-once row's request is pinned, such as the
    /// validation of a label's destination. It is cached and shared like any lookup.
    fn check_request(&self, _request: &ApiRequest) -> Option<ApiRequest> {
        None
    }

    /// Applies the response of [`Kind::check_request`] to the row's request. Returns the
    /// row's outcome when the check rules the row out, else `None`.
    fn apply_check(
        &self,
        _request: &mut ApiRequest,
        _check: &ApiRequest,
        _answer: &Answer,
    ) -> Option<RowOutcome> {
        None
    }

    /// Adapts the outcome of a request that kept failing with 5xx responses or transport
    /// errors. An exactly-once kind marks it in doubt, because the request may have been
    /// charged before the failure.
    fn transient_outcome(&self, _request: &ApiRequest, outcome: RowOutcome) -> RowOutcome {
        outcome
    }

    /// Returns the reason to stop the whole run that `outcome` shows, such as a payer account
    /// without funds, where every later row would fail the same way.
    fn stop_reason(&self, _outcome: &RowOutcome) -> Option<crate::scheduler::Stop> {
        None
    }

    /// Checks the column mapping against the job's settings before any row is read, so that
    /// a job-file mistake stops the run once instead of failing every row. Returns what to
    /// change in the job file.
    fn check_columns(&self, _columns: &ColumnMap) -> Result<(), String> {
        Ok(())
    }
    /// Returns how rows share one call, for kinds whose API takes many items per request.
    /// Each row's own request (from `prepare`) stays its cache and deduplication key.
    fn batching(&self) -> Option<&dyn Batching> {
        None
    }
}

/// Sending many rows in one call. The dispatcher combines the rows' requests, splits the
/// response into one [`Answer`] per row, and caches and interprets each as if the row had been
/// sent alone.
pub trait Batching: Send + Sync {
    /// Maximum rows per call.
    fn max_rows(&self) -> usize;
    /// Builds the one request that carries `requests`.
    fn combine(&self, requests: &[&ApiRequest]) -> ApiRequest;
    /// Splits the response to `combine(requests)` into one [`Answer`] per request.
    fn split(&self, requests: &[&ApiRequest], answer: &Answer) -> BatchAnswer;
    /// Builds the request that carries one row alone, for when the batch is rejected.
    fn single(&self, request: &ApiRequest) -> ApiRequest;
}

/// A batch response, split per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchAnswer {
    /// One response per request, in the order of the requests; `None` where the response left
    /// the row out.
    PerRow(Vec<Option<Answer>>),
    /// The batch endpoint rejected the call, so each row goes alone. With `for_run` (no access
    /// to the endpoint, or the endpoint is not served) the rest of the run skips the batch
    /// endpoint too.
    Rejected { for_run: bool },
    /// A 2xx whose body does not match the spec: every row is retried on a later run.
    Unusable(String),
}

/// Returns the implementation of the job's kind, with the job settings it needs.
pub fn kind_for(config: &JobConfig) -> Box<dyn Kind> {
    match config.kind {
        JobKind::Address => Box::new(address::AddressKind),
        JobKind::CityState => Box::new(city_state::CityStateKind),
        JobKind::ZipCode => Box::new(zipcode::ZipCodeKind),
        JobKind::DomesticPrice => Box::new(domestic_price::DomesticPriceKind::new(
            config
                .units
                .expect("the job file check requires [units] for price jobs"),
            config.extra_services.clone(),
        )),
        JobKind::ShippingOptions => Box::new(shipping_options::ShippingOptionsKind::new(
            config
                .units
                .expect("the job file check requires [units] for shipping-options jobs"),
        )),
        JobKind::Labels => Box::new(labels::LabelsKind::new(config)),
        JobKind::InternationalPrice => Box::new(international_price::InternationalPriceKind::new(
            config
                .units
                .expect("the job file check requires [units] for price jobs"),
            config.extra_services.clone(),
        )),
        JobKind::RateShop => Box::new(rate_shop::RateShopKind::new(
            config
                .units
                .expect("the job file check requires [units] for rate-shop jobs"),
            config.services.clone(),
        )),
        JobKind::ServiceStandard => {
            Box::new(service_standard::ServiceStandardKind::new(config.units))
        }
        JobKind::Locations => {
            Box::new(locations::LocationsKind::new(config.locations.expect(
                "the job file check sets [locations] for locations jobs",
            )))
        }
        JobKind::Tracking => Box::new(tracking::TrackingKind),
    }
}

/// Turns a local check failure into the row's outcome.
pub fn outcome_from_issue(issue: &RowIssue) -> RowOutcome {
    RowOutcome::local(
        issue.code,
        issue
            .column
            .clone()
            .or_else(|| issue.field.map(str::to_string)),
        issue.message.clone(),
    )
}

/// Upper-cases a value and collapses its white space, the normal form of request values.
pub fn normalize(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// Adds a query parameter in normal form, leaving out empty values.
fn push_normalized(
    pairs: &mut Vec<(&'static str, String)>,
    name: &'static str,
    value: Option<&String>,
) {
    if let Some(value) = value
        .map(|value| normalize(value))
        .filter(|value| !value.is_empty())
    {
        pairs.push((name, value));
    }
}

/// Builds the outcome of an error response that no kind-specific rule matched.
fn generic_error(answer: &Answer, status: RowStatus, code: &str) -> RowOutcome {
    let error = parse_error(answer.status, &answer.body);
    RowOutcome::failure(
        status,
        RowError {
            code: code.to_string(),
            usps_code: Some(error.code),
            field: parameter_of(&answer.body),
            message: with_next_step(error.message, status),
            retryable: false,
            http_status: Some(answer.status),
            raw: Some(answer.body.clone()),
        },
    )
}

/// Appends what the user can do about a row error of `status` to USPS's own message, which
/// only states what is wrong.
fn with_next_step(message: String, status: RowStatus) -> String {
    let step = match status {
        RowStatus::InvalidInput => "correct the row and rerun",
        RowStatus::NotFound => {
            "check the row's values, correct them, and rerun with --retry-errors"
        }
        RowStatus::Ambiguous => {
            "add the missing detail (usually a unit number) and rerun with --retry-errors"
        }
        RowStatus::Error => "rerun later with --retry-errors; if it persists, see raw_response",
        RowStatus::InDoubt => {
            "rerun the same command, which resolves the row with its idempotency key"
        }
        RowStatus::Ok | RowStatus::Corrected | RowStatus::Deferred => return message,
    };
    let message = message.trim_end();
    let separator = if message.ends_with(['.', '!', '?']) {
        " "
    } else {
        ". "
    };
    let mut step_text = step.to_string();
    step_text[..1].make_ascii_uppercase();
    format!("{message}{separator}{step_text}.")
}

/// Returns the request parameter or body field that an error names in
/// `errors[0].source.parameter` or `errors[0].source.pointer`, if any.
fn parameter_of(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let source = &value["error"]["errors"][0]["source"];
    source["parameter"]
        .as_str()
        .or_else(|| source["pointer"].as_str())
        .filter(|name| !name.is_empty())
        .map(str::to_string)
}

/// Builds the outcome of a 2xx answer whose body does not parse.
fn unreadable_answer(answer: &Answer, error: &serde_json::Error) -> RowOutcome {
    RowOutcome::retry_later(
        "invalid_response",
        format!("the response does not match the USPS spec: {error}"),
        Some(answer.status),
        Some(answer.body.clone()),
    )
}

/// Builds the outcome of a 2xx response that parses but lacks a field that every response of
/// its API carries, such as `{}`. It is retryable and never cached, like an unparsable one.
fn incomplete_answer(answer: &Answer, missing: &str) -> RowOutcome {
    RowOutcome::retry_later(
        "invalid_response",
        format!(
            "the response does not match the USPS spec: it has no {missing}; run again later, and check base_url if it persists"
        ),
        Some(answer.status),
        Some(answer.body.clone()),
    )
}

/// Returns whether `value` contains text other than white space.
fn has_text(value: &Option<String>) -> bool {
    value
        .as_deref()
        .is_some_and(|value| !value.trim().is_empty())
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// Joins ZIP Code and ZIP+4 as `12345-6789`, or the ZIP Code alone.
fn zip_plus4(zip: &Option<String>, plus4: &Option<String>) -> String {
    match (zip.as_deref(), plus4.as_deref()) {
        (Some(zip), Some(plus4)) if !plus4.is_empty() => format!("{zip}-{plus4}"),
        (Some(zip), _) => zip.to_string(),
        _ => String::new(),
    }
}

fn query_value<'r>(request: &'r ApiRequest, name: &str) -> Option<&'r str> {
    request
        .query
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.as_str())
}
