//! Domestic Labels 3.0 in the sandbox: label purchases charged to a payer account with a
//! balance, the idempotency key, and cancels. The payment authorization that opens accounts
//! and issues tokens is in `payments.rs`.
//!
//! Idempotency follows the Labels spec: the same `X-Idempotency-Key` (per CRID) with an
//! identical body returns the label already bought, without a new charge. The same key with
//! another body is rejected. The spec documents no error code for that case, so the sandbox
//! returns 400 with code [`KEY_REUSED_CODE`], a code of its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use tracing::info;

use crate::usps::error::{ErrorDetail, ErrorMessage};
use crate::usps::labels::{
    encode_base64, CancelResponse, Commitment, LabelMetadata, LabelRequest, IDEMPOTENCY_KEY_HEADER,
    PAYMENT_TOKEN_HEADER,
};
use crate::usps::payments::{INSUFFICIENT_FUNDS_CODE, INSUFFICIENT_FUNDS_MESSAGE};

use super::faults::Faults;
use super::label_pdf::{render, LabelText};
use super::rates;
use super::rejection::Rejection;

/// `apiVersion` of Labels error bodies, as the Labels spec examples spell it.
const LABELS_API_VERSION: &str = "/labels/v3";
/// `apiVersion` of Payments error bodies.
pub(super) const PAYMENTS_API_VERSION: &str = "/payments/v3";
/// Lifetime of a payment authorization token: "valid for eight hours after issuance" (spec).
pub const PAYMENT_TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);
/// Sandbox code for an idempotency key sent again with a different body.
pub const KEY_REUSED_CODE: &str = "SANDBOX-IDEMPOTENCY";
/// Boundary of the sandbox's multipart label responses.
const BOUNDARY: &str = "usps-batch-sandbox-label";

/// Label counters of one payer account, as `GET /__sandbox/stats` serves them.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelAccountStats {
    /// Labels bought and charged, cancelled ones included.
    pub labels_charged: u64,
    /// Requests that returned a label bought earlier under the same idempotency key.
    pub labels_reused: u64,
    pub labels_cancelled: u64,
    /// Postage charged, less the postage of cancelled labels, as a decimal string.
    pub postage_total: String,
    /// Balance left, as a decimal string; absent when the balance is unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<String>,
}

/// A payment authorization in force.
pub(super) struct Grant {
    pub(super) crid: String,
    pub(super) account: String,
    pub(super) expires_at: Instant,
}

/// A label bought.
struct Issued {
    account: String,
    /// The request body, compared with a repeat of the same key.
    request: serde_json::Value,
    metadata: LabelMetadata,
    pdf: Vec<u8>,
    cancelled: bool,
}

#[derive(Default)]
pub(super) struct Account {
    pub(super) balance: Option<Decimal>,
    postage_total: Decimal,
    labels_charged: u64,
    labels_reused: u64,
    labels_cancelled: u64,
}

#[derive(Default)]
pub(super) struct Desk {
    pub(super) grants: HashMap<String, Grant>,
    /// Labels by CRID and idempotency key. Labels bought without a key get a key of their own.
    labels: HashMap<(String, String), Issued>,
    by_tracking: HashMap<String, (String, String)>,
    pub(super) accounts: BTreeMap<String, Account>,
    /// Purchases without an idempotency key, which get a tracking number from this count.
    unkeyed: u64,
}

impl Desk {
    /// Returns the payer account `number`, opening it with `balance` on first use.
    pub(super) fn account(&mut self, number: &str, balance: Option<Decimal>) -> &mut Account {
        self.accounts
            .entry(number.to_string())
            .or_insert_with(|| Account {
                balance,
                ..Account::default()
            })
    }
}

/// The sandbox's payments and labels service.
pub(crate) struct LabelDesk {
    desk: Mutex<Desk>,
    /// Starting balance of every payer account; `None` for unlimited.
    pub(super) balance: Option<Decimal>,
    /// Share of label purchases that are charged and then cut off.
    drop_rate: f64,
    drop_rng: Mutex<StdRng>,
    seed: u64,
    /// Length of the outage that the first charge starts.
    outage: Duration,
    /// End of that outage, once started.
    outage_until: Mutex<Option<Instant>>,
}

