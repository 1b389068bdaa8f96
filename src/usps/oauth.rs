//! OAuth 2.0 client credentials at `/oauth2/v3/token`.

use serde::{Deserialize, Deserializer, Serialize};

/// Body of a token request. USPS accepts it as JSON or form-encoded; the client sends JSON.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenRequest {
    pub grant_type: String,
    pub client_id: String,
    pub client_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    // The secret must never reach a log line, even through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

/// A successful token answer. `issued_at` and `expires_in` arrive as integers in the specs and
/// in live answers, but as strings in the USPS README, so both are accepted.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    #[serde(deserialize_with = "int_or_string")]
    pub expires_in: u64,
    #[serde(
        default,
        deserialize_with = "opt_int_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub issued_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_products: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("api_products", &self.api_products)
            .finish()
    }
}

/// The RFC 6749 error body that the token endpoint answers with, unlike the resource APIs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OAuthError {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
}

fn int_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntOrString {
        Int(u64),
        String(String),
    }
    match IntOrString::deserialize(deserializer)? {
        IntOrString::Int(value) => Ok(value),
        IntOrString::String(text) => text.trim().parse().map_err(serde::de::Error::custom),
    }
}

fn opt_int_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    int_or_string(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_accepts_string_numbers() {
        let body = r#"{"access_token":"a.b.c","token_type":"Bearer",
            "issued_at":"1111111111111","expires_in":"28799"}"#;
        let token: TokenResponse = serde_json::from_str(body).unwrap();
        assert_eq!(token.expires_in, 28799);
        assert_eq!(token.issued_at, Some(1_111_111_111_111));
    }

    #[test]
    fn token_debug_hides_secrets() {
        let request = TokenRequest {
            grant_type: "client_credentials".into(),
            client_id: "id".into(),
            client_secret: "hunter2".into(),
            scope: None,
        };
        assert!(!format!("{request:?}").contains("hunter2"));
    }
}
