//! The shared routes' response bodies: the union of their claimants' bodies, spelled out as types (Perfect21's
//! keys first; a key another claimant also uses is Perfect21's).

use serde::Serialize;
use utoipa::ToSchema;

use crate::surfaces::perfect21::views::{P21User, P21UserBrief};
use crate::surfaces::qoder::views::QoderUser;
use crate::surfaces::resoftai::views::ResoftAiUser;

/// `POST /api/auth/register` 201: Perfect21's confirmation fields beside ResoftAI's user.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedRegistered {
    /// Always `true`.
    pub success: bool,
    /// The new user's id, as text (Perfect21).
    pub user_id: String,
    /// The e-mail confirmation token (also mailed).
    pub verification_token: String,
    /// What happened.
    pub message: &'static str,
    /// The new user as ResoftAI shows it.
    #[serde(flatten)]
    pub user: ResoftAiUser,
}

/// qoder's `data` of a login.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedQoderSignedIn {
    /// The access token.
    pub access_token: String,
    /// The refresh token (single-use).
    pub refresh_token: String,
    /// The user as qoder shows it.
    pub user: QoderUser,
}

/// `POST /api/auth/login` 200: Perfect21's tokens and user, ResoftAI's `token_type`, qoder's envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedSignedIn {
    /// Always `true`.
    pub success: bool,
    /// The access token (a JWT).
    pub access_token: String,
    /// The refresh token (single-use: keep the one each refresh returns).
    pub refresh_token: String,
    /// The user as Perfect21 shows it.
    pub user: P21User,
    /// Seconds the access token is valid.
    pub expires_in: i64,
    /// What happened.
    pub message: &'static str,
    /// Always `bearer` (ResoftAI).
    pub token_type: &'static str,
    /// Always 200 (qoder).
    pub code: u16,
    /// The tokens and user as qoder reads them.
    pub data: SharedQoderSignedIn,
}

/// qoder's `data` of a refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedQoderTokens {
    /// The new access token.
    pub access_token: String,
    /// The new refresh token.
    pub refresh_token: String,
}

/// `POST /api/auth/refresh` 200: new tokens in each claimant's form.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedRefreshed {
    /// Always `true`.
    pub success: bool,
    /// The new access token.
    pub access_token: String,
    /// The new refresh token (the one sent is spent).
    pub refresh_token: String,
    /// Who the tokens are for.
    pub user: P21UserBrief,
    /// Seconds the access token is valid.
    pub expires_in: i64,
    /// What happened.
    pub message: &'static str,
    /// Always `bearer` (ResoftAI).
    pub token_type: &'static str,
    /// Always 200 (qoder).
    pub code: u16,
    /// The tokens as qoder reads them.
    pub data: SharedQoderTokens,
}

/// `POST /api/auth/logout` 200.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedLoggedOut {
    /// Always `true`.
    pub success: bool,
    /// What happened.
    pub message: &'static str,
    /// Always 200 (qoder).
    pub code: u16,
}

/// `GET /api/auth/profile` 200: Perfect21's user fields at the top, qoder's envelope beside them.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedProfile {
    /// The user as Perfect21 shows it.
    #[serde(flatten)]
    pub user: P21User,
    /// Always 200 (qoder).
    pub code: u16,
    /// What happened.
    pub message: &'static str,
    /// The user as qoder shows it.
    pub data: QoderUser,
}

/// `POST /api/auth/change-password` 200.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedPasswordChanged {
    /// Always `true`.
    pub success: bool,
    /// What happened; sign in again.
    pub message: &'static str,
}
