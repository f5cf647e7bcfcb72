//! The six routes several documents claim. Each accepts every request form its claimants show, and answers
//! with the union of their responses (earlier documents win shared keys): Perfect21 (000), ResoftAI (001),
//! qoder (003).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use slipway_core::{Error, Role};
use slipway_identity::{PasswordRule, Registration, Rules, SignedIn};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod bodies;
pub mod messages;

use self::bodies::{
    SharedLoggedOut, SharedPasswordChanged, SharedProfile, SharedQoderSignedIn, SharedQoderTokens, SharedRefreshed,
    SharedRegistered, SharedSignedIn,
};
use super::perfect21::views::{P21User, P21UserBrief};
use super::qoder::views::QoderUser;
use super::{qoder, resoftai};
use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken, ClientMeta, CurrentUser, JsonOrForm, MaybeUser, OptionalBody};
use crate::lang::Lang;
use crate::state::AppState;

/// The shared routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(profile))
        .routes(routes!(change_password))
}

/// Registration as Perfect21 and ResoftAI send it.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = SharedRegister)]
pub struct RegisterBody {
    /// 3–30 letters, digits, `_`, `-`, `.`.
    pub username: String,
    /// A valid e-mail address.
    pub email: String,
    /// 8+ characters with upper and lower case letters, a digit and a special character.
    pub password: String,
    /// Display name (ResoftAI).
    #[serde(default)]
    pub full_name: Option<String>,
    /// `user` (default) or `admin` (administrators only) (Perfect21).
    #[serde(default)]
    pub role: Option<String>,
}

