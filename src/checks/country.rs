//! Destination countries of international rows: ISO 3166-1 alpha-2 and alpha-3 codes and
//! English country names, mapped to the alpha-2 code that International Prices takes.
//!
//! The table is the `isocountry` crate's (ISO 3166-1 codes and English short names). Names
//! are compared without case, accents and punctuation, and also without the parenthesised
//! part that ISO adds (`Bolivia (Plurinational State of)` matches `Bolivia`). A few common
//! names that differ from ISO's are added in [`COMMON_NAMES`], and so are the renames since
//! isocountry 0.3.2 (2020), whose table still has `Swaziland` and `Turkey`.

use std::collections::HashMap;
use std::sync::LazyLock;

use isocountry::CountryCode;

/// Alpha-2 codes that USPS treats as domestic: the United States, its territories and the
/// freely associated states, which take ZIP Codes and domestic prices.
pub const DOMESTIC_CODES: &[&str] = &["US", "PR", "VI", "GU", "AS", "MP", "UM", "FM", "MH", "PW"];

/// Everyday English names that differ from the ISO short name, with their alpha-2 code.
const COMMON_NAMES: &[(&str, &str)] = &[
    ("United Kingdom", "GB"),
    ("UK", "GB"),
    ("Great Britain", "GB"),
    ("England", "GB"),
    ("Scotland", "GB"),
    ("Wales", "GB"),
    ("Northern Ireland", "GB"),
    ("United States", "US"),
    ("USA", "US"),
    ("South Korea", "KR"),
    ("North Korea", "KP"),
    ("Russia", "RU"),
    ("Vietnam", "VN"),
    ("Laos", "LA"),
    ("Syria", "SY"),
    ("Czech Republic", "CZ"),
    ("Holland", "NL"),
    ("The Netherlands", "NL"),
    ("Ivory Coast", "CI"),
    ("Taiwan", "TW"),
    ("Macedonia", "MK"),
    ("Turkey", "TR"),
    ("Moldova", "MD"),
    ("Tanzania", "TZ"),
    ("Micronesia", "FM"),
    ("North Macedonia", "MK"),
    ("Eswatini", "SZ"),
    ("Türkiye", "TR"),
    ("Cape Verde", "CV"),
    ("British Virgin Islands", "VG"),
    ("BVI", "VG"),
    // The United States and its territories in the forms people write them. ISO's own names
    // (`Virgin Islands (U.S.)`) are rare in shop exports, and `Virgin Islands` alone matches
    // both VI and VG.
    ("United States of America", "US"),
    ("The United States", "US"),
    ("U.S.", "US"),
    ("U.S. Virgin Islands", "VI"),
    ("United States Virgin Islands", "VI"),
    ("Virgin Islands of the United States", "VI"),
    ("American Virgin Islands", "VI"),
    ("USVI", "VI"),
    ("Commonwealth of Puerto Rico", "PR"),
    ("Territory of Guam", "GU"),
    ("Am. Samoa", "AS"),
    ("Commonwealth of the Northern Mariana Islands", "MP"),
    ("Northern Marianas", "MP"),
    ("CNMI", "MP"),
    ("U.S. Minor Outlying Islands", "UM"),
    ("Wake Island", "UM"),
    ("Midway Islands", "UM"),
    ("Midway Atoll", "UM"),
    ("Federated States of Micronesia", "FM"),
    ("Republic of the Marshall Islands", "MH"),
    ("RMI", "MH"),
    ("Republic of Palau", "PW"),
];

/// Reason a country value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountryFault {
    /// No code or name matches.
    Unknown,
    /// A short name that matches more than one country, with the candidates.
    Ambiguous(Vec<&'static str>),
    /// A US territory or the United States, which USPS prices as domestic mail.
    Domestic(&'static str),
}

/// A destination country: its alpha-2 code and ISO name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    pub code: &'static str,
    pub name: &'static str,
}

/// Normalized name → alpha-2 codes that carry it.
static NAMES: LazyLock<HashMap<String, Vec<&'static str>>> = LazyLock::new(|| {
    let mut names: HashMap<String, Vec<&'static str>> = HashMap::new();
    let mut add = |name: &str, code: &'static str| {
        let codes = names.entry(normalize(name)).or_default();
        if !codes.contains(&code) {
            codes.push(code);
        }
    };
    for country in CountryCode::iter() {
        add(country.name(), country.alpha2());
        if let Some((short, _)) = country.name().split_once(" (") {
            add(short, country.alpha2());
        }
        if let Some((short, _)) = country.name().split_once(", ") {
            add(short, country.alpha2());
        }
    }
    for (name, code) in COMMON_NAMES {
        add(name, code);
    }
    names
});

