//! Histories of the sandbox's tracking numbers, derived from the number alone so that every
//! run gets the same one. The two digits before the check digit (see [`scenario_digits`])
//! choose how far the piece has gone, and a SHA-256 hash of the number chooses its dates, mail
//! class and the real ZIP Codes it travels between.

use std::sync::LazyLock;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use zipcodes::Zipcode;

use crate::sandbox::directory::{directory, preferred_city};

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
pub(super) enum Scenario {
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
pub(super) fn scenario_digits(number: &str) -> u32 {
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
pub(super) fn scenario(number: &str) -> Scenario {
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
pub(super) struct History {
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
pub(super) fn build_history(
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
    pub(super) fn v3r2(&self) -> Value {
        let mut expectation = Map::new();
        if let Some(date) = self.expected_delivery {
            expectation.insert("expectedDeliveryDate".into(), json!(date.to_string()));
        }
        let mut detail = self.status_fields();
        detail.insert("deliveryDateExpectation".into(), Value::Object(expectation));
        detail.insert(
            "servicesEligibility".into(),
            json!({
                "proofOfDeliveryEnabled": false,
                "RREEnabled": false,
                "trackingProofOfDeliveryEnabled": false,
            }),
        );
        detail.insert("trackingEvents".into(), self.events_json("eventZIPCode"));
        Value::Object(detail)
    }

    /// Returns the fields that both endpoints' details share.
    fn status_fields(&self) -> Map<String, Value> {
        let latest = self.latest();
        let fields = json!({
            "trackingNumber": self.number,
            "mailClass": self.mail_class,
            "mailType": "DOMESTIC_MAIL",
            "serviceTypeCode": self.service_type_code,
            "status": latest.stage.event_type,
            "statusCategory": latest.stage.category,
            "statusSummary": latest.summary(),
            "services": ["USPS Tracking"],
        });
        match fields {
            Value::Object(fields) => fields,
            _ => unreachable!("json! of an object literal is an object"),
        }
    }

    /// Returns the events, newest first, with the ZIP Code under `zip_name`.
    fn events_json(&self, zip_name: &str) -> Value {
        let events = self
            .events
            .iter()
            .map(|event| Value::Object(event.fields(zip_name)))
            .collect();
        Value::Array(events)
    }

    /// Builds a `TrackingDetails` of the v3 spec (`expand=DETAIL`).
    pub(super) fn v3_detail(&self) -> Value {
        let mut detail = self.status_fields();
        let places = json!({
            "originCity": preferred_city(self.origin),
            "originState": self.origin.state,
            "originZIP": self.origin.zip_code,
            "destinationCity": preferred_city(self.destination),
            "destinationState": self.destination.state,
            "destinationZIP": self.destination.zip_code,
            "emailEnabled": true,
            "proofOfDeliveryEnabled": false,
        });
        if let Value::Object(mut places) = places {
            detail.append(&mut places);
        }
        if let Some(date) = self.expected_delivery {
            detail.insert(
                "expectedDeliveryTimeStamp".into(),
                json!(format!("{date}T20:00:00Z")),
            );
        }
        detail.insert("trackingEvents".into(), self.events_json("eventZIP"));
        Value::Object(detail)
    }

    /// Builds a `TrackingSummary` of the v3 spec (no `expand`, or `expand=SUMMARY`).
    pub(super) fn v3_summary(&self) -> Value {
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
}
