//! Perfect21's git hooks, `POST /hooks/install`: a hook group (`standard`, `minimal`, `strict`) into the
//! repository's effective hooks directory (honouring `core.hooksPath`). Existing different hooks are kept and
//! reported (200, `success: false`) unless `force`; an unknown group is 422.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use super::git_flow::RepositoryRef;
use super::hooks_views::P21HooksInstalled;
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser};
use crate::state::AppState;

/// What to install (other fields are ignored).
#[derive(Debug, Deserialize, ToSchema)]
pub struct HooksBody {
    /// `standard` (default: pre-commit secret scan and lint, commit-msg format, pre-push tests), `minimal`
    /// (pre-commit secret scan) or `strict` (standard, and no commits directly on main or develop).
    pub hook_group: Option<String>,
    /// Replace existing different hooks (saved as `<hook>.slipway-backup`); default false.
    #[serde(default)]
    pub force: bool,
    /// The repository: an id or a name (default: the caller's default repository).
    pub repository: Option<RepositoryRef>,
}

/// Installs a hook group.
#[utoipa::path(
    post, path = "/hooks/install", tag = "Perfect21", security(("bearer" = [])), request_body = HooksBody,
    responses(
        (status = 200, description = "`{success, output, error, hook_group}`; `success: false` when existing hooks were kept", body = P21HooksInstalled),
        (status = 401, description = "INVALID_TOKEN"),
        (status = 403, description = "FORBIDDEN: git needs the sandbox for ordinary users, or a local path is an administrator's"),
        (status = 404, description = "NOT_FOUND: no such repository of the caller's"),
        (status = 422, description = "VALIDATION_ERROR: unknown hook group, wrong types")
    )
)]
pub async fn install(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(body): ApiJson<HooksBody>,
) -> Result<Json<P21HooksInstalled>, ApiError> {
    let repository = RepositoryRef::as_text(body.repository.as_ref());
    let (outcome, group) = state
        .git
        .install_hooks(&auth.principal(), repository.as_deref(), body.hook_group.as_deref(), body.force)
        .await?;
    Ok(Json(P21HooksInstalled::new(outcome, group)))
}
