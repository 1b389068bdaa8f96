//! Service Standards in the sandbox: `GET /service-standards/v3/estimates`.
//!
//! The delivery days are those of the Shipping Options commitments ([`delivery_days`]), by
//! mail class and by the zone between the two ZIP Codes, so that the two APIs agree.
//! Acceptance after the 17:00 cut-off moves the effective acceptance date to the next day.

use axum::http::StatusCode;
use jiff::civil::Date;
use jiff::ToSpan;

use crate::usps::prices::MailClass;
use crate::usps::service_standards::{Delivery, Estimate, MAIL_CLASSES, MAX_DAYS_AHEAD};

use super::options::delivery_days;
use super::params::Pairs;
use super::rates::zone;
use super::rejection::{Problem, Rejection};

/// `apiVersion` of Service Standards error bodies.
const API_VERSION: &str = "/service-standards/v3/";
/// Cut-off time of every acceptance location, `HHMM`.
const CUT_OFF: &str = "1700";

/// Inventory codes of Service Standards errors.
mod codes {
    pub const NO_STANDARD: &str = "040001";
    pub const ACCEPTANCE_DATE: &str = "040002";
}

/// Classes estimated when the request names none or `ALL`.
const ALL_CLASSES: &[&str] = &[
    "PRIORITY_MAIL_EXPRESS",
    "PRIORITY_MAIL",
    "USPS_GROUND_ADVANTAGE",
    "PARCEL_SELECT",
];

fn value<'p>(pairs: &'p Pairs, name: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.as_str())
}

fn bad_request(
    code: Option<&'static str>,
    title: &'static str,
    detail: String,
    parameter: &'static str,
) -> Rejection {
    let mut rejection = Rejection::single(
        StatusCode::BAD_REQUEST,
        title,
        Problem {
            code,
            title,
            detail,
            source: Some((parameter, "")),
        },
    );
    rejection.body.api_version = Some(API_VERSION.to_string());
    rejection
}

/// Returns the first ZIP Code of the directory that starts with a 3-digit prefix, which
/// stands for the prefix's area.
fn zip_for_prefix(prefix: &str) -> Option<String> {
    zipcodes::database()
        .iter()
        .find(|entry| entry.zip_code.starts_with(prefix))
        .map(|entry| entry.zip_code.clone())
}

