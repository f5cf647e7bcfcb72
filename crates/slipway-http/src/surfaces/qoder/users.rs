//! qoder's user resource (administrators; a user may read their own record).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use slipway_core::{Error, Role};
use slipway_identity::{AdminChanges, Registration, Rules, UsernameRule};
use utoipa::ToSchema;

use super::messages::{DELETED, FETCHED, UPDATED, USER_CREATED};
use super::views::{QoderDone, QoderPage, QoderReply, QoderUser, done, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, ClientMeta, CurrentUser, PathId};
use crate::lang::Lang;
use crate::state::AppState;
use crate::surfaces::paging::{Paging, UserListQuery};

/// Lists users, `page_size` at most 100 (administrators).
#[utoipa::path(
    get, path = "/api/users", tag = "qoder", security(("bearer" = [])), params(UserListQuery),
    responses((status = 200, description = "A page of users", body = QoderReply<QoderPage<QoderUser>>), (status = 400, description = "Bad paging"), (status = 403, description = "Not an administrator"))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiQuery(q): ApiQuery<UserListQuery>,
) -> Result<(StatusCode, Json<QoderReply<QoderPage<QoderUser>>>), ApiError> {
    let paging = Paging::new(q.page, q.page_size, 10, 100)?;
    let page = state.identity.list_users(&auth.principal(), &q.filter()?, paging.offset(), paging.page_size).await?;
    let list = page.items.iter().map(QoderUser::from).collect();
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderPage::new(list, page.total, paging)))
}

/// One user: administrators see anyone, users themselves.
#[utoipa::path(
    get, path = "/api/users/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "User id")),
    responses((status = 200, description = "The user", body = QoderReply<QoderUser>), (status = 400, description = "The id is not a number"), (status = 404, description = "No such user"))
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderReply<QoderUser>>), ApiError> {
    let user = state.identity.user_for(&auth.principal(), id).await?;
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderUser::from(&user)))
}

/// A user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderUserCreate)]
pub struct CreateUserBody {
    /// Username.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Password, 6+ characters.
    pub password: String,
    /// `user` or `admin`.
    pub role: String,
}

/// Creates a user of either role (administrators).
#[utoipa::path(
    post, path = "/api/users", tag = "qoder", security(("bearer" = [])), request_body = CreateUserBody,
    responses((status = 201, description = "The created user", body = QoderReply<QoderUser>), (status = 400, description = "Bad fields, or the name or address is taken"), (status = 403, description = "Not an administrator"))
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ClientMeta(meta): ClientMeta,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> Result<(StatusCode, Json<QoderReply<QoderUser>>), ApiError> {
    let role: Role = body.role.parse()?;
    let registration = Registration {
        username: body.username,
        email: body.email,
        password: body.password,
        full_name: String::new(),
        role: Some(role),
    };
    let user = state.identity.create_user(&auth.principal(), &registration, Rules::QODER, &meta).await?;
    Ok(ok(StatusCode::CREATED, USER_CREATED.text(lang), QoderUser::from(&user)))
}

/// Fields to change; unknown fields are ignored, as gin does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderUserUpdate)]
pub struct UpdateUserBody {
    /// Username.
    pub username: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// `user` or `admin`.
    pub role: Option<String>,
    /// 1 active, 0 disabled (disabling ends the user's sessions at once).
    pub status: Option<i64>,
}

/// Changes a user (administrators).
#[utoipa::path(
    put, path = "/api/users/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUserBody,
    responses((status = 200, description = "The changed user", body = QoderReply<QoderUser>), (status = 400, description = "Bad fields or id"), (status = 404, description = "No such user"))
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ClientMeta(meta): ClientMeta,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateUserBody>,
) -> Result<(StatusCode, Json<QoderReply<QoderUser>>), ApiError> {
    let is_active = match body.status {
        None => None,
        Some(1) => Some(true),
        Some(0) => Some(false),
        Some(_) => return Err(Error::invalid_field("status", "value_error", "status must be 0 or 1").into()),
    };
    let changes = AdminChanges {
        username: body.username,
        email: body.email,
        full_name: None,
        role: body.role.as_deref().map(str::parse).transpose()?,
        is_active,
    };
    let user = state.identity.update_user(&auth.principal(), id, &changes, UsernameRule::Standard, &meta).await?;
    Ok(ok(StatusCode::OK, UPDATED.text(lang), QoderUser::from(&user)))
}

/// Deletes a user (soft delete; their sessions end at once) (administrators).
#[utoipa::path(
    delete, path = "/api/users/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "User id")),
    responses((status = 200, description = "Deleted", body = QoderDone), (status = 400, description = "Bad id"), (status = 404, description = "No such user"))
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ClientMeta(meta): ClientMeta,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderDone>), ApiError> {
    state.identity.delete_user(&auth.principal(), id, &meta).await?;
    Ok(done(StatusCode::OK, DELETED.text(lang)))
}
