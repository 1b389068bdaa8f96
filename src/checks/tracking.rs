//! Local checks of tracking numbers: the length and check digit of the two formats that USPS
//! tracks, so that a mistyped number costs no call.
//!
//! - Intelligent Mail package barcode (IMpb, Publication 199): 20, 21, 22 or 26 digits whose
//!   last digit is a mod-10 check digit over the others, weighted 3, 1, 3, ... from the right.
//!   A 30- or 34-digit number is the same barcode led by its routing code, `420` and a ZIP
//!   Code or ZIP+4. The runner sends the digits after the routing code, as USPS tracks them.
//!   34 digits are either a ZIP+4 and 22 digits or a ZIP Code and 26 digits, and the check
//!   digit tells which.
//! - UPU S10 (international): two letters, eight digits, a mod-11 check digit and a
//!   two-letter country code, such as `EA123456785US`.

use std::str::FromStr;

use jiff::civil::Date;

use super::zip::parse_zip;
use super::{Input, Prepared, RowIssue};
use crate::manifest::{ColumnMap, Record};

/// Lengths of IMpb numbers without a routing code.
const IMPB_LENGTHS: &[usize] = &[20, 21, 22, 26];
/// Lengths of IMpb numbers led by `420` and a ZIP Code or ZIP+4, with the length of that
/// routing code, in the order they are tried.
const ROUTED_LENGTHS: &[(usize, usize)] = &[(30, 8), (34, 12), (34, 8)];
/// Weights of the eight serial digits of an S10 number.
const S10_WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];

/// A tracking request ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingQuery {
    pub tracking_number: String,
    pub mailing_date: Option<String>,
    pub destination_zip_code: Option<String>,
}

/// Checks a record for Package Tracking 3.0: the tracking number is required and must pass
/// its format's length and check digit. The optional mailing date and destination ZIP Code,
/// which USPS uses to tell apart pieces that share a number, must be well formed.
pub fn prepare_tracking(
    record: &Record,
    columns: &ColumnMap,
) -> Result<Prepared<TrackingQuery>, RowIssue> {
    let mut notes = Vec::new();
    let number_input = Input::read(record, columns, "trackingNumber");
    let Some(raw) = number_input.value.as_deref() else {
        return Err(number_input.issue(
            "missing_tracking_number",
            "is empty, and tracking needs a tracking number: fill it in and rerun".to_owned(),
        ));
    };
    let tracking_number = check_tracking_number(raw)
        .map_err(|fault| number_input.issue(fault.code(), fault.describe(raw)))?;
    let compact = compact(raw);
    if tracking_number != compact {
        notes.push(format!(
            "{}: routing code {} removed, so {tracking_number} was sent",
            number_input.place(),
            &compact[..compact.len() - tracking_number.len()]
        ));
    }

    let date_input = Input::read(record, columns, "mailingDate");
    let mailing_date = match date_input.value.as_deref() {
        None => None,
        Some(raw) => match Date::from_str(raw) {
            Ok(date) => Some(date.to_string()),
            Err(_) => {
                return Err(date_input.issue(
                    "invalid_mailing_date",
                    format!("`{raw}` is not a date as YYYY-MM-DD; correct it and rerun"),
                ))
            }
        },
    };

    let zip_input = Input::read(record, columns, "destinationZIPCode");
    let destination_zip_code = match zip_input.value.as_deref() {
        None => None,
        Some(raw) => match parse_zip(raw, None) {
            Ok(zip) => Some(zip.zip5),
            Err(_) => {
                return Err(zip_input.issue(
                    "invalid_zip",
                    format!(
                        "`{raw}` is not a ZIP Code (5 digits, or ZIP+4 as 12345-6789); correct \
                         it or leave it empty, and rerun"
                    ),
                ))
            }
        },
    };

    let query = TrackingQuery {
        tracking_number,
        mailing_date,
        destination_zip_code,
    };
    Ok(Prepared { query, notes })
}

/// Reason a tracking number fails the local checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingFault {
    /// Digits only, but not an IMpb length.
    Length(usize),
    /// An IMpb number whose last digit is not its check digit, with the expected digit.
    ImpbCheckDigit(u32),
    /// An S10 number whose tenth character is not its check digit, with the expected digit.
    S10CheckDigit(u32),
    /// A number in scientific notation, such as `9.40011E+21`: the file stored the tracking
    /// number as a number, which keeps only about 15 significant digits.
    Scientific,
    /// Neither an IMpb nor an S10 number.
    Format,
}

