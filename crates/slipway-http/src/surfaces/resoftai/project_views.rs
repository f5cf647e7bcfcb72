//! ResoftAI's project bodies: the project, its list entry, its deliverables, and the answers of execute, stop
//! and resume.

use serde::Serialize;
use serde_json::Value;
use slipway_core::time::rfc3339;
use slipway_factory::run::StageResult;
use slipway_factory::{Deliverables, ProjectConfig, ProjectDetail, ProjectRecord, RunStarted, RunStopped};
use utoipa::ToSchema;

/// A project's workflow configuration.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiProjectConfig {
    /// `sequential`, `parallel` or `adaptive`.
    pub execution_strategy: String,
    /// Whether the LLM response cache may answer the run's calls.
    pub enable_cache: bool,
    /// Whether the run stores a checkpoint after every stage.
    pub enable_checkpoints: bool,
    /// Stages that may run at the same time.
    pub parallel_stages: Vec<String>,
}

impl From<&Value> for ResoftAiProjectConfig {
    fn from(v: &Value) -> Self {
        let c = ProjectConfig::from_stored(v);
        let strategy = serde_json::to_value(c.execution_strategy).ok();
        Self {
            execution_strategy: strategy.as_ref().and_then(Value::as_str).unwrap_or("adaptive").to_owned(),
            enable_cache: c.enable_cache,
            enable_checkpoints: c.enable_checkpoints,
            parallel_stages: c.parallel_stages,
        }
    }
}

/// A project.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiProject {
    /// The project's id.
    pub id: i64,
    /// Its owner.
    pub user_id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// What to build.
    pub requirements: String,
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// 0–100.
    pub progress: i32,
    /// The stage the latest run is in (or stopped in).
    pub current_stage: Option<String>,
    /// The workflow configuration.
    pub config: ResoftAiProjectConfig,
    /// The latest run's workflow id.
    pub workflow_id: Option<String>,
    /// Why the latest run failed.
    pub error_message: Option<String>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
    /// When its latest run completed.
    pub completed_at: Option<String>,
}

fn updated_at(p: &ProjectRecord) -> String {
    // A run's progress changes the project as its users see it.
    rfc3339(p.run_finished_at.or(p.run_started_at).map_or(p.updated_at, |t| t.max(p.updated_at)))
}

impl From<&ProjectRecord> for ResoftAiProject {
    fn from(p: &ProjectRecord) -> Self {
        Self {
            id: p.id,
            user_id: p.user_id,
            name: p.name.clone(),
            description: p.description.clone(),
            requirements: p.requirements.clone(),
            status: p.status.as_str().to_owned(),
            progress: p.progress,
            current_stage: p.current_stage.clone(),
            config: (&p.config).into(),
            workflow_id: p.workflow_id.clone(),
            error_message: p.run_error.clone().filter(|_| p.status.as_str() == "failed"),
            created_at: rfc3339(p.created_at),
            updated_at: updated_at(p),
            completed_at: p.completed_at().map(rfc3339),
        }
    }
}

/// A project in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiProjectSummary {
    /// The project's id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// 0–100.
    pub progress: i32,
    /// The stage the latest run is in.
    pub current_stage: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// When its latest run completed.
    pub completed_at: Option<String>,
}

impl From<&ProjectRecord> for ResoftAiProjectSummary {
    fn from(p: &ProjectRecord) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            description: p.description.clone(),
            status: p.status.as_str().to_owned(),
            progress: p.progress,
            current_stage: p.current_stage.clone(),
            created_at: rfc3339(p.created_at),
            updated_at: updated_at(p),
            completed_at: p.completed_at().map(rfc3339),
        }
    }
}

/// A completed stage of the latest run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiStageResult {
    /// The stage.
    pub stage: String,
    /// The agent's report.
    pub summary: String,
    /// How long it took, seconds.
    pub duration_seconds: f64,
    /// Tokens it used.
    pub tokens_used: u64,
    /// The files it wrote or changed.
    pub files: Vec<String>,
    /// When it finished.
    pub completed_at: String,
}

