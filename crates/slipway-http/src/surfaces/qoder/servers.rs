//! qoder's servers (administrators and the operators they grant): the whole resource the document names, the
//! connection test, accepting a changed host key (administrators), and the operator grants (administrators).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use slipway_ops::{NewServer, ServerChanges, ServerFilter};
use utoipa::{IntoParams, ToSchema};

use super::messages::{DELETED, FETCHED, SERVER_CREATED, SERVERS_LIST, SUCCESS, UPDATED};
use super::server_views::{QoderServer, QoderServerOperator, QoderServerTest};
use super::views::{QoderDone, QoderPage, QoderReply, done, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, MaybeJson, PathId};
use crate::lang::Lang;
use crate::state::AppState;
use crate::surfaces::paging::Paging;

/// Paging and filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page (≤ 100).
    pub page_size: Option<i64>,
    /// Only this status: `unknown`, `online`, `offline`, `host_key_changed`.
    pub status: Option<String>,
    /// Only servers with this tag.
    pub tag: Option<String>,
    /// A substring of the name, host or description (case-insensitive).
    pub search: Option<String>,
}

fn some(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Lists servers.
#[utoipa::path(
    get, path = "/api/servers", tag = "qoder", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of servers", body = QoderReply<QoderPage<QoderServer>>), (status = 400, description = "Bad paging or status"), (status = 403, description = "Neither an administrator nor a granted operator"))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<(StatusCode, Json<QoderReply<QoderPage<QoderServer>>>), ApiError> {
    let p = Paging::new(q.page, q.page_size, 10, 100)?;
    let filter = ServerFilter { status: some(q.status), tag: some(q.tag), search: some(q.search) };
    let page = state.servers.list(&auth.principal(), filter, p.offset(), p.page_size).await?;
    let list = page.items.iter().map(QoderServer::from).collect();
    Ok(ok(StatusCode::OK, SERVERS_LIST.text(lang), QoderPage::new(list, page.total, p)))
}

/// A server to create; unknown fields are ignored, as gin does. Exactly one of `private_key` and `password`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderServerCreate)]
pub struct CreateBody {
    /// A name for people, unique.
    pub name: String,
    /// Host name or IP address.
    pub host: String,
    /// SSH port (default 22).
    pub port: Option<i64>,
    /// Remote user.
    pub username: String,
    /// An unencrypted private key (PEM or OpenSSH).
    pub private_key: Option<String>,
    /// A password.
    pub password: Option<String>,
    /// `[user@]host[:port]` to hop through (ProxyJump).
    pub jump_host: Option<String>,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Free text.
    pub description: Option<String>,
}

/// Creates a server.
#[utoipa::path(
    post, path = "/api/servers", tag = "qoder", security(("bearer" = [])), request_body = CreateBody,
    responses((status = 200, description = "The created server", body = QoderReply<QoderServer>), (status = 400, description = "Bad or missing fields, an address the outbound policy refuses"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 409, description = "The name is taken"))
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<QoderReply<QoderServer>>), ApiError> {
    let new = NewServer {
        name: b.name,
        host: b.host,
        port: b.port,
        username: b.username,
        private_key: b.private_key,
        password: b.password,
        jump_host: b.jump_host,
        tags: b.tags.unwrap_or_default(),
        description: b.description,
    };
    let server = state.servers.create(&auth.principal(), new).await?;
    Ok(ok(StatusCode::OK, SERVER_CREATED.text(lang), QoderServer::from(&server)))
}

/// One server.
#[utoipa::path(
    get, path = "/api/servers/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Server id")),
    responses((status = 200, description = "The server", body = QoderReply<QoderServer>), (status = 400, description = "Bad id"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "No such server"))
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderReply<QoderServer>>), ApiError> {
    let server = state.servers.get(&auth.principal(), id).await?;
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderServer::from(&server)))
}

/// Fields to change; unknown fields are ignored. A new `private_key` or `password` replaces the credential.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderServerUpdate)]
pub struct UpdateBody {
    /// New name.
    pub name: Option<String>,
    /// New host (forgets the pinned host key).
    pub host: Option<String>,
    /// New port (forgets the pinned host key).
    pub port: Option<i64>,
    /// New remote user.
    pub username: Option<String>,
    /// A new private key.
    pub private_key: Option<String>,
    /// A new password.
    pub password: Option<String>,
    /// A new jump host; `""` removes it.
    pub jump_host: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
}

