//! Domestic Prices in the sandbox: `POST /prices/v3/base-rates/search` and
//! `POST /prices/v3/total-rates/search`.
//!
//! Requests are validated as the USPS spec and error inventory describe. Prices come from an
//! invented rate table with the real structure: a zone from the distance between the two
//! ZIP Codes, a weight rounded up to the pound (to the ounce tier for light Ground
//! Advantage), dimensional weight for large boxes, and retail or commercial prices. The
//! numbers are documented in `docs/sandbox.md` and are not USPS prices.

use axum::http::StatusCode;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

use crate::usps::prices::{
    check_combination, check_ingredients, dim_weight_applies, single_piece_indicator,
    BaseRatesQuery, BaseRatesResponse, DestinationEntryFacilityType, ExtraServicePrice, Fee,
    MailClass, PriceType, ProcessingCategory, RateDetails, RateIndicator, TotalRateOption,
    TotalRatesQuery, TotalRatesResponse,
};

use super::directory::directory;
use super::rejection::{Problem, Rejection};

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
const MAX_WEIGHT: i64 = 70;
/// Cubic inches per pound of dimensional weight.
const DIM_DIVISOR: i64 = 166;

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

/// Maps deprecated and return classes to the class whose prices they use, as the spec's
/// notes on `mailClass` describe.
fn canonical(mail_class: MailClass) -> MailClass {
    match mail_class {
        MailClass::ParcelSelectLightweight => MailClass::ParcelSelect,
        MailClass::FirstClassPackageService
        | MailClass::FirstClassPackageReturnService
        | MailClass::GroundReturnService
        | MailClass::UspsGroundAdvantageReturnService => MailClass::UspsGroundAdvantage,
        MailClass::PriorityMailReturnService => MailClass::PriorityMail,
        MailClass::PriorityMailExpressReturnService => MailClass::PriorityMailExpress,
        other => other,
    }
}

/// One class's retail prices in cents: the first pound in zone 1, each further pound, and
/// each zone after the first.
struct Tariff {
    name: &'static str,
    sku_letter: char,
    first_pound: i64,
    per_pound: i64,
    per_zone: i64,
}

fn tariff(mail_class: MailClass) -> Option<Tariff> {
    let (name, sku_letter, first_pound, per_pound, per_zone) = match canonical(mail_class) {
        MailClass::UspsGroundAdvantage => ("USPS Ground Advantage", 'U', 750, 110, 60),
        MailClass::PriorityMail => ("Priority Mail", 'P', 900, 150, 90),
        MailClass::PriorityMailExpress => ("Priority Mail Express", 'E', 2800, 400, 250),
        MailClass::ParcelSelect => ("Parcel Select Ground", 'V', 650, 95, 55),
        MailClass::MediaMail => ("Media Mail", 'M', 400, 75, 0),
        MailClass::LibraryMail => ("Library Mail", 'L', 380, 70, 0),
        MailClass::BoundPrintedMatter => ("Bound Printed Matter", 'B', 390, 60, 20),
        _ => return None,
    };
    Some(Tariff {
        name,
        sku_letter,
        first_pound,
        per_pound,
        per_zone,
    })
}

/// Flat rate prices in retail cents, the same in every zone and for any weight up to 70 lb.
const FLAT_RATES: &[(MailClass, &str, i64)] = &[
    (MailClass::PriorityMail, "FE", 985),
    (MailClass::PriorityMail, "FA", 1015),
    (MailClass::PriorityMail, "FP", 1040),
    (MailClass::PriorityMail, "FS", 1040),
    (MailClass::PriorityMail, "FB", 1705),
    (MailClass::PriorityMail, "PL", 2280),
    (MailClass::PriorityMail, "PM", 2120),
    (MailClass::PriorityMailExpress, "E4", 3045),
    (MailClass::PriorityMailExpress, "FE", 3045),
    (MailClass::PriorityMailExpress, "E6", 3065),
    (MailClass::PriorityMailExpress, "FA", 3065),
    (MailClass::PriorityMailExpress, "FP", 3120),
    (MailClass::PriorityMailExpress, "E7", 3575),
];

/// Returns the retail cents of a flat rate container of `mail_class`.
fn flat_rate(mail_class: MailClass, indicator: &str) -> Option<i64> {
    let class = canonical(mail_class);
    FLAT_RATES
        .iter()
        .find(|(flat_class, code, _)| *flat_class == class && *code == indicator)
        .map(|(_, _, cents)| *cents)
}

