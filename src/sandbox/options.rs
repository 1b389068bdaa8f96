//! Shipping Options in the sandbox: `POST /shipments/v3/options/search` for domestic
//! packages. Each mail class is priced by the rate table of [`super::rates`] as machinable,
//! single-piece and with no entry facility, and gets an invented delivery commitment.

use axum::http::StatusCode;
use jiff::civil::Date;
use jiff::ToSpan;
use serde_json::Value;

use crate::usps::prices::{
    single_piece_indicator, BaseRatesQuery, DestinationEntryFacilityType, MailClass, PriceType,
    ProcessingCategory,
};
use crate::usps::shipping_options::{
    Commitment, DomesticOptionsRequest, DomesticOptionsResponse, OptionRate, OptionRateDetails,
    PricingOptionResult, ShippingOption,
};

use super::rates::{bad_request, price, validate};
use super::rejection::{Problem, Rejection};

/// `apiVersion` of Shipping Options error bodies.
const API_VERSION: &str = "/shipments/v3/";

/// Classes quoted for `ALL` and `ALL_OUTBOUND`.
const OUTBOUND: &[MailClass] = &[
    MailClass::UspsGroundAdvantage,
    MailClass::PriorityMail,
    MailClass::PriorityMailExpress,
    MailClass::ParcelSelect,
];
/// Classes quoted for `ALL_RETURNS`.
const RETURNS: &[MailClass] = &[
    MailClass::UspsGroundAdvantageReturnService,
    MailClass::PriorityMailReturnService,
    MailClass::PriorityMailExpressReturnService,
];

/// Quotes a domestic options search body, or rejects it as USPS would.
pub(crate) fn options(body: &[u8], today: Date) -> Result<DomesticOptionsResponse, Rejection> {
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        shipments_error(bad_request(
            None,
            "Invalid request body",
            format!("The body is not JSON: {error}."),
            None,
        ))
    })?;
    // USPS validates the body against a oneOf of the domestic and international shapes. A
    // request with both a destination ZIP Code and a country matches both, and USPS responds
    // with this message, which names no field.
    if value.get("destinationCountryCode").is_some() && value.get("destinationZIPCode").is_some() {
        return Err(shipments_error(Rejection::single(
            StatusCode::BAD_REQUEST,
            "OASValidation OpenAPI-Spec-Validation-Default with resource \"oas://options-v3.yaml\": failed with reason: \"[ERROR - Instance failed to match exactly one schema (matched 2 out of 2): []]\"",
            Problem {
                code: None,
                title: "Instance failed to match exactly one schema",
                detail: "Instance failed to match exactly one schema (matched 2 out of 2).".into(),
                source: None,
            },
        )));
    }
    let request: DomesticOptionsRequest = serde_json::from_value(value).map_err(|error| {
        shipments_error(bad_request(
            None,
            "Invalid request body",
            format!("{error}."),
            None,
        ))
    })?;
    let package = &request.package_description;
    let dimensions = [package.length, package.width, package.height];
    if package.weight.is_sign_negative()
        || package.weight.is_zero()
        || dimensions
            .iter()
            .any(|value| value.is_sign_negative() || value.is_zero())
    {
        return Err(shipments_error(bad_request(
            None,
            "Invalid package description",
            "weight, length, width and height must be greater than 0.".into(),
            Some("packageDescription"),
        )));
    }
    let Some(pricing) = request.pricing_options.first() else {
        return Err(shipments_error(bad_request(
            None,
            "Invalid request body",
            "pricingOptions must contain at least one entry.".into(),
            Some("pricingOptions"),
        )));
    };
    let classes: Vec<MailClass> = match package.mail_class.as_str() {
        "ALL" | "ALL_OUTBOUND" => OUTBOUND.to_vec(),
        "ALL_RETURNS" => RETURNS.to_vec(),
        other => match MailClass::parse(other) {
            Some(class) => vec![class],
            None => {
                return Err(shipments_error(bad_request(
                    None,
                    "Invalid mail class",
                    format!("mailClass {other} is not a domestic mail class."),
                    Some("mailClass"),
                )))
            }
        },
    };

    let mailing_date = match &package.mailing_date {
        Some(text) => text.parse::<Date>().map_err(|_| {
            shipments_error(bad_request(
                None,
                "Invalid mailing date",
                format!("mailingDate {text} is not a date as YYYY-MM-DD."),
                Some("mailingDate"),
            ))
        })?,
        None => today,
    };
    let mut shipping_options = Vec::new();
    let mut last_rejection = None;
    for class in classes {
        match quote_class(&request, class, pricing.price_type, mailing_date, today) {
            Ok(option) => shipping_options.push(option),
            // A class that cannot take the package is left out of a group quote.
            Err(rejection) => last_rejection = Some(rejection),
        }
    }
    if shipping_options.is_empty() {
        if let Some(rejection) = last_rejection {
            return Err(shipments_error(rejection));
        }
    }
    Ok(DomesticOptionsResponse {
        origin_zip_code: Some(request.origin_zip_code.clone()),
        destination_zip_code: Some(request.destination_zip_code.clone()),
        pricing_options: vec![PricingOptionResult {
            price_type: Some(pricing.price_type.as_str().to_string()),
            shipping_options,
        }],
    })
}

