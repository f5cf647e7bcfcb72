//! Counters in Redis, shared by every node: one key per bucket, caller and window, incremented and given an
//! expiry in one atomic transaction.

use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use slipway_core::probe::{Probe, ProbeFuture};

/// How long the probe waits for Redis.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Window counters in Redis.
#[derive(Clone)]
pub struct RedisCounters {
    conn: ConnectionManager,
}

impl RedisCounters {
    /// Connects (and reconnects on its own after failures).
    pub async fn connect(url: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        Ok(Self { conn: client.get_connection_manager().await? })
    }

    /// Adds one to the counter of `key` in `bucket` for window `n`; returns the new count.
    pub async fn increment(&self, bucket: &str, key: &str, n: i64, period_secs: u64) -> redis::RedisResult<u64> {
        let id = format!("slipway:rl:{bucket}:{key}:{n}");
        let ttl = i64::try_from(period_secs).unwrap_or(i64::MAX).saturating_add(5);
        let mut conn = self.conn.clone();
        let (count, _): (u64, i64) =
            redis::pipe().atomic().incr(&id, 1u64).expire(&id, ttl).query_async(&mut conn).await?;
        Ok(count)
    }
}

/// Redis as a health probe (where the counters live in it): a `PING` round trip.
impl Probe for RedisCounters {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn check(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            let started = Instant::now();
            let mut conn = self.conn.clone();
            let cmd = redis::cmd("PING");
            let ping = cmd.query_async::<String>(&mut conn);
            match tokio::time::timeout(PROBE_TIMEOUT, ping).await {
                Ok(Ok(_)) => Ok(started.elapsed()),
                Ok(Err(e)) => Err(format!("redis did not answer PING: {e}")),
                Err(_) => Err(format!("redis did not answer within {PROBE_TIMEOUT:?}")),
            }
        })
    }
}