/// Lower-cases and strips accents, spaces and punctuation, so `Côte d'Ivoire` and
/// `cote divoire` compare equal.
fn normalize(name: &str) -> String {
    deunicode::deunicode(name)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Parses a country code or name.
pub fn parse_country(raw: &str) -> Result<Country, CountryFault> {
    let trimmed = raw.trim();
    let by_code = match trimmed.len() {
        2 => CountryCode::for_alpha2_caseless(trimmed).ok(),
        3 => CountryCode::for_alpha3_caseless(trimmed).ok(),
        _ => None,
    };
    let country = match by_code {
        Some(country) => country,
        None => {
            let codes = NAMES
                .get(&normalize(trimmed))
                .ok_or(CountryFault::Unknown)?;
            if codes.len() > 1 {
                return Err(CountryFault::Ambiguous(codes.clone()));
            }
            CountryCode::for_alpha2(codes[0]).map_err(|_| CountryFault::Unknown)?
        }
    };
    let code = country.alpha2();
    if let Some(domestic) = DOMESTIC_CODES.iter().find(|domestic| **domestic == code) {
        return Err(CountryFault::Domestic(domestic));
    }
    Ok(Country {
        code,
        name: country.name(),
    })
}

/// Checks a foreign postal code and returns it in upper case with single spaces. A Canadian
/// postal code must have the pattern `A1A 1A1` and is sent in that form, with a missing
/// space added and a hyphen replaced. Other countries' codes are checked for length and characters only.
pub fn normalize_postal_code(country: &str, raw: &str) -> Result<String, String> {
    let upper = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let upper = upper.to_uppercase();
    // NOTE: the spec gives no limit. 10 characters is a guess that covers Brazil's 12345-678
    // and the United Kingdom's SW1A 1AA.
    if upper.len() > 10
        || !upper
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
    {
        return Err(format!(
            "`{raw}` is not a postal code: use at most 10 letters, digits, spaces or hyphens"
        ));
    }
    if country == "CA" {
        let compact: Vec<char> = upper.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let pattern_ok = compact.len() == 6
            && compact.iter().enumerate().all(|(index, c)| {
                if index % 2 == 0 {
                    c.is_ascii_alphabetic()
                } else {
                    c.is_ascii_digit()
                }
            });
        if !pattern_ok {
            return Err(format!(
                "`{raw}` is not a Canadian postal code, which reads A1A 1A1"
            ));
        }
        if let Some(fault) = canadian_letter_fault(&compact) {
            return Err(format!("`{raw}` is not a Canadian postal code: {fault}"));
        }
        let compact: String = compact.into_iter().collect();
        return Ok(format!("{} {}", &compact[..3], &compact[3..]));
    }
    Ok(upper)
}

/// Letters that Canada Post uses nowhere in a postal code.
const CANADA_UNUSED_LETTERS: &[char] = &['D', 'F', 'I', 'O', 'Q', 'U'];
/// Letters that Canada Post uses in a postal code, but never as the first letter, which names
/// the province or region.
const CANADA_UNUSED_FIRST_LETTERS: &[char] = &['W', 'Z'];

/// Checks the letters of a Canadian postal code in the compact form `A1A1A1`, and returns
/// what is wrong with them, if anything.
fn canadian_letter_fault(compact: &[char]) -> Option<String> {
    let first = compact[0];
    if CANADA_UNUSED_FIRST_LETTERS.contains(&first) || CANADA_UNUSED_LETTERS.contains(&first) {
        return Some(format!(
            "no Canadian postal code starts with {first}, because Canada Post never uses D, F, I, O, Q, U, W or Z as the first letter; check the code and rerun"
        ));
    }
    let unused = compact
        .iter()
        .find(|letter| CANADA_UNUSED_LETTERS.contains(letter))?;
    Some(format!(
        "Canada Post never uses the letter {unused} in a postal code (nor D, F, I, O, Q or U anywhere); check the code, such as a 0 written as O, and rerun"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_map_to_alpha2() {
        let cases = [
            ("CA", "CA"),
            ("ca", "CA"),
            ("DEU", "DE"),
            ("Germany", "DE"),
            ("united kingdom", "GB"),
            ("Côte d'Ivoire", "CI"),
            ("Bolivia", "BO"),
            ("South Korea", "KR"),
            ("  Japan ", "JP"),
            ("North Macedonia", "MK"),
            ("Türkiye", "TR"),
        ];
        for (raw, code) in cases {
            assert_eq!(parse_country(raw).map(|c| c.code), Ok(code), "{raw}");
        }
    }

    #[test]
    fn unknown_ambiguous_and_domestic_are_rejected() {
        assert_eq!(parse_country("Atlantis"), Err(CountryFault::Unknown));
        assert_eq!(parse_country("XX"), Err(CountryFault::Unknown));
        assert!(matches!(
            parse_country("Korea"),
            Err(CountryFault::Ambiguous(codes)) if codes.len() == 2
        ));
        assert_eq!(
            parse_country("Puerto Rico"),
            Err(CountryFault::Domestic("PR"))
        );
        assert_eq!(parse_country("USA"), Err(CountryFault::Domestic("US")));
    }

    #[test]
    fn territories_written_out_are_domestic() {
        let cases = [
            ("U.S. Virgin Islands", "VI"),
            ("US Virgin Islands", "VI"),
            ("United States Virgin Islands", "VI"),
            ("Virgin Islands (U.S.)", "VI"),
            ("USVI", "VI"),
            ("U.S.V.I.", "VI"),
            ("VIR", "VI"),
            ("Guam", "GU"),
            ("American Samoa", "AS"),
            ("Am. Samoa", "AS"),
            ("Northern Mariana Islands", "MP"),
            ("CNMI", "MP"),
            ("Puerto Rico", "PR"),
            ("U.S. Minor Outlying Islands", "UM"),
            ("Wake Island", "UM"),
            ("Federated States of Micronesia", "FM"),
            ("Marshall Islands", "MH"),
            ("Republic of Palau", "PW"),
            ("United States of America", "US"),
            ("U.S.", "US"),
            ("U.S.A.", "US"),
        ];
        for (raw, code) in cases {
            assert_eq!(
                parse_country(raw),
                Err(CountryFault::Domestic(code)),
                "{raw}"
            );
        }
        // Places that are not domestic stay countries.
        assert_eq!(
            parse_country("British Virgin Islands").map(|c| c.code),
            Ok("VG")
        );
        assert_eq!(parse_country("Samoa").map(|c| c.code), Ok("WS"));
        assert!(matches!(
            parse_country("Virgin Islands"),
            Err(CountryFault::Ambiguous(codes)) if codes.len() == 2
        ));
    }

    #[test]
    fn canadian_letters_canada_never_uses_rejected() {
        for first in ['D', 'F', 'I', 'O', 'Q', 'U', 'W', 'Z'] {
            let code = format!("{first}1A 1A1");
            let error = normalize_postal_code("CA", &code).unwrap_err();
            assert!(error.contains(&format!("starts with {first}")), "{error}");
        }
        let error = normalize_postal_code("CA", "K1O 0B1").unwrap_err();
        assert!(error.contains("letter O"), "{error}");
        // W and Z may follow the first letter.
        assert_eq!(normalize_postal_code("CA", "v5w 1z1"), Ok("V5W 1Z1".into()));
        assert_eq!(normalize_postal_code("CA", "T2Z 0A1"), Ok("T2Z 0A1".into()));
    }

    #[test]
    fn canadian_postal_codes_are_normalized() {
        assert_eq!(normalize_postal_code("CA", "k1a0b1"), Ok("K1A 0B1".into()));
        assert_eq!(
            normalize_postal_code("CA", "K1A  0B1"),
            Ok("K1A 0B1".into())
        );
        assert_eq!(normalize_postal_code("CA", "K1A-0B1"), Ok("K1A 0B1".into()));
        assert!(normalize_postal_code("CA", "12345").is_err());
        assert_eq!(
            normalize_postal_code("GB", "sw1a 1aa"),
            Ok("SW1A 1AA".into())
        );
        assert!(normalize_postal_code("DE", "10115; DROP").is_err());
    }
}