/// The end of a label purchase: a response, or a connection cut after the charge.
pub(crate) enum LabelEnding {
    Respond(Response),
    /// Charged, then the connection is cut before the response.
    ChargedThenDropped,
}

impl LabelDesk {
    pub fn new(balance: Option<Decimal>, faults: &Faults, seed: u64) -> LabelDesk {
        LabelDesk {
            desk: Mutex::new(Desk::default()),
            balance,
            drop_rate: faults.label_drop_rate,
            outage: Duration::from_millis(faults.label_outage_ms),
            outage_until: Mutex::new(None),
            // Its own generator, so that the label fault does not shift the draws of the
            // other faults for a given seed.
            drop_rng: Mutex::new(StdRng::seed_from_u64(seed ^ 0x6c61_6265_6c73)),
            seed,
        }
    }

    /// Returns the label counters per payer account.
    pub fn snapshot(&self) -> BTreeMap<String, LabelAccountStats> {
        self.lock()
            .accounts
            .iter()
            .map(|(number, account)| {
                let stats = LabelAccountStats {
                    labels_charged: account.labels_charged,
                    labels_reused: account.labels_reused,
                    labels_cancelled: account.labels_cancelled,
                    postage_total: account.postage_total.normalize().to_string(),
                    balance: account
                        .balance
                        .map(|balance| balance.normalize().to_string()),
                };
                (number.clone(), stats)
            })
            .collect()
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, Desk> {
        self.desk
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Expires every payment authorization token at once, and returns how many were valid.
    pub fn expire_grants(&self, now: Instant) -> usize {
        let mut desk = self.lock();
        let mut expired = 0;
        for grant in desk.grants.values_mut() {
            if grant.expires_at > now {
                grant.expires_at = now;
                expired += 1;
            }
        }
        expired
    }

    /// Handles `POST /labels/v3/label`.
    pub fn create_label(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        today: jiff::civil::Date,
    ) -> LabelEnding {
        match self.try_create_label(headers, body, today) {
            Ok(ending) => ending,
            Err(response) => LabelEnding::Respond(response),
        }
    }

    // The error variant is the response sent to the client, so boxing it gains nothing.
    #[allow(clippy::result_large_err)]
    fn try_create_label(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        today: jiff::civil::Date,
    ) -> Result<LabelEnding, Response> {
        let (crid, account) = self.grant(headers)?;
        if self.in_outage() {
            info!("label request answered 503 by the label_outage_ms fault");
            return Err(labels_error(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "Service is unavailable.",
                None,
            ));
        }
        let key = idempotency_key(headers)?;
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|error| {
            labels_error(
                StatusCode::BAD_REQUEST,
                None,
                &format!("Invalid request body: {error}."),
                None,
            )
        })?;
        let request: LabelRequest = serde_json::from_value(value.clone()).map_err(|error| {
            labels_error(
                StatusCode::BAD_REQUEST,
                None,
                &format!("Invalid request body: {error}."),
                None,
            )
        })?;

        // A key sent again: the same body returns the label already bought, free of charge.
        if let Some(key) = &key {
            let mut desk = self.lock();
            let found = desk.labels.get(&(crid.clone(), key.clone())).map(|issued| {
                (
                    issued.request == value,
                    issued.account.clone(),
                    issued.metadata.clone(),
                    issued.pdf.clone(),
                )
            });
            if let Some((same_body, owner, metadata, pdf)) = found {
                if !same_body {
                    info!(key = %key, "idempotency key sent again with another body; rejected");
                    return Err(labels_error(
                        StatusCode::BAD_REQUEST,
                        Some(KEY_REUSED_CODE),
                        "The X-Idempotency-Key was already used with a different request payload.",
                        Some("Header: X-Idempotency-Key"),
                    ));
                }
                if let Some(account) = desk.accounts.get_mut(&owner) {
                    account.labels_reused += 1;
                }
                info!(key = %key, tracking = %metadata.tracking_number, "returned the label bought earlier with this idempotency key");
                return Ok(LabelEnding::Respond(label_response(&metadata, &pdf)));
            }
        }

        check_contacts(&request)?;
        let (postage, sku, zone) = price(&request, today).map_err(|rejection| {
            let mut rejection = rejection;
            rejection.body.api_version = Some(LABELS_API_VERSION.to_string());
            rejection.into_response()
        })?;

        let mut desk = self.lock();
        let key = match key {
            Some(key) => key,
            None => {
                desk.unkeyed += 1;
                format!("unkeyed-{}", desk.unkeyed)
            }
        };
        // Another request with this key may have been charged while the price was computed.
        if desk.labels.contains_key(&(crid.clone(), key.clone())) {
            drop(desk);
            return self.try_create_label(headers, body, today);
        }
        let book = desk.account(&account, self.balance);
        if book.balance.is_some_and(|balance| balance < postage) {
            info!(account = %account, %postage, "label rejected: insufficient funds");
            return Err(insufficient_funds(LABELS_API_VERSION));
        }
        if let Some(balance) = book.balance.as_mut() {
            *balance -= postage;
        }
        book.postage_total += postage;
        book.labels_charged += 1;
        self.start_outage();

        let tracking_number = tracking_number(self.seed, &crid, &key);
        let mailing_date = request
            .package_description
            .mailing_date
            .clone()
            .unwrap_or_else(|| today.to_string());
        let metadata = LabelMetadata {
            tracking_number: tracking_number.clone(),
            postage,
            sku: Some(sku),
            zone: Some(format!("{zone:02}")),
            commitment: Some(Commitment {
                name: Some(commitment(&request.package_description.mail_class, zone).into()),
                schedule_delivery_date: None,
            }),
            mailing_date: Some(mailing_date.clone()),
            routing_information: Some(format!("420{}", request.to_address.zip_code)),
            label_address: Some(request.to_address.clone()),
        };
        let pdf = render(&LabelText {
            from: &request.from_address,
            to: &request.to_address,
            mail_class: &request.package_description.mail_class,
            tracking_number: &tracking_number,
            mailing_date: &mailing_date,
        });
        desk.by_tracking
            .insert(tracking_number.clone(), (crid.clone(), key.clone()));
        desk.labels.insert(
            (crid, key.clone()),
            Issued {
                account: account.clone(),
                request: value,
                metadata: metadata.clone(),
                pdf: pdf.clone(),
                cancelled: false,
            },
        );
        drop(desk);
        info!(account = %account, key = %key, tracking = %tracking_number, %postage, "label bought");

        let dropped = {
            let mut rng = self
                .drop_rng
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            rng.random::<f64>() < self.drop_rate
        };
        if dropped {
            info!(key = %key, "injected a dropped connection after charging the label");
            return Ok(LabelEnding::ChargedThenDropped);
        }
        Ok(LabelEnding::Respond(label_response(&metadata, &pdf)))
    }

    /// Returns whether the label outage fault is in force.
    fn in_outage(&self) -> bool {
        let until = self
            .outage_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        until.is_some_and(|until| Instant::now() < until)
    }

    /// Starts the label outage fault, once, at the first charge.
    fn start_outage(&self) {
        if self.outage.is_zero() {
            return;
        }
        let mut until = self
            .outage_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if until.is_none() {
            *until = Some(Instant::now() + self.outage);
        }
    }

    /// Handles `DELETE /labels/v3/label/{trackingNumber}`: cancels the label and refunds its
    /// postage to the payer's balance.
    pub fn cancel_label(&self, headers: &HeaderMap, tracking_number: &str) -> Response {
        let crid = match self.grant(headers) {
            Ok((crid, _)) => crid,
            Err(response) => return response,
        };
        let mut desk = self.lock();
        let Some(slot) = desk
            .by_tracking
            .get(tracking_number)
            .filter(|(owner, _)| *owner == crid)
            .cloned()
        else {
            return labels_error(
                StatusCode::BAD_REQUEST,
                None,
                "Order not found",
                Some("trackingNumber"),
            );
        };
        let issued = desk.labels.get_mut(&slot).expect("indexed label exists");
        if issued.cancelled {
            return labels_error(
                StatusCode::BAD_REQUEST,
                Some("160301"),
                "The provided order is not eligible for a refund in this API",
                Some("trackingNumber"),
            );
        }

        issued.cancelled = true;
        let postage = issued.metadata.postage;
        let account = issued.account.clone();
        if let Some(book) = desk.accounts.get_mut(&account) {
            book.labels_cancelled += 1;
            book.postage_total -= postage;
            if let Some(balance) = book.balance.as_mut() {
                *balance += postage;
            }
        }

        info!(tracking = %tracking_number, "label cancelled");
        let response = CancelResponse {
            tracking_number: tracking_number.to_string(),
            status: "CANCELED".into(),
            dispute_id: None,
        };
        (StatusCode::OK, Json(response)).into_response()
    }

    /// Returns the CRID and payer account of the request's payment authorization token, or
    /// the 401 of a missing, unknown or expired one.
    #[allow(clippy::result_large_err)]
    fn grant(&self, headers: &HeaderMap) -> Result<(String, String), Response> {
        let token = headers
            .get(PAYMENT_TOKEN_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        let desk = self.lock();
        match desk.grants.get(token) {
            Some(grant) if grant.expires_at > Instant::now() => {
                Ok((grant.crid.clone(), grant.account.clone()))
            }
            _ => {
                // NOTE: USPS does not document the status of a missing or expired payment
                // token, so the sandbox returns 401, which makes a client renew both tokens.
                Err(labels_error(
                    StatusCode::UNAUTHORIZED,
                    None,
                    "The payment authorization token is missing, invalid or expired.",
                    Some("Header: X-Payment-Authorization-Token"),
                ))
            }
        }
    }
}

/// Checks the phone numbers against the spec's `Phone` pattern (digits only, 6 to 15, or `+`
/// and 8 to 15 digits) and the names against their 50-character limit.
#[allow(clippy::result_large_err)]
fn check_contacts(request: &LabelRequest) -> Result<(), Response> {
    for (part, address) in [
        ("toAddress", &request.to_address),
        ("fromAddress", &request.from_address),
    ] {
        if let Some(phone) = &address.phone {
            let digits = phone.strip_prefix('+').unwrap_or(phone);
            let plus = digits.len() != phone.len();
            let valid = digits.bytes().all(|byte| byte.is_ascii_digit())
                && if plus {
                    (8..=15).contains(&digits.len()) && !digits.starts_with('0')
                } else {
                    (6..=15).contains(&digits.len())
                };
            if !valid {
                info!(part, phone = %phone, "label rejected: invalid phone");
                return Err(labels_error(
                    StatusCode::BAD_REQUEST,
                    None,
                    &format!("{part}.phone does not match the required pattern."),
                    Some(if part == "toAddress" {
                        "toAddress.phone"
                    } else {
                        "fromAddress.phone"
                    }),
                ));
            }
        }
        for name in [&address.first_name, &address.last_name]
            .into_iter()
            .flatten()
        {
            if name.chars().count() > 50 {
                return Err(labels_error(
                    StatusCode::BAD_REQUEST,
                    None,
                    &format!("{part} names may have at most 50 characters."),
                    None,
                ));
            }
        }
    }
    Ok(())
}

/// Reads `X-Idempotency-Key`, which the spec types as a UUID.
#[allow(clippy::result_large_err)]
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Response> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    match uuid::Uuid::parse_str(text) {
        Ok(key) => Ok(Some(key.hyphenated().to_string())),
        Err(_) => Err(labels_error(
            StatusCode::BAD_REQUEST,
            None,
            "X-Idempotency-Key must be a UUID.",
            Some("Header: X-Idempotency-Key"),
        )),
    }
}

/// Prices the label with the sandbox's base-rate table, as a commercial price.
fn price(
    request: &LabelRequest,
    today: jiff::civil::Date,
) -> Result<(Decimal, String, u8), Rejection> {
    let package = &request.package_description;
    let query = serde_json::json!({
        "originZIPCode": request.from_address.zip_code,
        "destinationZIPCode": request.to_address.zip_code,
        "weight": package.weight,
        "length": package.length,
        "width": package.width,
        "height": package.height,
        "mailClass": package.mail_class,
        "processingCategory": package.processing_category,
        "rateIndicator": package.rate_indicator,
        "destinationEntryFacilityType": package.destination_entry_facility_type,
        "priceType": "COMMERCIAL",
        "mailingDate": package.mailing_date.clone().unwrap_or_else(|| today.to_string()),
    });
    let body = serde_json::to_vec(&query).expect("a JSON value serializes");
    let priced = rates::base_rates(&body, today)?;
    let postage = priced.total_base_price.unwrap_or_default();
    let sku = priced
        .rates
        .first()
        .and_then(|rate| rate.sku.clone())
        .unwrap_or_default();
    let zone =
        rates::zone(&request.from_address.zip_code, &request.to_address.zip_code).unwrap_or(8);
    Ok((postage, sku, zone))
}

/// Returns the delivery commitment the sandbox prints: a day count from class and zone.
fn commitment(mail_class: &str, zone: u8) -> &'static str {
    match (mail_class, zone) {
        ("PRIORITY_MAIL_EXPRESS", _) => "1-Day",
        ("PRIORITY_MAIL", 1..=4) => "2-Day",
        ("PRIORITY_MAIL", _) => "3-Day",
        (_, 1..=2) => "2-Day",
        (_, 3..=6) => "3-Day",
        _ => "5-Day",
    }
}

