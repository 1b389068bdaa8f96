//! Times as people read them: local time with its zone, and UTC beside it.

/// Formats milliseconds since the epoch as `2026-12-04 16:05:00 EST (21:05:00 UTC)`.
pub fn describe_millis(millis: i64) -> String {
    let Ok(timestamp) = jiff::Timestamp::from_millisecond(millis) else {
        return format!("{millis} ms after the epoch");
    };
    let local = timestamp.to_zoned(jiff::tz::TimeZone::system());
    format!(
        "{} ({} UTC)",
        local.strftime("%Y-%m-%d %H:%M:%S %Z"),
        timestamp.strftime("%H:%M:%S")
    )
}

/// Formats milliseconds since the epoch as RFC 3339 in UTC, for JSON outputs.
pub fn rfc3339_millis(millis: i64) -> String {
    jiff::Timestamp::from_millisecond(millis)
        .map(|timestamp| timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_forms() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00Z");
        assert!(describe_millis(0).ends_with("(00:00:00 UTC)"));
    }
}
