//! Perfect21's intelligent workflows: the templates, running one (`execution_plan`, then the run itself), and
//! its monitor (`monitoring_url`): phase, agents, gates passed and failed, progress.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use slipway_agents::templates::{WorkflowTemplate, gates_for};
use slipway_agents::{GateCheckRecord, WorkflowStatus};
use slipway_core::Error;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser, id_or_not_found};
use crate::json::ts;
use crate::state::AppState;

/// A workflow id as shown to clients: `wf-<n>`.
pub fn workflow_id(id: i64) -> String {
    format!("wf-{id}")
}

fn parse_workflow_id(raw: &str) -> Result<i64, Error> {
    id_or_not_found(raw.strip_prefix("wf-").unwrap_or(raw), "workflow")
}

fn template_summary(t: &WorkflowTemplate) -> Value {
    json!({
        "name": t.name,
        "description": t.description,
        "phases": t.phases.len(),
        "estimated_time": t.estimated_time,
        "quality_gates": t.quality_gates(),
        "recommended_for": t.recommended_for,
    })
}

/// The workflow templates.
#[utoipa::path(
    get, path = "/api/workflows/templates", tag = "Perfect21",
    responses((status = 200, description = "`{success, templates: [{name, description, phases, estimated_time, quality_gates, recommended_for}]}`"))
)]
pub async fn templates(State(state): State<AppState>) -> Json<Value> {
    let list: Vec<Value> = state.agents.templates().iter().map(template_summary).collect();
    Json(json!({"success": true, "templates": list}))
}

/// A workflow to run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteBody {
    /// The template's name.
    pub template: String,
    /// What to build.
    pub description: String,
    /// Free-form context handed to every agent (`tech_stack`, `complexity`, …).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub context: Value,
    /// Gate thresholds: `code_coverage` (percent), `performance_threshold` (ms of the test run),
    /// `security_scan` (on/off), `review_score` (0–10).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub quality_requirements: Value,
}

/// Starts a workflow and answers with its execution plan and where to watch it.
#[utoipa::path(
    post, path = "/api/workflows/execute", tag = "Perfect21", security(("bearer" = [])), request_body = ExecuteBody,
    responses(
        (status = 200, description = "`{success, workflow_id, execution_plan, monitoring_url}`"),
        (status = 400, description = "VALIDATION_ERROR: unknown template, empty description, bad thresholds"),
        (status = 401, description = "INVALID_TOKEN"), (status = 503, description = "No LLM provider is configured")
    )
)]
pub async fn execute(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(body): ApiJson<ExecuteBody>,
) -> Result<Json<Value>, ApiError> {
    let (job, tpl) = state
        .agents
        .execute_workflow(
            &auth.principal(),
            &body.template,
            &body.description,
            body.context,
            body.quality_requirements.clone(),
        )
        .await?;
    let phases: Vec<Value> = tpl
        .phases
        .iter()
        .map(|p| {
            let gates: Vec<&str> =
                p.gate.map(|slot| gates_for(slot, &body.quality_requirements)).unwrap_or_default().iter().map(|g| g.name()).collect();
            json!({"name": p.name, "agents": p.agents, "parallel": p.parallel, "estimated_time": p.estimated_time, "quality_gates": gates})
        })
        .collect();
    let id = workflow_id(job.id);
    Ok(Json(json!({
        "success": true,
        "workflow_id": id,
        "execution_plan": {
            "phases": phases,
            "sync_points": tpl.sync_points(),
            "quality_gates": tpl.quality_gates(),
            "estimated_total_time": format!("{}分钟", tpl.estimated_minutes()),
        },
        "monitoring_url": format!("/api/workflows/{id}/status"),
    })))
}

fn gate_json(g: &GateCheckRecord) -> Value {
    json!({
        "gate_name": g.gate_name, "result": g.result, "score": g.score, "threshold": g.threshold,
        "reason": g.reason, "timestamp": ts(g.created_at),
    })
}

fn status_json(s: &WorkflowStatus) -> Value {
    let job = &s.job;
    let current = job.stage.as_deref();
    let phases: Vec<Value> = s
        .template
        .phases
        .iter()
        .zip(s.phase_states())
        .map(|(p, status)| json!({"name": p.name, "agents": p.agents, "parallel": p.parallel, "status": status}))
        .collect();
    let agents: Vec<Value> = s
        .activities
        .iter()
        .map(|a| {
            json!({"agent": a.agent, "phase": a.stage, "status": a.status, "duration_ms": a.duration_ms,
                        "prompt_tokens": a.prompt_tokens, "completion_tokens": a.completion_tokens, "error": a.error})
        })
        .collect();
    let checks: Vec<Value> = s.gates.iter().map(gate_json).collect();
    let count = |r: &str| s.gates.iter().filter(|g| g.result == r).count();
    json!({
        "success": true,
        "workflow_id": workflow_id(job.id),
        "template": s.template.name,
        "status": job.status.as_str(),
        "current_phase": current,
        "progress": job.progress,
        "phases": phases,
        "agents": agents,
        "quality_gates": {"passed": count("passed"), "failed": count("failed"), "skipped": count("skipped"), "checks": checks},
        "error": job.error,
        "created_at": ts(job.created_at),
        "updated_at": ts(job.updated_at),
    })
}

/// Where a workflow run is: phase, agents, gates passed and failed, progress.
#[utoipa::path(
    get, path = "/api/workflows/{workflow_id}/status", tag = "Perfect21", security(("bearer" = [])),
    params(("workflow_id" = String, Path, description = "Workflow id (`wf-…`)")),
    responses((status = 200, description = "The run's state"), (status = 404, description = "No such workflow"))
)]
pub async fn status(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = state.agents.workflow(&auth.principal(), parse_workflow_id(&raw)?).await?;
    Ok(Json(status_json(&s)))
}
