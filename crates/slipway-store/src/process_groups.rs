//! The `process_groups` table: the process groups of commands jobs are running, recorded by the node that
//! started them and removed when they end, so a node starting after a crash can kill what a dead node left
//! behind on its host.

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// A running command's process group, to record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NewProcessGroup {
    /// The job it runs for.
    pub job_id: i64,
    /// The attempt.
    pub attempt: i32,
    /// The engine node that started it.
    pub node: String,
    /// That node's process id.
    pub node_pid: i32,
    /// When that node's process started (clock ticks since boot).
    pub node_start_ticks: i64,
    /// The host's name.
    pub hostname: String,
    /// The host's boot id.
    pub boot_id: String,
    /// The group (its leader's pid).
    pub pgid: i32,
    /// When the leader started (clock ticks since boot).
    pub start_ticks: i64,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// A recorded process group.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProcessGroupRecord {
    /// The record's id.
    pub id: i64,
    /// What was recorded.
    #[sqlx(flatten)]
    pub group: NewProcessGroup,
}

impl Db {
    /// Records a started process group; returns its id.
    pub async fn insert_process_group(&self, g: &NewProcessGroup) -> Result<i64, StoreError> {
        let sql = "INSERT INTO process_groups (job_id, attempt, node, node_pid, node_start_ticks, hostname, boot_id, \
                   pgid, start_ticks, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(g.job_id)
            .bind(g.attempt)
            .bind(&g.node)
            .bind(g.node_pid)
            .bind(g.node_start_ticks)
            .bind(&g.hostname)
            .bind(&g.boot_id)
            .bind(g.pgid)
            .bind(g.start_ticks)
            .bind(g.created_at)
            .fetch_one(p)
            .await)?)
    }

    /// Removes a record (its command ended, or its leftovers were killed).
    pub async fn delete_process_group(&self, id: i64) -> Result<(), StoreError> {
        let sql = "DELETE FROM process_groups WHERE id = $1";
        on_pool!(self, |p| sqlx::query(sql).bind(id).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The groups recorded on the host `hostname`, oldest first.
    pub async fn process_groups_on_host(&self, hostname: &str) -> Result<Vec<ProcessGroupRecord>, StoreError> {
        let sql = "SELECT * FROM process_groups WHERE hostname = $1 ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(hostname).fetch_all(p).await)?)
    }
}
