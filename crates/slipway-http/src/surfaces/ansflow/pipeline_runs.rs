//! AnsFlow's runs: `POST /api/pipelines/{id}/run/`, `GET /api/pipelines/{id}/runs/`, `GET
//! /api/pipeline-runs/{run_id}/`, `POST …/cancel/`, and beyond the document `…/restart/`, `…/artifacts/` and an
//! artifact's download. The service decides; these handlers translate.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use slipway_delivery::RunVariables;
use utoipa::{IntoParams, ToSchema};

use super::links::base_url;
use super::pipeline_run_views::{AnsFlowArtifact, AnsFlowArtifacts, AnsFlowPipelineRun, AnsFlowPipelineRunDetail};
use super::views::AnsFlowPage;
use crate::error::ApiError;
use crate::extract::{ApiQuery, CurrentUser, MaybeJson, PathId, PathIds};
use crate::state::AppState;
use crate::surfaces::attachment::attachment;
use crate::surfaces::paging::Paging;

/// What to run (the body may be left out).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = AnsFlowRunInput)]
pub struct RunBody {
    /// The branch (default: the pipeline's).
    pub branch: Option<String>,
    /// Variables exported to every step, over the pipeline's.
    pub variables: Option<BTreeMap<String, String>>,
    /// Secret variables: exported too, stored sealed and masked as `***` in every log line.
    pub secret_variables: Option<BTreeMap<String, String>>,
}

/// Starts a run by hand: it is queued at once and runs on the engine.
#[utoipa::path(
    post, path = "/api/pipelines/{id}/run/", tag = "AnsFlow", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Pipeline id")), request_body(content = RunBody, description = "Optional"),
    responses(
        (status = 201, description = "The new run, queued", body = AnsFlowPipelineRun),
        (status = 400, description = "VALIDATION_ERROR: a bad branch or variable"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 403, description = "PERMISSION_DENIED: the command sandbox is unavailable and the owner is no administrator"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such pipeline of yours"),
        (status = 409, description = "RESOURCE_CONFLICT: the pipeline is inactive"),
    )
)]
pub async fn run(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    MaybeJson(body): MaybeJson<RunBody>,
) -> Result<(StatusCode, Json<AnsFlowPipelineRun>), ApiError> {
    let body = body.unwrap_or_default();
    let variables =
        RunVariables { plain: body.variables.unwrap_or_default(), secret: body.secret_variables.unwrap_or_default() };
    let run = state.pipelines.run(&auth.principal(), id, body.branch, variables).await?;
    Ok((StatusCode::CREATED, Json((&run).into())))
}

/// The query of the run list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunListQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1–100 (default 20).
    pub page_size: Option<i64>,
}

