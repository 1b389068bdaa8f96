//! Local checks of a domestic price row: units, weight, dimensions, service enums and
//! combinations, and the mailing date. Each failure is a [`RowIssue`] and costs no call.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::LazyLock;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use rust_decimal::{Decimal, RoundingStrategy};

use super::zip::parse_zip;
use super::{Input, Prepared, RowIssue};
use crate::manifest::{ColumnMap, Record};
use crate::usps::find_spec_name;
use crate::usps::prices::{
    check_combination, check_ingredients, dim_weight_applies, single_piece_indicator,
    BaseRatesQuery, DestinationEntryFacilityType, MailClass, PriceType, ProcessingCategory,
    RateIndicator,
};
use crate::usps::shipping_options::{
    DomesticOptionsRequest, PackageDescription, PricingOptionRequest,
    MAIL_CLASSES as OPTIONS_MAIL_CLASSES,
};

/// Unit of the weight column, set by `[units] weight` in the job file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightUnit {
    Ounce,
    Pound,
    Gram,
    Kilogram,
}

/// Unit of the length, width and height columns, set by `[units] dimensions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthUnit {
    Inch,
    Centimeter,
}

/// The units of a price job's manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Units {
    pub weight: WeightUnit,
    pub dimensions: LengthUnit,
}

impl WeightUnit {
    /// Parses the job file's spelling: `oz`, `lb`, `g` or `kg`.
    pub fn parse(text: &str) -> Option<WeightUnit> {
        match text {
            "oz" => Some(WeightUnit::Ounce),
            "lb" => Some(WeightUnit::Pound),
            "g" => Some(WeightUnit::Gram),
            "kg" => Some(WeightUnit::Kilogram),
            _ => None,
        }
    }

    /// Returns the job file's spelling of the unit.
    pub fn name(self) -> &'static str {
        match self {
            WeightUnit::Ounce => "oz",
            WeightUnit::Pound => "lb",
            WeightUnit::Gram => "g",
            WeightUnit::Kilogram => "kg",
        }
    }
}

impl LengthUnit {
    /// Parses the job file's spelling: `in` or `cm`.
    pub fn parse(text: &str) -> Option<LengthUnit> {
        match text {
            "in" => Some(LengthUnit::Inch),
            "cm" => Some(LengthUnit::Centimeter),
            _ => None,
        }
    }
}

/// Decimal places kept after a unit conversion. Ounces (1/16 lb) convert exactly within
/// this; grams, kilograms and centimetres do not terminate and are rounded up, so a piece is
/// never declared lighter or smaller than it is.
const CONVERTED_DECIMALS: u32 = 6;
/// Maximum weight of a domestic package, in pounds.
pub const MAX_WEIGHT_POUNDS: u32 = 70;
/// How far ahead a mailing date may be, in days. The Domestic and International Prices
/// specs describe `mailingDate` as "today plus 0 to 7 days in advance". The 45 days of the
/// error inventory's code 160001 apply to labels, not prices.
pub const MAX_DAYS_AHEAD: i32 = 7;
/// Time zone used when the origin ZIP Code has none in the directory.
const FALLBACK_TIME_ZONE: &str = "America/New_York";

/// Maximum weight of a piece, and what the limit applies to, for messages.
#[derive(Debug, Clone, Copy)]
pub(super) struct WeightLimit {
    pub pounds: u32,
    pub applies_to: &'static str,
}

/// The weight limit of domestic packages.
pub(super) const DOMESTIC_LIMIT: WeightLimit = WeightLimit {
    pounds: MAX_WEIGHT_POUNDS,
    applies_to: "domestic packages",
};

/// Checks that a row priced with extra services requests nothing that the total-rates search
/// cannot take. Its body (`TotalRatesQuery` in Domestic Prices 3.0) has no rate indicator,
/// processing category or entry facility, so USPS prices the package as a machinable single
/// piece without destination entry. A row that sets another value would get the price of
/// another product.
pub fn check_total_rates_fields(
    record: &Record,
    columns: &ColumnMap,
    query: &BaseRatesQuery,
) -> Result<(), RowIssue> {
    let single_piece = matches!(
        query.rate_indicator,
        RateIndicator::SinglePiece
            | RateIndicator::DimensionalRectangular
            | RateIndicator::DimensionalNonrectangular
    );
    let field = if !single_piece {
        "rateIndicator"
    } else if query.processing_category != ProcessingCategory::Machinable {
        "processingCategory"
    } else if query.destination_entry_facility_type != DestinationEntryFacilityType::None {
        "destinationEntryFacilityType"
    } else {
        return Ok(());
    };
    Err(total_rates_issue(record, columns, field))
}

