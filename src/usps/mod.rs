//! Request and response types of the USPS v3 APIs, shared by the client and the sandbox so
//! that the two cannot drift apart.
//!
//! Field names follow the USPS OpenAPI specs letter for letter (`ZIPCode`, `DPVConfirmation`).
//! Response types accept unknown fields, because live answers carry fields that the specs
//! omit (`postalCode`, `province`, `countryISOCode`).

pub mod addresses;
pub mod error;
pub mod international_prices;
pub mod labels;
pub mod locations;
pub mod oauth;
pub mod payments;
mod price_rules;
pub mod prices;
pub mod service_standards;
pub mod shipping_options;
pub mod tracking;

/// Base paths of the APIs, as served by USPS and by the sandbox.
pub mod paths {
    pub const TOKEN: &str = "/oauth2/v3/token";
    pub const ADDRESS: &str = "/addresses/v3/address";
    pub const CITY_STATE: &str = "/addresses/v3/city-state";
    pub const ZIPCODE: &str = "/addresses/v3/zipcode";
    pub const BASE_RATES: &str = "/prices/v3/base-rates/search";
    pub const TOTAL_RATES: &str = "/prices/v3/total-rates/search";
    pub const SHIPPING_OPTIONS: &str = "/shipments/v3/options/search";
    pub const INTERNATIONAL_BASE_RATES: &str = "/international-prices/v3/base-rates/search";
    pub const INTERNATIONAL_TOTAL_RATES: &str = "/international-prices/v3/total-rates/search";
    pub const SERVICE_STANDARDS: &str = "/service-standards/v3/estimates";
    pub const PAYMENT_AUTHORIZATION: &str = "/payments/v3/payment-authorization";
    pub const LABEL: &str = "/labels/v3/label";
    /// `DELETE` of one label; the runner appends the tracking number.
    pub const LABEL_BY_TRACKING: &str = "/labels/v3/label/{trackingNumber}";
    pub const POST_OFFICE_LOCATIONS: &str = "/locations/v3/post-office-locations";
    pub const DROPOFF_LOCATIONS: &str = "/locations/v3/dropoff-locations";
    pub const PARCEL_LOCKER_LOCATIONS: &str = "/locations/v3/parcel-locker-locations";
    pub const TRACKING_BATCH: &str = "/tracking/v3r2/tracking";
    pub const TRACKING_SINGLE: &str = "/tracking/v3/tracking/{trackingNumber}";
    pub const SANDBOX_STATS: &str = "/__sandbox/stats";
}

/// Finds a spec value in `names` by its spelling, ignoring case, or written in words with
/// spaces for underscores ("Priority Mail" for `PRIORITY_MAIL`).
pub fn find_spec_name(raw: &str, names: &[&'static str]) -> Option<&'static str> {
    let trimmed = raw.trim();
    let spaced = trimmed.replace(' ', "_");
    names
        .iter()
        .find(|name| name.eq_ignore_ascii_case(trimmed) || name.eq_ignore_ascii_case(&spaced))
        .copied()
}

/// The two-letter codes that the Addresses spec's `state` pattern accepts: the states, DC,
/// the territories, the freely associated states and the military codes AA, AE and AP.
pub const STATE_CODES: &[&str] = &[
    "AA", "AE", "AL", "AK", "AP", "AS", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FM", "FL", "GA",
    "GU", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MH", "MD", "MA", "MI", "MN", "MS",
    "MO", "MP", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PW", "PA",
    "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VI", "VA", "WA", "WV", "WI", "WY",
];

/// Reports whether `code` is a state code that the Addresses API accepts.
pub fn is_state_code(code: &str) -> bool {
    STATE_CODES.contains(&code)
}
