//! Inserting, reading and listing jobs, and the queries the engine's maintenance runs on leases.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::model::{JobFilter, JobRecord, JobStatus, NewJob, StatusCounts};
use super::{Channels, NOTIFY_EACH, is_postgres};
use crate::{Db, StoreError, on_pool};

const INSERT_COLUMNS: &str = "INSERT INTO jobs (kind, owner_id, status, priority, input, progress, attempts, \
     max_attempts, timeout_ms, scheduled_for, cancel_requested, event_seq, schedule_id, due_at, created_at, \
     updated_at) ";

/// A running job whose worker is gone or stalled: its lease ran out, or its node is known dead.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ExpiredLease {
    /// The job.
    pub id: i64,
    /// The attempt that was running.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Whether a cancel was requested meanwhile.
    pub cancel_requested: bool,
    /// The node that held it.
    pub lease_holder: Option<String>,
}

impl Db {
    /// Inserts one queued job and returns it.
    pub async fn insert_job(&self, job: &NewJob) -> Result<JobRecord, StoreError> {
        let mut rows = self.insert_jobs(std::slice::from_ref(job)).await?;
        rows.pop().ok_or_else(|| StoreError::Unavailable("INSERT … RETURNING returned no row".into()))
    }

    /// Inserts many queued jobs in one statement per 500 and returns them in order.
    pub async fn insert_jobs(&self, jobs: &[NewJob]) -> Result<Vec<JobRecord>, StoreError> {
        let now = slipway_core::time::now();
        let mut out = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(500) {
            let mut rows = on_pool!(self, |p| {
                let mut qb = QueryBuilder::new(INSERT_COLUMNS);
                qb.push_values(chunk, |mut row, job| {
                    row.push_bind(job.kind.as_str())
                        .push_bind(job.owner_id)
                        .push_bind(JobStatus::Queued.as_str())
                        .push_bind(job.priority)
                        .push_bind(&job.input)
                        .push_bind(0i32)
                        .push_bind(0i32)
                        .push_bind(job.max_attempts)
                        .push_bind(job.timeout_ms)
                        .push_bind(job.scheduled_for)
                        .push_bind(false)
                        .push_bind(0i64)
                        .push_bind(job.schedule_id)
                        .push_bind(job.due_at)
                        .push_bind(now)
                        .push_bind(now);
                });
                qb.push(" RETURNING *");
                qb.build_query_as::<JobRecord>().fetch_all(p).await
            })?;
            rows.sort_by_key(|j| j.id);
            out.extend(rows);
        }
        Ok(out)
    }

    /// One job by id.
    pub async fn job(&self, id: i64) -> Result<Option<JobRecord>, StoreError> {
        let sql = "SELECT * FROM jobs WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as::<_, JobRecord>(sql).bind(id).fetch_optional(p).await)?)
    }

