//! Local checks that cost no API call: each turns a manifest record into the query sent to
//! USPS, or into a [`RowIssue`] that goes to the error report instead.
//!
//! The checks repair what is safe to repair (a lost leading zero, a full state name, a unit
//! left on the street line, non-ASCII letters) and record each repair in [`Prepared::notes`]. The record
//! itself is never changed, so the output keeps the original text. A record with a
//! [`Record::problem`] is the caller's to report before these checks run. Query values are
//! not percent-encoded here: the HTTP client does that.

mod country;
mod deadline;
mod international;
mod location;
mod prices;
mod standards;
mod state;
mod street;
pub(crate) mod text;
mod tracking;
mod zip;

use std::borrow::Cow;

use crate::manifest::{ColumnMap, Fields, Record};
use crate::usps::addresses::{AddressQuery, CityStateQuery, ZipCodeQuery};

pub use country::{parse_country, Country, CountryFault};
pub use deadline::prepare_deadline;
pub use international::{check_international_total_rates_fields, prepare_international};
pub use location::{prepare_location, LocationQuery};
pub use prices::{
    check_total_rates_fields, prepare_label_package, prepare_options, prepare_price, today_at,
    LabelDefaults, LabelPackage, LengthUnit, PreparedPrice, Units, WeightUnit,
};
pub use standards::{prepare_estimate, EstimateQuery};
use text::{clean_text, one_line};
pub use tracking::{
    check_tracking_number, impb_check_digit, prepare_tracking, s10_check_digit, TrackingQuery,
};
use zip::{parse_plus4, parse_zip, ZipFault};

/// Maximum `city` length in the Addresses 3.0 spec.
const CITY_MAX: usize = 28;
/// Maximum `firm` length in the Addresses 3.0 spec.
const FIRM_MAX: usize = 50;
/// Maximum `urbanization` length in the Addresses 3.0 spec's `DomesticAddress` schema.
const URBANIZATION_MAX: usize = 96;

/// Reason a row cannot be sent. It goes to the error report and costs no API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    /// Stable code for reports, such as `zip_too_short` or `missing_state`.
    pub code: &'static str,
    /// API field concerned, such as `ZIPCode`.
    pub field: Option<&'static str>,
    /// Manifest column concerned, when one is mapped.
    pub column: Option<String>,
    /// The value as written in the manifest.
    pub value: Option<String>,
    /// Explanation that names the column and value, and the fix.
    pub message: String,
}

/// A query ready to send, with the repairs and warnings to show in the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared<Q> {
    pub query: Q,
    /// One line per repair or warning, naming the column, such as "column `zip`: ZIP Code
    /// 2134 padded to 02134 (MA ZIP Codes start with 0)".
    pub notes: Vec<String>,
}

/// Checks a record for `GET /addresses/v3/address`: street and state are required, and a
/// city or a ZIP Code.
pub fn prepare_address(
    record: &Record,
    columns: &ColumnMap,
) -> Result<Prepared<AddressQuery>, RowIssue> {
    let mut notes = Vec::new();
    let street_input = Input::read(record, columns, "streetAddress");
    let secondary_input = Input::read(record, columns, "secondaryAddress");
    let (street, secondary) = street::prepare_lines(&street_input, &secondary_input, &mut notes)?;

    let state_input = Input::read(record, columns, "state");
    let state = state::prepare_state(&state_input, &mut notes)?;

    let zip_input = Input::read(record, columns, "ZIPCode");
    let plus4_input = Input::read(record, columns, "ZIPPlus4");
    let (zip5, plus4) = prepare_zip(&zip_input, &plus4_input, Some(&state), &mut notes)?;

    let city_input = Input::read(record, columns, "city");
    let city = clean_optional(&city_input, CITY_MAX, "city_too_long", &mut notes)?;
    if city.is_none() && zip5.is_none() {
        return Err(missing_city_or_zip(&city_input, &zip_input));
    }
    state::check_military(
        &state,
        &state_input,
        city.as_deref(),
        &city_input,
        zip5.as_deref(),
        &zip_input,
    )?;

    let firm_input = Input::read(record, columns, "firm");
    let firm = clean_optional(&firm_input, FIRM_MAX, "firm_too_long", &mut notes)?;
    let urbanization_input = Input::read(record, columns, "urbanization");
    let urbanization = clean_optional(
        &urbanization_input,
        URBANIZATION_MAX,
        "urbanization_too_long",
        &mut notes,
    )?;

    let query = AddressQuery {
        firm,
        street_address: street,
        secondary_address: secondary,
        city,
        state,
        urbanization,
        zip_code: zip5,
        zip_plus4: plus4,
    };
    Ok(Prepared { query, notes })
}

