//! Perfect21's own identity routes: token check, e-mail confirmation, profile changes, administration.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use slipway_identity::{ProfileChanges, SecurityStats, UsernameRule};
use utoipa::ToSchema;

use super::messages;
use super::views::P21User;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, ClientMeta, CurrentUser};
use crate::lang::Lang;
use crate::state::AppState;
use crate::surfaces::paging::{Paging, UserListQuery};

/// `GET /api/auth/verify` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21TokenVerified {
    /// Always true.
    pub success: bool,
    /// The document's text.
    pub message: &'static str,
    /// Whose token it is.
    pub user_id: String,
}

/// Checks that the access token is valid.
#[utoipa::path(
    get, path = "/api/auth/verify", tag = "Perfect21", security(("bearer" = [])),
    responses((status = 200, description = "The token is valid", body = P21TokenVerified), (status = 401, description = "INVALID_TOKEN or USER_INACTIVE"))
)]
pub async fn verify(CurrentUser(auth): CurrentUser, lang: Lang) -> Json<P21TokenVerified> {
    let message = messages::TOKEN_VERIFIED.text(lang);
    Json(P21TokenVerified { success: true, message, user_id: auth.user.id.to_string() })
}

/// A user after a change: `{success, message, user}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21UserChanged {
    /// Always true.
    pub success: bool,
    /// What happened.
    pub message: &'static str,
    /// The user now.
    pub user: P21User,
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
    responses((status = 200, description = "Confirmed", body = P21UserChanged), (status = 400, description = "INVALID_TOKEN: unknown, expired or used"))
)]
pub async fn verify_email(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<VerifyEmailBody>,
) -> Result<Json<P21UserChanged>, ApiError> {
    let user = state.identity.confirm_email(&body.token, &meta).await?;
    let message = messages::EMAIL_VERIFIED.text(lang);
    Ok(Json(P21UserChanged { success: true, message, user: (&user).into() }))
}

/// Profile fields to change (other fields are ignored, as Perfect21's FastAPI models do).
#[derive(Debug, Deserialize, ToSchema)]
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
        (status = 200, description = "Updated", body = P21UserChanged),
        (status = 400, description = "NO_UPDATE_DATA or USER_EXISTS"),
        (status = 422, description = "VALIDATION_ERROR"),
    )
)]
pub async fn update_profile(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<UpdateProfileBody>,
) -> Result<Json<P21UserChanged>, ApiError> {
    let changes = ProfileChanges { username: body.username, email: body.email, full_name: None };
    let user = state.identity.update_profile(&auth, &changes, UsernameRule::Standard, &meta).await?;
    let message = messages::PROFILE_UPDATED.text(lang);
    Ok(Json(P21UserChanged { success: true, message, user: (&user).into() }))
}

/// `GET /api/auth/admin/users` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21UserPage {
    /// Always true.
    pub success: bool,
    /// The page's users.
    pub users: Vec<P21User>,
    /// How many users match.
    pub total: i64,
    /// The page number.
    pub page: i64,
    /// Items per page.
    pub page_size: i64,
    /// What was fetched.
    pub message: &'static str,
}

/// Lists users, a page at a time (administrators).
#[utoipa::path(
    get, path = "/api/auth/admin/users", tag = "Perfect21", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, description = "A page of users", body = P21UserPage), (status = 403, description = "Not an administrator"))
)]
pub async fn admin_users(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> Result<Json<P21UserPage>, ApiError> {
    let paging = Paging::new(q.page, q.page_size, 20, 100)?;
    let page = state.identity.list_users(&auth.principal(), &q.filter()?, paging.offset(), paging.page_size).await?;
    Ok(Json(P21UserPage {
        success: true,
        users: page.items.iter().map(Into::into).collect(),
        total: page.total,
        page: paging.page,
        page_size: paging.page_size,
        message: messages::USERS_LISTED.text(lang),
    }))
}

/// The security event counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21SecurityStats {
    /// Every event ever recorded.
    pub total_events: i64,
    /// Events in the last hour.
    pub events_last_hour: i64,
    /// Events in the last 24 hours.
    pub events_last_day: i64,
    /// Accounts locked now.
    pub locked_accounts: i64,
    /// The password rules in force.
    #[schema(value_type = Object)]
    pub password_policy: Value,
}

/// `GET /api/auth/admin/security/stats` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21SecurityStatsReply {
    /// Always true.
    pub success: bool,
    /// The counts.
    pub stats: P21SecurityStats,
}

impl From<SecurityStats> for P21SecurityStats {
    fn from(s: SecurityStats) -> Self {
        Self {
            total_events: s.total_events,
            events_last_hour: s.events_last_hour,
            events_last_day: s.events_last_day,
            locked_accounts: s.locked_accounts,
            password_policy: serde_json::to_value(&s.password_policy).unwrap_or(Value::Null),
        }
    }
}

/// Security statistics: events in the last hour and day, locked accounts, the password policy (administrators).
#[utoipa::path(
    get, path = "/api/auth/admin/security/stats", tag = "Perfect21", security(("bearer" = [])),
    responses((status = 200, description = "Counts from the security event log", body = P21SecurityStatsReply), (status = 403, description = "Not an administrator"))
)]
pub async fn security_stats(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
) -> Result<Json<P21SecurityStatsReply>, ApiError> {
    let s = state.identity.security_stats(&auth.principal()).await?;
    Ok(Json(P21SecurityStatsReply { success: true, stats: s.into() }))
}
