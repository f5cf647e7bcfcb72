//! ResoftAI's `/api/projects`: projects and their runs (execute, stop, resume). The factory service decides
//! everything (access, validation, whether a run may start); these handlers translate.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use slipway_factory::{ProjectQuery, ProjectRequest, ProjectUpdate};
use utoipa::{IntoParams, ToSchema};

use super::project_views::{
    ResoftAiProject, ResoftAiProjectDetail, ResoftAiProjectSummary, ResoftAiRunResumed, ResoftAiRunStarted,
    ResoftAiRunStopped,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, MaybeJson, PathId};
use crate::state::AppState;
use crate::surfaces::paging::{TotalCount, total_count};

/// A project to create. Unknown fields are ignored, as FastAPI does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ProjectCreate)]
pub struct CreateBody {
    /// Name, 1–200 characters.
    pub name: String,
    /// Description, up to 5,000 characters.
    pub description: Option<String>,
    /// What to build, 1–50,000 characters.
    pub requirements: String,
    /// Workflow configuration: `execution_strategy` (`sequential`, `parallel`, `adaptive`), `enable_cache`,
    /// `enable_checkpoints`, `parallel_stages` (stage names).
    #[schema(value_type = Option<Object>)]
    pub config: Option<Value>,
}

/// Creates a project.
#[utoipa::path(
    post, path = "/api/projects", tag = "ResoftAI", security(("bearer" = [])), request_body = CreateBody,
    responses(
        (status = 201, description = "The new project", body = ResoftAiProject),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Quota used up: PROJ_003"),
        (status = 422, description = "Invalid fields"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<ResoftAiProject>), ApiError> {
    let req =
        ProjectRequest { name: b.name, description: b.description, requirements: b.requirements, config: b.config };
    let created = state.factory.create_project(&auth.principal(), req).await?;
    Ok((StatusCode::CREATED, Json((&created).into())))
}

/// The query of the project list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Rows to skip (default 0).
    pub skip: Option<i64>,
    /// Rows to return, 1–100 (default 20).
    pub limit: Option<i64>,
    /// Only `pending`, `running`, `completed`, `failed` or `cancelled` projects.
    pub status: Option<String>,
    /// Another user's projects (administrators only).
    pub user_id: Option<i64>,
}

/// The caller's projects, newest first; the total is in `X-Total-Count`.
#[utoipa::path(
    get, path = "/api/projects", tag = "ResoftAI", security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "The projects", body = Vec<ResoftAiProjectSummary>,
            headers(("X-Total-Count" = i64, description = "Matching projects in all"))),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Another user's projects, not an administrator"),
        (status = 422, description = "Invalid query"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<(TotalCount, Json<Vec<ResoftAiProjectSummary>>), ApiError> {
    let query = ProjectQuery { skip: q.skip, limit: q.limit, status: q.status, user_id: q.user_id };
    let page = state.factory.projects(&auth.principal(), query).await?;
    Ok((total_count(page.total), Json(page.items.iter().map(Into::into).collect())))
}

/// A project with its deliverables.
#[utoipa::path(
    get, path = "/api/projects/{project_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("project_id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project", body = ResoftAiProjectDetail),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such project of yours: PROJ_001"),
        (status = 422, description = "Invalid id"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<ResoftAiProjectDetail>, ApiError> {
    let detail = state.factory.project(&auth.principal(), id).await?;
    Ok(Json((&detail).into()))
}

/// Fields to change; the ones left out stay. Unknown fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ProjectUpdate)]
pub struct UpdateBody {
    /// New name.
    pub name: Option<String>,
    /// New description (`""` clears it).
    pub description: Option<String>,
    /// New requirements.
    pub requirements: Option<String>,
    /// New workflow configuration.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Value>,
}

/// Changes a project that never ran.
#[utoipa::path(
    put, path = "/api/projects/{project_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("project_id" = i64, Path, description = "Project id")), request_body = UpdateBody,
    responses(
        (status = 200, description = "The changed project", body = ResoftAiProject),
        (status = 400, description = "Nothing to change, or the project already ran (only pending ones change): WORKFLOW_001"),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such project of yours: PROJ_001"),
        (status = 422, description = "Invalid fields"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<UpdateBody>,
) -> Result<Json<ResoftAiProject>, ApiError> {
    let update =
        ProjectUpdate { name: b.name, description: b.description, requirements: b.requirements, config: b.config };
    let updated = state.factory.update_project(&auth.principal(), id, update).await?;
    Ok(Json((&updated).into()))
}

/// Deletes a project with its runs, activities and files.
#[utoipa::path(
    delete, path = "/api/projects/{project_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("project_id" = i64, Path, description = "Project id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The project is running; stop it first: WORKFLOW_001"),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such project of yours: PROJ_001"),
        (status = 422, description = "Invalid id"),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    state.factory.delete_project(&auth.principal(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An optional body of `execute`: new requirements for a project that already ran (its code is extended).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ProjectExecute)]
pub struct ExecuteBody {
    /// Requirements for this run (replacing the project's).
    pub requirements: Option<String>,
}

/// Starts a run of the project's workflow (the body is optional).
#[utoipa::path(
    post, path = "/api/projects/{project_id}/execute", tag = "ResoftAI", security(("bearer" = [])),
    params(("project_id" = i64, Path, description = "Project id")), request_body(content = Option<ExecuteBody>),
    responses(
        (status = 200, description = "The run started", body = ResoftAiRunStarted),
        (status = 400, description = "The project is already running: PROJ_002"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Quota used up: PROJ_003"),
        (status = 404, description = "No such project of yours: PROJ_001"),
        (status = 422, description = "Invalid id or body"),
        (status = 503, description = "No LLM provider is configured or reachable"),
    )
)]
pub async fn execute(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    MaybeJson(body): MaybeJson<ExecuteBody>,
) -> Result<Json<ResoftAiRunStarted>, ApiError> {
    let requirements = body.and_then(|b| b.requirements);
    let started = state.factory.execute(&auth.principal(), id, requirements).await?;
    Ok(Json((&started).into()))
}

/// Stops the project's run (its LLM call and commands stop).
#[utoipa::path(
    post, path = "/api/projects/{project_id}/stop", tag = "ResoftAI", security(("bearer" = [])),
    params(("project_id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, description = "The run stopped", body = ResoftAiRunStopped),
        (status = 400, description = "The project is not running: WORKFLOW_001"),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such project of yours: PROJ_001"),
        (status = 422, description = "Invalid id"),
    )
)]
pub async fn stop(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<ResoftAiRunStopped>, ApiError> {
    let stopped = state.factory.stop(&auth.principal(), id).await?;
    Ok(Json((&stopped).into()))
}

/// Resumes the project's last run after its last checkpoint, without redoing finished stages.
#[utoipa::path(
    post, path = "/api/projects/{project_id}/resume", tag = "ResoftAI", security(("bearer" = [])),
    params(("project_id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, description = "The run resumed", body = ResoftAiRunResumed),
        (status = 400, description = "Already running (PROJ_002), or nothing to resume (WORKFLOW_001)"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Quota used up: PROJ_003"),
        (status = 404, description = "No such project of yours: PROJ_001"),
        (status = 422, description = "Invalid id"),
        (status = 503, description = "No LLM provider is configured or reachable"),
    )
)]
pub async fn resume(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<ResoftAiRunResumed>, ApiError> {
    let resumed = state.factory.resume(&auth.principal(), id).await?;
    Ok(Json((&resumed).into()))
}
