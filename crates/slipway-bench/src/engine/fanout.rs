//! `fanout`: many subscribers on one job that emits events at a steady rate; delivery latency (emit → the
//! subscriber has it) and the memory a subscription costs (its stream plus the task that polls it, as an SSE
//! response would be).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use slipway_engine::EnqueueOptions;
use slipway_store::Db;

use super::{EngineRow, admin, executors};
use crate::cli::EngineArgs;
use crate::rss;
use crate::stats::{Tally, round};

/// Time the subscribers get to attach before the job starts emitting.
const ATTACH: Duration = Duration::from_secs(5);

pub async fn run(db: &Db, args: &EngineArgs) -> anyhow::Result<EngineRow> {
    let dir = tempfile::tempdir()?;
    let engine =
        super::start(db, super::settings(args, dir.path(), usize::from(args.workers)), executors::Probe(None)).await?;
    executors::epoch();
    let count = (args.duration.as_secs_f64() * f64::from(args.events_per_sec)).round() as u64;
    let input = json!({ "count": count, "per_sec": args.events_per_sec });
    let start_at = slipway_core::time::now() + chrono::Duration::from_std(ATTACH)?;
    let options = EnqueueOptions { scheduled_for: Some(start_at), ..EnqueueOptions::default() };
    let job = engine.enqueue_system(None, "bench.emit", input, options).await?;

    let before = rss::read_kib(std::process::id());
    let attached = Arc::new(AtomicUsize::new(0));
    let mut subscribers = Vec::with_capacity(args.subscribers as usize);
    for _ in 0..args.subscribers {
        let stream = engine.subscribe(&admin(), job.id, 0).await?;
        let attached = Arc::clone(&attached);
        subscribers.push(tokio::spawn(async move {
            let mut stream = stream;
            let mut delays_us: Vec<u32> = Vec::new();
            attached.fetch_add(1, Ordering::Relaxed);
            while let Some(e) = stream.next().await {
                let Ok(e) = e else { break };
                if let Some(t) = e.payload["t_us"].as_u64() {
                    let delay = executors::micros().saturating_sub(t);
                    delays_us.push(u32::try_from(delay).unwrap_or(u32::MAX));
                }
            }
            delays_us
        }));
    }
    while attached.load(Ordering::Relaxed) < args.subscribers as usize {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = rss::read_kib(std::process::id());
    anyhow::ensure!(slipway_core::time::now() < start_at, "subscribers took longer than {ATTACH:?} to attach");

    let begun = Instant::now();
    let mut tally = Tally::new()?;
    let mut short = 0;
    for s in subscribers {
        let delays = s.await?;
        if (delays.len() as u64) < count {
            short += 1;
        }
        for us in delays {
            tally.success(Duration::from_micros(u64::from(us)));
        }
    }
    let elapsed = begun.elapsed();
    super::stop(engine).await;
    anyhow::ensure!(short == 0, "{short} subscribers missed events");
    let mut row = EngineRow::new("fanout", "deliveries", tally.requests(), elapsed.as_secs_f64(), "p99 < 50 ms");
    row.latency_ms = tally.latency_ms();
    row.mean_ms = Some(round(tally.latency_us.mean() / 1000.0, 3));
    row.kib_per_subscriber = match (before, after) {
        (Some(b), Some(a)) => Some(round(a.saturating_sub(b) as f64 / f64::from(args.subscribers), 2)),
        _ => None,
    };
    row.met = row.latency_ms.p99.is_some_and(|v| v < 50.0);
    Ok(row)
}
