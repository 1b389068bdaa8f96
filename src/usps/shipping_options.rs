//! Request and response bodies of Shipping Options 3.0 (`POST /shipments/v3/options/search`)
//! for domestic packages, with the spec's field names.
//!
//! The spec's request is a `oneOf` of a domestic and an international shape. A domestic
//! request must leave out `destinationCountryCode`: USPS rejects one that carries it with
//! "Instance failed to match exactly one schema", a message that names no field.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::prices::{decimal_number, Fee, PriceType};

/// `mailClass` values of a domestic package description, including the spec's
/// `ALL_OUTBOUND` and `ALL_RETURNS` groups. `ALL` is deprecated and converts to
/// `ALL_OUTBOUND`.
pub const MAIL_CLASSES: &[&str] = &[
    "PARCEL_SELECT",
    "PARCEL_SELECT_LIGHTWEIGHT",
    "USPS_CONNECT_LOCAL",
    "USPS_CONNECT_REGIONAL",
    "USPS_CONNECT_MAIL",
    "USPS_GROUND_ADVANTAGE",
    "USPS_GROUND_ADVANTAGE_RETURN_SERVICE",
    "PRIORITY_MAIL_EXPRESS",
    "PRIORITY_MAIL_EXPRESS_RETURN_SERVICE",
    "PRIORITY_MAIL",
    "PRIORITY_MAIL_RETURN_SERVICE",
    "FIRST-CLASS_PACKAGE_SERVICE",
    "LIBRARY_MAIL",
    "MEDIA_MAIL",
    "BOUND_PRINTED_MATTER",
    "ALL",
    "ALL_OUTBOUND",
    "ALL_RETURNS",
];

/// Body of a domestic `POST /shipments/v3/options/search` (`DomesticOptionsRequest`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DomesticOptionsRequest {
    pub pricing_options: Vec<PricingOptionRequest>,
    #[serde(rename = "originZIPCode")]
    pub origin_zip_code: String,
    #[serde(rename = "destinationZIPCode")]
    pub destination_zip_code: String,
    pub package_description: PackageDescription,
}

/// One `pricingOptions` entry of a request: the price type to quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricingOptionRequest {
    pub price_type: PriceType,
}

/// `DomesticPackageDescription`: weight in pounds, dimensions in inches, all above zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageDescription {
    #[serde(with = "decimal_number")]
    pub weight: Decimal,
    #[serde(with = "decimal_number")]
    pub length: Decimal,
    #[serde(with = "decimal_number")]
    pub width: Decimal,
    #[serde(with = "decimal_number")]
    pub height: Decimal,
    /// One of [`MAIL_CLASSES`].
    pub mail_class: String,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailing_date: Option<String>,
}

/// Body of a 200 (`DomesticOptionsResponse`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomesticOptionsResponse {
    #[serde(rename = "originZIPCode", default)]
    pub origin_zip_code: Option<String>,
    #[serde(rename = "destinationZIPCode", default)]
    pub destination_zip_code: Option<String>,
    #[serde(default)]
    pub pricing_options: Vec<PricingOptionResult>,
}

/// One `pricingOptions` entry of a response: the shipping options of one price type.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PricingOptionResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_type: Option<String>,
    #[serde(default)]
    pub shipping_options: Vec<ShippingOption>,
}

/// The rate options of one mail class (`DomesticOptions`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingOption {
    #[serde(default)]
    pub mail_class: String,
    #[serde(default)]
    pub rate_options: Vec<OptionRate>,
}

/// One priced way to ship (`DomesticRateOptions`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionRate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Commitment>,
    #[serde(
        default,
        with = "decimal_number::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_price: Option<Decimal>,
    #[serde(
        default,
        with = "decimal_number::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_base_price: Option<Decimal>,
    #[serde(default)]
    pub rates: Vec<OptionRateDetails>,
}

/// One rate of an [`OptionRate`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionRateDetails {
    #[serde(rename = "SKU", default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(
        default,
        with = "decimal_number::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default)]
    pub fees: Vec<Fee>,
}

/// The delivery commitment of an option, such as "2-Day".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commitment {
    #[serde(default)]
    pub name: String,
    /// Deprecated in the spec in favour of `expectedDeliveryDate`; USPS still sends both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_delivery_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_delivery_date: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn domestic_request_has_no_country() {
        let request = DomesticOptionsRequest {
            pricing_options: vec![PricingOptionRequest {
                price_type: PriceType::Retail,
            }],
            origin_zip_code: "62701".into(),
            destination_zip_code: "62704".into(),
            package_description: PackageDescription {
                weight: Decimal::ONE,
                length: Decimal::from(6),
                width: Decimal::from(4),
                height: Decimal::from(2),
                mail_class: "ALL_OUTBOUND".into(),
                mailing_date: Some("2026-05-04".into()),
            },
        };
        let value = serde_json::to_value(&request).unwrap();
        let expected = serde_json::json!({
            "pricingOptions": [{"priceType": "RETAIL"}],
            "originZIPCode": "62701",
            "destinationZIPCode": "62704",
            "packageDescription": {"weight": 1.0, "length": 6.0, "width": 4.0, "height": 2.0,
                "mailClass": "ALL_OUTBOUND", "mailingDate": "2026-05-04"}
        });
        assert_eq!(value, expected);
        assert!(value.get("destinationCountryCode").is_none());
        let with_country = r#"{"pricingOptions":[{"priceType":"RETAIL"}],"originZIPCode":"62701",
            "destinationZIPCode":"62704","destinationCountryCode":"US","packageDescription":
            {"weight":1,"length":6,"width":4,"height":2,"mailClass":"ALL"}}"#;
        assert!(serde_json::from_str::<DomesticOptionsRequest>(with_country).is_err());
    }

    #[test]
    fn example_response_parses() {
        let body = r#"{"originZIPCode": "05485-8016", "destinationZIPCode": "38746-0230",
            "pricingOptions": [{"shippingOptions": [{"mailClass": "PARCEL_SELECT",
            "rateOptions": [{"commitment": {"name": "3 Days", "scheduleDeliveryDate": "2024-05-04"},
            "totalPrice": 3.4, "totalBasePrice": 3.4, "rates": [{"description":
            "Parcel Select Nonmachinable DDU Single-piece", "price": 3.4, "zone": "00",
            "weight": 1.0, "dimensionalWeight": 0.0, "fees": [], "SKU": "DVXP0XXUXC00010"}],
            "extraServices": [{"name": "Global Direct Entry", "price": 0.0, "SKU": "NA"}]}]}]}]}"#;
        let response: DomesticOptionsResponse = serde_json::from_str(body).unwrap();
        let option = &response.pricing_options[0].shipping_options[0];
        assert_eq!(option.mail_class, "PARCEL_SELECT");
        let rate = &option.rate_options[0];
        assert_eq!(rate.total_price, Decimal::from_str("3.4").ok());
        assert_eq!(rate.commitment.as_ref().unwrap().name, "3 Days");
    }
}
