//! Kind `locations`: the nearest Post Offices, drop-off locations or parcel lockers of each
//! row's place, through Locations 3.0.
//!
//! The first `count` locations become four columns each (name, address, distance and
//! hours), and the whole response is kept for the `<job>.responses.jsonl` file, because a
//! location has more than columns can hold: services, phone numbers, coordinates and the
//! facility id that labels need.

use std::sync::LazyLock;

use super::{
    generic_error, push_normalized, unreadable_answer, Kind, Prepared, RowError, RowOutcome,
    RowStatus,
};
use crate::checks::{self, LocationQuery, RowIssue};
use crate::client::{Answer, ApiRequest, Method};
use crate::job::{JobKind, LocationSettings, LocationType};
use crate::manifest::{ColumnMap, FieldSpec, Record, LOCATIONS_FIELDS};
use crate::usps::error::parse_error;
use crate::usps::locations::{
    describe_hours, DropShipmentLocation, ParcelLockerLocation, PostOfficeLocationsResponse,
};
use crate::usps::paths;

/// Inventory code of a place that USPS cannot locate.
const NO_GEOCODE: &str = "160033";

/// Result columns for the maximum count: the number found, then name, address, distance
/// and hours of each location. A job uses the first `1 + 4 * count`.
static COLUMNS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut columns = vec!["usps_locations_found"];
    for index in 1..=LocationSettings::MAX_COUNT {
        for part in ["name", "address", "distance_miles", "hours"] {
            // Built once per process, so leaking the few names is bounded.
            columns.push(Box::leak(
                format!("usps_location{index}_{part}").into_boxed_str(),
            ));
        }
    }
    columns
});

pub struct LocationsKind {
    settings: LocationSettings,
}

/// One location reduced to its columns.
struct Summary {
    name: String,
    address: String,
    distance: Option<f64>,
    hours: String,
}

impl LocationsKind {
    pub fn new(settings: LocationSettings) -> LocationsKind {
        LocationsKind { settings }
    }

    fn path(&self) -> &'static str {
        match self.settings.location_type {
            LocationType::PostOffice => paths::POST_OFFICE_LOCATIONS,
            LocationType::Dropoff => paths::DROPOFF_LOCATIONS,
            LocationType::ParcelLocker => paths::PARCEL_LOCKER_LOCATIONS,
        }
    }

    /// Builds the query pairs: the place, then the count and radius the endpoint takes.
    fn query(&self, place: &LocationQuery) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        let dropoff = self.settings.location_type == LocationType::Dropoff;
        let mut push = |name, value: Option<&String>| push_normalized(&mut pairs, name, value);
        match place {
            LocationQuery::Address {
                street_address,
                secondary_address,
                city,
                state,
                urbanization,
                zip_code,
                zip_plus4,
            } => {
                push("streetAddress", Some(street_address));
                push("secondaryAddress", secondary_address.as_ref());
                push("city", city.as_ref());
                push("state", Some(state));
                push("urbanization", urbanization.as_ref());
                push("ZIPCode", zip_code.as_ref());
                push("ZIPPlus4", zip_plus4.as_ref());
            }
            LocationQuery::ZipCode {
                zip_code,
                zip_plus4,
            } if dropoff => {
                push("destinationZIPCode", Some(zip_code));
                push("destinationZIPPlus4", zip_plus4.as_ref());
            }
            LocationQuery::ZipCode { zip_code, .. } => push("ZIPCode", Some(zip_code)),
            LocationQuery::CityState { city, state } => {
                push("city", Some(city));
                push("state", Some(state));
            }
        }
        match self.settings.location_type {
            LocationType::PostOffice => {
                pairs.push(("radius", self.settings.radius.to_string()));
                pairs.push(("limit", self.settings.count.to_string()));
            }
            LocationType::ParcelLocker => pairs.push(("limit", self.settings.count.to_string())),
            // The drop-off search takes no limit, so its response is cut to `count` here.
            LocationType::Dropoff => {}
        }
        pairs
    }

    /// Reads the answer's locations, nearest first as USPS sends them.
    fn summaries(&self, body: &str) -> Result<Vec<Summary>, serde_json::Error> {
        Ok(match self.settings.location_type {
            LocationType::PostOffice => {
                let response: PostOfficeLocationsResponse = serde_json::from_str(body)?;
                response
                    .locations
                    .into_iter()
                    .map(|location| {
                        // Retail hours are the counter's; the lobby's stand in without them.
                        let hours = ["RETAIL", "LOBBY"]
                            .iter()
                            .find_map(|name| {
                                location
                                    .services
                                    .iter()
                                    .find(|service| service.service == *name)
                            })
                            .map(|service| describe_hours(&service.hours))
                            .unwrap_or_default();
                        Summary {
                            name: location.facility_name,
                            address: location.facility_address.one_line(),
                            distance: location.distance,
                            hours,
                        }
                    })
                    .collect()
            }
            LocationType::Dropoff => {
                let response: Vec<DropShipmentLocation> = serde_json::from_str(body)?;
                response
                    .into_iter()
                    .map(|location| Summary {
                        name: location.facility_name,
                        address: location.facility_address.one_line(),
                        distance: None,
                        hours: describe_hours(&location.drop_ship_acceptance_times),
                    })
                    .collect()
            }
            LocationType::ParcelLocker => {
                let response: Vec<ParcelLockerLocation> = serde_json::from_str(body)?;
                response
                    .into_iter()
                    .map(|locker| Summary {
                        name: locker.location_name,
                        address: locker.location_address.one_line(),
                        distance: None,
                        // The Locations spec gives lockers no hours.
                        hours: String::new(),
                    })
                    .collect()
            }
        })
    }
}

