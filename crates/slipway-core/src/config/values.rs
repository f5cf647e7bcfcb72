//! Parsers for configuration values: numbers, durations, rates, switches; and URL redaction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("unknown log format {other:?}; expected \"text\" or \"json\"")),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Json => "json",
        })
    }
}

/// What a cron schedule does about due times missed while no node was running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissedRuns {
    /// Run once for all the missed times, then follow the schedule.
    #[default]
    Once,
    /// Run none of them: go on with the next future time.
    Skip,
}

impl MissedRuns {
    /// The policy's name as configured and stored (`once`, `skip`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Skip => "skip",
        }
    }
}

impl FromStr for MissedRuns {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "once" => Ok(Self::Once),
            "skip" => Ok(Self::Skip),
            other => Err(format!("unknown missed-run policy {other:?}; expected \"once\" or \"skip\"")),
        }
    }
}

/// A rate: at most `limit` requests per `period_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed per period.
    pub limit: u32,
    /// The period, in seconds.
    pub period_secs: u64,
}

impl Rate {
    /// `limit` requests per `period_secs`.
    pub const fn new(limit: u32, period_secs: u64) -> Self {
        Self { limit, period_secs }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.limit, render_duration(self.period_secs))
    }
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (limit, period) =
            s.split_once('/').ok_or_else(|| format!("expected LIMIT/PERIOD like 10/10m, got {s:?}"))?;
        let limit: u32 = limit.trim().parse().map_err(|_| format!("rate limit {limit:?} is not a whole number"))?;
        let period_secs = parse_duration_secs(period)?;
        if limit == 0 || period_secs == 0 {
            return Err(format!("rate {s:?} must allow at least one request per non-zero period"));
        }
        Ok(Self { limit, period_secs })
    }
}

/// Parses `900`, `900s`, `15m`, `1h`, `7d` into seconds.
pub fn parse_duration_secs(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().map_err(|_| format!("expected a duration like 900, 15m, 1h or 7d, got {s:?}"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => return Err(format!("unknown duration unit {other:?} in {s:?}; use s, m, h or d")),
    };
    n.checked_mul(factor).ok_or_else(|| format!("duration {s:?} is too large"))
}

/// Renders seconds in the largest whole unit: `600` → `10m`.
pub fn render_duration(secs: u64) -> String {
    match secs {
        0 => "0s".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Parses `on`/`off` (also `true`/`false`, `1`/`0`, `yes`/`no`).
pub fn parse_switch(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        other => Err(format!("expected on or off, got {other:?}")),
    }
}

/// Replaces the password in a URL's user-info part (`scheme://user:pass@host`) with `***`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_owned() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else { return url.to_owned() };
    let userinfo = &authority[..at];
    match userinfo.find(':') {
        Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &userinfo[..colon], &rest[at..]),
        // Redis URLs carry a bare password: redis://:secret@host or redis://secret@host.
        None if url.starts_with("redis") && !userinfo.is_empty() => {
            format!("{}***{}", &url[..scheme_end + 3], &rest[at..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_secs("900"), Ok(900));
        assert_eq!(parse_duration_secs("15m"), Ok(900));
        assert_eq!(parse_duration_secs("1h"), Ok(3600));
        assert_eq!(parse_duration_secs("7d"), Ok(604_800));
        assert!(parse_duration_secs("1w").is_err());
        assert!(parse_duration_secs("soon").is_err());
        assert_eq!(render_duration(600), "10m");
        assert_eq!(render_duration(90), "90s");
    }

    #[test]
    fn rates() {
        assert_eq!("10/10m".parse::<Rate>(), Ok(Rate::new(10, 600)));
        assert_eq!("1000/1h".parse::<Rate>().map(|r| r.to_string()), Ok("1000/1h".to_owned()));
        assert!("0/1h".parse::<Rate>().is_err());
        assert!("ten/1h".parse::<Rate>().is_err());
        assert!("10".parse::<Rate>().is_err());
    }

    #[test]
    fn switches() {
        assert_eq!(parse_switch("off"), Ok(false));
        assert_eq!(parse_switch("ON"), Ok(true));
        assert!(parse_switch("maybe").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://app:hunter2@db:5432/slipway"), "postgres://app:***@db:5432/slipway");
        assert_eq!(redact_url("postgres://app@db/slipway"), "postgres://app@db/slipway");
        assert_eq!(redact_url("sqlite://./data/slipway.db"), "sqlite://./data/slipway.db");
        assert_eq!(redact_url("smtps://mailer:pw@smtp.example:465"), "smtps://mailer:***@smtp.example:465");
        assert_eq!(redact_url("redis://:s3cret@cache:6379/0"), "redis://:***@cache:6379/0");
        assert_eq!(redact_url("redis://s3cret@cache:6379"), "redis://***@cache:6379");
    }
}
