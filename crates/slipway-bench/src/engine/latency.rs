//! `latency`: enqueue → executor start with an idle worker, one job at a time.

use std::time::{Duration, Instant};

use serde_json::json;
use slipway_engine::{EnqueueOptions, Waited};
use slipway_store::Db;
use tokio::sync::mpsc;

use super::{EngineRow, admin, executors};
use crate::cli::EngineArgs;
use crate::stats::Tally;

const WARMUP: u32 = 50;
/// Pause between jobs, so the worker is idle (waiting for a wake-up) when each job arrives.
const IDLE: Duration = Duration::from_millis(2);

pub async fn run(db: &Db, args: &EngineArgs) -> anyhow::Result<EngineRow> {
    let dir = tempfile::tempdir()?;
    let (tx, mut started) = mpsc::unbounded_channel();
    let engine =
        super::start(db, super::settings(args, dir.path(), usize::from(args.workers)), executors::Probe(Some(tx)))
            .await?;
    let mut tally = Tally::new()?;
    let begun = Instant::now();
    for i in 0..WARMUP + args.samples {
        tokio::time::sleep(IDLE).await;
        let t0 = Instant::now();
        let job = engine.enqueue_system(None, "bench.probe", json!(i), EnqueueOptions::default()).await?;
        let at = tokio::time::timeout(Duration::from_secs(30), started.recv())
            .await
            .map_err(|_| anyhow::anyhow!("job {} did not start within 30 s", job.id))?
            .ok_or_else(|| anyhow::anyhow!("the probe executor went away"))?;
        if i >= WARMUP {
            tally.success(at - t0);
        }
        match engine.wait(&admin(), job.id, Duration::from_secs(30)).await? {
            Waited::Finished(_) => {}
            Waited::TimedOut(j) => anyhow::bail!("job {} did not finish: {:?}", j.id, j.status),
        }
    }
    let elapsed = begun.elapsed();
    super::stop(engine).await;
    let mut row = EngineRow::new("latency", "jobs", tally.requests(), elapsed.as_secs_f64(), "p50 < 5 ms, p99 < 20 ms");
    row.latency_ms = tally.latency_ms();
    row.mean_ms = Some(tally.latency_us.mean() / 1000.0);
    row.met = row.latency_ms.p50.is_some_and(|v| v < 5.0) && row.latency_ms.p99.is_some_and(|v| v < 20.0);
    Ok(row)
}
