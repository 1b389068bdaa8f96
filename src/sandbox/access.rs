//! Per-API access of the sandbox's one client application: which APIs its token grants, and
//! the response to a call of an API the application has no access to.
//!
//! USPS grants APIs by product: a new application gets the "Public Access I" product, and
//! Tracking, Labels and Payments need a service request. The API specs state that a call of
//! an API the application is not authorized for gets a 401 "Unauthorized", so the
//! sandbox responds with a 401 too. A token's `scope` lists only the granted APIs, although USPS
//! tokens have been seen listing `tracking` without the product, so the sandbox enforces
//! access by its configuration, not by the scope.

use std::collections::BTreeSet;

use anyhow::{ensure, Result};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::usps::error::{ErrorDetail, ErrorMessage};

/// The APIs whose access the sandbox controls, by the scope name USPS uses for each, with the base path of
/// its endpoints. Each can be switched off with `disabled_apis`.
pub const APIS: &[(&str, &str)] = &[
    ("addresses", "/addresses/v3/"),
    ("prices", "/prices/v3/"),
    ("international-prices", "/international-prices/v3/"),
    ("service-standards", "/service-standards/v3/"),
    ("shipments", "/shipments/v3/"),
    ("locations", "/locations/v3/"),
    ("tracking", "/tracking/v3"),
    ("labels", "/labels/v3/"),
    ("payments", "/payments/v3/"),
];

/// `error.message` of a call to an API the application has no access to, from the OAuth
/// 3.1.4 spec's `unauthorized_client` example.
pub const NO_ACCESS_MESSAGE: &str = "The client does not have access rights to the content.";

/// Returns the API that serves `path`, by its base path.
pub fn api_of_path(path: &str) -> Option<&'static str> {
    APIS.iter()
        .find(|(_, base)| path.starts_with(base))
        .map(|(api, _)| *api)
}

/// Checks that every name of `disabled` is an API of [`APIS`].
pub fn validate(disabled: &BTreeSet<String>) -> Result<()> {
    for name in disabled {
        ensure!(
            APIS.iter().any(|(api, _)| api == name),
            "unknown sandbox API {name:?} in disabled_apis; use one of: {}",
            APIS.iter()
                .map(|(api, _)| *api)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// Builds the `scope` of a token: every API of [`APIS`] but the disabled ones, separated by
/// spaces as in USPS tokens.
pub fn token_scope(disabled: &BTreeSet<String>) -> String {
    APIS.iter()
        .map(|(api, _)| *api)
        .filter(|api| !disabled.contains(*api))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds the 401 of a call to `path` of `api`, which the application has no access to. The
/// body has the shape of the live USPS 401s: the API's base path as `apiVersion`, and
/// `source` as a string.
pub fn no_access_response(api: &str, path: &str) -> Response {
    let api_version = APIS
        .iter()
        .find(|(name, _)| *name == api)
        .map(|(_, base)| *base)
        .unwrap_or("/");
    let body = ErrorMessage::new(
        api_version,
        401,
        NO_ACCESS_MESSAGE,
        ErrorDetail {
            title: Some("unauthorized_client".to_string()),
            detail: Some(format!(
                "The client application is not authorized to access {path}: its products do not include the {api} API."
            )),
            source: Some(Value::String("Access Token".to_string())),
            ..Default::default()
        },
    );
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            r#"Bearer realm="usps-batch sandbox", error="insufficient_scope""#,
        )],
        Json(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_of_path_uses_base_paths() {
        assert_eq!(api_of_path("/addresses/v3/address"), Some("addresses"));
        assert_eq!(
            api_of_path("/locations/v3/post-office-locations"),
            Some("locations")
        );
        assert_eq!(api_of_path("/tracking/v3r2/tracking"), Some("tracking"));
        assert_eq!(
            api_of_path("/international-prices/v3/base-rates/search"),
            Some("international-prices")
        );
        assert_eq!(api_of_path("/oauth2/v3/token"), None);
    }

    #[test]
    fn scope_leaves_out_disabled_apis() {
        let disabled: BTreeSet<String> = ["locations".to_string()].into();
        let scope = token_scope(&disabled);
        assert!(scope.split(' ').any(|api| api == "addresses"), "{scope}");
        assert!(!scope.split(' ').any(|api| api == "locations"), "{scope}");
    }

    #[test]
    fn validate_rejects_unknown_names() {
        let disabled: BTreeSet<String> = ["label".to_string()].into();
        let error = validate(&disabled).unwrap_err().to_string();
        assert!(error.contains("\"label\""), "{error}");
        assert!(error.contains("labels"), "{error}");
    }
}