/// Builds the issue of a row whose `field` a total-rates search cannot take.
pub(super) fn total_rates_issue(
    record: &Record,
    columns: &ColumnMap,
    field: &'static str,
) -> RowIssue {
    let input = Input::read(record, columns, field);
    input.issue(
        "invalid_service_combination",
        format!(
            "{} cannot be priced with extra services, because the total-rates search that \
             prices them takes no {field} and would price a machinable single piece instead. \
             Remove extra_services from the job file to price this row, or clear the column",
            input.value.as_deref().unwrap_or("")
        ),
    )
}

/// A checked price row: the request body and the repairs to note.
pub type PreparedPrice = Prepared<BaseRatesQuery>;

/// Checks a record for `POST /prices/v3/base-rates/search`. `now` sets "today" for the
/// mailing date, in the origin ZIP Code's time zone.
pub fn prepare_price(
    record: &Record,
    columns: &ColumnMap,
    units: Units,
    now: Timestamp,
) -> Result<PreparedPrice, RowIssue> {
    let mut notes = Vec::new();
    let origin = prepare_domestic_zip(&Input::read(record, columns, "originZIPCode"))?;
    let destination = prepare_domestic_zip(&Input::read(record, columns, "destinationZIPCode"))?;
    let (weight, [length, width, height]) =
        prepare_package(record, columns, units, DOMESTIC_LIMIT, &mut notes)?;

    let mail_class_input = Input::read(record, columns, "mailClass");
    let mail_class = parse_enum(&mail_class_input, MailClass::parse, MailClass::ALL, None)?
        .expect("a required enum has a value");
    let processing_category = read_enum(
        record,
        columns,
        "processingCategory",
        ProcessingCategory::Machinable,
    )?;
    let rate_indicator = prepare_rate_indicator(
        record,
        columns,
        mail_class,
        [length, width, height],
        RateIndicator::SinglePiece,
        &destination,
        &mut notes,
    )?;
    let destination_entry_facility_type = read_enum(
        record,
        columns,
        "destinationEntryFacilityType",
        DestinationEntryFacilityType::None,
    )?;
    let price_type = read_enum(record, columns, "priceType", PriceType::Retail)?;
    if let Err(reason) = check_combination(mail_class, processing_category) {
        return Err(mail_class_input.issue(
            "invalid_service_combination",
            format!("{reason}; change the mail class or the processing category and rerun"),
        ));
    }
    if let Err(reason) = check_ingredients(
        mail_class,
        rate_indicator,
        destination_entry_facility_type,
        price_type,
    ) {
        return Err(mail_class_input.issue(
            "invalid_service_combination",
            format!(
                "{reason}; change the mail class, rate indicator, entry facility or price \
                 type and rerun"
            ),
        ));
    }

    let date_input = Input::read(record, columns, "mailingDate");
    let mailing_date = prepare_mailing_date(&date_input, today_at(&origin, now), &mut notes)?;

    let query = BaseRatesQuery {
        origin_zip_code: origin,
        destination_zip_code: destination,
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

/// Checks a record for `POST /shipments/v3/options/search`. The spec requires length, width
/// and height above zero there, so a row without dimensions is an error. An empty mail class
/// requests every outbound class (`ALL_OUTBOUND`).
pub fn prepare_options(
    record: &Record,
    columns: &ColumnMap,
    units: Units,
    now: Timestamp,
) -> Result<Prepared<DomesticOptionsRequest>, RowIssue> {
    let mut notes = Vec::new();
    let origin = prepare_domestic_zip(&Input::read(record, columns, "originZIPCode"))?;
    let destination = prepare_domestic_zip(&Input::read(record, columns, "destinationZIPCode"))?;
    let (weight, [length, width, height]) =
        prepare_measured_package(record, columns, units, "Shipping Options", &mut notes)?;

    let class_input = Input::read(record, columns, "mailClass");
    let mail_class = match class_input.value.as_deref() {
        None => "ALL_OUTBOUND".to_owned(),
        Some(raw) => match find_spec_name(raw, OPTIONS_MAIL_CLASSES) {
            Some(class) => class.to_owned(),
            None => {
                return Err(class_input.issue(
                    "invalid_service",
                    format!(
                        "`{raw}` is not a valid value; use one of: {} and rerun",
                        OPTIONS_MAIL_CLASSES.join(", ")
                    ),
                ))
            }
        },
    };
    let price_type = read_enum(record, columns, "priceType", PriceType::Retail)?;
    let date_input = Input::read(record, columns, "mailingDate");
    let mailing_date = prepare_mailing_date(&date_input, today_at(&origin, now), &mut notes)?;

    let query = DomesticOptionsRequest {
        pricing_options: vec![PricingOptionRequest { price_type }],
        origin_zip_code: origin,
        destination_zip_code: destination,
        package_description: PackageDescription {
            weight,
            length,
            width,
            height,
            mail_class,
            mailing_date: Some(mailing_date.to_string()),
        },
    };
    Ok(Prepared { query, notes })
}

/// Reports whether a five-digit ZIP Code is an APO, FPO or DPO one: 090 to 098 (AE), 340 (AA)
/// and 962 to 966 (AP).
fn is_military_zip(zip: &str) -> bool {
    let prefix: u16 = zip
        .get(..3)
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0);
    matches!(prefix, 90..=98 | 340 | 962..=966)
}

/// Parses a required ZIP Code and returns its five digits. Territories, freely associated
/// states and military ZIP Codes are domestic and pass.
pub(super) fn prepare_domestic_zip(input: &Input) -> Result<String, RowIssue> {
    let Some(raw) = input.value.as_deref() else {
        return Err(input.issue(
            "missing_zip",
            "is empty, and a price needs both ZIP Codes: fill it in and rerun".to_owned(),
        ));
    };
    match parse_zip(raw, None) {
        Ok(zip) => Ok(zip.zip5),
        Err(_) => Err(input.issue(
            "invalid_zip",
            format!(
                "`{raw}` is not a ZIP Code (5 digits, or ZIP+4 as 12345-6789); correct it and \
                 rerun"
            ),
        )),
    }
}

/// Parses the weight and converts it to pounds.
pub(super) fn prepare_weight(
    input: &Input,
    unit: WeightUnit,
    limit: WeightLimit,
    notes: &mut Vec<String>,
) -> Result<Decimal, RowIssue> {
    let Some(raw) = input.value.as_deref() else {
        return Err(input.issue(
            "invalid_weight",
            "is empty, and a price needs the weight: fill it in and rerun".to_owned(),
        ));
    };
    let value = parse_number(raw).filter(|value| *value > Decimal::ZERO);
    let Some(value) = value else {
        return Err(input.issue(
            "invalid_weight",
            format!(
                "`{raw}` is not a weight above zero in {}; write a plain number such as 12.5 \
                 (the unit is set by `[units] weight` in the job file) and rerun",
                unit.name()
            ),
        ));
    };
    let pounds = convert(value, pounds_per(unit));
    if pounds != value * pounds_per(unit) {
        notes.push(format!(
            "{}: {raw} {} rounded up to {} lb",
            input.place(),
            unit.name(),
            pounds
        ));
    }
    if pounds > Decimal::from(limit.pounds) {
        return Err(input.issue(
            "invalid_weight",
            format!(
                "`{raw}` {} is {} lb, over the {} lb limit of {}; split the shipment or fix \
                 the weight and rerun",
                unit.name(),
                pounds,
                limit.pounds,
                limit.applies_to
            ),
        ));
    }
    Ok(pounds)
}

/// Parses length, width and height and converts them to inches. All empty or zero means the
/// dimensions are unknown and zeros are sent, as the spec requires the three fields.
pub(super) fn prepare_dimensions(
    inputs: [Input; 3],
    unit: LengthUnit,
    notes: &mut Vec<String>,
) -> Result<[Decimal; 3], RowIssue> {
    let mut values = [Decimal::ZERO; 3];
    for (input, slot) in inputs.iter().zip(values.iter_mut()) {
        let Some(raw) = input.value.as_deref() else {
            continue;
        };
        match parse_number(raw).filter(|value| *value >= Decimal::ZERO) {
            Some(value) => *slot = value,
            None => {
                return Err(input.issue(
                    "invalid_dimensions",
                    format!(
                        "`{raw}` is not a length of zero or more; write a plain number such as \
                         12.5 (the unit is set by `[units] dimensions` in the job file) and rerun"
                    ),
                ))
            }
        }
    }
    let nonzero = values.iter().filter(|value| !value.is_zero()).count();
    if nonzero == 0 {
        return Ok(values);
    }
    if nonzero < 3 {
        let missing = inputs
            .iter()
            .zip(values)
            .find(|(_, value)| value.is_zero())
            .map(|(input, _)| input)
            .expect("a zero dimension exists");
        return Err(missing.issue(
            "partial_dimensions",
            "is empty or zero while other dimensions are given; fill in length, width and \
             height, or leave all three empty, and rerun"
                .to_owned(),
        ));
    }
    let factor = match unit {
        LengthUnit::Inch => Decimal::ONE,
        // 1 in = 2.54 cm exactly.
        LengthUnit::Centimeter => Decimal::ONE / Decimal::new(254, 2),
    };
    let mut converted = [Decimal::ZERO; 3];
    for ((input, value), slot) in inputs.iter().zip(values).zip(converted.iter_mut()) {
        let inches = convert(value, factor);
        if unit == LengthUnit::Centimeter {
            notes.push(format!("{}: {value} cm sent as {inches} in", input.place()));
        }
        *slot = inches;
    }
    Ok(converted)
}

fn pounds_per(unit: WeightUnit) -> Decimal {
    match unit {
        WeightUnit::Pound => Decimal::ONE,
        WeightUnit::Ounce => Decimal::ONE / Decimal::from(16),
        // 1 lb = 453.59237 g exactly (international avoirdupois pound).
        WeightUnit::Gram => Decimal::ONE / Decimal::new(45_359_237, 5),
        WeightUnit::Kilogram => Decimal::from(1000) / Decimal::new(45_359_237, 5),
    }
}

/// Multiplies and rounds up to [`CONVERTED_DECIMALS`] places, so a positive value never
/// becomes zero.
fn convert(value: Decimal, factor: Decimal) -> Decimal {
    (value * factor)
        .round_dp_with_strategy(CONVERTED_DECIMALS, RoundingStrategy::AwayFromZero)
        .normalize()
}

/// Parses a plain decimal number (`12`, `0.5`, `.5`); no units, signs of thousands or
/// exponents.
fn parse_number(raw: &str) -> Option<Decimal> {
    let valid = !raw.is_empty()
        && raw
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
    if !valid {
        return None;
    }
    Decimal::from_str(raw).ok()
}

/// Parses an enum column, or returns `default` when it is empty.
pub(super) fn parse_enum<T: Copy + EnumName>(
    input: &Input,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    default: Option<T>,
) -> Result<Option<T>, RowIssue> {
    let Some(raw) = input.value.as_deref() else {
        return match default {
            Some(value) => Ok(Some(value)),
            None => Err(input.issue(
                "missing_service",
                format!(
                    "is empty; fill in one of: {} and rerun",
                    names(all).join(", ")
                ),
            )),
        };
    };
    let normalized = raw.trim().replace([' ', '-'], "_");
    // The spec's own spellings contain `-` (FIRST-CLASS_...), so try the raw text first, then
    // with spaces replaced only ("First-Class Package Service").
    let spaced = raw.trim().replace(' ', "_");
    match parse(raw.trim())
        .or_else(|| parse(&spaced))
        .or_else(|| parse(&normalized))
    {
        Some(value) => Ok(Some(value)),
        None => Err(input.issue(
            "invalid_service",
            format!(
                "`{raw}` is not a valid value; use one of: {} and rerun",
                names(all).join(", ")
            ),
        )),
    }
}

/// An enum of the prices spec, by its spelling.
pub trait EnumName: Copy + 'static {
    fn spec_name(self) -> &'static str;
    /// Parses the spec's spelling, ignoring case.
    fn parse_spec_name(text: &str) -> Option<Self>;
    /// Every value, in the spec's order.
    fn all() -> &'static [Self];
}

