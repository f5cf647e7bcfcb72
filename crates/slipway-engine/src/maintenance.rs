//! The node's background upkeep: lease heartbeats, the cancel check, the polling safety net for subscribers,
//! the reaper that returns jobs of lost workers (expired leases, dead node processes of this host) to the queue, and retention of old events and workspaces.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use slipway_store::Backend;
use slipway_store::jobs::{Change, ExpiredLease, Guard, JobStatus, JobWrite, NewEvent};

use crate::STATUS_EVENT;
use crate::engine::Inner;
use crate::runner::{StopReason, backoff};

/// How often a node without notifications (SQLite) looks for cancel requests of the jobs it runs.
const CANCEL_CHECK_SQLITE: Duration = Duration::from_millis(50);
/// How often retention runs.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// Events deleted per statement.
const PURGE_BATCH: i64 = 5000;
/// Expired leases handled per reaper pass.
const REAP_BATCH: i64 = 100;

/// Renews the leases of this node's running jobs every third of the lease.
pub(crate) async fn heartbeat(inner: Arc<Inner>) {
    let every = inner.settings.lease / 3;
    while inner.sleep(every).await {
        if inner.running_jobs().is_empty() {
            continue;
        }
        let now = slipway_core::time::now();
        let until = now + chrono::Duration::from_std(inner.settings.lease).unwrap_or_default();
        if let Err(e) = inner.write.extend_leases(&inner.node, until, now).await {
            tracing::warn!(error = %e, "could not renew job leases");
        }
    }
}

/// Stops local jobs someone asked to cancel. PostgreSQL's `NOTIFY` usually gets there first; this is the
/// fast path on SQLite and the safety net on PostgreSQL.
pub(crate) async fn watch_cancels(inner: Arc<Inner>) {
    let every = match inner.db.backend() {
        Backend::Sqlite => CANCEL_CHECK_SQLITE,
        Backend::Postgres => inner.poll,
    };
    while inner.sleep(every).await {
        check_cancels(&inner).await;
    }
}

