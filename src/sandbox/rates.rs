//! Domestic Prices in the sandbox: `POST /prices/v3/base-rates/search` and
//! `POST /prices/v3/total-rates/search`.
//!
//! Requests are validated here as the USPS spec and error inventory describe. Prices come
//! from the invented rate table of [`super::rate_table`], which has the real structure: a
//! zone from the distance between the two ZIP Codes, a weight rounded up to the pound (to
//! the ounce tier for light Ground Advantage), dimensional weight for large boxes, flat
//! rates, destination entry, and retail or commercial prices.

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::usps::prices::{
    check_combination, check_ingredients, dim_weight_applies, single_piece_indicator,
    BaseRatesQuery, BaseRatesResponse, DestinationEntryFacilityType, ExtraServicePrice, MailClass,
    PriceType, ProcessingCategory, RateIndicator, TotalRateOption, TotalRatesQuery,
    TotalRatesResponse,
};

use super::rate_table::{canonical, flat_rate, tariff};
use super::rejection::{Problem, Rejection};

pub(crate) use super::rate_table::{price, zone};

/// `apiVersion` of Domestic Prices error bodies.
pub(crate) const API_VERSION: &str = "/prices/v3/";

/// Inventory codes of Domestic Prices errors.
mod codes {
    pub const ZONE_NOT_FOUND: &str = "030001";
    pub const NO_SKU: &str = "030002";
    pub const UNSUPPORTED_DATE: &str = "030003";
    pub const WEIGHT: &str = "030004";
    pub const NOT_DIMENSIONAL: &str = "030007";
    pub const SIZE: &str = "030008";
    pub const PAST_DATE: &str = "160211";
}

/// Fields that `BaseRatesQuery` requires.
const REQUIRED: &[&str] = &[
    "originZIPCode",
    "destinationZIPCode",
    "weight",
    "length",
    "width",
    "height",
    "mailClass",
    "processingCategory",
    "rateIndicator",
    "destinationEntryFacilityType",
    "priceType",
];

/// Maximum weight of a domestic package, in pounds.
pub(super) const MAX_WEIGHT: i64 = 70;

/// Prices a base-rates search body, or rejects it as USPS would.
pub(crate) fn base_rates(
    body: &[u8],
    today: jiff::civil::Date,
) -> Result<BaseRatesResponse, Rejection> {
    let value = parse_body(body, REQUIRED)?;
    let query: BaseRatesQuery = serde_json::from_value(value)
        .map_err(|error| bad_request(None, "Invalid request body", format!("{error}."), None))?;
    validate(&query, today)?;
    Ok(price(&query))
}

/// Fields that `RateListQuery`, the package part of a total-rates search, requires. The
/// sandbox also requires `mailClass`, because it prices one class per request.
const TOTAL_REQUIRED: &[&str] = &[
    "originZIPCode",
    "destinationZIPCode",
    "weight",
    "length",
    "width",
    "height",
    "mailClass",
];

/// Extra services that the sandbox prices: code, name and price in cents, the same for
/// every mail class and price type.
const EXTRA_SERVICES: &[(u16, &str, i64)] = &[
    (415, "USPS Label Delivery", 125),
    (920, "USPS Tracking", 0),
    (921, "Signature Confirmation", 365),
    (922, "Adult Signature Required", 910),
];

