//! The executors the scenarios run: a no-op, a probe that reports when it starts, and a steady emitter.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use slipway_engine::{Executor, JobContext, JobFailure};
use tokio::sync::mpsc;

/// The instant event timestamps count from (shared by emitter and subscribers in this process).
pub fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Microseconds since [`epoch`].
pub fn micros() -> u64 {
    u64::try_from(epoch().elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Does nothing.
pub struct Noop;

impl Executor for Noop {
    fn kind(&self) -> &'static str {
        "bench.noop"
    }
    async fn run(&self, _ctx: JobContext) -> Result<Value, JobFailure> {
        Ok(Value::Null)
    }
}

/// Reports the instant it starts on a channel, then returns.
pub struct Probe(pub Option<mpsc::UnboundedSender<Instant>>);

impl Executor for Probe {
    fn kind(&self) -> &'static str {
        "bench.probe"
    }
    async fn run(&self, _ctx: JobContext) -> Result<Value, JobFailure> {
        if let Some(tx) = &self.0 {
            let _ = tx.send(Instant::now());
        }
        Ok(Value::Null)
    }
}

/// Emits `input.count` events `tick` at `input.per_sec`, each carrying the microsecond it was emitted.
pub struct Emitter;

impl Executor for Emitter {
    fn kind(&self) -> &'static str {
        "bench.emit"
    }
    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let count = ctx.input()["count"].as_u64().unwrap_or(0);
        let per_sec = ctx.input()["per_sec"].as_u64().unwrap_or(100).max(1);
        let mut ticks = tokio::time::interval(Duration::from_micros(1_000_000 / per_sec));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        for n in 0..count {
            ticks.tick().await;
            ctx.emit("tick", json!({ "n": n, "t_us": micros() }))
                .await
                .map_err(|e| JobFailure::fatal(e.to_string()))?;
        }
        Ok(json!({ "emitted": count }))
    }
}
