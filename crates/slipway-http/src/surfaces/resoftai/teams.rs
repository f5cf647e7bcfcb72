//! ResoftAI's `/api/teams`: teams of an organization and their members. The organizations service decides who
//! may manage a team (administrators, the organization's owners, the team's owners and admins) and keeps a
//! team's last owner (409); these handlers translate.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use slipway_identity::organizations::TeamRequest;
use utoipa::ToSchema;

use super::team_views::{ResoftAiTeam, ResoftAiTeamDetail, ResoftAiTeamMember};
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser, PathId, PathIds};
use crate::state::AppState;

/// A team to create. Unknown fields are ignored, as FastAPI does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ResoftAiTeamCreate)]
pub struct CreateBody {
    /// The organization.
    pub organization_id: i64,
    /// Name, 1–200 characters, unique in the organization.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Whether it is the organization's default team.
    pub is_default: Option<bool>,
}

/// Creates a team with the caller as its first owner (the organization's owners and administrators).
#[utoipa::path(
    post, path = "/api/teams", tag = "ResoftAI", security(("bearer" = [])), request_body = CreateBody,
    responses(
        (status = 201, description = "The new team", body = ResoftAiTeam),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an owner of the organization: AUTH_003"),
        (status = 404, description = "No such organization of yours"),
        (status = 409, description = "The organization has a team of this name"),
        (status = 422, description = "Invalid fields"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<ResoftAiTeam>), ApiError> {
    let req = TeamRequest {
        organization_id: b.organization_id,
        name: b.name,
        description: b.description,
        is_default: b.is_default,
    };
    let team = state.identity.organizations().create_team(&auth.principal(), req).await?;
    Ok((StatusCode::CREATED, Json((&team).into())))
}

/// A team with its members.
#[utoipa::path(
    get, path = "/api/teams/{team_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("team_id" = i64, Path, description = "Team id")),
    responses(
        (status = 200, description = "The team", body = ResoftAiTeamDetail),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such team in an organization of yours"),
        (status = 422, description = "Invalid id"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<ResoftAiTeamDetail>, ApiError> {
    let detail = state.identity.organizations().team(&auth.principal(), id).await?;
    Ok(Json((&detail).into()))
}

/// A member to add. Unknown fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ResoftAiTeamMemberCreate)]
pub struct MemberBody {
    /// The user.
    pub user_id: i64,
    /// `owner`, `admin`, `member` or `viewer`.
    pub role: String,
}

/// Adds a user to a team (a team admin may not add owners).
#[utoipa::path(
    post, path = "/api/teams/{team_id}/members", tag = "ResoftAI", security(("bearer" = [])),
    params(("team_id" = i64, Path, description = "Team id")), request_body = MemberBody,
    responses(
        (status = 201, description = "The membership", body = ResoftAiTeamMember),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a manager of the team, or an owner added by a team admin: AUTH_003"),
        (status = 404, description = "No such team of yours, or no such user"),
        (status = 409, description = "Already a member"),
        (status = 422, description = "Invalid id or fields"),
    )
)]
pub async fn add_member(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(team_id): PathId,
    ApiJson(b): ApiJson<MemberBody>,
) -> Result<(StatusCode, Json<ResoftAiTeamMember>), ApiError> {
    let member = state.identity.organizations().add_member(&auth.principal(), team_id, b.user_id, &b.role).await?;
    Ok((StatusCode::CREATED, Json((&member).into())))
}

/// A new role. Unknown fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ResoftAiTeamMemberRole)]
pub struct RoleBody {
    /// `owner`, `admin`, `member` or `viewer`.
    pub role: String,
}

/// Changes a member's role; the team's last owner cannot be demoted.
#[utoipa::path(
    put, path = "/api/teams/{team_id}/members/{user_id}/role", tag = "ResoftAI", security(("bearer" = [])),
    params(("team_id" = i64, Path, description = "Team id"), ("user_id" = i64, Path, description = "User id")),
    request_body = RoleBody,
    responses(
        (status = 200, description = "The membership", body = ResoftAiTeamMember),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a manager of the team, or the owner role by a team admin: AUTH_003"),
        (status = 404, description = "No such team of yours, or not a member"),
        (status = 409, description = "The team's last owner"),
        (status = 422, description = "Invalid ids or fields"),
    )
)]
pub async fn change_role(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathIds(ids): PathIds<2>,
    ApiJson(b): ApiJson<RoleBody>,
) -> Result<Json<ResoftAiTeamMember>, ApiError> {
    let [team_id, user_id] = ids;
    let orgs = state.identity.organizations();
    let member = orgs.change_member(&auth.principal(), team_id, user_id, Some(&b.role)).await?;
    Ok(Json((&member).into()))
}

/// Removes a member; the team's last owner cannot be removed.
#[utoipa::path(
    delete, path = "/api/teams/{team_id}/members/{user_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("team_id" = i64, Path, description = "Team id"), ("user_id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a manager of the team, or an owner by a team admin: AUTH_003"),
        (status = 404, description = "No such team of yours, or not a member"),
        (status = 409, description = "The team's last owner"),
        (status = 422, description = "Invalid ids"),
    )
)]
pub async fn remove_member(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathIds(ids): PathIds<2>,
) -> Result<StatusCode, ApiError> {
    let [team_id, user_id] = ids;
    state.identity.organizations().change_member(&auth.principal(), team_id, user_id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
