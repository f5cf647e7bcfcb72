//! ResoftAI's `/api/auth/me`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use slipway_identity::{ProfileChanges, UsernameRule};
use utoipa::ToSchema;

use super::views::ResoftAiUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientMeta, CurrentUser};
use crate::state::AppState;

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/auth/me", tag = "ResoftAI", security(("bearer" = [])),
    responses((status = 200, description = "The user", body = ResoftAiUser), (status = 401, description = "Not signed in"))
)]
pub async fn me(CurrentUser(auth): CurrentUser) -> Json<ResoftAiUser> {
    Json(ResoftAiUser::from(&auth.user))
}

/// Fields ResoftAI lets a user change; unknown fields are ignored, as FastAPI does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ResoftAiUpdateMe)]
pub struct UpdateMeBody {
    /// Display name.
    pub full_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

/// Changes the signed-in user's display name or e-mail address.
#[utoipa::path(
    put, path = "/api/auth/me", tag = "ResoftAI", security(("bearer" = [])), request_body = UpdateMeBody,
    responses(
        (status = 200, description = "The updated user", body = ResoftAiUser),
        (status = 400, description = "Nothing to change, or the address is taken"),
        (status = 422, description = "Invalid fields"),
    )
)]
pub async fn update_me(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<UpdateMeBody>,
) -> Result<Json<ResoftAiUser>, ApiError> {
    let changes = ProfileChanges { username: None, email: body.email, full_name: body.full_name };
    let user = state.identity.update_profile(&auth, &changes, UsernameRule::Standard, &meta).await?;
    Ok(Json(ResoftAiUser::from(&user)))
}
