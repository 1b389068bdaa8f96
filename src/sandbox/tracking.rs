//! Package Tracking 3.0 in the sandbox: the batch endpoint `POST /tracking/v3r2/tracking` and
//! the single-number endpoint `GET /tracking/v3/tracking/{trackingNumber}`.
//!
//! A number's history is derived from the number alone, so every run gets the same one. The
//! two digits before the check digit (see [`scenario_digits`]) choose how far the piece has
//! gone, and a SHA-256 hash of the number chooses its dates, mail class and the real ZIP
//! Codes it travels between. `docs/sandbox.md` lists the rules.

use std::sync::LazyLock;

use axum::http::StatusCode;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use zipcodes::Zipcode;

use crate::usps::error::{ErrorDetail, ErrorMessage};
use crate::usps::tracking::MAX_BATCH_ITEMS;

use super::directory::{directory, preferred_city};
use super::params::Pairs;
use super::rejection::{Problem, Rejection};

/// `apiVersion` of the batch endpoint's error bodies.
const BATCH_API_VERSION: &str = "/tracking/v3r2";
/// `apiVersion` of the single-number endpoint's error bodies.
const SINGLE_API_VERSION: &str = "/tracking/v3";

/// Message of inventory code 150002, for a number that USPS has no scan of yet.
const NOT_YET_AVAILABLE: &str = "7: The tracking number may be incorrect or the status update is not yet available. Please verify your tracking number and try again later.";
/// Message of inventory code 150010.
const OTHER_SHIPPER: &str = "The tracking number may belong to another shipper. Please verify that you have a USPS tracking number for tracking on this site.";

/// First day of the sandbox's label dates; each number adds 0 to 89 days.
const FIRST_LABEL_DATE: Date = jiff::civil::date(2026, 6, 1);
/// Calendar days from the label date to the expected delivery date.
const DAYS_TO_DELIVERY: i64 = 3;

/// The place of an event.
#[derive(Clone, Copy)]
enum Place {
    Origin,
    /// The origin's processing plant, named after its city and state, without a ZIP Code.
    OriginPlant,
    /// No place, as USPS sends for "In Transit to Next Facility".
    Nowhere,
    Destination,
}

/// One step of the sandbox's delivery chain.
struct Stage {
    event_type: &'static str,
    event_code: &'static str,
    category: &'static str,
    place: Place,
    /// Hours after 14:00 UTC on the label date.
    hours: i64,
}

/// The delivery chain, oldest first. A history is a prefix of it.
const STAGES: &[Stage] = &[
    Stage {
        event_type: "Shipping Label Created, USPS Awaiting Item",
        event_code: "GX",
        category: "Pre-Shipment",
        place: Place::Origin,
        hours: 0,
    },
    Stage {
        event_type: "USPS in possession of item",
        event_code: "03",
        category: "Accepted",
        place: Place::Origin,
        hours: 3,
    },
    Stage {
        event_type: "Departed Post Office",
        event_code: "SF",
        category: "In Transit",
        place: Place::Origin,
        hours: 8,
    },
    Stage {
        event_type: "Arrived at USPS Regional Facility",
        event_code: "10",
        category: "In Transit",
        place: Place::OriginPlant,
        hours: 11,
    },
    Stage {
        event_type: "In Transit to Next Facility",
        event_code: "NT",
        category: "In Transit",
        place: Place::Nowhere,
        hours: 28,
    },
    Stage {
        event_type: "Arrived at Post Office",
        event_code: "07",
        category: "In Transit",
        place: Place::Destination,
        hours: 43,
    },
    Stage {
        event_type: "Out for Delivery",
        event_code: "OF",
        category: "Out for Delivery",
        place: Place::Destination,
        hours: 46,
    },
    Stage {
        event_type: "Delivered, In/At Mailbox",
        event_code: "01",
        category: "Delivered",
        place: Place::Destination,
        hours: 52,
    },
];

/// Mail classes, as the v3 spec spells them, picked by the number's hash.
const MAIL_CLASSES: &[(&str, &str)] = &[
    ("PRIORITY_MAIL", "001"),
    ("PRIORITY_MAIL_EXPRESS", "701"),
    ("PARCEL_SELECT", "612"),
];

/// The sandbox's scenario for a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// No scan yet: inventory code 150002, to be requested again later.
    NotYetAvailable,
    /// Inventory code 150010: not a number USPS tracks.
    OtherShipper,
    /// A history of this many stages of the delivery chain.
    Events(usize),
}

/// Returns the two digits that choose a number's scenario: the two before an IMpb number's
/// check digit, the last two of an S10 number's serial, or the number's hash for any other
/// form.
pub(crate) fn scenario_digits(number: &str) -> u32 {
    let bytes = number.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> { number.get(range)?.parse().ok() };
    let chosen = if bytes.iter().all(u8::is_ascii_digit) && bytes.len() >= 3 {
        digits(bytes.len() - 3..bytes.len() - 1)
    } else if bytes.len() == 13 {
        digits(8..10)
    } else {
        None
    };
    chosen.unwrap_or_else(|| (hash(number)[0] % 100) as u32)
}

