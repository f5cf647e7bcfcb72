//! ResoftAI's agent activity bodies.

use serde::Serialize;
use serde_json::{Value, json};
use slipway_core::time::rfc3339;
use slipway_factory::ProjectActivity;
use utoipa::ToSchema;

/// One agent call of a project run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiAgentActivity {
    /// The activity's id.
    pub id: i64,
    /// The project.
    pub project_id: i64,
    /// The run's job.
    pub job_id: i64,
    /// `RequirementsAnalystAgent`, `ArchitectAgent`, … (appendix B).
    pub agent_name: String,
    /// The stage.
    pub stage: String,
    /// `completed`, `failed` or `cancelled`.
    pub status: String,
    /// What the agent was given: `{prompt}`.
    #[schema(value_type = Object)]
    pub input_data: Value,
    /// What it answered: `{result}`.
    #[schema(value_type = Object)]
    pub output_data: Value,
    /// How long it took, seconds.
    pub execution_time_seconds: f64,
    /// Prompt and completion tokens.
    pub tokens_used: i64,
    /// Prompt tokens.
    pub prompt_tokens: i32,
    /// Completion tokens.
    pub completion_tokens: i32,
    /// Why it failed.
    pub error_message: Option<String>,
    /// When it started.
    pub started_at: String,
    /// When it ended.
    pub completed_at: String,
}

impl From<&ProjectActivity> for ResoftAiAgentActivity {
    fn from(p: &ProjectActivity) -> Self {
        let a = &p.activity;
        let status = if a.status == "succeeded" { "completed" } else { a.status.as_str() };
        Self {
            id: a.id,
            project_id: p.project_id,
            job_id: a.job_id,
            agent_name: a.agent.clone(),
            stage: a.stage.clone(),
            status: status.to_owned(),
            input_data: json!({ "prompt": a.input }),
            output_data: json!({ "result": a.output }),
            execution_time_seconds: a.duration_ms as f64 / 1000.0,
            tokens_used: i64::from(a.prompt_tokens) + i64::from(a.completion_tokens),
            prompt_tokens: a.prompt_tokens,
            completion_tokens: a.completion_tokens,
            error_message: a.error.clone(),
            started_at: rfc3339(a.started_at),
            completed_at: rfc3339(a.finished_at),
        }
    }
}
