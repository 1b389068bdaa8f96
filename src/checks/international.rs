//! Local checks of an international price row: the origin ZIP Code, the destination country
//! and its postal code, weight and dimensions, the rate ingredients and the mailing date.

use jiff::Timestamp;

use super::country::{normalize_postal_code, parse_country, CountryFault};
use super::prices::{
    enum_name, parse_enum, prepare_domestic_zip, prepare_mailing_date, prepare_package, read_enum,
    today_at, total_rates_issue, EnumName, Units, WeightLimit,
};
use super::{Input, Prepared, RowIssue};
use crate::manifest::{ColumnMap, Record};
use crate::usps::international_prices::{
    check_international_combination, InternationalBaseRatesQuery, InternationalEntryFacility,
    InternationalMailClass, InternationalPriceType, InternationalProcessingCategory,
    InternationalRateIndicator,
};

enum_name!(
    InternationalMailClass,
    InternationalProcessingCategory,
    InternationalRateIndicator,
    InternationalEntryFacility,
    InternationalPriceType
);

/// Weight limit of Priority Mail International and Priority Mail Express International.
const INTERNATIONAL_LIMIT: WeightLimit = WeightLimit {
    pounds: 70,
    applies_to: "international packages",
};
/// Weight limit of First-Class Package International Service: 4 lb (64 oz).
const FIRST_CLASS_LIMIT: WeightLimit = WeightLimit {
    pounds: 4,
    applies_to: "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE",
};

/// Checks a record for `POST /international-prices/v3/base-rates/search`. `now` sets
/// "today" for the mailing date, in the origin ZIP Code's time zone.
pub fn prepare_international(
    record: &Record,
    columns: &ColumnMap,
    units: Units,
    now: Timestamp,
) -> Result<Prepared<InternationalBaseRatesQuery>, RowIssue> {
    let mut notes = Vec::new();
    let origin = prepare_domestic_zip(&Input::read(record, columns, "originZIPCode"))?;
    let country_input = Input::read(record, columns, "destinationCountryCode");
    let country = prepare_country(&country_input, &mut notes)?;
    let postal_input = Input::read(record, columns, "foreignPostalCode");
    let foreign_postal_code = match postal_input.value.as_deref() {
        None => None,
        Some(raw) => Some(normalize_postal_code(country, raw).map_err(|reason| {
            postal_input.issue(
                "invalid_postal_code",
                format!("{reason}; correct it and rerun"),
            )
        })?),
    };

    let class_input = Input::read(record, columns, "mailClass");
    let mail_class = parse_enum(
        &class_input,
        InternationalMailClass::parse,
        InternationalMailClass::ALL,
        None,
    )?
    .expect("a required enum has a value");
    let limit = match mail_class {
        InternationalMailClass::FirstClassPackageInternationalService => FIRST_CLASS_LIMIT,
        _ => INTERNATIONAL_LIMIT,
    };
    let (weight, [length, width, height]) =
        prepare_package(record, columns, units, limit, &mut notes)?;

    let processing_category = read_enum(
        record,
        columns,
        "processingCategory",
        InternationalProcessingCategory::Machinable,
    )?;
    let indicator_input = Input::read(record, columns, "rateIndicator");
    let default_indicator = match mail_class {
        InternationalMailClass::PriorityMailExpressInternational => {
            InternationalRateIndicator::ExpressSinglePiece
        }
        _ => InternationalRateIndicator::SinglePiece,
    };
    let rate_indicator = parse_enum(
        &indicator_input,
        InternationalRateIndicator::parse,
        InternationalRateIndicator::ALL,
        Some(default_indicator),
    )?
    .expect("a defaulted enum has a value");
    let destination_entry_facility_type = read_enum(
        record,
        columns,
        "destinationEntryFacilityType",
        InternationalEntryFacility::None,
    )?;
    let price_type = read_enum(record, columns, "priceType", InternationalPriceType::Retail)?;
    if let Err(reason) = check_international_combination(
        mail_class,
        rate_indicator,
        destination_entry_facility_type,
        price_type,
    ) {
        let input = if indicator_input.value.is_some() {
            &indicator_input
        } else {
            &class_input
        };
        return Err(input.issue(
            "invalid_service_combination",
            format!("{reason}; change the mail class, rate indicator or price type and rerun"),
        ));
    }

    let date_input = Input::read(record, columns, "mailingDate");
    let mailing_date = prepare_mailing_date(&date_input, today_at(&origin, now), &mut notes)?;

    let query = InternationalBaseRatesQuery {
        origin_zip_code: origin,
        foreign_postal_code,
        destination_country_code: country.to_owned(),
        weight,
        length,
        width,
        height,
        mail_class,
        processing_category,
        rate_indicator,
        destination_entry_facility_type,
        price_type,
        mailing_date: Some(mailing_date.to_string()),
    };
    Ok(Prepared { query, notes })
}

/// Maps the destination country column to an alpha-2 code, noting a mapped name.
fn prepare_country(input: &Input, notes: &mut Vec<String>) -> Result<&'static str, RowIssue> {
    let Some(raw) = input.value.as_deref() else {
        return Err(input.issue(
            "missing_country",
            "is empty, and an international price needs the destination country: fill in its \
             ISO 3166-1 code (such as CA) or English name and rerun"
                .to_owned(),
        ));
    };
    match parse_country(raw) {
        Ok(country) => {
            if raw.trim() != country.code {
                notes.push(format!(
                    "{}: `{}` sent as {} ({})",
                    input.place(),
                    raw.trim(),
                    country.code,
                    country.name
                ));
            }
            Ok(country.code)
        }
        Err(CountryFault::Unknown) => Err(input.issue(
            "invalid_country",
            format!(
                "`{raw}` is not an ISO 3166-1 country code or English country name; write \
                 the two-letter code (such as CA or DE) and rerun"
            ),
        )),
        Err(CountryFault::Ambiguous(codes)) => Err(input.issue(
            "invalid_country",
            format!(
                "`{raw}` names more than one country ({}); write the two-letter code and \
                 rerun",
                codes.join(", ")
            ),
        )),
        Err(CountryFault::Domestic(code)) => Err(input.issue(
            "domestic_destination",
            format!(
                "`{raw}` ({code}) is domestic for USPS, which prices it by ZIP Code: move the \
                 row to a domestic-price job and rerun"
            ),
        )),
    }
}

