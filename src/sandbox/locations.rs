//! Locations 3.0: `GET /post-office-locations`, `GET /dropoff-locations` and
//! `GET /parcel-locker-locations`, served from the ZIP Code directory.
//!
//! The sandbox has no facility data, so it derives one Post Office from each active
//! `STANDARD` or `PO BOX` ZIP Code of the directory, placed at the ZIP Code's coordinates.
//! Every derived value is a function of the ZIP Code, so a test can predict it; the rules
//! are listed in `docs/sandbox.md`. Distances are great-circle miles from the searched
//! place, which is the searched ZIP Code's coordinates, the first ZIP Code of the searched
//! city, or the given latitude and longitude.

use axum::http::StatusCode;
use zipcodes::Zipcode;

use crate::usps::is_state_code;
use crate::usps::locations::{
    AcceptedPackageType, DomesticAddress, DropShipmentLocation, GeoCoordinates, HoursOfOperation,
    LocationService, OpenInterval, PaginationMetadata, ParcelLockerLocation, PhoneNumbers,
    PostOfficeLocation, PostOfficeLocationsResponse,
};

use super::directory::{directory, preferred_city};
use super::params::{value, Pairs};
use super::rejection::{Problem, Rejection};

/// `apiVersion` of Locations error bodies.
pub(crate) const API_VERSION: &str = "/locations/v3";

/// Message error codes of the Locations API in the USPS error inventory (2025-10).
mod codes {
    pub const NO_GEOCODE: &str = "160033";
    pub const INVALID_MAIL_CLASS: &str = "160036";
    pub const INVALID_FACILITY_TYPE: &str = "160038";
    pub const MISSING_PLACE: &str = "160171";
    pub const SEVERAL_PLACES: &str = "160230";
}

const MISSING_PLACE: &str =
    "one of a complete domestic address, city & state, ZIPCode, or LAT & LONG is required";
const SEVERAL_PLACES: &str =
    "only one of a complete domestic address, city & state, ZIPCode, or LAT & LONG is required";
const NO_GEOCODE: &str = "No geocode candidates found for requested address";

/// Default and maximum `radius` of the spec, in miles.
const DEFAULT_RADIUS: u32 = 20;
const MAX_RADIUS: u32 = 100;
/// Default `limit` of `/post-office-locations` and `/parcel-locker-locations` in the spec.
const DEFAULT_LIMIT: u64 = 20;
const DEFAULT_LOCKER_LIMIT: u64 = 30;
const MAX_LIMIT: u64 = 100;
/// `ZIPPlus4` of every derived Post Office, as USPS writes for its own facilities.
const FACILITY_PLUS4: &str = "9998";

const DROPOFF_MAIL_CLASSES: &[&str] = &[
    "PARCEL_SELECT",
    "PARCEL_SELECT_LIGHTWEIGHT",
    "USPS_CONNECT_LOCAL",
    "USPS_CONNECT_MAIL",
    "USPS_CONNECT_REGIONAL",
    "LIBRARY_MAIL",
    "MEDIA_MAIL",
    "BOUND_PRINTED_MATTER",
];
const DDU: &str = "DESTINATION_DELIVERY_UNIT";
const SCF: &str = "DESTINATION_SECTIONAL_CENTER_FACILITY";
const FACILITY_TYPES: &[&str] = &[
    "DESTINATION_NETWORK_DISTRIBUTION_CENTER",
    SCF,
    "DESTINATION_SERVICE_HUB",
    DDU,
    "DESTINATION_REGIONAL_PROCESSING_DISTRIBUTION_CENTER",
];

