//! Agent activities of projects: every agent call of every run, behind the project's access rule.

use slipway_core::{Error, Principal};
use slipway_engine::Page;
use slipway_store::factory::ProjectActivity;

use crate::Factory;

impl Factory {
    /// A page of the project's agent calls, oldest first, optionally of one agent (`RequirementsAnalystAgent`
    /// …); `limit` 1–100.
    pub async fn activities(
        &self,
        principal: &Principal,
        project_id: i64,
        agent: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<Page<ProjectActivity>, Error> {
        self.project_for(principal, project_id).await?;
        let (rows, total) = self.db.project_activities(project_id, agent, offset, limit).await?;
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
