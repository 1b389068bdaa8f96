//! One API request as the runner builds it, and its cache key.

use sha2::{Digest, Sha256};

/// HTTP methods the USPS APIs use for batch work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

/// A request to one USPS endpoint. Query values are sent percent-encoded by reqwest, so `#`,
/// `&`, `/` and accents arrive intact.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    /// API name, used for quota pools and logs (`addresses`).
    pub api: &'static str,
    pub method: Method,
    /// The endpoint's path, or for a path with a parameter (`/labels/v3/label/{trackingNumber}`)
    /// the template, which names the endpoint in logs and the quota ledger.
    pub path: &'static str,
    /// The path to send when it differs from `path`, with its parameter filled in.
    pub path_filled: Option<String>,
    /// Query parameters of a GET. A POST sends its body only: its query carries values that
    /// the kind reads back to interpret the answer (a rate-shop deadline). They never leave
    /// the runner and take no part in [`ApiRequest::key`].
    pub query: Vec<(&'static str, String)>,
    /// Extra headers, such as `X-Idempotency-Key`. They are not part of [`ApiRequest::key`].
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
    /// Stem of the files that the response produces (label images), from the row's id. Never
    /// sent.
    pub file_stem: Option<String>,
}

impl ApiRequest {
    /// Builds the HTTP request against `base_url`. reqwest percent-encodes the query values.
    pub fn build(&self, http: &reqwest::Client, base_url: &str) -> reqwest::RequestBuilder {
        let path = self.path_filled.as_deref().unwrap_or(self.path);
        let url = format!("{base_url}{path}");
        let builder = match self.method {
            Method::Get => http.get(url).query(&self.query),
            Method::Post => http.post(url),
            Method::Delete => http.delete(url).query(&self.query),
        };
        let mut builder = builder.header(reqwest::header::ACCEPT, "application/json");
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        match &self.body {
            Some(body) => builder.json(body),
            None => builder,
        }
    }

    /// Hashes the request into the key used for the cache and for sharing one answer among
    /// identical rows. The request's values are already normalized by the job kind, so equal
    /// keys mean equal requests as sent. Rows whose POSTs differ only in their query share
    /// one answer, and each is interpreted with its own request.
    pub fn key(&self) -> [u8; 16] {
        let mut hasher = Sha256::new();
        hasher.update(match self.method {
            Method::Get => b"GET ".as_slice(),
            Method::Post => b"POST ".as_slice(),
            Method::Delete => b"DELETE ".as_slice(),
        });
        hasher.update(self.path_filled.as_deref().unwrap_or(self.path).as_bytes());
        let sent_query: &[(&str, String)] = match self.method {
            Method::Get | Method::Delete => &self.query,
            Method::Post => &[],
        };
        let mut query: Vec<&(&str, String)> = sent_query.iter().collect();
        query.sort();
        for (name, value) in query {
            hasher.update([0u8]);
            hasher.update(name.as_bytes());
            hasher.update([1u8]);
            hasher.update(value.as_bytes());
        }
        if let Some(body) = &self.body {
            hasher.update([2u8]);
            hasher.update(body.to_string().as_bytes());
        }
        let digest = hasher.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: Vec<(&'static str, String)>) -> ApiRequest {
        ApiRequest {
            api: "addresses",
            method: Method::Get,
            path: "/addresses/v3/address",
            path_filled: None,
            query,
            headers: Vec::new(),
            body: None,
            file_stem: None,
        }
    }

    #[test]
    fn key_ignores_query_order() {
        let first = request(vec![("state", "IL".into()), ("city", "SPRINGFIELD".into())]);
        let second = request(vec![("city", "SPRINGFIELD".into()), ("state", "IL".into())]);
        assert_eq!(first.key(), second.key());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        let request = request(vec![
            ("streetAddress", "1400 ELM ST # 326".into()),
            ("secondaryAddress", "4TH & WALNUT".into()),
            ("city", "MAYAGÜEZ".into()),
            ("firm", "A/B ½".into()),
        ]);
        let built = request
            .build(&reqwest::Client::new(), "http://127.0.0.1:9")
            .build()
            .unwrap();
        assert_eq!(
            built.url().as_str(),
            "http://127.0.0.1:9/addresses/v3/address?streetAddress=1400+ELM+ST+%23+326\
             &secondaryAddress=4TH+%26+WALNUT&city=MAYAG%C3%9CEZ&firm=A%2FB+%C2%BD"
        );
    }

    #[test]
    fn post_query_is_not_in_key() {
        let post = |query: Vec<(&'static str, String)>| ApiRequest {
            api: "shipments",
            method: Method::Post,
            path: "/shipments/v3/options/search",
            query,
            body: Some(serde_json::json!({"originZIPCode": "10001"})),
            path_filled: None,
            headers: Vec::new(),
            file_stem: None,
        };
        let first = post(vec![("deliverBy", "2026-03-12".into())]);
        let second = post(Vec::new());
        assert_eq!(first.key(), second.key());
        let built = first
            .build(&reqwest::Client::new(), "http://127.0.0.1:9")
            .build()
            .unwrap();
        assert_eq!(built.url().query(), None);
    }

    #[test]
    fn key_separates_values() {
        let first = request(vec![("streetAddress", "1 A".into()), ("city", "B".into())]);
        let second = request(vec![("streetAddress", "1".into()), ("city", "A B".into())]);
        assert_ne!(first.key(), second.key());
    }
}
