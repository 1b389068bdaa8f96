//! The steps that the USPS API gateway takes before and after each service, in its order:
//! access token, the application's access to the API, quota, then the service. The sandbox
//! adds its injected faults, latency and counters.
//!
//! A request with a bad token is rejected before the quota is charged, because the gateway
//! cannot tell whose quota it would be. Injected faults come after the quota, so a faulty
//! response costs a call as a real outage does.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tokio::time::Instant;
use tracing::{debug, info};

use crate::usps::error::{ErrorDetail, ErrorMessage};
use crate::usps::oauth::OAuthError;
use crate::usps::paths;

use super::faults::dropped_connection;
use super::labels::LabelEnding;
use super::oauth::{parse_token_request, TokenError};
use super::params::{self, Pairs};
use super::quota::retry_after_seconds;
use super::rejection::{Problem, Rejection, API_VERSION};
use super::stats::{RequestIdentity, StatsSnapshot};
use super::{
    access, addresses, international, locations, options, rates, standards, tracking, SandboxState,
};

/// `error.message` of a 429, as USPS sends it when a quota is spent.
pub const QUOTA_MESSAGE: &str = "Exceeded quota limit. Please contact https://emailus.usps.com/s/web-tools-inquiry and a representative will assist.";

/// The API endpoints the sandbox serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Address,
    CityState,
    ZipCode,
    BaseRates,
    TotalRates,
    ShippingOptions,
    InternationalBaseRates,
    InternationalTotalRates,
    ServiceStandards,
    PostOfficeLocations,
    DropoffLocations,
    ParcelLockerLocations,
    PaymentAuthorization,
    Label,
    /// `DELETE /labels/v3/label/{trackingNumber}`; the tracking number comes as the query pair
    /// `trackingNumber`.
    CancelLabel,
    TrackingBatch,
    TrackingSingle,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Endpoint::Address => paths::ADDRESS,
            Endpoint::CityState => paths::CITY_STATE,
            Endpoint::ZipCode => paths::ZIPCODE,
            Endpoint::BaseRates => paths::BASE_RATES,
            Endpoint::TotalRates => paths::TOTAL_RATES,
            Endpoint::ShippingOptions => paths::SHIPPING_OPTIONS,
            Endpoint::InternationalBaseRates => paths::INTERNATIONAL_BASE_RATES,
            Endpoint::InternationalTotalRates => paths::INTERNATIONAL_TOTAL_RATES,
            Endpoint::ServiceStandards => paths::SERVICE_STANDARDS,
            Endpoint::PostOfficeLocations => paths::POST_OFFICE_LOCATIONS,
            Endpoint::DropoffLocations => paths::DROPOFF_LOCATIONS,
            Endpoint::ParcelLockerLocations => paths::PARCEL_LOCKER_LOCATIONS,
            Endpoint::PaymentAuthorization => paths::PAYMENT_AUTHORIZATION,
            Endpoint::Label => paths::LABEL,
            Endpoint::CancelLabel => paths::LABEL_BY_TRACKING,
            Endpoint::TrackingBatch => paths::TRACKING_BATCH,
            Endpoint::TrackingSingle => paths::TRACKING_SINGLE,
        }
    }

    fn method(self) -> &'static str {
        match self {
            Endpoint::BaseRates
            | Endpoint::TotalRates
            | Endpoint::ShippingOptions
            | Endpoint::InternationalBaseRates
            | Endpoint::InternationalTotalRates
            | Endpoint::PaymentAuthorization
            | Endpoint::Label
            | Endpoint::TrackingBatch => "POST",
            Endpoint::CancelLabel => "DELETE",
            _ => "GET",
        }
    }
}

/// End of an API request: a response, or a cut connection.
enum Ending {
    Respond(Response),
    Drop,
}

pub(crate) async fn address(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    serve_api(&state, Endpoint::Address, &headers, query.as_deref(), &[]).await
}

pub(crate) async fn city_state(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    serve_api(&state, Endpoint::CityState, &headers, query.as_deref(), &[]).await
}

pub(crate) async fn zipcode(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    serve_api(&state, Endpoint::ZipCode, &headers, query.as_deref(), &[]).await
}

/// Handles `GET /locations/v3/post-office-locations`.
pub(crate) async fn post_office_locations(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let endpoint = Endpoint::PostOfficeLocations;
    serve_api(&state, endpoint, &headers, query.as_deref(), &[]).await
}

/// Handles `GET /locations/v3/dropoff-locations`.
pub(crate) async fn dropoff_locations(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let endpoint = Endpoint::DropoffLocations;
    serve_api(&state, endpoint, &headers, query.as_deref(), &[]).await
}

