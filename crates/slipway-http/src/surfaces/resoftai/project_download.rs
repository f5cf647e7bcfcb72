//! ResoftAI's `GET /api/projects/{project_id}/download`: every current file of the project at its path, as a
//! ZIP streamed while it is written (see `slipway_factory::archive`).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::file_views::ResoftAiBinary;
use crate::error::ApiError;
use crate::extract::{CurrentUser, PathId};
use crate::state::AppState;
use crate::surfaces::attachment::attachment;

/// The project's files as `project_<id>.zip`.
#[utoipa::path(
    get, path = "/api/projects/{project_id}/download", tag = "ResoftAI", security(("bearer" = [])),
    params(("project_id" = i64, Path, description = "Project id")),
    responses(
        (status = 200, description = "A ZIP of the project's files at their paths", content_type = "application/zip",
         body = ResoftAiBinary),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such project of yours: PROJ_001"),
        (status = 422, description = "A bad project id"),
    )
)]
pub async fn download(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let archive = state.factory.project_archive(&auth.principal(), id).await?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/zip")),
        (header::CONTENT_DISPOSITION, attachment(&format!("project_{}.zip", archive.project_id))),
    ];
    Ok((headers, Body::from_stream(archive.body)).into_response())
}
