//! Running one claimed job: workspace, context, executor, timeout, cancellation, and the guarded write of how
//! the attempt ended.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use slipway_store::jobs::{Change, Guard, JobRecord, JobStatus, JobWrite, NewEvent};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;

use crate::STATUS_EVENT;
use crate::context::JobContext;
use crate::engine::Inner;
use crate::executor::JobFailure;

/// Why a running job was told to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// Someone cancelled it.
    Cancelled,
    /// It ran past its timeout.
    TimedOut,
    /// The node is shutting down; the job goes back to the queue.
    Shutdown,
    /// Another worker or the reaper took it over; this attempt must not write anything more.
    LeaseLost,
}

/// A job running on this node.
pub(crate) struct RunningJob {
    pub id: i64,
    pub token: CancellationToken,
    reason: OnceLock<StopReason>,
}

impl RunningJob {
    fn new(id: i64) -> Self {
        Self { id, token: CancellationToken::new(), reason: OnceLock::new() }
    }

    /// Tells the executor to stop; the first reason given is the one that counts.
    pub fn stop(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
    }

    pub fn is_lost(&self) -> bool {
        self.reason() == Some(StopReason::LeaseLost)
    }
}

/// The delay before retry number `attempt` (1-based): `base` doubled per attempt, at most five minutes.
pub(crate) fn backoff(base: Duration, attempt: i32) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(16);
    base.saturating_mul(1 << exp).min(Duration::from_secs(300))
}

fn workspace_of(inner: &Inner, id: i64) -> PathBuf {
    inner.settings.workspace_root.join(id.to_string())
}

/// Runs one claimed job to the end of its attempt, holding a worker slot.
pub(crate) async fn run(inner: Arc<Inner>, job: JobRecord, permit: OwnedSemaphorePermit) {
    let running = Arc::new(RunningJob::new(job.id));
    inner.running.lock().unwrap_or_else(PoisonError::into_inner).insert(job.id, Arc::clone(&running));
    let started = std::time::Instant::now();
    if let Some(started_at) = job.started_at {
        let ready = job.scheduled_for.max(job.created_at);
        inner.metrics.queue_wait.record((started_at - ready).to_std().unwrap_or_default());
    }
    if job.cancel_requested {
        running.stop(StopReason::Cancelled);
    }

    let outcome = attempt(&inner, &job, &running).await;
    let guard = Guard::Lease { holder: inner.node.clone(), attempt: job.attempts };
    let (change, payload) = conclude(&inner, &job, &running, outcome);
    let status = match &change {
        Change::Finish { status, .. } => Some(*status),
        _ => None,
    };
    // The workspace goes before the final state is recorded: whoever sees the job final sees it gone.
    if status.is_some() && !running.is_lost() {
        let dir = workspace_of(&inner, job.id);
        if let Err(e) = tokio::fs::remove_dir_all(&dir).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(job_id = job.id, dir = %dir.display(), error = %e, "could not remove the workspace");
        }
    }
    if running.reason() != Some(StopReason::LeaseLost) {
        let write = JobWrite { job_id: job.id, guard, change, events: vec![NewEvent::now(STATUS_EVENT, payload)] };
        match inner.writer.apply(write, Some(Arc::clone(&running))).await {
            Ok(true) => inner.metrics.count(status, started.elapsed()),
            Ok(false) => inner.metrics.count_lost(),
            Err(e) => tracing::error!(job_id = job.id, error = %e, "could not record how the job ended"),
        }
    } else {
        inner.metrics.count_lost();
    }
    {
        let mut map = inner.running.lock().unwrap_or_else(PoisonError::into_inner);
        // A newer attempt of the same job may have been claimed here meanwhile: leave its entry alone.
        if map.get(&job.id).is_some_and(|r| Arc::ptr_eq(r, &running)) {
            map.remove(&job.id);
        }
    }
    drop(permit);
    inner.wake.notify_one();
}