/// Prices a total-rates search body: the machinable, single-piece, no-entry-facility rate
/// of the requested class, with each extra service.
pub(crate) fn total_rates(
    body: &[u8],
    today: jiff::civil::Date,
) -> Result<TotalRatesResponse, Rejection> {
    let value = parse_body(body, TOTAL_REQUIRED)?;
    let query: TotalRatesQuery = serde_json::from_value(value)
        .map_err(|error| bad_request(None, "Invalid request body", format!("{error}."), None))?;
    let base_query = BaseRatesQuery {
        origin_zip_code: query.origin_zip_code.clone(),
        destination_zip_code: query.destination_zip_code.clone(),
        weight: query.weight,
        length: query.length,
        width: query.width,
        height: query.height,
        mail_class: query.mail_class.expect("checked as required"),
        processing_category: ProcessingCategory::Machinable,
        rate_indicator: single_piece_indicator(
            query.mail_class.expect("checked as required"),
            [query.length, query.width, query.height],
        ),
        destination_entry_facility_type: DestinationEntryFacilityType::None,
        price_type: query.price_type.unwrap_or(PriceType::Retail),
        mailing_date: query.mailing_date.clone(),
    };
    validate(&base_query, today)?;
    let mut extra_services = Vec::new();
    for code in &query.extra_services {
        let Some((_, name, cents)) = EXTRA_SERVICES.iter().find(|(known, _, _)| known == code)
        else {
            return Err(bad_request(
                None,
                "Invalid extra service",
                format!("Extra service {code} is not available for this package."),
                Some("extraServices"),
            ));
        };
        extra_services.push(ExtraServicePrice {
            extra_service: code.to_string(),
            name: name.to_string(),
            sku: Some(format!("DXX{code}XXXXXX000")),
            price_type: Some(base_query.price_type.as_str().to_string()),
            price: Some(Decimal::new(*cents, 2)),
            warnings: Vec::new(),
        });
    }
    let base = price(&base_query);
    let total_base_price = base.total_base_price.expect("the rate table always prices");
    let extras: Decimal = extra_services.iter().filter_map(|extra| extra.price).sum();
    // The spec sends totalPrice only when extra services were requested.
    let total_price = (!extra_services.is_empty()).then_some(total_base_price + extras);
    Ok(TotalRatesResponse {
        rate_options: vec![TotalRateOption {
            total_base_price: Some(total_base_price),
            rates: base.rates,
            extra_services,
            total_price,
        }],
    })
}

/// Parses a JSON body and checks that each of `required` is present and not null.
pub(crate) fn parse_body(body: &[u8], required: &[&'static str]) -> Result<Value, Rejection> {
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        bad_request(
            None,
            "Invalid request body",
            format!("The body is not JSON: {error}."),
            None,
        )
    })?;
    for field in required {
        if matches!(value.get(field), None | Some(Value::Null)) {
            return Err(bad_request(
                None,
                "Missing required field",
                format!("{field} is required."),
                Some(field),
            ));
        }
    }
    Ok(value)
}

pub(crate) fn bad_request(
    code: Option<&'static str>,
    title: &'static str,
    detail: String,
    field: Option<&'static str>,
) -> Rejection {
    let mut rejection = Rejection::single(
        StatusCode::BAD_REQUEST,
        title,
        Problem {
            code,
            title,
            detail,
            source: field.map(|field| (field, "")),
        },
    );
    rejection.body.api_version = Some(API_VERSION.to_string());
    rejection
}

/// Checks a base-rates query: the package, the mailing date, the service, then size and
/// zone. Only the first failed check is reported.
pub(crate) fn validate(query: &BaseRatesQuery, today: jiff::civil::Date) -> Result<(), Rejection> {
    validate_package(query)?;
    check_mailing_date(query.mailing_date.as_deref(), today)?;
    validate_service(query)?;
    validate_size_and_zone(query)
}

/// Checks the ZIP Code patterns, the weight and that no dimension is negative.
fn validate_package(query: &BaseRatesQuery) -> Result<(), Rejection> {
    for (field, zip) in [
        ("originZIPCode", &query.origin_zip_code),
        ("destinationZIPCode", &query.destination_zip_code),
    ] {
        let digits = zip.get(..5).unwrap_or("");
        if zip.len() < 5 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(bad_request(
                None,
                "Invalid ZIP Code",
                format!("{field} must match ^\\d{{5}}(?:[-\\s]\\d{{4}})?$."),
                Some(field),
            ));
        }
    }
    if query.weight <= Decimal::ZERO || query.weight > Decimal::from(MAX_WEIGHT) {
        return Err(bad_request(
            Some(codes::WEIGHT),
            "Package weight does not qualify for this product.",
            format!(
                "weight {} is not above 0 and at most {MAX_WEIGHT} lb.",
                query.weight
            ),
            Some("weight"),
        ));
    }
    let dimensions = [query.length, query.width, query.height];
    if dimensions.iter().any(|value| *value < Decimal::ZERO) {
        return Err(bad_request(
            None,
            "Invalid dimensions",
            "length, width and height must not be negative.".to_string(),
            Some("length"),
        ));
    }
    Ok(())
}

/// Days ahead that a mailing date may be: "today plus 0 to 7 days" in the Prices specs.
const MAILING_DAYS_AHEAD: i64 = 7;

