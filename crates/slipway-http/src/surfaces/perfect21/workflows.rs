//! Perfect21's intelligent workflows: the templates, running one (`execution_plan`, then the run itself), and
//! its monitor (`monitoring_url`): phase, agents, gates passed and failed, progress.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::Value;
use slipway_agents::WorkflowStatus;
use slipway_agents::templates::gates_for;
use slipway_core::Error;
use slipway_core::time::rfc3339;
use utoipa::ToSchema;

use super::workflow_views::{
    P21AgentStep, P21ExecutionPlan, P21PhaseState, P21PlannedPhase, P21RunGates, P21Templates, P21WorkflowStarted,
    P21WorkflowStatus,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser, id_or_not_found};
use crate::state::AppState;

/// A workflow id as shown to clients: `wf-<n>`.
pub fn workflow_id(id: i64) -> String {
    format!("wf-{id}")
}

fn parse_workflow_id(raw: &str) -> Result<i64, Error> {
    id_or_not_found(raw.strip_prefix("wf-").unwrap_or(raw), "workflow")
}

/// The workflow templates.
#[utoipa::path(
    get, path = "/api/workflows/templates", tag = "Perfect21",
    responses((status = 200, description = "The templates", body = P21Templates))
)]
pub async fn templates(State(state): State<AppState>) -> Json<P21Templates> {
    Json(P21Templates { success: true, templates: state.agents.templates().iter().map(Into::into).collect() })
}

/// A workflow to run (other fields are ignored, as Perfect21's FastAPI models do).
#[derive(Debug, Deserialize, ToSchema)]
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
        (status = 200, description = "`{success, workflow_id, execution_plan, monitoring_url}`", body = P21WorkflowStarted),
        (status = 400, description = "VALIDATION_ERROR: unknown template, empty description, bad thresholds"),
        (status = 401, description = "INVALID_TOKEN"), (status = 503, description = "No LLM provider is configured")
    )
)]
pub async fn execute(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(body): ApiJson<ExecuteBody>,
) -> Result<Json<P21WorkflowStarted>, ApiError> {
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
    let phases = tpl
        .phases
        .iter()
        .map(|p| {
            let gates = p.gate.map(|slot| gates_for(slot, &body.quality_requirements)).unwrap_or_default();
            let quality_gates = gates.iter().map(|g| g.name()).collect();
            let (name, agents, parallel, estimated_time) = (p.name, p.agents, p.parallel, p.estimated_time);
            P21PlannedPhase { name, agents, parallel, estimated_time, quality_gates }
        })
        .collect();
    let id = workflow_id(job.id);
    let execution_plan = P21ExecutionPlan {
        phases,
        sync_points: tpl.sync_points(),
        quality_gates: tpl.quality_gates(),
        estimated_total_time: format!("{}分钟", tpl.estimated_minutes()),
    };
    let monitoring_url = format!("/api/workflows/{id}/status");
    Ok(Json(P21WorkflowStarted { success: true, workflow_id: id, execution_plan, monitoring_url }))
}

fn status_view(s: &WorkflowStatus) -> P21WorkflowStatus {
    let job = &s.job;
    P21WorkflowStatus {
        success: true,
        workflow_id: workflow_id(job.id),
        template: s.template.name,
        status: job.status.as_str(),
        current_phase: job.stage.clone(),
        progress: job.progress,
        phases: s.template.phases.iter().zip(s.phase_states()).map(|(p, st)| P21PhaseState::of(p, st)).collect(),
        agents: s.activities.iter().map(P21AgentStep::from).collect(),
        quality_gates: P21RunGates::of(&s.gates),
        error: job.error.clone(),
        created_at: rfc3339(job.created_at),
        updated_at: rfc3339(job.updated_at),
    }
}

/// Where a workflow run is: phase, agents, gates passed and failed, progress.
#[utoipa::path(
    get, path = "/api/workflows/{workflow_id}/status", tag = "Perfect21", security(("bearer" = [])),
    params(("workflow_id" = String, Path, description = "Workflow id (`wf-…`)")),
    responses((status = 200, description = "The run's state", body = P21WorkflowStatus), (status = 404, description = "No such workflow"))
)]
pub async fn status(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    Path(raw): Path<String>,
) -> Result<Json<P21WorkflowStatus>, ApiError> {
    let s = state.agents.workflow(&auth.principal(), parse_workflow_id(&raw)?).await?;
    Ok(Json(status_view(&s)))
}
