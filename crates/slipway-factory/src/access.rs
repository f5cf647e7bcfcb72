//! Who may see and change a project: its owner and administrators (organizations will add the owner's team).
//! Every route that reaches a project, or a file, activity or run of one, goes through [`Factory::project_for`].

use slipway_core::{Error, Principal};
use slipway_store::factory::ProjectRecord;

use crate::Factory;

/// Whether `principal` may see and change `project`.
pub fn may_access(principal: &Principal, project: &ProjectRecord) -> bool {
    principal.is_admin() || project.user_id == principal.user_id
}

impl Factory {
    /// The project, if the caller may reach it; otherwise (and when there is none) `ProjectNotFound`, so a
    /// project's existence does not leak.
    pub async fn project_for(&self, principal: &Principal, id: i64) -> Result<ProjectRecord, Error> {
        match self.db.project(id).await? {
            Some(p) if may_access(principal, &p) => Ok(p),
            _ => Err(Error::ProjectNotFound(id)),
        }
    }
}
