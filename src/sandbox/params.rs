//! Reading and validating the query parameters of the Addresses endpoints against the
//! Addresses 3.0 spec, before any lookup. Every violation becomes a 400 with one entry per
//! violation in `error.errors`, whose `source.parameter` names the parameter.
//!
//! Parameter names are case-sensitive as in the spec. An empty value counts as absent, the
//! first of repeated parameters wins, and unknown parameters are ignored.

use axum::http::StatusCode;

use crate::usps::addresses::{AddressQuery, CityStateQuery, ZipCodeQuery};
use crate::usps::is_state_code;

use super::rejection::{codes, Problem, Rejection};

/// Maximum lengths from the spec, in characters.
const MAX_STREET: usize = 50;
const MAX_CITY: usize = 28;
const MAX_FIRM: usize = 50;

/// Decoded query parameters in request order.
pub(crate) type Pairs = [(String, String)];

/// Reads and validates the query of `GET /address`.
pub(crate) fn address_query(pairs: &Pairs) -> Result<AddressQuery, Rejection> {
    let query = AddressQuery {
        firm: value(pairs, "firm"),
        street_address: value(pairs, "streetAddress").unwrap_or_default(),
        secondary_address: value(pairs, "secondaryAddress"),
        city: value(pairs, "city"),
        state: value(pairs, "state").unwrap_or_default(),
        urbanization: value(pairs, "urbanization"),
        zip_code: value(pairs, "ZIPCode"),
        zip_plus4: value(pairs, "ZIPPlus4"),
    };
    let mut problems = Vec::new();
    check_firm(query.firm.as_deref(), &mut problems);
    check_street(&query.street_address, &mut problems);
    check_city(query.city.as_deref(), &mut problems);
    check_state(&query.state, &mut problems);
    check_zip(query.zip_code.as_deref(), &mut problems);
    check_zip_plus4(query.zip_plus4.as_deref(), &mut problems);
    if query.city.is_none() && query.zip_code.is_none() {
        problems.push(Problem {
            code: Some(codes::INVALID_CITY),
            title: "Invalid City",
            detail: "Either city or ZIPCode is required.".to_string(),
            source: Some(("city", "WASHINGTON")),
        });
    }
    finish(query, problems)
}

/// Reads and validates the query of `GET /zipcode`.
pub(crate) fn zipcode_query(pairs: &Pairs) -> Result<ZipCodeQuery, Rejection> {
    let query = ZipCodeQuery {
        firm: value(pairs, "firm"),
        street_address: value(pairs, "streetAddress").unwrap_or_default(),
        secondary_address: value(pairs, "secondaryAddress"),
        city: value(pairs, "city").unwrap_or_default(),
        state: value(pairs, "state").unwrap_or_default(),
        zip_code: value(pairs, "ZIPCode"),
        zip_plus4: value(pairs, "ZIPPlus4"),
    };
    let mut problems = Vec::new();
    check_firm(query.firm.as_deref(), &mut problems);
    check_street(&query.street_address, &mut problems);
    if query.city.is_empty() {
        problems.push(Problem {
            code: Some(codes::INVALID_CITY),
            title: "Invalid City",
            detail: "city is required.".to_string(),
            source: Some(("city", "WASHINGTON")),
        });
    }
    check_city(Some(&query.city), &mut problems);
    check_state(&query.state, &mut problems);
    check_zip(query.zip_code.as_deref(), &mut problems);
    check_zip_plus4(query.zip_plus4.as_deref(), &mut problems);
    finish(query, problems)
}

/// Reads and validates the query of `GET /city-state`.
pub(crate) fn city_state_query(pairs: &Pairs) -> Result<CityStateQuery, Rejection> {
    let query = CityStateQuery {
        zip_code: value(pairs, "ZIPCode").unwrap_or_default(),
    };
    let mut problems = Vec::new();
    if query.zip_code.is_empty() {
        problems.push(Problem {
            code: Some(codes::INVALID_ZIP_CODE),
            title: "Invalid ZIP Code",
            detail: "ZIPCode is required.".to_string(),
            source: Some(("ZIPCode", "20007")),
        });
    } else {
        check_zip(Some(&query.zip_code), &mut problems);
    }
    finish(query, problems)
}

