//! The `pipelines` table. Lists carry the creator's name, the step count and the latest run (its status read
//! from its job) in the same query. Secret values arrive sealed: this module never sees plaintext.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{Db, StoreError, on_pool};

/// Every pipeline column with its creator and latest run (portable SQL).
macro_rules! select {
    () => {
        "SELECT p.*, u.username AS created_by_username, r.id AS last_run_id, \
         CASE WHEN r.id IS NULL THEN NULL WHEN j.id IS NULL OR j.status = 'queued' THEN 'pending' \
         WHEN j.status = 'running' THEN 'running' WHEN j.status = 'succeeded' THEN 'success' \
         WHEN j.status = 'cancelled' THEN 'cancelled' ELSE 'failed' END AS last_run_status, \
         j.started_at AS last_run_started_at, j.finished_at AS last_run_finished_at \
         FROM pipelines p JOIN users u ON u.id = p.user_id \
         LEFT JOIN pipeline_runs r ON r.id = (SELECT MAX(id) FROM pipeline_runs WHERE pipeline_id = p.id) \
         LEFT JOIN jobs j ON j.id = r.job_id"
    };
}

/// The filtered list, to page or to count.
macro_rules! filtered {
    () => {
        concat!(
            select!(),
            " WHERE ($1 IS NULL OR p.user_id = $1) AND ($2 IS NULL OR p.is_active = $2) \
             AND ($3 IS NULL OR LOWER(p.name) LIKE $3 ESCAPE '\\' OR LOWER(p.description) LIKE $3 ESCAPE '\\')"
        )
    };
}

/// A pipeline's fields as written (create and full update).
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineFields {
    /// Name.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// The repository's URL (may be empty).
    pub repository_url: String,
    /// `repository_key(repository_url)`: what webhook pushes are matched by.
    pub repository_key: String,
    /// The default branch.
    pub branch: String,
    /// The events that trigger it (a JSON array of strings).
    pub trigger_events: Value,
    /// The steps (a JSON array of `{name, type, config}`).
    pub steps: Value,
    /// The variables (a JSON array of `{name, value, secret}`; secret values sealed).
    pub variables: Value,
    /// The sealed repository credential.
    pub repository_credential: Option<String>,
    /// The sealed webhook secret.
    pub webhook_secret: Option<String>,
    /// A cron expression it runs on.
    pub schedule: Option<String>,
    /// Whether its steps may use the network.
    pub network: bool,
    /// Whether it is active.
    pub is_active: bool,
}

/// A pipeline with its creator and latest run.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PipelineRecord {
    /// Database id.
    pub id: i64,
    /// Its owner (creator).
    pub user_id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Repository URL.
    pub repository_url: String,
    /// Repository key (see [`PipelineFields::repository_key`]).
    pub repository_key: String,
    /// Default branch.
    pub branch: String,
    /// Trigger events (JSON array).
    pub trigger_events: Value,
    /// Steps (JSON array).
    pub steps: Value,
    /// Variables (JSON array, secret values sealed).
    pub variables: Value,
    /// The sealed repository credential.
    pub repository_credential: Option<String>,
    /// The sealed webhook secret.
    pub webhook_secret: Option<String>,
    /// Cron expression.
    pub schedule: Option<String>,
    /// The engine schedule that runs it.
    pub schedule_id: Option<i64>,
    /// Whether steps may use the network.
    pub network: bool,
    /// Whether it is active.
    pub is_active: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The owner's username.
    pub created_by_username: String,
    /// The latest run.
    pub last_run_id: Option<i64>,
    /// The latest run's status.
    pub last_run_status: Option<String>,
    /// When the latest run started.
    pub last_run_started_at: Option<DateTime<Utc>>,
    /// When the latest run finished.
    pub last_run_finished_at: Option<DateTime<Utc>>,
}

impl PipelineRecord {
    /// How many steps it has.
    pub fn steps_count(&self) -> usize {
        self.steps.as_array().map_or(0, Vec::len)
    }
}

/// Which pipelines to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineFilter {
    /// Only this owner's.
    pub user_id: Option<i64>,
    /// Only active (`true`) or inactive ones.
    pub is_active: Option<bool>,
    /// A substring of the name or description (case-insensitive).
    pub search: Option<String>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return (1–100).
    pub limit: i64,
}

