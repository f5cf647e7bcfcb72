//! The agent activities of projects: `agent_activities` rows of the jobs that are project runs.

use crate::agents::ActivityRecord;
use crate::{Db, StoreError, on_pool};

/// An agent call of a project run, with the project it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectActivity {
    /// The project.
    pub project_id: i64,
    /// The recorded call.
    pub activity: ActivityRecord,
}

#[derive(sqlx::FromRow)]
struct Row {
    project_id: i64,
    #[sqlx(flatten)]
    activity: ActivityRecord,
}

impl Db {
    /// A page of a project's agent calls over all its runs, oldest first (optionally of one agent), and how many
    /// match in all.
    pub async fn project_activities(
        &self,
        project_id: i64,
        agent: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ActivityRecord>, i64), StoreError> {
        macro_rules! base {
            () => {
                "FROM agent_activities a JOIN project_runs r ON r.job_id = a.job_id \
                 WHERE r.project_id = $1 AND ($2 IS NULL OR a.agent = $2)"
            };
        }
        let page = concat!("SELECT a.* ", base!(), " ORDER BY a.id LIMIT $3 OFFSET $4");
        let count = concat!("SELECT COUNT(*) ", base!());
        let (limit, offset) = (limit.clamp(1, 100), offset.max(0));
        Ok(on_pool!(self, |pool| {
            let rows =
                sqlx::query_as(page).bind(project_id).bind(agent).bind(limit).bind(offset).fetch_all(pool).await?;
            let total: i64 = sqlx::query_scalar(count).bind(project_id).bind(agent).fetch_one(pool).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// One agent call of a project run, with its project (`None` for other jobs' calls).
    pub async fn project_activity(&self, id: i64) -> Result<Option<ProjectActivity>, StoreError> {
        let sql = "SELECT r.project_id, a.* FROM agent_activities a JOIN project_runs r ON r.job_id = a.job_id \
                   WHERE a.id = $1";
        let row: Option<Row> = on_pool!(self, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?;
        Ok(row.map(|r| ProjectActivity { project_id: r.project_id, activity: r.activity }))
    }
}
