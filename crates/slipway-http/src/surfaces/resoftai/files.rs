//! ResoftAI's `/api/files`: versioned project files. Uploads and updates stream their `file` part to the file
//! store (up to the configured upload limit, not the JSON body limit: see [`STREAMED_UPLOADS`]); downloads
//! stream it back. The service decides who may (a file of another user's project is a 404), which types
//! (`400 FILE_002`), how big (`413 FILE_001`), and what a version is.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use slipway_factory::files::{FileQuery, file_name};
use utoipa::IntoParams;

use super::file_views::{
    ResoftAiBinary, ResoftAiFile, ResoftAiFileDetail, ResoftAiFileReplacement, ResoftAiFileRestored,
    ResoftAiFileUpload, ResoftAiFileVersion,
};
use crate::error::ApiError;
use crate::extract::{ApiQuery, CurrentUser, MultipartForm, PathId, PathIds};
use crate::state::AppState;
use crate::surfaces::attachment::attachment;

/// The routes whose bodies stream to the file store (their limit is the upload limit).
pub const STREAMED_UPLOADS: &[(Method, &str)] = &[(Method::POST, "/api/files"), (Method::PUT, "/api/files/{file_id}")];

/// Uploads a file into a project (a new file, or the next version of the file at that path).
#[utoipa::path(
    post, path = "/api/files", tag = "ResoftAI", security(("bearer" = [])),
    request_body(content = ResoftAiFileUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The file at its new version", body = ResoftAiFile),
        (status = 400, description = "The file type is not supported: FILE_002"),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such project of yours: PROJ_001"),
        (status = 413, description = "The file exceeds the upload limit: FILE_001"),
        (status = 422, description = "Missing or invalid fields, or a malformed multipart body"),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    form: MultipartForm,
) -> Result<(StatusCode, Json<ResoftAiFile>), ApiError> {
    let file = state.factory.upload_file(&auth.principal(), form).await?;
    Ok((StatusCode::CREATED, Json(file.into())))
}

/// Which files to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The project (required).
    pub project_id: Option<i64>,
    /// Only this category (`requirements`, `design`, `code`, `test`, `documentation`).
    pub category: Option<String>,
    /// Files to skip (≥ 0).
    pub skip: Option<i64>,
    /// Files to answer (1–100, default 20).
    pub limit: Option<i64>,
}

/// A project's files, by path.
#[utoipa::path(
    get, path = "/api/files", tag = "ResoftAI", security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "The files", body = Vec<ResoftAiFile>),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such project of yours: PROJ_001"),
        (status = 422, description = "`project_id` missing, or a bad `category`, `skip` or `limit`"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ResoftAiFile>>, ApiError> {
    let query = FileQuery { project_id: q.project_id, category: q.category, skip: q.skip, limit: q.limit };
    let files = state.factory.list_files(&auth.principal(), query).await?;
    Ok(Json(files.into_iter().map(ResoftAiFile::from).collect()))
}

/// A file with its content (text files up to 1 MiB; binary files say so instead).
#[utoipa::path(
    get, path = "/api/files/{file_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("file_id" = i64, Path, description = "File id")),
    responses(
        (status = 200, description = "The file", body = ResoftAiFileDetail),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such file of yours"),
        (status = 422, description = "A bad file id"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<ResoftAiFileDetail>, ApiError> {
    Ok(Json(state.factory.file_detail(&auth.principal(), id).await?.into()))
}

/// The file's current content, streamed, as an attachment named after it.
#[utoipa::path(
    get, path = "/api/files/{file_id}/download", tag = "ResoftAI", security(("bearer" = [])),
    params(("file_id" = i64, Path, description = "File id")),
    responses(
        (status = 200, description = "The content, with the file's own media type as `Content-Type`",
         content_type = "*/*", body = ResoftAiBinary),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such file of yours"),
        (status = 422, description = "A bad file id"),
    )
)]
pub async fn download(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let d = state.factory.download_file(&auth.principal(), id).await?;
    let content_type = HeaderValue::from_str(&d.file.mime_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_LENGTH, HeaderValue::from(d.size)),
        (header::CONTENT_DISPOSITION, attachment(file_name(&d.file.path))),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    Ok((headers, Body::from_stream(d.body)).into_response())
}

/// Writes a new version of the file from the uploaded `file` (its path and category stay).
#[utoipa::path(
    put, path = "/api/files/{file_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("file_id" = i64, Path, description = "File id")),
    request_body(content = ResoftAiFileReplacement, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The file at its new version", body = ResoftAiFile),
        (status = 400, description = "The file type is not supported: FILE_002"),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such file of yours"),
        (status = 413, description = "The file exceeds the upload limit: FILE_001"),
        (status = 422, description = "`file` missing, a bad file id, or a malformed multipart body"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    form: MultipartForm,
) -> Result<Json<ResoftAiFile>, ApiError> {
    Ok(Json(state.factory.replace_file(&auth.principal(), id, form).await?.into()))
}

/// Deletes the file with every version.
#[utoipa::path(
    delete, path = "/api/files/{file_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("file_id" = i64, Path, description = "File id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such file of yours"),
        (status = 422, description = "A bad file id"),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    state.factory.delete_file(&auth.principal(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The file's versions, newest first.
#[utoipa::path(
    get, path = "/api/files/{file_id}/versions", tag = "ResoftAI", security(("bearer" = [])),
    params(("file_id" = i64, Path, description = "File id")),
    responses(
        (status = 200, description = "The versions", body = Vec<ResoftAiFileVersion>),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such file of yours"),
        (status = 422, description = "A bad file id"),
    )
)]
pub async fn versions(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<Vec<ResoftAiFileVersion>>, ApiError> {
    let versions = state.factory.file_versions(&auth.principal(), id).await?;
    Ok(Json(versions.into_iter().map(ResoftAiFileVersion::from).collect()))
}

/// Writes a new version holding an earlier version's content.
#[utoipa::path(
    post, path = "/api/files/{file_id}/versions/{version}/restore", tag = "ResoftAI", security(("bearer" = [])),
    params(
        ("file_id" = i64, Path, description = "File id"),
        ("version" = i64, Path, description = "The version to restore"),
    ),
    responses(
        (status = 200, description = "The new version", body = ResoftAiFileRestored),
        (status = 401, description = "Not signed in"),
        (status = 404, description = "No such file of yours, or no such version"),
        (status = 422, description = "A bad file id or version"),
    )
)]
pub async fn restore(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ids: PathIds<2>,
) -> Result<Json<ResoftAiFileRestored>, ApiError> {
    let PathIds([id, version]) = ids;
    Ok(Json(state.factory.restore_file_version(&auth.principal(), id, version).await?.into()))
}