/// Builds the response of `GET /post-office-locations`.
pub(crate) fn post_offices(pairs: &Pairs) -> Result<PostOfficeLocationsResponse, Rejection> {
    let radius = read_number(pairs, "radius", 1, u64::from(MAX_RADIUS), "20")?
        .unwrap_or(u64::from(DEFAULT_RADIUS)) as f64;
    let limit = read_number(pairs, "limit", 1, MAX_LIMIT, "20")?.unwrap_or(DEFAULT_LIMIT);
    let offset = read_number(pairs, "offset", 0, u64::MAX, "0")?.unwrap_or(0);
    let center = search_center(pairs)?;

    let mut found: Vec<(f64, &'static Zipcode)> = directory()
        .entries()
        .filter(|entry| has_post_office(entry))
        .filter_map(|entry| {
            let point = coordinates(entry)?;
            let miles = zipcodes::haversine(center.1, center.0, point.1, point.0);
            (miles <= radius).then_some((miles, entry))
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.zip_code.cmp(&b.1.zip_code)));

    let total = found.len() as u64;
    let locations = found
        .into_iter()
        .skip(offset.min(total) as usize)
        .take(limit as usize)
        .map(|(miles, entry)| post_office(entry, miles))
        .collect();
    Ok(PostOfficeLocationsResponse {
        locations,
        warnings: Vec::new(),
        metadata: Some(PaginationMetadata {
            total_count: total,
            page: offset / limit + 1,
            total_pages: total.div_ceil(limit),
            limit,
            offset,
        }),
    })
}

/// Builds the response of `GET /dropoff-locations`: the destination ZIP Code's own Post Office as its
/// delivery unit, and its sectional center, the first Post Office of its three-digit
/// prefix. An unknown ZIP Code gets an empty list, as the spec describes for no match.
pub(crate) fn dropoff_locations(pairs: &Pairs) -> Result<Vec<DropShipmentLocation>, Rejection> {
    let zip = value(pairs, "destinationZIPCode");
    let Some(zip) = zip.filter(|zip| is_zip5(zip)) else {
        return Err(bad_request(
            None,
            "Invalid destinationZIPCode",
            "destinationZIPCode is required and has exactly 5 digits.".to_string(),
            ("destinationZIPCode", "20260"),
        ));
    };
    let mail_class = value(pairs, "mailClass");
    if let Some(class) = &mail_class {
        if !DROPOFF_MAIL_CLASSES.contains(&class.as_str()) {
            return Err(bad_request(
                Some(codes::INVALID_MAIL_CLASS),
                "Invalid mailClass",
                format!(
                    "mailClass {class:?} is not supported; use one of {DROPOFF_MAIL_CLASSES:?}."
                ),
                ("mailClass", "PARCEL_SELECT"),
            ));
        }
    }
    let facility_type = value(pairs, "destinationEntryFacilityType");
    if let Some(kind) = &facility_type {
        if !FACILITY_TYPES.contains(&kind.as_str()) {
            return Err(bad_request(
                Some(codes::INVALID_FACILITY_TYPE),
                "Invalid destinationEntryFacilityType",
                format!("destinationEntryFacilityType {kind:?} is not supported."),
                ("destinationEntryFacilityType", DDU),
            ));
        }
    }

    let Some(entry) = directory().zip(&zip).filter(|entry| has_post_office(entry)) else {
        return Ok(Vec::new());
    };
    let sectional = directory()
        .entries()
        .filter(|other| other.zip_code[..3] == zip[..3] && has_post_office(other))
        .min_by(|a, b| a.zip_code.cmp(&b.zip_code))
        .unwrap_or(entry);
    let facilities = [
        dropoff_facility(entry, &zip, DDU),
        dropoff_facility(sectional, &zip, SCF),
    ];
    Ok(facilities
        .into_iter()
        .filter(|facility| {
            facility_type.as_deref().is_none_or(|kind| {
                facility.destination_entry_facility_type.as_deref() == Some(kind)
            })
        })
        .filter(|facility| {
            mail_class.as_deref().is_none_or(|class| {
                facility
                    .accepted_package_types
                    .iter()
                    .any(|accepted| accepted.mail_class == class)
            })
        })
        .collect())
}

/// Builds the response of `GET /parcel-locker-locations`: a locker is at the Post Office of
/// every `STANDARD` ZIP Code whose last digit is even. `city` and `state` go together; with a
/// `ZIPCode` too, only lockers of that ZIP Code in that city count.
pub(crate) fn parcel_lockers(pairs: &Pairs) -> Result<Vec<ParcelLockerLocation>, Rejection> {
    let limit = read_number(pairs, "limit", 1, MAX_LIMIT, "30")?.unwrap_or(DEFAULT_LOCKER_LIMIT);
    let offset = read_number(pairs, "offset", 0, 500, "0")?.unwrap_or(0);
    let city = value(pairs, "city");
    let state = value(pairs, "state");
    let zip = value(pairs, "ZIPCode");
    if city.is_some() != state.is_some() {
        return Err(bad_request(
            None,
            "Invalid city and state",
            "city and state must be given together.".to_string(),
            ("state", "IA"),
        ));
    }
    if let Some(state) = &state {
        check_state(state)?;
    }
    if let Some(zip) = &zip {
        check_zip(zip)?;
    }
    let candidates: Vec<&'static Zipcode> = match (&city, &state, &zip) {
        (Some(city), Some(state), _) => directory()
            .find_city(state, city)
            .map(<[_]>::to_vec)
            .unwrap_or_default(),
        (_, _, Some(zip)) => directory().zip(zip).into_iter().collect(),
        _ => {
            return Err(bad_request(
                None,
                "Missing search criteria",
                "city and state, or ZIPCode, is required.".to_string(),
                ("ZIPCode", "50131"),
            ))
        }
    };
    Ok(candidates
        .into_iter()
        .filter(|entry| zip.as_ref().is_none_or(|zip| entry.zip_code == *zip))
        .filter(|entry| has_locker(entry))
        .skip(offset as usize)
        .take(limit as usize)
        .map(locker)
        .collect())
}

