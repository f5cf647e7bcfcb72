//! Agent activities of projects: every agent call of every run, behind the project's access rule.

use slipway_core::{Error, FieldError, Principal};
use slipway_engine::Page;
use slipway_store::factory::ProjectActivity;

use crate::Factory;
use crate::window::Window;

/// Activities a page lists unless asked otherwise.
pub const DEFAULT_PAGE: i64 = 50;

impl Factory {
    /// A page of the project's agent calls, oldest first, optionally of one agent (`RequirementsAnalystAgent`
    /// …): `project_id` is required, `skip` ≥ 0, `limit` 1–100 (default 50).
    pub async fn activities(
        &self,
        principal: &Principal,
        project_id: Option<i64>,
        agent: Option<&str>,
        skip: Option<i64>,
        limit: Option<i64>,
    ) -> Result<Page<ProjectActivity>, Error> {
        let mut problems = Vec::new();
        let window = Window::check(skip, limit, DEFAULT_PAGE, &mut problems);
        if project_id.is_none() {
            problems.push(FieldError::query("project_id", "missing", "field required"));
        }
        let Some(project_id) = project_id.filter(|_| problems.is_empty()) else {
            return Err(Error::Validation(problems));
        };
        self.project_for(principal, project_id).await?;
        let agent = agent.filter(|a| !a.is_empty());
        let (rows, total) = self.db.project_activities(project_id, agent, window.skip, window.limit).await?;
        let items = rows.into_iter().map(|activity| ProjectActivity { project_id, activity }).collect();
        Ok(Page { items, total })
    }

    /// One agent call of a project the caller may see (others are "not found").
    pub async fn activity(&self, principal: &Principal, id: i64) -> Result<ProjectActivity, Error> {
        let not_found = || Error::NotFound(format!("activity {id}"));
        let found = self.db.project_activity(id).await?.ok_or_else(not_found)?;
        self.project_for(principal, found.project_id).await.map_err(|_| not_found())?;
        Ok(found)
    }
}
