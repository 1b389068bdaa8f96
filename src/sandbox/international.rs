//! International Prices in the sandbox: `POST /international-prices/v3/base-rates/search`
//! and `POST /international-prices/v3/total-rates/search`.
//!
//! Requests are validated as the spec and the error inventory describe. Prices come from an
//! invented rate table with the real structure. Each destination country belongs to a price
//! group. The price depends on the mail class, the container (rate indicator), the price
//! group, the weight and the price type, with dimensional weight over one cubic foot.
//! First-Class Package International Service is priced by ounce tiers, the other classes by
//! the pound. The numbers are documented in `docs/sandbox.md` and are not USPS prices.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::usps::international_prices::{
    check_international_combination, InternationalBaseRatesQuery, InternationalEntryFacility,
    InternationalMailClass, InternationalPriceType, InternationalRateIndicator,
    InternationalTotalRatesQuery,
};
use crate::usps::prices::{
    BaseRatesResponse, ExtraServicePrice, RateDetails, TotalRateOption, TotalRatesResponse,
};

use super::rates::{check_mailing_date, parse_body};
use super::rejection::Rejection;

/// `apiVersion` of International Prices error bodies.
const API_VERSION: &str = "/international-prices/v3/";

/// Inventory codes of International Prices errors.
mod codes {
    pub const NO_SKU: &str = "030002";
    pub const WEIGHT: &str = "030004";
    pub const SIZE: &str = "030008";
    pub const GROUP_WEIGHT: &str = "030009";
    pub const NO_PRICE_GROUP: &str = "030013";
    pub const NO_EXTRA_SERVICE: &str = "030021";
    pub const ITEM_VALUE: &str = "030024";
}

