//! The append-only event log of jobs: reading a range, and purging old entries. Appending happens inside the
//! guarded writes (see `writes.rs`), which assign sequence numbers under the job's row lock.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::{Db, StoreError, on_pool};

/// One row of `job_events`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct EventRecord {
    /// The job it belongs to.
    pub job_id: i64,
    /// Its place in the job's log: 1, 2, 3 … without gaps.
    pub seq: i64,
    /// When it was emitted.
    pub at: DateTime<Utc>,
    /// What happened (`status`, `progress`, `stage`, `stdout`, `stderr`, or an executor's own type).
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    /// The details.
    pub payload: Value,
}

/// An event to append; its sequence number is assigned when it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// What happened.
    pub kind: String,
    /// The details.
    pub payload: Value,
    /// When it was emitted.
    pub at: DateTime<Utc>,
}

impl NewEvent {
    /// An event emitted now.
    pub fn now(kind: impl Into<String>, payload: Value) -> Self {
        Self { kind: kind.into(), payload, at: slipway_core::time::now() }
    }
}

impl Db {
    /// Up to `limit` events of a job with a sequence number above `after`, in order.
    pub async fn job_events(&self, job_id: i64, after: i64, limit: i64) -> Result<Vec<EventRecord>, StoreError> {
        let sql = "SELECT job_id, seq, at, type, payload FROM job_events WHERE job_id = $1 AND seq > $2 \
                   ORDER BY seq LIMIT $3";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(job_id).bind(after).bind(limit).fetch_all(p).await)?)
    }

    /// Events of a job with sequence numbers in `(after, upto]`, in order.
    pub async fn job_events_upto(&self, job_id: i64, after: i64, upto: i64) -> Result<Vec<EventRecord>, StoreError> {
        let sql = "SELECT job_id, seq, at, type, payload FROM job_events WHERE job_id = $1 AND seq > $2 \
                   AND seq <= $3 ORDER BY seq";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(job_id).bind(after).bind(upto).fetch_all(p).await)?)
    }

    /// The last sequence number assigned to a job's events, or `None` when the job does not exist.
    pub async fn job_event_seq(&self, job_id: i64) -> Result<Option<i64>, StoreError> {
        let sql = "SELECT event_seq FROM jobs WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(job_id).fetch_optional(p).await)?)
    }

    /// Deletes up to `batch` events older than `before` of jobs that have finished; returns how many went.
    /// Live jobs keep their whole log so a subscriber can always replay it.
    pub async fn purge_job_events(&self, before: DateTime<Utc>, batch: i64) -> Result<u64, StoreError> {
        let sql = "DELETE FROM job_events WHERE (job_id, seq) IN (SELECT e.job_id, e.seq FROM job_events e \
                   JOIN jobs j ON j.id = e.job_id WHERE e.at < $1 AND j.finished_at IS NOT NULL LIMIT $2)";
        let done =
            on_pool!(self, |p| sqlx::query(sql).bind(before).bind(batch).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(done)
    }

    /// Ids among `ids` of jobs that are not live any more (finished, or gone).
    pub async fn finished_or_missing_jobs(&self, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        let mut live = Vec::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<i64> = on_pool!(self, |p| {
                let mut qb =
                    sqlx::QueryBuilder::new("SELECT id FROM jobs WHERE status IN ('queued', 'running') AND id IN (");
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                list.push_unseparated(")");
                qb.build_query_scalar().fetch_all(p).await
            })?;
            live.extend(rows);
        }
        Ok(ids.iter().copied().filter(|id| !live.contains(id)).collect())
    }
}