/// Checks a mailing date as the Prices APIs do: a past date is error 160211, and a date
/// more than [`MAILING_DAYS_AHEAD`] days ahead is error 030003 ("The provided mailing date
/// is not supported"). USPS's own message for 030003 names the earliest supported date, and
/// the sandbox's names the range.
///
/// `today` is the earliest date accepted: the gateway passes the day before New York's date,
/// for clients in time zones behind it. The latest date accepted is the 7th day after
/// Guam's date, which runs up to one day ahead of New York's, so 9 days after `today`.
pub(crate) fn check_mailing_date(
    mailing_date: Option<&str>,
    today: jiff::civil::Date,
) -> Result<(), Rejection> {
    use jiff::ToSpan;
    if let Some(date) = mailing_date {
        let parsed: jiff::civil::Date = date.parse().map_err(|_| {
            bad_request(
                None,
                "Invalid mailing date",
                format!("mailingDate {date} is not a date as YYYY-MM-DD."),
                Some("mailingDate"),
            )
        })?;
        if parsed < today {
            return Err(bad_request(
                Some(codes::PAST_DATE),
                "must be a date in the present or in the future",
                format!("mailingDate {date} is before {today}."),
                Some("mailingDate"),
            ));
        }
        let last = today
            .checked_add((MAILING_DAYS_AHEAD + 2).days())
            .unwrap_or(jiff::civil::Date::MAX);
        if parsed > last {
            return Err(bad_request(
                Some(codes::UNSUPPORTED_DATE),
                "The provided mailing date is not supported.",
                format!("mailingDate {date} is outside {today} to {last}."),
                Some("mailingDate"),
            ));
        }
    }
    Ok(())
}

/// Checks that the mail class takes the processing category and has prices in the table.
fn validate_service(query: &BaseRatesQuery) -> Result<(), Rejection> {
    if let Err(reason) = check_combination(query.mail_class, query.processing_category) {
        return Err(bad_request(
            Some(codes::NO_SKU),
            "Could not find working sku from SSF ingredients",
            format!("{reason}."),
            None,
        ));
    }
    if let Err(reason) = check_ingredients(
        query.mail_class,
        query.rate_indicator,
        query.destination_entry_facility_type,
        query.price_type,
    ) {
        return Err(bad_request(
            Some(codes::NO_SKU),
            "Could not find working sku from SSF ingredients",
            format!("{reason}."),
            None,
        ));
    }
    let indicator = query.rate_indicator.as_str();
    let priced_indicator = matches!(indicator, "SP" | "DR" | "DN" | "PA")
        || flat_rate(query.mail_class, indicator).is_some();
    if !priced_indicator {
        return Err(bad_request(
            Some(codes::NO_SKU),
            "Could not find working sku from SSF ingredients",
            format!("The sandbox has no prices for rate indicator {indicator}."),
            None,
        ));
    }
    if tariff(query.mail_class).is_none() {
        return Err(bad_request(
            Some(codes::NO_SKU),
            "Could not find working sku from SSF ingredients",
            format!(
                "The sandbox has no prices for {}.",
                query.mail_class.as_str()
            ),
            None,
        ));
    }
    Ok(())
}

/// Checks length plus girth against the class limit, then that a package under the
/// dimensional weight rule has a dimensional rate indicator, then that both ZIP Codes have a
/// zone.
fn validate_size_and_zone(query: &BaseRatesQuery) -> Result<(), Rejection> {
    let mut sorted = [query.length, query.width, query.height];
    sorted.sort();
    let length_and_girth = sorted[2] + Decimal::TWO * (sorted[0] + sorted[1]);
    let limit = Decimal::from(max_length_and_girth(query.mail_class));
    if length_and_girth > limit {
        return Err(bad_request(
            Some(codes::SIZE),
            "Package size exceeds maximum allowed for mail class",
            format!(
                "Length plus girth is {length_and_girth} in, over {limit} in for {}.",
                query.mail_class.as_str()
            ),
            Some("length"),
        ));
    }
    let dimensions = [query.length, query.width, query.height];
    if query.rate_indicator == RateIndicator::SinglePiece
        && dim_weight_applies(query.mail_class, dimensions)
    {
        return Err(bad_request(
            Some(codes::NOT_DIMENSIONAL),
            "Package dimensions and weight result in dimensional weight rule applying, but rate ingredients are not dimensional.",
            "The package is over one cubic foot; use rate indicator DR or DN.".to_string(),
            Some("rateIndicator"),
        ));
    }
    zone(
        &query.origin_zip_code[..5],
        &query.destination_zip_code[..5],
    )
    .ok_or_else(|| {
        bad_request(
            Some(codes::ZONE_NOT_FOUND),
            "Could not find zone from provided ZIPs, date, and mail class",
            format!(
                "No zone between {} and {}.",
                query.origin_zip_code, query.destination_zip_code
            ),
            None,
        )
    })?;
    Ok(())
}

