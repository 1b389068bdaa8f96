//! Kind `tracking`: the latest status of each tracking number, through the batch endpoint of
//! Package Tracking 3.0 (`POST /tracking/v3r2/tracking`, up to 35 numbers a call), or the
//! single-number endpoint (`GET /tracking/v3/tracking/{trackingNumber}`) where the batch one is
//! rejected.
//!
//! Each row's own request is a batch of one. It is the row's cache and deduplication key, so a
//! number's response is cached by itself whichever call fetched it.

use serde_json::Value;

use super::{
    generic_error, has_text, incomplete_answer, unreadable_answer, BatchAnswer, Batching, Kind,
    Prepared,
};
use super::{RowError, RowOutcome, RowStatus};
use crate::checks::{self, RowIssue};
use crate::client::{Answer, ApiRequest, Method};
use crate::job::JobKind;
use crate::manifest::{ColumnMap, FieldSpec, Record, TRACKING_FIELDS};
use crate::usps::error::parse_error;
use crate::usps::paths;
use crate::usps::tracking::{
    TrackingDetail, TrackingRequestItem, MAX_BATCH_ITEMS, NOT_YET_AVAILABLE_CODES,
};

/// API name of both tracking endpoints, for quota pools and logs.
const API: &str = "tracking";

pub struct TrackingKind;

pub const COLUMNS: &[&str] = &[
    "usps_tracking_number",
    "usps_tracking_status",
    "usps_status_category",
    "usps_event_time",
    "usps_event_city",
    "usps_event_state",
    "usps_event_zip",
    "usps_expected_delivery",
    "usps_delivered",
];

impl Kind for TrackingKind {
    fn job_kind(&self) -> JobKind {
        JobKind::Tracking
    }

    fn fields(&self) -> &'static [FieldSpec] {
        TRACKING_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        COLUMNS
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let prepared = checks::prepare_tracking(record, columns)?;
        let query = prepared.query;
        let item = TrackingRequestItem {
            tracking_number: query.tracking_number,
            mailing_date: query.mailing_date,
            destination_zip_code: query.destination_zip_code,
        };
        let body = serde_json::to_value(vec![item]).expect("tracking items serialize");
        Ok(Prepared {
            request: ApiRequest {
                api: API,
                method: Method::Post,
                path: paths::TRACKING_BATCH,
                path_filled: None,
                query: Vec::new(),
                headers: Vec::new(),
                body: Some(body),
                file_stem: None,
            },
            notes: prepared.notes,
        })
    }

    fn interpret(&self, request: &ApiRequest, answer: &Answer) -> RowOutcome {
        if !(200..300).contains(&answer.status) {
            return interpret_error(answer);
        }
        let parsed = serde_json::from_str::<Value>(&answer.body).and_then(|value| {
            // A detail alone (the single endpoint, or one row of a split batch), or an array
            // of one.
            let detail = match value {
                Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
                other => other,
            };
            serde_json::from_value::<TrackingDetail>(detail)
        });
        match parsed {
            // Every tracking detail has a status or at least one event; `{}` is not from USPS.
            Ok(detail) if !has_text(&detail.status) && detail.tracking_events.is_empty() => {
                incomplete_answer(answer, "status or tracking events")
            }
            Ok(detail) => found(request, &detail),
            Err(error) => unreadable_answer(answer, &error),
        }
    }

    fn batching(&self) -> Option<&dyn Batching> {
        Some(self)
    }
}

impl Batching for TrackingKind {
    fn max_rows(&self) -> usize {
        MAX_BATCH_ITEMS
    }

    fn combine(&self, requests: &[&ApiRequest]) -> ApiRequest {
        let items: Vec<Value> = requests
            .iter()
            .flat_map(|request| match &request.body {
                Some(Value::Array(items)) => items.clone(),
                _ => Vec::new(),
            })
            .collect();
        ApiRequest {
            api: API,
            method: Method::Post,
            path: paths::TRACKING_BATCH,
            path_filled: None,
            query: Vec::new(),
            headers: Vec::new(),
            body: Some(Value::Array(items)),
            file_stem: None,
        }
    }