/// Changes a server.
#[utoipa::path(
    put, path = "/api/servers/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Server id")),
    request_body = UpdateBody,
    responses((status = 200, description = "The changed server", body = QoderReply<QoderServer>), (status = 400, description = "Bad fields or id"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "No such server"), (status = 409, description = "The name is taken"))
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
    ApiJson(b): ApiJson<UpdateBody>,
) -> Result<(StatusCode, Json<QoderReply<QoderServer>>), ApiError> {
    let changes = ServerChanges {
        name: b.name,
        host: b.host,
        port: b.port,
        username: b.username,
        private_key: b.private_key,
        password: b.password,
        jump_host: b.jump_host,
        tags: b.tags,
        description: b.description,
    };
    let server = state.servers.update(&auth.principal(), id, changes).await?;
    Ok(ok(StatusCode::OK, UPDATED.text(lang), QoderServer::from(&server)))
}

/// Deletes a server.
#[utoipa::path(
    delete, path = "/api/servers/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Server id")),
    responses((status = 200, description = "Deleted", body = QoderDone), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "No such server"))
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderDone>), ApiError> {
    state.servers.delete(&auth.principal(), id).await?;
    Ok(done(StatusCode::OK, DELETED.text(lang)))
}

/// Tests a server: DNS, TCP, host key (pinned on first contact), authentication, then the remote OS, kernel,
/// CPU count and memory.
#[utoipa::path(
    post, path = "/api/servers/{id}/test", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Server id")),
    responses((status = 200, description = "Connected; what the server is", body = QoderReply<QoderServerTest>), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "No such server"), (status = 409, description = "host_key step: the host key changed; an administrator must accept it"), (status = 502, description = "The step that failed: dns, tcp, auth or connection"))
)]
pub async fn test(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderReply<QoderServerTest>>), ApiError> {
    let report = state.servers.test(&auth.principal(), id).await?;
    Ok(ok(StatusCode::OK, SUCCESS.text(lang), QoderServerTest::from(&report)))
}

/// Which offered key to accept.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = QoderHostKeyAccept)]
pub struct AcceptBody {
    /// The fingerprint the administrator checked; when given, only that key is accepted.
    pub fingerprint: Option<String>,
}

/// Accepts the host key a server offered in place of its pinned one (administrators).
#[utoipa::path(
    post, path = "/api/servers/{id}/host-key/accept", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Server id")),
    request_body(content = AcceptBody, description = "Optional: the fingerprint to insist on"),
    responses((status = 200, description = "The server, its new key pinned", body = QoderReply<QoderServer>), (status = 400, description = "Not the offered key"), (status = 403, description = "Not an administrator"), (status = 404, description = "No such server"), (status = 409, description = "No other key was offered"))
)]
pub async fn accept_host_key(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
    MaybeJson(b): MaybeJson<AcceptBody>,
) -> Result<(StatusCode, Json<QoderReply<QoderServer>>), ApiError> {
    let fingerprint = b.and_then(|b| b.fingerprint);
    let server = state.servers.accept_host_key(&auth.principal(), id, fingerprint.as_deref()).await?;
    Ok(ok(StatusCode::OK, UPDATED.text(lang), QoderServer::from(&server)))
}

/// The users allowed to operate servers (administrators).
#[utoipa::path(
    get, path = "/api/servers/operators", tag = "qoder", security(("bearer" = [])),
    responses((status = 200, description = "Every grant", body = QoderReply<Vec<QoderServerOperator>>), (status = 403, description = "Not an administrator"))
)]
pub async fn operators(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
) -> Result<(StatusCode, Json<QoderReply<Vec<QoderServerOperator>>>), ApiError> {
    let grants = state.servers.operators(&auth.principal()).await?;
    Ok(ok(StatusCode::OK, FETCHED.text(lang), grants.iter().map(QoderServerOperator::from).collect()))
}

/// Allows a user to manage servers and run commands on them (administrators).
#[utoipa::path(
    put, path = "/api/servers/operators/{user_id}", tag = "qoder", security(("bearer" = [])), params(("user_id" = i64, Path, description = "User id")),
    responses((status = 200, description = "Granted", body = QoderDone), (status = 400, description = "Bad id"), (status = 403, description = "Not an administrator"), (status = 404, description = "No such user"))
)]
pub async fn grant(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(user_id): PathId,
) -> Result<(StatusCode, Json<QoderDone>), ApiError> {
    state.servers.grant_operator(&auth.principal(), user_id).await?;
    Ok(done(StatusCode::OK, UPDATED.text(lang)))
}

/// Withdraws a user's grant (administrators).
#[utoipa::path(
    delete, path = "/api/servers/operators/{user_id}", tag = "qoder", security(("bearer" = [])), params(("user_id" = i64, Path, description = "User id")),
    responses((status = 200, description = "Revoked", body = QoderDone), (status = 403, description = "Not an administrator"), (status = 404, description = "The user holds no grant"))
)]
pub async fn revoke(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(user_id): PathId,
) -> Result<(StatusCode, Json<QoderDone>), ApiError> {
    state.servers.revoke_operator(&auth.principal(), user_id).await?;
    Ok(done(StatusCode::OK, DELETED.text(lang)))
}