pub(crate) fn value(pairs: &Pairs, name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .filter(|value| !value.trim().is_empty())
}

fn finish<T>(query: T, problems: Vec<Problem>) -> Result<T, Rejection> {
    let Some(first) = problems.first() else {
        return Ok(query);
    };
    let message = format!("{}.", first.title);
    Err(Rejection::new(StatusCode::BAD_REQUEST, &message, problems))
}

fn too_long(parameter: &str, value: &str, max: usize) -> Option<String> {
    let length = value.chars().count();
    (length > max)
        .then(|| format!("{parameter} is {length} characters long; the maximum is {max}."))
}

fn check_firm(firm: Option<&str>, problems: &mut Vec<Problem>) {
    if let Some(detail) = firm.and_then(|firm| too_long("firm", firm, MAX_FIRM)) {
        problems.push(Problem {
            code: None,
            title: "Invalid Firm",
            detail,
            source: Some(("firm", "USPS")),
        });
    }
}

fn check_street(street: &str, problems: &mut Vec<Problem>) {
    let detail = if street.is_empty() {
        Some("streetAddress is required.".to_string())
    } else {
        too_long("streetAddress", street, MAX_STREET)
    };
    if let Some(detail) = detail {
        problems.push(Problem {
            code: Some(codes::INVALID_ADDRESS),
            title: "Invalid Address",
            detail,
            source: Some(("streetAddress", "3120 M ST NW")),
        });
    }
}

fn check_city(city: Option<&str>, problems: &mut Vec<Problem>) {
    if let Some(detail) = city.and_then(|city| too_long("city", city, MAX_CITY)) {
        problems.push(Problem {
            code: Some(codes::INVALID_CITY),
            title: "Invalid City",
            detail,
            source: Some(("city", "WASHINGTON")),
        });
    }
}

fn check_state(state: &str, problems: &mut Vec<Problem>) {
    let detail = if state.is_empty() {
        "state is required.".to_string()
    } else if !is_state_code(state) {
        format!("state {state:?} is not a two-letter upper-case code that the API accepts.")
    } else {
        return;
    };
    problems.push(Problem {
        code: Some(codes::INVALID_STATE),
        title: "Invalid State Code",
        detail,
        source: Some(("state", "DC")),
    });
}

fn is_digits(value: &str, count: usize) -> bool {
    value.len() == count && value.bytes().all(|b| b.is_ascii_digit())
}

fn check_zip(zip: Option<&str>, problems: &mut Vec<Problem>) {
    if let Some(zip) = zip.filter(|zip| !is_digits(zip, 5)) {
        problems.push(Problem {
            code: Some(codes::INVALID_ZIP_CODE),
            title: "Invalid ZIP Code",
            detail: format!("ZIPCode {zip:?} must be exactly 5 digits."),
            source: Some(("ZIPCode", "20007")),
        });
    }
}

