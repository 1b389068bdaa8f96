//! Package Tracking 3.0 in the sandbox: the batch endpoint `POST /tracking/v3r2/tracking` and
//! the single-number endpoint `GET /tracking/v3/tracking/{trackingNumber}`. Each number's
//! history comes from [`history`]; `docs/sandbox.md` lists the rules.

mod history;

use axum::http::StatusCode;
use jiff::civil::Date;
use serde_json::{json, Map, Value};

use crate::usps::error::{ErrorDetail, ErrorMessage};
use crate::usps::tracking::MAX_BATCH_ITEMS;

use super::params::Pairs;
use super::rejection::{Problem, Rejection};
use history::build_history;

/// `apiVersion` of the batch endpoint's error bodies.
const BATCH_API_VERSION: &str = "/tracking/v3r2";
/// `apiVersion` of the single-number endpoint's error bodies.
const SINGLE_API_VERSION: &str = "/tracking/v3";

/// Responds to a batch request: 200 with one detail per number when every number is known, else
/// 207 with a failure entry (`statusCode` "404") for each unknown one.
pub(crate) fn batch(body: &[u8]) -> Result<(StatusCode, Value), Rejection> {
    let items = read_batch(body)?;
    let mut entries = Vec::with_capacity(items.len());
    let mut all_found = true;
    for item in &items {
        match build_history(&item.number, item.destination_zip.as_deref()) {
            Ok(history) => entries.push(history.v3r2()),
            Err((code, message)) => {
                all_found = false;
                let mut failure = error_body(BATCH_API_VERSION, 404, code, message);
                let fields = failure.as_object_mut().expect("error bodies are objects");
                let mut entry = Map::new();
                entry.insert("statusCode".into(), json!("404"));
                entry.insert("trackingNumber".into(), json!(item.number));
                entry.append(fields);
                entries.push(Value::Object(entry));
            }
        }
    }
    if all_found {
        return Ok((StatusCode::OK, Value::Array(entries)));
    }
    for entry in &mut entries {
        if let Some(fields) = entry.as_object_mut() {
            if !fields.contains_key("statusCode") {
                fields.insert("statusCode".into(), json!("200"));
            }
        }
    }
    Ok((StatusCode::MULTI_STATUS, Value::Array(entries)))
}

/// Responds to a single-number request: the detail with `expand=DETAIL`, the summary without it
/// or with `expand=SUMMARY`, and 400 (with the inventory code) for an unknown number.
pub(crate) fn single(pairs: &Pairs) -> Result<Value, Rejection> {
    let number = last_value(pairs, "trackingNumber").unwrap_or_default();
    let mut problems = Vec::new();
    check_number(&number, &mut problems);
    let destination_zip = last_value(pairs, "destinationZIPCode");
    check_zip(destination_zip.as_deref(), &mut problems);
    check_date(last_value(pairs, "mailingDate").as_deref(), &mut problems);
    let expand = last_value(pairs, "expand").unwrap_or_else(|| "SUMMARY".into());
    // The enum is upper case, and USPS rejects `detail` in lower case.
    if expand != "SUMMARY" && expand != "DETAIL" {
        problems.push(Problem {
            code: None,
            title: "Invalid expand",
            detail: format!("expand {expand} is not one of SUMMARY, DETAIL."),
            source: Some(("expand", "DETAIL")),
        });
    }
    if !problems.is_empty() {
        return Err(rejection(
            SINGLE_API_VERSION,
            "Invalid request parameters.",
            problems,
        ));
    }
    match build_history(&number, destination_zip.as_deref()) {
        Ok(history) if expand == "DETAIL" => Ok(history.v3_detail()),
        Ok(history) => Ok(history.v3_summary()),
        Err((code, message)) => {
            let body: ErrorMessage =
                serde_json::from_value(error_body(SINGLE_API_VERSION, 400, code, message))
                    .expect("error bodies are ErrorMessage values");
            Err(Rejection {
                status: StatusCode::BAD_REQUEST,
                body,
            })
        }
    }
}

/// One entry of a batch request.
struct BatchItem {
    number: String,
    destination_zip: Option<String>,
}

