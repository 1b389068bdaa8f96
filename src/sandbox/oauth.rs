//! `POST /oauth2/v3/token` with the client credentials grant, and the check of bearer tokens
//! on API requests.
//!
//! Tokens are JWT-shaped (`header.payload.signature`, base64url) like the RS256 tokens of
//! USPS, but the signature is random bytes: the sandbox recognises a token by looking it up
//! among those it issued, not by checking a signature.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::usps::error::{ErrorDetail, ErrorMessage};
use crate::usps::oauth::{OAuthError, TokenRequest, TokenResponse};

/// `issuer` of issued tokens. USPS sends a URL of its key server. The sandbox sends a URN, so
/// that it cannot be mistaken for a host to contact.
pub const TOKEN_ISSUER: &str = "urn:usps-batch:sandbox";
/// `application_name` of issued tokens.
pub const APPLICATION_NAME: &str = "usps-batch sandbox";
/// `api_products` of issued tokens, in the bracketed form USPS sends.
pub const API_PRODUCTS: &str = "[Public Access I]";

const RFC6749_ERROR_URI: &str = "https://datatracker.ietf.org/doc/html/rfc6749#page-45";
const RFC6749_SECTION_5_2: &str = "https://datatracker.ietf.org/doc/html/rfc6749#section-5.2";
const UNKNOWN_CLIENT: &str = "InvalidApiKey: The client application credentials provided in the request are missing, invalid, inactive or not approved for access.";
const BAD_SECRET: &str = "Client authentication failed.";

/// An issued access token.
#[derive(Debug, Clone)]
struct TokenRecord {
    client_id: String,
    expires_at: Instant,
}

/// The tokens the sandbox issued, keyed by the whole token string.
#[derive(Default)]
pub(crate) struct TokenStore {
    tokens: Mutex<HashMap<String, TokenRecord>>,
}

/// Reason a bearer token was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BearerError {
    /// No `Authorization: Bearer` header, or a value that is not three base64url parts.
    Malformed,
    /// A JWT-shaped token that the sandbox never issued.
    Unknown,
    /// A token the sandbox issued for `client_id` whose lifetime has passed.
    Expired { client_id: String },
}

impl TokenStore {
    /// Issues a token for `client_id` that expires after `ttl` and grants `scope`, the
    /// space-separated names of the APIs the client has access to.
    pub fn issue(
        &self,
        client_id: &str,
        scope: &str,
        ttl: Duration,
        now: Instant,
    ) -> TokenResponse {
        let issued_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let access_token = make_jwt(client_id, scope, issued_at, ttl);

        let mut tokens = self.lock();
        // Forget tokens that expired long ago, so a long run with a short TTL does not grow the
        // map without bound. A forgotten token gets the 401 of an unknown one.
        tokens.retain(|_, record| {
            now.saturating_duration_since(record.expires_at) < ttl.max(Duration::from_secs(3600))
        });
        tokens.insert(
            access_token.clone(),
            TokenRecord {
                client_id: client_id.to_string(),
                expires_at: now + ttl,
            },
        );

        TokenResponse {
            access_token,
            token_type: "Bearer".to_string(),
            expires_in: ttl.as_secs(),
            issued_at: Some(u64::try_from(issued_at.as_millis()).unwrap_or(u64::MAX)),
            status: Some("approved".to_string()),
            scope: Some(scope.to_string()),
            issuer: Some(TOKEN_ISSUER.to_string()),
            client_id: Some(client_id.to_string()),
            application_name: Some(APPLICATION_NAME.to_string()),
            api_products: Some(API_PRODUCTS.to_string()),
        }
    }

    /// Checks the `Authorization` header and returns the client id of a valid token.
    pub fn authenticate(&self, headers: &HeaderMap, now: Instant) -> Result<String, BearerError> {
        let token = bearer_token(headers).ok_or(BearerError::Malformed)?;
        if !is_jwt_shaped(token) {
            return Err(BearerError::Malformed);
        }
        let tokens = self.lock();
        let record = tokens.get(token).ok_or(BearerError::Unknown)?;
        if now >= record.expires_at {
            return Err(BearerError::Expired {
                client_id: record.client_id.clone(),
            });
        }
        Ok(record.client_id.clone())
    }