/// Prices one mail class for the package of `request` and adds its delivery commitment.
fn quote_class(
    request: &DomesticOptionsRequest,
    class: MailClass,
    price_type: PriceType,
    mailing_date: Date,
    today: Date,
) -> Result<ShippingOption, Rejection> {
    let package = &request.package_description;
    let query = BaseRatesQuery {
        origin_zip_code: request.origin_zip_code.clone(),
        destination_zip_code: request.destination_zip_code.clone(),
        weight: package.weight,
        length: package.length,
        width: package.width,
        height: package.height,
        mail_class: class,
        processing_category: ProcessingCategory::Machinable,
        rate_indicator: single_piece_indicator(
            class,
            [package.length, package.width, package.height],
        ),
        destination_entry_facility_type: DestinationEntryFacilityType::None,
        price_type,
        mailing_date: Some(mailing_date.to_string()),
    };
    validate(&query, today)?;
    let priced = price(&query);
    let rate = &priced.rates[0];
    let zone: u8 = rate
        .zone
        .as_deref()
        .and_then(|zone| zone.parse().ok())
        .unwrap_or(8);
    let days = delivery_days(class, zone);
    let delivery = mailing_date
        .checked_add(i64::from(days).days())
        .unwrap_or(mailing_date)
        .to_string();
    let name = if days == 1 {
        "1 Day".to_string()
    } else {
        format!("{days} Days")
    };
    Ok(ShippingOption {
        mail_class: class.as_str().to_string(),
        rate_options: vec![OptionRate {
            commitment: Some(Commitment {
                name,
                schedule_delivery_date: Some(delivery.clone()),
                expected_delivery_date: Some(delivery),
            }),
            total_price: None,
            total_base_price: priced.total_base_price,
            rates: vec![OptionRateDetails {
                sku: rate.sku.clone(),
                description: rate.description.clone(),
                price: rate.price,
                zone: rate.zone.clone(),
                fees: rate.fees.clone(),
            }],
        }],
    })
}

/// Calendar days from mailing to delivery, invented for the sandbox: Priority Mail Express 1
/// or 2, Priority Mail 1 to 3, Ground Advantage 2 to 5 and Parcel Select one more, by zone,
/// plus 2 for zone 9.
pub(crate) fn delivery_days(mail_class: MailClass, zone: u8) -> u32 {
    let base = match mail_class {
        MailClass::PriorityMailExpress | MailClass::PriorityMailExpressReturnService => {
            if zone <= 4 {
                1
            } else {
                2
            }
        }
        MailClass::PriorityMail | MailClass::PriorityMailReturnService => match zone {
            0..=2 => 1,
            3..=5 => 2,
            _ => 3,
        },
        MailClass::ParcelSelect | MailClass::ParcelSelectLightweight => ground_days(zone) + 1,
        MailClass::MediaMail | MailClass::LibraryMail => 8,
        MailClass::BoundPrintedMatter => 7,
        _ => ground_days(zone),
    };
    if zone == 9 {
        base + 2
    } else {
        base
    }
}

fn ground_days(zone: u8) -> u32 {
    match zone {
        0..=2 => 2,
        3..=4 => 3,
        5..=6 => 4,
        _ => 5,
    }
}

fn shipments_error(mut rejection: Rejection) -> Rejection {
    rejection.body.api_version = Some(API_VERSION.to_string());
    rejection
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn today() -> Date {
        "2026-03-10".parse().unwrap()
    }

    fn body(extra: serde_json::Value) -> Vec<u8> {
        let mut value = serde_json::json!({
            "pricingOptions": [{"priceType": "RETAIL"}],
            "originZIPCode": "10001", "destinationZIPCode": "19103",
            "packageDescription": {"weight": 3, "length": 10, "width": 8, "height": 4,
                "mailClass": "ALL_OUTBOUND", "mailingDate": "2026-03-10"}
        });
        for (key, item) in extra.as_object().unwrap() {
            value[key] = item.clone();
        }
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn all_outbound_quotes_four_classes() {
        let response = options(&body(serde_json::json!({})), today()).unwrap();
        let options = &response.pricing_options[0].shipping_options;
        assert_eq!(options.len(), 4);
        let priority = options
            .iter()
            .find(|option| option.mail_class == "PRIORITY_MAIL")
            .unwrap();
        let rate = &priority.rate_options[0];
        // Zone 2, 3 lb: 9.00 + 2 × 1.50 + 0.90, delivered in 1 day.
        assert_eq!(rate.total_base_price, Decimal::from_str("12.90").ok());
        let commitment = rate.commitment.as_ref().unwrap();
        assert_eq!(
            commitment.expected_delivery_date.as_deref(),
            Some("2026-03-11")
        );
    }

    #[test]
    fn country_with_zip_is_rejected() {
        let rejection = options(
            &body(serde_json::json!({"destinationCountryCode": "US"})),
            today(),
        )
        .unwrap_err();
        assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
        assert!(rejection.body.error.message.contains("exactly one schema"));
    }

    #[test]
    fn zero_dimension_is_rejected() {
        let mut value: Value = serde_json::from_slice(&body(serde_json::json!({}))).unwrap();
        value["packageDescription"]["height"] = serde_json::json!(0);
        let rejection = options(&serde_json::to_vec(&value).unwrap(), today()).unwrap_err();
        assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
    }
}