/// `%text%` for LIKE, with LIKE's wildcards taken literally.
fn like_pattern(text: &str) -> String {
    let lowered = text.to_lowercase();
    let escaped = lowered.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Db {
    /// Creates a pipeline; answers its id.
    pub async fn insert_pipeline(
        &self,
        user_id: i64,
        f: &PipelineFields,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO pipelines (user_id, name, description, repository_url, repository_key, branch, \
                   trigger_events, steps, variables, repository_credential, webhook_secret, schedule, network, \
                   is_active, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id";
        Ok(on_pool!(self, |pool| sqlx::query_scalar(sql)
            .bind(user_id)
            .bind(&f.name)
            .bind(&f.description)
            .bind(&f.repository_url)
            .bind(&f.repository_key)
            .bind(&f.branch)
            .bind(&f.trigger_events)
            .bind(&f.steps)
            .bind(&f.variables)
            .bind(&f.repository_credential)
            .bind(&f.webhook_secret)
            .bind(&f.schedule)
            .bind(f.network)
            .bind(f.is_active)
            .bind(now)
            .fetch_one(pool)
            .await)?)
    }

    /// Replaces a pipeline's fields; `false` when there is no such pipeline.
    pub async fn update_pipeline(&self, id: i64, f: &PipelineFields, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE pipelines SET name = $2, description = $3, repository_url = $4, repository_key = $5, \
                   branch = $6, trigger_events = $7, steps = $8, variables = $9, repository_credential = $10, \
                   webhook_secret = $11, schedule = $12, network = $13, is_active = $14, updated_at = $15 \
                   WHERE id = $1";
        let done = on_pool!(self, |pool| sqlx::query(sql)
            .bind(id)
            .bind(&f.name)
            .bind(&f.description)
            .bind(&f.repository_url)
            .bind(&f.repository_key)
            .bind(&f.branch)
            .bind(&f.trigger_events)
            .bind(&f.steps)
            .bind(&f.variables)
            .bind(&f.repository_credential)
            .bind(&f.webhook_secret)
            .bind(&f.schedule)
            .bind(f.network)
            .bind(f.is_active)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Records the engine schedule that runs a pipeline (or none).
    pub async fn set_pipeline_schedule(&self, id: i64, schedule_id: Option<i64>) -> Result<(), StoreError> {
        let sql = "UPDATE pipelines SET schedule_id = $2 WHERE id = $1";
        on_pool!(self, |pool| sqlx::query(sql).bind(id).bind(schedule_id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// One pipeline with its creator and latest run.
    pub async fn pipeline(&self, id: i64) -> Result<Option<PipelineRecord>, StoreError> {
        let sql = concat!(select!(), " WHERE p.id = $1");
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?)
    }

    /// A page of pipelines, newest first, and how many match in all (two queries, whatever the page size).
    pub async fn list_pipelines(&self, f: &PipelineFilter) -> Result<(Vec<PipelineRecord>, i64), StoreError> {
        let page = concat!(filtered!(), " ORDER BY p.id DESC LIMIT $4 OFFSET $5");
        let count = concat!("SELECT COUNT(*) FROM (", filtered!(), ") c");
        let search = f.search.as_deref().filter(|s| !s.is_empty()).map(like_pattern);
        let (limit, offset) = (f.limit.clamp(1, 100), f.offset.max(0));
        Ok(on_pool!(self, |pool| {
            let rows = sqlx::query_as(page)
                .bind(f.user_id)
                .bind(f.is_active)
                .bind(&search)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total: i64 =
                sqlx::query_scalar(count).bind(f.user_id).bind(f.is_active).bind(&search).fetch_one(pool).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// How many pipelines are active, over the whole installation (one count; the system status).
    pub async fn count_active_pipelines(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM pipelines WHERE is_active = $1";
        Ok(on_pool!(self, |pool| sqlx::query_scalar(sql).bind(true).fetch_one(pool).await)?)
    }

    /// The pipelines of a repository (by [`PipelineFields::repository_key`]), with their sealed webhook
    /// secrets: what a webhook delivery is matched against.
    pub async fn pipelines_for_repository(&self, repository_key: &str) -> Result<Vec<PipelineRecord>, StoreError> {
        let sql = concat!(select!(), " WHERE p.repository_key = $1 ORDER BY p.id");
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(repository_key).fetch_all(pool).await)?)
    }

    /// Deletes a pipeline with its runs' jobs (their events go with them), its runs, steps and artifact rows;
    /// answers the SHA-256 digests its artifacts used. `None` when there is no such pipeline.
    pub async fn delete_pipeline(&self, id: i64) -> Result<Option<Vec<String>>, StoreError> {
        let shas = "SELECT DISTINCT a.sha256 FROM pipeline_artifacts a JOIN pipeline_runs r ON r.id = a.run_id \
                    WHERE r.pipeline_id = $1";
        let jobs = "DELETE FROM jobs WHERE id IN (SELECT job_id FROM pipeline_runs WHERE pipeline_id = $1)";
        let pipeline = "DELETE FROM pipelines WHERE id = $1";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let digests: Vec<String> = sqlx::query_scalar(shas).bind(id).fetch_all(&mut *tx).await?;
            sqlx::query(jobs).bind(id).execute(&mut *tx).await?;
            let gone = sqlx::query(pipeline).bind(id).execute(&mut *tx).await?.rows_affected() == 1;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(gone.then_some(digests))
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern("Build_%X"), "%build\\_\\%x%");
    }
}
