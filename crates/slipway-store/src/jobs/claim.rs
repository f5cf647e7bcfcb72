//! Claiming queued jobs: one round trip takes up to N due jobs, leases them to one node and logs a `status`
//! event (`running`) per job. PostgreSQL runs `slipway_claim_jobs` (migrations 0003 and 0013), which skips rows
//! other nodes are claiming (`FOR NO KEY UPDATE SKIP LOCKED`, which a referencing row's foreign-key check does
//! not block) and notifies other nodes' subscribers; SQLite has one writer at a time, so its plain
//! `UPDATE … WHERE id IN (SELECT … LIMIT n)` is atomic, and its events follow in the same transaction.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::QueryBuilder;

use super::Channels;
use super::model::JobRecord;
use crate::{Db, StoreError};

const CLAIM_SQLITE: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_holder = $1, \
     lease_expires_at = $2, started_at = $3, updated_at = $3, event_seq = event_seq + 1 \
     WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_queue WHERE status = 'queued' AND scheduled_for <= $3 \
     AND kind IN (SELECT value FROM json_each($5)) ORDER BY priority DESC, scheduled_for, id LIMIT $4) \
     RETURNING *";

const CLAIM_POSTGRES: &str = "SELECT * FROM slipway_claim_jobs($1, $2, $3, $4, $5, $6)";

impl Db {
    /// Leases up to `limit` due queued jobs of the given kinds to `holder` until `lease_until`, highest
    /// priority first, and logs their `running` event.
    pub async fn claim_jobs(
        &self,
        holder: &str,
        kinds: &[String],
        limit: i64,
        lease_until: DateTime<Utc>,
        channels: Option<&Channels>,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let now = slipway_core::time::now();
        let mut jobs = match self {
            Db::Postgres(p) => {
                let limit = i32::try_from(limit).unwrap_or(i32::MAX);
                let channel = channels.map(|c| c.events.as_str());
                sqlx::query_as(CLAIM_POSTGRES)
                    .bind(holder)
                    .bind(lease_until)
                    .bind(now)
                    .bind(limit)
                    .bind(kinds)
                    .bind(channel)
                    .fetch_all(p)
                    .await?
            }
            Db::Sqlite(p) => {
                let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
                let mut tx = p.begin().await?;
                let jobs: Vec<JobRecord> = sqlx::query_as(CLAIM_SQLITE)
                    .bind(holder)
                    .bind(lease_until)
                    .bind(now)
                    .bind(limit)
                    .bind(&kinds)
                    .fetch_all(&mut *tx)
                    .await?;
                if !jobs.is_empty() {
                    let mut qb = QueryBuilder::new("INSERT INTO job_events (job_id, seq, at, type, payload) ");
                    qb.push_values(&jobs, |mut row, j| {
                        row.push_bind(j.id)
                            .push_bind(j.event_seq)
                            .push_bind(now)
                            .push_bind("status")
                            .push_bind(json!({ "status": "running", "attempt": j.attempts, "node": holder }));
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                jobs
            }
        };
        jobs.sort_by(|a: &JobRecord, b: &JobRecord| {
            b.priority.cmp(&a.priority).then(a.scheduled_for.cmp(&b.scheduled_for)).then(a.id.cmp(&b.id))
        });
        Ok(jobs)
    }
}
