//! The pet planner's `/api/v1/auth`: registration (direct or with an e-mailed code), sign-in, tokens, password
//! change and reset.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use slipway_identity::{CodePurpose, CodeSent, PasswordRule, Registration, Rules, SignedIn};
use utoipa::ToSchema;

use super::views::{ok, tokens, user};
use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken, ClientMeta, CurrentUser, OptionalBody};
use crate::state::AppState;

fn signed_in(s: &SignedIn) -> Value {
    json!({"user": user(&s.user), "tokens": tokens(&s.tokens)})
}

fn code_sent(s: &CodeSent) -> Value {
    json!({
        "email": s.email,
        "code_type": s.purpose.as_str(),
        "cooldown_seconds": s.cooldown_seconds,
        "remaining_daily_sends": s.remaining_daily_sends,
        "expire_minutes": s.expire_minutes,
    })
}

/// A registration.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterBody {
    /// 3–50 letters, digits, `_` or `-`.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// 6+ characters.
    pub password: String,
}

fn registration(b: RegisterBody) -> Registration {
    Registration { username: b.username, email: b.email, password: b.password, full_name: String::new(), role: None }
}

/// Registers directly and signs in.
#[utoipa::path(
    post, path = "/api/v1/auth/register", tag = "Pet planner", request_body = RegisterBody,
    responses((status = 200, description = "`{user, tokens}`"), (status = 400, description = "Invalid fields"), (status = 404, description = "Username or e-mail taken"))
)]
pub async fn register(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Json<Value>, ApiError> {
    let s = state.identity.register_and_sign_in(&registration(body), Rules::PLANNER, &meta).await?;
    Ok(ok("注册成功", signed_in(&s)))
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    /// Username or e-mail address.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Signs in with a username or e-mail address.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "Pet planner", request_body = LoginBody,
    responses((status = 200, description = "`{user, tokens}`"), (status = 401, description = "Wrong credentials, or the user is disabled"), (status = 429, description = "Locked after repeated failures"))
)]
pub async fn login(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<Value>, ApiError> {
    let s = state.identity.login(&body.username, &body.password, false, &meta).await?;
    Ok(ok("登录成功", signed_in(&s)))
}

/// A refresh token in the body (it may come as the bearer instead).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct RefreshBody {
    /// The refresh token.
    pub refresh_token: Option<String>,
}

/// Trades a refresh token (body or `Authorization: Bearer`) for a new pair.
#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "Pet planner", request_body = RefreshBody,
    responses((status = 200, description = "New tokens"), (status = 401, description = "Invalid or expired token"))
)]
pub async fn refresh(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    BearerToken(bearer): BearerToken,
    OptionalBody(body): OptionalBody<RefreshBody>,
) -> Result<Json<Value>, ApiError> {
    let token = body.and_then(|b| b.refresh_token).or(bearer).unwrap_or_default();
    let s = state.identity.refresh(&token, &meta).await?;
    Ok(ok("刷新成功", tokens(&s.tokens)))
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/v1/auth/me", tag = "Pet planner", security(("bearer" = [])),
    responses((status = 200, description = "The user"), (status = 401, description = "Not signed in"))
)]
pub async fn me(CurrentUser(auth): CurrentUser) -> Json<Value> {
    ok("获取成功", user(&auth.user))
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordBody {
    /// The current password.
    pub old_password: String,
    /// The new password, 6+ characters.
    pub new_password: String,
}

/// Changes the password; every session ends.
#[utoipa::path(
    put, path = "/api/v1/auth/password", tag = "Pet planner", security(("bearer" = [])), request_body = PasswordBody,
    responses((status = 200, description = "Changed"), (status = 400, description = "The new password is too short"), (status = 401, description = "The old password is wrong"))
)]
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Json<Value>, ApiError> {
    state.identity.change_password(&auth, &body.old_password, &body.new_password, PasswordRule::Min6, &meta).await?;
    Ok(ok("密码修改成功", Value::Null))
}

/// An address and what the code is for.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SendCodeBody {
    /// The address.
    pub email: String,
    /// `register` or `password_reset`.
    pub code_type: String,
}

