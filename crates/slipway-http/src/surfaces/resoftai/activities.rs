//! ResoftAI's `/api/agent-activities`: every agent call of a project's runs, behind the project's access rule.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::activity_views::ResoftAiAgentActivity;
use crate::error::ApiError;
use crate::extract::{ApiQuery, CurrentUser, PathId};
use crate::state::AppState;
use crate::surfaces::paging::{TotalCount, total_count};

/// The query of the activity list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The project (required).
    pub project_id: Option<i64>,
    /// Only this agent's calls (`DeveloperAgent` …).
    pub agent_name: Option<String>,
    /// Rows to skip (default 0).
    pub skip: Option<i64>,
    /// Rows to return, 1–100 (default 50).
    pub limit: Option<i64>,
}

/// A project's agent calls, oldest first; the total is in `X-Total-Count`.
#[utoipa::path(
    get, path = "/api/agent-activities", tag = "ResoftAI", security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "The activities", body = Vec<ResoftAiAgentActivity>,
            headers(("X-Total-Count" = i64, description = "Matching activities in all"))),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such project of yours: PROJ_001"),
        (status = 422, description = "Invalid query (project_id is required)"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<(TotalCount, Json<Vec<ResoftAiAgentActivity>>), ApiError> {
    let agent = q.agent_name.as_deref();
    let page = state.factory.activities(&auth.principal(), q.project_id, agent, q.skip, q.limit).await?;
    Ok((total_count(page.total), Json(page.items.iter().map(Into::into).collect())))
}

/// One agent call.
#[utoipa::path(
    get, path = "/api/agent-activities/{activity_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("activity_id" = i64, Path, description = "Activity id")),
    responses(
        (status = 200, description = "The activity", body = ResoftAiAgentActivity),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such activity of yours"),
        (status = 422, description = "Invalid id"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<ResoftAiAgentActivity>, ApiError> {
    let found = state.factory.activity(&auth.principal(), id).await?;
    Ok(Json((&found).into()))
}
