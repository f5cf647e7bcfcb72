//! `chain`: a sequential chain of no-op jobs; each job's completion (seen through `wait`) enqueues the next.
//! A step is enqueue → claim → run → final state → the waiter told; with a no-op executor it is all overhead.

use std::time::{Duration, Instant};

use serde_json::json;
use slipway_engine::{EnqueueOptions, Waited};
use slipway_store::Db;

use super::{EngineRow, admin, executors};
use crate::cli::EngineArgs;
use crate::stats::{Tally, round};

const WARMUP: u32 = 50;

pub async fn run(db: &Db, args: &EngineArgs) -> anyhow::Result<EngineRow> {
    let dir = tempfile::tempdir()?;
    let engine =
        super::start(db, super::settings(args, dir.path(), usize::from(args.workers)), executors::Probe(None)).await?;
    // Unrecorded steps first: they open the pool's connections (a new PostgreSQL backend takes tens of
    // milliseconds to warm its caches) and fill the statement caches, as on a node that has been up a while.
    let mut tally = Tally::new()?;
    let mut previous = serde_json::Value::Null;
    let mut begun = Instant::now();
    for step in 0..WARMUP + args.steps {
        if step == WARMUP {
            begun = Instant::now();
        }
        let t0 = Instant::now();
        let job = engine
            .enqueue_system(None, "bench.noop", json!({ "step": step, "after": previous }), EnqueueOptions::default())
            .await?;
        match engine.wait(&admin(), job.id, Duration::from_secs(30)).await? {
            Waited::Finished(done) => previous = json!(done.id),
            Waited::TimedOut(j) => anyhow::bail!("step {step} (job {}) did not finish", j.id),
        }
        if step >= WARMUP {
            tally.success(t0.elapsed());
        }
    }
    let elapsed = begun.elapsed();
    super::stop(engine).await;
    let steps = u64::from(args.steps);
    let mut row = EngineRow::new("chain", "steps", steps, elapsed.as_secs_f64(), "< 2 ms per step");
    let per_step_ms = elapsed.as_secs_f64() * 1e3 / steps as f64;
    row.per_sec = Some(round(steps as f64 / elapsed.as_secs_f64(), 1));
    row.latency_ms = tally.latency_ms();
    row.mean_ms = Some(round(per_step_ms, 3));
    row.met = per_step_ms < 2.0;
    Ok(row)
}