    /// A page of jobs matching `filter`, newest first, and how many match in all.
    pub async fn list_jobs(&self, filter: &JobFilter) -> Result<(Vec<JobRecord>, i64), StoreError> {
        let limit = filter.limit.clamp(1, 1000);
        let offset = filter.offset.max(0);
        Ok(on_pool!(self, |p| {
            let push_where = |qb: &mut QueryBuilder<_>, f: &JobFilter| {
                qb.push(" WHERE 1 = 1");
                if let Some(owner) = f.owner_id {
                    qb.push(" AND owner_id = ").push_bind(owner);
                }
                if let Some(kind) = &f.kind {
                    qb.push(" AND kind = ").push_bind(kind.clone());
                }
                if let Some(schedule) = f.schedule_id {
                    qb.push(" AND schedule_id = ").push_bind(schedule);
                }
                if let Some(viewer) = &f.visible_to {
                    qb.push(" AND (owner_id = ").push_bind(viewer.user_id);
                    if !viewer.others_kinds.is_empty() {
                        qb.push(" OR kind IN (");
                        let mut list = qb.separated(", ");
                        for k in &viewer.others_kinds {
                            list.push_bind(k.clone());
                        }
                        list.push_unseparated(")");
                    }
                    qb.push(")");
                }
                if !f.statuses.is_empty() {
                    qb.push(" AND status IN (");
                    let mut list = qb.separated(", ");
                    for s in &f.statuses {
                        list.push_bind(s.as_str());
                    }
                    list.push_unseparated(")");
                }
            };
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM jobs");
            push_where(&mut count, filter);
            let total: i64 = count.build_query_scalar().fetch_one(p).await?;
            let mut page = QueryBuilder::new("SELECT * FROM jobs");
            push_where(&mut page, filter);
            page.push(" ORDER BY id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
            let rows = page.build_query_as::<JobRecord>().fetch_all(p).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// How many jobs are queued and running, over the whole installation.
    pub async fn job_status_counts(&self) -> Result<StatusCounts, StoreError> {
        let sql = "SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'queued'), \
                   (SELECT COUNT(*) FROM jobs WHERE status = 'running')";
        let (queued, running): (i64, i64) = on_pool!(self, |p| sqlx::query_as(sql).fetch_one(p).await)?;
        Ok(StatusCounts { queued, running })
    }

    /// Whether the job queue can be read (one cheap indexed query; the engine's health probe).
    pub async fn queue_reachable(&self) -> Result<bool, StoreError> {
        let sql = "SELECT EXISTS (SELECT 1 FROM jobs WHERE status = 'queued')";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).fetch_one(p).await)?)
    }

    /// The earliest `scheduled_for` among queued jobs that are not yet due at `now`.
    pub async fn next_scheduled_job(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
        let sql = "SELECT MIN(scheduled_for) FROM jobs WHERE status = 'queued' AND scheduled_for > $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(now).fetch_one(p).await)?)
    }

    /// Renews the lease of every job `holder` runs until `until`; returns how many it holds.
    pub async fn extend_leases(
        &self,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let sql = "UPDATE jobs SET lease_expires_at = $1, updated_at = $2 \
                   WHERE status = 'running' AND lease_holder = $3";
        let done = on_pool!(self, |p| sqlx::query(sql)
            .bind(until)
            .bind(now)
            .bind(holder)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done)
    }

    /// Ids of the jobs `holder` runs that someone asked to cancel.
    pub async fn cancel_requested_jobs(&self, holder: &str) -> Result<Vec<i64>, StoreError> {
        let sql = "SELECT id FROM jobs WHERE status = 'running' AND lease_holder = $1 AND cancel_requested";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(holder).fetch_all(p).await)?)
    }

    /// Running jobs whose lease expired before `now`, oldest first.
    pub async fn expired_leases(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<ExpiredLease>, StoreError> {
        let sql = "SELECT id, attempts, max_attempts, cancel_requested, lease_holder FROM jobs \
                   WHERE status = 'running' AND lease_expires_at < $1 ORDER BY lease_expires_at LIMIT $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(now).bind(limit).fetch_all(p).await)?)
    }

    /// The distinct lease holders of running jobs (the nodes running something now).
    pub async fn running_lease_holders(&self) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT DISTINCT lease_holder FROM jobs WHERE status = 'running' AND lease_holder IS NOT NULL";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).fetch_all(p).await)?)
    }

    /// Up to `limit` running jobs leased to `holder`, whatever their lease's expiry (its node is known dead).
    pub async fn leases_held_by(&self, holder: &str, limit: i64) -> Result<Vec<ExpiredLease>, StoreError> {
        let sql = "SELECT id, attempts, max_attempts, cancel_requested, lease_holder FROM jobs \
                   WHERE status = 'running' AND lease_holder = $1 ORDER BY id LIMIT $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(holder).bind(limit).fetch_all(p).await)?)
    }

    /// Marks a running job for cancellation; returns its lease holder when it was running. On PostgreSQL the
    /// holder's node is told at commit (`cancel` channel).
    pub async fn request_cancel(
        &self,
        id: i64,
        now: DateTime<Utc>,
        channels: Option<&Channels>,
    ) -> Result<Option<String>, StoreError> {
        let sql = "UPDATE jobs SET cancel_requested = TRUE, updated_at = $2 WHERE id = $1 AND status = 'running' \
                   RETURNING lease_holder";
        let postgres = is_postgres(self);
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let holder: Option<Option<String>> =
                sqlx::query_scalar(sql).bind(id).bind(now).fetch_optional(&mut *tx).await?;
            if let (Some(_), Some(ch), true) = (&holder, channels, postgres) {
                sqlx::query(NOTIFY_EACH).bind(&ch.cancel).bind(id.to_string()).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(holder.map(Option::unwrap_or_default))
        })?)
    }

    /// Hands every job `holder` still runs back to the queue without counting the attempt (last resort of a
    /// shutdown whose jobs did not stop in time); returns their ids.
    pub async fn hand_back_all(&self, holder: &str, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        let sql = "UPDATE jobs SET status = 'queued', attempts = attempts - 1, lease_holder = NULL, \
                   lease_expires_at = NULL, scheduled_for = $2, updated_at = $2 \
                   WHERE status = 'running' AND lease_holder = $1 RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(holder).bind(now).fetch_all(p).await)?)
    }
}
