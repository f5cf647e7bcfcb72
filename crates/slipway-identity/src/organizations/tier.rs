//! An organization's tier: what it names, the quotas an organization of that tier starts with, and the tier
//! that applies to a user (the highest of their active organizations), cached briefly per user so the rate
//! limiter can ask on every request.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use slipway_store::identity::NewQuota;

/// How long a user's tier is remembered on this node (changes made here clear it at once).
pub const TIER_TTL: Duration = Duration::from_secs(30);

/// An organization's plan, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The free plan.
    Free,
    /// The paid plan.
    Professional,
    /// The enterprise plan.
    Enterprise,
}

impl Tier {
    /// Every tier.
    pub const ALL: [Self; 3] = [Self::Free, Self::Professional, Self::Enterprise];

    /// The tier as stored and rendered.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Professional => "professional",
            Self::Enterprise => "enterprise",
        }
    }

    /// The quota rows an organization of this tier starts with; the monthly ones reset at the start of the
    /// month after `now`.
    pub fn default_quotas(self, now: DateTime<Utc>) -> Vec<NewQuota> {
        const GIB: i64 = 1024 * 1024 * 1024;
        let (projects, api_calls, llm_tokens, storage, runs) = match self {
            Self::Free => (10, 10_000, 1_000_000, GIB, 1),
            Self::Professional => (100, 1_000_000, 10_000_000, 10 * GIB, 5),
            Self::Enterprise => (1_000, 10_000_000, 100_000_000, 100 * GIB, 20),
        };
        let monthly = Some(next_month(now));
        vec![
            NewQuota { resource_type: "projects", limit: projects, reset_at: None },
            NewQuota { resource_type: "api_calls", limit: api_calls, reset_at: monthly },
            NewQuota { resource_type: "llm_tokens", limit: llm_tokens, reset_at: monthly },
            NewQuota { resource_type: "storage_bytes", limit: storage, reset_at: None },
            NewQuota { resource_type: "concurrent_runs", limit: runs, reset_at: None },
        ]
    }
}

/// Midnight UTC on the first day of the month after `now`.
pub fn next_month(now: DateTime<Utc>) -> DateTime<Utc> {
    let (y, m) = if now.month() == 12 { (now.year() + 1, 1) } else { (now.year(), now.month() + 1) };
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(now)
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| format!("unknown tier {s:?}"))
    }
}

/// Users' tiers as last read, with when.
#[derive(Debug, Default)]
pub(crate) struct TierCache(Mutex<HashMap<i64, (Option<Tier>, Instant)>>);

impl TierCache {
    /// The remembered tier of `user_id`, while fresh.
    pub(crate) fn get(&self, user_id: i64) -> Option<Option<Tier>> {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&user_id).filter(|(_, at)| at.elapsed() < TIER_TTL).map(|(t, _)| *t)
    }

    /// Remembers the tier of `user_id`, dropping stale entries now and then so the map stays small.
    pub(crate) fn put(&self, user_id: i64, tier: Option<Tier>) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= 10_000 {
            map.retain(|_, (_, at)| at.elapsed() < TIER_TTL);
        }
        map.insert(user_id, (tier, Instant::now()));
    }

    /// Forgets every tier (a membership or a tier changed).
    pub(crate) fn clear(&self) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_parse_order_and_reset_monthly() {
        assert_eq!("professional".parse::<Tier>(), Ok(Tier::Professional));
        assert!("gold".parse::<Tier>().is_err());
        assert!(Tier::Free < Tier::Professional && Tier::Professional < Tier::Enterprise);
        let dec = Utc.with_ymd_and_hms(2025, 12, 14, 10, 0, 0).single().unwrap_or_default();
        assert_eq!(next_month(dec).to_rfc3339(), "2026-01-01T00:00:00+00:00");
        let q = Tier::Professional.default_quotas(dec);
        assert_eq!(
            q.iter().map(|q| q.resource_type).collect::<Vec<_>>(),
            ["projects", "api_calls", "llm_tokens", "storage_bytes", "concurrent_runs"]
        );
        assert_eq!((q[0].limit, q[0].reset_at, q[1].reset_at), (100, None, Some(next_month(dec))));
    }

    #[test]
    fn the_cache_forgets_on_clear() {
        let c = TierCache::default();
        assert_eq!(c.get(1), None);
        c.put(1, Some(Tier::Enterprise));
        c.put(2, None);
        assert_eq!((c.get(1), c.get(2)), (Some(Some(Tier::Enterprise)), Some(None)));
        c.clear();
        assert_eq!(c.get(1), None);
    }
}