/// Validates a batch body against `TrackingRequest`: an array of 1 to 35 objects with a
/// `trackingNumber` and optional `mailingDate` and `destinationZIPCode`, and nothing else.
fn read_batch(body: &[u8]) -> Result<Vec<BatchItem>, Rejection> {
    let invalid = |detail: String| {
        rejection(
            BATCH_API_VERSION,
            "Invalid request body.",
            vec![Problem {
                code: None,
                title: "Invalid request body",
                detail,
                source: None,
            }],
        )
    };
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| invalid(format!("The body is not JSON: {error}.")))?;
    let Value::Array(entries) = value else {
        return Err(invalid(
            "The body must be an array of tracking requests.".into(),
        ));
    };
    if entries.is_empty() || entries.len() > MAX_BATCH_ITEMS {
        return Err(invalid(format!(
            "The body has {} tracking requests; 1 to {MAX_BATCH_ITEMS} are allowed.",
            entries.len()
        )));
    }

    let mut problems = Vec::new();
    let mut items = Vec::with_capacity(entries.len());
    for entry in &entries {
        let Value::Object(fields) = entry else {
            return Err(invalid("Each tracking request must be an object.".into()));
        };
        if let Some(unknown) = fields.keys().find(|key| {
            !["trackingNumber", "mailingDate", "destinationZIPCode"].contains(&key.as_str())
        }) {
            return Err(invalid(format!(
                "Property {unknown} is not allowed in a tracking request."
            )));
        }
        let text = |name: &str| fields.get(name).and_then(Value::as_str).map(str::to_string);
        let number = text("trackingNumber").unwrap_or_default();
        check_number(&number, &mut problems);
        let destination_zip = text("destinationZIPCode");
        check_zip(destination_zip.as_deref(), &mut problems);
        check_date(text("mailingDate").as_deref(), &mut problems);
        items.push(BatchItem {
            number,
            destination_zip,
        });
    }
    if !problems.is_empty() {
        return Err(rejection(
            BATCH_API_VERSION,
            "Invalid request body.",
            problems,
        ));
    }
    Ok(items)
}

/// Checks a tracking number against the spec: 4 to 34 letters and digits.
fn check_number(number: &str, problems: &mut Vec<Problem>) {
    let valid =
        (4..=34).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric());
    if !valid {
        problems.push(Problem {
            code: None,
            title: "Invalid trackingNumber",
            detail: format!("trackingNumber {number:?} must be 4 to 34 letters and digits."),
            source: Some(("trackingNumber", "9400100000000000000000")),
        });
    }
}

/// Checks an optional `mailingDate`: a date as `YYYY-MM-DD`.
fn check_date(date: Option<&str>, problems: &mut Vec<Problem>) {
    if let Some(date) = date {
        if date.parse::<Date>().is_err() {
            problems.push(Problem {
                code: None,
                title: "Invalid mailingDate",
                detail: format!("mailingDate {date} is not a date as YYYY-MM-DD."),
                source: Some(("mailingDate", "2026-06-01")),
            });
        }
    }
}

/// Checks an optional `destinationZIPCode`: exactly 5 digits.
fn check_zip(zip: Option<&str>, problems: &mut Vec<Problem>) {
    if let Some(zip) = zip {
        if zip.len() != 5 || !zip.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(Problem {
                code: None,
                title: "Invalid destinationZIPCode",
                detail: format!("destinationZIPCode {zip} must be 5 digits."),
                source: Some(("destinationZIPCode", "12345")),
            });
        }
    }
}

fn rejection(api_version: &str, message: &str, problems: Vec<Problem>) -> Rejection {
    let mut rejection = Rejection::new(StatusCode::BAD_REQUEST, message, problems);
    rejection.body.api_version = Some(api_version.to_string());
    rejection
}

/// Builds the standard error body with one inventory code.
fn error_body(api_version: &str, status: u16, code: &str, message: &str) -> Value {
    let detail = ErrorDetail {
        status: Some(status.to_string()),
        code: Some(code.to_string()),
        title: Some(
            if status == 404 {
                "Not Found"
            } else {
                "Bad Request"
            }
            .to_string(),
        ),
        detail: Some(message.to_string()),
        source: None,
    };
    serde_json::to_value(ErrorMessage::new(api_version, status, message, detail))
        .expect("error bodies serialize")
}