/// Length plus girth limit in inches: 130 for Ground Advantage and Parcel Select, 108 for
/// the other classes.
fn max_length_and_girth(mail_class: MailClass) -> u32 {
    match canonical(mail_class) {
        MailClass::UspsGroundAdvantage | MailClass::ParcelSelect => 130,
        _ => 108,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn today() -> jiff::civil::Date {
        "2026-03-10".parse().unwrap()
    }

    fn body(overrides: serde_json::Value) -> Vec<u8> {
        let mut value = serde_json::json!({
            "originZIPCode": "10001", "destinationZIPCode": "10001", "weight": 3,
            "length": 0, "width": 0, "height": 0, "mailClass": "PRIORITY_MAIL",
            "processingCategory": "MACHINABLE", "rateIndicator": "SP",
            "destinationEntryFacilityType": "NONE", "priceType": "RETAIL",
            "mailingDate": "2026-03-10"
        });
        for (key, item) in overrides.as_object().unwrap() {
            value[key] = item.clone();
        }
        serde_json::to_vec(&value).unwrap()
    }

    fn code(rejection: &Rejection) -> Option<String> {
        rejection.body.error.errors[0].code.clone()
    }

    #[test]
    fn zones_follow_distance_bands() {
        assert_eq!(zone("10001", "10001"), Some(1));
        // New York to Philadelphia is about 80 miles.
        assert_eq!(zone("10001", "19103"), Some(2));
        // New York to Los Angeles is about 2,450 miles.
        assert_eq!(zone("10001", "90210"), Some(8));
        assert_eq!(zone("10001", "00901"), Some(9));
        assert_eq!(zone("10001", "00000"), None);
        assert_eq!(zone("10001", "09001"), Some(8), "military");
    }

    #[test]
    fn priority_price_from_table() {
        let response = base_rates(&body(serde_json::json!({})), today()).unwrap();
        // 9.00 + 2 further pounds at 1.50, zone 1.
        assert_eq!(response.total_base_price, Decimal::from_str("12.00").ok());
        assert_eq!(response.rates[0].zone.as_deref(), Some("01"));
        assert_eq!(response.rates[0].sku.as_deref(), Some("DPXM0XXXXR01003"));
    }

    #[test]
    fn light_ground_advantage_uses_ounces() {
        let response = base_rates(
            &body(
                serde_json::json!({"weight": 0.1875, "mailClass": "USPS_GROUND_ADVANTAGE",
                "destinationZIPCode": "19103"}),
            ),
            today(),
        )
        .unwrap();
        // 3 oz is in the 4 oz tier: 5.00 plus one zone step of 0.20.
        assert_eq!(response.total_base_price, Decimal::from_str("5.20").ok());
    }

    #[test]
    fn dimensional_weight_applies_over_a_cubic_foot() {
        let response = base_rates(
            &body(serde_json::json!({"length": 20, "width": 12, "height": 12,
                "priceType": "COMMERCIAL", "rateIndicator": "DR"})),
            today(),
        )
        .unwrap();
        // 2880 in³ / 166 = 17.35, so 18 lb: (9.00 + 17 × 1.50) × 0.9 = 31.05.
        let rate = &response.rates[0];
        assert_eq!(rate.dim_weight, Some(Decimal::from(18)));
        assert_eq!(rate.price, Decimal::from_str("31.05").ok());
    }

    #[test]
    fn total_rates_add_extra_services() {
        let body = serde_json::json!({
            "originZIPCode": "10001", "destinationZIPCode": "10001", "weight": 3,
            "length": 0, "width": 0, "height": 0, "mailClass": "PRIORITY_MAIL",
            "extraServices": [415, 921]
        });
        let response = total_rates(&serde_json::to_vec(&body).unwrap(), today()).unwrap();
        let option = &response.rate_options[0];
        assert_eq!(option.total_base_price, Decimal::from_str("12.00").ok());
        // 12.00 + 1.25 + 3.65.
        assert_eq!(option.total_price, Decimal::from_str("16.90").ok());
        assert_eq!(option.extra_services.len(), 2);

        let mut unknown = body.clone();
        unknown["extraServices"] = serde_json::json!([999]);
        let rejection = total_rates(&serde_json::to_vec(&unknown).unwrap(), today()).unwrap_err();
        assert_eq!(rejection.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn flat_rates_ignore_zone_and_weight() {
        for (destination, weight) in [("10001", 1), ("90210", 60)] {
            let response = base_rates(
                &body(serde_json::json!({"rateIndicator": "FS", "weight": weight,
                    "destinationZIPCode": destination, "length": 20, "width": 12,
                    "height": 12})),
                today(),
            )
            .unwrap();
            assert_eq!(response.total_base_price, Decimal::from_str("10.40").ok());
            assert_eq!(response.rates[0].dim_weight, Some(Decimal::ZERO));
        }
    }

    #[test]
    fn destination_entry_caps_the_zone() {
        let entry = |facility: &str| {
            base_rates(
                &body(serde_json::json!({"mailClass": "PARCEL_SELECT",
                    "destinationZIPCode": "90210", "priceType": "COMMERCIAL",
                    "destinationEntryFacilityType": facility})),
                today(),
            )
            .unwrap()
        };
        // Delivery unit: zone 00, 3.50 + 2 × 0.30.
        let ddu = entry("DESTINATION_DELIVERY_UNIT");
        assert_eq!(ddu.total_base_price, Decimal::from_str("4.10").ok());
        assert_eq!(ddu.rates[0].zone.as_deref(), Some("00"));
        assert_eq!(ddu.rates[0].sku.as_deref(), Some("DVDM0XXXXC00003"));
        // Sectional center: zone 8 charged as 2, 4.50 + 2 × 0.55 + 0.30.
        let scf = entry("DESTINATION_SECTIONAL_CENTER_FACILITY");
        assert_eq!(scf.total_base_price, Decimal::from_str("5.90").ok());
        assert_eq!(scf.rates[0].zone.as_deref(), Some("02"));
        // Network distribution center: zone 8 charged as 5, 5.50 + 2 × 0.75 + 4 × 0.40.
        let ndc = entry("DESTINATION_NETWORK_DISTRIBUTION_CENTER");
        assert_eq!(ndc.total_base_price, Decimal::from_str("8.60").ok());
    }

    #[test]
    fn rejections_carry_inventory_codes() {
        let cases = [
            (serde_json::json!({"weight": 71}), Some("030004")),
            (
                serde_json::json!({"length": 60, "width": 20, "height": 20}),
                Some("030008"),
            ),
            (
                serde_json::json!({"mailingDate": "2026-03-09"}),
                Some("160211"),
            ),
            (
                serde_json::json!({"mailClass": "PARCEL_SELECT", "processingCategory": "LETTERS"}),
                Some("030002"),
            ),
            (
                serde_json::json!({"destinationZIPCode": "00000"}),
                Some("030001"),
            ),
            (serde_json::json!({"mailClass": "OVERNIGHT"}), None),
            (
                serde_json::json!({"length": 20, "width": 12, "height": 12}),
                Some("030007"),
            ),
            (serde_json::json!({"rateIndicator": "E4"}), Some("030002")),
            (
                serde_json::json!({"destinationEntryFacilityType": "DESTINATION_DELIVERY_UNIT"}),
                Some("030002"),
            ),
            (
                serde_json::json!({"rateIndicator": "C1", "priceType": "COMMERCIAL"}),
                Some("030002"),
            ),
            (
                serde_json::json!({"mailingDate": "2026-03-20"}),
                Some("030003"),
            ),
            (serde_json::json!({"priceType": null}), None),
        ];
        for (overrides, expected) in cases {
            let rejection = base_rates(&body(overrides.clone()), today()).unwrap_err();
            assert_eq!(rejection.status, StatusCode::BAD_REQUEST, "{overrides}");
            assert_eq!(code(&rejection).as_deref(), expected, "{overrides}");
        }
    }
}