impl TrackingFault {
    fn code(self) -> &'static str {
        match self {
            TrackingFault::Length(_) => "invalid_tracking_length",
            TrackingFault::ImpbCheckDigit(_) | TrackingFault::S10CheckDigit(_) => {
                "invalid_check_digit"
            }
            TrackingFault::Scientific | TrackingFault::Format => "invalid_tracking_number",
        }
    }

    fn describe(self, raw: &str) -> String {
        match self {
            TrackingFault::Length(length) => format!(
                "`{raw}` has {length} digits, and a USPS tracking number (IMpb) has 20, 21, 22 \
                 or 26, or 30 or 34 with its 420 routing code; check for a missing or extra \
                 digit and rerun"
            ),
            TrackingFault::ImpbCheckDigit(expected) => format!(
                "`{raw}` fails the IMpb mod-10 check: its last digit should be {expected}; the \
                 number is mistyped, so correct it and rerun"
            ),
            TrackingFault::S10CheckDigit(expected) => format!(
                "`{raw}` fails the S10 mod-11 check: its tenth character should be {expected}; \
                 the number is mistyped, so correct it and rerun"
            ),
            TrackingFault::Scientific => format!(
                "`{raw}` is a number in scientific notation, so its last digits are lost: the \
                 file stores tracking numbers as numbers (as spreadsheets and JSON numbers do); \
                 export the column as text, or quote it in JSON, and rerun"
            ),
            TrackingFault::Format => format!(
                "`{raw}` is not a USPS tracking number: expected 20 to 34 digits (IMpb) or two \
                 letters, nine digits and two letters (international S10, like \
                 EA123456785US); correct it and rerun"
            ),
        }
    }
}

/// Removes spaces and dashes, which people add for readability, and upper-cases letters.
fn compact(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Checks a tracking number and returns the form to send: compacted, and without an IMpb
/// routing code.
pub fn check_tracking_number(raw: &str) -> Result<String, TrackingFault> {
    let number = compact(raw);
    if !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit()) {
        let candidates: Vec<&str> = if IMPB_LENGTHS.contains(&number.len()) {
            vec![number.as_str()]
        } else if number.starts_with("420") {
            ROUTED_LENGTHS
                .iter()
                .filter(|(length, _)| *length == number.len())
                .map(|(_, routing)| &number[*routing..])
                .collect()
        } else {
            Vec::new()
        };
        let Some(first) = candidates.first() else {
            return Err(TrackingFault::Length(number.len()));
        };
        if let Some(tracked) = candidates
            .iter()
            .find(|tracked| has_impb_check_digit(tracked))
        {
            return Ok(tracked.to_string());
        }
        let expected = impb_check_digit(&first[..first.len() - 1]);
        return Err(TrackingFault::ImpbCheckDigit(expected));
    }

    if is_scientific(&number) {
        return Err(TrackingFault::Scientific);
    }
    let bytes = number.as_bytes();
    let s10_shaped = bytes.len() == 13
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..11].iter().all(u8::is_ascii_digit)
        && bytes[11..].iter().all(u8::is_ascii_uppercase);
    if !s10_shaped {
        return Err(TrackingFault::Format);
    }
    let expected = s10_check_digit(&number[2..10]);
    if u32::from(bytes[10] - b'0') != expected {
        return Err(TrackingFault::S10CheckDigit(expected));
    }
    Ok(number)
}

/// Reports whether `number` (compacted) reads as a number in scientific notation, such as
/// `9.400100000048214E+21` or `9.40011E21`.
fn is_scientific(number: &str) -> bool {
    let Some((mantissa, exponent)) = number.split_once('E') else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let mantissa_digits = mantissa.replacen('.', "", 1);
    !mantissa_digits.is_empty()
        && mantissa_digits.bytes().all(|byte| byte.is_ascii_digit())
        && !exponent.is_empty()
        && exponent.bytes().all(|byte| byte.is_ascii_digit())
}

/// Reports whether the last digit of `number` is the IMpb check digit of the others.
fn has_impb_check_digit(number: &str) -> bool {
    let (body, last) = number.split_at(number.len() - 1);
    last.parse::<u32>().ok() == Some(impb_check_digit(body))
}

