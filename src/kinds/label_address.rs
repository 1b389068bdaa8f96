//! The addresses of a label request, built from checked address columns and the name and
//! contact columns, in the forms the Labels spec accepts.

use crate::checks::RowIssue;
use crate::manifest::{ColumnMap, Record};
use crate::usps::addresses::AddressQuery;
use crate::usps::labels::LabelAddress;

/// Maximum length of `firstName` and `lastName` in the Labels spec.
const NAME_MAX: usize = 50;
/// Maximum length of `email` in the Labels spec.
const EMAIL_MAX: usize = 50;

/// Builds a label address from a checked address and the name and contact columns. A phone
/// number or email that the spec's pattern would reject is left out with a note, because both
/// are optional and a label without them still ships.
pub(super) fn label_address(
    address: AddressQuery,
    columns: &ColumnMap,
    record: &Record,
    part: &'static str,
    notes: &mut Vec<String>,
) -> Result<LabelAddress, RowIssue> {
    let missing = |field: &'static str, what: &str| RowIssue {
        code: "missing_address_part",
        field: Some(part),
        column: columns.column_name(field).map(str::to_string),
        value: None,
        message: format!(
            "{part}.{field} is empty, and a label needs the {what}: fill it in and rerun"
        ),
    };
    let city = address.city.ok_or_else(|| missing("city", "city"))?;
    let zip_code = address
        .zip_code
        .ok_or_else(|| missing("ZIPCode", "ZIP Code"))?;
    let place = |field: &str| match columns.column_name(field) {
        Some(column) => format!("column `{column}`"),
        None => format!("{part}.{field}"),
    };

    // Names are printed on the label, where USPS prints any character outside ASCII as `?`,
    // so they are transliterated like the address lines.
    let name = |field: &'static str, notes: &mut Vec<String>| -> Result<Option<String>, RowIssue> {
        let Some(raw) = columns.value(field, record) else {
            return Ok(None);
        };
        let cleaned = crate::checks::text::clean_text(&raw);
        let value = super::normalize(&cleaned.text);
        if value.is_empty() && !raw.trim().is_empty() {
            return Err(RowIssue {
                code: "unprintable_name",
                field: Some(part),
                column: columns.column_name(field).map(str::to_string),
                value: Some(raw.to_string()),
                message: format!(
                    "{}: `{raw}` has no letters that a label can print in ASCII; write the name in Latin letters and rerun",
                    place(field)
                ),
            });
        }
        if !cleaned.changes.is_empty() {
            notes.push(format!(
                "{}: `{raw}` sent as `{value}` ({})",
                place(field),
                cleaned.changes.join(", ")
            ));
        }
        if value.chars().count() > NAME_MAX {
            return Err(RowIssue {
                code: "name_too_long",
                field: Some(part),
                column: columns.column_name(field).map(str::to_string),
                value: Some(value.clone()),
                message: format!(
                    "{}: `{value}` has more than the {NAME_MAX} characters a label accepts; shorten it and rerun",
                    place(field)
                ),
            });
        }
        Ok(Some(value))
    };
    let first_name = name("firstName", notes)?;
    let last_name = name("lastName", notes)?;

    let phone = columns.value("phone", record).and_then(|raw| {
        let phone = label_phone(&raw);
        if phone.is_none() {
            notes.push(format!(
                "{}: phone `{raw}` left out, because a label phone has 6 to 15 digits",
                place("phone")
            ));
        }
        phone
    });
    let email = columns.value("email", record).and_then(|raw| {
        let valid = raw.len() <= EMAIL_MAX
            && raw.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.contains(char::is_whitespace)
            })
            && !raw.contains(char::is_whitespace);
        if !valid {
            notes.push(format!(
                "{}: email `{raw}` left out, because it is not an address of at most {EMAIL_MAX} characters",
                place("email")
            ));
        }
        valid.then(|| raw.to_string())
    });

    // Upper case, single spaces: the form USPS prints and the sender of the job file has.
    let upper = |value: Option<String>| value.map(|value| super::normalize(&value));
    Ok(LabelAddress {
        first_name,
        last_name,
        firm: upper(address.firm),
        street_address: super::normalize(&address.street_address),
        secondary_address: upper(address.secondary_address),
        city: super::normalize(&city),
        state: address.state,
        zip_code,
        zip_plus4: address.zip_plus4,
        phone,
        email,
    })
}

/// Reduces a phone number to the spec's form, digits with no punctuation, or `None` when it
/// has too few or too many digits. A leading `1` of an 11-digit US number is dropped.
fn label_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.strip_prefix('1') {
        Some(rest) if digits.len() == 11 && !raw.trim_start().starts_with('+') => rest.to_string(),
        _ => digits,
    };
    let plus = raw.trim_start().starts_with('+');
    match (plus, digits.len()) {
        (true, 8..=15) if !digits.starts_with('0') => Some(format!("+{digits}")),
        (false, 6..=15) => Some(digits),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_lose_punctuation() {
        assert_eq!(label_phone("(202) 555-0104").as_deref(), Some("2025550104"));
        assert_eq!(label_phone("1-202-555-0103").as_deref(), Some("2025550103"));
        assert_eq!(label_phone("202.555.0102").as_deref(), Some("2025550102"));
        assert_eq!(
            label_phone("+44 20 7946 0958").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(label_phone("555").as_deref(), None);
        assert_eq!(label_phone("call me").as_deref(), None);
    }
}