/// Checks a record for `GET /addresses/v3/city-state`: a 5-digit ZIP Code is required. A
/// ZIP+4 is accepted and only its first five digits are sent.
pub fn prepare_city_state(
    record: &Record,
    columns: &ColumnMap,
) -> Result<Prepared<CityStateQuery>, RowIssue> {
    let mut notes = Vec::new();
    let zip_input = Input::read(record, columns, "ZIPCode");
    if zip_input.value.is_none() {
        return Err(zip_input.issue(
            "missing_zip",
            "is empty, and a city/state lookup needs a ZIP Code: fill it in and rerun".to_owned(),
        ));
    }
    let no_plus4 = Input {
        field: "ZIPPlus4",
        column: None,
        value: None,
    };
    let (zip5, _) = prepare_zip(&zip_input, &no_plus4, None, &mut notes)?;
    let query = CityStateQuery {
        zip_code: zip5.unwrap_or_default(),
    };
    Ok(Prepared { query, notes })
}

/// Checks a record for `GET /addresses/v3/zipcode`: street, city and state are required.
pub fn prepare_zipcode(
    record: &Record,
    columns: &ColumnMap,
) -> Result<Prepared<ZipCodeQuery>, RowIssue> {
    let mut notes = Vec::new();
    let street_input = Input::read(record, columns, "streetAddress");
    let secondary_input = Input::read(record, columns, "secondaryAddress");
    let (street, secondary) = street::prepare_lines(&street_input, &secondary_input, &mut notes)?;

    let state_input = Input::read(record, columns, "state");
    let state = state::prepare_state(&state_input, &mut notes)?;

    let city_input = Input::read(record, columns, "city");
    let Some(city) = clean_optional(&city_input, CITY_MAX, "city_too_long", &mut notes)? else {
        return Err(city_input.issue(
            "missing_city",
            "is empty, and a ZIP Code lookup needs the city: fill it in and rerun".to_owned(),
        ));
    };

    let zip_input = Input::read(record, columns, "ZIPCode");
    let plus4_input = Input::read(record, columns, "ZIPPlus4");
    let (zip5, plus4) = prepare_zip(&zip_input, &plus4_input, Some(&state), &mut notes)?;
    state::check_military(
        &state,
        &state_input,
        Some(&city),
        &city_input,
        zip5.as_deref(),
        &zip_input,
    )?;

    let firm_input = Input::read(record, columns, "firm");
    let firm = clean_optional(&firm_input, FIRM_MAX, "firm_too_long", &mut notes)?;

    let query = ZipCodeQuery {
        firm,
        street_address: street,
        secondary_address: secondary,
        city,
        state,
        zip_code: zip5,
        zip_plus4: plus4,
    };
    Ok(Prepared { query, notes })
}

/// One API field's value in a record, with the column it came from.
pub(crate) struct Input<'a> {
    field: &'static str,
    column: Option<&'a str>,
    /// Trimmed value; `None` when empty or unmapped.
    value: Option<Cow<'a, str>>,
}