fn last_value(pairs: &Pairs, name: &str) -> Option<String> {
    pairs
        .iter()
        .rev()
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_of_known_numbers_is_200() {
        let body = br#"[{"trackingNumber":"9400100000000000000991"},{"trackingNumber":"9400100000000000000421"}]"#;
        let (status, value) = batch(body).unwrap();
        assert_eq!(status, StatusCode::OK);
        let entries = value.as_array().unwrap();
        assert_eq!(entries[0]["statusCategory"], "Delivered");
        assert_eq!(entries[0]["trackingEvents"].as_array().unwrap().len(), 8);
        assert!(entries[0]["deliveryDateExpectation"]
            .get("expectedDeliveryDate")
            .is_none());
        assert_eq!(entries[1]["statusCategory"], "In Transit");
        assert_eq!(
            entries[1]["trackingEvents"][0]["eventType"],
            "In Transit to Next Facility"
        );
        assert!(entries[1].get("statusCode").is_none());
    }

    #[test]
    fn batch_with_unknown_is_207() {
        let body = br#"[{"trackingNumber":"9400100000000000000031"},{"trackingNumber":"9400100000000000000101"}]"#;
        let (status, value) = batch(body).unwrap();
        assert_eq!(status, StatusCode::MULTI_STATUS);
        let entries = value.as_array().unwrap();
        assert_eq!(entries[0]["statusCode"], "404");
        assert_eq!(entries[0]["trackingNumber"], "9400100000000000000031");
        assert_eq!(entries[0]["error"]["errors"][0]["code"], "150002");
        assert_eq!(entries[1]["statusCode"], "200");
        assert_eq!(
            entries[1]["status"],
            "Shipping Label Created, USPS Awaiting Item"
        );
    }

    #[test]
    fn batch_over_35_rejected() {
        let items: Vec<Value> = (0..36)
            .map(|_| json!({"trackingNumber": "9400100000000000000991"}))
            .collect();
        let body = serde_json::to_vec(&items).unwrap();
        let rejection = batch(&body).unwrap_err();
        assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn destination_zip_is_used() {
        let body = br#"[{"trackingNumber":"9400100000000000000991","destinationZIPCode":"62701"}]"#;
        let (_, value) = batch(body).unwrap();
        let latest = &value[0]["trackingEvents"][0];
        assert_eq!(latest["eventZIPCode"], "62701");
        assert_eq!(latest["eventCity"], "SPRINGFIELD");
        assert_eq!(latest["eventState"], "IL");
    }

    #[test]
    fn single_detail_and_summary() {
        let pairs = vec![
            (
                "trackingNumber".to_string(),
                "9400100000000000000421".to_string(),
            ),
            ("expand".to_string(), "DETAIL".to_string()),
        ];
        let detail = single(&pairs).unwrap();
        assert_eq!(detail["statusCategory"], "In Transit");
        assert!(detail["trackingEvents"][1].get("eventZIP").is_some());
        let summary = single(&pairs[..1]).unwrap();
        assert_eq!(summary["eventSummaries"].as_array().unwrap().len(), 5);
        let lower = vec![pairs[0].clone(), ("expand".into(), "detail".into())];
        assert_eq!(single(&lower).unwrap_err().status, StatusCode::BAD_REQUEST);
        let bad_date = vec![
            pairs[0].clone(),
            ("mailingDate".into(), "06/01/2026".into()),
        ];
        let rejection = single(&bad_date).unwrap_err();
        assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            rejection.body.error.errors[0].title.as_deref(),
            Some("Invalid mailingDate")
        );
    }

    #[test]
    fn single_unknown_is_400_with_code() {
        let pairs = vec![(
            "trackingNumber".to_string(),
            "9400100000000000000031".to_string(),
        )];
        let rejection = single(&pairs).unwrap_err();
        assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            rejection.body.error.errors[0].code.as_deref(),
            Some("150002")
        );
    }
}