/// Returns the searched place as latitude and longitude, after checking that the query
/// names exactly one of the spec's four forms.
fn search_center(pairs: &Pairs) -> Result<(f64, f64), Rejection> {
    let street = value(pairs, "streetAddress");
    let city = value(pairs, "city");
    let state = value(pairs, "state");
    let zip = value(pairs, "ZIPCode");
    let latitude = value(pairs, "LAT");
    let longitude = value(pairs, "LONG");
    if let Some(state) = &state {
        check_state(state)?;
    }
    if let Some(zip) = &zip {
        check_zip(zip)?;
    }

    // A street address carries its own city, state and ZIP Code; otherwise each of the
    // other three forms counts on its own.
    let forms = if street.is_some() {
        let complete = state.is_some() && (city.is_some() || zip.is_some());
        if !complete {
            return Err(place_error(codes::MISSING_PLACE, MISSING_PLACE));
        }
        1 + usize::from(latitude.is_some() || longitude.is_some())
    } else {
        if city.is_some() != state.is_some() || latitude.is_some() != longitude.is_some() {
            return Err(place_error(codes::MISSING_PLACE, MISSING_PLACE));
        }
        usize::from(city.is_some()) + usize::from(zip.is_some()) + usize::from(latitude.is_some())
    };
    match forms {
        0 => return Err(place_error(codes::MISSING_PLACE, MISSING_PLACE)),
        1 => {}
        _ => return Err(place_error(codes::SEVERAL_PLACES, SEVERAL_PLACES)),
    }

    if let (Some(latitude), Some(longitude)) = (&latitude, &longitude) {
        let parse = |text: &str, name: &'static str, max: f64| {
            text.parse::<f64>()
                .ok()
                .filter(|number| number.abs() <= max)
                .ok_or_else(|| {
                    bad_request(
                        None,
                        "Invalid coordinates",
                        format!("{name} {text:?} is not a number of degrees from -{max} to {max}."),
                        (name, "38.8951"),
                    )
                })
        };
        return Ok((
            parse(latitude, "LAT", 90.0)?,
            parse(longitude, "LONG", 180.0)?,
        ));
    }
    let entry = match (&zip, &city, &state) {
        (Some(zip), _, _) => directory().zip(zip),
        (None, Some(city), Some(state)) => directory().find_city(state, city).and_then(|zips| {
            zips.iter()
                .copied()
                .find(|entry| coordinates(entry).is_some())
        }),
        _ => None,
    };
    entry
        .and_then(coordinates)
        .ok_or_else(|| place_error(codes::NO_GEOCODE, NO_GEOCODE))
}

/// Returns the latitude and longitude of a ZIP Code; military ZIP Codes have none (the
/// directory places them at 0,0).
fn coordinates(entry: &Zipcode) -> Option<(f64, f64)> {
    let point: (f64, f64) = (entry.lat.parse().ok()?, entry.long.parse().ok()?);
    (point != (0.0, 0.0)).then_some(point)
}