/// Builds a 22-digit tracking number from the CRID and the idempotency key: `9205` for a
/// USPS Ground Advantage style prefix, 17 digits from a hash, and a mod-10 check digit.
fn tracking_number(seed: u64, crid: &str, key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(crid.as_bytes());
    hasher.update([0]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    let mut digits = String::from("9205");
    for byte in digest.iter().take(17) {
        digits.push(char::from(b'0' + byte % 10));
    }
    let check = check_digit(&digits);
    digits.push(char::from(b'0' + check));
    digits
}

/// Computes the USPS mod-10 check digit, weighting the digits 3, 1, 3... from the right.
fn check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, digit)| {
            let value = u32::from(digit - b'0');
            if index % 2 == 0 {
                value * 3
            } else {
                value
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Builds the multipart label response in the framing observed from USPS.
fn label_response(metadata: &LabelMetadata, pdf: &[u8]) -> Response {
    let json = serde_json::to_string(metadata).expect("label metadata serializes");
    let body = format!(
        "--{BOUNDARY}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"labelMetadata\"\r\n\r\n{json}\r\n\
         --{BOUNDARY}\r\nContent-Type: application/pdf\r\nContent-Disposition: form-data; filename=\"labelImage.pdf\"; name=\"labelImage\"\r\n\r\n{}\r\n\
         --{BOUNDARY}--\r\n",
        encode_base64(pdf)
    );
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )],
        body,
    )
        .into_response()
}

