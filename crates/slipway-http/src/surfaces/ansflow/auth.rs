//! AnsFlow's SimpleJWT-style authentication and Django user routes.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use utoipa::ToSchema;

use super::links::base_url;
use super::views::{AnsFlowPage, AnsFlowSignIn, AnsFlowTokens, AnsFlowUser};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, ClientMeta, CurrentUser};
use crate::state::AppState;
use crate::surfaces::paging::{Paging, UserListQuery};

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AnsFlowLogin)]
pub struct LoginBody {
    /// Username or e-mail address.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Signs in: `{access, refresh, user}`.
#[utoipa::path(
    post, path = "/api/auth/login/", tag = "AnsFlow", request_body = LoginBody,
    responses((status = 200, description = "Tokens and the user", body = AnsFlowSignIn), (status = 401, description = "AUTHENTICATION_ERROR"))
)]
pub async fn login(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<AnsFlowSignIn>, ApiError> {
    let s = state.identity.login(&body.username, &body.password, false, &meta).await?;
    Ok(Json(AnsFlowSignIn::from(&s)))
}

/// A refresh token.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AnsFlowRefresh)]
pub struct RefreshBody {
    /// The refresh token from login (single-use: keep the one returned).
    pub refresh: String,
}

/// Trades a refresh token for new tokens: `{access, refresh}`.
#[utoipa::path(
    post, path = "/api/auth/refresh/", tag = "AnsFlow", request_body = RefreshBody,
    responses((status = 200, description = "New tokens", body = AnsFlowTokens), (status = 401, description = "AUTHENTICATION_ERROR"))
)]
pub async fn refresh(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Json<AnsFlowTokens>, ApiError> {
    let s = state.identity.refresh(&body.refresh, &meta).await?;
    Ok(Json(AnsFlowTokens::from(&s.tokens)))
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/users/me/", tag = "AnsFlow", security(("bearer" = [])),
    responses((status = 200, description = "The user", body = AnsFlowUser), (status = 401, description = "AUTHENTICATION_ERROR"))
)]
pub async fn me(CurrentUser(auth): CurrentUser) -> Json<AnsFlowUser> {
    Json(AnsFlowUser::from(&auth.user))
}

/// Lists users, DRF-paginated (administrators).
#[utoipa::path(
    get, path = "/api/users/", tag = "AnsFlow", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, description = "A page of users", body = AnsFlowPage<AnsFlowUser>), (status = 403, description = "PERMISSION_DENIED"))
)]
pub async fn list_users(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> Result<Json<AnsFlowPage<AnsFlowUser>>, ApiError> {
    let paging = Paging::new(q.page, q.page_size, 20, 100)?;
    let page = state.identity.list_users(&auth.principal(), &q.filter()?, paging.offset(), paging.page_size).await?;
    let results = page.items.iter().map(AnsFlowUser::from).collect();
    Ok(Json(AnsFlowPage::new(&base_url(&headers, "/api/users/"), paging.page, paging.page_size, page.total, results)))
}
