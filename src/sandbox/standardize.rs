//! Standardization of the delivery address line per USPS Publication 28: upper case, ASCII,
//! punctuation removed, standard abbreviations, and secondary units split off.
//!
//! Punctuation: a period or slash survives only between two digits (`123 1/2`, `101.5`), a
//! hyphen only next to a digit (`12-34`, `4-B`), and `#` becomes its own word. Apostrophes
//! vanish without splitting a word (`O'BRIEN` becomes `OBRIEN`); other punctuation separates
//! words. Letters outside ASCII are transliterated (`Ñ` to `N`, `½` to `1/2`).
//!
//! Five kinds of line are understood: street addresses, `PO BOX n`, rural routes
//! (`RR n BOX n`), highway contract routes (`HC n BOX n`) and military lines (`PSC n BOX n`,
//! `UNIT n BOX n`, `CMR n BOX n`).

use std::fmt;

use super::box_lines::parse_box_line;
use super::pub28;

/// A parsed and standardized delivery address line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreetLine {
    pub kind: LineKind,
    /// Secondary units found in the line, in order.
    pub units: Vec<Unit>,
}

/// The kind of a delivery address line and its parts, all standardized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    Street(StreetParts),
    PoBox {
        number: String,
    },
    /// `RR` (rural route) or `HC` (highway contract route), with its route and box numbers.
    Route {
        prefix: &'static str,
        route: String,
        box_number: String,
    },
    /// `PSC`, `UNIT` or `CMR`, with its number and box number.
    Military {
        prefix: &'static str,
        number: String,
        box_number: String,
    },
}

/// The parts of a street address line, such as `123 1/2 N MAIN ST SW`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreetParts {
    pub number: String,
    pub fraction: Option<String>,
    pub predirectional: Option<&'static str>,
    pub name: Vec<String>,
    pub suffix: Option<&'static str>,
    pub postdirectional: Option<&'static str>,
}

/// A secondary unit: a designator such as `APT` (or `#` when none was given) and its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub designator: &'static str,
    pub id: Option<String>,
}

/// Reason a delivery address line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Empty,
    NoPrimaryNumber,
    NoStreetName,
    MissingBoxNumber,
    UnrecognizedUnit(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Empty => write!(f, "the street address is empty"),
            ParseError::NoPrimaryNumber => write!(
                f,
                "the street address has no primary number; start it with the house or building number, or write PO BOX n"
            ),
            ParseError::NoStreetName => write!(f, "the street address has no street name"),
            ParseError::MissingBoxNumber => write!(f, "the box number is missing; write BOX n"),
            ParseError::UnrecognizedUnit(text) => write!(
                f,
                "{text:?} is not a secondary unit; write a designator and number such as APT 4B"
            ),
        }
    }
}

impl StreetLine {
    /// Returns the standardized line without its secondary units.
    pub fn primary_line(&self) -> String {
        match &self.kind {
            LineKind::Street(parts) => {
                let mut words: Vec<&str> = vec![&parts.number];
                words.extend(parts.fraction.as_deref());
                words.extend(parts.predirectional);
                words.extend(parts.name.iter().map(String::as_str));
                words.extend(parts.suffix);
                words.extend(parts.postdirectional);
                words.join(" ")
            }
            LineKind::PoBox { number } => format!("PO BOX {number}"),
            LineKind::Route {
                prefix,
                route,
                box_number,
            } => format!("{prefix} {route} BOX {box_number}"),
            LineKind::Military {
                prefix,
                number,
                box_number,
            } => format!("{prefix} {number} BOX {box_number}"),
        }
    }

    /// Returns the secondary units joined into one line, such as `STE 100 PMB 5`.
    pub fn secondary_line(&self) -> Option<String> {
        (!self.units.is_empty()).then(|| join_units(&self.units))
    }