/// Prices of destination entry, where the mailer drops the piece at a USPS facility near
/// the recipient: the first pound, each further pound and each zone after the first, in
/// commercial cents, and the highest zone charged. A Destination Delivery Unit entry is
/// charged as zone 0, as USPS reports it.
fn entry_rates(entry: DestinationEntryFacilityType) -> Option<(i64, i64, i64, u8)> {
    use DestinationEntryFacilityType as Entry;
    match entry {
        Entry::None => None,
        Entry::DeliveryUnit => Some((350, 30, 0, 0)),
        Entry::SectionalCenterFacility | Entry::ServiceHub => Some((450, 55, 30, 2)),
        Entry::NetworkDistributionCenter | Entry::RegionalProcessingDistributionCenter => {
            Some((550, 75, 40, 5))
        }
    }
}

/// Returns the destination rate indicator letter of an entry facility, as the spec maps them.
fn entry_letter(entry: DestinationEntryFacilityType) -> char {
    use DestinationEntryFacilityType as Entry;
    match entry {
        Entry::None => 'X',
        Entry::NetworkDistributionCenter | Entry::RegionalProcessingDistributionCenter => 'B',
        Entry::SectionalCenterFacility => 'S',
        Entry::DeliveryUnit => 'D',
        Entry::ServiceHub => 'H',
    }
}

/// Ground Advantage under one pound: retail cents in zone 1 by ounce tier (up to 4, 8, 12
/// and 15.99 oz), plus 20 cents a zone after the first.
const LIGHT_TIERS: &[(i64, i64)] = &[(4, 500), (8, 560), (12, 630), (16, 700)];
const LIGHT_PER_ZONE: i64 = 20;

/// Zone from the great-circle distance between the ZIP Codes, by the USPS distance bands;
/// zone 9 when either end is in a territory or freely associated state. `None` when a ZIP
/// Code is unknown.
pub(crate) fn zone(origin: &str, destination: &str) -> Option<u8> {
    const TERRITORIES: &[&str] = &["PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW"];
    let directory = directory();
    let from = directory.zip(origin)?;
    let to = directory.zip(destination)?;
    if TERRITORIES.contains(&from.state.as_str()) || TERRITORIES.contains(&to.state.as_str()) {
        return Some(9);
    }
    // The directory places military ZIP Codes (AA, AE, AP) at 0,0, so any pair without real
    // coordinates gets the farthest contiguous zone.
    // NOTE: USPS zones APO/FPO/DPO mail by its gateway city, which the sandbox does not model.
    let coordinates = |entry: &zipcodes::Zipcode| -> Option<(f64, f64)> {
        let point: (f64, f64) = (entry.long.parse().ok()?, entry.lat.parse().ok()?);
        (point != (0.0, 0.0)).then_some(point)
    };
    let (Some((lon1, lat1)), Some((lon2, lat2))) = (coordinates(from), coordinates(to)) else {
        return Some(8);
    };
    let miles = zipcodes::haversine(lon1, lat1, lon2, lat2);
    let zone = match miles {
        m if m <= 50.0 => 1,
        m if m <= 150.0 => 2,
        m if m <= 300.0 => 3,
        m if m <= 600.0 => 4,
        m if m <= 1000.0 => 5,
        m if m <= 1400.0 => 6,
        m if m <= 1800.0 => 7,
        _ => 8,
    };
    Some(zone)
}

