//! The `deployments`, `deployment_targets` and `deployment_steps` tables. A deployment's status is not stored:
//! it is read from its job (`pending` until the job exists or while it is queued), so a deployment whose node
//! died shows what the engine made of it, never a stale `running`. Reads are not scoped to a user (the service
//! decides who may see deployments).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::delivery::StepUpdate;
use crate::{Db, StoreError, on_pool};

/// Deployments with their job's state (portable SQL).
macro_rules! select {
    () => {
        "SELECT d.*, \
         CASE WHEN j.id IS NULL OR j.status = 'queued' THEN 'pending' WHEN j.status = 'running' THEN 'running' \
         WHEN j.status = 'succeeded' THEN 'success' WHEN j.status = 'cancelled' THEN 'cancelled' \
         ELSE 'failed' END AS status, \
         j.error AS error, j.started_at AS started_at, j.finished_at AS finished_at \
         FROM deployments d LEFT JOIN jobs j ON j.id = d.job_id"
    };
}

/// The statuses a deployment may have (read from its job).
pub const DEPLOYMENT_STATUSES: [&str; 5] = ["pending", "running", "success", "failed", "cancelled"];

/// A deployment to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDeployment {
    /// Who asked for it.
    pub owner_id: i64,
    /// A name for people.
    pub name: String,
    /// `deploy`, or `rollback` (of `rollback_of`).
    pub kind: String,
    /// The deployment a rollback undoes.
    pub rollback_of: Option<i64>,
    /// What it releases (JSON).
    pub source: Value,
    /// How (JSON: path, steps, health check, strategy, timeouts).
    pub spec: Value,
}

/// One server of a deployment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTarget {
    /// The server.
    pub server_id: i64,
    /// Its name when the deployment was made.
    pub server_name: String,
    /// The release it is to get, when known up front (a rollback's).
    pub release: Option<String>,
    /// The release `current` pointed at before, when known up front.
    pub previous_release: Option<String>,
}

/// A deployment with its job's state.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeploymentRecord {
    /// Database id.
    pub id: i64,
    /// Who asked for it.
    pub owner_id: Option<i64>,
    /// A name for people.
    pub name: String,
    /// `deploy` or `rollback`.
    pub kind: String,
    /// The deployment a rollback undoes.
    pub rollback_of: Option<i64>,
    /// What it releases.
    pub source: Value,
    /// How.
    pub spec: Value,
    /// Its job.
    pub job_id: Option<i64>,
    /// Who cancelled it.
    pub cancelled_by: Option<i64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// `pending`, `running`, `success`, `failed` or `cancelled`, read from its job.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    /// When its job started.
    pub started_at: Option<DateTime<Utc>>,
    /// When its job finished.
    pub finished_at: Option<DateTime<Utc>>,
}

/// One server of a deployment, as it went.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeploymentTargetRecord {
    /// The deployment.
    pub deployment_id: i64,
    /// Its place in the order servers are deployed to, from 0.
    pub position: i32,
    /// The server (`None` once it is deleted).
    pub server_id: Option<i64>,
    /// Its name when the deployment was made.
    pub server_name: String,
    /// `pending`, `running`, `success`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// The release directory's name (under `<deploy_path>/releases`).
    pub release: Option<String>,
    /// The release `current` pointed at before.
    pub previous_release: Option<String>,
    /// Why it failed (the step, its exit code).
    pub error: Option<String>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// One step on one server.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DeploymentStepRecord {
    /// The deployment.
    pub deployment_id: i64,
    /// The server's position.
    pub position: i32,
    /// The step's position on that server, from 0.
    pub step_index: i32,
    /// Its name (`upload`, `pre_deploy`, `deploy`, `switch`, …).
    pub name: String,
    /// `pending`, `running`, `success`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// The exit code of its remote command.
    pub exit_code: Option<i32>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long it ran.
    pub duration_ms: Option<i64>,
    /// The tail of its output.
    pub log: String,
}

/// How a server's deployment is going; `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetUpdate {
    /// Its new status.
    pub status: String,
    /// The release directory's name.
    pub release: Option<String>,
    /// The release `current` pointed at before.
    pub previous_release: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// What a list of deployments is narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentFilter {
    /// Only deployments to this server.
    pub server_id: Option<i64>,
    /// Only this status.
    pub status: Option<String>,
}

