//! `throughput`: no-op jobs queued in advance, drained by the worker slots; measured from the workers' start
//! until the last job's final state is committed.

use std::time::{Duration, Instant};

use serde_json::json;
use slipway_engine::EnqueueOptions;
use slipway_store::Db;

use super::{EngineRow, executors};
use crate::cli::EngineArgs;
use crate::stats::round;

pub async fn run(db: &Db, args: &EngineArgs) -> anyhow::Result<EngineRow> {
    let dir = tempfile::tempdir()?;
    let filler = super::start(db, super::settings(args, dir.path(), 0).client_only(), executors::Probe(None)).await?;
    let n = args.jobs as usize;
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        let jobs = chunk.iter().map(|i| ("bench.noop".to_owned(), json!(i))).collect();
        filler.enqueue_many_system(None, jobs, EnqueueOptions { max_attempts: 1, ..EnqueueOptions::default() }).await?;
    }
    super::stop(filler).await;

    let begun = Instant::now();
    let engine =
        super::start(db, super::settings(args, dir.path(), usize::from(args.workers)), executors::Probe(None)).await?;
    let deadline = begun + Duration::from_secs(600);
    loop {
        let m = engine.metrics().await?;
        if m.succeeded as usize >= n {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "only {} of {n} jobs done after 10 minutes", m.succeeded);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = begun.elapsed();
    let counts = db.job_status_counts().await?;
    super::stop(engine).await;
    anyhow::ensure!(counts.queued == 0 && counts.running == 0, "jobs left over: {counts:?}");
    let mut row = EngineRow::new("throughput", "jobs", n as u64, elapsed.as_secs_f64(), "≥ 2,000 jobs/s");
    let rate = n as f64 / elapsed.as_secs_f64();
    row.per_sec = Some(round(rate, 1));
    row.met = rate >= 2000.0;
    Ok(row)
}