    fn split(&self, requests: &[&ApiRequest], answer: &Answer) -> BatchAnswer {
        match answer.status {
            200..=299 => {}
            // No access to the endpoint, or an endpoint that this host does not serve.
            401 | 403 | 405 | 501 => return BatchAnswer::Rejected { for_run: true },
            // A batch rejected as a whole, because one bad item fails them all or because USPS
            // responds to a batch of one with a plain 404. Each row sent alone gets its own
            // response.
            _ => return BatchAnswer::Rejected { for_run: false },
        }
        let mut items = match serde_json::from_str::<Value>(&answer.body) {
            Ok(Value::Array(items)) => items,
            Ok(_) => {
                return BatchAnswer::Unusable(
                    "the batch response is not a JSON array, as the spec requires".into(),
                )
            }
            Err(error) => {
                return BatchAnswer::Unusable(format!("the batch response is not JSON: {error}"))
            }
        };
        let numbered = items
            .iter()
            .any(|item| item.get("trackingNumber").is_some());
        if !numbered && items.len() == requests.len() {
            // Without numbers in the items, only their order pairs them with the requests.
            return BatchAnswer::PerRow(items.into_iter().map(item_answer).map(Some).collect());
        }
        // Items are matched by tracking number, not by position, because the spec does not
        // promise the request's order. A number sent twice (with different mailing dates)
        // takes the matching items in order.
        let answers = requests
            .iter()
            .map(|request| {
                let number = tracking_number(request)?;
                let index = items.iter().position(|item| {
                    item.get("trackingNumber")
                        .and_then(Value::as_str)
                        .is_some_and(|found| found.eq_ignore_ascii_case(number))
                })?;
                Some(item_answer(items.remove(index)))
            })
            .collect();
        BatchAnswer::PerRow(answers)
    }

    fn single(&self, request: &ApiRequest) -> ApiRequest {
        let item = request
            .body
            .as_ref()
            .and_then(|body| body.get(0))
            .and_then(|item| serde_json::from_value::<TrackingRequestItem>(item.clone()).ok())
            .expect("prepare builds a batch of one valid item");
        let mut query = vec![("expand", "DETAIL".to_string())];
        if let Some(date) = item.mailing_date {
            query.push(("mailingDate", date));
        }
        if let Some(zip) = item.destination_zip_code {
            query.push(("destinationZIPCode", zip));
        }
        // The local checks leave only letters and digits in a tracking number, so it goes
        // into the path as it is.
        let path_filled = paths::TRACKING_SINGLE.replace("{trackingNumber}", &item.tracking_number);
        ApiRequest {
            api: API,
            method: Method::Get,
            path: paths::TRACKING_SINGLE,
            path_filled: Some(path_filled),
            query,
            headers: Vec::new(),
            body: None,
            file_stem: None,
        }
    }
}

/// Builds the response of one batch item, whose `statusCode` (200 when absent, as in a 200
/// response) is its status.
fn item_answer(item: Value) -> Answer {
    let status = item
        .get("statusCode")
        .and_then(Value::as_str)
        .and_then(|code| code.parse::<u16>().ok())
        .unwrap_or(200);
    Answer {
        status,
        body: item.to_string(),
        content_type: None,
    }
}

/// Returns the tracking number of a row's request (a batch of one).
fn tracking_number(request: &ApiRequest) -> Option<&str> {
    request
        .body
        .as_ref()?
        .get(0)?
        .get("trackingNumber")?
        .as_str()
}

/// Builds the outcome of a tracking detail: the latest event's time and place, and the
/// piece's status, expected delivery and delivered flag.
fn found(request: &ApiRequest, detail: &TrackingDetail) -> RowOutcome {
    let latest = detail.tracking_events.first();
    let event_text = |field: fn(&crate::usps::tracking::TrackingEvent) -> &Option<String>| {
        latest
            .and_then(|event| field(event).clone())
            .unwrap_or_default()
    };
    let number = detail
        .tracking_number
        .clone()
        .or_else(|| tracking_number(request).map(str::to_string))
        .unwrap_or_default();
    let status = detail
        .status
        .clone()
        .or_else(|| latest.and_then(|event| event.event_type.clone()))
        .unwrap_or_default();
    RowOutcome::success(
        RowStatus::Ok,
        vec![
            number,
            status,
            detail.status_category.clone().unwrap_or_default(),
            event_text(|event| &event.event_timestamp),
            event_text(|event| &event.event_city),
            event_text(|event| &event.event_state),
            event_text(|event| &event.event_zip_code),
            detail.expected_delivery().unwrap_or_default(),
            if detail.is_delivered() { "Y" } else { "N" }.to_string(),
        ],
    )
}