impl From<&StageResult> for ResoftAiStageResult {
    fn from(r: &StageResult) -> Self {
        Self {
            stage: r.stage.clone(),
            summary: r.summary.clone(),
            duration_seconds: r.duration_ms as f64 / 1000.0,
            tokens_used: r.tokens_used,
            files: r.files.clone(),
            completed_at: rfc3339(r.finished_at),
        }
    }
}

/// What a project delivered so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiDeliverables {
    /// The software requirements specification.
    pub srs_document: Option<String>,
    /// The architecture document.
    pub architecture_design: Option<String>,
    /// The UI design document.
    pub ui_design: Option<String>,
    /// The delivery summary.
    pub delivery_summary: Option<String>,
    /// Paths of the source files.
    pub code_files: Vec<String>,
    /// Paths of the test files.
    pub test_files: Vec<String>,
    /// Paths of the documentation files.
    pub documentation_files: Vec<String>,
    /// What the testing stage ran: command, exit code, passed, failed, coverage, output.
    #[schema(value_type = Option<Object>)]
    pub test_results: Option<Value>,
    /// The quality review: score, approved, summary, issues.
    #[schema(value_type = Option<Object>)]
    pub qa_review: Option<Value>,
    /// The stages the latest run completed.
    pub stages: Vec<ResoftAiStageResult>,
}

impl From<&Deliverables> for ResoftAiDeliverables {
    fn from(d: &Deliverables) -> Self {
        Self {
            srs_document: d.srs_document.clone(),
            architecture_design: d.architecture_design.clone(),
            ui_design: d.ui_design.clone(),
            delivery_summary: d.delivery_summary.clone(),
            code_files: d.code_files.clone(),
            test_files: d.test_files.clone(),
            documentation_files: d.documentation_files.clone(),
            test_results: d.test_results.clone(),
            qa_review: d.qa_review.clone(),
            stages: d.stages.iter().map(Into::into).collect(),
        }
    }
}

/// A project with its deliverables.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiProjectDetail {
    /// The project.
    #[serde(flatten)]
    pub project: ResoftAiProject,
    /// What it delivered so far.
    pub deliverables: ResoftAiDeliverables,
}

impl From<&ProjectDetail> for ResoftAiProjectDetail {
    fn from(d: &ProjectDetail) -> Self {
        Self { project: (&d.project).into(), deliverables: (&d.deliverables).into() }
    }
}

/// A run that started.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiRunStarted {
    /// The project.
    pub project_id: i64,
    /// The run's workflow id.
    pub workflow_id: String,
    /// `running`.
    pub status: String,
    /// The stage it starts with.
    pub current_stage: String,
    /// When it started.
    pub started_at: String,
}

impl From<&RunStarted> for ResoftAiRunStarted {
    fn from(r: &RunStarted) -> Self {
        Self {
            project_id: r.project_id,
            workflow_id: r.workflow_id.clone(),
            status: "running".into(),
            current_stage: r.current_stage.name().into(),
            started_at: rfc3339(r.started_at),
        }
    }
}

/// A run that was resumed from its checkpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiRunResumed {
    /// The project.
    pub project_id: i64,
    /// The new run's workflow id.
    pub workflow_id: String,
    /// `running`.
    pub status: String,
    /// The stage it carries on with.
    pub current_stage: String,
    /// When it was resumed.
    pub resumed_at: String,
    /// The last stage the checkpoint held (`null`: none had completed, the run starts over).
    pub checkpoint_stage: Option<String>,
}

impl From<&RunStarted> for ResoftAiRunResumed {
    fn from(r: &RunStarted) -> Self {
        Self {
            project_id: r.project_id,
            workflow_id: r.workflow_id.clone(),
            status: "running".into(),
            current_stage: r.current_stage.name().into(),
            resumed_at: rfc3339(r.started_at),
            checkpoint_stage: r.checkpoint_stage.clone(),
        }
    }
}

/// A run that was stopped.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiRunStopped {
    /// The project.
    pub project_id: i64,
    /// `cancelled` (the run stopped), or `running` while its last call is still stopping.
    pub status: String,
    /// When the stop was asked for.
    pub stopped_at: String,
}

impl From<&RunStopped> for ResoftAiRunStopped {
    fn from(r: &RunStopped) -> Self {
        Self { project_id: r.project_id, status: r.status.as_str().into(), stopped_at: rfc3339(r.stopped_at) }
    }
}
