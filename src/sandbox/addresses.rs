//! The Addresses 3.0 responses of the sandbox: `GET /address`, `GET /zipcode` and
//! `GET /city-state`, computed from the real ZIP Code directory and a set of fixed rules.
//!
//! The sandbox has no list of delivery points, so whether a street address "exists" is decided
//! by rules on its primary number that a reader can predict. They are applied in this order,
//! after the query passed the spec's checks (see `params`):
//!
//! 1. Street line. The line is standardized per Publication 28 (see `standardize`); units at
//!    its end move to `secondaryAddress`. A line without a primary number or street name, or
//!    with trailing text that is not a unit → 404 "The address information in the request is
//!    insufficient to match." (code 010001).
//! 2. City, state and ZIP Code, against the directory (see `directory` and `places`):
//!    - A `ZIPCode` in the directory and in `state` wins: the city becomes its preferred name,
//!      whatever city was sent.
//!    - A `ZIPCode` in the directory but in another state wins, city and state included, if
//!      `city` names that ZIP Code (preferred, acceptable or misspelt name). Otherwise → 404
//!      "The city and state are missing or together unverifiable." (010001).
//!    - A `ZIPCode` not in the directory is ignored when `city` is found in `state`, and the
//!      ZIP Code is derived from the city. Otherwise → 404 "The city and state are missing or
//!      together unverifiable." (010002).
//!    - Without a `ZIPCode`, `city` must name a city of `state`, exactly or within a small edit
//!      distance. Otherwise → 404 "The city in the request is missing or invalid." (010004).
//!      When the city has several ZIP Codes, the street chooses one. The candidates are the
//!      city's ZIP Codes of the type that fits the line: standard for streets, PO box for PO
//!      boxes, military for military lines, or all when none fits. The chosen one is at
//!      position `hash(street line) mod count` in ascending order, and the seed plays no part.
//!    - A street address sent with a PO-box-only ZIP Code moves to a standard ZIP Code of the
//!      same city, chosen as above, or → 404 "The address requested is an invalid delivery
//!      address." (010001) when the city has none.
//!    - States AA, AE and AP take only military lines (`PSC`, `UNIT` or `CMR n BOX n`). A
//!      military line elsewhere, or another line there → 404 "The address requested is an
//!      invalid delivery address." (010001).
//! 3. Outcome, by the primary number N of a street address (digits before any letter):
//!    - N = 0, N ≥ 20000, or a street name containing `NOWHERE` → 404 "There is no match for
//!      the address requested." (010005).
//!    - N ends in `99` and no secondary unit → 404 "More than one address was found matching
//!      the requested address." (010006).
//!    - N ends in `00` and no secondary unit → 200, default match: `corrections` code 32,
//!      `DPVConfirmation` `D`.
//!    - N ends in `00` and a unit number above 50 (PMB aside) → 200, `corrections` code 32,
//!      `DPVConfirmation` `S`.
//!    - Otherwise → 200, exact match: `matches` code 31, `DPVConfirmation` `Y`.
//!
//!    PO boxes, rural and highway contract routes and military lines are exact matches,
//!    except box number 0 → 404 (010005).
//! 4. Flags: `business` is `Y` when `firm` is given or a unit is `STE`, `FL` or `RM`; `DPVCMRA`
//!    is `Y` with a `PMB` unit; `vacant` is `Y` when N ends in `13`; `centralDeliveryPoint` is
//!    `Y` for a business street address with N ≥ 1000. All other flags are `N`.
//! 5. Derived values: `ZIPPlus4` and `carrierRoute` come from H, the first 8 bytes (big-endian)
//!    of SHA-256 over the seed (8 bytes, little-endian) and `ZIP|line|units`. `ZIPPlus4` is
//!    `1 + H mod 9999` in 4 digits; the route is a letter (`C` street, `R` rural route, `H`
//!    highway contract, `B` PO box and military box) and `1 + (H >> 32) mod 99` in 3 digits.
//!    `deliveryPoint` is not hashed but follows USPS, whose README example gives `3120 M ST NW`
//!    delivery point `20`: the last two digits of the unit number (PMB aside), else of the
//!    primary or box number. A `ZIPPlus4` in the request is replaced.
//!
//! `GET /zipcode` applies the same rules but responds 400 where `/address` responds 404,
//! because its spec declares no 404. `GET /city-state` responds 400 (010002) for a ZIP Code not
//! in the directory, for the same reason. `urbanization` is echoed standardized for Puerto Rico only.

