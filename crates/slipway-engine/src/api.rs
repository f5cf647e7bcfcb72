//! The job API the surfaces call: enqueue, read, list, cancel, wait, subscribe, metrics. Authorization is
//! checked here: owners see and cancel their own jobs, administrators those of every kind whose
//! [`crate::Visibility`] is `OwnerAndAdmins` (private kinds are their owner's only); each kind admits what a
//! caller may run (see [`crate::Executor::admit`]: commands need the sandbox, or an administrator).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use slipway_core::{Error, Principal};
use slipway_store::jobs::{Change, Guard, JobFilter, JobRecord, JobStatus, JobWrite, NewEvent, NewJob};

use crate::STATUS_EVENT;
use crate::engine::Engine;
use crate::metrics::EngineMetrics;
use crate::subscription::{EventStream, Subscription};

/// Attempts allowed when the caller does not say.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 3;
/// The most attempts a job may be given.
pub const MAX_ATTEMPTS_LIMIT: i32 = 100;

/// How to run a job.
#[derive(Debug, Clone, PartialEq)]
pub struct EnqueueOptions {
    /// Higher runs first (default 0).
    pub priority: i32,
    /// Attempts allowed, 1–100 (default 3). Retryable failures and lost workers use them up.
    pub max_attempts: i32,
    /// Run time allowed per attempt; past it the job ends `timed_out`.
    pub timeout: Option<Duration>,
    /// Not started before this time (default: now).
    pub scheduled_for: Option<DateTime<Utc>>,
}

impl Default for EnqueueOptions {
    fn default() -> Self {
        Self { priority: 0, max_attempts: DEFAULT_MAX_ATTEMPTS, timeout: None, scheduled_for: None }
    }
}

impl EnqueueOptions {
    /// Checks the options, naming the bad field.
    pub fn validate(&self) -> Result<(), Error> {
        if !(1..=MAX_ATTEMPTS_LIMIT).contains(&self.max_attempts) {
            return Err(Error::invalid_field(
                "max_attempts",
                "value_error",
                format!("max_attempts must be between 1 and {MAX_ATTEMPTS_LIMIT}"),
            ));
        }
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::invalid_field("timeout", "value_error", "timeout must be positive"));
        }
        Ok(())
    }

    pub(crate) fn timeout_ms(&self) -> Option<i64> {
        self.timeout.map(|t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A page of results and how many there are in all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    /// This page.
    pub items: Vec<T>,
    /// Matches in all.
    pub total: i64,
}

/// How waiting for a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Waited {
    /// The job reached a final status.
    Finished(JobRecord),
    /// Time ran out first; the job as it was then.
    TimedOut(JobRecord),
}

impl Waited {
    /// The job, finished or not.
    pub fn job(&self) -> &JobRecord {
        match self {
            Self::Finished(j) | Self::TimedOut(j) => j,
        }
    }
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("job {id}"))
}

impl Engine {
    fn new_job(&self, kind: &str, input: Value, options: &EnqueueOptions, owner: Option<i64>) -> Result<NewJob, Error> {
        options.validate()?;
        self.inner.registry.require(kind)?.validate(&input)?;
        Ok(NewJob {
            kind: kind.to_owned(),
            owner_id: owner,
            priority: options.priority,
            input,
            max_attempts: options.max_attempts,
            timeout_ms: options.timeout_ms(),
            scheduled_for: options.scheduled_for.unwrap_or_else(slipway_core::time::now),
            schedule_id: None,
            due_at: None,
        })
    }

    /// Enqueues a job owned by the caller, as its kind admits it (commands need the sandbox or an
    /// administrator).
    pub async fn enqueue(
        &self,
        principal: &Principal,
        kind: &str,
        mut input: Value,
        options: EnqueueOptions,
    ) -> Result<JobRecord, Error> {
        self.inner.registry.require(kind)?.admit(principal, &self.inner.sandbox, &mut input)?;
        let job = self.new_job(kind, input, &options, Some(principal.user_id))?;
        self.insert(&job).await
    }

    /// Enqueues a job for a trusted caller inside Slipway (a service that authorized its own caller, or the
    /// system itself with `owner: None`). No principal is checked and the kind does not admit the input: a
    /// `command` input without `isolation` runs as an administrator's would.
    pub async fn enqueue_system(
        &self,
        owner: Option<i64>,
        kind: &str,
        input: Value,
        options: EnqueueOptions,
    ) -> Result<JobRecord, Error> {
        let job = self.new_job(kind, input, &options, owner)?;
        self.insert(&job).await
    }

    /// Enqueues many jobs at once for a trusted caller (fan-out): one statement per 500 jobs.
    pub async fn enqueue_many_system(
        &self,
        owner: Option<i64>,
        jobs: Vec<(String, Value)>,
        options: EnqueueOptions,
    ) -> Result<Vec<JobRecord>, Error> {
        let rows = jobs
            .into_iter()
            .map(|(kind, input)| self.new_job(&kind, input, &options, owner))
            .collect::<Result<Vec<_>, _>>()?;
        let inserted = self.inner.write.insert_jobs(&rows).await?;
        self.inner.wake.notify_one();
        Ok(inserted)
    }

    async fn insert(&self, job: &NewJob) -> Result<JobRecord, Error> {
        let row = self.inner.write.insert_job(job).await?;
        self.inner.wake.notify_one();
        Ok(row)
    }

