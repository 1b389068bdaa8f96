//! The sandbox's domestic rate table: tariffs by class, zone and weight, flat rates,
//! destination entry prices and zones from the distance between two ZIP Codes. The numbers
//! are documented in `docs/sandbox.md` and are not USPS prices; [`super::rates`] validates a
//! request before [`price`] prices it.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::usps::prices::{
    dim_weight_applies, BaseRatesQuery, BaseRatesResponse, DestinationEntryFacilityType, Fee,
    MailClass, PriceType, ProcessingCategory, RateDetails,
};

use super::directory::directory;
use super::rates::MAX_WEIGHT;

/// Cubic inches per pound of dimensional weight.
const DIM_DIVISOR: i64 = 166;

/// Maps deprecated and return classes to the class whose prices they use, as the spec's
/// notes on `mailClass` describe.
pub(super) fn canonical(mail_class: MailClass) -> MailClass {
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
pub(super) struct Tariff {
    name: &'static str,
    sku_letter: char,
    first_pound: i64,
    per_pound: i64,
    per_zone: i64,
}

pub(super) fn tariff(mail_class: MailClass) -> Option<Tariff> {
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
pub(super) fn flat_rate(mail_class: MailClass, indicator: &str) -> Option<i64> {
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
