//! Error bodies of the USPS APIs, and a parser that accepts every shape met in the wild.

use serde::{Deserialize, Serialize};

/// The standard error body (`ErrorMessage` in every resource spec).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    pub error: ErrorBody,
}

/// The `error` object of [`ErrorMessage`]. `code` is the HTTP status as a string.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub errors: Vec<ErrorDetail>,
}

/// One entry of `error.errors`. `code` is the six-digit code of the USPS error inventory,
/// such as `010003`. `source` is an object in the spec but arrived as a plain string in a live
/// 401, so it is kept as raw JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ErrorDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<serde_json::Value>,
}

impl ErrorMessage {
    /// Builds the standard body for `status`, with one detail entry.
    pub fn new(api_version: &str, status: u16, message: &str, detail: ErrorDetail) -> Self {
        ErrorMessage {
            api_version: Some(api_version.to_string()),
            error: ErrorBody {
                code: status.to_string(),
                message: message.to_string(),
                errors: vec![detail],
            },
        }
    }
}

/// An error response reduced to what a row report needs, whatever shape the body had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: u16,
    /// The most specific code found: the inventory code of the first detail, the gateway's
    /// `errorcode`, the OAuth `error`, or the HTTP status.
    pub code: String,
    /// A human-readable message built from the body; never empty.
    pub message: String,
    /// Title of the first detail (for example `invalid_token`), if any.
    pub title: Option<String>,
}

/// Apigee gateway fault, seen for schema violations and some OAuth failures.
#[derive(Deserialize)]
struct GatewayFault {
    fault: GatewayFaultBody,
}

#[derive(Deserialize)]
struct GatewayFaultBody {
    #[serde(default)]
    faultstring: String,
    #[serde(default)]
    detail: Option<GatewayFaultDetail>,
}

#[derive(Deserialize)]
struct GatewayFaultDetail {
    #[serde(default)]
    errorcode: Option<String>,
}

/// Parses an error response of any shape: the standard body, a gateway fault, an OAuth error,
/// other JSON, plain text or nothing. It never fails, so a strange body cannot stop a run.
pub fn parse_error(status: u16, body: &str) -> ApiError {
    let fallback_message = || {
        let text = body.trim();
        if text.is_empty() {
            format!("HTTP {status} with an empty body")
        } else {
            truncate(text, 300)
        }
    };

    if let Ok(standard) = serde_json::from_str::<ErrorMessage>(body) {
        let first = standard.error.errors.first();
        let code = first
            .and_then(|detail| detail.code.clone())
            .filter(|code| !code.is_empty())
            .unwrap_or_else(|| {
                if standard.error.code.is_empty() {
                    status.to_string()
                } else {
                    standard.error.code.clone()
                }
            });
        let mut parts: Vec<&str> = Vec::new();
        if !standard.error.message.is_empty() {
            parts.push(&standard.error.message);
        }
        if let Some(detail) = first.and_then(|detail| detail.detail.as_deref()) {
            if !detail.is_empty() && !parts.contains(&detail) {
                parts.push(detail);
            }
        }
        // Some errors carry only a title, such as `invalid_token` on a 401.
        if parts.is_empty() {
            if let Some(title) = first.and_then(|detail| detail.title.as_deref()) {
                if !title.is_empty() {
                    parts.push(title);
                }
            }
        }
        let message = match parts.as_slice() {
            [] => format!("HTTP {status} with an empty error message"),
            [only] => only.to_string(),
            // "Invalid State Code." and a detail read as two sentences, not "Code.: detail".
            [first, rest @ ..] if first.ends_with('.') => format!("{first} {}", rest.join(" ")),
            _ => parts.join(": "),
        };
        return ApiError {
            status,
            code,
            message,
            title: first.and_then(|detail| detail.title.clone()),
        };
    }

    if let Ok(fault) = serde_json::from_str::<GatewayFault>(body) {
        let code = fault
            .fault
            .detail
            .and_then(|detail| detail.errorcode)
            .unwrap_or_else(|| status.to_string());
        let message = if fault.fault.faultstring.is_empty() {
            fallback_message()
        } else {
            fault.fault.faultstring
        };
        return ApiError {
            status,
            code,
            message,
            title: None,
        };
    }

    if let Ok(oauth) = serde_json::from_str::<super::oauth::OAuthError>(body) {
        let message = oauth
            .error_description
            .clone()
            .filter(|text| !text.is_empty())
            .unwrap_or_else(|| oauth.error.clone());
        return ApiError {
            status,
            code: oauth.error.clone(),
            message,
            title: Some(oauth.error),
        };
    }

    ApiError {
        status,
        code: status.to_string(),
        message: fallback_message(),
        title: None,
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_standard_body_with_inventory_code() {
        let body = r#"{"apiVersion":"/addresses/v3/","error":{"code":"400",
            "message":"Invalid State Code.","errors":[{"status":"400","code":"010003",
            "title":"Invalid State Code","detail":"The state code is invalid."}]}}"#;
        let error = parse_error(400, body);
        assert_eq!(error.code, "010003");
        assert_eq!(
            error.message,
            "Invalid State Code. The state code is invalid."
        );
        assert_eq!(error.title.as_deref(), Some("Invalid State Code"));
    }

    #[test]
    fn parses_empty_401() {
        let body =
            r#"{"apiVersion":"/addresses/v3/","error":{"code":"401","message":"","errors":[]}}"#;
        let error = parse_error(401, body);
        assert_eq!(error.code, "401");
        assert_eq!(error.message, "HTTP 401 with an empty error message");
    }

    #[test]
    fn title_alone_becomes_message() {
        let body = r#"{"error":{"errors":[{"title":"invalid_token"}]}}"#;
        let error = parse_error(401, body);
        assert_eq!(error.message, "invalid_token");
    }

    #[test]
    fn parses_string_source() {
        let body = r#"{"error":{"code":"401","message":"Missing or malformed access token.",
            "errors":[{"title":"invalid_token","detail":"not a JWT","source":"Access Token"}]}}"#;
        let error = parse_error(401, body);
        assert_eq!(error.title.as_deref(), Some("invalid_token"));
    }

    #[test]
    fn parses_gateway_fault() {
        let body = r#"{"fault":{"faultstring":"OpenAPI validation failed","detail":{"errorcode":"steps.oas.RequestMessageInvalid"}}}"#;
        let error = parse_error(400, body);
        assert_eq!(error.code, "steps.oas.RequestMessageInvalid");
        assert_eq!(error.message, "OpenAPI validation failed");
    }

    #[test]
    fn parses_plain_text_and_empty() {
        assert_eq!(
            parse_error(500, "There was an internal server error.").message,
            "There was an internal server error."
        );
        assert_eq!(parse_error(502, "").message, "HTTP 502 with an empty body");
        assert_eq!(parse_error(500, "[1,2").code, "500");
    }

    #[test]
    fn parses_oauth_error() {
        let body =
            r#"{"error":"invalid_client","error_description":"Client authentication failed."}"#;
        let error = parse_error(401, body);
        assert_eq!(error.code, "invalid_client");
        assert_eq!(error.message, "Client authentication failed.");
    }
}
