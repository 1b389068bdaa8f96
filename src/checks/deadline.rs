//! The delivery deadline of a `rate-shop` row: a `deliverBy` date, or `maxDays` calendar
//! days after the mailing date.

use std::str::FromStr;

use jiff::civil::Date;
use jiff::ToSpan;

use super::{Input, RowIssue};
use crate::manifest::{ColumnMap, Record};

/// Maximum `maxDays`, a guessed limit: domestic commitments are counted in days, so a larger
/// value is taken for a typo.
const MAX_DAYS: i64 = 60;

/// Reads the deadline, or `None` when neither column has a value. A deadline before the
/// mailing date, or both columns at once, is an error.
pub fn prepare_deadline(
    record: &Record,
    columns: &ColumnMap,
    mailing_date: Date,
) -> Result<Option<Date>, RowIssue> {
    let date_input = Input::read(record, columns, "deliverBy");
    let days_input = Input::read(record, columns, "maxDays");
    match (date_input.value.as_deref(), days_input.value.as_deref()) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(days_input.issue(
            "conflicting_deadline",
            format!(
                "is set together with {}, and a row takes one deadline: keep one of them and \
                 rerun",
                date_input.place()
            ),
        )),
        (Some(raw), None) => {
            let Ok(date) = Date::from_str(raw) else {
                return Err(date_input.issue(
                    "invalid_deadline",
                    format!("`{raw}` is not a date as YYYY-MM-DD; correct it and rerun"),
                ));
            };
            if date < mailing_date {
                return Err(date_input.issue(
                    "invalid_deadline",
                    format!(
                        "`{raw}` is before the mailing date {mailing_date}, so no service can \
                         meet it; move the deadline and rerun"
                    ),
                ));
            }
            Ok(Some(date))
        }
        (None, Some(raw)) => {
            let days = raw
                .parse::<i64>()
                .ok()
                .filter(|days| (1..=MAX_DAYS).contains(days));
            let Some(days) = days else {
                return Err(days_input.issue(
                    "invalid_deadline",
                    format!(
                        "`{raw}` is not a whole number of days from 1 to {MAX_DAYS}; correct it \
                         and rerun"
                    ),
                ));
            };
            Ok(Some(
                mailing_date
                    .checked_add(days.days())
                    .expect("60 days after a mailing date is a valid date"),
            ))
        }
    }
}
