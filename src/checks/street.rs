//! The street line and the secondary line (apartment, suite, unit).
//!
//! The street line is sent as written, after [`clean_text`]; there is no local address
//! parser, so an unusual but valid line (`4500 10TH ST EAST 200`, `PO BOX 1234`,
//! `RR 2 BOX 15`) always reaches the API. Two shapes move a unit to `secondaryAddress`
//! when the secondary column is empty: a unit after a comma at the end of the line
//! (`221 W HURON ST, 4B`) and a unit on the last line of a multi-line street field. Both
//! moves keep every token, and both are noted.

use super::text::{clean_text, one_line};
use super::{Input, RowIssue};

/// Maximum length of `streetAddress` and `secondaryAddress` in the Addresses 3.0 spec.
const LINE_MAX: usize = 50;

/// Secondary unit designators of USPS Publication 28 (Appendix C2), with common long forms.
const DESIGNATORS: &[&str] = &[
    "APT",
    "APARTMENT",
    "BLDG",
    "BUILDING",
    "BSMT",
    "BASEMENT",
    "DEPT",
    "DEPARTMENT",
    "FL",
    "FLOOR",
    "FRNT",
    "FRONT",
    "HNGR",
    "HANGAR",
    "KEY",
    "LBBY",
    "LOBBY",
    "LOT",
    "LOWR",
    "LOWER",
    "OFC",
    "OFFICE",
    "PH",
    "PENTHOUSE",
    "PIER",
    "REAR",
    "RM",
    "ROOM",
    "SIDE",
    "SLIP",
    "SPC",
    "SPACE",
    "STE",
    "SUITE",
    "STOP",
    "TRLR",
    "TRAILER",
    "UNIT",
    "UPPR",
    "UPPER",
];

/// Starts of lines that are not street addresses and must not be split: post office boxes,
/// rural routes, highway contracts, military units, and general delivery.
const BOX_LINE_STARTS: &[&str] = &[
    "PO BOX",
    "P O BOX",
    "POB ",
    "POST OFFICE BOX",
    "BOX ",
    "RR ",
    "RURAL ROUTE",
    "HC ",
    "HIGHWAY CONTRACT",
    "PSC ",
    "CMR ",
    "UNIT ",
    "GENERAL DELIVERY",
];

/// Prepares `streetAddress` and `secondaryAddress`.
pub(super) fn prepare_lines(
    street: &Input,
    secondary: &Input,
    notes: &mut Vec<String>,
) -> Result<(String, Option<String>), RowIssue> {
    let Some(raw_street) = street.value.as_deref() else {
        return Err(street.issue(
            "missing_street",
            "is empty, and a street address is required: fill it in and rerun".to_owned(),
        ));
    };
    let mut secondary_line = match secondary.value.as_deref() {
        Some(raw) => clean_line(secondary, raw, notes),
        None => None,
    };

    let mut street_text = raw_street.to_owned();
    if secondary_line.is_none() {
        if let Some((rest, unit)) = split_last_line_unit(raw_street) {
            notes.push(format!(
                "{}: last line `{}` moved to secondaryAddress",
                street.place(),
                unit.trim()
            ));
            street_text = rest;
            secondary_line = clean_line(street, unit, notes);
        }
    }

    let Some(mut street_line) = clean_line(street, &street_text, notes) else {
        return Err(street.issue(
            "missing_street",
            format!(
                "`{}` contains no characters that can be sent to USPS; write the street in \
                 letters and digits and rerun",
                one_line(raw_street)
            ),
        ));
    };

    if secondary_line.is_none() {
        if let Some((rest, unit)) = split_comma_unit(&street_line) {
            notes.push(format!(
                "{}: `{unit}` after the comma moved to secondaryAddress",
                street.place()
            ));
            secondary_line = Some(unit);
            street_line = rest;
        }
    }

    check_length(street, &street_line, "street_too_long")?;
    if let Some(line) = &secondary_line {
        // A unit moved out of the street column is reported against that column.
        let source = if secondary.value.is_some() {
            secondary
        } else {
            street
        };
        check_length(source, line, "secondary_too_long")?;
    }
    Ok((street_line, secondary_line))
}

