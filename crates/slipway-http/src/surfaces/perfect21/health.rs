//! `GET /health`, `GET /status`, `GET /api/auth/health`: real checks of every dependency, 503 when degraded.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use slipway_core::HealthReport;
use utoipa::ToSchema;

use crate::state::AppState;

/// The result of one dependency check.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// Whether the dependency answered.
    pub ok: bool,
    /// Round-trip time in milliseconds, when it answered.
    pub latency_ms: Option<f64>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

fn checks(report: &HealthReport) -> BTreeMap<String, CheckResult> {
    report
        .checks
        .iter()
        .map(|c| {
            let result = match &c.outcome {
                Ok(rtt) => CheckResult { ok: true, latency_ms: Some(rtt.as_secs_f64() * 1e3), error: None },
                Err(e) => CheckResult { ok: false, latency_ms: None, error: Some(e.clone()) },
            };
            (c.name.to_owned(), result)
        })
        .collect()
}

fn status_code(report: &HealthReport) -> StatusCode {
    if report.is_healthy() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }
}

/// `GET /health` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// Every dependency works.
    pub success: bool,
    /// `healthy` or `degraded` (ResoftAI's client reads it).
    pub status: &'static str,
    /// The platform can take work.
    pub perfect21_available: bool,
    /// `healthy: …` or `degraded: …`, naming each check.
    pub output: String,
    /// Each dependency's check.
    pub checks: BTreeMap<String, CheckResult>,
}

/// System health check.
#[utoipa::path(
    get, path = "/health", tag = "Perfect21",
    responses(
        (status = 200, description = "Every dependency works", body = HealthResponse),
        (status = 503, description = "A dependency is down", body = HealthResponse),
    )
)]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<HealthResponse>) {
    let report = HealthReport::gather(&state.probes).await;
    let healthy = report.is_healthy();
    let word = if healthy { "healthy" } else { "degraded" };
    let body = HealthResponse {
        success: healthy,
        status: word,
        perfect21_available: healthy,
        output: format!("{word}: {}", report.summary()),
        checks: checks(&report),
    };
    (status_code(&report), Json(body))
}

/// The node behind `GET /status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeStatus {
    /// Slipway's version.
    pub version: String,
    /// The installation's id.
    pub instance_id: String,
    /// Seconds since this node started.
    pub uptime_seconds: u64,
    /// `sqlite` or `postgres`.
    pub database_backend: String,
    /// Each dependency's check.
    pub checks: BTreeMap<String, CheckResult>,
}

/// `GET /status` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResponse {
    /// Every dependency works.
    pub success: bool,
    /// A one-line account of the node.
    pub output: String,
    /// What is broken, when something is.
    pub error: Option<String>,
    /// The same, structured.
    pub status: NodeStatus,
}

/// System status.
#[utoipa::path(
    get, path = "/status", tag = "Perfect21",
    responses(
        (status = 200, description = "Status of this node", body = StatusResponse),
        (status = 503, description = "A dependency is down", body = StatusResponse),
    )
)]
pub async fn status(State(state): State<AppState>) -> (StatusCode, Json<StatusResponse>) {
    let report = HealthReport::gather(&state.probes).await;
    let node = &state.node;
    let uptime = node.started_at.elapsed().as_secs();
    let output = format!(
        "Slipway {} (instance {}) up {uptime}s on {}; {}",
        node.version,
        node.instance_id,
        node.database_backend,
        report.summary()
    );
    let body = StatusResponse {
        success: report.is_healthy(),
        output,
        error: report.failures(),
        status: NodeStatus {
            version: node.version.to_owned(),
            instance_id: node.instance_id.clone(),
            uptime_seconds: uptime,
            database_backend: node.database_backend.to_owned(),
            checks: checks(&report),
        },
    };
    (status_code(&report), Json(body))
}

/// `GET /api/auth/health` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthHealthResponse {
    /// `healthy` or `degraded`.
    pub status: String,
    /// Always `auth`.
    pub service: String,
    /// When the check ran.
    pub timestamp: String,
    /// Each dependency's check.
    pub checks: BTreeMap<String, CheckResult>,
}

/// Authentication service health check.
#[utoipa::path(
    get, path = "/api/auth/health", tag = "Perfect21",
    responses(
        (status = 200, description = "The auth service can serve", body = AuthHealthResponse),
        (status = 503, description = "A dependency is down", body = AuthHealthResponse),
    )
)]
pub async fn auth_health(State(state): State<AppState>) -> (StatusCode, Json<AuthHealthResponse>) {
    let report = HealthReport::gather(&state.probes).await;
    let body = AuthHealthResponse {
        status: if report.is_healthy() { "healthy" } else { "degraded" }.to_owned(),
        service: "auth".to_owned(),
        timestamp: slipway_core::time::now_rfc3339(),
        checks: checks(&report),
    };
    (status_code(&report), Json(body))
}
