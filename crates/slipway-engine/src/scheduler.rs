//! The schedule loop: fires due schedules. Any number of nodes may run it; each due time fires once because
//! the store advances `next_run_at` by compare-and-set in the transaction that inserts the job.

use std::sync::Arc;
use std::time::Duration;

use slipway_core::config::MissedRuns;
use slipway_store::jobs::{NewJob, ScheduleRecord};

use crate::cron::{CronSchedule, Firing, plan};
use crate::engine::Inner;

/// The longest the loop sleeps before looking again (schedules made on other nodes are seen within it).
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// Schedules handled per query.
const BATCH: i64 = 100;

pub(crate) async fn run(inner: Arc<Inner>) {
    loop {
        if let Err(e) = fire_due(&inner).await {
            tracing::warn!(error = %e, "firing schedules failed");
        }
        let now = slipway_core::time::now();
        let idle = match inner.db.next_schedule_due().await {
            Ok(Some(at)) => (at - now).to_std().unwrap_or_default().min(LOOK_EVERY),
            _ => LOOK_EVERY,
        };
        tokio::select! {
            () = tokio::time::sleep(idle) => {}
            () = inner.schedules_changed.notified() => {}
            () = inner.stop.cancelled() => return,
        }
    }
}

async fn fire_due(inner: &Inner) -> Result<(), slipway_core::Error> {
    loop {
        let due = inner.db.due_schedules(slipway_core::time::now(), BATCH).await?;
        if due.is_empty() {
            return Ok(());
        }
        for s in &due {
            fire(inner, s).await?;
        }
        if (due.len() as i64) < BATCH {
            return Ok(());
        }
    }
}

async fn fire(inner: &Inner, s: &ScheduleRecord) -> Result<(), slipway_core::Error> {
    let Some(expected) = s.next_run_at else { return Ok(()) };
    let cron = match CronSchedule::parse(&s.cron, &s.timezone) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(schedule_id = s.id, error = %e, "schedule has an invalid expression; it will not fire");
            inner.write.fire_schedule(s.id, expected, None, None).await?;
            return Ok(());
        }
    };
    let policy =
        s.missed_runs.as_deref().and_then(|p| p.parse::<MissedRuns>().ok()).unwrap_or(inner.settings.missed_runs);
    match plan(&cron, expected, slipway_core::time::now(), policy) {
        Firing::Run { due, next } => {
            let job = NewJob {
                kind: s.kind.clone(),
                owner_id: s.owner_id,
                priority: s.priority,
                input: s.input.clone(),
                max_attempts: s.max_attempts,
                timeout_ms: s.timeout_ms,
                scheduled_for: due,
                schedule_id: Some(s.id),
                due_at: Some(due),
            };
            if let Some(job) = inner.write.fire_schedule(s.id, expected, next, Some(&job)).await? {
                tracing::debug!(schedule_id = s.id, job_id = job.id, due = %due, "schedule fired");
                inner.wake.notify_one();
            }
        }
        Firing::Skip { next } => {
            tracing::info!(schedule_id = s.id, missed_since = %expected, "skipping missed due times");
            inner.write.fire_schedule(s.id, expected, next, None).await?;
        }
    }
    Ok(())
}
