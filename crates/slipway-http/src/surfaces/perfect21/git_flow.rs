//! Perfect21's git-flow, `POST /workflow`: `create-feature`, `create-release`, `merge-to-main`, `branch-info` and
//! `cleanup` on one of the caller's repositories (`repository`: an id or a name; default their default one).
//!
//! Status codes: an action that ran and failed (a dirty tree, a conflict, a branch that exists) answers 200 with
//! `success: false` and `error`, as `POST /task` answers a task that failed; input that cannot be run (an
//! unknown action, a missing or invalid field) is 422 `VALIDATION_ERROR`, an unknown repository 404, git
//! refused to the caller (no sandbox) 403.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use slipway_delivery::git::FlowRequest;
use utoipa::ToSchema;

use super::git_flow_views::P21GitOutcome;
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// A repository named by id or by name.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum RepositoryRef {
    /// Its id.
    Id(i64),
    /// Its name (or its id as text).
    Name(String),
}

impl RepositoryRef {
    /// As the service takes it.
    pub fn as_text(r: Option<&Self>) -> Option<String> {
        r.map(|r| match r {
            Self::Id(id) => id.to_string(),
            Self::Name(n) => n.clone(),
        })
    }
}

/// A git-flow action (other fields are ignored).
#[derive(Debug, Deserialize, ToSchema)]
pub struct WorkflowBody {
    /// `create-feature`, `create-release`, `merge-to-main`, `branch-info` or `cleanup`.
    pub action: String,
    /// The feature's name (`create-feature`: `feature/<name>`).
    pub name: Option<String>,
    /// The release's version (`create-release`: `release/<version>`, tagged `v<version>` when merged).
    pub version: Option<String>,
    /// The branch to merge into main (`merge-to-main`).
    pub source: Option<String>,
    /// The base branch for `create-*` (default `develop`); the one feature branch `cleanup` deletes.
    pub branch: Option<String>,
    /// The repository: an id or a name (default: the caller's default repository).
    pub repository: Option<RepositoryRef>,
}

/// Runs a git-flow action with the `git` command (so the repository's hooks run).
#[utoipa::path(
    post, path = "/workflow", tag = "Perfect21", security(("bearer" = [])), request_body = WorkflowBody,
    responses(
        (status = 200, description = "`{success, output, error}`; `success: false` when the action ran and failed (the repository is left as it was)", body = P21GitOutcome),
        (status = 401, description = "INVALID_TOKEN"),
        (status = 403, description = "FORBIDDEN: git needs the sandbox for ordinary users, or a local path is an administrator's"),
        (status = 404, description = "NOT_FOUND: no such repository of the caller's"),
        (status = 422, description = "VALIDATION_ERROR: unknown action, a missing or invalid field")
    )
)]
pub async fn run(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(body): ApiJson<WorkflowBody>,
) -> Result<Json<P21GitOutcome>, ApiError> {
    let repository = RepositoryRef::as_text(body.repository.as_ref());
    let req = FlowRequest {
        action: body.action,
        name: body.name,
        version: body.version,
        source: body.source,
        branch: body.branch,
    };
    let outcome = state.git.flow(&auth.principal(), repository.as_deref(), &req).await?;
    Ok(Json(outcome.into()))
}
