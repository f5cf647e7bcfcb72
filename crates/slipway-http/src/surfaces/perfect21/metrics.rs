//! Perfect21's system figures: `GET /api/metrics` (host CPU and memory, active tasks, the HTTP server's mean
//! response time and error rate, the LLM cache hit rate: all measured) and `GET /api/quality/gates`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::CurrentUser;
use crate::json::ts;
use crate::state::AppState;

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The node's figures now.
#[utoipa::path(
    get, path = "/api/metrics", tag = "Perfect21", security(("bearer" = [])),
    responses((status = 200, description = "`{success, metrics: {cpu_usage, memory_usage, active_tasks, avg_response_time, error_rate, cache_hit_rate}, timestamp}`"),
              (status = 401, description = "INVALID_TOKEN"))
)]
pub async fn metrics(State(state): State<AppState>, CurrentUser(_auth): CurrentUser) -> Result<Json<Value>, ApiError> {
    let (host, engine) = tokio::try_join!(state.host.usage(), state.engine.metrics())?;
    let http = state.http_stats.read();
    Ok(Json(json!({
        "success": true,
        "metrics": {
            "cpu_usage": round1(host.cpu_percent),
            "memory_usage": round1(host.memory_percent),
            "active_tasks": engine.running,
            "avg_response_time": round1(http.avg_response_ms),
            "error_rate": (http.error_rate * 10_000.0).round() / 10_000.0,
            "cache_hit_rate": round1(state.agents.cache_hit_rate()),
        },
        "timestamp": ts(slipway_core::time::now()),
    })))
}

/// Statistics over the quality-gate checks (an administrator's cover everyone; a user's their own work).
#[utoipa::path(
    get, path = "/api/quality/gates", tag = "Perfect21", security(("bearer" = [])),
    responses((status = 200, description = "`{success, quality_gates: {total_checks, passed_checks, failed_checks, pass_rate, average_score}, recent_failures}`"),
              (status = 401, description = "INVALID_TOKEN"))
)]
pub async fn gates(State(state): State<AppState>, CurrentUser(auth): CurrentUser) -> Result<Json<Value>, ApiError> {
    let report = state.agents.gate_report(&auth.principal()).await?;
    let s = report.stats;
    let pass_rate = round1(report.pass_rate());
    let failures: Vec<Value> = report
        .recent_failures
        .iter()
        .map(|g| json!({"gate_name": g.gate_name, "timestamp": ts(g.created_at), "reason": g.reason, "score": g.score, "threshold": g.threshold}))
        .collect();
    Ok(Json(json!({
        "success": true,
        "quality_gates": {
            "total_checks": s.total,
            "passed_checks": s.passed,
            "failed_checks": s.failed,
            "pass_rate": pass_rate,
            "average_score": s.average_score.map(round1),
        },
        "recent_failures": failures,
    })))
}
