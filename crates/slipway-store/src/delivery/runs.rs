//! The `pipeline_runs`, `pipeline_run_steps` and `pipeline_artifacts` tables. A run's status is not stored: it
//! is read from its job (`pending` until the job exists or while it is queued), so a run whose node died shows
//! what the engine made of it, never a stale `running`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{Db, StoreError, on_pool};

/// Runs with their pipeline's owner and their job's state (portable SQL).
macro_rules! select {
    () => {
        "SELECT r.*, p.user_id AS owner_id, \
         CASE WHEN j.id IS NULL OR j.status = 'queued' THEN 'pending' WHEN j.status = 'running' THEN 'running' \
         WHEN j.status = 'succeeded' THEN 'success' WHEN j.status = 'cancelled' THEN 'cancelled' \
         ELSE 'failed' END AS status, \
         j.error AS error, j.started_at AS started_at, j.finished_at AS finished_at \
         FROM pipeline_runs r JOIN pipelines p ON p.id = r.pipeline_id LEFT JOIN jobs j ON j.id = r.job_id"
    };
}

/// A run to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    /// The pipeline.
    pub pipeline_id: i64,
    /// Its job, when it already exists (a scheduled run records itself from its job).
    pub job_id: Option<i64>,
    /// `manual`, `push`, `pull_request`, `tag`, `schedule` or `restart`.
    pub trigger_type: String,
    /// Who triggered it.
    pub triggered_by: Option<i64>,
    /// What triggered it (the event's details).
    pub trigger_details: Value,
    /// The webhook delivery that triggered it.
    pub delivery_id: Option<String>,
    /// The branch it runs.
    pub branch: String,
    /// The commit it runs, when known up front.
    pub commit_sha: Option<String>,
    /// Its variables (a JSON array of `{name, value, secret}`; secret values sealed).
    pub variables: Value,
}

/// A run with its job's state.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PipelineRunRecord {
    /// Database id.
    pub id: i64,
    /// The pipeline.
    pub pipeline_id: i64,
    /// Its job.
    pub job_id: Option<i64>,
    /// Its number within the pipeline, from 1.
    pub number: i64,
    /// What triggered it.
    pub trigger_type: String,
    /// Who triggered it.
    pub triggered_by: Option<i64>,
    /// The trigger's details.
    pub trigger_details: Value,
    /// The webhook delivery.
    pub delivery_id: Option<String>,
    /// The branch.
    pub branch: String,
    /// The commit it ran (recorded by its checkout step).
    pub commit_sha: Option<String>,
    /// Its variables (secret values sealed).
    pub variables: Value,
    /// Who cancelled it.
    pub cancelled_by: Option<i64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The pipeline's owner.
    pub owner_id: i64,
    /// `pending`, `running`, `success`, `failed` or `cancelled`, read from its job.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    /// When its job started.
    pub started_at: Option<DateTime<Utc>>,
    /// When its job finished.
    pub finished_at: Option<DateTime<Utc>>,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunStepRecord {
    /// The run.
    pub run_id: i64,
    /// Its position, from 0.
    pub step_index: i32,
    /// Its name.
    pub name: String,
    /// Its type.
    pub step_type: String,
    /// `pending`, `running`, `success`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// The exit code of its process.
    pub exit_code: Option<i32>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long it ran.
    pub duration_ms: Option<i64>,
    /// The tail of its output (secrets masked).
    pub log: String,
}

/// How a step ended (or that it started).
#[derive(Debug, Clone, PartialEq)]
pub struct StepUpdate {
    /// Its new status.
    pub status: String,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Start time.
    pub started_at: Option<DateTime<Utc>>,
    /// End time.
    pub finished_at: Option<DateTime<Utc>>,
    /// Duration.
    pub duration_ms: Option<i64>,
    /// Output tail.
    pub log: String,
}

