//! ResoftAI's `/api/organizations`: administrators create organizations; members list and read theirs; owners
//! change them (the tier and the active switch: administrators only). The organizations service decides who
//! may do what; these handlers translate.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use slipway_identity::organizations::{OrganizationQuery, OrganizationRequest, OrganizationUpdate};
use utoipa::{IntoParams, ToSchema};

use super::organization_views::ResoftAiOrganization;
use super::team_views::ResoftAiTeam;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, PathId};
use crate::state::AppState;
use crate::surfaces::paging::{TotalCount, total_count};

/// An organization to create. Unknown fields are ignored, as FastAPI does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ResoftAiOrganizationCreate)]
pub struct CreateBody {
    /// Name, 1–200 characters.
    pub name: String,
    /// Unique, URL-safe: lowercase letters and digits joined by single hyphens, 1–100 characters.
    pub slug: String,
    /// `free` (default), `professional` or `enterprise`.
    pub tier: Option<String>,
    /// Who to write to.
    pub contact_email: Option<String>,
    /// Description, up to 5,000 characters.
    pub description: Option<String>,
}

/// Creates an organization with the quotas of its tier (administrators only).
#[utoipa::path(
    post, path = "/api/organizations", tag = "ResoftAI", security(("bearer" = [])), request_body = CreateBody,
    responses(
        (status = 201, description = "The new organization", body = ResoftAiOrganization),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an administrator: AUTH_003"),
        (status = 409, description = "The slug is taken"),
        (status = 422, description = "Invalid fields"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<ResoftAiOrganization>), ApiError> {
    let req = OrganizationRequest {
        name: b.name,
        slug: b.slug,
        tier: b.tier,
        contact_email: b.contact_email,
        description: b.description,
    };
    let org = state.identity.organizations().create_organization(&auth.principal(), req).await?;
    Ok((StatusCode::CREATED, Json((&org).into())))
}

/// The query of the organization list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only `free`, `professional` or `enterprise` organizations.
    pub tier: Option<String>,
    /// Only active (`true`) or inactive (`false`) ones.
    pub is_active: Option<bool>,
    /// Rows to skip (default 0).
    pub skip: Option<i64>,
    /// Rows to return, 1–100 (default 20).
    pub limit: Option<i64>,
}

/// The organizations the caller belongs to (an administrator: all), by id; the total is in `X-Total-Count`.
#[utoipa::path(
    get, path = "/api/organizations", tag = "ResoftAI", security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "The organizations", body = Vec<ResoftAiOrganization>,
            headers(("X-Total-Count" = i64, description = "Matching organizations in all"))),
        (status = 401, description = "Not signed in"),
        (status = 422, description = "Invalid query"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<(TotalCount, Json<Vec<ResoftAiOrganization>>), ApiError> {
    let query = OrganizationQuery { tier: q.tier, is_active: q.is_active, skip: q.skip, limit: q.limit };
    let page = state.identity.organizations().organizations(&auth.principal(), query).await?;
    Ok((total_count(page.total), Json(page.items.iter().map(Into::into).collect())))
}

/// An organization the caller belongs to.
#[utoipa::path(
    get, path = "/api/organizations/{org_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("org_id" = i64, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The organization", body = ResoftAiOrganization),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such organization of yours"),
        (status = 422, description = "Invalid id"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<ResoftAiOrganization>, ApiError> {
    let org = state.identity.organizations().organization(&auth.principal(), id).await?;
    Ok(Json((&org).into()))
}

/// Fields to change; the ones left out stay. Unknown fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ResoftAiOrganizationUpdate)]
pub struct UpdateBody {
    /// New name.
    pub name: Option<String>,
    /// New tier (administrators only).
    pub tier: Option<String>,
    /// Switch single sign-on.
    pub sso_enabled: Option<bool>,
    /// New contact address.
    pub contact_email: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// Switch the organization on or off (administrators only).
    pub is_active: Option<bool>,
}

/// Changes an organization (its owners and administrators).
#[utoipa::path(
    put, path = "/api/organizations/{org_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("org_id" = i64, Path, description = "Organization id")), request_body = UpdateBody,
    responses(
        (status = 200, description = "The changed organization", body = ResoftAiOrganization),
        (status = 400, description = "Nothing to change"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an owner, or the tier or `is_active` by a non-administrator: AUTH_003"),
        (status = 404, description = "No such organization of yours"),
        (status = 422, description = "Invalid id or fields"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<UpdateBody>,
) -> Result<Json<ResoftAiOrganization>, ApiError> {
    let update = OrganizationUpdate {
        name: b.name,
        tier: b.tier,
        sso_enabled: b.sso_enabled,
        contact_email: b.contact_email,
        description: b.description,
        is_active: b.is_active,
    };
    let org = state.identity.organizations().update_organization(&auth.principal(), id, update).await?;
    Ok(Json((&org).into()))
}

/// The teams of an organization the caller belongs to, by id.
#[utoipa::path(
    get, path = "/api/organizations/{org_id}/teams", tag = "ResoftAI", security(("bearer" = [])),
    params(("org_id" = i64, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The teams", body = Vec<ResoftAiTeam>),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such organization of yours"),
        (status = 422, description = "Invalid id"),
    )
)]
pub async fn teams(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<Vec<ResoftAiTeam>>, ApiError> {
    let teams = state.identity.organizations().teams(&auth.principal(), id).await?;
    Ok(Json(teams.iter().map(Into::into).collect()))
}