/// Builds the outcome of an error response. USPS returns "not yet available" for a number
/// that it has not scanned yet, usually a label made moments ago. The row stays retryable, so
/// a later run requests it again.
fn interpret_error(answer: &Answer) -> RowOutcome {
    let error = parse_error(answer.status, &answer.body);
    let not_yet_available = NOT_YET_AVAILABLE_CODES.contains(&error.code.as_str())
        || error
            .message
            .to_ascii_lowercase()
            .contains("not yet available");
    if not_yet_available {
        return RowOutcome::failure(
            RowStatus::NotFound,
            RowError {
                code: "not_yet_trackable".into(),
                usps_code: Some(error.code),
                field: Some("trackingNumber".into()),
                message: format!(
                    "{} A later run requests it again; a number that stays unknown for days may \
                     be mistyped.",
                    error.message
                ),
                retryable: true,
                http_status: Some(answer.status),
                raw: Some(answer.body.clone()),
            },
        );
    }
    let mut outcome = match answer.status {
        // Inventory codes 1500xx describe the number itself (another shipper's, a
        // pickup number, no tracking for the product); other 400s reject the request.
        400 if error.code.starts_with("1500") => {
            generic_error(answer, RowStatus::NotFound, "tracking_not_found")
        }
        400 => generic_error(answer, RowStatus::InvalidInput, "invalid_request"),
        404 => generic_error(answer, RowStatus::NotFound, "tracking_not_found"),
        _ => generic_error(answer, RowStatus::Error, "unexpected_status"),
    };
    if outcome.status == RowStatus::NotFound {
        // The error report then names the column and value of the number.
        if let Some(error) = outcome.error.as_mut() {
            error.field = Some("trackingNumber".into());
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_request(number: &str) -> ApiRequest {
        TrackingKind.combine(&[&ApiRequest {
            api: API,
            method: Method::Post,
            path: paths::TRACKING_BATCH,
            path_filled: None,
            query: Vec::new(),
            headers: Vec::new(),
            body: Some(serde_json::json!([{ "trackingNumber": number }])),
            file_stem: None,
        }])
    }

    #[test]
    fn combine_concatenates_items() {
        let first = row_request("A");
        let second = row_request("B");
        let combined = TrackingKind.combine(&[&first, &second]);
        assert_eq!(
            combined.body,
            Some(serde_json::json!([{"trackingNumber": "A"}, {"trackingNumber": "B"}]))
        );
        assert_eq!(combined.path, paths::TRACKING_BATCH);
    }

    #[test]
    fn split_matches_numbers_out_of_order() {
        let first = row_request("A");
        let second = row_request("B");
        let third = row_request("C");
        let answer = Answer {
            status: 207,
            body: r#"[{"statusCode":"404","trackingNumber":"B","error":{"code":"404","message":"gone"}},
                      {"statusCode":"200","trackingNumber":"A","status":"Delivered"}]"#
                .into(),
            content_type: None,
        };
        let BatchAnswer::PerRow(answers) = TrackingKind.split(&[&first, &second, &third], &answer)
        else {
            panic!("a 207 splits per row");
        };
        assert_eq!(answers.len(), 3);
        assert_eq!(answers[0].as_ref().unwrap().status, 200);
        assert!(answers[0].as_ref().unwrap().body.contains("Delivered"));
        assert_eq!(answers[1].as_ref().unwrap().status, 404);
        assert_eq!(answers[2], None, "C is missing from the response");
    }

    #[test]
    fn split_unnumbered_items_by_position() {
        let first = row_request("A");
        let second = row_request("B");
        let answer = Answer {
            status: 200,
            body: r#"[{"status":"Delivered"},{"status":"Out for Delivery"}]"#.into(),
            content_type: None,
        };
        let BatchAnswer::PerRow(answers) = TrackingKind.split(&[&first, &second], &answer) else {
            panic!("a 200 splits per row");
        };
        assert!(answers[0].as_ref().unwrap().body.contains("Delivered"));
        assert!(answers[1]
            .as_ref()
            .unwrap()
            .body
            .contains("Out for Delivery"));
    }

    #[test]
    fn split_rejections() {
        let first = row_request("A");
        for (status, for_run) in [(403, true), (401, true), (404, false), (400, false)] {
            let answer = Answer {
                status,
                body: String::new(),
                content_type: None,
            };
            assert_eq!(
                TrackingKind.split(&[&first], &answer),
                BatchAnswer::Rejected { for_run },
                "status {status}"
            );
        }
    }

    #[test]
    fn single_request_fills_path() {
        let request = TrackingKind.single(&row_request("9400100000000000000000"));
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.path, paths::TRACKING_SINGLE);
        assert_eq!(
            request.path_filled.as_deref(),
            Some("/tracking/v3/tracking/9400100000000000000000")
        );
        assert_eq!(
            super::super::query_value(&request, "expand"),
            Some("DETAIL")
        );
    }

    #[test]
    fn not_yet_available_is_retryable() {
        let answer = Answer {
            status: 400,
            body: r#"{"apiVersion":"/tracking/v3","error":{"code":"400","message":"7: The tracking number may be incorrect or the status update is not yet available.","errors":[{"code":"150002"}]}}"#.into(),
            content_type: None,
        };
        let outcome = TrackingKind.interpret(&row_request("A"), &answer);
        assert_eq!(outcome.status, RowStatus::NotFound);
        let error = outcome.error.unwrap();
        assert_eq!(error.code, "not_yet_trackable");
        assert!(error.retryable);
        assert_eq!(error.usps_code.as_deref(), Some("150002"));
    }

    #[test]
    fn empty_detail_is_retryable() {
        let answer = Answer {
            status: 200,
            body: "{}".into(),
            content_type: None,
        };
        let outcome = TrackingKind.interpret(&row_request("A"), &answer);
        assert_eq!(outcome.status, RowStatus::Error);
        let error = outcome.error.unwrap();
        assert_eq!(error.code, "invalid_response");
        assert!(error.retryable);
    }

    #[test]
    fn other_shipper_is_final() {
        let answer = Answer {
            status: 400,
            body: r#"{"error":{"code":"400","message":"The tracking number may belong to another shipper.","errors":[{"code":"150010"}]}}"#.into(),
            content_type: None,
        };
        let outcome = TrackingKind.interpret(&row_request("A"), &answer);
        assert_eq!(outcome.status, RowStatus::NotFound);
        let error = outcome.error.unwrap();
        assert_eq!(error.code, "tracking_not_found");
        assert!(!error.retryable);
        assert_eq!(error.field.as_deref(), Some("trackingNumber"));
    }

    #[test]
    fn live_v3_detail_reads() {
        // Trimmed from a live v3 response: string booleans, `eventZIP`, no offset in times.
        let body = r#"{"mailClass":"USPS Ground Advantage<SUP>&#153;</SUP>","emailEnabled":"true",
            "status":"Delivered, Parcel Locker","statusCategory":"Delivered",
            "trackingEvents":[{"eventType":"Delivered, Parcel Locker","eventTimestamp":"2024-11-22T13:58:00",
            "GMTOffset":"-05:00","eventCountry":null,"eventCity":"HERNANDO","eventState":"FL",
            "eventZIP":"34442","authorizedAgent":"false","eventCode":"01"}]}"#;
        let answer = Answer {
            status: 200,
            body: body.into(),
            content_type: None,
        };
        let outcome = TrackingKind.interpret(&row_request("9400100000000000000000"), &answer);
        assert_eq!(outcome.status, RowStatus::Ok);
        assert_eq!(
            outcome.values,
            vec![
                "9400100000000000000000",
                "Delivered, Parcel Locker",
                "Delivered",
                "2024-11-22T13:58:00",
                "HERNANDO",
                "FL",
                "34442",
                "",
                "Y",
            ]
        );
    }
}