impl<'a> Input<'a> {
    fn read(record: &'a Record, columns: &'a ColumnMap, field: &'static str) -> Input<'a> {
        Input {
            field,
            column: columns.column_name(field),
            value: columns.value(field, record),
        }
    }

    /// Reads a numeric field like [`Input::read`], except that a JSON number is written out
    /// as a plain decimal. serde_json writes small and large numbers in exponent form (`1e-7`),
    /// which the number checks reject as a CSV manifest's text, so a JSON `0.0000001` would
    /// fail where the same CSV value passes. A number beyond `Decimal`'s range keeps its JSON
    /// text and fails the check.
    fn read_number(record: &'a Record, columns: &'a ColumnMap, field: &'static str) -> Input<'a> {
        let mut input = Input::read(record, columns, field);
        let Fields::Json(map) = &record.fields else {
            return input;
        };
        let number = input.column.and_then(|column| match map.get(column) {
            Some(serde_json::Value::Number(number)) => Some(number),
            _ => None,
        });
        if let Some(plain) = number.and_then(plain_decimal) {
            input.value = Some(Cow::Owned(plain));
        }
        input
    }

    /// Returns where the value comes from, for messages: "column `zip`".
    fn place(&self) -> String {
        match self.column {
            Some(column) => format!("column `{column}`"),
            None => format!("field `{}` (no column mapped)", self.field),
        }
    }

    /// Builds an issue about this value. `detail` continues the sentence that names the column.
    fn issue(&self, code: &'static str, detail: String) -> RowIssue {
        RowIssue {
            code,
            field: Some(self.field),
            column: self.column.map(str::to_owned),
            value: self.value.as_deref().map(str::to_owned),
            message: format!("{}: {detail}", self.place()),
        }
    }
}

/// Writes a JSON number in exponent form as a plain decimal (`1e-7` as `0.0000001`). Returns
/// `None` for a number without an exponent, whose JSON text is already plain, and for one
/// that `Decimal` cannot hold.
fn plain_decimal(number: &serde_json::Number) -> Option<String> {
    let text = number.to_string();
    if !text.contains(['e', 'E']) {
        return None;
    }
    let value = rust_decimal::Decimal::from_scientific(&text).ok()?;
    Some(value.normalize().to_string())
}

/// Cleans an optional free-text field and checks its length; `None` when it is empty, or
/// when nothing sendable is left (noted).
fn clean_optional(
    input: &Input,
    max: usize,
    too_long: &'static str,
    notes: &mut Vec<String>,
) -> Result<Option<String>, RowIssue> {
    let Some(raw) = input.value.as_deref() else {
        return Ok(None);
    };
    let cleaned = clean_text(raw);
    if cleaned.text.is_empty() {
        notes.push(format!(
            "{}: `{}` contains no characters that can be sent to USPS, so it was left out",
            input.place(),
            one_line(raw)
        ));
        return Ok(None);
    }
    if !cleaned.changes.is_empty() {
        notes.push(format!(
            "{}: `{}` sent as `{}` ({})",
            input.place(),
            one_line(raw),
            cleaned.text,
            cleaned.changes.join(", ")
        ));
    }
    let length = cleaned.text.chars().count();
    if length > max {
        return Err(input.issue(
            too_long,
            format!(
                "`{}` is {length} characters, and the Addresses API accepts at most {max}; \
                 shorten it and rerun",
                cleaned.text
            ),
        ));
    }
    Ok(Some(cleaned.text))
}

/// Parses the ZIP and ZIP+4 columns into the 5-digit `ZIPCode` and the 4-digit `ZIPPlus4`.
fn prepare_zip(
    zip_input: &Input,
    plus4_input: &Input,
    state: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<(Option<String>, Option<String>), RowIssue> {
    let plus4_column = match plus4_input.value.as_deref() {
        None => None,
        Some(raw) => Some(parse_plus4(raw).ok_or_else(|| {
            plus4_input.issue(
                "invalid_zip_plus4",
                format!("`{raw}` is not a ZIP+4 code (exactly 4 digits); fix it and rerun"),
            )
        })?),
    };
    let Some(raw) = zip_input.value.as_deref() else {
        return Ok((None, plus4_column));
    };

    let zip = parse_zip(raw, state).map_err(|fault| zip_issue(zip_input, raw, state, fault))?;
    if let Some(original) = &zip.padded_from {
        let state = state.unwrap_or_default();
        notes.push(format!(
            "{}: ZIP Code {original} padded to {} ({state} ZIP Codes start with 0)",
            zip_input.place(),
            zip.zip5
        ));
    }
    let plus4 = match (zip.plus4, plus4_column) {
        (Some(inline), Some(separate)) if inline != separate => {
            return Err(plus4_input.issue(
                "invalid_zip_plus4",
                format!(
                    "`{separate}` disagrees with the ZIP+4 in {} (`{raw}`); keep one of them \
                     and rerun",
                    zip_input.place()
                ),
            ))
        }
        (inline, separate) => inline.or(separate),
    };
    Ok((Some(zip.zip5), plus4))
}

fn zip_issue(input: &Input, raw: &str, state: Option<&str>, fault: ZipFault) -> RowIssue {
    match fault {
        ZipFault::TooShort {
            padded,
            padded_state,
        } => {
            let reason = match (state, padded_state) {
                (None, _) => {
                    "this job has no state to tell whether a leading zero was lost".to_owned()
                }
                (Some(state), Some(owner)) => format!(
                    "a leading zero would make it {padded}, which is a {owner} ZIP Code, not \
                     {state}"
                ),
                (Some(state), None) => format!("{state} ZIP Codes do not start with 0"),
            };
            input.issue(
                "zip_too_short",
                format!("ZIP Code `{raw}` has 4 digits and {reason}; correct it and rerun"),
            )
        }
        ZipFault::Invalid => input.issue(
            "invalid_zip",
            format!(
                "`{raw}` is not a ZIP Code (5 digits, or ZIP+4 as 12345-6789); correct it and \
                 rerun"
            ),
        ),
    }
}

fn missing_city_or_zip(city: &Input, zip: &Input) -> RowIssue {
    let (place, column) = match (city.column, zip.column) {
        (Some(city), Some(zip)) => (format!("columns `{city}` and `{zip}` are"), Some(zip)),
        (None, Some(zip)) => (format!("column `{zip}` is"), Some(zip)),
        (Some(city), None) => (format!("column `{city}` is"), Some(city)),
        (None, None) => (
            "no city or ZIP Code column is mapped, so both are".to_owned(),
            None,
        ),
    };
    RowIssue {
        code: "missing_city_or_zip",
        field: Some(if column == city.column {
            "city"
        } else {
            "ZIPCode"
        }),
        column: column.map(str::to_owned),
        value: None,
        message: format!(
            "{place} empty, and the Addresses API needs a city or a ZIP Code: fill in either \
             and rerun"
        ),
    }
}

#[cfg(test)]
mod tests;

/// Rejects JSON objects and arrays in mapped columns: the APIs take text, and sending a
/// value's JSON text (`{"a":1}`) would spend a call on a request that cannot match.
pub fn check_json_values(record: &Record, columns: &ColumnMap) -> Result<(), RowIssue> {
    let crate::manifest::Fields::Json(object) = &record.fields else {
        return Ok(());
    };
    for (field, column) in columns.mapped_columns() {
        let value = match object.get(column) {
            Some(value @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => value,
            _ => continue,
        };
        let kind = if value.is_object() {
            "an object"
        } else {
            "an array"
        };
        return Err(RowIssue {
            code: "invalid_value",
            field: Some(field),
            column: Some(column.to_string()),
            value: Some(value.to_string()),
            message: format!(
                "key `{column}` is {kind}, not text: `{value}`; write the {field} as a string or number and rerun"
            ),
        });
    }
    Ok(())
}