macro_rules! enum_name {
    ($($name:ty),*) => {
        $(impl EnumName for $name {
            fn spec_name(self) -> &'static str {
                self.as_str()
            }

            fn parse_spec_name(text: &str) -> Option<Self> {
                <$name>::parse(text)
            }

            fn all() -> &'static [Self] {
                <$name>::ALL
            }
        })*
    };
}

/// Reads an optional enum column, or returns `default` when it is empty.
pub(super) fn read_enum<T: EnumName>(
    record: &Record,
    columns: &ColumnMap,
    field: &'static str,
    default: T,
) -> Result<T, RowIssue> {
    let input = Input::read(record, columns, field);
    let value = parse_enum(&input, T::parse_spec_name, T::all(), Some(default))?;
    Ok(value.expect("a defaulted enum has a value"))
}

/// Reads the weight and the three dimensions and converts them to pounds and inches.
pub(super) fn prepare_package(
    record: &Record,
    columns: &ColumnMap,
    units: Units,
    limit: WeightLimit,
    notes: &mut Vec<String>,
) -> Result<(Decimal, [Decimal; 3]), RowIssue> {
    let weight = prepare_weight(
        &Input::read_number(record, columns, "weight"),
        units.weight,
        limit,
        notes,
    )?;
    let dimensions = prepare_dimensions(
        [
            Input::read_number(record, columns, "length"),
            Input::read_number(record, columns, "width"),
            Input::read_number(record, columns, "height"),
        ],
        units.dimensions,
        notes,
    )?;
    Ok((weight, dimensions))
}