/// Handles `GET /locations/v3/parcel-locker-locations`.
pub(crate) async fn parcel_locker_locations(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let endpoint = Endpoint::ParcelLockerLocations;
    serve_api(&state, endpoint, &headers, query.as_deref(), &[]).await
}

/// Handles `POST /prices/v3/base-rates/search`.
pub(crate) async fn base_rates(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve_api(&state, Endpoint::BaseRates, &headers, None, &body).await
}

/// Handles `POST /prices/v3/total-rates/search`.
pub(crate) async fn total_rates(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve_api(&state, Endpoint::TotalRates, &headers, None, &body).await
}

/// Handles `POST /shipments/v3/options/search`.
pub(crate) async fn shipping_options(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve_api(&state, Endpoint::ShippingOptions, &headers, None, &body).await
}

/// Handles `POST /international-prices/v3/base-rates/search`.
pub(crate) async fn international_base_rates(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve_api(
        &state,
        Endpoint::InternationalBaseRates,
        &headers,
        None,
        &body,
    )
    .await
}

/// Handles `POST /international-prices/v3/total-rates/search`.
pub(crate) async fn international_total_rates(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve_api(
        &state,
        Endpoint::InternationalTotalRates,
        &headers,
        None,
        &body,
    )
    .await
}

/// Handles `GET /service-standards/v3/estimates`.
pub(crate) async fn service_standards(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    serve_api(
        &state,
        Endpoint::ServiceStandards,
        &headers,
        query.as_deref(),
        &[],
    )
    .await
}

/// Handles `POST /payments/v3/payment-authorization`.
pub(crate) async fn payment_authorization(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve_api(
        &state,
        Endpoint::PaymentAuthorization,
        &headers,
        None,
        &body,
    )
    .await
}

/// Handles `POST /labels/v3/label`.
pub(crate) async fn label(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve_api(&state, Endpoint::Label, &headers, None, &body).await
}

/// Handles `DELETE /labels/v3/label/{trackingNumber}`.
pub(crate) async fn cancel_label(
    State(state): State<SandboxState>,
    Path(tracking_number): Path<String>,
    headers: HeaderMap,
) -> Response {
    let query = serde_urlencoded::to_string([("trackingNumber", tracking_number.as_str())])
        .unwrap_or_default();
    serve_api(&state, Endpoint::CancelLabel, &headers, Some(&query), &[]).await
}

/// Handles `POST /tracking/v3r2/tracking`.
pub(crate) async fn tracking_batch(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve_api(&state, Endpoint::TrackingBatch, &headers, None, &body).await
}

/// Handles `GET /tracking/v3/tracking/{trackingNumber}`. The path parameter joins the query
/// pairs as `trackingNumber`, after any pair of that name in the query string, so the
/// service and the repeat counter see it like a query parameter.
pub(crate) async fn tracking_single(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Path(tracking_number): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let parameter = serde_urlencoded::to_string([("trackingNumber", &tracking_number)])
        .expect("a string pair encodes");
    let query = match query.filter(|query| !query.is_empty()) {
        Some(query) => format!("{query}&{parameter}"),
        None => parameter,
    };
    serve_api(
        &state,
        Endpoint::TrackingSingle,
        &headers,
        Some(&query),
        &[],
    )
    .await
}

pub(crate) async fn stats(State(state): State<SandboxState>) -> Json<StatsSnapshot> {
    Json(state.stats())
}

pub(crate) async fn expire_tokens(State(state): State<SandboxState>) -> Json<serde_json::Value> {
    let expired = state.expire_tokens();
    Json(json!({ "expired_tokens": expired }))
}

/// Handles `POST /oauth2/v3/token`.
pub(crate) async fn token(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let shared = &state.shared;
    shared.stats.count_request(paths::TOKEN);
    let response = issue_token(&state, &headers, &body);
    tokio::time::sleep(shared.config.latency).await;
    shared
        .stats
        .record_response(response.status().as_u16(), None);
    response
}