/// The executor's result, or `None` when it was abandoned after ignoring its cancellation.
async fn attempt(inner: &Arc<Inner>, job: &JobRecord, running: &Arc<RunningJob>) -> Option<Result<Value, JobFailure>> {
    let Some(executor) = inner.registry.get(&job.kind).cloned() else {
        return Some(Err(JobFailure::fatal(format!("no executor for job kind {:?} on node {}", job.kind, inner.node))));
    };
    let workspace = workspace_of(inner, job.id);
    if let Err(e) = tokio::fs::create_dir_all(&workspace).await {
        return Some(Err(JobFailure::retryable(format!("cannot create workspace {}: {e}", workspace.display()))));
    }
    let ctx = JobContext {
        id: job.id,
        attempt: job.attempts,
        owner_id: job.owner_id,
        input: job.input.clone(),
        checkpoint: job.checkpoint.clone(),
        workspace,
        guard: Guard::Lease { holder: inner.node.clone(), attempt: job.attempts },
        job: Arc::clone(running),
        writer: inner.writer.clone(),
    };
    let scope = slipway_sandbox::Scope {
        availability: inner.sandbox.clone(),
        job_id: job.id,
        attempt: job.attempts,
        ledger: inner.ledger.clone().map(|l| l as Arc<dyn slipway_sandbox::Ledger>),
    };
    // Every command the executor starts (directly or through the agents' tools) finds its sandbox here.
    let mut fut = std::pin::pin!(slipway_sandbox::scope(Arc::new(scope), executor.run_boxed(ctx)));
    let timeout = job.timeout_ms.and_then(|ms| u64::try_from(ms).ok()).map(Duration::from_millis);
    let deadline = async {
        match timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        result = &mut fut => return Some(result),
        () = running.token.cancelled() => {}
        () = deadline => running.stop(StopReason::TimedOut),
    }
    tokio::select! {
        result = &mut fut => Some(result),
        () = tokio::time::sleep(inner.settings.cancel_grace) => {
            tracing::warn!(job_id = job.id, "executor ignored its cancellation; abandoned");
            None
        }
    }
}

/// What the attempt's end means for the job, and the payload of its `status` event.
fn conclude(
    inner: &Inner,
    job: &JobRecord,
    running: &RunningJob,
    outcome: Option<Result<Value, JobFailure>>,
) -> (Change, Value) {
    let (output, failure) = match outcome {
        Some(Ok(output)) => (Some(output), None),
        Some(Err(f)) => (f.output.clone(), Some(f)),
        None => (None, None),
    };
    let finish = |status: JobStatus, error: Option<String>| {
        let payload = json!({ "status": status.as_str(), "attempt": job.attempts, "error": error });
        (Change::Finish { status, output: output.clone(), error }, payload)
    };
    match running.reason() {
        Some(StopReason::Cancelled) => finish(JobStatus::Cancelled, Some("cancelled on request".into())),
        Some(StopReason::TimedOut) => {
            let ms = job.timeout_ms.unwrap_or_default();
            finish(JobStatus::TimedOut, Some(format!("timed out after {}", human_ms(ms))))
        }
        Some(StopReason::Shutdown) if failure.is_some() || output.is_none() => {
            let payload =
                json!({ "status": "queued", "attempt": job.attempts, "reason": "handed back: node shutting down" });
            (Change::HandBack, payload)
        }
        _ => match failure {
            None => finish(JobStatus::Succeeded, None),
            Some(f) if f.retryable && job.attempts < job.max_attempts => {
                let delay = backoff(inner.settings.retry_backoff, job.attempts);
                let retry_at = slipway_core::time::now() + chrono::Duration::from_std(delay).unwrap_or_default();
                let payload = json!({
                    "status": "queued", "attempt": job.attempts, "error": f.message, "retry_at": slipway_core::time::rfc3339(retry_at),
                });
                (Change::Retry { error: f.message, retry_at }, payload)
            }
            Some(f) => finish(JobStatus::Failed, Some(f.message)),
        },
    }
}

/// `1.5 s`, `250 ms`, `2 min`.
pub(crate) fn human_ms(ms: i64) -> String {
    if ms >= 60_000 && ms % 60_000 == 0 {
        format!("{} min", ms / 60_000)
    } else if ms >= 1000 {
        format!("{} s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let base = Duration::from_secs(2);
        assert_eq!(backoff(base, 1), Duration::from_secs(2));
        assert_eq!(backoff(base, 3), Duration::from_secs(8));
        assert_eq!(backoff(base, 40), Duration::from_secs(300));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_ms(250), "250 ms");
        assert_eq!(human_ms(1500), "1.5 s");
        assert_eq!(human_ms(120_000), "2 min");
    }
}