pub(super) use enum_name;

enum_name!(
    MailClass,
    ProcessingCategory,
    RateIndicator,
    DestinationEntryFacilityType,
    PriceType
);

fn names<T: EnumName + Copy>(all: &[T]) -> Vec<&'static str> {
    all.iter().map(|value| value.spec_name()).collect()
}

/// Checks the mailing date against `today`: empty means today, a past date is moved to today
/// (noted), and a date more than [`MAX_DAYS_AHEAD`] days ahead is rejected.
pub(super) fn prepare_mailing_date(
    input: &Input,
    today: Date,
    notes: &mut Vec<String>,
) -> Result<Date, RowIssue> {
    prepare_mailing_date_within(input, today, MAX_DAYS_AHEAD, "invalid_mailing_date", notes)
}

/// Checks a mailing or acceptance date as [`prepare_mailing_date`] does, with `max_days_ahead`
/// as the limit and `code` as the issue code of an invalid date.
pub(super) fn prepare_mailing_date_within(
    input: &Input,
    today: Date,
    max_days_ahead: i32,
    code: &'static str,
    notes: &mut Vec<String>,
) -> Result<Date, RowIssue> {
    let Some(raw) = input.value.as_deref() else {
        return Ok(today);
    };
    let Ok(date) = Date::from_str(raw) else {
        return Err(input.issue(
            code,
            format!("`{raw}` is not a date as YYYY-MM-DD; correct it and rerun"),
        ));
    };
    if date < today {
        notes.push(format!(
            "{}: date {date} is in the past, so today's date {today} was sent",
            input.place()
        ));
        return Ok(today);
    }
    let last = today
        .checked_add(max_days_ahead.days())
        .unwrap_or(Date::MAX);
    if date > last {
        return Err(input.issue(
            code,
            format!(
                "`{raw}` is more than {max_days_ahead} days ahead (after {last}); use an \
                 earlier date and rerun"
            ),
        ));
    }
    Ok(date)
}

