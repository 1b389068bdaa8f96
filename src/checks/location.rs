//! Checks of a locations row: which place it searches from, in the one form of the Locations
//! 3.0 query that its search type takes.

use super::{
    clean_optional, prepare_address, prepare_zip, state, Input, Prepared, RowIssue, CITY_MAX,
};
use crate::job::LocationType;
use crate::manifest::{ColumnMap, Record};

/// The place a row searches from. Post Office searches take exactly one of these forms, so
/// a row with a street sends the street form only, and one with a ZIP Code the ZIP Code only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationQuery {
    /// A complete street address: street, state, and a city or a ZIP Code.
    Address {
        street_address: String,
        secondary_address: Option<String>,
        city: Option<String>,
        state: String,
        urbanization: Option<String>,
        zip_code: Option<String>,
        zip_plus4: Option<String>,
    },
    /// A ZIP Code, with the ZIP+4 when the row has one.
    ZipCode {
        zip_code: String,
        zip_plus4: Option<String>,
    },
    /// A city and its state.
    CityState { city: String, state: String },
}

/// Checks a record for a search of `location_type`. Post offices search from a street
/// address, else a ZIP Code, else a city and state. Parcel lockers search from a ZIP Code,
/// else a city and state, and drop-off locations from a ZIP Code only.
pub fn prepare_location(
    record: &Record,
    columns: &ColumnMap,
    location_type: LocationType,
) -> Result<Prepared<LocationQuery>, RowIssue> {
    let street = Input::read(record, columns, "streetAddress");
    if location_type == LocationType::PostOffice && street.value.is_some() {
        let prepared = prepare_address(record, columns)?;
        let query = prepared.query;
        return Ok(Prepared {
            query: LocationQuery::Address {
                street_address: query.street_address,
                secondary_address: query.secondary_address,
                city: query.city,
                state: query.state,
                urbanization: query.urbanization,
                zip_code: query.zip_code,
                zip_plus4: query.zip_plus4,
            },
            notes: prepared.notes,
        });
    }

    let mut notes = Vec::new();
    let state_input = Input::read(record, columns, "state");
    let state = match state_input.value {
        Some(_) => Some(state::prepare_state(&state_input, &mut notes)?),
        None => None,
    };
    let zip_input = Input::read(record, columns, "ZIPCode");
    let plus4_input = Input::read(record, columns, "ZIPPlus4");
    let (zip, plus4) = prepare_zip(&zip_input, &plus4_input, state.as_deref(), &mut notes)?;
    if let Some(zip_code) = zip {
        return Ok(Prepared {
            query: LocationQuery::ZipCode {
                zip_code,
                zip_plus4: plus4,
            },
            notes,
        });
    }

    let city_input = Input::read(record, columns, "city");
    let city = clean_optional(&city_input, CITY_MAX, "city_too_long", &mut notes)?;
    match (city, state, location_type) {
        (Some(city), Some(state), LocationType::PostOffice | LocationType::ParcelLocker) => {
            Ok(Prepared {
                query: LocationQuery::CityState { city, state },
                notes,
            })
        }
        (_, _, LocationType::Dropoff) => Err(zip_input.issue(
            "missing_zip",
            "is empty, and a drop-off location search needs the destination ZIP Code: fill \
             it in and rerun"
                .to_owned(),
        )),
        (Some(_), None, _) => Err(state_input.issue(
            "missing_state",
            "is empty, and a search by city needs its state: fill it in and rerun".to_owned(),
        )),
        (None, Some(_), _) => Err(city_input.issue(
            "missing_city",
            "is empty, and a search by state needs its city, or a ZIP Code instead: fill \
             either in and rerun"
                .to_owned(),
        )),
        (None, None, _) => Err(missing_place(&zip_input, location_type)),
    }
}

fn missing_place(zip: &Input, location_type: LocationType) -> RowIssue {
    let forms = match location_type {
        LocationType::PostOffice => "a ZIP Code, a city and state, or a street address",
        _ => "a ZIP Code, or a city and state",
    };
    RowIssue {
        code: "missing_place",
        field: Some("ZIPCode"),
        column: zip.column.map(str::to_owned),
        value: None,
        message: format!(
            "the row has no place to search from: a {} search needs {forms}; fill them in \
             and rerun",
            location_type.name()
        ),
    }
}
