//! Fixed-window rate limits: counters in this process by default, in Redis when configured so every node
//! shares them. A window's counter is keyed by bucket, caller and window number; its end is `reset_at`.

mod memory;
mod redis;

use std::sync::Arc;

use slipway_core::Error;
use slipway_core::config::{Rate, RateLimitConfig, redact_url};

pub use self::memory::MemoryCounters;
pub use self::redis::RedisCounters;

/// The outcome of one counted request, with what the `X-RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// The limit of the window.
    pub limit: u32,
    /// Requests left in the window.
    pub remaining: u32,
    /// When the window ends, seconds since the epoch.
    pub reset_at: i64,
    /// Seconds until a refused caller may try again.
    pub retry_after_secs: u64,
}

impl Decision {
    fn from_count(count: u64, rate: Rate, window_end: i64, now: i64) -> Self {
        let limit = u64::from(rate.limit);
        Self {
            allowed: count <= limit,
            limit: rate.limit,
            remaining: u32::try_from(limit.saturating_sub(count)).unwrap_or(0),
            reset_at: window_end,
            retry_after_secs: u64::try_from(window_end - now).unwrap_or(0).max(1),
        }
    }
}

/// The window a moment falls in: its number and its end.
fn window(rate: Rate, now: i64) -> (i64, i64) {
    let period = i64::try_from(rate.period_secs).unwrap_or(i64::MAX).max(1);
    let n = now.div_euclid(period);
    (n, (n + 1).saturating_mul(period))
}

/// Where counters live.
#[derive(Clone)]
pub enum RateLimiter {
    /// Limits are switched off.
    Off,
    /// Counters in this process.
    Memory(Arc<MemoryCounters>),
    /// Counters shared through Redis.
    Redis(RedisCounters),
}

impl RateLimiter {
    /// The limiter the configuration asks for; connects to Redis when a URL is set.
    pub async fn from_config(cfg: &RateLimitConfig) -> Result<Self, Error> {
        if !cfg.enabled {
            return Ok(Self::Off);
        }
        match &cfg.redis_url {
            Some(url) => RedisCounters::connect(url)
                .await
                .map(Self::Redis)
                .map_err(|e| Error::Unavailable(format!("redis {}: {e}", redact_url(url)))),
            None => Ok(Self::Memory(Arc::new(MemoryCounters::default()))),
        }
    }

    /// Redis as a health probe, when the counters live there.
    pub fn probe(&self) -> Option<Arc<dyn slipway_core::probe::Probe>> {
        match self {
            Self::Redis(r) => Some(Arc::new(r.clone())),
            Self::Off | Self::Memory(_) => None,
        }
    }

    /// Whether limits apply at all.
    pub fn is_enabled(&self) -> bool {
        !matches!(self, Self::Off)
    }

    /// Counts one request of `key` in `bucket` against `rate`; `None` when limits are off.
    pub async fn hit(&self, bucket: &str, key: &str, rate: Rate, now: i64) -> Option<Decision> {
        let (n, end) = window(rate, now);
        let count = match self {
            Self::Off => return None,
            Self::Memory(m) => m.increment(bucket, key, n, end, now),
            Self::Redis(r) => match r.increment(bucket, key, n, rate.period_secs).await {
                Ok(c) => c,
                Err(e) => {
                    // Shared counters are unreachable: serve rather than refuse everyone.
                    tracing::warn!(error = %e, "rate limit counters unavailable; request allowed");
                    return None;
                }
            },
        };
        Some(Decision::from_count(count, rate, end, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_to_the_limit_then_refuses_until_the_window_ends() {
        let limiter = RateLimiter::Memory(Arc::default());
        let rate = Rate::new(3, 60);
        let now = 1_700_000_010;
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(limiter.hit("login", "10.0.0.1", rate, now).await.unwrap());
        }
        assert_eq!(seen.iter().map(|d| d.remaining).collect::<Vec<_>>(), [2, 1, 0, 0]);
        assert!(seen[2].allowed && !seen[3].allowed);
        assert_eq!(seen[3].reset_at, 1_700_000_040);
        assert_eq!(seen[3].retry_after_secs, 30);
        assert!(limiter.hit("login", "10.0.0.2", rate, now).await.unwrap().allowed, "callers are counted apart");
        assert!(limiter.hit("register", "10.0.0.1", rate, now).await.unwrap().allowed, "buckets are counted apart");
        assert!(limiter.hit("login", "10.0.0.1", rate, 1_700_000_040).await.unwrap().allowed, "a new window");
    }

    #[tokio::test]
    async fn off_decides_nothing() {
        assert_eq!(RateLimiter::Off.hit("login", "k", Rate::new(1, 1), 0).await, None);
        let off = RateLimitConfig { enabled: false, ..Default::default() };
        assert!(!RateLimiter::from_config(&off).await.unwrap().is_enabled());
    }
}