/// A stored artifact of a run.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ArtifactRecord {
    /// Database id.
    pub id: i64,
    /// The run.
    pub run_id: i64,
    /// The step that stored it.
    pub step_index: i32,
    /// Its path relative to the workspace.
    pub path: String,
    /// Bytes.
    pub size: i64,
    /// Its blob in the file store.
    pub sha256: String,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// An artifact to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewArtifact {
    /// The step that stored it.
    pub step_index: i32,
    /// Its path relative to the workspace.
    pub path: String,
    /// Bytes.
    pub size: i64,
    /// Its blob in the file store.
    pub sha256: String,
}

impl Db {
    /// Records a run with the next number of its pipeline and its steps (all `pending`), in one transaction.
    pub async fn insert_pipeline_run(
        &self,
        run: &NewRun,
        steps: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<PipelineRunRecord, StoreError> {
        let insert = "INSERT INTO pipeline_runs (pipeline_id, job_id, number, trigger_type, triggered_by, \
                      trigger_details, delivery_id, branch, commit_sha, variables, created_at, updated_at) \
                      VALUES ($1, $2, (SELECT COALESCE(MAX(number), 0) + 1 FROM pipeline_runs WHERE pipeline_id = $1), \
                      $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id";
        // Locks the pipeline's row (PostgreSQL; SQLite's write transaction is already alone), so concurrent runs
        // of one pipeline take their numbers one after the other instead of colliding on the same one.
        let lock = "UPDATE pipelines SET updated_at = updated_at WHERE id = $1";
        let begin = self.write_begin();
        let id = on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            sqlx::query(lock).bind(run.pipeline_id).execute(&mut *tx).await?;
            let id: i64 = sqlx::query_scalar(insert)
                .bind(run.pipeline_id)
                .bind(run.job_id)
                .bind(&run.trigger_type)
                .bind(run.triggered_by)
                .bind(&run.trigger_details)
                .bind(&run.delivery_id)
                .bind(&run.branch)
                .bind(&run.commit_sha)
                .bind(&run.variables)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            if !steps.is_empty() {
                let mut b = sqlx::QueryBuilder::new(
                    "INSERT INTO pipeline_run_steps (run_id, step_index, name, step_type, status, log) ",
                );
                b.push_values(steps.iter().enumerate(), |mut row, (i, (name, kind))| {
                    row.push_bind(id)
                        .push_bind(i32::try_from(i).unwrap_or(i32::MAX))
                        .push_bind(name)
                        .push_bind(kind)
                        .push_bind("pending")
                        .push_bind("");
                });
                b.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(id)
        })?;
        self.pipeline_run(id).await?.ok_or(StoreError::Other(sqlx::Error::RowNotFound))
    }