pub(super) fn insufficient_funds(api_version: &str) -> Response {
    error_response(
        api_version,
        StatusCode::BAD_REQUEST,
        Some(INSUFFICIENT_FUNDS_CODE),
        INSUFFICIENT_FUNDS_MESSAGE,
        Some("roles"),
    )
}

fn labels_error(
    status: StatusCode,
    code: Option<&str>,
    message: &str,
    parameter: Option<&str>,
) -> Response {
    error_response(LABELS_API_VERSION, status, code, message, parameter)
}

pub(super) fn error_response(
    api_version: &str,
    status: StatusCode,
    code: Option<&str>,
    message: &str,
    parameter: Option<&str>,
) -> Response {
    let detail = ErrorDetail {
        status: Some(status.as_u16().to_string()),
        code: code.map(str::to_string),
        title: Some(status.canonical_reason().unwrap_or("Error").to_string()),
        detail: Some(message.to_string()),
        source: parameter.map(|parameter| serde_json::json!({ "parameter": parameter })),
    };
    let body = ErrorMessage::new(api_version, status.as_u16(), message, detail);
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_follow_the_key() {
        let first = tracking_number(0, "123", "a");
        assert_eq!(first.len(), 22);
        assert!(first.starts_with("9205"));
        assert_eq!(first, tracking_number(0, "123", "a"));
        assert_ne!(first, tracking_number(0, "123", "b"));
        assert_ne!(first, tracking_number(1, "123", "a"));
    }

    #[test]
    fn check_digit_weights_from_the_right() {
        // "1": 1 x 3 = 3, so 7 brings the sum to 10.
        assert_eq!(check_digit("1"), 7);
        // "12": 2 x 3 + 1 x 1 = 7, so 3.
        assert_eq!(check_digit("12"), 3);
        assert_eq!(check_digit("55"), 0);
    }
}