/// E-mails a six-digit code (60 s apart, 10 a day, valid 10 minutes).
#[utoipa::path(
    post, path = "/api/v1/auth/send-code", tag = "Pet planner", request_body = SendCodeBody,
    responses((status = 200, description = "Sent"), (status = 400, description = "Bad address or code_type"), (status = 404, description = "The address is already registered"), (status = 429, description = "Too soon, or today's codes are used up"))
)]
pub async fn send_code(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<SendCodeBody>,
) -> Result<Json<Value>, ApiError> {
    let purpose = CodePurpose::parse(&body.code_type)?;
    let sent = state.identity.send_code(&body.email, purpose, &meta).await?;
    let message = match purpose {
        CodePurpose::Register => "验证码已发送",
        CodePurpose::PasswordReset => "如果该邮箱已注册，您将收到验证码",
    };
    Ok(ok(message, code_sent(&sent)))
}

/// A code to check.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyCodeBody {
    /// The address.
    pub email: String,
    /// The six-digit code.
    pub code: String,
    /// `register` or `password_reset`.
    pub code_type: String,
}

/// Checks a code without using it up (a wrong one counts as one of three tries).
#[utoipa::path(
    post, path = "/api/v1/auth/verify-code", tag = "Pet planner", request_body = VerifyCodeBody,
    responses((status = 200, description = "The code is valid"), (status = 422, description = "Wrong, expired, used or dead"))
)]
pub async fn verify_code(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VerifyCodeBody>,
) -> Result<Json<Value>, ApiError> {
    let purpose = CodePurpose::parse(&body.code_type)?;
    state.identity.verify_code(&body.email, &body.code, purpose).await?;
    Ok(ok("验证成功", json!({"is_valid": true, "message": "验证码有效"})))
}

/// A registration with its e-mailed code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifyRegisterBody {
    /// 3–50 letters, digits, `_` or `-`.
    pub username: String,
    /// The address the code went to.
    pub email: String,
    /// 6+ characters.
    pub password: String,
    /// The six-digit code.
    pub code: String,
}

/// Registers with an e-mailed code (the address counts as confirmed) and signs in.
#[utoipa::path(
    post, path = "/api/v1/auth/verify-register", tag = "Pet planner", request_body = VerifyRegisterBody,
    responses((status = 200, description = "`{user, tokens}`"), (status = 404, description = "Username or e-mail taken"), (status = 422, description = "Wrong, expired, used or dead code"))
)]
pub async fn verify_register(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<VerifyRegisterBody>,
) -> Result<Json<Value>, ApiError> {
    let code = body.code.clone();
    let r = registration(RegisterBody { username: body.username, email: body.email, password: body.password });
    let s = state.identity.register_with_code(&r, &code, Rules::PLANNER, &meta).await?;
    Ok(ok("注册成功", signed_in(&s)))
}

/// An address.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailBody {
    /// The address.
    pub email: String,
}

/// Sends a password reset code if the address is registered; the answer is the same either way.
#[utoipa::path(
    post, path = "/api/v1/auth/password/send-code", tag = "Pet planner", request_body = EmailBody,
    responses((status = 200, description = "Sent if registered"), (status = 400, description = "Bad address"), (status = 429, description = "Too soon, or today's codes are used up"))
)]
pub async fn password_send_code(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<Json<Value>, ApiError> {
    let sent = state.identity.send_password_reset(&body.email, &meta).await?;
    Ok(ok("如果该邮箱已注册，您将收到验证码", code_sent(&sent)))
}

/// A new password with its reset code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetBody {
    /// The address.
    pub email: String,
    /// The six-digit code.
    pub code: String,
    /// The new password, 6+ characters.
    pub new_password: String,
}

/// Sets a new password with a reset code; every session ends.
#[utoipa::path(
    post, path = "/api/v1/auth/password/reset", tag = "Pet planner", request_body = ResetBody,
    responses((status = 200, description = "Reset"), (status = 400, description = "Bad fields"), (status = 422, description = "Wrong, expired, used or dead code"))
)]
pub async fn password_reset(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<Json<Value>, ApiError> {
    state.identity.reset_password(&body.email, &body.code, &body.new_password, Rules::PLANNER, &meta).await?;
    Ok(ok("密码重置成功，请使用新密码登录", Value::Null))
}