    /// Links a run to its job.
    pub async fn set_run_job(&self, run_id: i64, job_id: i64) -> Result<(), StoreError> {
        let sql = "UPDATE pipeline_runs SET job_id = $2 WHERE id = $1";
        on_pool!(self, |pool| sqlx::query(sql).bind(run_id).bind(job_id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Records the commit a run checked out.
    pub async fn set_run_commit(&self, run_id: i64, sha: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let sql = "UPDATE pipeline_runs SET commit_sha = $2, updated_at = $3 WHERE id = $1";
        on_pool!(self, |pool| sqlx::query(sql).bind(run_id).bind(sha).bind(now).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Records who cancelled a run.
    pub async fn set_run_cancelled_by(&self, run_id: i64, user_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        let sql = "UPDATE pipeline_runs SET cancelled_by = $2, updated_at = $3 WHERE id = $1";
        on_pool!(self, |pool| sqlx::query(sql).bind(run_id).bind(user_id).bind(now).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Deletes a run that never got its job (enqueueing it failed).
    pub async fn delete_pipeline_run(&self, run_id: i64) -> Result<(), StoreError> {
        let sql = "DELETE FROM pipeline_runs WHERE id = $1";
        on_pool!(self, |pool| sqlx::query(sql).bind(run_id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// One run with its job's state.
    pub async fn pipeline_run(&self, id: i64) -> Result<Option<PipelineRunRecord>, StoreError> {
        let sql = concat!(select!(), " WHERE r.id = $1");
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?)
    }

    /// The run a job runs.
    pub async fn pipeline_run_by_job(&self, job_id: i64) -> Result<Option<PipelineRunRecord>, StoreError> {
        let sql = concat!(select!(), " WHERE r.job_id = $1");
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(job_id).fetch_optional(pool).await)?)
    }

    /// A page of a pipeline's runs, newest first, and how many there are.
    pub async fn list_pipeline_runs(
        &self,
        pipeline_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<PipelineRunRecord>, i64), StoreError> {
        let page = concat!(select!(), " WHERE r.pipeline_id = $1 ORDER BY r.id DESC LIMIT $2 OFFSET $3");
        let count = "SELECT COUNT(*) FROM pipeline_runs WHERE pipeline_id = $1";
        let (limit, offset) = (limit.clamp(1, 100), offset.max(0));
        Ok(on_pool!(self, |pool| {
            let rows = sqlx::query_as(page).bind(pipeline_id).bind(limit).bind(offset).fetch_all(pool).await?;
            let total: i64 = sqlx::query_scalar(count).bind(pipeline_id).fetch_one(pool).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// A run's steps in order.
    pub async fn run_steps(&self, run_id: i64) -> Result<Vec<RunStepRecord>, StoreError> {
        let sql = "SELECT * FROM pipeline_run_steps WHERE run_id = $1 ORDER BY step_index";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(run_id).fetch_all(pool).await)?)
    }

    /// Stores how a step is going.
    pub async fn update_run_step(&self, run_id: i64, index: i32, u: &StepUpdate) -> Result<(), StoreError> {
        let sql = "UPDATE pipeline_run_steps SET status = $3, exit_code = $4, \
                   started_at = COALESCE($5, started_at), finished_at = $6, duration_ms = $7, log = $8 \
                   WHERE run_id = $1 AND step_index = $2";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(run_id)
            .bind(index)
            .bind(&u.status)
            .bind(u.exit_code)
            .bind(u.started_at)
            .bind(u.finished_at)
            .bind(u.duration_ms)
            .bind(&u.log)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Gives every step from `from` on that has not finished the status `status` (`skipped`, `cancelled`);
    /// a step that was running gets `finished_at`. One statement.
    pub async fn finish_remaining_steps(
        &self,
        run_id: i64,
        from: i32,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE pipeline_run_steps SET status = $3, \
                   finished_at = CASE WHEN started_at IS NULL THEN NULL ELSE $4 END \
                   WHERE run_id = $1 AND step_index >= $2 AND status IN ('pending', 'running')";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(run_id)
            .bind(from)
            .bind(status)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Records a step's artifacts (one statement); a path stored again by a later step replaces the earlier.
    pub async fn insert_artifacts(
        &self,
        run_id: i64,
        artifacts: &[NewArtifact],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if artifacts.is_empty() {
            return Ok(());
        }
        on_pool!(self, |pool| {
            let mut b = sqlx::QueryBuilder::new(
                "INSERT INTO pipeline_artifacts (run_id, step_index, path, size, sha256, created_at) ",
            );
            b.push_values(artifacts, |mut row, a| {
                row.push_bind(run_id)
                    .push_bind(a.step_index)
                    .push_bind(&a.path)
                    .push_bind(a.size)
                    .push_bind(&a.sha256)
                    .push_bind(now);
            });
            b.push(
                " ON CONFLICT (run_id, path) DO UPDATE SET step_index = excluded.step_index, size = excluded.size, \
                 sha256 = excluded.sha256, created_at = excluded.created_at",
            );
            b.build().execute(pool).await.map(|_| ())
        })?;
        Ok(())
    }

    /// A run's artifacts by path.
    pub async fn run_artifacts(&self, run_id: i64) -> Result<Vec<ArtifactRecord>, StoreError> {
        let sql = "SELECT * FROM pipeline_artifacts WHERE run_id = $1 ORDER BY path";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(run_id).fetch_all(pool).await)?)
    }

    /// One artifact of a run.
    pub async fn run_artifact(&self, run_id: i64, id: i64) -> Result<Option<ArtifactRecord>, StoreError> {
        let sql = "SELECT * FROM pipeline_artifacts WHERE run_id = $1 AND id = $2";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(run_id).bind(id).fetch_optional(pool).await)?)
    }
}
