//! The pet planner's view of users and tokens, and its `{code: 0, message, data}` envelope.

use axum::Json;
use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_identity::{CodeSent, SignedIn, TokenPair, User};
use utoipa::ToSchema;

use super::messages::Msg;
use crate::lang::Lang;

/// A successful planner answer: `code` 0, the message, the data.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannerEnvelope<T> {
    /// Always 0.
    pub code: i32,
    /// The document's text for the operation.
    pub message: &'static str,
    /// What the operation answers.
    pub data: T,
}

/// A successful planner answer with `message` in `lang`.
pub fn ok<T>(message: Msg, lang: Lang, data: T) -> Json<PlannerEnvelope<T>> {
    Json(PlannerEnvelope { code: 0, message: message.text(lang), data })
}

/// The `data: null` of answers that carry nothing.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannerNoData;

/// A user as the planner shows it (string ids).
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannerUser {
    /// The user's id.
    pub id: String,
    /// The username.
    pub username: String,
    /// The e-mail address.
    pub email: String,
    /// Whether the user may sign in.
    pub is_active: bool,
    /// Whether the user is an administrator.
    pub is_superuser: bool,
    /// Whether the address is confirmed.
    pub email_verified: bool,
    /// When the user registered.
    pub created_at: String,
}

impl From<&User> for PlannerUser {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.username.clone(),
            email: u.email.clone(),
            is_active: u.is_active,
            is_superuser: u.role == slipway_core::Role::Admin,
            email_verified: u.email_verified,
            created_at: rfc3339(u.created_at),
        }
    }
}

/// The planner's token object.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannerTokens {
    /// The bearer token for API calls.
    pub access_token: String,
    /// The single-use token that buys the next pair.
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds the access token lives.
    pub expires_in: i64,
}

impl From<&TokenPair> for PlannerTokens {
    fn from(t: &TokenPair) -> Self {
        Self {
            access_token: t.access_token.clone(),
            refresh_token: t.refresh_token.clone(),
            token_type: "bearer",
            expires_in: t.expires_in,
        }
    }
}

/// A signed-in user and their tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannerSignedIn {
    /// The user.
    pub user: PlannerUser,
    /// The tokens.
    pub tokens: PlannerTokens,
}

impl From<&SignedIn> for PlannerSignedIn {
    fn from(s: &SignedIn) -> Self {
        Self { user: (&s.user).into(), tokens: (&s.tokens).into() }
    }
}

/// What was sent, and when the next code may be asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannerCodeSent {
    /// The address.
    pub email: String,
    /// `register` or `password_reset`.
    pub code_type: &'static str,
    /// Seconds before another code may be requested.
    pub cooldown_seconds: u64,
    /// Codes still allowed today.
    pub remaining_daily_sends: i64,
    /// Minutes the code lives.
    pub expire_minutes: i64,
}

impl From<&CodeSent> for PlannerCodeSent {
    fn from(s: &CodeSent) -> Self {
        Self {
            email: s.email.clone(),
            code_type: s.purpose.as_str(),
            cooldown_seconds: s.cooldown_seconds,
            remaining_daily_sends: s.remaining_daily_sends,
            expire_minutes: s.expire_minutes,
        }
    }
}

/// The answer to a code check.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannerCodeCheck {
    /// Always true (a bad code is an error).
    pub is_valid: bool,
    /// The document's text for a valid code.
    pub message: &'static str,
}
