//! Cron schedules. The engine computes due times; the store makes each due time fire once: advancing
//! `next_run_at` is a compare-and-set in the same transaction that inserts the job, and the job's
//! `(schedule_id, due_at)` is unique.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::QueryBuilder;

use super::model::{JobRecord, JobStatus, NewJob};
use crate::{Db, StoreError, on_pool};

/// One row of `schedules`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ScheduleRecord {
    /// Database id.
    pub id: i64,
    /// A name for people.
    pub name: String,
    /// The user it belongs to; `None` for system schedules.
    pub owner_id: Option<i64>,
    /// The job kind it enqueues.
    pub kind: String,
    /// The input of every job it enqueues.
    pub input: Value,
    /// Cron expression, 5 or 6 fields.
    pub cron: String,
    /// IANA time zone the expression is read in (`UTC`, `Europe/Paris`).
    pub timezone: String,
    /// Disabled schedules do not fire.
    pub enabled: bool,
    /// `once` or `skip`; `None` follows the node's configuration.
    pub missed_runs: Option<String>,
    /// Priority of its jobs.
    pub priority: i32,
    /// Attempts allowed to its jobs.
    pub max_attempts: i32,
    /// Time limit of its jobs, in milliseconds.
    pub timeout_ms: Option<i64>,
    /// The next due time; `None` when disabled or when the expression has no future time.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The due time it last fired for.
    pub last_run_at: Option<DateTime<Utc>>,
    /// The job it last enqueued.
    pub last_job_id: Option<i64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A schedule to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSchedule {
    /// A name for people.
    pub name: String,
    /// The owner.
    pub owner_id: Option<i64>,
    /// Job kind.
    pub kind: String,
    /// Job input.
    pub input: Value,
    /// Cron expression.
    pub cron: String,
    /// Time zone.
    pub timezone: String,
    /// Whether it fires.
    pub enabled: bool,
    /// Missed-run policy override.
    pub missed_runs: Option<String>,
    /// Job priority.
    pub priority: i32,
    /// Job attempts.
    pub max_attempts: i32,
    /// Job time limit, in milliseconds.
    pub timeout_ms: Option<i64>,
    /// First due time.
    pub next_run_at: Option<DateTime<Utc>>,
}

/// The full new state of a schedule's editable fields (the engine merges a partial update into it).
pub type ScheduleChanges = NewSchedule;

const COLUMNS: &str = "id, name, owner_id, kind, input, cron, timezone, enabled, missed_runs, priority, \
     max_attempts, timeout_ms, next_run_at, last_run_at, last_job_id, created_at, updated_at";

