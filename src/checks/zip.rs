//! ZIP Code parsing, and restoring leading zeros that spreadsheets drop.
//!
//! Excel reads `02134` as the number 2134. A leading zero is restored only when the padded
//! ZIP Code's 3-digit prefix belongs to the row's state, so `2134` in MA becomes `02134`,
//! while `7520` in TX stays an error because `07520` is a New Jersey ZIP Code.

/// A ZIP Code as the Addresses API takes it: `ZIPCode` and `ZIPPlus4` separately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Zip {
    pub zip5: String,
    pub plus4: Option<String>,
    /// The value as written, when leading zeros were restored.
    pub padded_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ZipFault {
    /// Four digits (or four plus a ZIP+4), and no leading zero can be restored with
    /// confidence. `padded` is the value with a zero, `padded_state` the state it belongs to.
    TooShort {
        padded: String,
        padded_state: Option<&'static str>,
    },
    /// Not a ZIP Code shape at all.
    Invalid,
}

/// States of the 3-digit ZIP prefixes that start with 0. Prefixes 000-004 are not assigned.
/// A unit test checks this table against the ZIP Code database of the `zipcodes` crate.
const ZERO_PREFIXES: &[(u16, u16, &str)] = &[
    (5, 5, "NY"),
    (6, 7, "PR"),
    (8, 8, "VI"),
    (9, 9, "PR"),
    (10, 27, "MA"),
    (28, 29, "RI"),
    (30, 38, "NH"),
    (39, 49, "ME"),
    (50, 54, "VT"),
    (55, 55, "MA"),
    (56, 59, "VT"),
    (60, 69, "CT"),
    (70, 89, "NJ"),
    (90, 99, "AE"),
];

/// ZIP Codes filed under another state than their prefix's in the `zipcodes` crate database:
/// 06390 is Fishers Island, NY, inside Connecticut's 063 prefix.
const ZERO_PREFIX_EXCEPTIONS: &[(&str, &str)] = &[("06390", "NY")];

/// 3-digit ZIP prefixes of the military states: AA (Americas) 340, AE (Europe, Middle East,
/// Africa, Canada) 090-099, AP (Pacific) 962-966.
const MILITARY_PREFIXES: &[(u16, u16, &str)] =
    &[(340, 340, "AA"), (90, 99, "AE"), (962, 966, "AP")];

/// Parses a ZIP column value: `12345`, `12345-6789`, `12345 6789` or `123456789`. Three or
/// four digits (eight for a ZIP+4) get leading zeros back only when the result belongs to
/// `state`.
pub(crate) fn parse_zip(value: &str, state: Option<&str>) -> Result<Zip, ZipFault> {
    let value = value.trim();
    let (head, tail) = match value.find(['-', ' ']) {
        Some(at) => (&value[..at], Some(value[at + 1..].trim())),
        None => (value, None),
    };
    if !is_digits(head) {
        return Err(ZipFault::Invalid);
    }
    let without_dash_plus4 = tail.is_none() && head.len() >= 8;
    let (head, tail) = match tail {
        Some("") => (head, None),
        Some(tail) if tail.len() == 4 && is_digits(tail) => (head, Some(tail)),
        Some(_) => return Err(ZipFault::Invalid),
        // Nine digits are a ZIP+4 without its dash; eight are one that lost its zero.
        None if head.len() == 9 || head.len() == 8 => {
            let split = head.len() - 4;
            (&head[..split], Some(&head[split..]))
        }
        None => (head, None),
    };

    let plus4 = tail.map(str::to_owned);
    match head.len() {
        5 => Ok(Zip {
            zip5: head.to_owned(),
            plus4,
            padded_from: None,
        }),
        3 | 4 => {
            let padded = format!("{head:0>5}");
            let padded_state = zero_prefix_state(&padded);
            if padded_state.is_some() && padded_state == state {
                return Ok(Zip {
                    zip5: padded,
                    plus4,
                    padded_from: Some(value.to_owned()),
                });
            }
            if head.len() == 4 && !without_dash_plus4 {
                Err(ZipFault::TooShort {
                    padded,
                    padded_state,
                })
            } else {
                Err(ZipFault::Invalid)
            }
        }
        _ => Err(ZipFault::Invalid),
    }
}

/// Parses a separate ZIP+4 column: exactly four digits.
pub(crate) fn parse_plus4(value: &str) -> Option<String> {
    let value = value.trim();
    (value.len() == 4 && is_digits(value)).then(|| value.to_owned())
}

/// Returns the state of a ZIP Code that starts with 0, from its 3-digit prefix.
pub(crate) fn zero_prefix_state(zip5: &str) -> Option<&'static str> {
    let exception = ZERO_PREFIX_EXCEPTIONS.iter().find(|(zip, _)| *zip == zip5);
    match exception {
        Some((_, state)) => Some(state),
        None => find_prefix(ZERO_PREFIXES, zip5),
    }
}

/// Returns the military state (AA, AE or AP) whose ZIP Codes start like `zip5`.
pub(crate) fn military_prefix_state(zip5: &str) -> Option<&'static str> {
    find_prefix(MILITARY_PREFIXES, zip5)
}