/// Fields that the spec's international `BaseRatesQuery` requires.
const REQUIRED: &[&str] = &[
    "originZIPCode",
    "destinationCountryCode",
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

/// Fields that `InternationalRateListQuery` requires, plus `mailClass`, because the sandbox
/// prices one class per request.
const TOTAL_REQUIRED: &[&str] = &[
    "originZIPCode",
    "destinationCountryCode",
    "weight",
    "length",
    "width",
    "height",
    "mailClass",
];

/// Price groups of the destination countries that the sandbox serves. A country that is
/// not listed has no price group, for which USPS returns error 030013.
const PRICE_GROUPS: &[(u8, &[&str])] = &[
    (1, &["CA"]),
    (2, &["MX"]),
    (3, &["BS", "BM", "JM", "DO", "HT", "TT", "BB"]),
    (4, &["GT", "CR", "PA", "CO", "PE", "EC", "SV", "HN"]),
    (5, &["GB", "IE"]),
    (
        6,
        &[
            "DE", "FR", "NL", "BE", "LU", "ES", "IT", "PT", "AT", "CH", "SE", "DK", "NO", "FI",
            "PL", "CZ", "GR",
        ],
    ),
    (7, &["AU", "NZ"]),
    (8, &["JP", "KR", "TW", "HK", "SG"]),
    (9, &["CN", "IN", "PH", "TH", "VN", "ID", "MY"]),
    (10, &["BR", "AR", "CL", "UY"]),
    (11, &["ZA", "NG", "KE", "EG", "MA", "GH"]),
    (12, &["IL", "AE", "SA", "TR", "JO", "QA"]),
];

/// Extra services that the sandbox prices: code, name and price in cents. Insurance (930,
/// 931) needs `itemValue`, and Return Receipt (955) is no longer offered.
const EXTRA_SERVICES: &[(u16, &str, i64)] = &[
    (370, "USPS Delivery Duties Paid Fee", 400),
    (813, "HAZMAT Class 7 - Radioactive Materials Package", 0),
    (
        820,
        "HAZMAT Class 9 - Lithium batteries, unmarked package",
        0,
    ),
    (
        826,
        "HAZMAT Division 6.2 - Infectious Substances Package",
        0,
    ),
    (857, "Hazardous Material", 0),
];

/// Volume above which dimensional weight applies, in cubic inches (one cubic foot).
const DIM_VOLUME: i64 = 1728;
/// Cubic inches per pound of dimensional weight.
const DIM_DIVISOR: i64 = 166;

/// Prices an international base-rates search body, or rejects it as USPS would.
pub(crate) fn base_rates(
    body: &[u8],
    today: jiff::civil::Date,
) -> Result<BaseRatesResponse, Rejection> {
    let value = parse_body(body, REQUIRED).map_err(international)?;
    let query: InternationalBaseRatesQuery = serde_json::from_value(value)
        .map_err(|error| bad_request(None, "Invalid request body", format!("{error}."), None))?;
    validate(&query, today)?;
    Ok(price(&query))
}

/// Prices an international total-rates search body: the single-piece rate of the requested
/// class, with each extra service.
pub(crate) fn total_rates(
    body: &[u8],
    today: jiff::civil::Date,
) -> Result<TotalRatesResponse, Rejection> {
    let value = parse_body(body, TOTAL_REQUIRED).map_err(international)?;
    let query: InternationalTotalRatesQuery = serde_json::from_value(value)
        .map_err(|error| bad_request(None, "Invalid request body", format!("{error}."), None))?;
    let mail_class = query.mail_class.expect("checked as required");
    let base_query = InternationalBaseRatesQuery {
        origin_zip_code: query.origin_zip_code.clone(),
        foreign_postal_code: query.foreign_postal_code.clone(),
        destination_country_code: query.destination_country_code.clone(),
        weight: query.weight,
        length: query.length,
        width: query.width,
        height: query.height,
        mail_class,
        processing_category:
            crate::usps::international_prices::InternationalProcessingCategory::Machinable,
        rate_indicator: single_piece(mail_class),
        destination_entry_facility_type: InternationalEntryFacility::None,
        price_type: query.price_type.unwrap_or(InternationalPriceType::Retail),
        mailing_date: query.mailing_date.clone(),
    };
    validate(&base_query, today)?;
    let mut extra_services = Vec::new();
    for code in &query.extra_services {
        let needs_value = matches!(code, 930 | 931);
        if needs_value && query.item_value.is_none_or(|value| value <= Decimal::ZERO) {
            return Err(bad_request(
                Some(codes::ITEM_VALUE),
                "A non-zero item value is required for this extra service code.",
                format!("Extra service {code} needs itemValue above 0."),
                Some("itemValue"),
            ));
        }
        let Some((_, name, cents)) = EXTRA_SERVICES.iter().find(|(known, _, _)| known == code)
        else {
            return Err(bad_request(
                Some(codes::NO_EXTRA_SERVICE),
                "No extra services found.",
                format!("Extra service {code} is not available for this package."),
                Some("extraServices"),
            ));
        };
        extra_services.push(ExtraServicePrice {
            extra_service: code.to_string(),
            name: name.to_string(),
            sku: Some(format!("IX{code}XXXXXX0000")),
            price_type: Some(base_query.price_type.as_str().to_string()),
            price: Some(Decimal::new(*cents, 2)),
            warnings: Vec::new(),
        });
    }
    let base = price(&base_query);
    let total_base_price = base.total_base_price.expect("the rate table always prices");
    let extras: Decimal = extra_services.iter().filter_map(|extra| extra.price).sum();
    Ok(TotalRatesResponse {
        rate_options: vec![TotalRateOption {
            total_base_price: Some(total_base_price),
            rates: base.rates,
            extra_services,
            total_price: Some(total_base_price + extras),
        }],
    })
}

fn single_piece(mail_class: InternationalMailClass) -> InternationalRateIndicator {
    match mail_class {
        InternationalMailClass::PriorityMailExpressInternational => {
            InternationalRateIndicator::ExpressSinglePiece
        }
        _ => InternationalRateIndicator::SinglePiece,
    }
}

fn international(mut rejection: Rejection) -> Rejection {
    rejection.body.api_version = Some(API_VERSION.to_string());
    rejection
}

fn bad_request(
    code: Option<&'static str>,
    title: &'static str,
    detail: String,
    field: Option<&'static str>,
) -> Rejection {
    international(super::rates::bad_request(code, title, detail, field))
}

/// Returns the price group of an alpha-2 country code.
pub(crate) fn price_group(country: &str) -> Option<u8> {
    PRICE_GROUPS
        .iter()
        .find(|(_, countries)| countries.contains(&country))
        .map(|(group, _)| *group)
}

/// Maximum weight in pounds of a mail class and container.
fn max_pounds(query: &InternationalBaseRatesQuery) -> i64 {
    use InternationalRateIndicator as Indicator;
    match query.rate_indicator {
        Indicator::FlatRateEnvelope
        | Indicator::LegalFlatRateEnvelope
        | Indicator::PaddedFlatRateEnvelope
        | Indicator::SmallFlatRateBox
        | Indicator::ExpressFlatRateEnvelope
        | Indicator::ExpressLegalFlatRateEnvelope => 4,
        Indicator::MediumFlatRateBox | Indicator::LargeFlatRateBox => 20,
        _ if query.mail_class == InternationalMailClass::FirstClassPackageInternationalService => 4,
        _ => 70,
    }
}

/// Checks the package, the mailing date, the rate ingredients, the price group and the size.
fn validate(
    query: &InternationalBaseRatesQuery,
    today: jiff::civil::Date,
) -> Result<(), Rejection> {
    let zip = &query.origin_zip_code;
    let digits = zip.get(..5).unwrap_or("");
    if zip.len() < 5 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(bad_request(
            None,
            "Invalid ZIP Code",
            "originZIPCode must match ^\\d{5}(?:[-\\s]\\d{4})?$.".into(),
            Some("originZIPCode"),
        ));
    }
    let country = &query.destination_country_code;
    if country.len() != 2 || !country.bytes().all(|byte| byte.is_ascii_uppercase()) {
        return Err(bad_request(
            None,
            "Invalid country code",
            "destinationCountryCode must match ^[A-Z]{2}$.".into(),
            Some("destinationCountryCode"),
        ));
    }
    let class_limit = match query.mail_class {
        InternationalMailClass::FirstClassPackageInternationalService => 4,
        _ => 70,
    };
    if query.weight <= Decimal::ZERO || query.weight > Decimal::from(class_limit) {
        return Err(bad_request(
            Some(codes::WEIGHT),
            "Package weight does not qualify for this product.",
            format!(
                "weight {} is not above 0 and at most {class_limit} lb for {}.",
                query.weight,
                query.mail_class.as_str()
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
    check_mailing_date(query.mailing_date.as_deref(), today).map_err(international)?;

    let indicator = query.rate_indicator.as_str();
    let ecompro = indicator.starts_with('H') || indicator == "EP" || indicator == "E7";
    let combination = check_international_combination(
        query.mail_class,
        query.rate_indicator,
        query.destination_entry_facility_type,
        query.price_type,
    );
    if let Err(reason) = combination {
        return Err(no_sku(format!("{reason}.")));
    }
    if ecompro {
        return Err(no_sku(format!(
            "The sandbox has no prices for rate indicator {indicator}."
        )));
    }
    if price_group(country).is_none() {
        return Err(bad_request(
            Some(codes::NO_PRICE_GROUP),
            "There was no valid international price group for the provided country, date, mail class, and mail class.",
            format!("The sandbox has no price group for {country}."),
            Some("destinationCountryCode"),
        ));
    }
    if query.weight > Decimal::from(max_pounds(query)) {
        return Err(bad_request(
            Some(codes::GROUP_WEIGHT),
            "Pricing failure.  Mail piece was over the weight limit for the associated international price group.",
            format!(
                "weight {} is over {} lb for rate indicator {indicator}.",
                query.weight,
                max_pounds(query)
            ),
            Some("weight"),
        ));
    }
    check_size(query)
}

fn no_sku(detail: String) -> Rejection {
    bad_request(
        Some(codes::NO_SKU),
        "Could not find working sku from SSF ingredients",
        detail,
        None,
    )
}

/// Checks the size limits. First-Class Package International Service takes at most 24 in of
/// length and 36 in of length, width and height together. The Priority classes take at most
/// 42 in of length and 108 in of length plus girth.
fn check_size(query: &InternationalBaseRatesQuery) -> Result<(), Rejection> {
    let mut sorted = [query.length, query.width, query.height];
    sorted.sort();
    let longest = sorted[2];
    let too_large = match query.mail_class {
        InternationalMailClass::FirstClassPackageInternationalService => {
            longest > Decimal::from(24) || sorted.iter().sum::<Decimal>() > Decimal::from(36)
        }
        _ => {
            longest > Decimal::from(42)
                || longest + Decimal::TWO * (sorted[0] + sorted[1]) > Decimal::from(108)
        }
    };
    if too_large {
        return Err(bad_request(
            Some(codes::SIZE),
            "Package size exceeds maximum allowed for mail class",
            format!(
                "{} x {} x {} in is over the size limit of {}.",
                sorted[2],
                sorted[1],
                sorted[0],
                query.mail_class.as_str()
            ),
            Some("length"),
        ));
    }
    Ok(())
}

/// Returns a class's retail prices in cents: the first pound in price group 1, each further
/// pound, and each price group after the first.
fn pound_rates(mail_class: InternationalMailClass) -> (i64, i64, i64) {
    match mail_class {
        InternationalMailClass::PriorityMailExpressInternational => (6000, 450, 400),
        _ => (4500, 350, 300),
    }
}

/// First-Class Package International Service: retail cents in price group 1 by ounce tier
/// (up to 8, 32 and 64 oz), plus 120 cents a group after the first.
const FIRST_CLASS_TIERS: &[(i64, i64)] = &[(8, 1550), (32, 2350), (64, 3750)];
const FIRST_CLASS_PER_GROUP: i64 = 120;

/// Flat rate containers: retail cents in price group 1, plus 250 cents a group after the
/// first.
const FLAT_RATES: &[(&str, i64)] = &[
    ("FE", 3600),
    ("FA", 3650),
    ("FP", 3700),
    ("FS", 3800),
    ("FB", 7000),
    ("PL", 9000),
    ("E4", 5800),
    ("E6", 5850),
];
const FLAT_PER_GROUP: i64 = 250;

/// Prices a validated query from the rate table.
fn price(query: &InternationalBaseRatesQuery) -> BaseRatesResponse {
    let group = price_group(&query.destination_country_code).expect("validated price group");
    let group_steps = i64::from(group) - 1;
    let indicator = query.rate_indicator.as_str();
    let flat = FLAT_RATES.iter().find(|(code, _)| *code == indicator);

    let volume = query.length * query.width * query.height;
    let dim_weight = if flat.is_none() && volume > Decimal::from(DIM_VOLUME) {
        (volume / Decimal::from(DIM_DIVISOR)).ceil()
    } else {
        Decimal::ZERO
    };
    let pounds = query.weight.ceil().max(dim_weight);
    let ounces = (query.weight * Decimal::from(16)).ceil();

    let (retail_cents, weight_code, class_letter) = if let Some((_, cents)) = flat {
        let letter = if indicator.starts_with('E') { 'E' } else { 'P' };
        (
            cents + FLAT_PER_GROUP * group_steps,
            "FLT".to_owned(),
            letter,
        )
    } else if query.mail_class == InternationalMailClass::FirstClassPackageInternationalService {
        let (tier, cents) = FIRST_CLASS_TIERS
            .iter()
            .copied()
            .find(|(tier, _)| ounces <= Decimal::from(*tier))
            .expect("validated weight fits a tier");
        (
            cents + FIRST_CLASS_PER_GROUP * group_steps,
            format!("O{tier:02}"),
            'F',
        )
    } else {
        let (first, per_pound, per_group) = pound_rates(query.mail_class);
        let whole = i64::try_from(pounds).unwrap_or(70);
        let letter = match query.mail_class {
            InternationalMailClass::PriorityMailExpressInternational => 'E',
            _ => 'P',
        };
        (
            first + per_pound * (whole - 1) + per_group * group_steps,
            format!("{whole:03}"),
            letter,
        )
    };
    let retail = Decimal::new(retail_cents, 2);

    // Commercial prices are 5% below retail and Commercial Plus 8%, rounded half up to the
    // cent. A contract price falls back to the Commercial Base price with warning 001, as
    // USPS does for an account without a contract. An International Service Center entry
    // takes a further 1.00 off a commercial price.
    use InternationalPriceType as Price;
    let (percent_off, priced_as, price_letter) = match query.price_type {
        Price::Retail => (0, Price::Retail, 'R'),
        Price::Commercial => (5, Price::Commercial, 'C'),
        Price::CommercialBase | Price::Contract => (5, Price::CommercialBase, 'B'),
        Price::CommercialPlus => (8, Price::CommercialPlus, 'P'),
    };
    let mut base = (retail * Decimal::new(100 - percent_off, 2))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let at_service_center = query.destination_entry_facility_type
        == InternationalEntryFacility::InternationalServiceCenter;
    if at_service_center {
        base -= Decimal::ONE;
    }
    let warnings = if query.price_type == Price::Contract {
        vec![serde_json::json!({"warningCode": "001",
            "warningDescription": "Contract rate not found for request. Published rate returned."})]
    } else {
        Vec::new()
    };

    let class_name = match query.mail_class {
        InternationalMailClass::FirstClassPackageInternationalService => {
            "First-Class Package International Service"
        }
        InternationalMailClass::PriorityMailExpressInternational => {
            "Priority Mail Express International"
        }
        _ => "Priority Mail International",
    };
    let container = match flat {
        Some(_) => format!("Flat Rate {indicator}"),
        None => "Single-piece".to_owned(),
    };
    let entry = if at_service_center { " ISC" } else { "" };
    let indicator_code = if flat.is_some() { indicator } else { "XX" };
    let sku = format!("I{class_letter}{indicator_code}0XXXX{price_letter}{group:02}{weight_code}");
    let rate = RateDetails {
        sku: Some(sku),
        description: Some(format!("{class_name}{entry} {container}")),
        price_type: Some(priced_as.as_str().to_string()),
        price: Some(base),
        weight: Some(pounds),
        dim_weight: Some(dim_weight),
        fees: Vec::new(),
        start_date: Some("2026-01-18".into()),
        end_date: Some(String::new()),
        warnings,
        mail_class: Some(query.mail_class.as_str().to_string()),
        zone: Some(format!("{group:02}")),
        processing_category: Some(query.processing_category.as_str().to_string()),
        rate_indicator: Some(indicator.to_string()),
        destination_entry_facility_type: Some(
            query.destination_entry_facility_type.as_str().to_string(),
        ),
    };
    BaseRatesResponse {
        total_base_price: Some(base),
        rates: vec![rate],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use std::str::FromStr;

    fn today() -> jiff::civil::Date {
        "2026-03-10".parse().unwrap()
    }

    fn body(overrides: serde_json::Value) -> Vec<u8> {
        let mut value = serde_json::json!({
            "originZIPCode": "10001", "destinationCountryCode": "CA", "weight": 3,
            "length": 0, "width": 0, "height": 0, "mailClass": "PRIORITY_MAIL_INTERNATIONAL",
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

    fn price_of(overrides: serde_json::Value) -> Option<Decimal> {
        base_rates(&body(overrides), today())
            .unwrap()
            .total_base_price
    }

    #[test]
    fn prices_follow_the_table() {
        // Group 1, 3 lb: 45.00 + 2 × 3.50.
        assert_eq!(
            price_of(serde_json::json!({})),
            Decimal::from_str("52.00").ok()
        );
        // Germany is group 6: 52.00 + 5 × 3.00.
        assert_eq!(
            price_of(serde_json::json!({"destinationCountryCode": "DE"})),
            Decimal::from_str("67.00").ok()
        );
        // 12 oz First-Class Package to group 5: 23.50 + 4 × 1.20.
        assert_eq!(
            price_of(
                serde_json::json!({"destinationCountryCode": "GB", "weight": 0.75,
                "mailClass": "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE"})
            ),
            Decimal::from_str("28.30").ok()
        );
        // Small Flat Rate Box to Japan (group 8), commercial base: (38.00 + 7 × 2.50) × 0.95.
        assert_eq!(
            price_of(
                serde_json::json!({"destinationCountryCode": "JP", "rateIndicator": "FS",
                "priceType": "COMMERCIAL_BASE"})
            ),
            Decimal::from_str("52.73").ok()
        );
    }

    #[test]
    fn contract_falls_back_with_warning() {
        let response = base_rates(
            &body(serde_json::json!({"priceType": "CONTRACT",
                "destinationEntryFacilityType": "INTERNATIONAL_SERVICE_CENTER"})),
            today(),
        )
        .unwrap();
        let rate = &response.rates[0];
        // 52.00 × 0.95 - 1.00.
        assert_eq!(rate.price, Decimal::from_str("48.40").ok());
        assert_eq!(rate.price_type.as_deref(), Some("COMMERCIAL_BASE"));
        assert_eq!(rate.warnings.len(), 1);
        assert_eq!(rate.zone.as_deref(), Some("01"));
    }

    #[test]
    fn rejections_carry_inventory_codes() {
        let cases = [
            (serde_json::json!({"weight": 71}), Some("030004")),
            (
                serde_json::json!({"mailClass": "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE",
                    "weight": 5}),
                Some("030004"),
            ),
            (
                serde_json::json!({"rateIndicator": "FS", "weight": 5}),
                Some("030009"),
            ),
            (serde_json::json!({"rateIndicator": "PA"}), Some("030002")),
            (
                serde_json::json!({"mailClass": "GLOBAL_EXPRESS_GUARANTEED"}),
                Some("030002"),
            ),
            (
                serde_json::json!({"destinationCountryCode": "KP"}),
                Some("030013"),
            ),
            (
                serde_json::json!({"length": 50, "width": 10, "height": 10}),
                Some("030008"),
            ),
            (
                serde_json::json!({"mailingDate": "2026-03-09"}),
                Some("160211"),
            ),
            (
                serde_json::json!({"mailingDate": "2026-03-25"}),
                Some("030003"),
            ),
            (
                serde_json::json!({"destinationCountryCode": "Canada"}),
                None,
            ),
            (serde_json::json!({"destinationZIPCode": "10001"}), None),
        ];
        for (overrides, expected) in cases {
            let rejection = base_rates(&body(overrides.clone()), today()).unwrap_err();
            assert_eq!(rejection.status, StatusCode::BAD_REQUEST, "{overrides}");
            assert_eq!(code(&rejection).as_deref(), expected, "{overrides}");
            assert_eq!(
                rejection.body.api_version.as_deref(),
                Some(API_VERSION),
                "{overrides}"
            );
        }
    }

    #[test]
    fn total_rates_add_extra_services() {
        let body = serde_json::json!({
            "originZIPCode": "10001", "destinationCountryCode": "CA", "weight": 3,
            "length": 0, "width": 0, "height": 0, "mailClass": "PRIORITY_MAIL_INTERNATIONAL",
            "extraServices": [370]
        });
        let response = total_rates(&serde_json::to_vec(&body).unwrap(), today()).unwrap();
        let option = &response.rate_options[0];
        assert_eq!(option.total_base_price, Decimal::from_str("52.00").ok());
        assert_eq!(option.total_price, Decimal::from_str("56.00").ok());
        let mut insured = body.clone();
        insured["extraServices"] = serde_json::json!([930]);
        let rejection = total_rates(&serde_json::to_vec(&insured).unwrap(), today()).unwrap_err();
        assert_eq!(code(&rejection).as_deref(), Some("030024"));
    }
}