    /// Makes every issued token expired at `now`, and returns how many were still valid.
    pub fn expire_all(&self, now: Instant) -> usize {
        let mut tokens = self.lock();
        let mut expired = 0;
        for record in tokens.values_mut() {
            if record.expires_at > now {
                record.expires_at = now;
                expired += 1;
            }
        }
        expired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, TokenRecord>> {
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Builds a JWT-shaped token: an RS256 header, a payload with the client id, the issue and
/// expiry times in epoch seconds and a unique id, and a random 256-byte signature (the size of
/// an RS256 signature with a 2048-bit key).
fn make_jwt(client_id: &str, scope: &str, issued_at: Duration, ttl: Duration) -> String {
    let header = json!({"kid": "sandbox", "typ": "JWT", "alg": "RS256"});
    let issued_seconds = issued_at.as_secs();
    let payload = json!({
        "sub": "",
        "aud": scope,
        "azp": client_id,
        "client_id": client_id,
        "iss": TOKEN_ISSUER,
        "iat": issued_seconds,
        "exp": issued_seconds + ttl.as_secs(),
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let mut signature = [0u8; 256];
    rand::rng().fill_bytes(&mut signature);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// Returns the value after `Bearer ` in the `Authorization` header; the scheme name is
/// case-insensitive (RFC 7235).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Reports whether `token` has three base64url parts whose first two decode to JSON objects.
fn is_jwt_shaped(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|part| part.is_empty()) {
        return false;
    }
    let decodes_to_object = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .is_some_and(|value| value.is_object())
    };
    decodes_to_object(parts[0])
        && decodes_to_object(parts[1])
        && URL_SAFE_NO_PAD.decode(parts[2]).is_ok()
}

impl BearerError {
    /// Returns the client id the rejected token was issued to, if the sandbox has a record of it.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            BearerError::Expired { client_id } => Some(client_id),
            _ => None,
        }
    }

    /// Builds the 401 response. The malformed case copies a live USPS response, including the
    /// `source` that arrives as a string although the spec types it as an object.
    pub fn into_response(self, api_version: &str) -> Response {
        let (message, detail, challenge) = match self {
            BearerError::Malformed => (
                "Missing or malformed access token.",
                "The access token presented with the request is missing or malformed (not a JWT).",
                r#"Bearer realm="usps-batch sandbox""#,
            ),
            BearerError::Unknown => (
                "Invalid or expired access token.",
                "The access token presented with the request is invalid: it was not issued by this server. Request a new token.",
                r#"Bearer realm="usps-batch sandbox", error="invalid_token""#,
            ),
            BearerError::Expired { .. } => (
                "Invalid or expired access token.",
                "The access token presented with the request has expired. Request a new token.",
                r#"Bearer realm="usps-batch sandbox", error="invalid_token""#,
            ),
        };
        let body = ErrorMessage::new(
            api_version,
            401,
            message,
            ErrorDetail {
                title: Some("invalid_token".to_string()),
                detail: Some(detail.to_string()),
                source: Some(Value::String("Access Token".to_string())),
                ..Default::default()
            },
        );
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
            Json(body),
        )
            .into_response()
    }
}

/// A token request rejected before a token was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// The body is not a JSON object nor a form, or a required field is missing.
    InvalidRequest(String),
    /// `grant_type` is not `client_credentials`.
    UnsupportedGrantType(String),
    /// `client_id` is missing or not a registered client.
    UnknownClient,
    /// `client_secret` does not belong to `client_id`.
    BadSecret,
}

impl TokenError {
    /// Builds the RFC 6749 error response that the USPS token endpoint sends.
    pub fn into_response(self) -> Response {
        let (status, error, description, uri) = match self {
            TokenError::InvalidRequest(description) => (
                StatusCode::BAD_REQUEST,
                "invalid_request",
                description,
                RFC6749_SECTION_5_2,
            ),
            TokenError::UnsupportedGrantType(grant) => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!(
                    "The grant type {grant:?} is not supported; this server issues tokens for client_credentials only."
                ),
                RFC6749_SECTION_5_2,
            ),
            TokenError::UnknownClient => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                UNKNOWN_CLIENT.to_string(),
                RFC6749_ERROR_URI,
            ),
            TokenError::BadSecret => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                BAD_SECRET.to_string(),
                RFC6749_ERROR_URI,
            ),
        };
        let body = OAuthError {
            error: error.to_string(),
            error_description: Some(description),
            error_uri: Some(uri.to_string()),
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static(r#"Basic realm="usps-batch sandbox""#),
            );
        }
        response
    }
}