/// Reads the rate indicator, or `default` when the column is empty. A single-piece default
/// becomes `DR` for a package over one cubic foot (noted), because USPS prices such a package
/// by dimensional weight and rejects `SP` with error 030007. An explicit `SP` for it is an
/// error.
fn prepare_rate_indicator(
    record: &Record,
    columns: &ColumnMap,
    mail_class: MailClass,
    dimensions: [Decimal; 3],
    default: RateIndicator,
    destination: &str,
    notes: &mut Vec<String>,
) -> Result<RateIndicator, RowIssue> {
    let indicator_input = Input::read(record, columns, "rateIndicator");
    let default_indicator = if default == RateIndicator::SinglePiece {
        single_piece_indicator(mail_class, dimensions)
    } else {
        default
    };
    let rate_indicator = parse_enum(
        &indicator_input,
        RateIndicator::parse,
        RateIndicator::ALL,
        Some(default_indicator),
    )?
    .expect("a defaulted enum has a value");
    if indicator_input.value.is_none() && default_indicator != default {
        notes.push(format!(
            "{}: empty, so {} was sent: the package is over one cubic foot, and its price \
             is by dimensional weight",
            indicator_input.place(),
            default_indicator.as_str()
        ));
    }
    if rate_indicator == RateIndicator::LargeFlatRateBoxApoFpoDpo && !is_military_zip(destination) {
        return Err(indicator_input.issue(
            "invalid_service_combination",
            format!(
                "is PM, the Large Flat Rate Box price for APO, FPO and DPO addresses, but \
                 {destination} is not a military ZIP Code: write PL for the Large Flat Rate Box \
                 and rerun"
            ),
        ));
    }
    if rate_indicator == RateIndicator::SinglePiece && dim_weight_applies(mail_class, dimensions) {
        return Err(indicator_input.issue(
            "dimensional_rate_required",
            "is SP, but the package is over one cubic foot, so USPS prices it by dimensional \
             weight and rejects SP (error 030007): write DR (rectangular) or DN (not \
             rectangular), or leave it empty, and rerun"
                .to_owned(),
        ));
    }
    Ok(rate_indicator)
}