/// Builds the estimates of a query, or rejects it as USPS would. `today` is the earliest
/// acceptance date accepted.
pub(crate) fn estimates(pairs: &Pairs, today: Date) -> Result<Vec<Estimate>, Rejection> {
    let origin = value(pairs, "originZIPCode").unwrap_or_default();
    let destination = value(pairs, "destinationZIPCode").unwrap_or_default();
    let digits = |text: &str| text.bytes().all(|byte| byte.is_ascii_digit());
    if !(matches!(origin.len(), 3 | 5 | 9) && digits(origin)) {
        return Err(bad_request(
            None,
            "Invalid originZIPCode",
            format!("originZIPCode {origin:?} must have 3, 5 or 9 digits."),
            "originZIPCode",
        ));
    }
    if !(matches!(destination.len(), 5 | 9) && digits(destination)) {
        return Err(bad_request(
            None,
            "Invalid destinationZIPCode",
            format!("destinationZIPCode {destination:?} must have 5 or 9 digits."),
            "destinationZIPCode",
        ));
    }
    let classes: Vec<&str> = match value(pairs, "mailClass") {
        None | Some("ALL") => ALL_CLASSES.to_vec(),
        Some(class) if MAIL_CLASSES.contains(&class) => vec![class],
        Some(class) => {
            return Err(bad_request(
                None,
                "Invalid mailClass",
                format!(
                    "mailClass {class} is not one of {}.",
                    MAIL_CLASSES.join(", ")
                ),
                "mailClass",
            ))
        }
    };

    let latest = today
        .checked_add((i64::from(MAX_DAYS_AHEAD) + 2).days())
        .unwrap_or(Date::MAX);
    let acceptance = match value(pairs, "acceptanceDate") {
        None => today.tomorrow().unwrap_or(today),
        Some(text) => text
            .parse::<Date>()
            .ok()
            .filter(|date| *date >= today && *date <= latest)
            .ok_or_else(|| {
                bad_request(
                    Some(codes::ACCEPTANCE_DATE),
                    "Invalid AcceptDate.",
                    format!(
                        "Invalid AcceptDate [{text}]. AcceptDate must be between [{today}] and \
                         [{latest}]."
                    ),
                    "acceptanceDate",
                )
            })?,
    };
    let time = value(pairs, "acceptanceTime").unwrap_or("0800");
    let valid_time = time.len() == 4 && digits(time) && time[..2] < *"24" && time[2..] < *"60";
    if !valid_time {
        return Err(bad_request(
            None,
            "Invalid acceptanceTime",
            format!("acceptanceTime {time:?} must match ^([0-1][0-9]|2[0-3])[0-5][0-9]$."),
            "acceptanceTime",
        ));
    }
    let effective = if time > CUT_OFF {
        acceptance.tomorrow().unwrap_or(acceptance)
    } else {
        acceptance
    };
    let weight = match value(pairs, "weight") {
        None => None,
        Some(text) => Some(
            text.parse::<f64>()
                .ok()
                .filter(|w| *w > 0.0)
                .ok_or_else(|| {
                    bad_request(
                        None,
                        "Invalid weight",
                        format!("weight {text:?} is not a number above 0."),
                        "weight",
                    )
                })?,
        ),
    };

    let origin5 = match origin.len() {
        3 => zip_for_prefix(origin),
        _ => Some(origin[..5].to_owned()),
    };
    let zone = origin5
        .as_deref()
        .and_then(|origin5| zone(origin5, &destination[..5]))
        .ok_or_else(|| {
            bad_request(
                Some(codes::NO_STANDARD),
                "A Commitment or Service Standard is not available for this ZIP Code pair.",
                format!("No service standard between {origin} and {destination}."),
                "destinationZIPCode",
            )
        })?;

    let mut estimates = Vec::new();
    for class in classes {
        let priced_as = MailClass::parse(class).unwrap_or(MailClass::UspsGroundAdvantage);
        let days = delivery_days(priced_as, zone);
        // Ground Advantage has one standard under a pound and one from a pound up; without a
        // weight both are returned, as the spec describes.
        let notes: Vec<Option<&str>> = match (class, weight) {
            ("USPS_GROUND_ADVANTAGE", None) => vec![
                Some("WEIGHT_LESS_THAN_1_POUND"),
                Some("WEIGHT_GREATER_THAN_OR_EQUAL_TO_1_POUND"),
            ],
            _ => vec![None],
        };
        for note in notes {
            let delivered = effective
                .checked_add(i64::from(days).days())
                .unwrap_or(effective);
            let message = if days == 1 {
                "1 Day".to_owned()
            } else {
                format!("{days} Days")
            };
            let expected = format!("{delivered}T18:00:00");
            estimates.push(Estimate {
                mail_class: class.to_owned(),
                notes: note.map(str::to_owned),
                destination_type: Some("STREET".into()),
                acceptance_date_time: Some(format!(
                    "{acceptance}T{}:{}:00",
                    &time[..2],
                    &time[2..]
                )),
                effective_acceptance_date: Some(effective.to_string()),
                cut_off_time: Some(CUT_OFF.into()),
                service_standard: Some(format!("{days:>2}")),
                service_standard_message: Some(message),
                delivery: Some(Delivery {
                    scheduled_delivery_date_time: Some(expected.clone()),
                    expected_delivery_date_time: Some(expected),
                    guaranteed_delivery: Some(class == "PRIORITY_MAIL_EXPRESS"),
                }),
            });
        }
    }
    Ok(estimates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("originZIPCode".to_owned(), "10001".to_owned()),
            ("destinationZIPCode".to_owned(), "90210".to_owned()),
            ("acceptanceDate".to_owned(), "2026-03-10".to_owned()),
        ];
        for (name, value) in extra {
            pairs.retain(|(key, _)| key != name);
            pairs.push((name.to_string(), value.to_string()));
        }
        pairs
    }

    fn today() -> Date {
        "2026-03-10".parse().unwrap()
    }

    #[test]
    fn days_follow_zone_and_class() {
        // New York to Beverly Hills is zone 8: Priority Mail 3 days, Express 2.
        let found = estimates(&pairs(&[("mailClass", "PRIORITY_MAIL")]), today()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].service_standard.as_deref(), Some(" 3"));
        let delivery = found[0].delivery.as_ref().unwrap();
        assert_eq!(
            delivery.expected_delivery_date_time.as_deref(),
            Some("2026-03-13T18:00:00")
        );
        let all = estimates(&pairs(&[]), today()).unwrap();
        // Ground Advantage without a weight has two estimates.
        assert_eq!(all.len(), 5);
    }

    #[test]
    fn late_acceptance_moves_a_day() {
        let found = estimates(
            &pairs(&[
                ("mailClass", "PRIORITY_MAIL_EXPRESS"),
                ("acceptanceTime", "1800"),
            ]),
            today(),
        )
        .unwrap();
        assert_eq!(
            found[0].effective_acceptance_date.as_deref(),
            Some("2026-03-11")
        );
    }

    #[test]
    fn rejections_carry_inventory_codes() {
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: [Case; 4] = [
            (&[("acceptanceDate", "2026-03-09")], Some("040002")),
            (&[("acceptanceDate", "2026-05-01")], Some("040002")),
            (&[("destinationZIPCode", "00000")], Some("040001")),
            (&[("mailClass", "OVERNIGHT")], None),
        ];
        for (extra, expected) in cases {
            let rejection = estimates(&pairs(extra), today()).unwrap_err();
            assert_eq!(rejection.status, StatusCode::BAD_REQUEST, "{extra:?}");
            assert_eq!(
                rejection.body.error.errors[0].code.as_deref(),
                expected,
                "{extra:?}"
            );
        }
    }
}
