//! Query values and response body of Service Standards 3.0
//! (`GET /service-standards/v3/estimates`), with the spec's field names.

use serde::{Deserialize, Serialize};

/// `mailClass` values of an estimates query. `LETTERS`, `FLATS` and `CARDS` are First-Class
/// Mail; `ALL` (or no value) requests every class.
pub const MAIL_CLASSES: &[&str] = &[
    "BOUND_PRINTED_MATTER",
    "FIRST-CLASS_PACKAGE_SERVICE",
    "CARDS",
    "FLATS",
    "LETTERS",
    "LIBRARY_MAIL",
    "MEDIA_MAIL",
    "PARCEL_SELECT",
    "PARCEL_SELECT_LIGHTWEIGHT",
    "PRIORITY_MAIL",
    "PRIORITY_MAIL_EXPRESS",
    "USPS_GROUND_ADVANTAGE",
    "ALL",
];

/// How far ahead an acceptance date may be, in days: "up to 30 days in advance" per the spec.
pub const MAX_DAYS_AHEAD: i32 = 30;

/// One element of a 200 (`Estimate`). The body is a JSON array of these.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    #[serde(default)]
    pub mail_class: String,
    /// `WEIGHT_LESS_THAN_1_POUND` or `WEIGHT_GREATER_THAN_OR_EQUAL_TO_1_POUND` when a class
    /// has two estimates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acceptance_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_acceptance_date: Option<String>,
    /// `HHMM`, such as `1700`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_off_time: Option<String>,
    /// Days as a two-character string padded with a space, such as `" 2"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_standard: Option<String>,
    /// The standard in words, such as `2 Days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_standard_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

/// The `delivery` object of an [`Estimate`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Deprecated in the spec in favour of `expectedDeliveryDateTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_delivery_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_delivery_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guaranteed_delivery: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_parses() {
        let body = r#"[{"mailClass": "PRIORITY_MAIL", "destinationType": "STREET",
            "acceptanceDateTime": "2026-03-10T08:00:00", "effectiveAcceptanceDate": "2026-03-10",
            "cutOffTime": "1800", "serviceStandard": " 2", "serviceStandardMessage": "2 Days",
            "delivery": {"expectedDeliveryDateTime": "2026-03-12T18:00:00",
                "guaranteedDelivery": false}}]"#;
        let estimates: Vec<Estimate> = serde_json::from_str(body).unwrap();
        assert_eq!(estimates[0].service_standard.as_deref(), Some(" 2"));
        let delivery = estimates[0].delivery.as_ref().unwrap();
        assert_eq!(delivery.guaranteed_delivery, Some(false));
    }
}