fn check_zip_plus4(zip_plus4: Option<&str>, problems: &mut Vec<Problem>) {
    // The inventory has no code of its own for ZIPPlus4, so none is sent.
    if let Some(zip_plus4) = zip_plus4.filter(|value| !is_digits(value, 4)) {
        problems.push(Problem {
            code: None,
            title: "Invalid ZIPPlus4",
            detail: format!("ZIPPlus4 {zip_plus4:?} must be exactly 4 digits."),
            source: Some(("ZIPPlus4", "3704")),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    /// A query, the parameter expected in `errors[0].source`, and the expected inventory code.
    type ValidationCase<'a> = (Vec<(&'a str, &'a str)>, &'a str, Option<&'a str>);

    fn first_parameter(rejection: &Rejection) -> String {
        rejection.body.error.errors[0].source.as_ref().unwrap()["parameter"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn address_query_accepts_valid() {
        let query = address_query(&pairs(&[
            ("streetAddress", "3120 M St NW"),
            ("state", "DC"),
            ("ZIPCode", "20007"),
            ("ZIPPlus4", "3704"),
        ]))
        .unwrap();
        assert_eq!(query.street_address, "3120 M St NW");
        assert_eq!(query.zip_plus4.as_deref(), Some("3704"));
        assert_eq!(query.city, None);
    }

    #[test]
    fn address_query_violations() {
        let long = "x".repeat(51);
        let cases: Vec<ValidationCase> = vec![
            (
                vec![("state", "DC"), ("city", "X")],
                "streetAddress",
                Some("010001"),
            ),
            (
                vec![("streetAddress", &long), ("state", "DC"), ("city", "X")],
                "streetAddress",
                Some("010001"),
            ),
            (
                vec![("streetAddress", "1 A St"), ("city", "X")],
                "state",
                Some("010003"),
            ),
            (
                vec![("streetAddress", "1 A St"), ("state", "dc"), ("city", "X")],
                "state",
                Some("010003"),
            ),
            (
                vec![
                    ("streetAddress", "1 A St"),
                    ("state", "DC"),
                    ("ZIPCode", "2000"),
                ],
                "ZIPCode",
                Some("010002"),
            ),
            (
                vec![
                    ("streetAddress", "1 A St"),
                    ("state", "DC"),
                    ("ZIPCode", "20007"),
                    ("ZIPPlus4", "37"),
                ],
                "ZIPPlus4",
                None,
            ),
            (
                vec![("streetAddress", "1 A St"), ("state", "DC")],
                "city",
                Some("010004"),
            ),
            (
                vec![
                    ("streetAddress", "1 A St"),
                    ("state", "DC"),
                    ("city", "ABCDEFGHIJKLMNOPQRSTUVWXYZABC"),
                ],
                "city",
                Some("010004"),
            ),
            (
                vec![
                    ("streetAddress", "1 A St"),
                    ("state", "DC"),
                    ("city", "X"),
                    ("firm", &long),
                ],
                "firm",
                None,
            ),
        ];
        for (query, parameter, code) in cases {
            let rejection = address_query(&pairs(&query)).unwrap_err();
            assert_eq!(rejection.status, StatusCode::BAD_REQUEST, "{query:?}");
            assert_eq!(first_parameter(&rejection), parameter, "{query:?}");
            assert_eq!(
                rejection.body.error.errors[0].code.as_deref(),
                code,
                "{query:?}"
            );
            assert_eq!(rejection.body.error.code, "400");
        }
    }

    #[test]
    fn address_query_lists_every_violation() {
        let rejection = address_query(&pairs(&[("ZIPCode", "1")])).unwrap_err();
        let parameters: Vec<&str> = rejection
            .body
            .error
            .errors
            .iter()
            .map(|detail| {
                detail.source.as_ref().unwrap()["parameter"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(parameters, ["streetAddress", "state", "ZIPCode"]);
        assert_eq!(rejection.body.error.message, "Invalid Address.");
    }

    #[test]
    fn zipcode_query_requires_city() {
        let rejection =
            zipcode_query(&pairs(&[("streetAddress", "1 A St"), ("state", "DC")])).unwrap_err();
        assert_eq!(first_parameter(&rejection), "city");
    }

    #[test]
    fn city_state_query_checks_pattern() {
        assert!(city_state_query(&pairs(&[("ZIPCode", "30004")])).is_ok());
        for zip in ["", "3000", "300040", "3000a", "30004-1234"] {
            let rejection = city_state_query(&pairs(&[("ZIPCode", zip)])).unwrap_err();
            assert_eq!(first_parameter(&rejection), "ZIPCode", "{zip:?}");
        }
    }

    #[test]
    fn first_repeated_parameter_wins() {
        let query = address_query(&pairs(&[
            ("streetAddress", "1 A St"),
            ("state", "DC"),
            ("state", "XX"),
            ("city", "Washington"),
        ]))
        .unwrap();
        assert_eq!(query.state, "DC");
    }
}