/// Creates an account (Perfect21's `user_id` and `verification_token`, ResoftAI's user fields).
#[utoipa::path(
    post, path = "/api/auth/register", tags = ["Perfect21", "ResoftAI"], request_body = RegisterBody,
    responses(
        (status = 201, description = "Created; the confirmation token is also mailed", body = SharedRegistered),
        (status = 400, description = "USER_EXISTS: username or e-mail taken"),
        (status = 403, description = "Only administrators create administrators"),
        (status = 422, description = "Invalid fields or weak password"),
        (status = 429, description = "Registration rate limit"),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    MaybeUser(caller): MaybeUser,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<(StatusCode, Json<SharedRegistered>), ApiError> {
    let role = body.role.as_deref().filter(|r| !r.is_empty()).map(str::parse::<Role>).transpose()?;
    let registration = Registration {
        username: body.username,
        email: body.email,
        password: body.password,
        full_name: body.full_name.unwrap_or_default(),
        role,
    };
    let principal = caller.as_ref().map(slipway_identity::Authenticated::principal);
    let user = state.identity.register(&registration, Rules::PERFECT21, principal.as_ref(), &meta).await?;
    let token = state.identity.issue_email_token(&user).await?;
    let body = SharedRegistered {
        success: true,
        user_id: user.id.to_string(),
        verification_token: token,
        message: messages::REGISTERED.text(lang),
        user: resoftai::views::ResoftAiUser::from(&user),
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// A login as Perfect21 (`identifier`), ResoftAI (form-encoded `username`) and qoder (`username`) send it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = SharedLogin)]
pub struct LoginBody {
    /// Username or e-mail address (Perfect21).
    pub identifier: Option<String>,
    /// Username or e-mail address (ResoftAI, qoder).
    pub username: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Keep the session for longer (Perfect21).
    pub remember_me: Option<bool>,
}

fn signed_in(s: &SignedIn, lang: Lang) -> SharedSignedIn {
    let t = &s.tokens;
    SharedSignedIn {
        success: true,
        access_token: t.access_token.clone(),
        refresh_token: t.refresh_token.clone(),
        user: P21User::from(&s.user),
        expires_in: t.expires_in,
        message: messages::LOGGED_IN.text(lang),
        token_type: "bearer",
        code: 200,
        data: SharedQoderSignedIn {
            access_token: t.access_token.clone(),
            refresh_token: t.refresh_token.clone(),
            user: QoderUser::from(&s.user),
        },
    }
}

/// Signs in with a username or e-mail address; JSON or `application/x-www-form-urlencoded`.
#[utoipa::path(
    post, path = "/api/auth/login", tags = ["Perfect21", "ResoftAI", "qoder"], request_body = LoginBody,
    responses(
        (status = 200, description = "Tokens and the user", body = SharedSignedIn),
        (status = 401, description = "INVALID_CREDENTIALS"),
        (status = 403, description = "ACCOUNT_INACTIVE: the account is disabled"),
        (status = 429, description = "TOO_MANY_ATTEMPTS (account locked) or the login rate limit"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    JsonOrForm(body): JsonOrForm<LoginBody>,
) -> Result<Json<SharedSignedIn>, ApiError> {
    let identifier = body.identifier.or(body.username).or(body.email).unwrap_or_default();
    let password = body.password.unwrap_or_default();
    let signed = state.identity.login(&identifier, &password, body.remember_me.unwrap_or(false), &meta).await?;
    Ok(Json(signed_in(&signed, lang)))
}

/// A refresh request body (Perfect21, qoder); ResoftAI sends the token as the bearer instead.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = SharedRefresh)]
pub struct RefreshBody {
    /// The refresh token.
    pub refresh_token: Option<String>,
}

/// Trades a refresh token (body or `Authorization: Bearer`) for new tokens. Refresh tokens are single-use:
/// store the `refresh_token` of the answer.
#[utoipa::path(
    post, path = "/api/auth/refresh", tags = ["Perfect21", "ResoftAI", "qoder"], request_body = RefreshBody,
    responses(
        (status = 200, description = "New tokens", body = SharedRefreshed),
        (status = 401, description = "INVALID_REFRESH_TOKEN: unknown, expired, revoked or reused"),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    BearerToken(bearer): BearerToken,
    lang: Lang,
    OptionalBody(body): OptionalBody<RefreshBody>,
) -> Result<Json<SharedRefreshed>, ApiError> {
    let token = body.and_then(|b| b.refresh_token).or(bearer).unwrap_or_default();
    let s = state.identity.refresh(&token, &meta).await?;
    let t = &s.tokens;
    Ok(Json(SharedRefreshed {
        success: true,
        access_token: t.access_token.clone(),
        refresh_token: t.refresh_token.clone(),
        user: P21UserBrief::from(&s.user),
        expires_in: t.expires_in,
        message: messages::TOKEN_REFRESHED.text(lang),
        token_type: "bearer",
        code: 200,
        data: SharedQoderTokens { access_token: t.access_token.clone(), refresh_token: t.refresh_token.clone() },
    }))
}

/// Signs out: the access token and every refresh token of its session stop working.
#[utoipa::path(
    post, path = "/api/auth/logout", tags = ["Perfect21", "qoder"], security(("bearer" = [])),
    responses((status = 200, description = "Signed out", body = SharedLoggedOut), (status = 401, description = "Not signed in"))
)]
pub async fn logout(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
) -> Result<Json<SharedLoggedOut>, ApiError> {
    state.identity.logout(&auth, &meta).await?;
    Ok(Json(SharedLoggedOut { success: true, message: messages::LOGGED_OUT.text(lang), code: 200 }))
}

/// The signed-in user (Perfect21's fields at the top, qoder's envelope alongside).
#[utoipa::path(
    get, path = "/api/auth/profile", tags = ["Perfect21", "qoder"], security(("bearer" = [])),
    responses((status = 200, description = "The user", body = SharedProfile), (status = 401, description = "Not signed in"))
)]
pub async fn profile(CurrentUser(auth): CurrentUser, lang: Lang) -> Json<SharedProfile> {
    Json(SharedProfile {
        user: P21User::from(&auth.user),
        code: 200,
        message: qoder::messages::FETCHED.text(lang),
        data: QoderUser::from(&auth.user),
    })
}

/// A password change as Perfect21 (`old_password`) and ResoftAI (`current_password`) send it.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = SharedChangePassword)]
pub struct ChangePasswordBody {
    /// The current password (Perfect21).
    pub old_password: Option<String>,
    /// The current password (ResoftAI).
    pub current_password: Option<String>,
    /// The new password.
    pub new_password: String,
}

/// Changes the password; every session of the user ends, this one included.
#[utoipa::path(
    post, path = "/api/auth/change-password", tags = ["Perfect21", "ResoftAI"], security(("bearer" = [])),
    request_body = ChangePasswordBody,
    responses(
        (status = 200, description = "Changed; sign in again", body = SharedPasswordChanged),
        (status = 401, description = "INVALID_OLD_PASSWORD, or not signed in"),
        (status = 422, description = "The new password is too weak"),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<ChangePasswordBody>,
) -> Result<Json<SharedPasswordChanged>, ApiError> {
    let current = body.old_password.or(body.current_password).ok_or_else(|| {
        Error::invalid_field("old_password", "missing", "old_password or current_password is required")
    })?;
    state.identity.change_password(&auth, &current, &body.new_password, PasswordRule::Strong, &meta).await?;
    Ok(Json(SharedPasswordChanged { success: true, message: messages::PASSWORD_CHANGED.text(lang) }))
}