pub(crate) async fn check_cancels(inner: &Inner) {
    let running = inner.running_jobs();
    if running.is_empty() {
        return;
    }
    match inner.db.cancel_requested_jobs(&inner.node).await {
        Ok(ids) => {
            for job in running.iter().filter(|j| ids.contains(&j.id)) {
                job.stop(StopReason::Cancelled);
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not check for cancel requests"),
    }
}

/// Feeds local subscribers of jobs that run elsewhere when no notification arrives (SQLite shared by several
/// processes, or a notification lost with a connection).
pub(crate) async fn poll_events(inner: Arc<Inner>) {
    while inner.sleep(inner.poll).await {
        catch_up_topics(&inner).await;
    }
}

pub(crate) async fn catch_up_topics(inner: &Inner) {
    for job_id in inner.hub.watched() {
        match inner.db.job_event_seq(job_id).await {
            Ok(Some(seq)) => inner.hub.grew(job_id, seq).await,
            Ok(None) => {}
            Err(e) => tracing::warn!(job_id, error = %e, "could not poll job events"),
        }
    }
}

/// Returns jobs of lost workers to the queue, or ends them: cancelled when a cancel was requested, failed when
/// no attempt is left. Jobs whose lease expired retry after a backoff; jobs of node processes of this host
/// known dead (see `holder.rs`) are taken back without waiting for their lease, and retry at once.
pub(crate) async fn reaper(inner: Arc<Inner>) {
    let every = (inner.settings.lease / 4).clamp(Duration::from_millis(200), Duration::from_secs(5));
    while inner.sleep(every).await {
        if let Err(e) = reap(&inner).await {
            tracing::warn!(error = %e, "reaping expired leases failed");
        }
        recover_dead_nodes_logged(&inner).await;
    }
}

/// Why a worker was lost, and so when its job may run again.
enum Loss<'a> {
    /// Its lease (held by this node name) expired: retry after the backoff.
    Expired(&'a str),
    /// Its node process (this name) is dead on this host: retry at once, the attempt did not fail.
    NodeDied(&'a str),
}

/// The write that reaps `lease`, lost as `loss` says, under `guard`.
fn lost_worker_write(
    inner: &Inner,
    lease: &ExpiredLease,
    loss: &Loss<'_>,
    guard: Guard,
    now: DateTime<Utc>,
) -> JobWrite {
    let (change, payload) = if lease.cancel_requested {
        let error = "cancelled on request (its worker was lost)".to_owned();
        let payload = json!({ "status": "cancelled", "attempt": lease.attempts, "error": error });
        (Change::Finish { status: JobStatus::Cancelled, output: None, error: Some(error) }, payload)
    } else if lease.attempts >= lease.max_attempts {
        let error = format!("worker lost; gave up after {} attempts", lease.attempts);
        let payload = json!({ "status": "failed", "attempt": lease.attempts, "error": error });
        (Change::Finish { status: JobStatus::Failed, output: None, error: Some(error) }, payload)
    } else {
        let (retry_at, error) = match loss {
            Loss::Expired(holder) => {
                let delay = backoff(inner.settings.retry_backoff, lease.attempts);
                let retry_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                (retry_at, format!("worker lost (lease of {holder} expired); will retry"))
            }
            Loss::NodeDied(holder) => (now, format!("worker lost (its node {holder} died); will retry")),
        };
        let payload = json!({
            "status": "queued", "attempt": lease.attempts, "error": error,
            "retry_at": slipway_core::time::rfc3339(retry_at),
        });
        (Change::Retry { error, retry_at }, payload)
    };
    JobWrite { job_id: lease.id, guard, change, events: vec![NewEvent::now(STATUS_EVENT, payload)] }
}

pub(crate) async fn reap(inner: &Inner) -> Result<usize, slipway_core::Error> {
    let now = slipway_core::time::now();
    let expired = inner.db.expired_leases(now, REAP_BATCH).await?;
    let mut reaped = 0;
    for lease in expired {
        let holder = lease.lease_holder.clone().unwrap_or_default();
        let guard = Guard::Expired { attempt: lease.attempts, now };
        let write = lost_worker_write(inner, &lease, &Loss::Expired(&holder), guard, now);
        if inner.writer.apply(write, None).await? {
            tracing::warn!(job_id = lease.id, holder = %holder, attempt = lease.attempts, "reaped a job whose lease expired");
            reaped += 1;
        }
    }
    Ok(reaped)
}

/// Takes back the running jobs of node processes of this host and boot that are dead, whatever their leases
/// say; returns how many it requeued or ended. Each write is guarded by the dead holder's name and attempt, so
/// a job another node took meanwhile is never touched, and names of live processes, other hosts or boots, or
/// that do not parse are left to the lease rule.
pub(crate) async fn recover_dead_nodes(inner: &Inner) -> Result<usize, slipway_core::Error> {
    let Some(tag) = &inner.host_tag else { return Ok(0) };
    let mut recovered = 0;
    for holder in inner.db.running_lease_holders().await? {
        if holder == inner.node || !tag.names_dead_process(&holder) {
            continue;
        }
        for lease in inner.db.leases_held_by(&holder, REAP_BATCH).await? {
            let guard = Guard::Lease { holder: holder.clone(), attempt: lease.attempts };
            let now = slipway_core::time::now();
            let write = lost_worker_write(inner, &lease, &Loss::NodeDied(&holder), guard, now);
            if inner.writer.apply(write, None).await? {
                tracing::warn!(job_id = lease.id, holder = %holder, attempt = lease.attempts, "took back a job of a dead node");
                recovered += 1;
            }
        }
    }
    if recovered > 0 {
        inner.wake.notify_one();
    }
    Ok(recovered)
}

/// [`recover_dead_nodes`], logging instead of failing.
pub(crate) async fn recover_dead_nodes_logged(inner: &Inner) {
    if let Err(e) = recover_dead_nodes(inner).await {
        tracing::warn!(error = %e, "taking back the jobs of dead nodes failed");
    }
}

/// Deletes old events of finished jobs and workspaces left by finished jobs, every hour.
pub(crate) async fn retention(inner: Arc<Inner>) {
    loop {
        if let Some(keep) = inner.settings.event_retention {
            let before = slipway_core::time::now() - chrono::Duration::from_std(keep).unwrap_or_default();
            match purge_events(&inner, before).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "deleted old job events"),
                Err(e) => tracing::warn!(error = %e, "deleting old job events failed"),
            }
        }
        sweep_workspaces(&inner).await;
        if !inner.sleep(RETENTION_EVERY).await {
            return;
        }
    }
}

pub(crate) async fn purge_events(
    inner: &Inner,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<u64, slipway_core::Error> {
    let mut total = 0;
    loop {
        let n = inner.write.purge_job_events(before, PURGE_BATCH).await?;
        total += n;
        if n < PURGE_BATCH as u64 {
            return Ok(total);
        }
    }
}

/// Removes workspace directories of jobs that finished (or no longer exist) and do not run here.
pub(crate) async fn sweep_workspaces(inner: &Inner) {
    let Ok(mut entries) = tokio::fs::read_dir(&inner.settings.workspace_root).await else { return };
    let mut ids = Vec::new();
    while let Ok(Some(entry)) = entries.next_entry().await {
        if let Some(id) = entry.file_name().to_str().and_then(|n| n.parse::<i64>().ok()) {
            ids.push(id);
        }
    }
    let running: Vec<i64> = inner.running_jobs().iter().map(|j| j.id).collect();
    ids.retain(|id| !running.contains(id));
    if ids.is_empty() {
        return;
    }
    match inner.db.finished_or_missing_jobs(&ids).await {
        Ok(done) => {
            for id in done {
                let _ = tokio::fs::remove_dir_all(inner.settings.workspace_root.join(id.to_string())).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not sweep job workspaces"),
    }
}