/// Cleans one line, notes what changed, and returns `None` when nothing is left.
fn clean_line(input: &Input, raw: &str, notes: &mut Vec<String>) -> Option<String> {
    let cleaned = clean_text(raw);
    if !cleaned.changes.is_empty() {
        notes.push(format!(
            "{}: `{}` sent as `{}` ({})",
            input.place(),
            one_line(raw.trim()),
            cleaned.text,
            cleaned.changes.join(", ")
        ));
    }
    (!cleaned.text.is_empty()).then_some(cleaned.text)
}

fn check_length(input: &Input, line: &str, code: &'static str) -> Result<(), RowIssue> {
    let length = line.chars().count();
    if length <= LINE_MAX {
        return Ok(());
    }
    Err(input.issue(
        code,
        format!(
            "`{line}` is {length} characters, and the Addresses API accepts at most {LINE_MAX}; \
             shorten it (abbreviate the street type, move the unit to a secondary address \
             column) and rerun"
        ),
    ))
}

/// Splits a multi-line street field whose last line is a unit into the other lines (joined
/// by spaces) and that last line.
fn split_last_line_unit(raw: &str) -> Option<(String, &str)> {
    let lines: Vec<&str> = raw
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let (last, rest) = lines.split_last()?;
    if rest.is_empty() || !looks_like_unit(last) {
        return None;
    }
    Some((rest.join(" "), last))
}

/// Splits `221 W HURON ST, 4B` into `221 W HURON ST` and `4B`, when the part after the last
/// comma looks like a unit and the line is not a box or route line.
fn split_comma_unit(line: &str) -> Option<(String, String)> {
    let (head, tail) = line.rsplit_once(',')?;
    let (head, tail) = (head.trim(), tail.trim());
    if head.is_empty() || !looks_like_unit(tail) || is_box_line(head) {
        return None;
    }
    Some((head.to_owned(), tail.to_owned()))
}

/// Reports whether `text` reads as a secondary unit: a designator with up to two more words
/// (`APT 4B`, `STE 200`, `REAR`), a `#` number (`#4B`, `# 4B`), or one short token that has
/// a digit or is a single letter (`4B`, `12`, `C`).
fn looks_like_unit(text: &str) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|word| word.trim_end_matches('.').to_ascii_uppercase())
        .collect();
    let Some(first) = words.first() else {
        return false;
    };
    if first.starts_with('#') {
        return words.len() <= 2;
    }
    if DESIGNATORS.contains(&first.as_str()) {
        return words.len() <= 3;
    }
    let short_token = words.len() == 1
        && first.len() <= 6
        && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let has_digit = first.chars().any(|c| c.is_ascii_digit());
    short_token && (has_digit || first.len() == 1)
}

