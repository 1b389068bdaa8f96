//! Call quotas written as a count per period: `60/h`, `1000/d`, `20/5s`, or `unlimited`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A number of calls allowed in any window of `period`. `None` means no limit, which is only
/// useful against the sandbox (benchmarks and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: Option<QuotaLimit>,
}

/// The count and the window of a limited quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLimit {
    pub calls: u32,
    pub period: Duration,
}

impl Quota {
    /// The quota of a new USPS app: 60 calls per hour.
    pub const USPS_DEFAULT: Quota = Quota {
        limit: Some(QuotaLimit {
            calls: 60,
            period: Duration::from_secs(3600),
        }),
    };

    pub const UNLIMITED: Quota = Quota { limit: None };

    pub fn new(calls: u32, period: Duration) -> Quota {
        Quota {
            limit: Some(QuotaLimit { calls, period }),
        }
    }
}

impl Default for Quota {
    fn default() -> Self {
        Quota::USPS_DEFAULT
    }
}

/// Error for a quota that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid quota {value:?}: {reason}; write a count per period such as 60/h, 1000/d or 20/5s, or unlimited")]
pub struct QuotaParseError {
    pub value: String,
    pub reason: &'static str,
}

impl FromStr for Quota {
    type Err = QuotaParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason| QuotaParseError {
            value: text.to_string(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case("unlimited") {
            return Ok(Quota::UNLIMITED);
        }
        let (count, period) = trimmed.split_once('/').ok_or_else(|| error("no '/'"))?;
        let calls: u32 = count
            .trim()
            .parse()
            .map_err(|_| error("the count is not a whole number"))?;
        if calls == 0 {
            return Err(error("the count must be at least 1"));
        }
        let period = parse_duration(period.trim()).map_err(error)?;
        if period.is_zero() {
            return Err(error("the period must be longer than zero"));
        }
        Ok(Quota::new(calls, period))
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit {
            None => write!(f, "unlimited"),
            Some(limit) => write!(f, "{}/{}", limit.calls, format_duration(limit.period)),
        }
    }
}

/// Parses a duration written as a number and a unit (`ms`, `s`, `m`, `h`, `d`); a bare unit
/// means one of it (`h` is one hour), and a bare number means seconds.
pub fn parse_duration(text: &str) -> Result<Duration, &'static str> {
    let text = text.trim();
    if text.starts_with('-') {
        return Err("the duration must not be negative");
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let amount: f64 = if number.is_empty() {
        1.0
    } else {
        number.parse().map_err(|_| "the number does not parse")?
    };
    let unit_seconds = match unit.trim() {
        "ms" => 0.001,
        "" | "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" | "hour" => 3600.0,
        "d" | "day" => 86400.0,
        _ => return Err("the unit is not one of ms, s, m, h, d"),
    };
    let seconds = amount * unit_seconds;
    if !seconds.is_finite() || seconds > 10.0 * 365.0 * 86_400.0 {
        return Err("the duration is longer than ten years");
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Writes a duration in the shortest unit form that [`parse_duration`] reads back.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    for (unit, size) in [
        ("d", 86_400_000u128),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if millis >= size && millis.is_multiple_of(size) {
            let count = millis / size;
            return if count == 1 && unit != "s" {
                unit.to_string()
            } else {
                format!("{count}{unit}")
            };
        }
    }
    format!("{millis}ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_forms() {
        assert_eq!("60/h".parse::<Quota>().unwrap(), Quota::USPS_DEFAULT);
        assert_eq!(
            "1000/d".parse::<Quota>().unwrap(),
            Quota::new(1000, Duration::from_secs(86400))
        );
        assert_eq!(
            "20/5s".parse::<Quota>().unwrap(),
            Quota::new(20, Duration::from_secs(5))
        );
        assert_eq!("unlimited".parse::<Quota>().unwrap(), Quota::UNLIMITED);
    }

    #[test]
    fn rejects_bad_quotas() {
        assert!("60".parse::<Quota>().is_err());
        assert!("0/h".parse::<Quota>().is_err());
        assert!("x/h".parse::<Quota>().is_err());
        assert!("60/fortnight".parse::<Quota>().is_err());
        assert!("5/0s".parse::<Quota>().is_err());
        assert!("5/0".parse::<Quota>().is_err());
    }

    #[test]
    fn display_round_trips() {
        for text in ["60/h", "1000/d", "20/5s", "unlimited", "5/250ms", "100/90m"] {
            let quota: Quota = text.parse().unwrap();
            assert_eq!(quota.to_string(), text);
        }
    }
}