fn has_post_office(entry: &Zipcode) -> bool {
    matches!(entry.zip_code_type.as_str(), "STANDARD" | "PO BOX") && coordinates(entry).is_some()
}

fn has_locker(entry: &Zipcode) -> bool {
    entry.zip_code_type == "STANDARD"
        && coordinates(entry).is_some()
        && entry.zip_code.ends_with(['0', '2', '4', '6', '8'])
}

fn zip_number(entry: &Zipcode) -> u64 {
    entry.zip_code.parse().unwrap_or(0)
}

/// Returns the name of the Post Office of `entry`: the city's name for the city's first ZIP
/// Code, else the city's name with `STATION` and the ZIP Code.
fn facility_name(entry: &Zipcode) -> String {
    let city = preferred_city(entry);
    let first = directory()
        .find_city(&entry.state, &entry.city)
        .and_then(|zips| zips.iter().find(|zip| has_post_office(zip)))
        .map(|zip| zip.zip_code == entry.zip_code)
        .unwrap_or(true);
    if first {
        city
    } else {
        format!("{city} STATION {}", entry.zip_code)
    }
}

fn facility_address(entry: &Zipcode) -> DomesticAddress {
    DomesticAddress {
        street_address: Some(format!("{} MAIN ST", 100 + zip_number(entry) % 900)),
        city: Some(preferred_city(entry)),
        state: Some(entry.state.clone()),
        zip_code: Some(entry.zip_code.clone()),
        zip_plus4: Some(FACILITY_PLUS4.to_string()),
        ..Default::default()
    }
}

/// Builds the phone number from the ZIP Code's first area code: `<area code>555<last four
/// digits of the ZIP Code>`, or area code 800 when the directory has none.
fn phone(entry: &Zipcode) -> String {
    let area = entry
        .area_codes
        .first()
        .filter(|code| code.len() == 3)
        .map(String::as_str)
        .unwrap_or("800");
    format!("{area}555{}", &entry.zip_code[1..])
}

/// Builds the retail hours: Monday to Friday 08:30 to 17:00 for an even ZIP Code and 09:00
/// to 18:00 for an odd one, Saturday 09:00 to 12:00 when the last digit is below 5, and
/// closed on Sunday.
fn retail_hours(entry: &Zipcode) -> Vec<HoursOfOperation> {
    let number = zip_number(entry);
    let (open, close) = if number.is_multiple_of(2) {
        ("0830", "1700")
    } else {
        ("0900", "1800")
    };
    let mut days: Vec<HoursOfOperation> = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
        .into_iter()
        .map(|day| hours(day, open, close))
        .collect();
    if number % 10 < 5 {
        days.push(hours("SATURDAY", "0900", "1200"));
    }
    days
}

fn hours(day: &str, open: &str, close: &str) -> HoursOfOperation {
    HoursOfOperation {
        day_of_week: day.to_string(),
        times: vec![OpenInterval {
            open_time: Some(open.to_string()),
            close_time: Some(close.to_string()),
        }],
    }
}

/// Reports whether the ZIP Code's state keeps daylight saving time: Arizona, Hawaii and the
/// territories do not.
fn observes_dst(entry: &Zipcode) -> bool {
    !matches!(
        entry.state.as_str(),
        "AZ" | "HI" | "PR" | "VI" | "GU" | "AS" | "MP" | "FM" | "MH" | "PW"
    )
}

fn post_office(entry: &'static Zipcode, miles: f64) -> PostOfficeLocation {
    let (latitude, longitude) = coordinates(entry).unwrap_or_default();
    let mut services = vec![LocationService {
        service: "RETAIL".to_string(),
        hours: retail_hours(entry),
    }];
    if entry.zip_code_type == "PO BOX" {
        services.push(LocationService {
            service: "PO_BOX".to_string(),
            hours: Vec::new(),
        });
    }
    PostOfficeLocation {
        facility_name: facility_name(entry),
        facility_address: facility_address(entry),
        facility_id: Some(format!("13{}", entry.zip_code)),
        geo_coordinates: Some(GeoCoordinates {
            latitude,
            longitude,
        }),
        post_office_type: Some("POST_OFFICE".to_string()),
        distance: Some((miles * 100.0).round() / 100.0),
        phone_numbers: Some(PhoneNumbers {
            phone: Some(phone(entry)),
            fax: None,
        }),
        services,
        temporary_closure: Some(false),
        parking: Some("LOT".to_string()),
        time_zone: Some(entry.timezone.clone()),
        dst_observed: Some(observes_dst(entry)),
    }
}