use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use zipcodes::Zipcode;

use crate::usps::addresses::{
    AdditionalInfo, AddressQuery, AddressResponse, CityStateQuery, CityStateResponse, CodeText,
    DomesticAddress, ZipCodeQuery, ZipCodeResponse,
};

use super::directory::{directory, preferred_city};
use super::places::{check_delivery_kind, resolve_zip};
use super::rejection::{codes, Problem, Rejection};
use super::standardize::{self, LineKind, StreetLine, Unit};

const INSUFFICIENT: &str = "The address information in the request is insufficient to match.";
const NO_MATCH: &str = "There is no match for the address requested.";
const MULTIPLE: &str = "More than one address was found matching the requested address.";
const EXACT_MATCH: &str = "Single Response - exact match";
const DEFAULT_MATCH: &str = "Default address: The address you entered was found but more information is needed (such as an apartment, suite, or box number) to match to a specific address.";

/// The request fields that `/address` and `/zipcode` share.
pub(super) struct Request<'a> {
    pub firm: Option<&'a str>,
    pub street: &'a str,
    pub secondary: Option<&'a str>,
    pub city: Option<&'a str>,
    pub state: &'a str,
    pub zip: Option<&'a str>,
    pub urbanization: Option<&'a str>,
}

/// A resolved address and what the outcome rules decided about it.
struct Resolved {
    firm: Option<String>,
    address: DomesticAddress,
    info: AdditionalInfo,
    corrections: Vec<CodeText>,
    matches: Vec<CodeText>,
}

/// Builds the response to `GET /address`.
pub(crate) fn address(query: &AddressQuery, seed: u64) -> Result<AddressResponse, Rejection> {
    let request = Request {
        firm: query.firm.as_deref(),
        street: &query.street_address,
        secondary: query.secondary_address.as_deref(),
        city: query.city.as_deref(),
        state: &query.state,
        zip: query.zip_code.as_deref(),
        urbanization: query.urbanization.as_deref(),
    };
    let resolved = resolve(&request, seed, StatusCode::NOT_FOUND)?;
    Ok(AddressResponse {
        firm: resolved.firm,
        address: resolved.address,
        additional_info: Some(resolved.info),
        corrections: resolved.corrections,
        matches: resolved.matches,
        warnings: Vec::new(),
    })
}

/// Builds the response to `GET /zipcode`.
pub(crate) fn zipcode(query: &ZipCodeQuery, seed: u64) -> Result<ZipCodeResponse, Rejection> {
    let request = Request {
        firm: query.firm.as_deref(),
        street: &query.street_address,
        secondary: query.secondary_address.as_deref(),
        city: Some(&query.city),
        state: &query.state,
        zip: query.zip_code.as_deref(),
        urbanization: None,
    };
    let resolved = resolve(&request, seed, StatusCode::BAD_REQUEST)?;
    Ok(ZipCodeResponse {
        firm: resolved.firm,
        address: resolved.address,
    })
}

/// Builds the response to `GET /city-state`.
pub(crate) fn city_state(query: &CityStateQuery) -> Result<CityStateResponse, Rejection> {
    // 400, not 404: the spec declares no 404 for this endpoint.
    let entry = directory().zip(&query.zip_code).ok_or_else(|| {
        Rejection::single(
            StatusCode::BAD_REQUEST,
            "Invalid ZIP Code.",
            Problem {
                code: Some(codes::INVALID_ZIP_CODE),
                title: "Invalid ZIP Code",
                detail: format!(
                    "ZIP Code {} is not in the ZIP Code directory.",
                    query.zip_code
                ),
                source: Some(("ZIPCode", "20007")),
            },
        )
    })?;
    Ok(CityStateResponse {
        city: Some(preferred_city(entry)),
        state: Some(entry.state.clone()),
        zip_code: Some(entry.zip_code.clone()),
    })
}

/// Builds a rejection with one problem whose `source` is `parameter` and an example value.
pub(super) fn failure(
    status: StatusCode,
    message: &str,
    code: &'static str,
    title: &'static str,
    detail: String,
    parameter: &'static str,
) -> Rejection {
    let example = match parameter {
        "ZIPCode" => "20007",
        "city" => "WASHINGTON",
        "state" => "DC",
        "secondaryAddress" => "APT 4B",
        _ => "3120 M ST NW",
    };
    Rejection::single(
        status,
        message,
        Problem {
            code: Some(code),
            title,
            detail,
            source: Some((parameter, example)),
        },
    )
}