/// Checks the weight (converted to pounds) and the length, width and height (converted to
/// inches), which `needed_by` requires above zero.
fn prepare_measured_package(
    record: &Record,
    columns: &ColumnMap,
    units: Units,
    needed_by: &str,
    notes: &mut Vec<String>,
) -> Result<(Decimal, [Decimal; 3]), RowIssue> {
    let (weight, dimensions) = prepare_package(record, columns, units, DOMESTIC_LIMIT, notes)?;
    if dimensions[0].is_zero() {
        return Err(Input::read(record, columns, "length").issue(
            "missing_dimensions",
            format!(
                "and the other dimensions are empty or zero, but {needed_by} needs length, \
                 width and height above zero: fill them in and rerun"
            ),
        ));
    }
    Ok((weight, dimensions))
}

/// The package of a label row, checked, with weight in pounds and dimensions in inches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelPackage {
    pub weight: Decimal,
    pub length: Decimal,
    pub width: Decimal,
    pub height: Decimal,
    pub mail_class: MailClass,
    pub processing_category: ProcessingCategory,
    pub rate_indicator: RateIndicator,
    pub destination_entry_facility_type: DestinationEntryFacilityType,
    /// `None` when the column is empty: the runner fixes the date when it records the row's
    /// first attempt.
    pub mailing_date: Option<Date>,
}

/// Defaults of the enum columns of a label job, from the job file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelDefaults {
    pub mail_class: Option<MailClass>,
    pub processing_category: ProcessingCategory,
    pub rate_indicator: RateIndicator,
    pub destination_entry_facility_type: DestinationEntryFacilityType,
}

/// Checks the package columns of a label row (`weight`, `length`, `width`, `height`,
/// `mailClass`, `processingCategory`, `rateIndicator`, `destinationEntryFacilityType`,
/// `mailingDate`), with the same rules as a price row. `today` is the shipper's date, against
/// which a written mailing date is checked.
pub fn prepare_label_package(
    record: &Record,
    columns: &ColumnMap,
    units: Units,
    defaults: LabelDefaults,
    destination_zip: &str,
    today: Date,
) -> Result<Prepared<LabelPackage>, RowIssue> {
    let mut notes = Vec::new();
    let (weight, [length, width, height]) =
        prepare_measured_package(record, columns, units, "a label", &mut notes)?;

    let mail_class_input = Input::read(record, columns, "mailClass");
    let mail_class = parse_enum(
        &mail_class_input,
        MailClass::parse,
        MailClass::ALL,
        defaults.mail_class,
    )?
    .expect("a required enum has a value");
    let processing_category = parse_enum(
        &Input::read(record, columns, "processingCategory"),
        ProcessingCategory::parse,
        ProcessingCategory::ALL,
        Some(defaults.processing_category),
    )?
    .expect("a defaulted enum has a value");
    let rate_indicator = prepare_rate_indicator(
        record,
        columns,
        mail_class,
        [length, width, height],
        defaults.rate_indicator,
        destination_zip,
        &mut notes,
    )?;
    let destination_entry_facility_type = parse_enum(
        &Input::read(record, columns, "destinationEntryFacilityType"),
        DestinationEntryFacilityType::parse,
        DestinationEntryFacilityType::ALL,
        Some(defaults.destination_entry_facility_type),
    )?
    .expect("a defaulted enum has a value");
    if let Err(reason) = check_combination(mail_class, processing_category) {
        return Err(mail_class_input.issue(
            "invalid_service_combination",
            format!("{reason}; change the mail class or the processing category and rerun"),
        ));
    }
    // Labels are bought at commercial prices.
    if let Err(reason) = check_ingredients(
        mail_class,
        rate_indicator,
        destination_entry_facility_type,
        PriceType::Commercial,
    ) {
        return Err(mail_class_input.issue(
            "invalid_service_combination",
            format!("{reason}; change the mail class, rate indicator or entry facility and rerun"),
        ));
    }

    let date_input = Input::read(record, columns, "mailingDate");
    let mailing_date = match date_input.value {
        None => None,
        Some(_) => Some(prepare_mailing_date(&date_input, today, &mut notes)?),
    };
    let package = LabelPackage {
        weight,
        length,
        width,
        height,
        mail_class,
        processing_category,
        rate_indicator,
        destination_entry_facility_type,
        mailing_date,
    };
    Ok(Prepared {
        query: package,
        notes,
    })
}

/// Time zones of the directory's ZIP Codes, indexed on first use.
static TIME_ZONES: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    zipcodes::database()
        .iter()
        .filter(|entry| !entry.timezone.is_empty())
        .map(|entry| (entry.zip_code.as_str(), entry.timezone.as_str()))
        .collect()
});