    /// Returns the number that the outcome rules look at: the primary number of a street
    /// address, or the box number of a box line, with letters after the digits ignored and
    /// hyphens skipped (`12-34` gives 1234).
    pub fn primary_number(&self) -> Option<u64> {
        match &self.kind {
            LineKind::Street(parts) => leading_number(&parts.number),
            LineKind::PoBox { number } => leading_number(number),
            LineKind::Route { box_number, .. } | LineKind::Military { box_number, .. } => {
                leading_number(box_number)
            }
        }
    }
}

impl Unit {
    /// Returns the leading digits of the unit number (`4B` gives 4), if it starts with one.
    pub fn number(&self) -> Option<u64> {
        self.id.as_deref().and_then(leading_number)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{} {id}", self.designator),
            None => f.write_str(self.designator),
        }
    }
}

/// Joins units with spaces, as in a `secondaryAddress` value.
pub fn join_units(units: &[Unit]) -> String {
    units
        .iter()
        .map(Unit::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn leading_number(text: &str) -> Option<u64> {
    let digits: String = text
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .filter(char::is_ascii_digit)
        .collect();
    // Saturate instead of failing: a number too long for u64 is still "very large".
    (!digits.is_empty()).then(|| digits.parse().unwrap_or(u64::MAX))
}

/// Transliterates `text` to upper-case ASCII. A vulgar fraction becomes a separate word
/// (`123½` gives `123 1/2`).
pub fn to_ascii_upper(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        match deunicode::deunicode_char(c) {
            Some(replacement) if replacement.contains('/') => {
                out.push(' ');
                out.push_str(replacement);
                out.push(' ');
            }
            Some(replacement) => out.push_str(replacement),
            None => out.push(' '),
        }
    }
    out.to_ascii_uppercase()
}

/// Standardizes free text such as a firm name: upper-case ASCII with runs of whitespace
/// collapsed. Punctuation is kept, because it is part of a firm's name (`AT&T`).
pub fn standardize_text(text: &str) -> String {
    to_ascii_upper(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Standardizes words without punctuation, as for an urbanization (`Urb. Las Flores` gives
/// `URB LAS FLORES`).
pub fn standardize_words(text: &str) -> String {
    tokenize(text)
        .into_iter()
        .filter(|token| token != ",")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits `text` into upper-case words by the punctuation rules of the module documentation.
/// Commas are kept as `,` words, because a comma may separate a unit from the street.
pub fn tokenize(text: &str) -> Vec<String> {
    let chars: Vec<char> = to_ascii_upper(text).chars().collect();
    let mut tokens = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, tokens: &mut Vec<String>| {
        if !current.is_empty() {
            tokens.push(std::mem::take(current));
        }
    };

    for (index, &c) in chars.iter().enumerate() {
        let previous = index.checked_sub(1).map(|i| chars[i]);
        let next = chars.get(index + 1).copied();
        let digit_before = previous.is_some_and(|p| p.is_ascii_digit());
        let digit_after = next.is_some_and(|n| n.is_ascii_digit());
        let alnum_before = previous.is_some_and(|p| p.is_ascii_alphanumeric());
        let alnum_after = next.is_some_and(|n| n.is_ascii_alphanumeric());

        match c {
            c if c.is_ascii_alphanumeric() => current.push(c),
            '\'' | '`' => {}
            '/' | '.' if digit_before && digit_after => current.push(c),
            '-' if alnum_before && alnum_after && (digit_before || digit_after) => current.push(c),
            '#' | '&' | ',' => {
                flush(&mut current, &mut tokens);
                tokens.push(c.to_string());
            }
            _ => flush(&mut current, &mut tokens),
        }
    }
    flush(&mut current, &mut tokens);
    tokens
}

/// Parses and standardizes a delivery address line. Units at its end, after a comma or not,
/// go to [`StreetLine::units`].
pub fn parse_street(text: &str) -> Result<StreetLine, ParseError> {
    let tokens = tokenize(text);
    let (main, after_comma) = match tokens.iter().position(|token| token == ",") {
        Some(comma) => (&tokens[..comma], &tokens[comma + 1..]),
        None => (&tokens[..], &tokens[..0]),
    };
    if main.is_empty() {
        return Err(ParseError::Empty);
    }

    let mut main: Vec<String> = main.to_vec();
    let mut trailing: Vec<String> = after_comma.iter().filter(|t| *t != ",").cloned().collect();
    // "3120 M ST, NW": a lone directional after the comma belongs to the street.
    if trailing.len() == 1 && pub28::directional(&trailing[0]).is_some() {
        main.append(&mut trailing);
    }

    let (kind, rest) = match parse_box_line(&main)? {
        Some(parsed) => parsed,
        None => parse_street_address(&main)?,
    };
    let mut units = parse_units_tokens(&rest)?;
    units.extend(parse_units_tokens(&trailing)?);
    Ok(StreetLine { kind, units })
}

/// Parses a `secondaryAddress` value into units. A bare number becomes `# n`.
pub fn parse_units(text: &str) -> Result<Vec<Unit>, ParseError> {
    let tokens: Vec<String> = tokenize(text).into_iter().filter(|t| t != ",").collect();
    parse_units_tokens(&tokens)
}

/// Words that may come before `HIGHWAY`, `ROAD` or `ROUTE` in a numbered road's name.
const NUMBERED_ROAD_PREFIXES: &[&str] = &["COUNTY", "STATE", "US", "OLD", "FARM", "RANCH"];

pub(super) fn has_digit(token: &str) -> bool {
    token.chars().any(|c| c.is_ascii_digit())
}

/// Parses a street address line. Returns its parts and the tokens from the first unit on.
fn parse_street_address(tokens: &[String]) -> Result<(LineKind, Vec<String>), ParseError> {
    let number = tokens
        .first()
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        .ok_or(ParseError::NoPrimaryNumber)?;
    let mut at = 1;
    let fraction = tokens.get(1).filter(|t| is_fraction(t)).cloned();
    if fraction.is_some() {
        at += 1;
    }

    let rest = &tokens[at..];
    // A unit starts at the first designator that has a street name word before it.
    let unit_start = (1..rest.len())
        .find(|&index| is_unit_start(rest, index))
        .unwrap_or(rest.len());
    let mut name: Vec<String> = rest[..unit_start].to_vec();
    let mut units = rest[unit_start..].to_vec();
    if name.is_empty() {
        return Err(ParseError::NoStreetName);
    }

    let predirectional = take_predirectional(&mut name);
    if let Some(id) = take_trailing_unit_number(&mut name) {
        units.insert(0, "#".to_string());
        units.insert(1, id);
    }
    let numbered_road = spell_numbered_road(&mut name);
    let postdirectional = if numbered_road {
        None
    } else {
        take_postdirectional(&mut name)
    };
    let suffix = match name.last().and_then(|last| pub28::suffix(last)) {
        Some(suffix) if name.len() >= 2 && !numbered_road => {
            name.pop();
            Some(suffix)
        }
        _ => None,
    };
    if name.len() == 1 {
        if let Some(numeric) = pub28::ordinal(&name[0]) {
            name[0] = numeric.to_string();
        }
    }
    if name.is_empty() {
        return Err(ParseError::NoStreetName);
    }

    let parts = StreetParts {
        number: number.clone(),
        fraction,
        predirectional,
        name,
        suffix,
        postdirectional,
    };
    Ok((LineKind::Street(parts), units))
}

fn is_fraction(token: &str) -> bool {
    match token.split_once('/') {
        Some((top, bottom)) => {
            !top.is_empty()
                && !bottom.is_empty()
                && top.chars().all(|c| c.is_ascii_digit())
                && bottom.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn is_unit_id(token: &str) -> bool {
    has_digit(token) || (token.len() == 1 && token.chars().all(|c| c.is_ascii_alphabetic()))
}

/// Reports whether a unit starts at `tokens[index]`: a designator followed by a unit number
/// (`APT 4`, `APT # 4`), or a designator that takes no number at the end or before another
/// unit (`REAR`).
fn is_unit_start(tokens: &[String], index: usize) -> bool {
    let Some((designator, needs_number)) = pub28::unit_designator(&tokens[index]) else {
        return false;
    };
    let mut next = index + 1;
    if designator != "#" && tokens.get(next).is_some_and(|t| t == "#") {
        next += 1;
    }
    if needs_number {
        tokens.get(next).is_some_and(|t| is_unit_id(t))
    } else {
        next == tokens.len() || pub28::unit_designator(&tokens[next]).is_some()
    }
}

fn take_predirectional(name: &mut Vec<String>) -> Option<&'static str> {
    let (directional, used) = match name.as_slice() {
        [first, second, ..] if pub28::compound_directional(first, second).is_some() => {
            (pub28::compound_directional(first, second)?, 2)
        }
        [first, ..] => (pub28::directional(first)?, 1),
        [] => return None,
    };
    // In "100 NORTH AVE" the directional is the street name itself, so keep it there.
    let names_remain = name[used..]
        .iter()
        .any(|t| pub28::suffix(t).is_none() && pub28::directional(t).is_none());
    if !names_remain {
        return None;
    }
    name.drain(..used);
    Some(directional)
}

fn take_postdirectional(name: &mut Vec<String>) -> Option<&'static str> {
    let length = name.len();
    let (directional, used) = if length >= 3 {
        match pub28::compound_directional(&name[length - 2], &name[length - 1]) {
            Some(compound) => (compound, 2),
            None => (pub28::directional(&name[length - 1])?, 1),
        }
    } else {
        (pub28::directional(name.last()?)?, 1)
    };
    // In "100 AVENUE N" the directional is part of the name, because only a suffix word
    // comes before it.
    let names_before = name[..length - used]
        .iter()
        .any(|t| pub28::suffix(t).is_none());
    if !names_before {
        return None;
    }
    name.truncate(length - used);
    Some(directional)
}

/// Takes a unit number written without a designator after the suffix, as in
/// `221 W HURON ST 4B`, unless the line is a numbered road such as `COUNTY RD 12`.
fn take_trailing_unit_number(name: &mut Vec<String>) -> Option<String> {
    let length = name.len();
    if length < 2 || !is_unit_id(&name[length - 1]) || !has_digit(&name[length - 1]) {
        return None;
    }
    let before = &name[length - 2];
    let after_suffix = pub28::suffix(before).is_some()
        || (length >= 3
            && pub28::directional(before).is_some()
            && pub28::suffix(&name[length - 3]).is_some());
    if !after_suffix || is_numbered_road(name) {
        return None;
    }
    name.pop()
}

/// Reports whether `name` is a numbered road: optional prefixes such as `COUNTY`, then a
/// word such as `HIGHWAY`, `ROAD` or `ROUTE`, then a number.
fn is_numbered_road(name: &[String]) -> bool {
    let length = name.len();
    length >= 2
        && has_digit(&name[length - 1])
        && pub28::spelled_before_number(&name[length - 2]).is_some()
        && name[..length - 2]
            .iter()
            .all(|t| NUMBERED_ROAD_PREFIXES.contains(&t.as_str()))
}

/// Spells out the road word of a numbered road (`HWY 75` becomes `HIGHWAY 75`), as
/// Publication 28 does. Returns whether `name` was one.
fn spell_numbered_road(name: &mut [String]) -> bool {
    if !is_numbered_road(name) {
        return false;
    }
    let word = name.len() - 2;
    if let Some(full) = pub28::spelled_before_number(&name[word]) {
        name[word] = full.to_string();
    }
    true
}

fn parse_units_tokens(tokens: &[String]) -> Result<Vec<Unit>, ParseError> {
    let mut units = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        let token = &tokens[index];
        index += 1;
        let Some((designator, needs_number)) = pub28::unit_designator(token) else {
            if is_unit_id(token) {
                units.push(Unit {
                    designator: "#",
                    id: Some(token.clone()),
                });
                continue;
            }
            return Err(ParseError::UnrecognizedUnit(tokens[index - 1..].join(" ")));
        };
        // Publication 28 drops the pound sign after a designator: "APT # 4" is "APT 4".
        if designator != "#" && tokens.get(index).is_some_and(|t| t == "#") {
            index += 1;
        }
        let id = match tokens.get(index) {
            Some(next) if needs_number && is_unit_id(next) => {
                index += 1;
                Some(next.clone())
            }
            _ if designator == "#" => {
                return Err(ParseError::UnrecognizedUnit(tokens[index - 1..].join(" ")));
            }
            _ => None,
        };
        units.push(Unit { designator, id });
    }
    Ok(units)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standardize(text: &str) -> (String, Option<String>) {
        let line = parse_street(text).unwrap_or_else(|error| panic!("{text:?}: {error}"));
        (line.primary_line(), line.secondary_line())
    }

    #[test]
    fn street_standardization_table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("3120 M St NW", "3120 M ST NW", None),
            (
                "1600 Pennsylvania Avenue Northwest",
                "1600 PENNSYLVANIA AVE NW",
                None,
            ),
            ("100 North Main Street", "100 N MAIN ST", None),
            ("100 North Avenue", "100 NORTH AVE", None),
            ("100 N St NW", "100 N ST NW", None),
            ("100 Avenue N", "100 AVENUE N", None),
            ("100 East West Highway", "100 EAST WEST HWY", None),
            ("100 Broadway East", "100 BROADWAY E", None),
            ("100 South West Oak Blvd.", "100 SW OAK BLVD", None),
            ("12 Elm Road North West", "12 ELM RD NW", None),
            ("742 Evergreen Terrace", "742 EVERGREEN TER", None),
            ("5 Lakeview Parkway", "5 LAKEVIEW PKWY", None),
            ("9 Oak Circle", "9 OAK CIR", None),
            ("1 Town Square", "1 TOWN SQ", None),
            ("44 First Street", "44 1ST ST", None),
            ("1200 State Hwy 75", "1200 STATE HIGHWAY 75", None),
            ("800 County Rd 12", "800 COUNTY ROAD 12", None),
            ("55 O'Brien Ct.", "55 OBRIEN CT", None),
            ("12-34 31st Ave", "12-34 31ST AVE", None),
            ("123 1/2 Main St Apt 4B", "123 1/2 MAIN ST", Some("APT 4B")),
            ("123½ Main St", "123 1/2 MAIN ST", None),
            ("221 W Huron St, 4B", "221 W HURON ST", Some("# 4B")),
            ("221 W Huron St 4B", "221 W HURON ST", Some("# 4B")),
            ("1400 Elm St # 326", "1400 ELM ST", Some("# 326")),
            ("1400 Elm St #326", "1400 ELM ST", Some("# 326")),
            ("1400 Elm St Apt #326", "1400 ELM ST", Some("APT 326")),
            ("500 Main Street Suite 100", "500 MAIN ST", Some("STE 100")),
            (
                "500 Main St Floor 3 Room 12",
                "500 MAIN ST",
                Some("FL 3 RM 12"),
            ),
            (
                "500 Main St Bldg A Apartment 2",
                "500 MAIN ST",
                Some("BLDG A APT 2"),
            ),
            ("500 Main St Rear", "500 MAIN ST", Some("REAR")),
            (
                "500 Main St Ste 100 PMB 5",
                "500 MAIN ST",
                Some("STE 100 PMB 5"),
            ),
            ("3120 M St, NW", "3120 M ST NW", None),
            ("100 Calle Niño", "100 CALLE NINO", None),
        ];
        for (input, line, secondary) in cases {
            let (got_line, got_secondary) = standardize(input);
            assert_eq!(&got_line, line, "line of {input:?}");
            assert_eq!(
                got_secondary.as_deref(),
                *secondary,
                "secondary of {input:?}"
            );
        }
    }

    #[test]
    fn box_line_table() {
        let cases = [
            ("P.O. Box 123", "PO BOX 123"),
            ("PO Box 5", "PO BOX 5"),
            ("Post Office Box 77", "PO BOX 77"),
            ("Box 12", "PO BOX 12"),
            ("Rural Route 2 Box 152", "RR 2 BOX 152"),
            ("RR 9 Box 23A", "RR 9 BOX 23A"),
            ("HC 68 Box 23A", "HC 68 BOX 23A"),
            ("Highway Contract 4 Box 9", "HC 4 BOX 9"),
            ("PSC 802 Box 74", "PSC 802 BOX 74"),
            ("Unit 2050 Box 4190", "UNIT 2050 BOX 4190"),
            ("CMR 450 Box 123", "CMR 450 BOX 123"),
        ];
        for (input, line) in cases {
            assert_eq!(standardize(input).0, line, "{input:?}");
        }
    }

    #[test]
    fn box_line_kinds() {
        let rural = parse_street("RR 2 BOX 152").unwrap();
        assert!(matches!(rural.kind, LineKind::Route { prefix: "RR", .. }));
        let contract = parse_street("HC 68 BOX 23A").unwrap();
        assert!(matches!(
            contract.kind,
            LineKind::Route { prefix: "HC", .. }
        ));
        let military = parse_street("PSC 802 BOX 74").unwrap();
        assert!(matches!(
            military.kind,
            LineKind::Military { prefix: "PSC", .. }
        ));
        assert_eq!(military.primary_number(), Some(74));
        let street = parse_street("BOX ELDER RD").unwrap_err();
        assert_eq!(street, ParseError::NoPrimaryNumber);
    }

    #[test]
    fn parse_errors() {
        assert_eq!(parse_street("  "), Err(ParseError::Empty));
        assert_eq!(parse_street("Main St"), Err(ParseError::NoPrimaryNumber));
        assert_eq!(parse_street("123"), Err(ParseError::NoStreetName));
        assert_eq!(parse_street("PO Box"), Err(ParseError::MissingBoxNumber));
        assert_eq!(parse_street("RR 2"), Err(ParseError::MissingBoxNumber));
        assert!(matches!(
            parse_street("1 Main St, Springfield IL"),
            Err(ParseError::UnrecognizedUnit(_))
        ));
    }

    #[test]
    fn primary_numbers() {
        assert_eq!(
            parse_street("123A Main St").unwrap().primary_number(),
            Some(123)
        );
        assert_eq!(
            parse_street("12-34 31st Ave").unwrap().primary_number(),
            Some(1234)
        );
        assert_eq!(parse_street("PO Box 0").unwrap().primary_number(), Some(0));
        assert_eq!(
            parse_street("99999999999999999999999 Main St")
                .unwrap()
                .primary_number(),
            Some(u64::MAX)
        );
    }

    #[test]
    fn secondary_parsing() {
        let units = parse_units("Apt. 4-B").unwrap();
        assert_eq!(join_units(&units), "APT 4-B");
        assert_eq!(units[0].number(), Some(4));
        assert_eq!(join_units(&parse_units("#12").unwrap()), "# 12");
        assert_eq!(join_units(&parse_units("7").unwrap()), "# 7");
        assert_eq!(join_units(&parse_units("Suite 300").unwrap()), "STE 300");
        assert_eq!(join_units(&parse_units("Penthouse").unwrap()), "PH");
        assert!(parse_units("the blue door").is_err());
    }

    #[test]
    fn tokenize_keeps_number_punctuation() {
        assert_eq!(tokenize("101.5 Rd."), ["101.5", "RD"]);
        assert_eq!(tokenize("N.W."), ["N", "W"]);
        assert_eq!(tokenize("Wilkes-Barre"), ["WILKES", "BARRE"]);
        assert_eq!(tokenize("4-B"), ["4-B"]);
        assert_eq!(tokenize("A&B"), ["A", "&", "B"]);
    }

    #[test]
    fn text_standardization() {
        assert_eq!(standardize_text("  At&T   Café "), "AT&T CAFE");
        assert_eq!(standardize_words("Urb. Las Gladiolas"), "URB LAS GLADIOLAS");
    }
}
