//! Locations 3.0 (`/locations/v3`): Post Office locations, drop-off (destination entry)
//! locations and parcel lockers, with the spec's field names.
//!
//! The published USPS examples differ from spec 3.5.6 in two places, and both forms are
//! read: a Post Office's id arrives as `facilityId` where the spec says `facilityID`, and
//! times arrive as `08:00:00` where the spec shows `0800`. A drop-off location's
//! `facilityAddress` is flat in the examples, while the spec's schema nests it under
//! `address`. The sandbox writes the spec's names and the flat address.

use serde::{Deserialize, Serialize};

/// An address of a location (`DomesticAddress`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomesticAddress {
    #[serde(
        rename = "streetAddress",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub street_address: Option<String>,
    #[serde(
        rename = "secondaryAddress",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub secondary_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(rename = "ZIPCode", default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    #[serde(rename = "ZIPPlus4", default, skip_serializing_if = "Option::is_none")]
    pub zip_plus4: Option<String>,
    /// The spec's nesting of a drop-off location's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Box<DomesticAddress>>,
}

impl DomesticAddress {
    /// Formats the address on one line: `100 MAIN ST, SPRINGFIELD, IL 62701-9998`.
    pub fn one_line(&self) -> String {
        if let Some(nested) = &self.address {
            return nested.one_line();
        }
        let street = [&self.street_address, &self.secondary_address]
            .into_iter()
            .flatten()
            .filter(|part| !part.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let zip = match (&self.zip_code, &self.zip_plus4) {
            (Some(zip), Some(plus4)) if !plus4.is_empty() => format!("{zip}-{plus4}"),
            (Some(zip), _) => zip.clone(),
            _ => String::new(),
        };
        let state_zip = [self.state.clone().unwrap_or_default(), zip]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        [street, self.city.clone().unwrap_or_default(), state_zip]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One opening interval of a day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OpenInterval {
    #[serde(rename = "openTime", default, skip_serializing_if = "Option::is_none")]
    pub open_time: Option<String>,
    #[serde(rename = "closeTime", default, skip_serializing_if = "Option::is_none")]
    pub close_time: Option<String>,
}

/// The hours of one day of the week (`HoursOfOperation`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HoursOfOperation {
    #[serde(rename = "dayOfWeek", default)]
    pub day_of_week: String,
    #[serde(default)]
    pub times: Vec<OpenInterval>,
}

/// A service of a Post Office with its hours, such as `RETAIL` or `PO_BOX`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationService {
    #[serde(default)]
    pub service: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hours: Vec<HoursOfOperation>,
}

/// Latitude and longitude in degrees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GeoCoordinates {
    pub latitude: f64,
    pub longitude: f64,
}

/// Phone and fax numbers, digits only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhoneNumbers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
}

/// One Post Office of `GET /post-office-locations` (`PostOfficeLocation`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostOfficeLocation {
    #[serde(rename = "facilityName", default)]
    pub facility_name: String,
    #[serde(rename = "facilityAddress", default)]
    pub facility_address: DomesticAddress,
    #[serde(rename = "facilityID", alias = "facilityId", default)]
    pub facility_id: Option<String>,
    #[serde(
        rename = "geoCoordinates",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub geo_coordinates: Option<GeoCoordinates>,
    #[serde(
        rename = "postOfficeType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub post_office_type: Option<String>,
    /// Miles from the searched place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<f64>,
    #[serde(
        rename = "phoneNumbers",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_numbers: Option<PhoneNumbers>,
    #[serde(default)]
    pub services: Vec<LocationService>,
    #[serde(
        rename = "temporaryClosure",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub temporary_closure: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parking: Option<String>,
    #[serde(rename = "timeZone", default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(
        rename = "DSTObserved",
        alias = "dstObserved",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub dst_observed: Option<bool>,
}

/// Pagination of a list response (`PaginationMetadata`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PaginationMetadata {
    #[serde(rename = "totalCount")]
    pub total_count: u64,
    pub page: u64,
    #[serde(rename = "totalPages")]
    pub total_pages: u64,
    pub limit: u64,
    pub offset: u64,
}

/// A warning of a list response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationWarning {
    #[serde(rename = "warningCode", default)]
    pub warning_code: Option<String>,
    #[serde(rename = "warningDescription", default)]
    pub warning_description: Option<String>,
}

/// Body of a 200 of `GET /post-office-locations`: locations nearest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostOfficeLocationsResponse {
    #[serde(default)]
    pub locations: Vec<PostOfficeLocation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<LocationWarning>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<PaginationMetadata>,
}

/// A mail class, shape and pallet option accepted at a drop-off location.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AcceptedPackageType {
    #[serde(rename = "mailClass", default)]
    pub mail_class: String,
    #[serde(rename = "processingCategory", default)]
    pub processing_category: String,
    #[serde(default)]
    pub palletized: String,
}

/// One entry of the array that `GET /dropoff-locations` returns (`DropShipmentLocation`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DropShipmentLocation {
    #[serde(rename = "dropShipmentKey", default)]
    pub drop_shipment_key: Option<String>,
    #[serde(rename = "facilityName", default)]
    pub facility_name: String,
    #[serde(rename = "facilityAddress", default)]
    pub facility_address: DomesticAddress,
    #[serde(
        rename = "dropSitePhoneNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub drop_site_phone_number: Option<String>,
    #[serde(rename = "destinationZIPCode", default)]
    pub destination_zip_code: Option<String>,
    #[serde(rename = "destinationEntryFacilityType", default)]
    pub destination_entry_facility_type: Option<String>,
    #[serde(rename = "acceptedPackageTypes", default)]
    pub accepted_package_types: Vec<AcceptedPackageType>,
    #[serde(rename = "dropShipAcceptanceTimes", default)]
    pub drop_ship_acceptance_times: Vec<HoursOfOperation>,
    #[serde(rename = "timeZone", default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(
        rename = "DSTObserved",
        alias = "dstObserved",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub dst_observed: Option<bool>,
}