/// Reads a token request from a JSON or form-encoded body. The `Content-Type` decides; without
/// one, a body that starts with `{` is read as JSON.
///
/// A missing `client_id` is reported as an unknown client, as USPS does ("credentials ...
/// missing"); another missing field is an `invalid_request`.
pub(crate) fn parse_token_request(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<TokenRequest, TokenError> {
    let is_json = match content_type {
        Some(value) => value.to_ascii_lowercase().contains("json"),
        None => body.iter().find(|byte| !byte.is_ascii_whitespace()) == Some(&b'{'),
    };
    let fields: HashMap<String, String> = if is_json {
        let object: serde_json::Map<String, Value> =
            serde_json::from_slice(body).map_err(|error| {
                TokenError::InvalidRequest(format!(
                    "The request body is not a JSON object: {error}."
                ))
            })?;
        object
            .into_iter()
            .filter_map(|(key, value)| match value {
                Value::String(text) => Some((key, text)),
                Value::Null => None,
                other => Some((key, other.to_string())),
            })
            .collect()
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|error| {
                TokenError::InvalidRequest(format!(
                    "The request body is not form-encoded: {error}."
                ))
            })?
            .into_iter()
            .collect()
    };

    let field = |name: &str| fields.get(name).filter(|value| !value.is_empty()).cloned();
    let client_id = field("client_id").ok_or(TokenError::UnknownClient)?;
    let grant_type = field("grant_type").ok_or_else(|| {
        TokenError::InvalidRequest("The grant_type parameter is missing.".to_string())
    })?;
    let client_secret = field("client_secret").ok_or_else(|| {
        TokenError::InvalidRequest("The client_secret parameter is missing.".to_string())
    })?;
    Ok(TokenRequest {
        grant_type,
        client_id,
        client_secret,
        scope: field("scope"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        headers
    }

    #[test]
    fn issued_token_is_jwt_shaped() {
        let store = TokenStore::default();
        let token = store.issue(
            "client",
            "addresses",
            Duration::from_secs(60),
            Instant::now(),
        );
        assert!(is_jwt_shaped(&token.access_token));
        let payload = token.access_token.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(claims["client_id"], "client");
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            60
        );
        assert!(claims["jti"].as_str().is_some_and(|jti| jti.len() == 36));
    }

    #[test]
    fn tokens_are_unique() {
        let store = TokenStore::default();
        let now = Instant::now();
        let first = store.issue("client", "addresses", Duration::from_secs(60), now);
        let second = store.issue("client", "addresses", Duration::from_secs(60), now);
        assert_ne!(first.access_token, second.access_token);
    }

    #[test]
    fn authenticate_checks_expiry() {
        let store = TokenStore::default();
        let now = Instant::now();
        let token = store.issue("client", "addresses", Duration::from_secs(60), now);
        let headers = bearer(&token.access_token);
        assert_eq!(store.authenticate(&headers, now), Ok("client".to_string()));
        assert_eq!(
            store.authenticate(&headers, now + Duration::from_secs(60)),
            Err(BearerError::Expired {
                client_id: "client".to_string()
            })
        );
    }

    #[test]
    fn expire_all_expires_at_once() {
        let store = TokenStore::default();
        let now = Instant::now();
        let token = store.issue("client", "addresses", Duration::from_secs(3600), now);
        assert_eq!(store.expire_all(now), 1);
        assert!(matches!(
            store.authenticate(&bearer(&token.access_token), now),
            Err(BearerError::Expired { .. })
        ));
    }

    #[test]
    fn authenticate_rejects_malformed() {
        let store = TokenStore::default();
        let now = Instant::now();
        assert_eq!(
            store.authenticate(&HeaderMap::new(), now),
            Err(BearerError::Malformed)
        );
        for token in ["abc", "a.b", "a.b.c", "...", "e30.e30."] {
            assert_eq!(
                store.authenticate(&bearer(token), now),
                Err(BearerError::Malformed),
                "{token}"
            );
        }
        let mut basic = HeaderMap::new();
        basic.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic e30.e30.e30"),
        );
        assert_eq!(store.authenticate(&basic, now), Err(BearerError::Malformed));
    }

    #[test]
    fn authenticate_rejects_unknown() {
        let store = TokenStore::default();
        // `e30` is `{}` in base64url: JWT-shaped, but never issued.
        assert_eq!(
            store.authenticate(&bearer("e30.e30.e30"), Instant::now()),
            Err(BearerError::Unknown)
        );
    }

    #[test]
    fn parses_json_and_form_bodies() {
        let json = br#"{"grant_type":"client_credentials","client_id":"a","client_secret":"b"}"#;
        let from_json = parse_token_request(Some("application/json"), json).unwrap();
        assert_eq!(from_json.client_id, "a");
        let form = b"grant_type=client_credentials&client_id=a&client_secret=b%26c";
        let from_form =
            parse_token_request(Some("application/x-www-form-urlencoded"), form).unwrap();
        assert_eq!(from_form.client_secret, "b&c");
        let sniffed = parse_token_request(None, json).unwrap();
        assert_eq!(sniffed.grant_type, "client_credentials");
    }

    #[test]
    fn missing_fields_are_reported() {
        let no_client = br#"{"grant_type":"client_credentials","client_secret":"b"}"#;
        assert_eq!(
            parse_token_request(Some("application/json"), no_client).unwrap_err(),
            TokenError::UnknownClient
        );
        let no_grant = b"client_id=a&client_secret=b";
        assert!(matches!(
            parse_token_request(None, no_grant),
            Err(TokenError::InvalidRequest(_))
        ));
        assert!(matches!(
            parse_token_request(Some("application/json"), b"[1]"),
            Err(TokenError::InvalidRequest(_))
        ));
    }
}
