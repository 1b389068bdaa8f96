//! Package Tracking 3.0: the batch endpoint `POST /tracking/v3r2/tracking` (spec 3.2.4) and
//! the single-number endpoint `GET /tracking/v3/tracking/{trackingNumber}` (spec 3.2.6).
//!
//! The two endpoints return the same facts under a few different names: v3r2 nests the
//! expected delivery date in `deliveryDateExpectation` and names the event ZIP Code
//! `eventZIPCode`, while v3 has `expectedDeliveryTimeStamp` and `eventZIP`. The response types
//! here accept both, so a row's response is read the same way from either endpoint. Live answers send
//! booleans as the strings `"true"` and `"false"`, so no boolean field is read.

use serde::{Deserialize, Serialize};

/// Maximum tracking numbers in one batch request (`maxItems` of `TrackingRequest`).
pub const MAX_BATCH_ITEMS: usize = 35;

/// Inventory codes of the "not yet available" responses: USPS has no scan of the piece yet,
/// usually because the label was made moments ago. The same number may be tracked later.
pub const NOT_YET_AVAILABLE_CODES: &[&str] = &["150001", "150002", "150003", "150009"];

/// One entry of the batch request (`TrackingRequestBody`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrackingRequestItem {
    pub tracking_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailing_date: Option<String>,
    #[serde(
        default,
        rename = "destinationZIPCode",
        skip_serializing_if = "Option::is_none"
    )]
    pub destination_zip_code: Option<String>,
}

/// The fields of a tracking detail that the runner reads, from either endpoint.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingDetail {
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_category: Option<String>,
    #[serde(default)]
    pub status_summary: Option<String>,
    /// v3r2 only.
    #[serde(default)]
    pub delivery_date_expectation: Option<DeliveryDateExpectation>,
    /// v3 only: a date-time.
    #[serde(default)]
    pub expected_delivery_time_stamp: Option<String>,
    /// Events, newest first.
    #[serde(default)]
    pub tracking_events: Vec<TrackingEvent>,
}

/// `deliveryDateExpectation` of a v3r2 detail.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryDateExpectation {
    #[serde(default)]
    pub expected_delivery_date: Option<String>,
    #[serde(default)]
    pub predicted_delivery_date: Option<String>,
}

/// One scan event.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingEvent {
    #[serde(default)]
    pub event_type: Option<String>,
    /// Local time of the event, a date or a date-time, often without an offset.
    #[serde(default)]
    pub event_timestamp: Option<String>,
    #[serde(default, rename = "GMTOffset")]
    pub gmt_offset: Option<String>,
    #[serde(default)]
    pub event_city: Option<String>,
    #[serde(default)]
    pub event_state: Option<String>,
    #[serde(default, rename = "eventZIPCode", alias = "eventZIP")]
    pub event_zip_code: Option<String>,
    #[serde(default)]
    pub event_code: Option<String>,
}

impl TrackingDetail {
    /// Returns the expected delivery date (`YYYY-MM-DD`), or the predicted one when USPS
    /// gives no expected date.
    pub fn expected_delivery(&self) -> Option<String> {
        let expectation = self.delivery_date_expectation.as_ref();
        expectation
            .and_then(|expectation| expectation.expected_delivery_date.clone())
            .or_else(|| self.expected_delivery_time_stamp.clone())
            .or_else(|| {
                expectation.and_then(|expectation| expectation.predicted_delivery_date.clone())
            })
            .map(|text| text.chars().take(10).collect())
    }

    /// Reports whether the piece is delivered, by its status category (`Delivered`) or,
    /// when that is missing, by the latest event.
    pub fn is_delivered(&self) -> bool {
        match &self.status_category {
            Some(category) => category.eq_ignore_ascii_case("delivered"),
            None => self
                .tracking_events
                .first()
                .and_then(|event| event.event_type.as_deref())
                .is_some_and(|kind| kind.to_ascii_lowercase().starts_with("delivered")),
        }
    }
}
