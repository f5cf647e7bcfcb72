//! The `projects` and `project_runs` tables. A project's status, progress and stage are not stored twice: they
//! are read from the job of its latest run (`pending` before the first), so a run whose node died shows what
//! the engine made of it, never a stale `running`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{Db, StoreError, on_pool};

/// Where a project is, as ResoftAI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProjectStatus {
    /// Never run.
    Pending,
    /// Its run is queued or running.
    Running,
    /// Its run finished.
    Completed,
    /// Its run failed or timed out.
    Failed,
    /// Its run was stopped.
    Cancelled,
}

impl ProjectStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [Self::Pending, Self::Running, Self::Completed, Self::Failed, Self::Cancelled];

    /// The status as rendered.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for ProjectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProjectStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| format!("unknown project status {s:?}"))
    }
}

impl TryFrom<String> for ProjectStatus {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// The projects with their latest run's state: the job status mapped to the project's (portable SQL).
macro_rules! select {
    () => {
        "SELECT p.*, CASE WHEN j.id IS NULL THEN 'pending' \
         WHEN j.status IN ('queued', 'running') THEN 'running' \
         WHEN j.status = 'succeeded' THEN 'completed' \
         WHEN j.status = 'cancelled' THEN 'cancelled' ELSE 'failed' END AS status, \
         COALESCE(j.progress, 0) AS progress, j.stage AS current_stage, r.workflow_id, j.error AS run_error, \
         j.started_at AS run_started_at, j.finished_at AS run_finished_at \
         FROM projects p LEFT JOIN jobs j ON j.id = p.run_job_id LEFT JOIN project_runs r ON r.job_id = p.run_job_id"
    };
}

/// The filtered list, to page or to count.
macro_rules! filtered {
    () => {
        concat!(
            "SELECT * FROM (",
            select!(),
            ") x WHERE ($1 IS NULL OR x.user_id = $1) AND ($2 IS NULL OR x.status = $2)"
        )
    };
}

/// A project to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProject {
    /// Its owner.
    pub user_id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// What to build.
    pub requirements: String,
    /// The workflow configuration (validated by the service).
    pub config: Value,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectChanges {
    /// New name.
    pub name: Option<String>,
    /// New description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
    /// New requirements.
    pub requirements: Option<String>,
    /// New configuration.
    pub config: Option<Value>,
}

impl ProjectChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.description.is_none() && self.requirements.is_none() && self.config.is_none()
    }
}

/// A project with the state of its latest run.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProjectRecord {
    /// Database id.
    pub id: i64,
    /// Its owner.
    pub user_id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// What to build.
    pub requirements: String,
    /// The workflow configuration.
    pub config: Value,
    /// The latest run's job.
    pub run_job_id: Option<i64>,
    /// The latest run's checkpoint: the stages it completed and what they produced.
    pub checkpoint: Option<Value>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its fields last changed.
    pub updated_at: DateTime<Utc>,
    /// Read from the latest run.
    #[sqlx(try_from = "String")]
    pub status: ProjectStatus,
    /// The latest run's progress, 0–100 (0 before the first).
    pub progress: i32,
    /// The stage the latest run is in (or stopped in).
    pub current_stage: Option<String>,
    /// The latest run's workflow id.
    pub workflow_id: Option<String>,
    /// Why the latest run failed.
    pub run_error: Option<String>,
    /// When the latest run's current attempt started.
    pub run_started_at: Option<DateTime<Utc>>,
    /// When the latest run ended.
    pub run_finished_at: Option<DateTime<Utc>>,
}

impl ProjectRecord {
    /// When the project was completed (its latest run succeeded).
    pub fn completed_at(&self) -> Option<DateTime<Utc>> {
        (self.status == ProjectStatus::Completed).then_some(self.run_finished_at).flatten()
    }
}

