//! The pet planner's `/api/v1/auth`: registration (direct or with an e-mailed code), sign-in, tokens, password
//! change and reset.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use slipway_identity::{CodePurpose, PasswordRule, Registration, Rules};
use utoipa::ToSchema;

use super::messages;
use super::views::{
    PlannerCodeCheck, PlannerCodeSent, PlannerEnvelope, PlannerNoData, PlannerSignedIn, PlannerTokens, PlannerUser, ok,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, BearerToken, ClientMeta, CurrentUser, OptionalBody};
use crate::lang::Lang;
use crate::state::AppState;

/// An answer with a user and their tokens.
type SignedInReply = Json<PlannerEnvelope<PlannerSignedIn>>;
/// An answer after a code was sent.
type CodeSentReply = Json<PlannerEnvelope<PlannerCodeSent>>;
/// An answer that carries no data.
type DoneReply = Json<PlannerEnvelope<PlannerNoData>>;

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
    responses((status = 200, description = "`{user, tokens}`", body = PlannerEnvelope<PlannerSignedIn>), (status = 400, description = "Invalid fields"), (status = 404, description = "Username or e-mail taken"))
)]
pub async fn register(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<SignedInReply, ApiError> {
    let s = state.identity.register_and_sign_in(&registration(body), Rules::PLANNER, &meta).await?;
    Ok(ok(messages::REGISTERED, lang, (&s).into()))
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
    responses((status = 200, description = "`{user, tokens}`", body = PlannerEnvelope<PlannerSignedIn>), (status = 401, description = "Wrong credentials, or the user is disabled"), (status = 429, description = "Locked after repeated failures"))
)]
pub async fn login(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<SignedInReply, ApiError> {
    let s = state.identity.login(&body.username, &body.password, false, &meta).await?;
    Ok(ok(messages::LOGGED_IN, lang, (&s).into()))
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
    responses((status = 200, description = "New tokens", body = PlannerEnvelope<PlannerTokens>), (status = 401, description = "Invalid or expired token"))
)]
pub async fn refresh(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    BearerToken(bearer): BearerToken,
    lang: Lang,
    OptionalBody(body): OptionalBody<RefreshBody>,
) -> Result<Json<PlannerEnvelope<PlannerTokens>>, ApiError> {
    let token = body.and_then(|b| b.refresh_token).or(bearer).unwrap_or_default();
    let s = state.identity.refresh(&token, &meta).await?;
    Ok(ok(messages::REFRESHED, lang, (&s.tokens).into()))
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/v1/auth/me", tag = "Pet planner", security(("bearer" = [])),
    responses((status = 200, description = "The user", body = PlannerEnvelope<PlannerUser>), (status = 401, description = "Not signed in"))
)]
pub async fn me(CurrentUser(auth): CurrentUser, lang: Lang) -> Json<PlannerEnvelope<PlannerUser>> {
    ok(messages::FETCHED, lang, (&auth.user).into())
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
    responses((status = 200, description = "Changed", body = PlannerEnvelope<PlannerNoData>), (status = 400, description = "The new password is too short"), (status = 401, description = "The old password is wrong"))
)]
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<DoneReply, ApiError> {
    state.identity.change_password(&auth, &body.old_password, &body.new_password, PasswordRule::Min6, &meta).await?;
    Ok(ok(messages::PASSWORD_CHANGED, lang, PlannerNoData))
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
    responses((status = 200, description = "Sent", body = PlannerEnvelope<PlannerCodeSent>), (status = 400, description = "Bad address"), (status = 404, description = "The address is already registered"), (status = 422, description = "Unknown code_type"), (status = 429, description = "Too soon, or today's codes are used up"))
)]
pub async fn send_code(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<SendCodeBody>,
) -> Result<CodeSentReply, ApiError> {
    let purpose = CodePurpose::parse(&body.code_type)?;
    let sent = state.identity.send_code(&body.email, purpose, &meta).await?;
    let message = match purpose {
        CodePurpose::Register => messages::CODE_SENT,
        CodePurpose::PasswordReset => messages::RESET_CODE_SENT,
    };
    Ok(ok(message, lang, (&sent).into()))
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
    responses((status = 200, description = "The code is valid", body = PlannerEnvelope<PlannerCodeCheck>), (status = 422, description = "Wrong, expired, used or dead"))
)]
pub async fn verify_code(
    State(state): State<AppState>,
    lang: Lang,
    ApiJson(body): ApiJson<VerifyCodeBody>,
) -> Result<Json<PlannerEnvelope<PlannerCodeCheck>>, ApiError> {
    let purpose = CodePurpose::parse(&body.code_type)?;
    state.identity.verify_code(&body.email, &body.code, purpose).await?;
    let check = PlannerCodeCheck { is_valid: true, message: messages::CODE_VALID.text(lang) };
    Ok(ok(messages::VERIFIED, lang, check))
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
    responses((status = 200, description = "`{user, tokens}`", body = PlannerEnvelope<PlannerSignedIn>), (status = 404, description = "Username or e-mail taken"), (status = 422, description = "Wrong, expired, used or dead code"))
)]
pub async fn verify_register(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<VerifyRegisterBody>,
) -> Result<SignedInReply, ApiError> {
    let code = body.code.clone();
    let r = registration(RegisterBody { username: body.username, email: body.email, password: body.password });
    let s = state.identity.register_with_code(&r, &code, Rules::PLANNER, &meta).await?;
    Ok(ok(messages::REGISTERED, lang, (&s).into()))
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
    responses((status = 200, description = "Sent if registered", body = PlannerEnvelope<PlannerCodeSent>), (status = 400, description = "Bad address"), (status = 429, description = "Too soon, or today's codes are used up"))
)]
pub async fn password_send_code(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<CodeSentReply, ApiError> {
    let sent = state.identity.send_password_reset(&body.email, &meta).await?;
    Ok(ok(messages::RESET_CODE_SENT, lang, (&sent).into()))
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
    responses((status = 200, description = "Reset", body = PlannerEnvelope<PlannerNoData>), (status = 400, description = "Bad address or password"), (status = 422, description = "Wrong, expired, used or dead code"))
)]
pub async fn password_reset(
    State(state): State<AppState>,
    ClientMeta(meta): ClientMeta,
    lang: Lang,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<DoneReply, ApiError> {
    state.identity.reset_password(&body.email, &body.code, &body.new_password, Rules::PLANNER, &meta).await?;
    Ok(ok(messages::PASSWORD_RESET, lang, PlannerNoData))
}