/// Returns the scenario of a number, by [`scenario_digits`].
pub(crate) fn scenario(number: &str) -> Scenario {
    match scenario_digits(number) {
        0..=4 => Scenario::NotYetAvailable,
        5..=7 => Scenario::OtherShipper,
        8..=19 => Scenario::Events(1),
        20..=39 => Scenario::Events(2),
        40..=59 => Scenario::Events(5),
        60..=69 => Scenario::Events(7),
        _ => Scenario::Events(STAGES.len()),
    }
}

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
        if let Some(date) = text("mailingDate") {
            if date.parse::<Date>().is_err() {
                problems.push(Problem {
                    code: None,
                    title: "Invalid mailingDate",
                    detail: format!("mailingDate {date} is not a date as YYYY-MM-DD."),
                    source: Some(("mailingDate", "2026-06-01")),
                });
            }
        }
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

fn hash(number: &str) -> [u8; 32] {
    Sha256::digest(number.as_bytes()).into()
}

/// Active standard ZIP Codes in ascending order, from which histories pick their places.
static STANDARD_ZIPS: LazyLock<Vec<&'static Zipcode>> = LazyLock::new(|| {
    let mut zips: Vec<&'static Zipcode> = zipcodes::database()
        .iter()
        .filter(|entry| entry.active && entry.zip_code_type == "STANDARD")
        .collect();
    zips.sort_by(|a, b| a.zip_code.cmp(&b.zip_code));
    zips
});

/// A derived history, newest event first.
struct History {
    number: String,
    mail_class: &'static str,
    service_type_code: &'static str,
    origin: &'static Zipcode,
    destination: &'static Zipcode,
    events: Vec<Event>,
    expected_delivery: Option<Date>,
}

struct Event {
    stage: &'static Stage,
    at: Timestamp,
    zone: TimeZone,
    city: Option<String>,
    state: Option<String>,
    zip: Option<String>,
}

/// Derives the history of `number`, or the inventory code and message of its failure.
fn build_history(
    number: &str,
    destination_zip: Option<&str>,
) -> Result<History, (&'static str, &'static str)> {
    let stages = match scenario(number) {
        Scenario::NotYetAvailable => return Err(("150002", NOT_YET_AVAILABLE)),
        Scenario::OtherShipper => return Err(("150010", OTHER_SHIPPER)),
        Scenario::Events(stages) => stages,
    };
    let digest = hash(number);
    let pick = |byte: usize| -> u64 {
        u64::from_be_bytes(digest[byte..byte + 8].try_into().expect("8 bytes"))
    };
    let zips = &STANDARD_ZIPS;
    let origin = zips[(pick(0) % zips.len() as u64) as usize];
    let destination = destination_zip
        .and_then(|zip| directory().zip(zip))
        .unwrap_or(zips[(pick(8) % zips.len() as u64) as usize]);
    let (mail_class, service_type_code) =
        MAIL_CLASSES[(pick(16) % MAIL_CLASSES.len() as u64) as usize];
    let label_date = FIRST_LABEL_DATE
        .checked_add(((pick(24) % 90) as i64).days())
        .expect("the label dates stay within 2026");
    let start = label_date
        .at(14, 0, 0, 0)
        .to_zoned(TimeZone::UTC)
        .expect("a UTC time exists")
        .timestamp();

    let events = STAGES[..stages]
        .iter()
        .rev()
        .map(|stage| {
            let at = start + SignedDuration::from_hours(stage.hours);
            let (city, state, zip, zone_entry) = match stage.place {
                Place::Origin => (
                    Some(preferred_city(origin)),
                    Some(origin.state.clone()),
                    Some(origin.zip_code.clone()),
                    origin,
                ),
                Place::OriginPlant => (
                    Some(format!(
                        "{} {} DISTRIBUTION CENTER",
                        preferred_city(origin),
                        origin.state
                    )),
                    None,
                    None,
                    origin,
                ),
                Place::Nowhere => (None, None, None, origin),
                Place::Destination => (
                    Some(preferred_city(destination)),
                    Some(destination.state.clone()),
                    Some(destination.zip_code.clone()),
                    destination,
                ),
            };
            Event {
                stage,
                at,
                zone: time_zone(zone_entry),
                city,
                state,
                zip,
            }
        })
        .collect::<Vec<_>>();
    let delivered = stages == STAGES.len();
    Ok(History {
        number: number.to_string(),
        mail_class,
        service_type_code,
        origin,
        destination,
        events,
        expected_delivery: (!delivered).then(|| {
            label_date
                .checked_add(DAYS_TO_DELIVERY.days())
                .expect("the delivery dates stay within 2026")
        }),
    })
}

/// Returns the time zone of a ZIP Code, or New York's when the directory has none.
fn time_zone(entry: &Zipcode) -> TimeZone {
    TimeZone::get(&entry.timezone)
        .or_else(|_| TimeZone::get("America/New_York"))
        .unwrap_or(TimeZone::UTC)
}

