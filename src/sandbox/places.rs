//! Finding the ZIP Code of an address from its ZIP Code, city and state, and checking that the
//! kind of line fits the place. The rules are those of step 2 in the documentation of
//! `addresses`.

use axum::http::StatusCode;
use zipcodes::Zipcode;

use super::addresses::{failure, stable_hash, Request};
use super::directory::{directory, preferred_city};
use super::rejection::{codes, Rejection};
use super::standardize::{LineKind, StreetLine};

pub(super) const UNVERIFIABLE: &str = "The city and state are missing or together unverifiable.";
pub(super) const INVALID_CITY: &str = "The city in the request is missing or invalid.";
pub(super) const INVALID_DELIVERY: &str = "The address requested is an invalid delivery address.";

const MILITARY_STATES: &[&str] = &["AA", "AE", "AP"];

/// Finds the ZIP Code of the address by the rules of step 2 in the `addresses` documentation.
pub(super) fn resolve_zip(
    request: &Request,
    line: &StreetLine,
    status: StatusCode,
) -> Result<&'static Zipcode, Rejection> {
    let directory = directory();
    if let Some(zip) = request.zip {
        if let Some(entry) = directory.zip(zip) {
            let city_fits = request
                .city
                .is_some_and(|city| directory.city_fits_zip(city, entry));
            if entry.state == request.state || city_fits {
                return fit_zip_type(entry, line, status);
            }
            return Err(failure(
                status,
                UNVERIFIABLE,
                codes::INVALID_ADDRESS,
                "Invalid Address",
                format!(
                    "ZIP Code {zip} is in {}, not {}, and the city {:?} does not match it.",
                    entry.state,
                    request.state,
                    request.city.unwrap_or("")
                ),
                "state",
            ));
        }
        let city_found = request
            .city
            .is_some_and(|city| directory.find_city(request.state, city).is_some());
        if !city_found {
            return Err(failure(
                status,
                UNVERIFIABLE,
                codes::INVALID_ZIP_CODE,
                "Invalid ZIP Code",
                format!(
                    "ZIP Code {zip} is not in the ZIP Code directory, and no city of {} was given to find the address by.",
                    request.state
                ),
                "ZIPCode",
            ));
        }
    }

    let city = request.city.unwrap_or("");
    let zips = directory.find_city(request.state, city).ok_or_else(|| {
        failure(
            status,
            INVALID_CITY,
            codes::INVALID_CITY,
            "Invalid City",
            format!(
                "{city:?} is not a city of {} in the ZIP Code directory.",
                request.state
            ),
            "city",
        )
    })?;
    Ok(choose_zip(zips, line))
}

/// Moves a street address off a PO-box-only ZIP Code, to a standard ZIP Code of its city.
fn fit_zip_type(
    entry: &'static Zipcode,
    line: &StreetLine,
    status: StatusCode,
) -> Result<&'static Zipcode, Rejection> {
    if !matches!(line.kind, LineKind::Street(_)) || entry.zip_code_type != "PO BOX" {
        return Ok(entry);
    }
    let standard: Vec<&'static Zipcode> = directory()
        .find_city(&entry.state, &entry.city)
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|candidate| candidate.zip_code_type == "STANDARD")
        .collect();
    if standard.is_empty() {
        return Err(failure(
            status,
            INVALID_DELIVERY,
            codes::INVALID_ADDRESS,
            "Invalid Address",
            format!(
                "ZIP Code {} serves PO boxes only, and {} has no ZIP Code for street delivery.",
                entry.zip_code,
                preferred_city(entry)
            ),
            "ZIPCode",
        ));
    }
    Ok(choose_zip(&standard, line))
}

/// Chooses among a city's ZIP Codes by the type that fits the line, then by the street.
fn choose_zip(zips: &[&'static Zipcode], line: &StreetLine) -> &'static Zipcode {
    let wanted = match line.kind {
        LineKind::Street(_) | LineKind::Route { .. } => "STANDARD",
        LineKind::PoBox { .. } => "PO BOX",
        LineKind::Military { .. } => "MILITARY",
    };
    let fitting: Vec<&'static Zipcode> = zips
        .iter()
        .copied()
        .filter(|entry| entry.zip_code_type == wanted)
        .collect();
    let candidates = if fitting.is_empty() {
        zips.to_vec()
    } else {
        fitting
    };
    let position = stable_hash(0, &line.primary_line()) % candidates.len() as u64;
    candidates[position as usize]
}

/// Checks that military lines go to military states (AA, AE, AP) and only there.
pub(super) fn check_delivery_kind(
    line: &StreetLine,
    entry: &Zipcode,
    status: StatusCode,
) -> Result<(), Rejection> {
    let military_state = MILITARY_STATES.contains(&entry.state.as_str());
    let military_line = matches!(line.kind, LineKind::Military { .. });
    if military_state == military_line {
        return Ok(());
    }
    let detail = if military_state {
        format!(
            "{} is a military state; write the line as PSC, UNIT or CMR n BOX n.",
            entry.state
        )
    } else {
        format!(
            "{} is a military line, but {} is not a military state (AA, AE or AP).",
            line.primary_line(),
            entry.state
        )
    };
    Err(failure(
        status,
        INVALID_DELIVERY,
        codes::INVALID_ADDRESS,
        "Invalid Address",
        detail,
        "streetAddress",
    ))
}