    /// One job, if the caller may see it by its kind's visibility (others' jobs are "not found").
    pub async fn get(&self, principal: &Principal, id: i64) -> Result<JobRecord, Error> {
        match self.inner.db.job(id).await? {
            Some(job) if self.inner.registry.may_see(principal, &job) => Ok(job),
            _ => Err(not_found(id)),
        }
    }

    /// A page of jobs, newest first. Non-administrators see only their own; asking for someone else's is
    /// forbidden. Administrators see others' jobs only of kinds administrators may see (filtered in the query,
    /// so the total counts only what they may see).
    pub async fn list(&self, principal: &Principal, mut filter: JobFilter) -> Result<Page<JobRecord>, Error> {
        filter.visible_to = self.inner.registry.viewer(principal);
        if !principal.is_admin() {
            match filter.owner_id {
                Some(owner) if owner != principal.user_id => {
                    return Err(Error::Forbidden("only administrators may list other users' jobs".into()));
                }
                _ => filter.owner_id = Some(principal.user_id),
            }
        }
        if filter.limit <= 0 {
            filter.limit = 50;
        }
        let (items, total) = self.inner.db.list_jobs(&filter).await?;
        Ok(Page { items, total })
    }

    /// Cancels a job (its owner or an administrator): a queued job ends `cancelled` at once; a running one is
    /// told to stop (on this node directly, on others through the database) and ends `cancelled` when its
    /// executor returns. A job that already finished is a conflict.
    pub async fn cancel(&self, principal: &Principal, id: i64) -> Result<JobRecord, Error> {
        let job = self.get(principal, id).await?;
        if job.status.is_final() {
            return Err(Error::Conflict(format!("job {id} already finished ({})", job.status)));
        }
        let inner = &self.inner;
        let cancel_queued = JobWrite {
            job_id: id,
            guard: Guard::Queued,
            change: Change::Finish {
                status: JobStatus::Cancelled,
                output: None,
                error: Some("cancelled on request".into()),
            },
            events: vec![NewEvent::now(
                STATUS_EVENT,
                json!({ "status": "cancelled", "attempt": job.attempts, "error": "cancelled on request" }),
            )],
        };
        if !inner.writer.apply(cancel_queued, None).await? {
            let now = slipway_core::time::now();
            if inner.write.request_cancel(id, now, inner.channels.as_ref()).await?.is_some() {
                let local = inner.running.lock().map(|r| r.get(&id).cloned()).ok().flatten();
                if let Some(running) = local {
                    running.stop(crate::runner::StopReason::Cancelled);
                }
            }
        }
        let job = self.get(principal, id).await?;
        if job.status.is_final() && job.status != JobStatus::Cancelled {
            return Err(Error::Conflict(format!("job {id} already finished ({})", job.status)));
        }
        Ok(job)
    }

    /// Waits until the job reaches a final status or `timeout` passes.
    pub async fn wait(&self, principal: &Principal, id: i64, timeout: Duration) -> Result<Waited, Error> {
        let job = self.get(principal, id).await?;
        if job.status.is_final() {
            return Ok(Waited::Finished(job));
        }
        let mut events = Subscription::new(Arc::clone(&self.inner), id, job.event_seq, job.event_seq).into_stream();
        let drained = tokio::time::timeout(timeout, async {
            use futures_util::StreamExt;
            while let Some(e) = events.next().await {
                e?;
            }
            Ok::<_, Error>(())
        })
        .await;
        if let Ok(Err(e)) = drained {
            return Err(e);
        }
        let job = self.get(principal, id).await?;
        Ok(if job.status.is_final() { Waited::Finished(job) } else { Waited::TimedOut(job) })
    }

    /// The job's events with a sequence number above `after` (0 for all): the log first, then live events as
    /// they are committed, on whichever node the job runs. The stream ends after the final `status` event.
    /// Resume after a disconnect by subscribing again with the last sequence number seen.
    pub async fn subscribe(&self, principal: &Principal, id: i64, after: i64) -> Result<EventStream, Error> {
        let job = self.get(principal, id).await?;
        Ok(Subscription::new(Arc::clone(&self.inner), id, after, job.event_seq).into_stream())
    }

    /// The engine's figures now: the installation's queue depth and running jobs, this node's counters.
    pub async fn metrics(&self) -> Result<EngineMetrics, Error> {
        let counts = self.inner.db.job_status_counts().await?;
        let here = self.inner.running_jobs().len();
        Ok(self.inner.metrics.snapshot(counts.queued, counts.running, here, self.inner.settings.workers))
    }

    /// Deletes events older than `before` of jobs that have finished (what retention does hourly); returns
    /// how many went.
    pub async fn purge_events_before(&self, before: DateTime<Utc>) -> Result<u64, Error> {
        crate::maintenance::purge_events(&self.inner, before).await
    }

    /// Runs the reaper once now (it also runs on its own): returns how many jobs with expired leases it
    /// requeued or ended.
    pub async fn reap_expired_leases(&self) -> Result<usize, Error> {
        crate::maintenance::reap(&self.inner).await
    }

    /// Takes back now the running jobs of node processes of this host that are dead (it also happens at start
    /// and on every reaper round): returns how many it requeued (at once, no backoff) or ended.
    pub async fn recover_jobs_of_dead_nodes(&self) -> Result<usize, Error> {
        crate::maintenance::recover_dead_nodes(&self.inner).await
    }
}
