//! Perfect21's system figures: `GET /api/metrics` (host CPU and memory, active tasks, the HTTP server's mean
//! response time and error rate, the LLM cache hit rate: all measured) and `GET /api/quality/gates`.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use slipway_agents::GateCheckRecord;
use slipway_core::time::rfc3339;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::CurrentUser;
use crate::state::AppState;

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The node's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21Metrics {
    /// Host CPU use, percent.
    pub cpu_usage: f64,
    /// Host memory use, percent.
    pub memory_usage: f64,
    /// Jobs running now.
    pub active_tasks: i64,
    /// The HTTP server's mean response time, ms.
    pub avg_response_time: f64,
    /// Share of HTTP answers that were errors (0–1).
    pub error_rate: f64,
    /// LLM cache hit rate, percent.
    pub cache_hit_rate: f64,
}

/// `GET /api/metrics` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21MetricsReply {
    /// Always true.
    pub success: bool,
    /// The figures.
    pub metrics: P21Metrics,
    /// When they were taken.
    pub timestamp: String,
}

/// The node's figures now.
#[utoipa::path(
    get, path = "/api/metrics", tag = "Perfect21", security(("bearer" = [])),
    responses((status = 200, description = "The node's figures now", body = P21MetricsReply),
              (status = 401, description = "INVALID_TOKEN"))
)]
pub async fn metrics(
    State(state): State<AppState>,
    CurrentUser(_auth): CurrentUser,
) -> Result<Json<P21MetricsReply>, ApiError> {
    let (host, engine) = tokio::try_join!(state.host.usage(), state.engine.metrics())?;
    let http = state.http_stats.read();
    let metrics = P21Metrics {
        cpu_usage: round1(host.cpu_percent),
        memory_usage: round1(host.memory_percent),
        active_tasks: engine.running,
        avg_response_time: round1(http.avg_response_ms),
        error_rate: (http.error_rate * 10_000.0).round() / 10_000.0,
        cache_hit_rate: round1(state.agents.cache_hit_rate()),
    };
    Ok(Json(P21MetricsReply { success: true, metrics, timestamp: rfc3339(slipway_core::time::now()) }))
}

/// The quality-gate totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21GateTotals {
    /// Checks that passed or failed.
    pub total_checks: i64,
    /// Checks that passed.
    pub passed_checks: i64,
    /// Checks that failed.
    pub failed_checks: i64,
    /// Percent of them that passed.
    pub pass_rate: f64,
    /// Mean score of the checks that have one.
    pub average_score: Option<f64>,
}

/// One recent failed check.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21GateFailure {
    /// The gate.
    pub gate_name: String,
    /// When it failed.
    pub timestamp: String,
    /// Why.
    pub reason: String,
    /// Its score, if it has one.
    pub score: Option<f64>,
    /// The threshold it missed.
    pub threshold: Option<f64>,
}

impl From<&GateCheckRecord> for P21GateFailure {
    fn from(g: &GateCheckRecord) -> Self {
        Self {
            gate_name: g.gate_name.clone(),
            timestamp: rfc3339(g.created_at),
            reason: g.reason.clone(),
            score: g.score,
            threshold: g.threshold,
        }
    }
}

/// `GET /api/quality/gates` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21GatesReply {
    /// Always true.
    pub success: bool,
    /// The totals.
    pub quality_gates: P21GateTotals,
    /// The newest failures.
    pub recent_failures: Vec<P21GateFailure>,
}

/// Statistics over the quality-gate checks (an administrator's cover everyone; a user's their own work).
#[utoipa::path(
    get, path = "/api/quality/gates", tag = "Perfect21", security(("bearer" = [])),
    responses((status = 200, description = "Totals and the newest failures", body = P21GatesReply),
              (status = 401, description = "INVALID_TOKEN"))
)]
pub async fn gates(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
) -> Result<Json<P21GatesReply>, ApiError> {
    let report = state.agents.gate_report(&auth.principal()).await?;
    let s = &report.stats;
    let quality_gates = P21GateTotals {
        total_checks: s.total,
        passed_checks: s.passed,
        failed_checks: s.failed,
        pass_rate: round1(report.pass_rate()),
        average_score: s.average_score.map(round1),
    };
    let recent_failures = report.recent_failures.iter().map(Into::into).collect();
    Ok(Json(P21GatesReply { success: true, quality_gates, recent_failures }))
}
