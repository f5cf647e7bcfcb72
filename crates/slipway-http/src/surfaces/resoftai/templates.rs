//! ResoftAI's `/api/templates`: the project templates shipped in the binary, one with its files and preview,
//! and applying one to a project (its files become project files). Signing in is required; the factory
//! decides who may write into which project (another user's is a 404 `PROJ_001`) and checks the variables
//! (422 at `variables.<name>`).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::template_views::{ResoftAiTemplate, ResoftAiTemplateApplied, ResoftAiTemplateDetail};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, PathId};
use crate::state::AppState;

/// Filters of the template list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only templates of this category: `backend`, `frontend`, `fullstack`, `cli` or `mobile`.
    pub category: Option<String>,
}

/// The templates, by id.
#[utoipa::path(
    get, path = "/api/templates", tag = "ResoftAI", security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "The templates", body = Vec<ResoftAiTemplate>),
        (status = 401, description = "Not signed in"),
        (status = 422, description = "Unknown category"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(_auth): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ResoftAiTemplate>>, ApiError> {
    let templates = state.factory.templates(q.category.as_deref())?;
    Ok(Json(templates.into_iter().map(ResoftAiTemplate::from).collect()))
}

/// One template with the files it writes and a preview.
#[utoipa::path(
    get, path = "/api/templates/{template_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("template_id" = i64, Path, description = "Template id")),
    responses(
        (status = 200, description = "The template", body = ResoftAiTemplateDetail),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such template"),
        (status = 422, description = "The id is not a positive integer"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(_auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<ResoftAiTemplateDetail>, ApiError> {
    Ok(Json(state.factory.template(id)?.into()))
}

/// What to apply a template to. Unknown fields are ignored, as FastAPI does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ResoftAiTemplateApply)]
pub struct ApplyBody {
    /// The project whose files the template writes.
    pub project_id: i64,
    /// Values of the template's variables, by name; the ones left out take their defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
}

/// Renders a template with the variables and writes its files into the project (a new version of each file
/// that is there already and differs).
#[utoipa::path(
    post, path = "/api/templates/{template_id}/apply", tag = "ResoftAI", security(("bearer" = [])),
    params(("template_id" = i64, Path, description = "Template id")), request_body = ApplyBody,
    responses(
        (status = 200, description = "The files written", body = ResoftAiTemplateApplied),
        (status = 400, description = "The project is running: WORKFLOW_001"),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such template, or no such project of yours: PROJ_001"),
        (status = 422, description = "A variable is missing, of the wrong type, not among its choices, out of bounds or unknown"),
    )
)]
pub async fn apply(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<ApplyBody>,
) -> Result<Json<ResoftAiTemplateApplied>, ApiError> {
    let applied = state.factory.apply_template(&auth.principal(), id, b.project_id, &b.variables).await?;
    Ok(Json(applied.into()))
}