fn resolve(request: &Request, seed: u64, status: StatusCode) -> Result<Resolved, Rejection> {
    let mut line = standardize::parse_street(request.street).map_err(|error| {
        failure(
            status,
            INSUFFICIENT,
            codes::INVALID_ADDRESS,
            "Invalid Address",
            format!("streetAddress {:?}: {error}.", request.street),
            "streetAddress",
        )
    })?;
    if let Some(secondary) = request.secondary {
        let units = standardize::parse_units(secondary).map_err(|error| {
            failure(
                status,
                INSUFFICIENT,
                codes::INVALID_ADDRESS,
                "Invalid Address",
                format!("secondaryAddress {secondary:?}: {error}."),
                "secondaryAddress",
            )
        })?;
        for unit in units {
            if !line.units.contains(&unit) {
                line.units.push(unit);
            }
        }
    }

    let entry = resolve_zip(request, &line, status)?;
    check_delivery_kind(&line, entry, status)?;
    let outcome = decide_outcome(&line, status)?;
    Ok(build(request, &line, entry, outcome, seed))
}

/// Decision of the outcome rules of step 3 for an address that exists.
struct Outcome {
    dpv: &'static str,
    default_match: bool,
}

fn decide_outcome(line: &StreetLine, status: StatusCode) -> Result<Outcome, Rejection> {
    let number = line.primary_number().unwrap_or(0);
    let not_found = |detail: String| {
        failure(
            status,
            NO_MATCH,
            codes::ADDRESS_NOT_FOUND,
            "Address Not Found",
            detail,
            "streetAddress",
        )
    };
    let exact = Outcome {
        dpv: "Y",
        default_match: false,
    };

    let LineKind::Street(parts) = &line.kind else {
        if number == 0 {
            return Err(not_found(format!(
                "{} has box number 0.",
                line.primary_line()
            )));
        }
        return Ok(exact);
    };
    if number == 0 || number >= 20_000 {
        return Err(not_found(format!(
            "No delivery point has primary number {number} on {}.",
            parts.name.join(" ")
        )));
    }
    if parts.name.iter().any(|word| word.contains("NOWHERE")) {
        return Err(not_found(format!(
            "No street named {} is in this ZIP Code.",
            parts.name.join(" ")
        )));
    }

    let has_units = !line.units.is_empty();
    if number % 100 == 99 && !has_units {
        return Err(failure(
            status,
            MULTIPLE,
            codes::MULTIPLE_ADDRESSES,
            "Multiple Addresses Found",
            format!(
                "{} matches several delivery points and none is a default; add the apartment, suite or box number.",
                line.primary_line()
            ),
            "secondaryAddress",
        ));
    }
    if !number.is_multiple_of(100) {
        return Ok(exact);
    }
    if !has_units {
        return Ok(Outcome {
            dpv: "D",
            default_match: true,
        });
    }
    let unknown_unit = line
        .units
        .iter()
        .any(|unit| unit.designator != "PMB" && unit.number().is_some_and(|n| n > 50));
    Ok(if unknown_unit {
        Outcome {
            dpv: "S",
            default_match: true,
        }
    } else {
        exact
    })
}