impl Db {
    /// Inserts a schedule.
    pub async fn insert_schedule(&self, s: &NewSchedule) -> Result<ScheduleRecord, StoreError> {
        let now = slipway_core::time::now();
        let sql = "INSERT INTO schedules (name, owner_id, kind, input, cron, timezone, enabled, missed_runs, \
                   priority, max_attempts, timeout_ms, next_run_at, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING *";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(&s.name)
            .bind(s.owner_id)
            .bind(&s.kind)
            .bind(&s.input)
            .bind(&s.cron)
            .bind(&s.timezone)
            .bind(s.enabled)
            .bind(&s.missed_runs)
            .bind(s.priority)
            .bind(s.max_attempts)
            .bind(s.timeout_ms)
            .bind(s.next_run_at)
            .bind(now)
            .fetch_one(p)
            .await)?)
    }

    /// Replaces a schedule's editable fields (owner excepted); `None` when it does not exist.
    pub async fn update_schedule(&self, id: i64, s: &ScheduleChanges) -> Result<Option<ScheduleRecord>, StoreError> {
        let now = slipway_core::time::now();
        let sql = "UPDATE schedules SET name = $2, kind = $3, input = $4, cron = $5, timezone = $6, enabled = $7, \
                   missed_runs = $8, priority = $9, max_attempts = $10, timeout_ms = $11, next_run_at = $12, \
                   updated_at = $13 WHERE id = $1 RETURNING *";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .bind(&s.name)
            .bind(&s.kind)
            .bind(&s.input)
            .bind(&s.cron)
            .bind(&s.timezone)
            .bind(s.enabled)
            .bind(&s.missed_runs)
            .bind(s.priority)
            .bind(s.max_attempts)
            .bind(s.timeout_ms)
            .bind(s.next_run_at)
            .bind(now)
            .fetch_optional(p)
            .await)?)
    }

    /// One schedule by id.
    pub async fn schedule(&self, id: i64) -> Result<Option<ScheduleRecord>, StoreError> {
        let sql = "SELECT * FROM schedules WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?)
    }

    /// Deletes a schedule (its jobs stay, unlinked); whether it existed.
    pub async fn delete_schedule(&self, id: i64) -> Result<bool, StoreError> {
        let sql = "DELETE FROM schedules WHERE id = $1";
        let done = on_pool!(self, |p| sqlx::query(sql).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    /// A page of schedules, oldest first, optionally of one owner and/or enabled state, and the total.
    pub async fn list_schedules(
        &self,
        owner_id: Option<i64>,
        kind: Option<&str>,
        enabled: Option<bool>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ScheduleRecord>, i64), StoreError> {
        let (offset, limit) = (offset.max(0), limit.clamp(1, 1000));
        Ok(on_pool!(self, |p| {
            let push_where = |qb: &mut QueryBuilder<_>| {
                qb.push(" WHERE 1 = 1");
                if let Some(owner) = owner_id {
                    qb.push(" AND owner_id = ").push_bind(owner);
                }
                if let Some(enabled) = enabled {
                    qb.push(" AND enabled = ").push_bind(enabled);
                }
                if let Some(kind) = kind {
                    qb.push(" AND kind = ").push_bind(kind.to_owned());
                }
            };
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM schedules");
            push_where(&mut count);
            let total: i64 = count.build_query_scalar().fetch_one(p).await?;
            let mut page = QueryBuilder::new(format!("SELECT {COLUMNS} FROM schedules"));
            push_where(&mut page);
            page.push(" ORDER BY id LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
            let rows = page.build_query_as::<ScheduleRecord>().fetch_all(p).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// Enabled schedules due at `now`, earliest first.
    pub async fn due_schedules(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<ScheduleRecord>, StoreError> {
        let sql = "SELECT * FROM schedules WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at LIMIT $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(now).bind(limit).fetch_all(p).await)?)
    }

    /// The earliest next due time of any enabled schedule.
    pub async fn next_schedule_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let sql = "SELECT MIN(next_run_at) FROM schedules WHERE enabled";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).fetch_one(p).await)?)
    }

    /// Fires one due time: moves `next_run_at` from `expected` to `next` (compare-and-set) and inserts `job`
    /// (when given; its `schedule_id`/`due_at` are unique) in one transaction. `Ok(None)` when another node
    /// advanced the schedule first (nothing changes) or the job for that due time already exists.
    pub async fn fire_schedule(
        &self,
        id: i64,
        expected: DateTime<Utc>,
        next: Option<DateTime<Utc>>,
        job: Option<&NewJob>,
    ) -> Result<Option<JobRecord>, StoreError> {
        let now = slipway_core::time::now();
        let advance = "UPDATE schedules SET next_run_at = $3, updated_at = $4 \
                       WHERE id = $1 AND enabled AND next_run_at = $2";
        let insert = "INSERT INTO jobs (kind, owner_id, status, priority, input, progress, attempts, max_attempts, \
                      timeout_ms, scheduled_for, cancel_requested, event_seq, schedule_id, due_at, created_at, \
                      updated_at) VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $7, $8, FALSE, 0, $9, $10, $11, $11) \
                      ON CONFLICT (schedule_id, due_at) DO NOTHING RETURNING *";
        let record = "UPDATE schedules SET last_run_at = $2, last_job_id = $3 WHERE id = $1";
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let moved = sqlx::query(advance).bind(id).bind(expected).bind(next).bind(now).execute(&mut *tx).await?;
            if moved.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(None);
            }
            let mut inserted = None;
            if let Some(job) = job {
                let row: Option<JobRecord> = sqlx::query_as(insert)
                    .bind(&job.kind)
                    .bind(job.owner_id)
                    .bind(JobStatus::Queued.as_str())
                    .bind(job.priority)
                    .bind(&job.input)
                    .bind(job.max_attempts)
                    .bind(job.timeout_ms)
                    .bind(job.scheduled_for)
                    .bind(job.schedule_id)
                    .bind(job.due_at)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(row) = &row {
                    sqlx::query(record).bind(id).bind(row.due_at).bind(row.id).execute(&mut *tx).await?;
                }
                inserted = row;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(inserted)
        })?)
    }
}
