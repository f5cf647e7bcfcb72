//! qoder's deployments (administrators and the server operators they grant): the list and create routes the
//! document names, and the rest of the resource — one deployment with its steps, cancel, rollback.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use slipway_ops::deployments::{DeploymentFilter, HealthCheckInput, NewDeployment, SourceInput};
use utoipa::{IntoParams, ToSchema};

use super::deployment_views::QoderDeployment;
use super::messages::{DEPLOYMENT_CREATED, DEPLOYMENTS_LIST, FETCHED, SUCCESS};
use super::views::{QoderPage, QoderReply, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, PathId};
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
    /// Only deployments to this server.
    pub server_id: Option<i64>,
    /// Only this status: `pending`, `running`, `success`, `failed`, `cancelled`.
    pub status: Option<String>,
}

/// Lists deployments, newest first, with their servers (not their steps).
#[utoipa::path(
    get, path = "/api/deployments", tag = "qoder", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of deployments", body = QoderReply<QoderPage<QoderDeployment>>), (status = 400, description = "Bad paging, server_id or status"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<(StatusCode, Json<QoderReply<QoderPage<QoderDeployment>>>), ApiError> {
    let p = Paging::new(q.page, q.page_size, 10, 100)?;
    let status = q.status.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = DeploymentFilter { server_id: q.server_id, status };
    let page = state.deployments.list(&auth.principal(), filter, p.offset(), p.page_size).await?;
    let list = page.items.iter().map(QoderDeployment::from).collect();
    Ok(ok(StatusCode::OK, DEPLOYMENTS_LIST.text(lang), QoderPage::new(list, page.total, p)))
}

/// A deployment's source.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderDeploymentSourceInput)]
pub struct SourceBody {
    /// `git` or `artifacts`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// With `git`: the repository URL (administrators may also give a local path).
    pub repository: Option<String>,
    /// With `git`: a branch, tag or commit (default `HEAD`).
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// With `artifacts`: the pipeline run.
    pub pipeline_run_id: Option<i64>,
}

/// A health check: exactly one of `url` and `command`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderHealthCheckInput)]
pub struct HealthCheckBody {
    /// An `http(s)` URL fetched from the server itself (curl, else wget).
    pub url: Option<String>,
    /// A command run on the server in the new release's directory.
    pub command: Option<String>,
}

/// A deployment to create; unknown fields are ignored, as gin does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderDeploymentCreate)]
pub struct CreateBody {
    /// A name for people.
    pub name: String,
    /// One server.
    pub server_id: Option<i64>,
    /// The servers, in the order they are deployed to (with `server_id`: after it).
    pub server_ids: Option<Vec<i64>>,
    /// `sequential` (default: one after the other, stopping at the first failure) or `batch`.
    pub strategy: Option<String>,
    /// With `batch`: servers at once.
    pub batch_size: Option<i64>,
    /// Where the release comes from.
    pub source: Option<SourceBody>,
    /// Absolute remote directory for `releases/` and `current` (no `..`, quotes or newlines).
    pub deploy_path: String,
    /// Command run in the new release's directory before `deploy`.
    pub pre_deploy: Option<String>,
    /// Command run in the new release's directory before the switch.
    pub deploy: Option<String>,
    /// Command run in the new release's directory after the switch.
    pub post_deploy: Option<String>,
    /// How the new release is checked after the switch.
    pub health_check: Option<HealthCheckBody>,
    /// Command run after switching back (a failure, a rollback).
    pub rollback: Option<String>,
    /// Seconds each step may take (default 600).
    pub timeout: Option<i64>,
    /// Releases kept on each server (default 5).
    pub keep_releases: Option<i64>,
}

/// Creates a deployment; its job starts at once.
#[utoipa::path(
    post, path = "/api/deployments", tag = "qoder", security(("bearer" = [])), request_body = CreateBody,
    responses((status = 200, description = "The created deployment", body = QoderReply<QoderDeployment>), (status = 400, description = "Bad or missing fields: no or unknown servers, a bad deploy path, a bad source or one the outbound policy refuses"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"))
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<QoderReply<QoderDeployment>>), ApiError> {
    let new = NewDeployment {
        name: b.name,
        server_id: b.server_id,
        server_ids: b.server_ids.unwrap_or_default(),
        strategy: b.strategy,
        batch_size: b.batch_size,
        source: b.source.map(|s| SourceInput {
            kind: s.kind,
            repository: s.repository,
            git_ref: s.git_ref,
            pipeline_run_id: s.pipeline_run_id,
        }),
        deploy_path: b.deploy_path,
        pre_deploy: b.pre_deploy,
        deploy: b.deploy,
        post_deploy: b.post_deploy,
        health_check: b.health_check.map(|h| HealthCheckInput { url: h.url, command: h.command }),
        rollback: b.rollback,
        timeout: b.timeout,
        keep_releases: b.keep_releases,
    };
    let d = state.deployments.create(&auth.principal(), new).await?;
    Ok(ok(StatusCode::OK, DEPLOYMENT_CREATED.text(lang), QoderDeployment::from(&d)))
}

/// One deployment with every step on every server (status, exit code, duration, log).
#[utoipa::path(
    get, path = "/api/deployments/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Deployment id")),
    responses((status = 200, description = "The deployment", body = QoderReply<QoderDeployment>), (status = 400, description = "Bad id"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "No such deployment"))
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderReply<QoderDeployment>>), ApiError> {
    let d = state.deployments.get(&auth.principal(), id).await?;
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderDeployment::from(&d)))
}

/// Cancels a deployment that has not finished: the remote command's process group is killed, a server already
/// switched is switched back, and it ends `cancelled`.
#[utoipa::path(
    post, path = "/api/deployments/{id}/cancel", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Deployment id")),
    responses((status = 200, description = "Cancelling; the deployment as it is now", body = QoderReply<QoderDeployment>), (status = 400, description = "Bad id"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "No such deployment"), (status = 409, description = "It already finished"))
)]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderReply<QoderDeployment>>), ApiError> {
    let d = state.deployments.cancel(&auth.principal(), id).await?;
    Ok(ok(StatusCode::OK, SUCCESS.text(lang), QoderDeployment::from(&d)))
}

/// Rolls a finished deployment back: a new deployment (kind `rollback`) switches each server where its release
/// is current back to the release before it.
#[utoipa::path(
    post, path = "/api/deployments/{id}/rollback", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Deployment id")),
    responses((status = 200, description = "The rollback, started", body = QoderReply<QoderDeployment>), (status = 400, description = "Bad id"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "No such deployment"), (status = 409, description = "It has not finished, is itself a rollback, or no server has its release"))
)]
pub async fn rollback(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderReply<QoderDeployment>>), ApiError> {
    let d = state.deployments.rollback(&auth.principal(), id).await?;
    Ok(ok(StatusCode::OK, SUCCESS.text(lang), QoderDeployment::from(&d)))
}