/// A pipeline's runs, newest first, DRF-paginated.
#[utoipa::path(
    get, path = "/api/pipelines/{id}/runs/", tag = "AnsFlow", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Pipeline id"), RunListQuery),
    responses(
        (status = 200, description = "A page of runs", body = AnsFlowPage<AnsFlowPipelineRun>),
        (status = 400, description = "VALIDATION_ERROR: a bad page or page_size"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such pipeline of yours"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    headers: HeaderMap,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<RunListQuery>,
) -> Result<Json<AnsFlowPage<AnsFlowPipelineRun>>, ApiError> {
    let paging = Paging::new(q.page, q.page_size, 20, 100)?;
    let page = state.pipelines.runs(&auth.principal(), id, paging.offset(), paging.page_size).await?;
    let results = page.items.iter().map(AnsFlowPipelineRun::from).collect();
    let base = base_url(&headers, &format!("/api/pipelines/{id}/runs/"));
    Ok(Json(AnsFlowPage::new(&base, paging.page, paging.page_size, page.total, results)))
}

/// A run with every step (status, exit code, duration, log), its variables and artifacts.
#[utoipa::path(
    get, path = "/api/pipeline-runs/{run_id}/", tag = "AnsFlow", security(("bearer" = [])),
    params(("run_id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run", body = AnsFlowPipelineRunDetail),
        (status = 400, description = "VALIDATION_ERROR: a bad id"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such run of yours"),
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    headers: HeaderMap,
    PathId(run_id): PathId,
) -> Result<Json<AnsFlowPipelineRunDetail>, ApiError> {
    let d = state.pipelines.run_detail(&auth.principal(), run_id).await?;
    Ok(Json(AnsFlowPipelineRunDetail::of(&d, &base_url(&headers, ""))))
}

/// Cancels a run: a queued one never starts, a running one's step is killed; it ends `cancelled`.
#[utoipa::path(
    post, path = "/api/pipeline-runs/{run_id}/cancel/", tag = "AnsFlow", security(("bearer" = [])),
    params(("run_id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run, cancelled or being cancelled", body = AnsFlowPipelineRun),
        (status = 400, description = "VALIDATION_ERROR: a bad id"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such run of yours"),
        (status = 409, description = "RESOURCE_CONFLICT: the run already finished"),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(run_id): PathId,
) -> Result<Json<AnsFlowPipelineRun>, ApiError> {
    Ok(Json((&state.pipelines.cancel(&auth.principal(), run_id).await?).into()))
}

/// Runs a finished run again: same branch, commit and variables (trigger `restart`).
#[utoipa::path(
    post, path = "/api/pipeline-runs/{run_id}/restart/", tag = "AnsFlow", security(("bearer" = [])),
    params(("run_id" = i64, Path, description = "Run id")),
    responses(
        (status = 201, description = "The new run, queued", body = AnsFlowPipelineRun),
        (status = 400, description = "VALIDATION_ERROR: a bad id"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 403, description = "PERMISSION_DENIED: the command sandbox is unavailable and the owner is no administrator"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such run of yours"),
        (status = 409, description = "RESOURCE_CONFLICT: the run has not finished"),
    )
)]
pub async fn restart(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(run_id): PathId,
) -> Result<(StatusCode, Json<AnsFlowPipelineRun>), ApiError> {
    let run = state.pipelines.restart(&auth.principal(), run_id).await?;
    Ok((StatusCode::CREATED, Json((&run).into())))
}

/// A run's artifacts.
#[utoipa::path(
    get, path = "/api/pipeline-runs/{run_id}/artifacts/", tag = "AnsFlow", security(("bearer" = [])),
    params(("run_id" = i64, Path, description = "Run id")),
    responses(
        (status = 200, description = "The artifacts", body = AnsFlowArtifacts),
        (status = 400, description = "VALIDATION_ERROR: a bad id"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such run of yours"),
    )
)]
pub async fn artifacts(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    headers: HeaderMap,
    PathId(run_id): PathId,
) -> Result<Json<AnsFlowArtifacts>, ApiError> {
    let list = state.pipelines.artifacts(&auth.principal(), run_id).await?;
    let base = base_url(&headers, "");
    Ok(Json(AnsFlowArtifacts { results: list.iter().map(|a| AnsFlowArtifact::of(a, &base)).collect() }))
}

/// An artifact's content, streamed as an attachment.
#[utoipa::path(
    get, path = "/api/pipeline-runs/{run_id}/artifacts/{artifact_id}/download/", tag = "AnsFlow",
    security(("bearer" = [])),
    params(("run_id" = i64, Path, description = "Run id"), ("artifact_id" = i64, Path, description = "Artifact id")),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "VALIDATION_ERROR: a bad id"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such artifact of yours"),
    )
)]
pub async fn download(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ids: PathIds<2>,
) -> Result<Response, ApiError> {
    let PathIds([run_id, artifact_id]) = ids;
    let (record, stream) = state.pipelines.artifact(&auth.principal(), run_id, artifact_id).await?;
    let name = record.path.rsplit('/').next().unwrap_or("artifact");
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
        (header::CONTENT_LENGTH, HeaderValue::from(record.size)),
        (header::CONTENT_DISPOSITION, attachment(name)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    Ok((headers, Body::from_stream(stream)).into_response())
}
