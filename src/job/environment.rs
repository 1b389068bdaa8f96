//! Environments (the server a run calls) and the credentials it calls with.

/// The USPS environment of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// The sandbox, started in-process on loopback with its built-in credentials, unless a
    /// base URL points at one started apart.
    Sandbox { base_url: Option<String> },
    /// The USPS test environment (TEM) or production, or any server named by `--base-url`.
    Remote { name: String, base_url: String },
}

/// Production host; one base host serves both the token and the API calls.
pub const PROD_URL: &str = "https://apis.usps.com";
/// Test environment (TEM) host.
pub const TEM_URL: &str = "https://apis-tem.usps.com";

impl Environment {
    pub fn parse(name: &str, base_url: Option<&str>) -> Result<Environment, String> {
        let base_url = base_url.map(|url| url.trim_end_matches('/').to_string());
        if let Some(url) = &base_url {
            check_base_url(url)?;
        }
        match name {
            "sandbox" => Ok(Environment::Sandbox { base_url }),
            "tem" => Ok(Environment::Remote {
                name: "tem".into(),
                base_url: base_url.unwrap_or_else(|| TEM_URL.into()),
            }),
            "prod" => Ok(Environment::Remote {
                name: "prod".into(),
                base_url: base_url.unwrap_or_else(|| PROD_URL.into()),
            }),
            other => Err(format!(
                "unknown environment {other:?}; use sandbox, tem or prod"
            )),
        }
    }

    /// Returns the environment's name (`sandbox`, `tem` or `prod`), for logs and the first
    /// part of the server key.
    pub fn name(&self) -> &str {
        match self {
            Environment::Sandbox { .. } => "sandbox",
            Environment::Remote { name, .. } => name,
        }
    }
}

/// Checks that `url` is an absolute http or https URL with a host and no user name or
/// password, which would end up in logs and messages.
fn check_base_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|error| {
        format!("invalid base_url {url:?}: {error}; use a URL such as https://apis-tem.usps.com")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
        return Err(format!(
            "invalid base_url {url:?}: use an http or https URL with a host, such as https://apis-tem.usps.com"
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "invalid base_url: it contains a user name or password; USPS takes credentials from USPS_CLIENT_ID and USPS_CLIENT_SECRET, so remove them from the URL".into(),
        );
    }
    Ok(())
}

/// OAuth client credentials. The secret is never printed: `Debug` hides it.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Replaces the client id and secret in `text` with `<redacted>`, as typed and as JSON
    /// escapes them. A server may echo the token request in its error, and such text must not
    /// reach a message, a log or the state file.
    pub fn redact(&self, text: &str) -> String {
        let mut redacted = text.to_string();
        // The secret first: a client id inside the secret would otherwise cut it in two.
        for value in [&self.client_secret, &self.client_id] {
            if value.is_empty() {
                continue;
            }
            let escaped = serde_json::to_string(value).unwrap_or_default();
            let escaped = escaped.trim_matches('"');
            for form in [value.as_str(), escaped] {
                if !form.is_empty() {
                    redacted = redacted.replace(form, "<redacted>");
                }
            }
        }
        redacted
    }

    /// Returns the sandbox's built-in credentials.
    pub fn sandbox() -> Credentials {
        Credentials {
            client_id: crate::sandbox::DEFAULT_CLIENT_ID.into(),
            client_secret: crate::sandbox::DEFAULT_CLIENT_SECRET.into(),
        }
    }

    /// Reads `USPS_CLIENT_ID` and `USPS_CLIENT_SECRET`, failing with a message that names
    /// the missing variables.
    pub fn from_env() -> Result<Credentials, String> {
        let read = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        match (read("USPS_CLIENT_ID"), read("USPS_CLIENT_SECRET")) {
            (Some(client_id), Some(client_secret)) => Ok(Credentials {
                client_id,
                client_secret,
            }),
            (id, secret) => {
                let mut missing = Vec::new();
                if id.is_none() {
                    missing.push("USPS_CLIENT_ID");
                }
                if secret.is_none() {
                    missing.push("USPS_CLIENT_SECRET");
                }
                Err(format!(
                    "missing credentials: set {} to your app's consumer key and secret from the USPS developer portal",
                    missing.join(" and ")
                ))
            }
        }
    }
}
