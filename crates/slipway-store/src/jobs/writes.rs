//! Guarded writes to running jobs, applied in batches in one transaction: each write is a conditional `UPDATE`
//! that also reserves sequence numbers for the write's events; the events of every accepted write are then
//! inserted in one statement. On SQLite (in-process, no round trips) each write is its own `UPDATE`; on
//! PostgreSQL a whole batch is a few multi-row statements (see `writes_pg.rs`).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{QueryBuilder, SqlitePool};

use super::Channels;
use super::events::NewEvent;
use super::model::JobStatus;
use crate::{Db, StoreError};

/// The state a writer believes a job is in; the write does nothing when the job has moved on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// Running under this holder's lease, at this attempt (a worker's write).
    Lease {
        /// The node holding the lease.
        holder: String,
        /// The attempt the worker runs.
        attempt: i32,
    },
    /// Running at this attempt with a lease that expired before `now` (a reaper's write).
    Expired {
        /// The attempt that was running.
        attempt: i32,
        /// The reaper's clock.
        now: DateTime<Utc>,
    },
    /// Queued (cancelling a job no worker holds).
    Queued,
}

/// What a write changes besides appending its events.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Nothing else; optionally the progress (0–100) and the stage.
    Append {
        /// New progress, when it changed.
        progress: Option<i32>,
        /// New stage, when it changed.
        stage: Option<String>,
    },
    /// Store the executor's checkpoint.
    Checkpoint(Value),
    /// End the job in a final status.
    Finish {
        /// The final status (not queued or running).
        status: JobStatus,
        /// What the executor produced.
        output: Option<Value>,
        /// Why it did not succeed.
        error: Option<String>,
    },
    /// Back to the queue after a failed attempt, not before `retry_at`; the attempt counts.
    Retry {
        /// Why the attempt failed.
        error: String,
        /// When it may run again.
        retry_at: DateTime<Utc>,
    },
    /// Back to the queue at once without counting the attempt (the worker is shutting down).
    HandBack,
}

/// One guarded write to one job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobWrite {
    /// The job.
    pub job_id: i64,
    /// What the writer believes.
    pub guard: Guard,
    /// What changes.
    pub change: Change,
    /// Events to append, in order.
    pub events: Vec<NewEvent>,
}

impl Db {
    /// Applies `writes` in order in one transaction. For each write: `Some(last_seq)` (the sequence number of
    /// its last event; its events are numbered up to it) when applied, `None` when its guard refused it. On
    /// PostgreSQL every accepted write with events also notifies `channels.events` (sent at commit).
    pub async fn apply_job_writes(
        &self,
        writes: &[JobWrite],
        channels: Option<&Channels>,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let now = slipway_core::time::now();
        Ok(match self {
            Db::Sqlite(p) => apply_one_by_one(p, writes, now).await?,
            Db::Postgres(p) => super::writes_pg::apply_in_rounds(p, writes, channels, now).await?,
        })
    }
}

/// The rows the accepted writes append: (job, seq, event), numbered from each write's last sequence number.
pub(super) fn event_rows<'a>(writes: &'a [JobWrite], results: &[Option<i64>]) -> Vec<(i64, i64, &'a NewEvent)> {
    writes
        .iter()
        .zip(results)
        .filter_map(|(w, last)| last.map(|last| (w, last)))
        .flat_map(|(w, last)| {
            let first = last - i64::try_from(w.events.len()).unwrap_or(0) + 1;
            w.events.iter().enumerate().map(move |(i, e)| (w.job_id, first + i as i64, e))
        })
        .collect()
}

/// SQLite: one guarded `UPDATE … RETURNING event_seq` per write, then the events in statements of 1,000 rows.
async fn apply_one_by_one(
    p: &SqlitePool,
    writes: &[JobWrite],
    now: DateTime<Utc>,
) -> Result<Vec<Option<i64>>, sqlx::Error> {
    let mut tx = p.begin().await?;
    let mut results = Vec::with_capacity(writes.len());
    for w in writes {
        let n = i64::try_from(w.events.len()).unwrap_or(i64::MAX);
        let mut qb = QueryBuilder::new("UPDATE jobs SET event_seq = event_seq + ");
        qb.push_bind(n).push(", updated_at = ").push_bind(now);
        match &w.change {
            Change::Append { progress, stage } => {
                if let Some(pct) = progress {
                    qb.push(", progress = ").push_bind(*pct);
                }
                if let Some(stage) = stage {
                    qb.push(", stage = ").push_bind(stage.clone());
                }
            }
            Change::Checkpoint(value) => {
                qb.push(", checkpoint = ").push_bind(value.clone());
            }
            Change::Finish { status, output, error } => {
                qb.push(", status = ").push_bind(status.as_str());
                qb.push(", output = ").push_bind(output.clone());
                qb.push(", error = ").push_bind(error.clone());
                qb.push(", finished_at = ").push_bind(now);
                qb.push(", lease_holder = NULL, lease_expires_at = NULL");
                if *status == JobStatus::Succeeded {
                    qb.push(", progress = 100");
                }
                if *status == JobStatus::Cancelled {
                    qb.push(", cancel_requested = TRUE");
                }
            }
            Change::Retry { error, retry_at } => {
                qb.push(", status = 'queued', error = ").push_bind(error.clone());
                qb.push(", scheduled_for = ").push_bind(*retry_at);
                qb.push(", lease_holder = NULL, lease_expires_at = NULL");
            }
            Change::HandBack => {
                qb.push(", status = 'queued', attempts = attempts - 1, scheduled_for = ").push_bind(now);
                qb.push(", lease_holder = NULL, lease_expires_at = NULL");
            }
        }
        qb.push(" WHERE id = ").push_bind(w.job_id);
        match &w.guard {
            Guard::Lease { holder, attempt } => {
                qb.push(" AND status = 'running' AND lease_holder = ").push_bind(holder.clone());
                qb.push(" AND attempts = ").push_bind(*attempt);
            }
            Guard::Expired { attempt, now } => {
                qb.push(" AND status = 'running' AND attempts = ").push_bind(*attempt);
                qb.push(" AND lease_expires_at < ").push_bind(*now);
            }
            Guard::Queued => {
                qb.push(" AND status = 'queued'");
            }
        }
        qb.push(" RETURNING event_seq");
        let last: Option<i64> = qb.build_query_scalar().fetch_optional(&mut *tx).await?;
        results.push(last);
    }

    for chunk in event_rows(writes, &results).chunks(1000) {
        let mut qb = QueryBuilder::new("INSERT INTO job_events (job_id, seq, at, type, payload) ");
        qb.push_values(chunk, |mut row, (job_id, seq, e)| {
            row.push_bind(*job_id).push_bind(*seq).push_bind(e.at).push_bind(e.kind.as_str()).push_bind(&e.payload);
        });
        qb.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(results)
}