/// Computes the IMpb check digit of `digits` (the number without its last digit): the
/// digits are weighted 3, 1, 3, ... from the right, and the check digit brings the sum to a
/// multiple of 10.
pub fn impb_check_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| {
            let digit = u32::from(byte - b'0');
            if position % 2 == 0 {
                digit * 3
            } else {
                digit
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// Computes the S10 check digit of the eight serial digits: 11 less the weighted sum modulo
/// 11, where 10 becomes 0 and 11 becomes 5.
pub fn s10_check_digit(serial: &str) -> u32 {
    let sum: u32 = serial
        .bytes()
        .zip(S10_WEIGHTS)
        .map(|(byte, weight)| u32::from(byte - b'0') * weight)
        .sum();
    match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        digit => digit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends the IMpb check digit to `body`.
    fn impb(body: &str) -> String {
        format!("{body}{}", impb_check_digit(body))
    }

    #[test]
    fn impb_check_digit_known_value() {
        // Weighted from the right: 3·1 + 1·2 + 3·3 + 1·4 = 18, so the check digit is 2.
        assert_eq!(impb_check_digit("4321"), 2);
        assert_eq!(impb_check_digit("000"), 0);
    }

    #[test]
    fn impb_lengths_accepted() {
        for length in [20, 21, 22, 26] {
            let number = impb(&"9".repeat(length - 1));
            assert_eq!(check_tracking_number(&number), Ok(number.clone()));
        }
    }

    #[test]
    fn impb_wrong_check_digit() {
        let number = impb("940011189922319742849");
        let last = number.chars().last().unwrap().to_digit(10).unwrap();
        let wrong = format!("{}{}", &number[..21], (last + 1) % 10);
        assert_eq!(
            check_tracking_number(&wrong),
            Err(TrackingFault::ImpbCheckDigit(last))
        );
    }

    #[test]
    fn impb_wrong_lengths() {
        assert_eq!(
            check_tracking_number("9400111899"),
            Err(TrackingFault::Length(10))
        );
        assert_eq!(
            check_tracking_number(&"1".repeat(23)),
            Err(TrackingFault::Length(23))
        );
        // 30 digits without the 420 routing code is no IMpb form.
        assert_eq!(
            check_tracking_number(&"1".repeat(30)),
            Err(TrackingFault::Length(30))
        );
    }

    #[test]
    fn routing_code_removed() {
        let tracked = impb("940011189922319742849");
        assert_eq!(
            check_tracking_number(&format!("42062701{tracked}")),
            Ok(tracked.clone())
        );
        assert_eq!(
            check_tracking_number(&format!("420627011234{tracked}")),
            Ok(tracked)
        );
    }

    #[test]
    fn routed_34_digits_with_26_digit_barcode() {
        let tracked = impb("9205190164917300000000011");
        assert_eq!(tracked.len(), 26);
        let routed = format!("42062701{tracked}");
        assert_eq!(routed.len(), 34);
        // The ZIP+4 reading fails its check digit unless it happens to pass by chance.
        let zip_plus4_reading = &routed[12..];
        assert!(
            !has_impb_check_digit(zip_plus4_reading),
            "pick another body"
        );
        assert_eq!(check_tracking_number(&routed), Ok(tracked));
    }

    #[test]
    fn spaces_and_dashes_ignored() {
        let number = impb("940011189922319742849");
        let spaced = format!("{} {}-{}", &number[..4], &number[4..8], &number[8..]);
        assert_eq!(check_tracking_number(&spaced), Ok(number));
    }

    #[test]
    fn s10_known_value() {
        assert_eq!(s10_check_digit("12345678"), 5);
        assert_eq!(
            check_tracking_number("ea123456785us"),
            Ok("EA123456785US".into())
        );
        assert_eq!(
            check_tracking_number("EA123456784US"),
            Err(TrackingFault::S10CheckDigit(5))
        );
    }

    #[test]
    fn s10_special_remainders() {
        // 1·8 = 8, 11 - 8 = 3.
        assert_eq!(s10_check_digit("10000000"), 3);
        // Remainder 1 gives 10, sent as 0: 4·3 = 12, 12 mod 11 = 1.
        assert_eq!(s10_check_digit("00004000"), 0);
        // Remainder 0 gives 11, sent as 5.
        assert_eq!(s10_check_digit("00000000"), 5);
    }

    #[test]
    fn scientific_notation_named() {
        for raw in ["9.400100000048214e+21", "9.40011E+21", "9.4E21"] {
            assert_eq!(
                check_tracking_number(raw),
                Err(TrackingFault::Scientific),
                "{raw}"
            );
        }
        assert!(TrackingFault::Scientific
            .describe("9.40011E+21")
            .contains("as text"));
    }

    #[test]
    fn other_formats_rejected() {
        for raw in ["1Z999AA10123456784", "ABC", "EA12345678US", "E1123456785US"] {
            assert_eq!(
                check_tracking_number(raw),
                Err(TrackingFault::Format),
                "{raw}"
            );
        }
    }
}