/// Returns the military ZIP prefixes of `state` for messages, such as `090-099`.
pub(crate) fn military_prefixes(state: &str) -> Option<String> {
    let &(low, high, _) = MILITARY_PREFIXES.iter().find(|entry| entry.2 == state)?;
    Some(if low == high {
        format!("{low:03}")
    } else {
        format!("{low:03}-{high:03}")
    })
}

fn find_prefix(table: &[(u16, u16, &'static str)], zip5: &str) -> Option<&'static str> {
    let prefix: u16 = zip5.get(..3)?.parse().ok()?;
    table
        .iter()
        .find(|(low, high, _)| (*low..=*high).contains(&prefix))
        .map(|entry| entry.2)
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip(zip5: &str, plus4: Option<&str>) -> Zip {
        Zip {
            zip5: zip5.to_owned(),
            plus4: plus4.map(str::to_owned),
            padded_from: None,
        }
    }

    #[test]
    fn parse_zip_five_digits() {
        assert_eq!(parse_zip("62704", Some("IL")), Ok(zip("62704", None)));
        assert_eq!(parse_zip(" 62704- ", Some("IL")), Ok(zip("62704", None)));
    }

    #[test]
    fn parse_zip_plus4_shapes() {
        let expected = Ok(zip("80634", Some("1226")));
        assert_eq!(parse_zip("80634-1226", Some("CO")), expected);
        assert_eq!(parse_zip("806341226", Some("CO")), expected);
        assert_eq!(parse_zip("80634 1226", Some("CO")), expected);
    }

    #[test]
    fn parse_zip_pads_zero_states() {
        let padded = parse_zip("2134", Some("MA")).unwrap();
        assert_eq!(padded.zip5, "02134");
        assert_eq!(padded.padded_from.as_deref(), Some("2134"));
        assert_eq!(parse_zip("1730-2603", Some("MA")).unwrap().zip5, "01730");
        assert_eq!(
            parse_zip("17302603", Some("MA")).unwrap().plus4.as_deref(),
            Some("2603")
        );
        assert_eq!(parse_zip("926", Some("PR")).unwrap().zip5, "00926");
        assert_eq!(parse_zip("501", Some("NY")).unwrap().zip5, "00501");
        assert_eq!(parse_zip("9012", Some("AE")).unwrap().zip5, "09012");
        assert_eq!(parse_zip("7102", Some("NJ")).unwrap().zip5, "07102");
    }

    #[test]
    fn parse_zip_never_pads_other_states() {
        let fault = parse_zip("7520", Some("TX")).unwrap_err();
        let expected = ZipFault::TooShort {
            padded: "07520".to_owned(),
            padded_state: Some("NJ"),
        };
        assert_eq!(fault, expected);
        assert!(matches!(
            parse_zip("2134", None),
            Err(ZipFault::TooShort { .. })
        ));
        // 01234 is a Massachusetts ZIP Code, so a NY row keeps its error.
        assert!(matches!(
            parse_zip("1234", Some("NY")),
            Err(ZipFault::TooShort { .. })
        ));
    }

    #[test]
    fn parse_zip_rejects_other_lengths() {
        for value in [
            "1",
            "12",
            "123",
            "123456",
            "1234567",
            "12345678",
            "1234567890",
        ] {
            assert_eq!(
                parse_zip(value, Some("IL")),
                Err(ZipFault::Invalid),
                "{value}"
            );
        }
        for value in [
            "6270A",
            "62704-12",
            "62704-12345",
            "ABCDE",
            "62-704",
            "62704.0",
        ] {
            assert_eq!(
                parse_zip(value, Some("IL")),
                Err(ZipFault::Invalid),
                "{value}"
            );
        }
    }

    #[test]
    fn parse_plus4_four_digits_only() {
        assert_eq!(parse_plus4("0226").as_deref(), Some("0226"));
        assert_eq!(parse_plus4("226"), None);
        assert_eq!(parse_plus4("12345"), None);
    }

    #[test]
    fn zero_prefix_fishers_island() {
        assert_eq!(zero_prefix_state("06390"), Some("NY"));
        assert_eq!(parse_zip("6390", Some("NY")).unwrap().zip5, "06390");
        assert_eq!(zero_prefix_state("06391"), Some("CT"));
    }

    #[test]
    fn prefix_tables_match_zip_database() {
        for entry in zipcodes::database() {
            let zip5 = entry.zip_code.as_str();
            let state = entry.state.as_str();
            // The database files a few APO and DPO ZIP Codes (099xx) under NJ.
            let quirk = zip5.starts_with("099") && state == "NJ";
            if zip5.starts_with('0') && !quirk {
                assert_eq!(zero_prefix_state(zip5), Some(state), "{zip5}");
            }
            if ["AA", "AE", "AP"].contains(&state) {
                assert_eq!(military_prefix_state(zip5), Some(state), "{zip5}");
            }
            if let Some(military) = military_prefix_state(zip5).filter(|_| !quirk) {
                assert_eq!(state, military, "{zip5}");
            }
        }
    }

    #[test]
    fn military_prefixes_by_state() {
        assert_eq!(military_prefix_state("34001"), Some("AA"));
        assert_eq!(military_prefix_state("09012"), Some("AE"));
        assert_eq!(military_prefix_state("96338"), Some("AP"));
        assert_eq!(military_prefix_state("62704"), None);
        assert_eq!(military_prefixes("AE").as_deref(), Some("090-099"));
        assert_eq!(military_prefixes("AA").as_deref(), Some("340"));
    }
}