fn is_box_line(line: &str) -> bool {
    let upper = line.replace('.', "").to_ascii_uppercase();
    BOX_LINE_STARTS.iter().any(|start| upper.starts_with(start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn input(field: &'static str, column: &'static str, value: Option<&str>) -> Input<'static> {
        Input {
            field,
            column: Some(column),
            value: value.map(|text| Cow::Owned(text.to_owned())),
        }
    }

    fn prepare(street: &str, secondary: Option<&str>) -> (String, Option<String>, Vec<String>) {
        let mut notes = Vec::new();
        let street = input("streetAddress", "street", Some(street));
        let secondary = input("secondaryAddress", "street2", secondary);
        let (line, unit) = prepare_lines(&street, &secondary, &mut notes).unwrap();
        (line, unit, notes)
    }

    #[test]
    fn comma_unit_moves_to_secondary() {
        let (line, unit, notes) = prepare("221 W HURON ST, 4B", None);
        assert_eq!(line, "221 W HURON ST");
        assert_eq!(unit.as_deref(), Some("4B"));
        assert_eq!(
            notes,
            ["column `street`: `4B` after the comma moved to secondaryAddress"]
        );
    }

    #[test]
    fn comma_unit_stays_when_secondary_filled() {
        let (line, unit, notes) = prepare("221 W HURON ST, 4B", Some("STE 100"));
        assert_eq!(line, "221 W HURON ST, 4B");
        assert_eq!(unit.as_deref(), Some("STE 100"));
        assert!(notes.is_empty());
    }

    #[test]
    fn comma_followed_by_words_stays() {
        let (line, unit, _) = prepare("100 MAIN ST, SPRINGFIELD", None);
        assert_eq!(line, "100 MAIN ST, SPRINGFIELD");
        assert_eq!(unit, None);
        let (_, unit, _) = prepare("100 MAIN ST, APT 2", None);
        assert_eq!(unit.as_deref(), Some("APT 2"));
        let (_, unit, _) = prepare("100 MAIN ST, #12", None);
        assert_eq!(unit.as_deref(), Some("#12"));
    }

    #[test]
    fn box_lines_pass_unchanged() {
        for line in [
            "PO BOX 1234",
            "RR 2 BOX 15",
            "HC 1 BOX 23",
            "PSC 1234 BOX 5678",
        ] {
            let (sent, unit, notes) = prepare(line, None);
            assert_eq!(sent, line);
            assert_eq!(unit, None);
            assert!(notes.is_empty(), "{notes:?}");
        }
        let (sent, unit, _) = prepare("RR 2, BOX 15", None);
        assert_eq!(sent, "RR 2, BOX 15");
        assert_eq!(unit, None);
        let (sent, unit, _) = prepare("PO BOX 12, 3", None);
        assert_eq!(sent, "PO BOX 12, 3");
        assert_eq!(unit, None);
    }

    #[test]
    fn unit_on_second_line_moves() {
        let (line, unit, notes) = prepare("123 MAIN ST\nAPT 4B", None);
        assert_eq!(line, "123 MAIN ST");
        assert_eq!(unit.as_deref(), Some("APT 4B"));
        assert_eq!(
            notes,
            ["column `street`: last line `APT 4B` moved to secondaryAddress"]
        );
    }

    #[test]
    fn other_second_line_is_joined() {
        let (line, unit, notes) = prepare("123 MAIN ST\nBACK DOOR", None);
        assert_eq!(line, "123 MAIN ST BACK DOOR");
        assert_eq!(unit, None);
        assert_eq!(
            notes,
            ["column `street`: `123 MAIN ST\\nBACK DOOR` sent as `123 MAIN ST BACK DOOR` (joined lines)"]
        );
    }

    #[test]
    fn fraction_and_unit_kept() {
        let (line, unit, notes) = prepare("123 1/2 MAIN ST APT 4B", None);
        assert_eq!(line, "123 1/2 MAIN ST APT 4B");
        assert_eq!(unit, None);
        assert!(notes.is_empty());
    }

    #[test]
    fn directional_after_type_passes() {
        let (line, _, notes) = prepare("4500 10TH ST EAST 200", None);
        assert_eq!(line, "4500 10TH ST EAST 200");
        assert!(notes.is_empty());
    }

    #[test]
    fn missing_or_symbol_only_street() {
        let mut notes = Vec::new();
        let secondary = input("secondaryAddress", "street2", None);
        let empty = input("streetAddress", "street", None);
        let issue = prepare_lines(&empty, &secondary, &mut notes).unwrap_err();
        assert_eq!(issue.code, "missing_street");
        let symbols = input("streetAddress", "street", Some("🏡"));
        let issue = prepare_lines(&symbols, &secondary, &mut notes).unwrap_err();
        assert_eq!(issue.code, "missing_street");
        assert_eq!(issue.value.as_deref(), Some("🏡"));
    }

    #[test]
    fn long_street_rejected() {
        let mut notes = Vec::new();
        let secondary = input("secondaryAddress", "street2", None);
        let long = "12345 NORTH SOUTHEASTERN EXTRAORDINARILY LONG NAME BOULEVARD";
        let street = input("streetAddress", "street", Some(long));
        let issue = prepare_lines(&street, &secondary, &mut notes).unwrap_err();
        assert_eq!(issue.code, "street_too_long");
        assert!(issue.message.contains("at most 50"), "{}", issue.message);
    }

    #[test]
    fn looks_like_unit_shapes() {
        for unit in [
            "4B", "12", "C", "APT 4B", "STE. 200", "# 5", "#5", "REAR", "1-A",
        ] {
            assert!(looks_like_unit(unit), "{unit}");
        }
        for other in ["SPRINGFIELD", "BOX 15", "IL 62704", "", "APT 4B REAR SIDE"] {
            assert!(!looks_like_unit(other), "{other}");
        }
    }
}