fn build(
    request: &Request,
    line: &StreetLine,
    entry: &'static Zipcode,
    outcome: Outcome,
    seed: u64,
) -> Resolved {
    let primary_line = line.primary_line();
    let secondary_line = line.secondary_line();
    let hash = stable_hash(
        seed,
        &format!(
            "{}|{primary_line}|{}",
            entry.zip_code,
            secondary_line.as_deref().unwrap_or("")
        ),
    );
    let route_letter = match line.kind {
        LineKind::Street(_) => 'C',
        LineKind::Route { prefix: "RR", .. } => 'R',
        LineKind::Route { .. } => 'H',
        LineKind::PoBox { .. } | LineKind::Military { .. } => 'B',
    };

    let has_unit = |designators: &[&str]| {
        line.units
            .iter()
            .any(|unit| designators.contains(&unit.designator))
    };
    let is_street = matches!(line.kind, LineKind::Street(_));
    let number = line.primary_number().unwrap_or(0);
    let business = request.firm.is_some() || has_unit(&["STE", "FL", "RM"]);
    let flag = |value: bool| Some(if value { "Y" } else { "N" }.to_string());

    let info = AdditionalInfo {
        delivery_point: Some(delivery_point(line)),
        carrier_route: Some(format!("{route_letter}{:03}", 1 + (hash >> 32) % 99)),
        dpv_confirmation: Some(outcome.dpv.to_string()),
        dpv_cmra: flag(has_unit(&["PMB"])),
        business: flag(business),
        central_delivery_point: flag(is_street && business && number >= 1000),
        vacant: flag(is_street && number % 100 == 13),
    };
    let urbanization = request
        .urbanization
        .filter(|_| entry.state == "PR")
        .map(standardize::standardize_words)
        .filter(|words| !words.is_empty());
    let address = DomesticAddress {
        street_address: Some(primary_line),
        street_address_abbreviation: None,
        secondary_address: secondary_line,
        city: Some(preferred_city(entry)),
        city_abbreviation: None,
        state: Some(entry.state.clone()),
        zip_code: Some(entry.zip_code.clone()),
        zip_plus4: Some(format!("{:04}", 1 + hash % 9999)),
        urbanization,
    };

    let code_text = |code: &str, text: &str| CodeText {
        code: code.to_string(),
        text: text.to_string(),
    };
    let (corrections, matches) = if outcome.default_match {
        (vec![code_text("32", DEFAULT_MATCH)], Vec::new())
    } else {
        (Vec::new(), vec![code_text("31", EXACT_MATCH)])
    };
    Resolved {
        firm: request
            .firm
            .map(standardize::standardize_text)
            .filter(|firm| !firm.is_empty()),
        address,
        info,
        corrections,
        matches,
    }
}

/// Returns the last two digits of the last numbered unit (PMB aside), else of the primary or
/// box number.
fn delivery_point(line: &StreetLine) -> String {
    let unit_number = line
        .units
        .iter()
        .rev()
        .filter(|unit| unit.designator != "PMB")
        .find_map(Unit::number);
    let number = unit_number.or(line.primary_number()).unwrap_or(0);
    format!("{:02}", number % 100)
}