/// Prices a validated query from the rate table.
pub(crate) fn price(query: &BaseRatesQuery) -> BaseRatesResponse {
    let tariff = tariff(query.mail_class).expect("validated mail class");
    let zone = zone(
        &query.origin_zip_code[..5],
        &query.destination_zip_code[..5],
    )
    .expect("validated zone");
    let zone_steps = i64::from(zone) - 1;
    let indicator = query.rate_indicator.as_str();
    let flat = flat_rate(query.mail_class, indicator);
    let entry = entry_rates(query.destination_entry_facility_type);

    // A flat rate container is priced without regard to its size.
    let volume = query.length * query.width * query.height;
    let dimensions = [query.length, query.width, query.height];
    let dim_weight = if flat.is_none() && dim_weight_applies(query.mail_class, dimensions) {
        (volume / Decimal::from(DIM_DIVISOR)).ceil()
    } else {
        Decimal::ZERO
    };
    let pounds = query.weight.ceil().max(dim_weight);
    let whole_pounds = i64::try_from(pounds).unwrap_or(MAX_WEIGHT);
    let ounces = (query.weight * Decimal::from(16)).ceil();
    let light = canonical(query.mail_class) == MailClass::UspsGroundAdvantage
        && query.weight < Decimal::ONE
        && dim_weight.is_zero();
    let commercial = query.price_type != PriceType::Retail;

    let (cents, weight_code, charged_zone, already_commercial) = if let Some(cents) = flat {
        (cents, "FLT".to_owned(), zone, false)
    } else if let Some((first, per_pound, per_zone, highest_zone)) = entry {
        let charged_zone = zone.min(highest_zone);
        let zone_steps = i64::from(charged_zone.max(1)) - 1;
        (
            first + per_pound * (whole_pounds - 1) + per_zone * zone_steps,
            format!("{whole_pounds:03}"),
            charged_zone,
            true,
        )
    } else if light {
        let (tier, cents) = LIGHT_TIERS
            .iter()
            .copied()
            .find(|(tier, _)| ounces <= Decimal::from(*tier))
            .expect("under one pound fits a tier");
        (
            cents + LIGHT_PER_ZONE * zone_steps,
            format!("O{tier:02}"),
            zone,
            false,
        )
    } else {
        (
            tariff.first_pound
                + tariff.per_pound * (whole_pounds - 1)
                + tariff.per_zone * zone_steps,
            format!("{whole_pounds:03}"),
            zone,
            false,
        )
    };
    let table_price = Decimal::new(cents, 2);
    // Commercial, contract and NSA prices are 10% below retail, rounded half up to the cent.
    // Destination entry prices are commercial already.
    let base = if commercial && !already_commercial {
        (table_price * Decimal::new(9, 1))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    } else {
        table_price
    };

    let longest = query.length.max(query.width).max(query.height);
    let nonstandard = matches!(
        query.processing_category,
        ProcessingCategory::Nonstandard
            | ProcessingCategory::NonMachinable
            | ProcessingCategory::Irregular
    );
    let mut fees = Vec::new();
    if longest > Decimal::from(30) {
        fees.push(Fee {
            name: "Nonstandard Length fee > 30 in".into(),
            sku: Some("DUXX0XXXXX30000".into()),
            price: Some(Decimal::new(1500, 2)),
        });
    } else if longest > Decimal::from(22) {
        fees.push(Fee {
            name: "Nonstandard Length fee 22 in to 30 in".into(),
            sku: Some("DUXX0XXXXX22000".into()),
            price: Some(Decimal::new(400, 2)),
        });
    }
    let fees_total: Decimal = fees.iter().filter_map(|fee| fee.price).sum();

    let category_letter = match query.processing_category {
        ProcessingCategory::Letters => 'L',
        ProcessingCategory::Flats => 'F',
        ProcessingCategory::Machinable => 'M',
        _ => 'N',
    };
    let price_letter = if commercial { 'C' } else { 'R' };
    // The SKU spells the ingredients: class, entry, category, container, price type, zone
    // and weight, with X for the defaults (no entry facility, single piece).
    let entry_code = entry_letter(query.destination_entry_facility_type);
    let container = match indicator {
        "SP" => "XX",
        other => other,
    };
    let sku = format!(
        "D{}{entry_code}{category_letter}0XX{container}{price_letter}{charged_zone:02}{weight_code}",
        tariff.sku_letter
    );
    let category_name = if nonstandard {
        "Nonstandard"
    } else {
        "Machinable"
    };
    let price_type_name = if commercial { "Commercial" } else { "Retail" };
    let rate = RateDetails {
        sku: Some(sku),
        description: Some(describe(
            tariff.name,
            query,
            category_name,
            price_type_name,
            flat.is_some(),
        )),
        price_type: Some(query.price_type.as_str().to_string()),
        price: Some(base),
        weight: Some(pounds),
        dim_weight: Some(dim_weight),
        fees,
        start_date: Some("2026-01-18".into()),
        end_date: Some(String::new()),
        warnings: Vec::new(),
        mail_class: Some(query.mail_class.as_str().to_string()),
        zone: Some(format!("{charged_zone:02}")),
        processing_category: Some(query.processing_category.as_str().to_string()),
        rate_indicator: Some(query.rate_indicator.as_str().to_string()),
        destination_entry_facility_type: Some(
            query.destination_entry_facility_type.as_str().to_string(),
        ),
    };
    BaseRatesResponse {
        total_base_price: Some(base + fees_total),
        rates: vec![rate],
    }
}

/// Builds a rate's description, such as "Parcel Select Ground Machinable DDU Commercial".
fn describe(
    class_name: &str,
    query: &BaseRatesQuery,
    category_name: &str,
    price_type_name: &str,
    flat: bool,
) -> String {
    use DestinationEntryFacilityType as Entry;
    let entry = match query.destination_entry_facility_type {
        Entry::None => "",
        Entry::NetworkDistributionCenter => " DNDC",
        Entry::SectionalCenterFacility => " DSCF",
        Entry::DeliveryUnit => " DDU",
        Entry::ServiceHub => " DHUB",
        Entry::RegionalProcessingDistributionCenter => " DRPDC",
    };
    let container = if flat {
        format!(" Flat Rate {}", query.rate_indicator.as_str())
    } else {
        String::new()
    };
    format!("{class_name} {category_name}{entry}{container} {price_type_name}")
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