/// One entry of the array that `GET /parcel-locker-locations` returns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParcelLockerLocation {
    #[serde(rename = "facilityID", alias = "facilityId", default)]
    pub facility_id: Option<String>,
    #[serde(rename = "locationName", default)]
    pub location_name: String,
    #[serde(rename = "locationAddress", default)]
    pub location_address: DomesticAddress,
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(
        rename = "deliveryAddress",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub delivery_address: Option<DomesticAddress>,
    #[serde(
        rename = "lockerStatus",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub locker_status: Option<String>,
    #[serde(
        rename = "lockerOnline",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub locker_online: Option<bool>,
    #[serde(
        rename = "lockerSizeMaximumLength",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub locker_size_maximum_length: Option<f64>,
    #[serde(
        rename = "lockerSizeMaximumWidth",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub locker_size_maximum_width: Option<f64>,
    #[serde(
        rename = "lockerSizeMaximumHeight",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub locker_size_maximum_height: Option<f64>,
    #[serde(
        rename = "serviceDirectShip",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_direct_ship: Option<bool>,
    #[serde(
        rename = "serviceRedelivery",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_redelivery: Option<bool>,
    #[serde(
        rename = "servicePrepaidReturns",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_prepaid_returns: Option<bool>,
}

/// Formats opening hours compactly, joining days with equal hours:
/// `MON-FRI 08:30-17:00; SAT 09:00-12:00`. Days without times are left out.
pub fn describe_hours(days: &[HoursOfOperation]) -> String {
    const ORDER: &[&str] = &[
        "MONDAY",
        "TUESDAY",
        "WEDNESDAY",
        "THURSDAY",
        "FRIDAY",
        "SATURDAY",
        "SUNDAY",
    ];
    let mut by_day: Vec<(usize, String)> = days
        .iter()
        .filter_map(|day| {
            let index = ORDER.iter().position(|name| *name == day.day_of_week)?;
            let times = day
                .times
                .iter()
                .map(|interval| {
                    format!(
                        "{}-{}",
                        short_time(interval.open_time.as_deref()),
                        short_time(interval.close_time.as_deref())
                    )
                })
                .collect::<Vec<_>>()
                .join(",");
            (!times.is_empty()).then_some((index, times))
        })
        .collect();
    by_day.sort();

    let mut groups: Vec<(usize, usize, String)> = Vec::new();
    for (index, times) in by_day {
        match groups.last_mut() {
            Some((_, last, group_times)) if *last + 1 == index && *group_times == times => {
                *last = index;
            }
            _ => groups.push((index, index, times)),
        }
    }
    groups
        .into_iter()
        .map(|(first, last, times)| {
            let first_name = &ORDER[first][..3];
            if first == last {
                format!("{first_name} {times}")
            } else {
                format!("{first_name}-{} {times}", &ORDER[last][..3])
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Writes `0800` or `08:00:00` as `08:00`; an absent time as `?`.
fn short_time(time: Option<&str>) -> String {
    let Some(time) = time else {
        return "?".to_string();
    };
    let digits: String = time.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 4 {
        format!("{}:{}", &digits[..2], &digits[2..4])
    } else {
        time.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(name: &str, open: &str, close: &str) -> HoursOfOperation {
        HoursOfOperation {
            day_of_week: name.to_string(),
            times: vec![OpenInterval {
                open_time: Some(open.to_string()),
                close_time: Some(close.to_string()),
            }],
        }
    }

    #[test]
    fn hours_join_equal_days() {
        let mut days: Vec<HoursOfOperation> = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY"]
            .into_iter()
            .map(|name| day(name, "0830", "1700"))
            .collect();
        days.push(day("FRIDAY", "08:30:00", "17:00:00"));
        days.push(day("SATURDAY", "0900", "1200"));
        assert_eq!(
            describe_hours(&days),
            "MON-FRI 08:30-17:00; SAT 09:00-12:00"
        );
    }

    #[test]
    fn hours_keep_gaps_apart() {
        let days = vec![day("SUNDAY", "1000", "1400"), day("MONDAY", "0900", "1700")];
        assert_eq!(describe_hours(&days), "MON 09:00-17:00; SUN 10:00-14:00");
    }

    #[test]
    fn address_on_one_line() {
        let address = DomesticAddress {
            street_address: Some("5517 BROADWAY".into()),
            city: Some("BRONX".into()),
            state: Some("NY".into()),
            zip_code: Some("10463".into()),
            zip_plus4: Some("9998".into()),
            ..Default::default()
        };
        assert_eq!(address.one_line(), "5517 BROADWAY, BRONX, NY 10463-9998");
        let nested = DomesticAddress {
            address: Some(Box::new(address)),
            ..Default::default()
        };
        assert_eq!(nested.one_line(), "5517 BROADWAY, BRONX, NY 10463-9998");
    }

    #[test]
    fn reads_published_example_names() {
        let text = r#"{"locations":[{"facilityName":"KINGSBRIDGE","facilityAddress":{"streetAddress":"5517 BROADWAY","city":"BRONX","state":"NY","ZIPCode":"10463"},"facilityId":"1369089","distance":0.2,"dstObserved":false,"services":[]}]}"#;
        let response: PostOfficeLocationsResponse = serde_json::from_str(text).unwrap();
        let location = &response.locations[0];
        assert_eq!(location.facility_id.as_deref(), Some("1369089"));
        assert_eq!(location.distance, Some(0.2));
        assert_eq!(location.dst_observed, Some(false));
    }
}