/// Returns the first 8 bytes, big-endian, of SHA-256 over `seed` (8 bytes, little-endian) and
/// `text`. Unlike `std`'s hasher, it is the same on every platform and Rust version.
pub(super) fn stable_hash(seed: u64, text: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(text.as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::super::places::{INVALID_CITY, INVALID_DELIVERY, UNVERIFIABLE};
    use super::*;

    fn query(street: &str, city: Option<&str>, state: &str, zip: Option<&str>) -> AddressQuery {
        AddressQuery {
            street_address: street.to_string(),
            city: city.map(str::to_string),
            state: state.to_string(),
            zip_code: zip.map(str::to_string),
            ..Default::default()
        }
    }

    fn inventory_code(rejection: &Rejection) -> &str {
        rejection.body.error.errors[0].code.as_deref().unwrap()
    }

    #[test]
    fn exact_match() {
        let answer = address(
            &query("1412 Elm Street", Some("Springfield"), "IL", Some("62701")),
            1,
        )
        .unwrap();
        assert_eq!(
            answer.address.street_address.as_deref(),
            Some("1412 ELM ST")
        );
        assert_eq!(answer.address.city.as_deref(), Some("SPRINGFIELD"));
        assert_eq!(answer.matches[0].code, "31");
        assert!(answer.corrections.is_empty());
        let info = answer.additional_info.unwrap();
        assert_eq!(info.dpv_confirmation.as_deref(), Some("Y"));
        assert_eq!(info.delivery_point.as_deref(), Some("12"));
        assert_eq!(info.vacant.as_deref(), Some("N"));
        let zip4 = answer.address.zip_plus4.unwrap();
        assert_eq!(zip4.len(), 4);
        assert_ne!(zip4, "0000");
        let route = info.carrier_route.unwrap();
        assert!(route.starts_with('C'), "{route}");
        assert_eq!(route.len(), 4, "{route}");
    }

    #[test]
    fn default_and_invalid_secondary() {
        let default = address(&query("1400 Elm St", None, "IL", Some("62702")), 1).unwrap();
        assert_eq!(default.corrections[0].code, "32");
        assert!(default.matches.is_empty());
        let info = default.additional_info.unwrap();
        assert_eq!(info.dpv_confirmation.as_deref(), Some("D"));

        let invalid = address(&query("1400 Elm St Apt 75", None, "IL", Some("62702")), 1).unwrap();
        assert_eq!(invalid.corrections[0].code, "32");
        assert_eq!(
            invalid.additional_info.unwrap().dpv_confirmation.as_deref(),
            Some("S")
        );

        let valid = address(&query("1400 Elm St Apt 12", None, "IL", Some("62702")), 1).unwrap();
        assert_eq!(valid.matches[0].code, "31");
        assert_eq!(valid.address.secondary_address.as_deref(), Some("APT 12"));
        assert_eq!(
            valid.additional_info.unwrap().delivery_point.as_deref(),
            Some("12")
        );
    }

    #[test]
    fn not_found_and_multiple() {
        for street in ["0 Elm St", "20000 Elm St", "12 Nowhere Ln"] {
            let rejection = address(&query(street, None, "IL", Some("62701")), 1).unwrap_err();
            assert_eq!(rejection.status, StatusCode::NOT_FOUND, "{street}");
            assert_eq!(inventory_code(&rejection), "010005", "{street}");
            assert_eq!(rejection.body.error.message, NO_MATCH);
        }
        let multiple = address(&query("1499 Elm St", None, "IL", Some("62701")), 1).unwrap_err();
        assert_eq!(inventory_code(&multiple), "010006");
        assert_eq!(multiple.body.error.message, MULTIPLE);
        assert!(address(&query("1499 Elm St # 3", None, "IL", Some("62701")), 1).is_ok());
    }

    #[test]
    fn city_rules() {
        // A misspelt city with no ZIP Code is corrected, and a ZIP Code is chosen for it.
        let corrected = address(&query("12 Elm St", Some("Sprinfield"), "IL", None), 1).unwrap();
        assert_eq!(corrected.address.city.as_deref(), Some("SPRINGFIELD"));
        let zip = corrected.address.zip_code.unwrap();
        assert!(zip.starts_with("627"), "{zip}");

        // An acceptable name becomes the preferred one.
        let allston = address(&query("12 Elm St", Some("Boston"), "MA", Some("02134")), 1).unwrap();
        assert_eq!(allston.address.city.as_deref(), Some("ALLSTON"));

        let invalid = address(&query("12 Elm St", Some("Atlantis"), "IL", None), 1).unwrap_err();
        assert_eq!(inventory_code(&invalid), "010004");
        assert_eq!(invalid.body.error.message, INVALID_CITY);
    }

    #[test]
    fn zip_rules() {
        // Wrong state, but the city names the ZIP Code: the ZIP Code's state wins.
        let moved = address(
            &query("12 Elm St", Some("Springfield"), "MO", Some("62701")),
            1,
        )
        .unwrap();
        assert_eq!(moved.address.state.as_deref(), Some("IL"));

        let conflict =
            address(&query("12 Elm St", Some("Boston"), "MA", Some("62701")), 1).unwrap_err();
        assert_eq!(conflict.body.error.message, UNVERIFIABLE);

        let unknown_zip = address(&query("12 Elm St", None, "IL", Some("00000")), 1).unwrap_err();
        assert_eq!(inventory_code(&unknown_zip), "010002");

        let rescued = address(
            &query("12 Elm St", Some("Springfield"), "IL", Some("00000")),
            1,
        )
        .unwrap();
        assert!(rescued.address.zip_code.unwrap().starts_with("627"));
    }

    #[test]
    fn po_box_zip_moves_street() {
        // 62705 serves PO boxes only; a street address moves to a standard Springfield ZIP.
        let entry = directory().zip("62705").unwrap();
        assert_eq!(entry.zip_code_type, "PO BOX");
        let moved = address(&query("12 Elm St", None, "IL", Some("62705")), 1).unwrap();
        assert_ne!(moved.address.zip_code.as_deref(), Some("62705"));
        let boxed = address(&query("PO Box 12", None, "IL", Some("62705")), 1).unwrap();
        assert_eq!(boxed.address.zip_code.as_deref(), Some("62705"));
        assert_eq!(boxed.address.street_address.as_deref(), Some("PO BOX 12"));
        let info = boxed.additional_info.unwrap();
        assert!(info.carrier_route.unwrap().starts_with('B'));
    }

    #[test]
    fn military_rules() {
        let answer = address(&query("Unit 2050 Box 4190", None, "AE", Some("09012")), 1).unwrap();
        assert_eq!(answer.address.city.as_deref(), Some("APO"));
        assert_eq!(
            answer.address.street_address.as_deref(),
            Some("UNIT 2050 BOX 4190")
        );
        let by_city = address(&query("PSC 802 Box 74", Some("APO"), "AP", None), 1).unwrap();
        assert_eq!(by_city.address.state.as_deref(), Some("AP"));
        let street = address(&query("12 Elm St", None, "AE", Some("09012")), 1).unwrap_err();
        assert_eq!(street.body.error.message, INVALID_DELIVERY);
        let misplaced =
            address(&query("PSC 802 Box 74", None, "IL", Some("62701")), 1).unwrap_err();
        assert_eq!(misplaced.body.error.message, INVALID_DELIVERY);
    }

    #[test]
    fn flags() {
        let mut business = query("1013 Elm St Ste 4", None, "IL", Some("62701"));
        business.firm = Some("Acme & Sons".to_string());
        let answer = address(&business, 1).unwrap();
        assert_eq!(answer.firm.as_deref(), Some("ACME & SONS"));
        let info = answer.additional_info.unwrap();
        assert_eq!(info.business.as_deref(), Some("Y"));
        assert_eq!(info.central_delivery_point.as_deref(), Some("Y"));
        assert_eq!(info.vacant.as_deref(), Some("Y"));
        assert_eq!(info.dpv_cmra.as_deref(), Some("N"));

        let cmra = address(&query("12 Elm St PMB 7", None, "IL", Some("62701")), 1).unwrap();
        let info = cmra.additional_info.unwrap();
        assert_eq!(info.dpv_cmra.as_deref(), Some("Y"));
        assert_eq!(info.business.as_deref(), Some("N"));
        assert_eq!(info.delivery_point.as_deref(), Some("12"));
    }

    #[test]
    fn derived_values_follow_seed() {
        let request = query("1412 Elm St", None, "IL", Some("62701"));
        let first = address(&request, 1).unwrap();
        let again = address(&request, 1).unwrap();
        let other_seed = address(&request, 2).unwrap();
        assert_eq!(first, again);
        assert_ne!(
            (
                first.address.zip_plus4,
                first.additional_info.unwrap().carrier_route
            ),
            (
                other_seed.address.zip_plus4,
                other_seed.additional_info.unwrap().carrier_route
            )
        );
    }

    #[test]
    fn urbanization_for_puerto_rico_only() {
        let mut request = query("1 Calle 2", None, "PR", Some("00926"));
        request.urbanization = Some("Urb. Las Gladiolas".to_string());
        let answer = address(&request, 1).unwrap();
        assert_eq!(
            answer.address.urbanization.as_deref(),
            Some("URB LAS GLADIOLAS")
        );
        assert_eq!(answer.address.city.as_deref(), Some("SAN JUAN"));

        let mut mainland = query("12 Elm St", None, "IL", Some("62701"));
        mainland.urbanization = Some("Urb. Las Gladiolas".to_string());
        assert_eq!(address(&mainland, 1).unwrap().address.urbanization, None);
    }

    #[test]
    fn insufficient_line() {
        let rejection = address(&query("Elm St", None, "IL", Some("62701")), 1).unwrap_err();
        assert_eq!(rejection.body.error.message, INSUFFICIENT);
        assert_eq!(inventory_code(&rejection), "010001");
    }

    #[test]
    fn zipcode_responds_400() {
        let request = ZipCodeQuery {
            street_address: "1412 Elm St".to_string(),
            city: "Springfield".to_string(),
            state: "IL".to_string(),
            ..Default::default()
        };
        let answer = zipcode(&request, 1).unwrap();
        assert!(answer.address.zip_code.unwrap().starts_with("627"));
        assert!(answer.address.zip_plus4.is_some());

        let missing = ZipCodeQuery {
            street_address: "0 Elm St".to_string(),
            ..request
        };
        assert_eq!(
            zipcode(&missing, 1).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn city_state_lookup() {
        let found = city_state(&CityStateQuery {
            zip_code: "30004".to_string(),
        })
        .unwrap();
        assert_eq!(found.city.as_deref(), Some("ALPHARETTA"));
        assert_eq!(found.state.as_deref(), Some("GA"));
        let missing = city_state(&CityStateQuery {
            zip_code: "00000".to_string(),
        })
        .unwrap_err();
        assert_eq!(missing.status, StatusCode::BAD_REQUEST);
        assert_eq!(inventory_code(&missing), "010002");
    }

    #[test]
    fn stable_hash_is_fixed() {
        // Pinned so that a change of hash, which would change every derived ZIP+4, is seen.
        assert_eq!(stable_hash(0, ""), 0xaf5570f5a1810b7a);
    }
}