/// Returns the date at `now` in the time zone of `zip`, falling back to New York time, and
/// to UTC when the system has no time zone database.
pub fn today_at(zip: &str, now: Timestamp) -> Date {
    let zone = TIME_ZONES
        .get(zip)
        .and_then(|name| TimeZone::get(name).ok())
        .or_else(|| TimeZone::get(FALLBACK_TIME_ZONE).ok())
        .unwrap_or(TimeZone::UTC);
    now.to_zoned(zone).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{FieldSpec, Fields, DOMESTIC_PRICE_FIELDS};
    use std::collections::BTreeMap;
    use std::path::Path;

    const HEADERS: &[&str] = &[
        "from_zip",
        "to_zip",
        "weight",
        "length",
        "width",
        "height",
        "service",
        "mailing_date",
        "processing_category",
    ];

    fn prepare(values: &[&str], units: Units) -> Result<PreparedPrice, RowIssue> {
        let headers: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
        let specs: &[FieldSpec] = DOMESTIC_PRICE_FIELDS;
        let columns =
            ColumnMap::resolve(specs, &BTreeMap::new(), &headers, Path::new("in.csv")).unwrap();
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
        // 2026-03-10 15:00 UTC, 10:00 or 11:00 in New York.
        let now: Timestamp = "2026-03-10T15:00:00Z".parse().unwrap();
        prepare_price(&record, &columns, units, now)
    }

    const OZ_IN: Units = Units {
        weight: WeightUnit::Ounce,
        dimensions: LengthUnit::Inch,
    };

    fn decimal(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn ounces_convert_exactly() {
        let row = [
            "22407",
            "63118",
            "3",
            "",
            "",
            "",
            "USPS_GROUND_ADVANTAGE",
            "",
        ];
        let prepared = prepare(&row, OZ_IN).unwrap();
        assert_eq!(prepared.query.weight, decimal("0.1875"));
        assert!(prepared.notes.is_empty(), "{:?}", prepared.notes);
        assert_eq!(prepared.query.length, Decimal::ZERO);
    }

    #[test]
    fn grams_and_kilograms_round_up() {
        let grams = Units {
            weight: WeightUnit::Gram,
            dimensions: LengthUnit::Inch,
        };
        let row = ["22407", "63118", "1", "", "", "", "PRIORITY_MAIL", ""];
        let prepared = prepare(&row, grams).unwrap();
        // 1 g = 0.00220462262... lb, rounded up to six places.
        assert_eq!(prepared.query.weight, decimal("0.002205"));
        assert_eq!(prepared.notes.len(), 1);
        let kilograms = Units {
            weight: WeightUnit::Kilogram,
            dimensions: LengthUnit::Inch,
        };
        let row = ["22407", "63118", "2", "", "", "", "PRIORITY_MAIL", ""];
        let prepared = prepare(&row, kilograms).unwrap();
        assert_eq!(prepared.query.weight, decimal("4.409246"));
    }

    #[test]
    fn centimetres_convert_to_inches() {
        let metric = Units {
            weight: WeightUnit::Kilogram,
            dimensions: LengthUnit::Centimeter,
        };
        let row = [
            "22407",
            "63118",
            "1",
            "25.4",
            "12.7",
            "2.54",
            "PRIORITY_MAIL",
            "",
        ];
        let prepared = prepare(&row, metric).unwrap();
        assert_eq!(prepared.query.length, decimal("10"));
        assert_eq!(prepared.query.width, decimal("5"));
        assert_eq!(prepared.query.height, decimal("1"));
    }

    #[test]
    fn bad_weights_are_rejected() {
        for weight in ["0", "-1", "abc", "", "3 oz", "1e3", "1121"] {
            let row = ["22407", "63118", weight, "", "", "", "PRIORITY_MAIL", ""];
            let issue = prepare(&row, OZ_IN).unwrap_err();
            assert_eq!(issue.code, "invalid_weight", "{weight}");
            assert!(
                issue.message.contains("column `weight`"),
                "{}",
                issue.message
            );
        }
    }

    #[test]
    fn partial_dimensions_are_rejected() {
        let row = ["22407", "63118", "3", "10", "0", "4", "PRIORITY_MAIL", ""];
        let issue = prepare(&row, OZ_IN).unwrap_err();
        assert_eq!(issue.code, "partial_dimensions");
        assert_eq!(issue.column.as_deref(), Some("width"));
        let row = ["22407", "63118", "3", "", "6", "4", "PRIORITY_MAIL", ""];
        let issue = prepare(&row, OZ_IN).unwrap_err();
        assert_eq!(issue.code, "partial_dimensions");
        assert_eq!(issue.column.as_deref(), Some("length"));
        let row = ["22407", "63118", "3", "0.0", "0", "0", "PRIORITY_MAIL", ""];
        let prepared = prepare(&row, OZ_IN).unwrap();
        assert_eq!(
            prepared.query.length,
            Decimal::ZERO,
            "all zero means no dimensions"
        );
        assert_eq!(prepared.query.height, Decimal::ZERO);
    }

    #[test]
    fn invalid_combination_is_rejected() {
        let row = [
            "22407",
            "63118",
            "3",
            "",
            "",
            "",
            "PARCEL_SELECT",
            "",
            "MACHINABLE",
        ];
        assert!(prepare(&row, OZ_IN).is_ok());
        let row = [
            "22407",
            "63118",
            "3",
            "",
            "",
            "",
            "PARCEL_SELECT",
            "",
            "LETTERS",
        ];
        let issue = prepare(&row, OZ_IN).unwrap_err();
        assert_eq!(issue.code, "invalid_service_combination");
        assert!(issue.message.contains("LETTERS"), "{}", issue.message);
        let row = [
            "22407",
            "63118",
            "3",
            "",
            "",
            "",
            "PRIORITY_MAIL",
            "",
            "letters",
        ];
        assert!(prepare(&row, OZ_IN).is_ok());
        let row = ["22407", "63118", "3", "", "", "", "MEDIA MAIL", ""];
        assert_eq!(
            prepare(&row, OZ_IN).unwrap().query.mail_class,
            MailClass::MediaMail
        );
        let row = ["22407", "63118", "3", "", "", "", "OVERNIGHT", ""];
        assert_eq!(prepare(&row, OZ_IN).unwrap_err().code, "invalid_service");
    }

    #[test]
    fn mailing_date_rules() {
        let row = ["22407", "63118", "3", "", "", "", "PRIORITY_MAIL", ""];
        let prepared = prepare(&row, OZ_IN).unwrap();
        assert_eq!(prepared.query.mailing_date.as_deref(), Some("2026-03-10"));

        let row = [
            "22407",
            "63118",
            "3",
            "",
            "",
            "",
            "PRIORITY_MAIL",
            "2026-01-02",
        ];
        let prepared = prepare(&row, OZ_IN).unwrap();
        assert_eq!(prepared.query.mailing_date.as_deref(), Some("2026-03-10"));
        assert!(
            prepared.notes[0].contains("in the past"),
            "{:?}",
            prepared.notes
        );

        let row = [
            "22407",
            "63118",
            "3",
            "",
            "",
            "",
            "PRIORITY_MAIL",
            "2026-03-17",
        ];
        let prepared = prepare(&row, OZ_IN).unwrap();
        // The Prices specs allow today plus 0 to 7 days.
        assert_eq!(prepared.query.mailing_date.as_deref(), Some("2026-03-17"));

        let row = [
            "22407",
            "63118",
            "3",
            "",
            "",
            "",
            "PRIORITY_MAIL",
            "2026-03-18",
        ];
        assert_eq!(
            prepare(&row, OZ_IN).unwrap_err().code,
            "invalid_mailing_date"
        );
    }

    #[test]
    fn today_follows_origin_time_zone() {
        // 03:00 UTC is the previous evening in Los Angeles and New York (the fallback).
        let now: Timestamp = "2026-03-10T03:00:00Z".parse().unwrap();
        assert_eq!(today_at("90210", now).to_string(), "2026-03-09");
        assert_eq!(today_at("00000", now).to_string(), "2026-03-09");
        let now: Timestamp = "2026-03-10T06:00:00Z".parse().unwrap();
        assert_eq!(today_at("10001", now).to_string(), "2026-03-10");
        assert_eq!(today_at("96813", now).to_string(), "2026-03-09");
    }

    #[test]
    fn military_zip_prefixes() {
        assert!(is_military_zip("09021"));
        assert!(is_military_zip("34001"));
        assert!(is_military_zip("96201"));
        assert!(!is_military_zip("78664"));
        assert!(!is_military_zip("10001"));
    }

    #[test]
    fn territory_and_military_zips_are_domestic() {
        for zip in ["00901", "96910", "09001", "96201"] {
            let row = [zip, "63118", "3", "", "", "", "PRIORITY_MAIL", ""];
            assert!(prepare(&row, OZ_IN).is_ok(), "{zip}");
        }
    }
}
