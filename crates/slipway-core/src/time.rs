//! Time helpers: every timestamp is UTC and rendered as RFC 3339 with `Z`.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

/// The current time in UTC, truncated to microseconds so it survives a round trip through either database.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Renders a timestamp as the documents do: `2025-11-14T10:30:00Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The current time, rendered with [`rfc3339`].
pub fn now_rfc3339() -> String {
    rfc3339(now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_utc_with_z() {
        let t = DateTime::parse_from_rfc3339("2025-11-14T10:30:00.123+00:00").unwrap().with_timezone(&Utc);
        assert_eq!(rfc3339(t), "2025-11-14T10:30:00Z");
    }
}
