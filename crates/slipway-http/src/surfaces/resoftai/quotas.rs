//! ResoftAI's `/api/quotas`: an organization's quotas, read by its members, limits set by administrators. Only
//! `projects` is enforced so far (`PROJ_003` on `POST /api/projects`).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::quota_views::ResoftAiQuota;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, PathId};
use crate::state::AppState;

/// The query of the quota list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The organization (required).
    pub organization_id: Option<i64>,
}

/// The quotas of an organization the caller belongs to.
#[utoipa::path(
    get, path = "/api/quotas", tag = "ResoftAI", security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "The quotas", body = Vec<ResoftAiQuota>),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such organization of yours"),
        (status = 422, description = "No or an invalid `organization_id`"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ResoftAiQuota>>, ApiError> {
    let quotas = state.identity.organizations().quotas(&auth.principal(), q.organization_id).await?;
    Ok(Json(quotas.iter().map(Into::into).collect()))
}

/// A new limit. Unknown fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ResoftAiQuotaUpdate)]
pub struct UpdateBody {
    /// The most that may be used, ≥ 0.
    pub limit: i64,
}

/// Sets a quota's limit (administrators only).
#[utoipa::path(
    put, path = "/api/quotas/{quota_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("quota_id" = i64, Path, description = "Quota id")), request_body = UpdateBody,
    responses(
        (status = 200, description = "The quota", body = ResoftAiQuota),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an administrator: AUTH_003"),
        (status = 404, description = "No such quota"),
        (status = 422, description = "Invalid id or limit"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<UpdateBody>,
) -> Result<Json<ResoftAiQuota>, ApiError> {
    let quota = state.identity.organizations().set_quota_limit(&auth.principal(), id, b.limit).await?;
    Ok(Json((&quota).into()))
}
