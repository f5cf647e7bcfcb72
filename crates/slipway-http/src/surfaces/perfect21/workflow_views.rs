//! The bodies of Perfect21's workflow routes: templates, an execution plan, a run's monitor.

use serde::Serialize;
use slipway_agents::templates::{PhaseTemplate, WorkflowTemplate};
use slipway_agents::{ActivityRecord, GateCheckRecord};
use slipway_core::time::rfc3339;
use utoipa::ToSchema;

/// One workflow template.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21Template {
    /// Its name (`premium_quality`, …).
    pub name: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// How many phases it has.
    pub phases: usize,
    /// How long it takes.
    pub estimated_time: &'static str,
    /// How many phases end in a quality gate.
    pub quality_gates: usize,
    /// The work it suits.
    pub recommended_for: &'static [&'static str],
}

impl From<&WorkflowTemplate> for P21Template {
    fn from(t: &WorkflowTemplate) -> Self {
        Self {
            name: t.name,
            description: t.description,
            phases: t.phases.len(),
            estimated_time: t.estimated_time,
            quality_gates: t.quality_gates(),
            recommended_for: t.recommended_for,
        }
    }
}

/// `GET /api/workflows/templates` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21Templates {
    /// Always true.
    pub success: bool,
    /// The templates.
    pub templates: Vec<P21Template>,
}

/// One phase of an execution plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21PlannedPhase {
    /// The phase's name.
    pub name: &'static str,
    /// Its agents.
    pub agents: &'static [&'static str],
    /// Whether they work in parallel.
    pub parallel: bool,
    /// How long it takes.
    pub estimated_time: &'static str,
    /// The gates checked after it.
    pub quality_gates: Vec<&'static str>,
}

/// What a workflow run will do.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21ExecutionPlan {
    /// The phases.
    pub phases: Vec<P21PlannedPhase>,
    /// How many phases run agents in parallel.
    pub sync_points: usize,
    /// How many phases end in a gate.
    pub quality_gates: usize,
    /// The sum of the phases' times (`50分钟`).
    pub estimated_total_time: String,
}

/// `POST /api/workflows/execute` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21WorkflowStarted {
    /// Always true.
    pub success: bool,
    /// The run's id (`wf-…`).
    pub workflow_id: String,
    /// What it will do.
    pub execution_plan: P21ExecutionPlan,
    /// Where to watch it.
    pub monitoring_url: String,
}

/// A phase of a run and where it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21PhaseState {
    /// The phase's name.
    pub name: &'static str,
    /// Its agents.
    pub agents: &'static [&'static str],
    /// Whether they work in parallel.
    pub parallel: bool,
    /// `pending`, `running`, `completed`, …
    pub status: &'static str,
}

impl P21PhaseState {
    /// A template phase in state `status`.
    pub fn of(p: &PhaseTemplate, status: &'static str) -> Self {
        Self { name: p.name, agents: p.agents, parallel: p.parallel, status }
    }
}

/// One agent's step in a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21AgentStep {
    /// The agent.
    pub agent: String,
    /// The phase it worked in.
    pub phase: String,
    /// How it ended.
    pub status: String,
    /// How long it took.
    pub duration_ms: i64,
    /// Tokens sent.
    pub prompt_tokens: i32,
    /// Tokens received.
    pub completion_tokens: i32,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

impl From<&ActivityRecord> for P21AgentStep {
    fn from(a: &ActivityRecord) -> Self {
        Self {
            agent: a.agent.clone(),
            phase: a.stage.clone(),
            status: a.status.clone(),
            duration_ms: a.duration_ms,
            prompt_tokens: a.prompt_tokens,
            completion_tokens: a.completion_tokens,
            error: a.error.clone(),
        }
    }
}

/// One gate check of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21GateCheck {
    /// The gate.
    pub gate_name: String,
    /// `passed`, `failed` or `skipped`.
    pub result: String,
    /// Its score, if it has one.
    pub score: Option<f64>,
    /// The threshold.
    pub threshold: Option<f64>,
    /// Why.
    pub reason: String,
    /// When it ran.
    pub timestamp: String,
}

impl From<&GateCheckRecord> for P21GateCheck {
    fn from(g: &GateCheckRecord) -> Self {
        Self {
            gate_name: g.gate_name.clone(),
            result: g.result.clone(),
            score: g.score,
            threshold: g.threshold,
            reason: g.reason.clone(),
            timestamp: rfc3339(g.created_at),
        }
    }
}

/// A run's gates: counts and every check.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21RunGates {
    /// Checks passed.
    pub passed: usize,
    /// Checks failed.
    pub failed: usize,
    /// Checks skipped.
    pub skipped: usize,
    /// Every check.
    pub checks: Vec<P21GateCheck>,
}

impl P21RunGates {
    /// The counts of `gates`.
    pub fn of(gates: &[GateCheckRecord]) -> Self {
        let count = |r: &str| gates.iter().filter(|g| g.result == r).count();
        Self {
            passed: count("passed"),
            failed: count("failed"),
            skipped: count("skipped"),
            checks: gates.iter().map(Into::into).collect(),
        }
    }
}

/// `GET /api/workflows/{workflow_id}/status` body.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21WorkflowStatus {
    /// Always true.
    pub success: bool,
    /// The run's id.
    pub workflow_id: String,
    /// Its template.
    pub template: &'static str,
    /// The job status.
    pub status: &'static str,
    /// The phase running now.
    pub current_phase: Option<String>,
    /// Percent done.
    pub progress: i32,
    /// Every phase and where it is.
    pub phases: Vec<P21PhaseState>,
    /// Every agent step so far.
    pub agents: Vec<P21AgentStep>,
    /// The gates.
    pub quality_gates: P21RunGates,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When it was started.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}
