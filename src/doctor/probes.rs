//! The cheapest request of each API, sent by `doctor` to learn whether the application has
//! access to it, and the names USPS gives the APIs' products.

use serde_json::json;

use crate::client::{ApiRequest, Method};
use crate::job::LocationType;
use crate::usps::paths;

/// The APIs of the default "Public Access I" product that usps-batch calls, checked when
/// `doctor` runs without a job file.
pub const DEFAULT_APIS: &[&str] = &[
    "addresses",
    "prices",
    "international-prices",
    "service-standards",
    "shipments",
    "locations",
];

/// ZIP Codes of the test requests: Springfield, Illinois and New York. Any valid pair would
/// do; a 400 would show access as well as a 200.
const ORIGIN_ZIP: &str = "62701";
const DESTINATION_ZIP: &str = "10001";

/// Returns the name of the API in the USPS developer portal, such as "Domestic Prices".
pub fn product_name(api: &str) -> &str {
    match api {
        "addresses" => "Addresses",
        "prices" => "Domestic Prices",
        "international-prices" => "International Prices",
        "service-standards" => "Service Standards",
        "shipments" => "Shipping Options",
        "locations" => "Locations",
        "tracking" => "Tracking",
        "labels" => "Domestic Labels",
        "payments" => "Payments",
        other => other,
    }
}

/// Reports whether the API comes with the default "Public Access I" product of a new
/// application; the others need a service request.
pub fn in_public_access(api: &str) -> bool {
    DEFAULT_APIS.contains(&api)
}

/// Builds the one request that tests access to `api`, or `None` for an API that
/// usps-batch does not call. A locations job tests the endpoint it searches, because
/// parcel lockers have their own scope.
pub fn probe(api: &str, location_type: Option<LocationType>) -> Option<ApiRequest> {
    let get =
        |api: &'static str, path: &'static str, query: Vec<(&'static str, String)>| ApiRequest {
            api,
            method: Method::Get,
            path,
            path_filled: None,
            query,
            headers: Vec::new(),
            body: None,
            file_stem: None,
        };
    let post = |api: &'static str, path: &'static str, body: serde_json::Value| ApiRequest {
        api,
        method: Method::Post,
        path,
        path_filled: None,
        query: Vec::new(),
        headers: Vec::new(),
        body: Some(body),
        file_stem: None,
    };
    let request = match api {
        "addresses" => get(
            "addresses",
            paths::CITY_STATE,
            vec![("ZIPCode", ORIGIN_ZIP.to_string())],
        ),
        "prices" => post(
            "prices",
            paths::BASE_RATES,
            json!({
                "originZIPCode": ORIGIN_ZIP,
                "destinationZIPCode": DESTINATION_ZIP,
                "weight": 1,
                "length": 6,
                "width": 4,
                "height": 2,
                "mailClass": "USPS_GROUND_ADVANTAGE",
                "processingCategory": "MACHINABLE",
                "rateIndicator": "SP",
                "destinationEntryFacilityType": "NONE",
                "priceType": "RETAIL",
            }),
        ),
        "international-prices" => post(
            "international-prices",
            paths::INTERNATIONAL_BASE_RATES,
            json!({
                "originZIPCode": ORIGIN_ZIP,
                "destinationCountryCode": "CA",
                "weight": 1,
                "length": 6,
                "width": 4,
                "height": 2,
                "mailClass": "PRIORITY_MAIL_INTERNATIONAL",
                "processingCategory": "MACHINABLE",
                "rateIndicator": "SP",
                "destinationEntryFacilityType": "NONE",
                "priceType": "RETAIL",
            }),
        ),
        "service-standards" => get(
            "service-standards",
            paths::SERVICE_STANDARDS,
            vec![
                ("originZIPCode", ORIGIN_ZIP.to_string()),
                ("destinationZIPCode", DESTINATION_ZIP.to_string()),
                ("mailClass", "PRIORITY_MAIL".into()),
            ],
        ),
        "shipments" => post(
            "shipments",
            paths::SHIPPING_OPTIONS,
            json!({
                "pricingOptions": [{"priceType": "RETAIL"}],
                "originZIPCode": ORIGIN_ZIP,
                "destinationZIPCode": DESTINATION_ZIP,
                "packageDescription": {
                    "weight": 1,
                    "length": 6,
                    "width": 4,
                    "height": 2,
                    "mailClass": "USPS_GROUND_ADVANTAGE",
                },
            }),
        ),
        "locations" => match location_type {
            Some(LocationType::Dropoff) => get(
                "locations",
                paths::DROPOFF_LOCATIONS,
                vec![("destinationZIPCode", ORIGIN_ZIP.to_string())],
            ),
            Some(LocationType::ParcelLocker) => get(
                "locations",
                paths::PARCEL_LOCKER_LOCATIONS,
                vec![("ZIPCode", ORIGIN_ZIP.to_string()), ("limit", "1".into())],
            ),
            _ => get(
                "locations",
                paths::POST_OFFICE_LOCATIONS,
                vec![
                    ("ZIPCode", ORIGIN_ZIP.to_string()),
                    ("radius", "1".into()),
                    ("limit", "1".into()),
                ],
            ),
        },
        // One number in a batch request: a not-found response shows access as well as a found
        // one, and the batch endpoint is the one a tracking job calls.
        "tracking" => post(
            "tracking",
            paths::TRACKING_BATCH,
            json!([{ "trackingNumber": PROBE_TRACKING_NUMBER }]),
        ),
        _ => return None,
    };
    Some(request)
}

/// A tracking number in the USPS IMpb format (22 digits, valid mod-10 check digit).
const PROBE_TRACKING_NUMBER: &str = "9400111899223197428490";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_api_has_a_probe() {
        for api in DEFAULT_APIS {
            let request = probe(api, None).unwrap_or_else(|| panic!("{api} has no probe"));
            assert_eq!(request.api, *api);
        }
        assert_eq!(probe("tracking", None).unwrap().path, paths::TRACKING_BATCH);
        assert!(probe("payments", None).is_none());
    }

    #[test]
    fn locker_jobs_probe_the_locker_endpoint() {
        let request = probe("locations", Some(LocationType::ParcelLocker)).unwrap();
        assert_eq!(request.path, paths::PARCEL_LOCKER_LOCATIONS);
    }
}