/// Checks that a row priced with extra services requests nothing that the international
/// total-rates search cannot take. Like its domestic peer, its body has no rate indicator,
/// processing category or entry facility.
pub fn check_international_total_rates_fields(
    record: &Record,
    columns: &ColumnMap,
    query: &InternationalBaseRatesQuery,
) -> Result<(), RowIssue> {
    let single_piece = matches!(
        query.rate_indicator,
        InternationalRateIndicator::SinglePiece | InternationalRateIndicator::ExpressSinglePiece
    );
    let field = if !single_piece {
        "rateIndicator"
    } else if query.processing_category != InternationalProcessingCategory::Machinable {
        "processingCategory"
    } else if query.destination_entry_facility_type != InternationalEntryFacility::None {
        "destinationEntryFacilityType"
    } else {
        return Ok(());
    };
    Err(total_rates_issue(record, columns, field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{LengthUnit, WeightUnit};
    use crate::manifest::{Fields, INTERNATIONAL_PRICE_FIELDS};
    use rust_decimal::Decimal;
    use std::collections::BTreeMap;
    use std::path::Path;

    const HEADERS: &[&str] = &[
        "from_zip",
        "country",
        "postal_code",
        "weight",
        "service",
        "rate_indicator",
        "price_type",
        "entry_facility",
    ];

    fn prepare(values: &[&str]) -> Result<Prepared<InternationalBaseRatesQuery>, RowIssue> {
        let headers: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
        let columns = ColumnMap::resolve(
            INTERNATIONAL_PRICE_FIELDS,
            &BTreeMap::new(),
            &headers,
            Path::new("in.csv"),
        )
        .unwrap();
        let mut values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        values.resize(HEADERS.len(), String::new());
        let record = Record {
            row: 1,
            line: 2,
            byte: 0,
            content_hash: [0; 16],
            fields: Fields::Csv(values),
            problem: None,
        };
        let units = Units {
            weight: WeightUnit::Ounce,
            dimensions: LengthUnit::Inch,
        };
        let now: Timestamp = "2026-03-10T15:00:00Z".parse().unwrap();
        prepare_international(&record, &columns, units, now)
    }

    #[test]
    fn country_name_maps_to_code() {
        let prepared = prepare(&[
            "10001",
            "Canada",
            "k1a0b1",
            "12",
            "PRIORITY_MAIL_INTERNATIONAL",
        ])
        .unwrap();
        assert_eq!(prepared.query.destination_country_code, "CA");
        assert_eq!(
            prepared.query.foreign_postal_code.as_deref(),
            Some("K1A 0B1")
        );
        assert_eq!(prepared.query.weight, Decimal::new(75, 2));
        assert_eq!(prepared.query.mailing_date.as_deref(), Some("2026-03-10"));
        assert!(
            prepared.notes[0].contains("sent as CA"),
            "{:?}",
            prepared.notes
        );
    }

    #[test]
    fn express_defaults_to_its_single_piece() {
        let prepared = prepare(&[
            "10001",
            "DE",
            "",
            "12",
            "PRIORITY_MAIL_EXPRESS_INTERNATIONAL",
        ])
        .unwrap();
        assert_eq!(
            prepared.query.rate_indicator,
            InternationalRateIndicator::ExpressSinglePiece
        );
    }

    #[test]
    fn bad_rows_are_rejected_before_sending() {
        let cases: &[(&[&str], &str)] = &[
            (
                &["10001", "Atlantis", "", "12", "PRIORITY_MAIL_INTERNATIONAL"],
                "invalid_country",
            ),
            (
                &[
                    "10001",
                    "Puerto Rico",
                    "",
                    "12",
                    "PRIORITY_MAIL_INTERNATIONAL",
                ],
                "domestic_destination",
            ),
            (
                &["10001", "", "", "12", "PRIORITY_MAIL_INTERNATIONAL"],
                "missing_country",
            ),
            (
                &["10001", "CA", "123", "12", "PRIORITY_MAIL_INTERNATIONAL"],
                "invalid_postal_code",
            ),
            // 65 oz is over the 4 lb limit of First-Class Package International Service.
            (
                &[
                    "10001",
                    "CA",
                    "",
                    "65",
                    "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE",
                ],
                "invalid_weight",
            ),
            (
                &["10001", "CA", "", "12", "PRIORITY_MAIL_INTERNATIONAL", "PA"],
                "invalid_service_combination",
            ),
            (
                &["10001", "CA", "", "12", "GLOBAL_EXPRESS_GUARANTEED"],
                "invalid_service_combination",
            ),
            (
                &[
                    "10001",
                    "CA",
                    "",
                    "12",
                    "PRIORITY_MAIL_INTERNATIONAL",
                    "",
                    "RETAIL",
                    "INTERNATIONAL_SERVICE_CENTER",
                ],
                "invalid_service_combination",
            ),
            (
                &["10001", "CA", "", "12", "PRIORITY_MAIL"],
                "invalid_service",
            ),
        ];
        for (row, code) in cases {
            let issue = prepare(row).unwrap_err();
            assert_eq!(issue.code, *code, "{row:?}: {}", issue.message);
        }
    }
}
