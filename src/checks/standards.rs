//! Local checks of a service-standard row: both ZIP Codes, the mail class, the acceptance
//! date and the optional weight.

use jiff::Timestamp;
use rust_decimal::Decimal;

use super::prices::{
    prepare_domestic_zip, prepare_mailing_date_within, prepare_weight, today_at, DOMESTIC_LIMIT,
};
use super::{Input, Prepared, RowIssue, Units};
use crate::manifest::{ColumnMap, Record};
use crate::usps::find_spec_name;
use crate::usps::service_standards::{MAIL_CLASSES, MAX_DAYS_AHEAD};

/// Query pairs of `GET /service-standards/v3/estimates`, in normal form.
pub type EstimateQuery = Vec<(&'static str, String)>;

/// Checks a record for `GET /service-standards/v3/estimates`. `units` is `None` when the
/// job has no `[units]` table, and then a weight is an error.
pub fn prepare_estimate(
    record: &Record,
    columns: &ColumnMap,
    units: Option<Units>,
    now: Timestamp,
) -> Result<Prepared<EstimateQuery>, RowIssue> {
    let mut notes = Vec::new();
    let origin = prepare_domestic_zip(&Input::read(record, columns, "originZIPCode"))?;
    let destination = prepare_domestic_zip(&Input::read(record, columns, "destinationZIPCode"))?;
    let mut query = vec![
        ("originZIPCode", origin.clone()),
        ("destinationZIPCode", destination),
    ];

    let class_input = Input::read(record, columns, "mailClass");
    if let Some(raw) = class_input.value.as_deref() {
        match find_spec_name(raw, MAIL_CLASSES) {
            Some(class) => query.push(("mailClass", class.to_owned())),
            None => {
                return Err(class_input.issue(
                    "invalid_service",
                    format!(
                        "`{raw}` is not a valid value; use one of: {} and rerun",
                        MAIL_CLASSES.join(", ")
                    ),
                ))
            }
        }
    }

    let date_input = Input::read(record, columns, "acceptanceDate");
    let date = prepare_mailing_date_within(
        &date_input,
        today_at(&origin, now),
        MAX_DAYS_AHEAD,
        "invalid_acceptance_date",
        &mut notes,
    )?;
    query.push(("acceptanceDate", date.to_string()));

    let weight_input = Input::read_number(record, columns, "weight");
    if weight_input.value.is_some() {
        let Some(units) = units else {
            return Err(weight_input.issue(
                "invalid_weight",
                "has a weight, but the job file has no [units] table to say in which unit: \
                 add [units] with weight and dimensions, or unmap the column, and rerun"
                    .to_owned(),
            ));
        };
        let pounds: Decimal =
            prepare_weight(&weight_input, units.weight, DOMESTIC_LIMIT, &mut notes)?;
        query.push(("weight", pounds.normalize().to_string()));
    }
    Ok(Prepared { query, notes })
}