impl Kind for LocationsKind {
    fn job_kind(&self) -> JobKind {
        JobKind::Locations
    }

    fn fields(&self) -> &'static [FieldSpec] {
        LOCATIONS_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        &COLUMNS[..1 + 4 * self.settings.count as usize]
    }

    fn writes_responses(&self) -> bool {
        true
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let prepared = checks::prepare_location(record, columns, self.settings.location_type)?;
        Ok(Prepared {
            request: ApiRequest {
                api: "locations",
                method: Method::Get,
                path: self.path(),
                path_filled: None,
                query: self.query(&prepared.query),
                headers: Vec::new(),
                body: None,
                file_stem: None,
            },
            notes: prepared.notes,
        })
    }

    fn interpret(&self, request: &ApiRequest, answer: &Answer) -> RowOutcome {
        match answer.status {
            200..=299 => {
                let summaries = match self.summaries(&answer.body) {
                    Ok(summaries) => summaries,
                    Err(error) => return unreadable_answer(answer, &error),
                };
                let response = serde_json::from_str(&answer.body).ok();
                let count = self.settings.count as usize;
                let mut outcome = if summaries.is_empty() {
                    RowOutcome::failure(
                        RowStatus::NotFound,
                        RowError {
                            code: "no_locations".into(),
                            usps_code: None,
                            field: None,
                            message: self.none_found_message(request),
                            retryable: false,
                            http_status: Some(answer.status),
                            raw: None,
                        },
                    )
                } else {
                    let mut values = vec![summaries.len().min(count).to_string()];
                    for summary in summaries.into_iter().take(count) {
                        values.push(summary.name);
                        values.push(summary.address);
                        values.push(
                            summary
                                .distance
                                .map(|miles| miles.to_string())
                                .unwrap_or_default(),
                        );
                        values.push(summary.hours);
                    }
                    RowOutcome::success(RowStatus::Ok, values)
                };
                outcome.response = response;
                outcome
            }
            400 if parse_error(400, &answer.body).code == NO_GEOCODE => {
                generic_error(answer, RowStatus::NotFound, "place_not_found")
            }
            400 => generic_error(answer, RowStatus::InvalidInput, "invalid_request"),
            _ => generic_error(answer, RowStatus::Error, "unexpected_status"),
        }
    }
}

impl LocationsKind {
    fn none_found_message(&self, request: &ApiRequest) -> String {
        let place = request
            .query
            .iter()
            .filter(|(name, _)| !matches!(*name, "radius" | "limit"))
            .map(|(_, value)| value.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        match self.settings.location_type {
            LocationType::PostOffice => format!(
                "no Post Office within {} miles of {place}; raise radius in [locations] to search farther",
                self.settings.radius
            ),
            LocationType::Dropoff => format!(
                "no drop-off location serves ZIP Code {place}; check the ZIP Code against USPS records"
            ),
            LocationType::ParcelLocker => format!(
                "no parcel locker in {place}; search by city and state to include the city's other ZIP Codes, or use type \"post-office\""
            ),
        }
    }
}