fn dropoff_facility(
    entry: &'static Zipcode,
    destination: &str,
    kind: &str,
) -> DropShipmentLocation {
    let (name, classes, acceptance) = if kind == DDU {
        (
            facility_name(entry),
            &["PARCEL_SELECT", "PARCEL_SELECT_LIGHTWEIGHT"][..],
            ("0500", "1500"),
        )
    } else {
        (
            format!("{} {} SCF", preferred_city(entry), entry.state),
            &[
                "PARCEL_SELECT",
                "BOUND_PRINTED_MATTER",
                "LIBRARY_MAIL",
                "MEDIA_MAIL",
            ][..],
            ("0800", "2000"),
        )
    };
    let accepted_package_types = classes
        .iter()
        .flat_map(|class| {
            ["MACHINABLE", "NONSTANDARD"].map(|category| AcceptedPackageType {
                mail_class: class.to_string(),
                processing_category: category.to_string(),
                palletized: "BOTH".to_string(),
            })
        })
        .collect();
    let prefix = if kind == DDU { "DU" } else { "SC" };
    DropShipmentLocation {
        drop_shipment_key: Some(format!("{prefix}{}", entry.zip_code)),
        facility_name: name,
        facility_address: facility_address(entry),
        drop_site_phone_number: Some(phone(entry)),
        destination_zip_code: Some(destination.to_string()),
        destination_entry_facility_type: Some(kind.to_string()),
        accepted_package_types,
        drop_ship_acceptance_times: ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
            .into_iter()
            .map(|day| hours(day, acceptance.0, acceptance.1))
            .collect(),
        time_zone: Some(entry.timezone.clone()),
        dst_observed: Some(observes_dst(entry)),
    }
}

fn locker(entry: &'static Zipcode) -> ParcelLockerLocation {
    let (latitude, longitude) = coordinates(entry).unwrap_or_default();
    let address = facility_address(entry);
    ParcelLockerLocation {
        facility_id: Some(format!("14{}", entry.zip_code)),
        location_name: format!("{} PARCEL LOCKER", facility_name(entry)),
        delivery_address: Some(DomesticAddress {
            secondary_address: Some("LOCKER".to_string()),
            ..address.clone()
        }),
        location_address: address,
        latitude: Some(latitude),
        longitude: Some(longitude),
        locker_status: Some("OPERATIONAL".to_string()),
        locker_online: Some(true),
        locker_size_maximum_length: Some(24.0),
        locker_size_maximum_width: Some(18.0),
        locker_size_maximum_height: Some(16.0),
        service_direct_ship: Some(true),
        service_redelivery: Some(true),
        service_prepaid_returns: Some(true),
    }
}

