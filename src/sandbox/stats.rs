//! Counters of the requests the sandbox received, for tests and benchmarks to check how a
//! runner used its quota.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// Counters since the sandbox started, as served at `GET /__sandbox/stats`.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Requests per path, whatever their outcome. Token requests count under `/oauth2/v3/token`.
    pub requests: BTreeMap<String, u64>,
    /// Responses per HTTP status, such as `"200"` or `"429"`. Dropped connections have none.
    pub responses: BTreeMap<String, u64>,
    /// 429 responses sent, to token and API requests.
    pub rate_limited: u64,
    /// API requests identical to an earlier one that got a final response: same method,
    /// path, decoded query (in any order) and client, where final means a 2xx or a 4xx other
    /// than 401 and 429. A runner that caches responses keeps this at zero. Always zero when
    /// the sandbox was configured not to record repeats.
    pub repeated_requests: u64,
    pub tokens_issued: u64,
    /// API requests cut off by the `drop_rate` or `label_drop_rate` fault.
    #[serde(default)]
    pub dropped: u64,
    /// Label counters and running postage total per payer account number.
    #[serde(default)]
    pub labels: BTreeMap<String, super::labels::LabelAccountStats>,
}

/// The live counters behind [`StatsSnapshot`].
pub(crate) struct StatsRecorder {
    inner: Mutex<Recorded>,
    record_repeats: bool,
}

#[derive(Default)]
struct Recorded {
    snapshot: StatsSnapshot,
    /// SHA-256 prefixes of the identities of requests that got a final response. 128 bits keep
    /// the chance of a false repeat negligible at any realistic request count.
    finished: HashSet<u128>,
}

/// The identity of an API request, by which repeats are recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestIdentity(u128);

impl RequestIdentity {
    /// Builds the identity of a request from its parts. The query pairs are sorted, so the
    /// order of parameters does not matter.
    pub fn new(method: &str, path: &str, query: &[(String, String)], client_id: &str) -> Self {
        let mut sorted: Vec<&(String, String)> = query.iter().collect();
        sorted.sort();
        let mut hasher = Sha256::new();
        // Each part is length-prefixed so that no two different requests hash the same bytes.
        let mut feed = |part: &str| {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        };
        feed(method);
        feed(path);
        feed(client_id);
        for (key, value) in sorted {
            feed(key);
            feed(value);
        }
        let digest = hasher.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        RequestIdentity(u128::from_be_bytes(first))
    }
}

impl StatsRecorder {
    /// Builds a recorder that counts repeated requests only if `record_repeats` is set.
    pub fn new(record_repeats: bool) -> StatsRecorder {
        StatsRecorder {
            inner: Mutex::default(),
            record_repeats,
        }
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        self.lock().snapshot.clone()
    }

    pub fn count_request(&self, path: &str) {
        *self
            .lock()
            .snapshot
            .requests
            .entry(path.to_string())
            .or_default() += 1;
    }

    /// Counts the request as repeated if an identical one got a final response before, and
    /// returns whether it did.
    pub fn check_repeat(&self, identity: RequestIdentity) -> bool {
        let mut recorded = self.lock();
        let repeated = recorded.finished.contains(&identity.0);
        if repeated {
            recorded.snapshot.repeated_requests += 1;
        }
        repeated
    }

    /// Counts a response with `status`. A final response to an API request also records the
    /// request's identity for [`StatsRecorder::check_repeat`].
    pub fn record_response(&self, status: u16, identity: Option<RequestIdentity>) {
        let mut recorded = self.lock();
        *recorded
            .snapshot
            .responses
            .entry(status.to_string())
            .or_default() += 1;
        if status == 429 {
            recorded.snapshot.rate_limited += 1;
        }
        // 401 and 429 invite the client to try again, so a retry after them is no repeat.
        let is_final = (200..300).contains(&status)
            || ((400..500).contains(&status) && status != 401 && status != 429);
        if let Some(identity) = identity.filter(|_| is_final && self.record_repeats) {
            recorded.finished.insert(identity.0);
        }
    }

    pub fn record_drop(&self) {
        self.lock().snapshot.dropped += 1;
    }

    pub fn record_token_issued(&self) {
        self.lock().snapshot.tokens_issued += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn identity_ignores_parameter_order() {
        let forward = RequestIdentity::new("GET", "/a", &query(&[("x", "1"), ("y", "2")]), "c");
        let backward = RequestIdentity::new("GET", "/a", &query(&[("y", "2"), ("x", "1")]), "c");
        assert_eq!(forward, backward);
    }

    #[test]
    fn identity_separates_parts() {
        let base = RequestIdentity::new("GET", "/a", &query(&[("x", "1")]), "c");
        assert_ne!(
            base,
            RequestIdentity::new("GET", "/a", &query(&[("x", "2")]), "c")
        );
        assert_ne!(
            base,
            RequestIdentity::new("GET", "/b", &query(&[("x", "1")]), "c")
        );
        assert_ne!(
            base,
            RequestIdentity::new("GET", "/a", &query(&[("x", "1")]), "d")
        );
        assert_ne!(
            RequestIdentity::new("GET", "/a", &query(&[("ab", "c")]), "c"),
            RequestIdentity::new("GET", "/a", &query(&[("a", "bc")]), "c")
        );
    }

    #[test]
    fn repeats_count_after_final_responses() {
        let recorder = StatsRecorder::new(true);
        let identity = RequestIdentity::new("GET", "/a", &[], "c");
        assert!(!recorder.check_repeat(identity));
        recorder.record_response(429, Some(identity));
        assert!(!recorder.check_repeat(identity));
        recorder.record_response(401, Some(identity));
        assert!(!recorder.check_repeat(identity));
        recorder.record_response(503, Some(identity));
        assert!(!recorder.check_repeat(identity));
        recorder.record_response(404, Some(identity));
        assert!(recorder.check_repeat(identity));
        let snapshot = recorder.snapshot();
        assert_eq!(snapshot.repeated_requests, 1);
        assert_eq!(snapshot.rate_limited, 1);
        assert_eq!(snapshot.responses["404"], 1);
    }

    #[test]
    fn repeats_off_records_nothing() {
        let recorder = StatsRecorder::new(false);
        let identity = RequestIdentity::new("GET", "/a", &[], "c");
        recorder.record_response(200, Some(identity));
        assert!(!recorder.check_repeat(identity));
        assert!(recorder.lock().finished.is_empty());
        assert_eq!(recorder.snapshot().responses["200"], 1);
    }
}
