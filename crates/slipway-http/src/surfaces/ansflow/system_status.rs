//! AnsFlow's `GET /api/v1/system/status` (its FastAPI side): the real checks of this node's dependencies
//! (`database`, `engine`, and `redis` only where rate limits are shared through it), Slipway's version and the
//! installation's counts. Public, like `/health`, for load balancers and uptime checks: it shows words and
//! counts, never an error message, an address, a name or an id.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use slipway_core::HealthReport;
use utoipa::ToSchema;

use crate::state::AppState;

/// How long the counts may take before the route answers without them.
const COUNTS_TIMEOUT: Duration = Duration::from_secs(2);

/// Each checked dependency: `healthy` or `unhealthy`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowServices {
    /// The database answered a query.
    pub database: &'static str,
    /// The engine could read its job queue.
    pub engine: &'static str,
    /// Redis answered a `PING`; present only when rate limits are shared through Redis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<&'static str>,
}

/// The installation's counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowSystemMetrics {
    /// Pipelines that are active.
    pub active_pipelines: i64,
    /// Engine jobs of every kind running now, on every node.
    pub running_jobs: i64,
    /// Engine jobs of every kind waiting in the queue.
    pub queue_size: i64,
}

/// `GET /api/v1/system/status` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowSystemStatus {
    /// `healthy` (every check passed), `degraded` (the database and the engine work, something else does
    /// not) or `unhealthy` (the database or the engine does not work).
    pub status: &'static str,
    /// Slipway's version.
    pub version: String,
    /// Each dependency's check (no `rabbitmq`: Slipway has none).
    pub services: AnsFlowServices,
    /// The counts; `null` when they could not be read.
    pub metrics: Option<AnsFlowSystemMetrics>,
}

fn word(ok: bool) -> &'static str {
    if ok { "healthy" } else { "unhealthy" }
}

/// Whether the probe `name` passed; `None` when there is no such probe.
fn passed(report: &HealthReport, name: &str) -> Option<bool> {
    report.checks.iter().find(|c| c.name == name).map(|c| c.is_ok())
}

/// System status: checks, version and counts; 503 when the database or the engine is down.
#[utoipa::path(
    get, path = "/api/v1/system/status", tag = "AnsFlow",
    responses(
        (status = 200, description = "The node works (`healthy` or `degraded`)", body = AnsFlowSystemStatus),
        (status = 503, description = "The database or the engine is down (`unhealthy`)", body = AnsFlowSystemStatus),
    )
)]
pub async fn status(State(state): State<AppState>) -> (StatusCode, Json<AnsFlowSystemStatus>) {
    let counts = tokio::time::timeout(COUNTS_TIMEOUT, state.pipelines.activity());
    let (report, counts) = tokio::join!(HealthReport::gather(&state.probes), counts);
    let metrics = match counts {
        Ok(Ok(a)) => Some(AnsFlowSystemMetrics {
            active_pipelines: a.active_pipelines,
            running_jobs: a.running_jobs,
            queue_size: a.queued_jobs,
        }),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "system status: the counts could not be read");
            None
        }
        Err(_) => {
            tracing::warn!("system status: the counts did not come within {COUNTS_TIMEOUT:?}");
            None
        }
    };
    let core = passed(&report, "database").unwrap_or(false) && passed(&report, "engine").unwrap_or(false);
    let (status, code) = match (core, report.is_healthy() && metrics.is_some()) {
        (true, true) => ("healthy", StatusCode::OK),
        (true, false) => ("degraded", StatusCode::OK),
        (false, _) => ("unhealthy", StatusCode::SERVICE_UNAVAILABLE),
    };
    let services = AnsFlowServices {
        database: word(passed(&report, "database").unwrap_or(false)),
        engine: word(passed(&report, "engine").unwrap_or(false)),
        redis: passed(&report, "redis").map(word),
    };
    (code, Json(AnsFlowSystemStatus { status, version: state.node.version.to_owned(), services, metrics }))
}