fn issue_token(state: &SandboxState, headers: &HeaderMap, body: &[u8]) -> Response {
    let shared = &state.shared;
    let config = &shared.config;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let request = match parse_token_request(content_type, body) {
        Ok(request) => request,
        Err(error) => return rejected_token(error),
    };
    if request.client_id != config.client_id {
        return rejected_token(TokenError::UnknownClient);
    }

    let now = Instant::now();
    if let Err(wait) = shared.quotas.try_acquire(&request.client_id, now) {
        let seconds = retry_after_seconds(wait);
        info!(
            retry_after = seconds,
            "token request over quota; responded 429"
        );
        let body = OAuthError {
            error: "invalid_request".to_string(),
            error_description: Some(QUOTA_MESSAGE.to_string()),
            error_uri: Some("https://datatracker.ietf.org/doc/html/rfc6585#section-4".to_string()),
        };
        return with_retry_after(
            (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response(),
            seconds,
        );
    }

    if request.grant_type != "client_credentials" {
        return rejected_token(TokenError::UnsupportedGrantType(request.grant_type));
    }
    if request.client_secret != config.client_secret {
        return rejected_token(TokenError::BadSecret);
    }
    let token = shared.tokens.issue(
        &request.client_id,
        &shared.token_scope,
        config.token_ttl,
        now,
    );
    shared.stats.record_token_issued();
    debug!(expires_in = token.expires_in, "issued an access token");
    (StatusCode::OK, Json(token)).into_response()
}

fn rejected_token(error: TokenError) -> Response {
    debug!(?error, "rejected a token request");
    error.into_response()
}

fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Runs an API request through token check, quota, faults and the service, then records it.
/// `body` is the JSON body of a POST endpoint, empty for GET.
async fn serve_api(
    state: &SandboxState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    raw_query: Option<&str>,
    body: &[u8],
) -> Response {
    let shared = &state.shared;
    let path = endpoint.path();
    shared.stats.count_request(path);
    let pairs = match decode_query(raw_query) {
        Ok(pairs) => pairs,
        Err(rejection) => {
            shared.stats.record_response(400, None);
            return rejection.into_response();
        }
    };

    let now = Instant::now();
    let authenticated = shared.tokens.authenticate(headers, now);
    let client_id = match &authenticated {
        Ok(client_id) => client_id.clone(),
        Err(error) => error.client_id().unwrap_or_default().to_string(),
    };
    // Hashing every request costs time, so it happens only when repeats are recorded.
    let identity = shared.config.record_repeats.then(|| {
        // A POST body counts as one more pair, so equal bodies are recognised as repeats.
        let mut identity_pairs = pairs.clone();
        if !body.is_empty() {
            identity_pairs.push((String::new(), String::from_utf8_lossy(body).into_owned()));
        }
        RequestIdentity::new(endpoint.method(), path, &identity_pairs, &client_id)
    });
    if identity.is_some_and(|identity| shared.stats.check_repeat(identity)) {
        debug!(path, "repeated request");
    }

    // The gateway checks the application's products after the token and before the quota,
    // so a call of an API outside them costs no quota.
    let api = access::api_of_path(path).unwrap_or_default();
    let ending = match authenticated {
        Err(error) => {
            debug!(path, ?error, "rejected the access token");
            Ending::Respond(error.into_response(API_VERSION))
        }
        Ok(client_id) if shared.config.disabled_apis.contains(api) => {
            info!(path, api, client_id = %client_id, "the client has no access to this API; responded 401");
            Ending::Respond(access::no_access_response(api, path))
        }
        Ok(client_id) => match shared.quotas.try_acquire(&client_id, now) {
            Err(wait) => Ending::Respond(rate_limited(state, path, wait)),
            Ok(()) => run_with_faults(state, endpoint, headers, &pairs, body).await,
        },
    };

    tokio::time::sleep(shared.config.latency).await;
    match ending {
        Ending::Respond(response) => {
            let status = response.status().as_u16();
            debug!(path, status, "responded");
            shared.stats.record_response(status, identity);
            response
        }
        Ending::Drop => {
            shared.stats.record_drop();
            dropped_connection()
        }
    }
}

/// Decodes a query string into its pairs, in order. Decoding replaces invalid UTF-8 instead of
/// failing, so the error branch guards against future changes of `serde_urlencoded` only.
fn decode_query(raw_query: Option<&str>) -> Result<Vec<(String, String)>, Rejection> {
    serde_urlencoded::from_str(raw_query.unwrap_or_default()).map_err(|error| {
        debug!(%error, "rejected a query string that does not decode");
        Rejection::single(
            StatusCode::BAD_REQUEST,
            "Invalid query string.",
            Problem {
                code: None,
                title: "Invalid query string",
                detail: format!("The query string does not decode: {error}."),
                source: None,
            },
        )
    })
}

fn rate_limited(state: &SandboxState, path: &str, wait: Duration) -> Response {
    let seconds = retry_after_seconds(wait);
    let quota = state.shared.config.quota;
    info!(path, retry_after = seconds, %quota, "quota spent; responded 429");
    let detail = ErrorDetail {
        title: Some("Too Many Requests.".to_string()),
        detail: Some(format!(
            "Quota limit {quota} exceeded. Retry after {seconds} seconds."
        )),
        ..Default::default()
    };
    let body = ErrorMessage::new(API_VERSION, 429, QUOTA_MESSAGE, detail);
    with_retry_after(
        (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response(),
        seconds,
    )
}

async fn run_with_faults(
    state: &SandboxState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    pairs: &Pairs,
    body: &[u8],
) -> Ending {
    let shared = &state.shared;
    let draw = shared.faults.draw();
    let path = endpoint.path();
    let ending = match draw.error {
        Some(error) => {
            info!(
                path,
                status = error.status.as_u16(),
                plain_text = error.plain_text,
                "injected a server error"
            );
            Ending::Respond(error.into_response(API_VERSION))
        }
        None => match dispatch(state, endpoint, headers, pairs, body) {
            Ending::Respond(_) if draw.drop => {
                info!(path, "injected a dropped connection");
                Ending::Drop
            }
            ending => ending,
        },
    };
    if let Some(delay) = draw.slow {
        info!(
            path,
            delay_ms = delay.as_millis() as u64,
            "injected a slow response"
        );
        tokio::time::sleep(delay).await;
    }
    ending
}

fn dispatch(
    state: &SandboxState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    pairs: &Pairs,
    body: &[u8],
) -> Ending {
    let seed = state.shared.config.seed;
    let desk = &state.shared.labels;
    let result = match endpoint {
        Endpoint::Address => params::address_query(pairs)
            .and_then(|query| addresses::address(&query, seed))
            .map(|body| Json(body).into_response()),
        Endpoint::CityState => params::city_state_query(pairs)
            .and_then(|query| addresses::city_state(&query))
            .map(|body| Json(body).into_response()),
        Endpoint::ZipCode => params::zipcode_query(pairs)
            .and_then(|query| addresses::zipcode(&query, seed))
            .map(|body| Json(body).into_response()),
        // USPS checks mailing dates in its own time; the sandbox uses New York's.
        Endpoint::BaseRates => {
            rates::base_rates(body, rates_today()).map(|body| Json(body).into_response())
        }
        Endpoint::TotalRates => {
            rates::total_rates(body, rates_today()).map(|body| Json(body).into_response())
        }
        Endpoint::ShippingOptions => {
            options::options(body, rates_today()).map(|body| Json(body).into_response())
        }
        Endpoint::InternationalBaseRates => {
            international::base_rates(body, rates_today()).map(|body| Json(body).into_response())
        }
        Endpoint::InternationalTotalRates => {
            international::total_rates(body, rates_today()).map(|body| Json(body).into_response())
        }
        Endpoint::ServiceStandards => {
            standards::estimates(pairs, rates_today()).map(|body| Json(body).into_response())
        }
        Endpoint::PostOfficeLocations => {
            locations::post_offices(pairs).map(|body| Json(body).into_response())
        }
        Endpoint::DropoffLocations => {
            locations::dropoff_locations(pairs).map(|body| Json(body).into_response())
        }
        Endpoint::ParcelLockerLocations => {
            locations::parcel_lockers(pairs).map(|body| Json(body).into_response())
        }
        Endpoint::PaymentAuthorization => Ok(desk.authorize(body)),
        Endpoint::Label => {
            return match desk.create_label(headers, body, rates_today()) {
                LabelEnding::Respond(response) => Ending::Respond(response),
                LabelEnding::ChargedThenDropped => Ending::Drop,
            }
        }
        Endpoint::CancelLabel => {
            let tracking_number = pairs
                .iter()
                .find(|(name, _)| name == "trackingNumber")
                .map(|(_, value)| value.as_str())
                .unwrap_or_default();
            Ok(desk.cancel_label(headers, tracking_number))
        }
        Endpoint::TrackingBatch => {
            tracking::batch(body).map(|(status, body)| (status, Json(body)).into_response())
        }
        Endpoint::TrackingSingle => tracking::single(pairs).map(|body| Json(body).into_response()),
    };
    Ending::Respond(result.unwrap_or_else(IntoResponse::into_response))
}

/// Today's date in New York, against which the sandbox checks mailing dates. A client in an
/// earlier time zone may still be on the previous day, so that day is accepted too.
fn rates_today() -> jiff::civil::Date {
    let zone = jiff::tz::TimeZone::get("America/New_York").unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    today.yesterday().unwrap_or(today)
}
