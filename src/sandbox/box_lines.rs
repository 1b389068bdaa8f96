//! Parsing of the delivery lines that carry a box number instead of a house number: PO boxes,
//! rural routes (`RR`), highway contract routes (`HC`) and military lines (`PSC`, `UNIT`,
//! `CMR`), written in their Publication 28 form.

use super::standardize::{has_digit, LineKind, ParseError};

/// Word sequences that open a line of each kind, as written after tokenizing.
const PO_BOX_PREFIXES: &[&[&str]] = &[
    &["POST", "OFFICE", "BOX"],
    &["P", "O", "BOX"],
    &["PO", "BOX"],
    &["PO", "BX"],
    &["POBOX"],
    &["POB"],
];
const RURAL_ROUTE_PREFIXES: &[&[&str]] = &[
    &["RURAL", "ROUTE"],
    &["RURAL", "RTE"],
    &["R", "R"],
    &["RR"],
    &["RFD"],
];
const HIGHWAY_CONTRACT_PREFIXES: &[&[&str]] = &[
    &["HIGHWAY", "CONTRACT"],
    &["STAR", "ROUTE"],
    &["STAR", "RTE"],
    &["HC"],
];
const MILITARY_PREFIXES: &[&str] = &["PSC", "UNIT", "CMR"];

fn matched_prefix(tokens: &[String], prefixes: &[&[&str]]) -> Option<usize> {
    prefixes
        .iter()
        .find(|prefix| {
            prefix.len() <= tokens.len() && prefix.iter().zip(tokens).all(|(p, t)| p == t)
        })
        .map(|prefix| prefix.len())
}

/// Parses `PO BOX`, rural route, highway contract and military lines. Returns `None` for any
/// other line, and the tokens after the box number, which may hold units.
pub(super) fn parse_box_line(
    tokens: &[String],
) -> Result<Option<(LineKind, Vec<String>)>, ParseError> {
    if let Some(used) = matched_prefix(tokens, PO_BOX_PREFIXES) {
        let number = tokens.get(used).ok_or(ParseError::MissingBoxNumber)?;
        return Ok(Some((
            LineKind::PoBox {
                number: number.clone(),
            },
            tokens[used + 1..].to_vec(),
        )));
    }
    // A bare "BOX 123" is a PO box, but "BOX ELDER RD" is not.
    if tokens.len() >= 2 && tokens[0] == "BOX" && has_digit(&tokens[1]) {
        return Ok(Some((
            LineKind::PoBox {
                number: tokens[1].clone(),
            },
            tokens[2..].to_vec(),
        )));
    }

    let route_prefix = matched_prefix(tokens, RURAL_ROUTE_PREFIXES)
        .map(|used| ("RR", used))
        .or_else(|| matched_prefix(tokens, HIGHWAY_CONTRACT_PREFIXES).map(|used| ("HC", used)));
    if let Some((prefix, used)) = route_prefix {
        if tokens.get(used).is_some_and(|t| has_digit(t)) {
            let (box_number, rest) = box_after(tokens, used + 1)?;
            return Ok(Some((
                LineKind::Route {
                    prefix,
                    route: tokens[used].clone(),
                    box_number,
                },
                rest,
            )));
        }
    }

    if let Some(prefix) = MILITARY_PREFIXES
        .iter()
        .find(|p| tokens.first() == Some(&p.to_string()))
    {
        let numbered = tokens.get(1).is_some_and(|t| has_digit(t));
        // "UNIT 4 BOX 2" is military, but "UNIT 4" alone is a unit without a street.
        let boxed = tokens.get(2).is_some_and(|t| t == "BOX" || t == "BX");
        if numbered && (boxed || *prefix != "UNIT") {
            let (box_number, rest) = box_after(tokens, 2)?;
            return Ok(Some((
                LineKind::Military {
                    prefix,
                    number: tokens[1].clone(),
                    box_number,
                },
                rest,
            )));
        }
    }
    Ok(None)
}

/// Reads `BOX n` at `at`, and returns the box number and the tokens after it.
fn box_after(tokens: &[String], at: usize) -> Result<(String, Vec<String>), ParseError> {
    let is_box = tokens.get(at).is_some_and(|t| t == "BOX" || t == "BX");
    let number = tokens.get(at + 1).filter(|_| is_box);
    match number {
        Some(number) => Ok((number.clone(), tokens[at + 2..].to_vec())),
        None => Err(ParseError::MissingBoxNumber),
    }
}