/// A run of a project.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RunRecord {
    /// The run's job.
    pub job_id: i64,
    /// The project.
    pub project_id: i64,
    /// `wf_<unix seconds>_<hex>`.
    pub workflow_id: String,
    /// The checkpoint stage it resumed after, for a resumed run.
    pub resumed_from: Option<String>,
    /// When it was started.
    pub created_at: DateTime<Utc>,
}

/// Which projects to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectFilter {
    /// Only this owner's (`None`: everyone's, for administrators).
    pub user_id: Option<i64>,
    /// Only in this status.
    pub status: Option<ProjectStatus>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return (1–100).
    pub limit: i64,
}

impl Db {
    /// How a transaction that reads and then writes begins: SQLite must take the write lock at the start, or
    /// the transaction fails at once with "database is locked" when another writer committed meanwhile (no
    /// busy wait can save it); PostgreSQL's row locks and guards need nothing more.
    pub(crate) fn write_begin(&self) -> &'static str {
        match self.backend() {
            crate::Backend::Sqlite => "BEGIN IMMEDIATE",
            crate::Backend::Postgres => "BEGIN",
        }
    }

    /// Creates a project.
    pub async fn insert_project(&self, p: &NewProject, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let sql = "INSERT INTO projects (user_id, name, description, requirements, config, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
        Ok(on_pool!(self, |pool| sqlx::query_scalar(sql)
            .bind(p.user_id)
            .bind(&p.name)
            .bind(&p.description)
            .bind(&p.requirements)
            .bind(&p.config)
            .bind(now)
            .fetch_one(pool)
            .await)?)
    }

    /// Creates a project counted against the quota row `quota_id` (none: uncounted), in one transaction: the
    /// row's `used` goes up only while below its limit; `None` (nothing written) when the quota is used up.
    pub async fn insert_project_reserving(
        &self,
        p: &NewProject,
        quota_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let reserve = "UPDATE quotas SET used = used + 1, updated_at = $2 WHERE id = $1 AND used < quota_limit";
        let insert = "INSERT INTO projects (user_id, name, description, requirements, config, created_at, \
                      updated_at, quota_id) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| async {
            let mut tx = pool.begin_with(begin).await?;
            if let Some(q) = quota_id {
                let reserved = sqlx::query(reserve).bind(q).bind(now).execute(&mut *tx).await?.rows_affected();
                if reserved != 1 {
                    return Ok::<_, sqlx::Error>(None);
                }
            }
            let id: i64 = sqlx::query_scalar(insert)
                .bind(p.user_id)
                .bind(&p.name)
                .bind(&p.description)
                .bind(&p.requirements)
                .bind(&p.config)
                .bind(now)
                .bind(quota_id)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(id))
        }
        .await)?)
    }

    /// One project with its latest run's state.
    pub async fn project(&self, id: i64) -> Result<Option<ProjectRecord>, StoreError> {
        let sql = concat!(select!(), " WHERE p.id = $1");
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?)
    }

    /// A page of projects, newest first, and how many match in all.
    pub async fn list_projects(&self, f: &ProjectFilter) -> Result<(Vec<ProjectRecord>, i64), StoreError> {
        let page = concat!(filtered!(), " ORDER BY x.id DESC LIMIT $3 OFFSET $4");
        let count = concat!("SELECT COUNT(*) FROM (", filtered!(), ") c");
        let status = f.status.map(ProjectStatus::as_str);
        let (limit, offset) = (f.limit.clamp(1, 100), f.offset.max(0));
        Ok(on_pool!(self, |pool| {
            let rows = sqlx::query_as(page).bind(f.user_id).bind(status).bind(limit).bind(offset).fetch_all(pool);
            let total = sqlx::query_scalar(count).bind(f.user_id).bind(status);
            let rows = rows.await?;
            let total: i64 = total.fetch_one(pool).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// Changes a project's fields; `false` when there is no such project.
    pub async fn update_project(&self, id: i64, c: &ProjectChanges, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE projects SET name = COALESCE($2, name), \
                   description = CASE WHEN $3 THEN $4 ELSE description END, \
                   requirements = COALESCE($5, requirements), config = COALESCE($6, config), updated_at = $7 \
                   WHERE id = $1";
        let (set_description, description) = match &c.description {
            Some(d) => (true, d.clone()),
            None => (false, None),
        };
        let done = on_pool!(self, |pool| sqlx::query(sql)
            .bind(id)
            .bind(&c.name)
            .bind(set_description)
            .bind(description)
            .bind(&c.requirements)
            .bind(&c.config)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Deletes a project with its runs' jobs (their events, activities and gate checks go with them) and its
    /// file rows, releasing the quota it was counted against; answers the SHA-256 digests its versions used, for
    /// the caller to release from the file store.
    pub async fn delete_project(&self, id: i64) -> Result<Vec<String>, StoreError> {
        let shas = "SELECT DISTINCT v.sha256 FROM file_versions v JOIN project_files f ON f.id = v.file_id \
                    WHERE f.project_id = $1";
        let clear = "UPDATE projects SET run_job_id = NULL WHERE id = $1";
        let jobs = "DELETE FROM jobs WHERE id IN (SELECT job_id FROM project_runs WHERE project_id = $1)";
        let release = "UPDATE quotas SET used = used - 1 WHERE used > 0 \
                       AND id = (SELECT quota_id FROM projects WHERE id = $1)";
        let project = "DELETE FROM projects WHERE id = $1";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let digests: Vec<String> = sqlx::query_scalar(shas).bind(id).fetch_all(&mut *tx).await?;
            sqlx::query(release).bind(id).execute(&mut *tx).await?;
            sqlx::query(clear).bind(id).execute(&mut *tx).await?;
            sqlx::query(jobs).bind(id).execute(&mut *tx).await?;
            sqlx::query(project).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(digests)
        })?)
    }

    /// Makes `job_id` the project's latest run if its latest run is still `expected` (compare and swap, so two
    /// starts at once cannot both win); records the run. `false` when another start came first.
    pub async fn start_project_run(
        &self,
        project_id: i64,
        expected: Option<i64>,
        run: &RunRecord,
        reset_checkpoint: bool,
    ) -> Result<bool, StoreError> {
        let swap = "UPDATE projects SET run_job_id = $2, \
                    checkpoint = CASE WHEN $4 THEN NULL ELSE checkpoint END \
                    WHERE id = $1 AND run_job_id IS NOT DISTINCT FROM $3";
        let record = "INSERT INTO project_runs (job_id, project_id, workflow_id, resumed_from, created_at) \
                      VALUES ($1, $2, $3, $4, $5)";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let swapped = sqlx::query(swap)
                .bind(project_id)
                .bind(run.job_id)
                .bind(expected)
                .bind(reset_checkpoint)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
            if swapped {
                sqlx::query(record)
                    .bind(run.job_id)
                    .bind(project_id)
                    .bind(&run.workflow_id)
                    .bind(&run.resumed_from)
                    .bind(run.created_at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(swapped)
        })?)
    }

    /// Stores the checkpoint of the project's run `job_id`, durably; `false` when that run is no longer the
    /// project's latest (a newer run started, or the project is gone).
    pub async fn save_project_checkpoint(
        &self,
        project_id: i64,
        job_id: i64,
        checkpoint: &Value,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE projects SET checkpoint = $3 WHERE id = $1 AND run_job_id = $2";
        let done = on_pool!(self, |pool| sqlx::query(sql)
            .bind(project_id)
            .bind(job_id)
            .bind(checkpoint)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// The run recorded for a job, if it is a project run.
    pub async fn project_run(&self, job_id: i64) -> Result<Option<RunRecord>, StoreError> {
        let sql = "SELECT * FROM project_runs WHERE job_id = $1";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(job_id).fetch_optional(pool).await)?)
    }
}