const FILTERED: &str = "WHERE ($1 IS NULL OR x.status = $1) AND ($2 IS NULL OR EXISTS \
     (SELECT 1 FROM deployment_targets t WHERE t.deployment_id = x.id AND t.server_id = $2))";

impl Db {
    /// How many deployments (and rollbacks) were created since `since`.
    pub async fn deployments_since(&self, since: DateTime<Utc>) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM deployments WHERE created_at >= $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(since).fetch_one(p).await)?)
    }

    /// Records a deployment, its servers (in order) and each server's planned steps (all `pending`), in one
    /// transaction.
    pub async fn insert_deployment(
        &self,
        d: &NewDeployment,
        targets: &[NewTarget],
        steps: &[&str],
        now: DateTime<Utc>,
    ) -> Result<DeploymentRecord, StoreError> {
        let insert = "INSERT INTO deployments (owner_id, name, kind, rollback_of, source, spec, created_at, updated_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";
        let target = "INSERT INTO deployment_targets (deployment_id, position, server_id, server_name, status, \
                      release, previous_release) VALUES ($1, $2, $3, $4, 'pending', $5, $6)";
        let begin = self.write_begin();
        let id = on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let id: i64 = sqlx::query_scalar(insert)
                .bind(d.owner_id)
                .bind(&d.name)
                .bind(&d.kind)
                .bind(d.rollback_of)
                .bind(&d.source)
                .bind(&d.spec)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            for (position, t) in targets.iter().enumerate() {
                let position = i32::try_from(position).unwrap_or(i32::MAX);
                sqlx::query(target)
                    .bind(id)
                    .bind(position)
                    .bind(t.server_id)
                    .bind(&t.server_name)
                    .bind(&t.release)
                    .bind(&t.previous_release)
                    .execute(&mut *tx)
                    .await?;
                if !steps.is_empty() {
                    let mut b = sqlx::QueryBuilder::new(
                        "INSERT INTO deployment_steps (deployment_id, position, step_index, name, status, log) ",
                    );
                    b.push_values(steps.iter().enumerate(), |mut row, (i, name)| {
                        row.push_bind(id)
                            .push_bind(position)
                            .push_bind(i32::try_from(i).unwrap_or(i32::MAX))
                            .push_bind(*name)
                            .push_bind("pending")
                            .push_bind("");
                    });
                    b.build().execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(id)
        })?;
        self.deployment(id).await?.ok_or(StoreError::Other(sqlx::Error::RowNotFound))
    }

    /// Links a deployment to its job.
    pub async fn set_deployment_job(&self, id: i64, job_id: i64) -> Result<(), StoreError> {
        let sql = "UPDATE deployments SET job_id = $2 WHERE id = $1";
        on_pool!(self, |pool| sqlx::query(sql).bind(id).bind(job_id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Deletes a deployment that never got its job (enqueueing it failed).
    pub async fn delete_deployment(&self, id: i64) -> Result<(), StoreError> {
        let sql = "DELETE FROM deployments WHERE id = $1";
        on_pool!(self, |pool| sqlx::query(sql).bind(id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Records who cancelled a deployment.
    pub async fn set_deployment_cancelled_by(
        &self,
        id: i64,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE deployments SET cancelled_by = $2, updated_at = $3 WHERE id = $1";
        on_pool!(self, |pool| sqlx::query(sql).bind(id).bind(user_id).bind(now).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// One deployment with its job's state.
    pub async fn deployment(&self, id: i64) -> Result<Option<DeploymentRecord>, StoreError> {
        let sql = concat!(select!(), " WHERE d.id = $1");
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?)
    }

    /// A page of deployments matching `filter`, newest first, and how many match in all.
    pub async fn list_deployments(
        &self,
        filter: &DeploymentFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<DeploymentRecord>, i64), StoreError> {
        let page = format!("SELECT x.* FROM ({}) x {FILTERED} ORDER BY x.id DESC LIMIT $3 OFFSET $4", select!());
        let count = format!("SELECT COUNT(*) FROM ({}) x {FILTERED}", select!());
        let (limit, offset) = (limit.clamp(1, 100), offset.max(0));
        Ok(on_pool!(self, |pool| {
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(page.as_str()))
                .bind(filter.status.as_deref())
                .bind(filter.server_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.as_str()))
                .bind(filter.status.as_deref())
                .bind(filter.server_id)
                .fetch_one(pool)
                .await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// A deployment's servers in order.
    pub async fn deployment_targets(&self, id: i64) -> Result<Vec<DeploymentTargetRecord>, StoreError> {
        let sql = "SELECT * FROM deployment_targets WHERE deployment_id = $1 ORDER BY position";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(id).fetch_all(pool).await)?)
    }

    /// A deployment's steps, by server and then in order.
    pub async fn deployment_steps(&self, id: i64) -> Result<Vec<DeploymentStepRecord>, StoreError> {
        let sql = "SELECT * FROM deployment_steps WHERE deployment_id = $1 ORDER BY position, step_index";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(id).fetch_all(pool).await)?)
    }

    /// Stores how a server's deployment is going (release, previous release and start kept when `None`).
    pub async fn update_deployment_target(&self, id: i64, position: i32, u: &TargetUpdate) -> Result<(), StoreError> {
        let sql = "UPDATE deployment_targets SET status = $3, release = COALESCE($4, release), \
                   previous_release = COALESCE($5, previous_release), error = $6, \
                   started_at = COALESCE($7, started_at), finished_at = $8 \
                   WHERE deployment_id = $1 AND position = $2";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(id)
            .bind(position)
            .bind(&u.status)
            .bind(&u.release)
            .bind(&u.previous_release)
            .bind(&u.error)
            .bind(u.started_at)
            .bind(u.finished_at)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Gives every server of a deployment that has not started or finished the status `status` (`skipped`,
    /// `cancelled`), with its pending steps. One transaction.
    pub async fn finish_remaining_targets(&self, id: i64, status: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let targets = "UPDATE deployment_targets SET status = $2, \
                       finished_at = CASE WHEN started_at IS NULL THEN NULL ELSE $3 END \
                       WHERE deployment_id = $1 AND status IN ('pending', 'running')";
        let steps = "UPDATE deployment_steps SET status = $2, \
                     finished_at = CASE WHEN started_at IS NULL THEN NULL ELSE $3 END \
                     WHERE deployment_id = $1 AND status IN ('pending', 'running')";
        let begin = self.write_begin();
        on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            sqlx::query(targets).bind(id).bind(status).bind(now).execute(&mut *tx).await?;
            sqlx::query(steps).bind(id).bind(status).bind(now).execute(&mut *tx).await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// Gives the steps of one server that have not finished the status `status` (`skipped`, `cancelled`).
    pub async fn finish_remaining_deployment_steps(
        &self,
        id: i64,
        position: i32,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE deployment_steps SET status = $3, \
                   finished_at = CASE WHEN started_at IS NULL THEN NULL ELSE $4 END \
                   WHERE deployment_id = $1 AND position = $2 AND status IN ('pending', 'running')";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(id)
            .bind(position)
            .bind(status)
            .bind(now)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Adds a step to one server's list (switching back, the rollback command after a failure); returns its
    /// index.
    pub async fn append_deployment_step(&self, id: i64, position: i32, name: &str) -> Result<i32, StoreError> {
        let sql = "INSERT INTO deployment_steps (deployment_id, position, step_index, name, status, log) \
                   SELECT $1, $2, COALESCE(MAX(step_index), -1) + 1, $3, 'pending', '' FROM deployment_steps \
                   WHERE deployment_id = $1 AND position = $2 RETURNING step_index";
        Ok(on_pool!(self, |pool| sqlx::query_scalar(sql).bind(id).bind(position).bind(name).fetch_one(pool).await)?)
    }

    /// Stores how a step is going (its start kept when `None`).
    pub async fn update_deployment_step(
        &self,
        id: i64,
        position: i32,
        index: i32,
        u: &StepUpdate,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE deployment_steps SET status = $4, exit_code = $5, \
                   started_at = COALESCE($6, started_at), finished_at = $7, duration_ms = $8, log = $9 \
                   WHERE deployment_id = $1 AND position = $2 AND step_index = $3";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(id)
            .bind(position)
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
}
