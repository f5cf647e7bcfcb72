//! Perfect21's own identity routes: token check, e-mail confirmation, profile changes, administration.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use slipway_identity::{ProfileChanges, UsernameRule};
use utoipa::ToSchema;

use super::views;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, ClientMeta, CurrentUser};
use crate::state::AppState;
use crate::surfaces::paging::{Paging, UserListQuery};

/// Checks that the access token is valid.
#[utoipa::path(
    get, path = "/api/auth/verify", tag = "Perfect21", security(("bearer" = [])),
    responses((status = 200, description = "The token is valid"), (status = 401, description = "INVALID_TOKEN or USER_INACTIVE"))
)]
pub async fn verify(CurrentUser(auth): CurrentUser) -> Json<Value> {
    Json(json!({"success": true, "message": "令牌验证成功", "user_id": auth.user.id.to_string()}))
}

/// The confirmation token from registration.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyEmailBody {
    /// The `verification_token` returned by registration (also mailed).
    pub token: String,
}

/// Confirms the e-mail address with the token from registration.
#[utoipa::path(
    post, path = "/api/auth/verify-email", tag = "Perfect21", request_body = VerifyEmailBody,
    responses((status = 200, description = "Confirmed"), (status = 400, description = "INVALID_TOKEN: unknown, expired or used"))
)]
pub async fn verify_email(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<VerifyEmailBody>,
) -> Result<Json<Value>, ApiError> {
    let user = state.identity.confirm_email(&body.token, &meta).await?;
    Ok(Json(json!({"success": true, "message": "邮箱验证成功", "user": views::user(&user)})))
}

/// Profile fields to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileBody {
    /// New username.
    pub username: Option<String>,
    /// New e-mail address.
    pub email: Option<String>,
}

/// Changes the signed-in user's username or e-mail address.
#[utoipa::path(
    put, path = "/api/auth/profile", tag = "Perfect21", security(("bearer" = [])), request_body = UpdateProfileBody,
    responses(
        (status = 200, description = "Updated"),
        (status = 400, description = "NO_UPDATE_DATA or USER_EXISTS"),
        (status = 422, description = "VALIDATION_ERROR"),
    )
)]
pub async fn update_profile(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<UpdateProfileBody>,
) -> Result<Json<Value>, ApiError> {
    let changes = ProfileChanges { username: body.username, email: body.email, full_name: None };
    let user = state.identity.update_profile(&auth, &changes, UsernameRule::Standard, &meta).await?;
    Ok(Json(json!({"success": true, "message": "用户资料更新成功", "user": views::user(&user)})))
}

/// Lists users, a page at a time (administrators).
#[utoipa::path(
    get, path = "/api/auth/admin/users", tag = "Perfect21", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, description = "A page of users"), (status = 403, description = "Not an administrator"))
)]
pub async fn admin_users(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> Result<Json<Value>, ApiError> {
    let paging = Paging::new(q.page, q.page_size, 20, 100)?;
    let page = state.identity.list_users(&auth.principal(), &q.filter()?, paging.offset(), paging.page_size).await?;
    let users: Vec<Value> = page.items.iter().map(views::user).collect();
    Ok(Json(json!({
        "success": true,
        "users": users,
        "total": page.total,
        "page": paging.page,
        "page_size": paging.page_size,
        "message": "获取用户列表成功",
    })))
}

/// Security statistics: events in the last hour and day, locked accounts, the password policy (administrators).
#[utoipa::path(
    get, path = "/api/auth/admin/security/stats", tag = "Perfect21", security(("bearer" = [])),
    responses((status = 200, description = "Counts from the security event log"), (status = 403, description = "Not an administrator"))
)]
pub async fn security_stats(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
) -> Result<Json<Value>, ApiError> {
    let s = state.identity.security_stats(&auth.principal()).await?;
    Ok(Json(json!({
        "success": true,
        "stats": {
            "total_events": s.total_events,
            "events_last_hour": s.events_last_hour,
            "events_last_day": s.events_last_day,
            "locked_accounts": s.locked_accounts,
            "password_policy": s.password_policy,
        },
    })))
}
