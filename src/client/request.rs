//! One API request as the runner builds it, and its cache key.

use sha2::{Digest, Sha256};

/// HTTP methods the USPS APIs use for batch work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A request to one USPS endpoint. Query values are sent percent-encoded by reqwest, so `#`,
/// `&`, `/` and accents arrive intact.
///
/// A path segment written `{name}`, as in the OpenAPI specs, is a path parameter: it is filled
/// from the query pair `name`, which then stays out of the query string. The quota ledger and
/// the logs record `path` with the placeholder, so they never contain the parameter's value.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiRequest {
    /// API name, used for quota pools and logs (`addresses`).
    pub api: &'static str,
    pub method: Method,
    pub path: &'static str,
    /// Query parameters of a GET, and the path parameters of any request. Other pairs of a
    /// POST carry values that the kind reads back to interpret the answer (a rate-shop
    /// deadline). They never leave the runner and take no part in [`ApiRequest::key`].
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
}

impl ApiRequest {
    /// Builds the HTTP request against `base_url`. reqwest percent-encodes the query values.
    pub fn build(&self, http: &reqwest::Client, base_url: &str) -> reqwest::RequestBuilder {
        let mut path = String::with_capacity(self.path.len());
        for segment in self.path.split('/').skip(1) {
            path.push('/');
            match segment
                .strip_prefix('{')
                .and_then(|name| name.strip_suffix('}'))
            {
                Some(name) => {
                    let value = self.query_value(name).unwrap_or_default();
                    path.push_str(&encode_path_segment(value));
                }
                None => path.push_str(segment),
            }
        }
        let query: Vec<&(&'static str, String)> = self
            .query
            .iter()
            .filter(|(name, _)| !self.is_path_parameter(name))
            .collect();

        let url = format!("{base_url}{path}");
        let builder = match self.method {
            Method::Get => http.get(url).query(&query),
            Method::Post => http.post(url),
        };
        let builder = builder.header(reqwest::header::ACCEPT, "application/json");
        match &self.body {
            Some(body) => builder.json(body),
            None => builder,
        }
    }

    /// Reports whether `name` fills a `{name}` segment of the path.
    fn is_path_parameter(&self, name: &str) -> bool {
        self.path.split('/').any(|segment| {
            segment
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix('}'))
                == Some(name)
        })
    }

    /// Returns the value of the query pair `name`, if the request has one.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
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
        });
        hasher.update(self.path.as_bytes());
        let mut query: Vec<&(&str, String)> = self
            .query
            .iter()
            .filter(|(name, _)| self.method == Method::Get || self.is_path_parameter(name))
            .collect();
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

/// Percent-encodes every byte of `value` outside the unreserved set of RFC 3986, so that it
/// stays one path segment.
fn encode_path_segment(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: Vec<(&'static str, String)>) -> ApiRequest {
        ApiRequest {
            api: "addresses",
            method: Method::Get,
            path: "/addresses/v3/address",
            query,
            body: None,
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
    fn path_parameter_fills_segment() {
        let request = ApiRequest {
            api: "tracking",
            method: Method::Get,
            path: "/tracking/v3/tracking/{trackingNumber}",
            query: vec![
                ("trackingNumber", "9400 1/2".into()),
                ("expand", "DETAIL".into()),
            ],
            body: None,
        };
        let built = request
            .build(&reqwest::Client::new(), "http://127.0.0.1:9")
            .build()
            .unwrap();
        assert_eq!(
            built.url().as_str(),
            "http://127.0.0.1:9/tracking/v3/tracking/9400%201%2F2?expand=DETAIL"
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
