//! Slipway's own job API (not in the seed documents): read and cancel jobs, and follow their events live over
//! Server-Sent Events or WebSocket. Errors answer in the FastAPI style of the `/api` prefix.

pub mod views;

use axum::Json;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use slipway_core::FieldError;
use slipway_engine::{JobFilter, JobStatus};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::paging::Paging;
use crate::error::ApiError;
use crate::extract::{ApiQuery, CurrentUser, PathId, StreamUser};
use crate::realtime::{event_json, sse, ws};
use crate::state::AppState;
use views::{JobEventFrame, JobPage, JobView};

/// The job API.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(cancel))
        .routes(routes!(events))
        .routes(routes!(socket))
}

/// Filters of the job list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page (≤ 100).
    pub page_size: Option<i64>,
    /// Only jobs in this status (`queued`, `running`, `succeeded`, `failed`, `cancelled`, `timed_out`).
    pub status: Option<String>,
    /// Only jobs of this kind.
    pub kind: Option<String>,
}

/// The caller's jobs (an administrator's: everyone's), newest first.
#[utoipa::path(
    get, path = "/api/jobs", tag = "Slipway", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, description = "A page of jobs", body = JobPage), (status = 401, description = "Not signed in"))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<JobPage>, ApiError> {
    let paging = Paging::new(q.page, q.page_size, 20, 100)?;
    let statuses = match q.status.as_deref() {
        None | Some("") => Vec::new(),
        Some(s) => vec![s.parse::<JobStatus>().map_err(|_| {
            slipway_core::Error::Validation(vec![FieldError::query(
                "status",
                "value_error",
                format!("unknown status {s:?}"),
            )])
        })?],
    };
    let filter =
        JobFilter { statuses, kind: q.kind, offset: paging.offset(), limit: paging.page_size, ..JobFilter::default() };
    let page = state.engine.list(&auth.principal(), filter).await?;
    Ok(Json(JobPage::new(&page.items, page.total, paging)))
}

/// One job.
#[utoipa::path(
    get, path = "/api/jobs/{id}", tag = "Slipway", security(("bearer" = [])), params(("id" = i64, Path, description = "Job id")),
    responses((status = 200, description = "The job", body = JobView), (status = 404, description = "No such job, or not yours"))
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(JobView::from(&state.engine.get(&auth.principal(), id).await?)))
}

/// Cancels a job: a queued one at once, a running one as soon as its executor stops.
#[utoipa::path(
    post, path = "/api/jobs/{id}/cancel", tag = "Slipway", security(("bearer" = [])), params(("id" = i64, Path, description = "Job id")),
    responses((status = 200, description = "The job, cancelled or to be cancelled", body = JobView), (status = 404, description = "No such job"), (status = 409, description = "Already finished"))
)]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(JobView::from(&state.engine.cancel(&auth.principal(), id).await?)))
}

/// Where to start reading events.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Resume after this sequence number (`Last-Event-ID` wins for SSE).
    pub after: Option<i64>,
    /// The access token, for clients that cannot send headers.
    pub access_token: Option<String>,
}

/// The job's events as Server-Sent Events: the log from `Last-Event-ID` (or `after`), then live; ends after
/// the final status.
#[utoipa::path(
    get, path = "/api/jobs/{id}/events", tag = "Slipway", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Job id"), StreamQuery),
    responses(
        (status = 200, description = "Server-Sent Events: `id` is the sequence number, `event` the type, `data` one \
                                      event as JSON (a failed stream ends with an `error` event, `{error}`)",
         content_type = "text/event-stream", body = JobEventFrame),
        (status = 404, description = "No such job"),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    StreamUser(auth): StreamUser,
    PathId(id): PathId,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<Response, ApiError> {
    let after = sse::resume_after(&headers, q.after)?;
    let stream = state.engine.subscribe(&auth.principal(), id, after).await?;
    Ok(sse::stream(stream, |e| (e.kind.clone(), event_json(e))).into_response())
}

/// The job's events over a WebSocket, one JSON message each; closes after the final status.
#[utoipa::path(
    get, path = "/api/jobs/{id}/ws", tag = "Slipway", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Job id"), StreamQuery),
    responses((status = 101, description = "Switching to WebSocket: each message is one `JobEvent` as JSON"), (status = 404, description = "No such job"))
)]
pub async fn socket(
    State(state): State<AppState>,
    StreamUser(auth): StreamUser,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let stream = state.engine.subscribe(&auth.principal(), id, q.after.unwrap_or(0).max(0)).await?;
    Ok(upgrade.on_upgrade(move |socket| ws::pump(socket, stream, |e| Some(event_json(e)))))
}