impl Event {
    /// Returns the fields that both endpoints share; the ZIP Code's name differs.
    fn fields(&self, zip_name: &str) -> Map<String, Value> {
        let local = self.at.to_zoned(self.zone.clone());
        let mut fields = Map::new();
        fields.insert("eventType".into(), json!(self.stage.event_type));
        fields.insert(
            "eventTimestamp".into(),
            json!(local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()),
        );
        fields.insert(
            "GMTTimestamp".into(),
            json!(self.at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
        fields.insert("GMTOffset".into(), json!(local.strftime("%:z").to_string()));
        fields.insert("eventCountry".into(), json!("US"));
        fields.insert("eventCity".into(), json!(self.city));
        fields.insert("eventState".into(), json!(self.state));
        fields.insert(zip_name.into(), json!(self.zip));
        fields.insert("eventCode".into(), json!(self.stage.event_code));
        fields
    }

    /// Describes the event in one line, as `eventSummaries` and `statusSummary` do.
    fn summary(&self) -> String {
        let local = self.at.to_zoned(self.zone.clone());
        let when = local.strftime("%B %-d, %Y, %-I:%M %P").to_string();
        let place = match (&self.city, &self.state, &self.zip) {
            (Some(city), Some(state), Some(zip)) => format!(", {city}, {state} {zip}"),
            (Some(city), _, _) => format!(", {city}"),
            _ => String::new(),
        };
        format!("{}, {when}{place}", self.stage.event_type)
    }
}

impl History {
    fn latest(&self) -> &Event {
        self.events
            .first()
            .expect("a history has at least one event")
    }

    /// Builds a `TrackingDetail` of the v3r2 spec.
    fn v3r2(&self) -> Value {
        let latest = self.latest();
        let mut expectation = Map::new();
        if let Some(date) = self.expected_delivery {
            expectation.insert("expectedDeliveryDate".into(), json!(date.to_string()));
        }
        json!({
            "trackingNumber": self.number,
            "mailClass": self.mail_class,
            "mailType": "DOMESTIC_MAIL",
            "serviceTypeCode": self.service_type_code,
            "status": latest.stage.event_type,
            "statusCategory": latest.stage.category,
            "statusSummary": latest.summary(),
            "services": ["USPS Tracking"],
            "deliveryDateExpectation": expectation,
            "servicesEligibility": {
                "proofOfDeliveryEnabled": false,
                "RREEnabled": false,
                "trackingProofOfDeliveryEnabled": false,
            },
            "trackingEvents": self.events.iter().map(|event| Value::Object(event.fields("eventZIPCode"))).collect::<Vec<_>>(),
        })
    }

    /// Builds a `TrackingDetails` of the v3 spec (`expand=DETAIL`).
    fn v3_detail(&self) -> Value {
        let latest = self.latest();
        let mut detail = json!({
            "trackingNumber": self.number,
            "mailClass": self.mail_class,
            "mailType": "DOMESTIC_MAIL",
            "serviceTypeCode": self.service_type_code,
            "status": latest.stage.event_type,
            "statusCategory": latest.stage.category,
            "statusSummary": latest.summary(),
            "originCity": preferred_city(self.origin),
            "originState": self.origin.state,
            "originZIP": self.origin.zip_code,
            "destinationCity": preferred_city(self.destination),
            "destinationState": self.destination.state,
            "destinationZIP": self.destination.zip_code,
            "emailEnabled": true,
            "proofOfDeliveryEnabled": false,
            "services": ["USPS Tracking"],
            "trackingEvents": self.events.iter().map(|event| Value::Object(event.fields("eventZIP"))).collect::<Vec<_>>(),
        });
        if let Some(date) = self.expected_delivery {
            detail["expectedDeliveryTimeStamp"] = json!(format!("{date}T20:00:00Z"));
        }
        detail
    }

    /// Builds a `TrackingSummary` of the v3 spec (no `expand`, or `expand=SUMMARY`).
    fn v3_summary(&self) -> Value {
        let mut summary = json!({
            "trackingNumber": self.number,
            "eventSummaries": self.events.iter().map(Event::summary).collect::<Vec<_>>(),
        });
        if let Some(date) = self.expected_delivery {
            summary["expectedDeliveryDate"] = json!(date.to_string());
            summary["expectedDeliveryTime"] = json!("8:00 pm");
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_digits_by_format() {
        assert_eq!(scenario_digits("9400100000000000000427"), 42);
        assert_eq!(scenario_digits("EA123456785US"), 78);
    }

    #[test]
    fn scenarios_by_digits() {
        assert_eq!(
            scenario("9400100000000000000031"),
            Scenario::NotYetAvailable
        );
        assert_eq!(scenario("9400100000000000000061"), Scenario::OtherShipper);
        assert_eq!(scenario("9400100000000000000101"), Scenario::Events(1));
        assert_eq!(scenario("9400100000000000000991"), Scenario::Events(8));
    }

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