fn is_zip5(text: &str) -> bool {
    text.len() == 5 && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn check_zip(zip: &str) -> Result<(), Rejection> {
    if is_zip5(zip) {
        return Ok(());
    }
    Err(bad_request(
        None,
        "Invalid ZIPCode",
        format!("ZIPCode {zip:?} is not 5 digits."),
        ("ZIPCode", "20260"),
    ))
}

fn check_state(state: &str) -> Result<(), Rejection> {
    if is_state_code(state) {
        return Ok(());
    }
    Err(bad_request(
        None,
        "Invalid state",
        format!("state {state:?} is not a two-letter state code of the spec."),
        ("state", "DC"),
    ))
}

/// Reads an optional integer parameter within `min..=max`.
fn read_number(
    pairs: &Pairs,
    name: &'static str,
    min: u64,
    max: u64,
    example: &'static str,
) -> Result<Option<u64>, Rejection> {
    let Some(text) = value(pairs, name) else {
        return Ok(None);
    };
    match text.parse::<u64>() {
        Ok(number) if (min..=max).contains(&number) => Ok(Some(number)),
        _ => Err(bad_request(
            None,
            "Invalid parameter",
            format!("{name} {text:?} is not a whole number from {min} to {max}."),
            (name, example),
        )),
    }
}

fn place_error(code: &'static str, message: &'static str) -> Rejection {
    let mut rejection = Rejection::single(
        StatusCode::BAD_REQUEST,
        message,
        Problem {
            code: Some(code),
            title: "BAD_REQUEST",
            detail: message.to_string(),
            source: None,
        },
    );
    rejection.body.api_version = Some(API_VERSION.to_string());
    rejection
}

fn bad_request(
    code: Option<&'static str>,
    title: &'static str,
    detail: String,
    source: (&'static str, &'static str),
) -> Rejection {
    let mut rejection = Rejection::single(
        StatusCode::BAD_REQUEST,
        &format!("{title}."),
        Problem {
            code,
            title,
            detail,
            source: Some(source),
        },
    );
    rejection.body.api_version = Some(API_VERSION.to_string());
    rejection
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn nearest_office_is_the_zip_itself() {
        let response = post_offices(&pairs(&[("ZIPCode", "62701"), ("limit", "3")])).unwrap();
        let first = &response.locations[0];
        assert_eq!(first.facility_name, "SPRINGFIELD");
        assert_eq!(first.distance, Some(0.0));
        assert_eq!(first.facility_id.as_deref(), Some("1362701"));
        assert_eq!(
            first.facility_address.one_line(),
            "701 MAIN ST, SPRINGFIELD, IL 62701-9998"
        );
        assert_eq!(response.locations.len(), 3);
        assert!(response
            .locations
            .windows(2)
            .all(|pair| pair[0].distance <= pair[1].distance));
    }

    #[test]
    fn radius_limits_the_list() {
        let near = post_offices(&pairs(&[("ZIPCode", "62701"), ("radius", "1")])).unwrap();
        assert!(near
            .locations
            .iter()
            .all(|location| location.distance.unwrap() <= 1.0));
        let wide = post_offices(&pairs(&[("ZIPCode", "62701"), ("radius", "30")])).unwrap();
        let (near_total, wide_total) = (
            near.metadata.unwrap().total_count,
            wide.metadata.unwrap().total_count,
        );
        assert!(near_total < wide_total, "{near_total} < {wide_total}");
    }

    #[test]
    fn exactly_one_place_form() {
        let none = post_offices(&pairs(&[("radius", "5")])).unwrap_err();
        assert_eq!(none.body.error.errors[0].code.as_deref(), Some("160171"));
        let two = post_offices(&pairs(&[
            ("ZIPCode", "62701"),
            ("city", "X"),
            ("state", "IL"),
        ]))
        .unwrap_err();
        assert_eq!(two.body.error.errors[0].code.as_deref(), Some("160230"));
        let unknown = post_offices(&pairs(&[("ZIPCode", "00000")])).unwrap_err();
        assert_eq!(unknown.body.error.errors[0].code.as_deref(), Some("160033"));
        let radius = post_offices(&pairs(&[("ZIPCode", "62701"), ("radius", "101")])).unwrap_err();
        assert_eq!(radius.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn dropoff_has_delivery_unit_and_center() {
        let found = dropoff_locations(&pairs(&[("destinationZIPCode", "62704")])).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0].destination_entry_facility_type.as_deref(),
            Some(DDU)
        );
        assert_eq!(
            found[1].destination_entry_facility_type.as_deref(),
            Some(SCF)
        );
        let media = dropoff_locations(&pairs(&[
            ("destinationZIPCode", "62704"),
            ("mailClass", "MEDIA_MAIL"),
        ]))
        .unwrap();
        assert_eq!(media.len(), 1);
        assert!(
            dropoff_locations(&pairs(&[("destinationZIPCode", "00000")]))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn lockers_at_even_standard_zips() {
        let found = parcel_lockers(&pairs(&[("city", "Springfield"), ("state", "IL")])).unwrap();
        assert!(!found.is_empty());
        assert!(found.iter().all(|locker| locker
            .location_address
            .zip_code
            .as_deref()
            .is_some_and(|zip| zip.ends_with(['0', '2', '4', '6', '8']))));
        let error = parcel_lockers(&pairs(&[("city", "Springfield")])).unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
    }
}
