//! Projects: create, list, read (with deliverables), change while pending, delete with everything they own.

use serde_json::Value;
use slipway_core::{Error, FieldError, Principal, WorkflowProblem};
use slipway_engine::Page;
use slipway_store::factory::{NewProject, ProjectChanges, ProjectFilter, ProjectRecord, ProjectStatus};

use crate::Factory;
use crate::config::ProjectConfig;
use crate::deliverables::Deliverables;
use crate::quota::QuotaAction;
use crate::window::Window;

/// The longest name, characters.
pub const MAX_NAME: usize = 200;
/// The longest description, characters.
pub const MAX_DESCRIPTION: usize = 5_000;
/// The longest requirements, characters.
pub const MAX_REQUIREMENTS: usize = 50_000;
/// Projects a page lists unless asked otherwise.
pub const DEFAULT_PAGE: i64 = 20;

/// Which projects to list, as the client asked (checked by [`Factory::projects`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectQuery {
    /// Rows to skip.
    pub skip: Option<i64>,
    /// Rows to return.
    pub limit: Option<i64>,
    /// Only projects in this status.
    pub status: Option<String>,
    /// Another user's projects (administrators only).
    pub user_id: Option<i64>,
}

/// A project to create, as a client sent it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectRequest {
    /// Name (required).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// What to build (required).
    pub requirements: String,
    /// The workflow configuration (`None`: defaults).
    pub config: Option<Value>,
}

/// Changes to a pending project; `None` leaves a field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New requirements.
    pub requirements: Option<String>,
    /// New workflow configuration.
    pub config: Option<Value>,
}

/// A project with what its runs delivered.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectDetail {
    /// The project.
    pub project: ProjectRecord,
    /// Its deliverables so far.
    pub deliverables: Deliverables,
}

/// Checks a text field: trimmed, not empty when `required`, at most `max` characters.
pub(crate) fn text(field: &str, value: &str, max: usize, required: bool) -> Result<String, Error> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(Error::invalid_field(field, "value_error", format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(Error::invalid_field(
            field,
            "string_too_long",
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

impl Factory {
    /// Creates a project owned by the caller, counted against their organization's `projects` quota (`PROJ_003`
    /// when it is used up).
    pub async fn create_project(&self, principal: &Principal, req: ProjectRequest) -> Result<ProjectRecord, Error> {
        let mut errors = Vec::new();
        let mut keep = |r: Result<String, Error>| match r {
            Ok(v) => Some(v),
            Err(e) => {
                errors.extend(e.field_errors().iter().cloned());
                None
            }
        };
        let name = keep(text("name", &req.name, MAX_NAME, true));
        let requirements = keep(text("requirements", &req.requirements, MAX_REQUIREMENTS, true));
        let description = req.description.as_deref().map(|d| text("description", d, MAX_DESCRIPTION, false));
        let description = match description {
            Some(d) => keep(d).filter(|d| !d.is_empty()),
            None => None,
        };
        let config = ProjectConfig::from_request(req.config.as_ref());
        if let Err(e) = &config {
            errors.extend(e.field_errors().iter().cloned());
        }
        let (Some(name), Some(requirements), Ok(config), true) = (name, requirements, config, errors.is_empty()) else {
            return Err(Error::Validation(errors));
        };
        self.quota.check(principal, QuotaAction::CreateProject).await?;
        let new = NewProject { user_id: principal.user_id, name, description, requirements, config: config.to_value() };
        // Counted against the creator's organization in the insert's own transaction (none: unlimited).
        let quota = self.db.project_quota_of(principal.user_id).await?;
        let id = self
            .db
            .insert_project_reserving(&new, quota, slipway_core::time::now())
            .await?
            .ok_or_else(|| Error::QuotaExceeded("the organization's projects quota is used up".into()))?;
        self.db.project(id).await?.ok_or_else(|| Error::Internal(format!("project {id} vanished")))
    }

    /// A page of the caller's projects, newest first (an administrator may ask for another user's with
    /// `user_id`): `status` one of the five, `skip` ≥ 0, `limit` 1–100 (default 20).
    pub async fn projects(&self, principal: &Principal, q: ProjectQuery) -> Result<Page<ProjectRecord>, Error> {
        let mut problems = Vec::new();
        let window = Window::check(q.skip, q.limit, DEFAULT_PAGE, &mut problems);
        let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => match s.parse::<ProjectStatus>() {
                Ok(status) => Some(status),
                Err(_) => {
                    problems.push(FieldError::query(
                        "status",
                        "enum",
                        "status must be one of pending, running, completed, failed, cancelled",
                    ));
                    None
                }
            },
        };
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        let owner = match q.user_id {
            Some(u) if u != principal.user_id && !principal.is_admin() => {
                return Err(Error::Forbidden("only administrators may list other users' projects".into()));
            }
            Some(u) => u,
            None => principal.user_id,
        };
        let filter = ProjectFilter { user_id: Some(owner), status, offset: window.skip, limit: window.limit };
        let (items, total) = self.db.list_projects(&filter).await?;
        Ok(Page { items, total })
    }

    /// A project with its deliverables.
    pub async fn project(&self, principal: &Principal, id: i64) -> Result<ProjectDetail, Error> {
        let project = self.project_for(principal, id).await?;
        let deliverables = self.deliverables(&project).await?;
        Ok(ProjectDetail { project, deliverables })
    }

    /// Changes a project that never ran (`WORKFLOW_001` otherwise, saying why); an empty change is refused.
    pub async fn update_project(
        &self,
        principal: &Principal,
        id: i64,
        update: ProjectUpdate,
    ) -> Result<ProjectRecord, Error> {
        let project = self.project_for(principal, id).await?;
        let changes = ProjectChanges {
            name: update.name.as_deref().map(|n| text("name", n, MAX_NAME, true)).transpose()?,
            description: update
                .description
                .as_deref()
                .map(|d| text("description", d, MAX_DESCRIPTION, false).map(|d| Some(d).filter(|d| !d.is_empty())))
                .transpose()?,
            requirements: update
                .requirements
                .as_deref()
                .map(|r| text("requirements", r, MAX_REQUIREMENTS, true))
                .transpose()?,
            config: update
                .config
                .as_ref()
                .map(|c| ProjectConfig::from_request(Some(c)).map(|c| c.to_value()))
                .transpose()?,
        };
        if changes.is_empty() {
            return Err(Error::NoUpdateData);
        }
        if project.status != ProjectStatus::Pending {
            return Err(Error::Workflow(WorkflowProblem::NotPending));
        }
        self.db.update_project(id, &changes, slipway_core::time::now()).await?;
        self.db.project(id).await?.ok_or(Error::ProjectNotFound(id))
    }

    /// Deletes a project that is not running, with its runs, activities and files (and the blobs no other file
    /// uses).
    pub async fn delete_project(&self, principal: &Principal, id: i64) -> Result<(), Error> {
        let project = self.project_for(principal, id).await?;
        if project.status == ProjectStatus::Running {
            return Err(Error::Workflow(WorkflowProblem::Running));
        }
        let digests = self.db.delete_project(id).await?;
        self.files.release(&digests).await;
        Ok(())
    }
}
