//! qoder's scheduled tasks (administrators): the whole resource the document names, plus run-now and the
//! history of runs. A run's output streams live at `/api/jobs/{run id}/events`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use slipway_ops::{TaskChanges, TaskSpec};
use utoipa::{IntoParams, ToSchema};

use super::messages::{DELETED, FETCHED, SUCCESS, TASK_CREATED, TASKS_LIST, UPDATED};
use super::task_views::{QoderTask, QoderTaskRun};
use super::views::{QoderDone, QoderPage, QoderReply, done, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, PathId};
use crate::lang::Lang;
use crate::state::AppState;
use crate::surfaces::paging::Paging;

/// Paging and the enabled filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page (≤ 100).
    pub page_size: Option<i64>,
    /// Only enabled (`true`) or disabled (`false`) tasks.
    pub enabled: Option<bool>,
}

/// Lists scheduled tasks.
#[utoipa::path(
    get, path = "/api/tasks", tag = "qoder", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of tasks", body = QoderReply<QoderPage<QoderTask>>), (status = 403, description = "Neither allowed to run commands here (administrators, or anyone where the sandbox is available) nor, for a server target, a granted server operator"))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<(StatusCode, Json<QoderReply<QoderPage<QoderTask>>>), ApiError> {
    let p = Paging::new(q.page, q.page_size, 10, 100)?;
    let page = state.tasks.list(&auth.principal(), q.enabled, p.offset(), p.page_size).await?;
    let list = page.items.iter().map(QoderTask::from).collect();
    Ok(ok(StatusCode::OK, TASKS_LIST.text(lang), QoderPage::new(list, page.total, p)))
}

/// A task to create; unknown fields are ignored, as gin does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderTaskCreate)]
pub struct CreateBody {
    /// A name for people.
    pub name: String,
    /// Cron expression: 5 fields, or 6 with seconds first.
    pub cron: String,
    /// What `sh -c` runs.
    pub command: String,
    /// Seconds a run may take (0: no limit).
    pub timeout: Option<i64>,
    /// Whether it fires on its schedule (default true).
    pub enabled: Option<bool>,
    /// Where it runs: `local` (this host, the default), a server's name, `server:<id>`, or `tag:<tag>` (every
    /// server with the tag, one after the other; administrators and granted server operators).
    pub target: Option<String>,
    /// IANA time zone of the cron expression (default UTC).
    pub timezone: Option<String>,
}

/// Creates a scheduled task.
#[utoipa::path(
    post, path = "/api/tasks", tag = "qoder", security(("bearer" = [])), request_body = CreateBody,
    responses((status = 200, description = "The created task", body = QoderReply<QoderTask>), (status = 400, description = "Invalid cron, empty command, bad timeout or target"), (status = 403, description = "Neither allowed to run commands here (administrators, or anyone where the sandbox is available) nor, for a server target, a granted server operator"))
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<QoderReply<QoderTask>>), ApiError> {
    let spec = TaskSpec {
        name: b.name,
        cron: b.cron,
        timezone: b.timezone,
        command: b.command,
        timeout_secs: b.timeout,
        enabled: b.enabled.unwrap_or(true),
        target: b.target,
    };
    let task = state.tasks.create(&auth.principal(), spec).await?;
    Ok(ok(StatusCode::OK, TASK_CREATED.text(lang), QoderTask::from(&task)))
}

/// One task.
#[utoipa::path(
    get, path = "/api/tasks/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "The task", body = QoderReply<QoderTask>), (status = 400, description = "Bad id"), (status = 403, description = "Not allowed to manage tasks here, or not a server operator for its server target"), (status = 404, description = "No such task"))
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderReply<QoderTask>>), ApiError> {
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderTask::from(&state.tasks.get(&auth.principal(), id).await?)))
}

/// Fields to change; unknown fields are ignored, as gin does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderTaskUpdate)]
pub struct UpdateBody {
    /// New name.
    pub name: Option<String>,
    /// New cron expression.
    pub cron: Option<String>,
    /// New command.
    pub command: Option<String>,
    /// New timeout in seconds (0: no limit).
    pub timeout: Option<i64>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New target: `local`, a server's name, `server:<id>` or `tag:<tag>`.
    pub target: Option<String>,
    /// New time zone.
    pub timezone: Option<String>,
}

/// Changes a task.
#[utoipa::path(
    put, path = "/api/tasks/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Task id")),
    request_body = UpdateBody,
    responses((status = 200, description = "The changed task", body = QoderReply<QoderTask>), (status = 400, description = "Bad fields or id"), (status = 403, description = "Not allowed to manage tasks here, or not a server operator for its server target"), (status = 404, description = "No such task"))
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
    ApiJson(b): ApiJson<UpdateBody>,
) -> Result<(StatusCode, Json<QoderReply<QoderTask>>), ApiError> {
    let changes = TaskChanges {
        name: b.name,
        cron: b.cron,
        timezone: b.timezone,
        command: b.command,
        timeout_secs: b.timeout,
        enabled: b.enabled,
        target: b.target,
    };
    let task = state.tasks.update(&auth.principal(), id, changes).await?;
    Ok(ok(StatusCode::OK, UPDATED.text(lang), QoderTask::from(&task)))
}

/// Deletes a task (its past runs stay).
#[utoipa::path(
    delete, path = "/api/tasks/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "Deleted", body = QoderDone), (status = 403, description = "Not allowed to manage tasks here, or not a server operator for its server target"), (status = 404, description = "No such task"))
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderDone>), ApiError> {
    state.tasks.delete(&auth.principal(), id).await?;
    Ok(done(StatusCode::OK, DELETED.text(lang)))
}

/// Runs a task now, outside its timetable.
#[utoipa::path(
    post, path = "/api/tasks/{id}/run", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Task id")),
    responses((status = 200, description = "The queued run", body = QoderReply<QoderTaskRun>), (status = 403, description = "Not allowed to manage tasks here, or not a server operator for its server target"), (status = 404, description = "No such task"))
)]
pub async fn run(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderReply<QoderTaskRun>>), ApiError> {
    let run = state.tasks.run_now(&auth.principal(), id).await?;
    Ok(ok(StatusCode::OK, SUCCESS.text(lang), QoderTaskRun::from(&run)))
}

/// Paging of the run history.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page (≤ 100).
    pub page_size: Option<i64>,
}

/// A task's runs, newest first: status, exit code, duration, output.
#[utoipa::path(
    get, path = "/api/tasks/{id}/runs", tag = "qoder", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Task id"), RunsQuery),
    responses((status = 200, description = "A page of the task's runs", body = QoderReply<QoderPage<QoderTaskRun>>), (status = 403, description = "Not allowed to manage tasks here, or not a server operator for its server target"), (status = 404, description = "No such task"))
)]
pub async fn runs(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> Result<(StatusCode, Json<QoderReply<QoderPage<QoderTaskRun>>>), ApiError> {
    let p = Paging::new(q.page, q.page_size, 10, 100)?;
    let page = state.tasks.runs(&auth.principal(), id, p.offset(), p.page_size).await?;
    let list = page.items.iter().map(QoderTaskRun::from).collect();
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderPage::new(list, page.total, p)))
}
