//! The repositories Perfect21's git-flow works on (Slipway's routes; under `/workflow/…` so they answer in
//! Perfect21's shapes): list and register (`GET`/`POST /workflow/repositories`), read and unregister
//! (`GET`/`DELETE /workflow/repositories/{id}`), make one the default (`POST …/{id}/default`). Another user's
//! repository is not found.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use slipway_delivery::git::RepositoryRequest;
use utoipa::ToSchema;

use super::messages;
use super::repositories_views::{P21Repository, P21RepositoryList, P21RepositoryReply};
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser, id_or_not_found};
use crate::lang::Lang;
use crate::state::AppState;

/// A repository to register: `url` to clone, or (administrators) `path` on the server (other fields are ignored).
#[derive(Debug, Deserialize, ToSchema)]
pub struct RepositoryBody {
    /// Its name (default: the last part of the URL or path, without `.git`).
    pub name: Option<String>,
    /// An `http(s)` URL to clone into Slipway's data dir.
    pub url: Option<String>,
    /// A git work tree on the server's disk (administrators only).
    pub path: Option<String>,
}

fn reply(lang: Lang, msg: messages::Msg, r: &slipway_delivery::git::GitRepositoryRecord) -> Json<P21RepositoryReply> {
    Json(P21RepositoryReply { success: true, output: msg.text(lang), repository: r.into() })
}

/// The caller's repositories.
#[utoipa::path(
    get, path = "/workflow/repositories", tag = "Perfect21", security(("bearer" = [])),
    responses((status = 200, description = "`{success, repositories}`", body = P21RepositoryList), (status = 401, description = "INVALID_TOKEN"))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
) -> Result<Json<P21RepositoryList>, ApiError> {
    let repos = state.git.repositories.list(&auth.principal()).await?;
    Ok(Json(P21RepositoryList { success: true, repositories: repos.iter().map(P21Repository::from).collect() }))
}

/// Registers a repository: clones `url`, or (administrators) registers `path`. The caller's first one becomes
/// their default.
#[utoipa::path(
    post, path = "/workflow/repositories", tag = "Perfect21", security(("bearer" = [])), request_body = RepositoryBody,
    responses(
        (status = 200, description = "`{success, output, repository}`", body = P21RepositoryReply),
        (status = 401, description = "INVALID_TOKEN"),
        (status = 403, description = "FORBIDDEN: a path needs an administrator; cloning needs the sandbox for ordinary users"),
        (status = 422, description = "VALIDATION_ERROR: no url or path, a refused or unreachable URL, not a work tree, a taken name")
    )
)]
pub async fn register(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiJson(body): ApiJson<RepositoryBody>,
) -> Result<Json<P21RepositoryReply>, ApiError> {
    let req = RepositoryRequest { name: body.name, path: body.path, url: body.url };
    let repo = state.git.repositories.register(&auth.principal(), &req).await?;
    Ok(reply(lang, messages::REPOSITORY_REGISTERED, &repo))
}

/// One repository.
#[utoipa::path(
    get, path = "/workflow/repositories/{id}", tag = "Perfect21", security(("bearer" = [])),
    params(("id" = String, Path, description = "Repository id")),
    responses((status = 200, description = "`{success, output, repository}`", body = P21RepositoryReply),
              (status = 401, description = "INVALID_TOKEN"), (status = 404, description = "NOT_FOUND"))
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Json<P21RepositoryReply>, ApiError> {
    let repo = state.git.repositories.get(&auth.principal(), id_or_not_found(&id, "repository")?).await?;
    Ok(reply(lang, messages::REPOSITORY_FOUND, &repo))
}

/// Unregisters a repository (a clone's directory is removed; a local path is left as it is).
#[utoipa::path(
    delete, path = "/workflow/repositories/{id}", tag = "Perfect21", security(("bearer" = [])),
    params(("id" = String, Path, description = "Repository id")),
    responses((status = 200, description = "`{success, output, repository}`: the repository that was", body = P21RepositoryReply),
              (status = 401, description = "INVALID_TOKEN"), (status = 404, description = "NOT_FOUND"))
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Json<P21RepositoryReply>, ApiError> {
    let repo = state.git.repositories.delete(&auth.principal(), id_or_not_found(&id, "repository")?).await?;
    Ok(reply(lang, messages::REPOSITORY_DELETED, &repo))
}

/// Makes a repository its owner's default.
#[utoipa::path(
    post, path = "/workflow/repositories/{id}/default", tag = "Perfect21", security(("bearer" = [])),
    params(("id" = String, Path, description = "Repository id")),
    responses((status = 200, description = "`{success, output, repository}`", body = P21RepositoryReply),
              (status = 401, description = "INVALID_TOKEN"), (status = 404, description = "NOT_FOUND"))
)]
pub async fn set_default(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Json<P21RepositoryReply>, ApiError> {
    let repo = state.git.repositories.set_default(&auth.principal(), id_or_not_found(&id, "repository")?).await?;
    Ok(reply(lang, messages::REPOSITORY_DEFAULT, &repo))
}
