//! qoder's monitoring (administrators and granted server operators): servers added to and removed from
//! monitoring, their latest metrics, status and history, the statistics and the dashboard. Server 0 is the
//! Slipway host, always monitored.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::messages::{FETCHED, MONITOR_ADDED, MONITOR_REMOVED};
use super::monitor_views::{
    QoderDashboard, QoderMonitorHistory, QoderMonitorMetrics, QoderMonitorStats, QoderMonitorStatus,
};
use super::views::{QoderDone, QoderReply, done, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, PathIdOrZero};
use crate::lang::Lang;
use crate::state::AppState;

/// The server to monitor; unknown fields are ignored, as gin does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderMonitorAdd)]
pub struct AddBody {
    /// The server's id (0: the Slipway host, always monitored).
    pub server_id: i64,
}

/// Adds a server to monitoring.
#[utoipa::path(
    post, path = "/api/monitor/servers", tag = "qoder", security(("bearer" = [])), request_body = AddBody,
    responses((status = 200, description = "Monitored (again: nothing changes)", body = QoderDone), (status = 400, description = "参数错误: a missing or bad server_id, or no such server"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"))
)]
pub async fn add(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiJson(b): ApiJson<AddBody>,
) -> Result<(StatusCode, Json<QoderDone>), ApiError> {
    state.monitoring.add(&auth.principal(), b.server_id).await?;
    Ok(done(StatusCode::OK, MONITOR_ADDED.text(lang)))
}

/// Removes a server from monitoring, with its history and alerts.
#[utoipa::path(
    delete, path = "/api/monitor/servers/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Server id")),
    responses((status = 200, description = "No longer monitored", body = QoderDone), (status = 400, description = "ID无效"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "Not monitored"), (status = 409, description = "The Slipway host (0) is always monitored"))
)]
pub async fn remove(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathIdOrZero(id): PathIdOrZero,
) -> Result<(StatusCode, Json<QoderDone>), ApiError> {
    state.monitoring.remove(&auth.principal(), id).await?;
    Ok(done(StatusCode::OK, MONITOR_REMOVED.text(lang)))
}

/// A server's latest sample.
#[utoipa::path(
    get, path = "/api/monitor/servers/{id}/metrics", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Server id (0: the Slipway host)")),
    responses((status = 200, description = "The latest sample", body = QoderReply<QoderMonitorMetrics>), (status = 400, description = "ID无效"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "获取失败: not monitored, or no sample yet"))
)]
pub async fn metrics(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathIdOrZero(id): PathIdOrZero,
) -> Result<(StatusCode, Json<QoderReply<QoderMonitorMetrics>>), ApiError> {
    let m = state.monitoring.metrics(&auth.principal(), id).await?;
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderMonitorMetrics::from(&m)))
}

/// A monitored server's status.
#[utoipa::path(
    get, path = "/api/monitor/servers/{id}/status", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Server id (0: the Slipway host)")),
    responses((status = 200, description = "Its status", body = QoderReply<QoderMonitorStatus>), (status = 400, description = "ID无效"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "Not monitored"))
)]
pub async fn status(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathIdOrZero(id): PathIdOrZero,
) -> Result<(StatusCode, Json<QoderReply<QoderMonitorStatus>>), ApiError> {
    let s = state.monitoring.status(&auth.principal(), id).await?;
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderMonitorStatus::from(&s)))
}

/// Which history.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// `1h` (default), `6h`, `24h` or `7d`.
    pub time_range: Option<String>,
    /// `cpu` (default), `memory`, `disk` or `network`.
    pub metric: Option<String>,
}

/// A metric's history, at most 360 points.
#[utoipa::path(
    get, path = "/api/monitor/servers/{id}/history", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Server id (0: the Slipway host)"), HistoryQuery),
    responses((status = 200, description = "The history", body = QoderReply<QoderMonitorHistory>), (status = 400, description = "A bad id, time_range or metric"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "Not monitored"))
)]
pub async fn history(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathIdOrZero(id): PathIdOrZero,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<(StatusCode, Json<QoderReply<QoderMonitorHistory>>), ApiError> {
    let range = q.time_range.unwrap_or_else(|| "1h".into());
    let metric = q.metric.unwrap_or_else(|| "cpu".into());
    let h = state.monitoring.history(&auth.principal(), id, &range, &metric).await?;
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderMonitorHistory::from(&h)))
}

/// The monitoring statistics.
#[utoipa::path(
    get, path = "/api/monitor/stats", tag = "qoder", security(("bearer" = [])),
    responses((status = 200, description = "The statistics", body = QoderReply<QoderMonitorStats>), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 500, description = "获取失败"))
)]
pub async fn stats(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
) -> Result<(StatusCode, Json<QoderReply<QoderMonitorStats>>), ApiError> {
    let s = state.monitoring.stats(&auth.principal()).await?;
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderMonitorStats::from(&s)))
}

/// The dashboard: statistics, open alerts, recent activities.
#[utoipa::path(
    get, path = "/api/monitor/dashboard", tag = "qoder", security(("bearer" = [])),
    responses((status = 200, description = "The dashboard", body = QoderReply<QoderDashboard>), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 500, description = "获取失败"))
)]
pub async fn dashboard(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
) -> Result<(StatusCode, Json<QoderReply<QoderDashboard>>), ApiError> {
    let d = state.monitoring.dashboard(&auth.principal()).await?;
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderDashboard::from(&d)))
}
