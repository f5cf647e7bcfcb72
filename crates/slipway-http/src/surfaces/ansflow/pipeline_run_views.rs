//! AnsFlow's run bodies: a run (status read from its job, its trigger, commit and who cancelled it), the detail
//! with every step (status, exit code, duration, log) and artifacts, and step types.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use slipway_core::time::rfc3339;
use slipway_delivery::RunDetail;
use slipway_delivery::pipelines::StepType;
use slipway_delivery::{ArtifactRecord, PipelineRunRecord, RunStepRecord};
use utoipa::ToSchema;

/// What started a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowTrigger {
    /// `manual`, `push`, `pull_request`, `tag`, `schedule` or `restart`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The user it is attributed to.
    pub triggered_by: Option<i64>,
    /// The event's details.
    #[schema(value_type = Object)]
    pub details: Value,
    /// The webhook delivery.
    pub delivery_id: Option<String>,
}

/// A run.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowPipelineRun {
    /// Its id.
    pub id: i64,
    /// Its pipeline.
    pub pipeline: i64,
    /// Its number within the pipeline.
    pub number: i64,
    /// `pending`, `running`, `success`, `failed` or `cancelled`.
    pub status: String,
    /// What started it.
    pub trigger: AnsFlowTrigger,
    /// The branch.
    pub branch: String,
    /// The commit it ran.
    pub commit_sha: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Who cancelled it.
    pub cancelled_by: Option<i64>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it started.
    pub started_at: Option<String>,
    /// When it finished.
    pub finished_at: Option<String>,
}

impl From<&PipelineRunRecord> for AnsFlowPipelineRun {
    fn from(r: &PipelineRunRecord) -> Self {
        Self {
            id: r.id,
            pipeline: r.pipeline_id,
            number: r.number,
            status: r.status.clone(),
            trigger: AnsFlowTrigger {
                kind: r.trigger_type.clone(),
                triggered_by: r.triggered_by,
                details: r.trigger_details.clone(),
                delivery_id: r.delivery_id.clone(),
            },
            branch: r.branch.clone(),
            commit_sha: r.commit_sha.clone(),
            error: r.error.clone(),
            cancelled_by: r.cancelled_by,
            created_at: rfc3339(r.created_at),
            started_at: r.started_at.map(rfc3339),
            finished_at: r.finished_at.map(rfc3339),
        }
    }
}

/// A step of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowRunStep {
    /// Its position, from 0.
    pub index: i32,
    /// Its name.
    pub name: String,
    /// Its step type.
    #[serde(rename = "type")]
    pub kind: String,
    /// `pending`, `running`, `success`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// Its process's exit code.
    pub exit_code: Option<i32>,
    /// When it started.
    pub started_at: Option<String>,
    /// When it finished.
    pub finished_at: Option<String>,
    /// How long it ran, in seconds.
    pub duration: Option<f64>,
    /// The last 64 KiB of its output, secrets as `***`.
    pub log: String,
}

impl AnsFlowRunStep {
    /// A step as shown; a step a finished run left `pending` or `running` (its node died) shows how it ended.
    fn of(s: &RunStepRecord, run_status: &str) -> Self {
        let finished = matches!(run_status, "success" | "failed" | "cancelled");
        let status = match (s.status.as_str(), finished) {
            ("pending", true) => "skipped",
            ("running", true) if run_status == "cancelled" => "cancelled",
            ("running", true) => "failed",
            (other, _) => other,
        };
        Self {
            index: s.step_index,
            name: s.name.clone(),
            kind: s.step_type.clone(),
            status: status.to_owned(),
            exit_code: s.exit_code,
            started_at: s.started_at.map(rfc3339),
            finished_at: s.finished_at.map(rfc3339),
            duration: s.duration_ms.map(|ms| ms as f64 / 1000.0),
            log: s.log.clone(),
        }
    }
}

/// An artifact of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowArtifact {
    /// Its id.
    pub id: i64,
    /// Its path relative to the workspace.
    pub path: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content.
    pub sha256: String,
    /// The step that stored it.
    pub step_index: i32,
    /// When it was stored.
    pub created_at: String,
    /// Where to download it.
    pub download_url: String,
}

impl AnsFlowArtifact {
    /// The artifact with its download link under `base` (`http://host`).
    pub fn of(a: &ArtifactRecord, base: &str) -> Self {
        Self {
            id: a.id,
            path: a.path.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            step_index: a.step_index,
            created_at: rfc3339(a.created_at),
            download_url: format!("{base}/api/pipeline-runs/{}/artifacts/{}/download/", a.run_id, a.id),
        }
    }
}

/// A run with its steps, variables and artifacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowPipelineRunDetail {
    /// The run.
    #[serde(flatten)]
    pub run: AnsFlowPipelineRun,
    /// Its pipeline's name.
    pub pipeline_name: String,
    /// Its variables, secret ones as `***`.
    pub variables: BTreeMap<String, String>,
    /// Its steps in order.
    pub steps: Vec<AnsFlowRunStep>,
    /// Its artifacts.
    pub artifacts: Vec<AnsFlowArtifact>,
}

impl AnsFlowPipelineRunDetail {
    /// The detail, download links under `base`.
    pub fn of(d: &RunDetail, base: &str) -> Self {
        Self {
            run: (&d.run).into(),
            pipeline_name: d.pipeline_name.clone(),
            variables: d.variables.iter().cloned().collect(),
            steps: d.steps.iter().map(|s| AnsFlowRunStep::of(s, &d.run.status)).collect(),
            artifacts: d.artifacts.iter().map(|a| AnsFlowArtifact::of(a, base)).collect(),
        }
    }
}

/// A run's artifacts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowArtifacts {
    /// The artifacts by path.
    pub results: Vec<AnsFlowArtifact>,
}

/// A step type.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowStepType {
    /// Its id (a step's `type`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its category.
    pub category: String,
    /// Its icon.
    pub icon: String,
    /// The JSON Schema a step's `config` must match.
    #[schema(value_type = Object)]
    pub config_schema: Value,
}

impl From<&StepType> for AnsFlowStepType {
    fn from(t: &StepType) -> Self {
        let k = t.kind();
        Self {
            id: k.id().into(),
            name: k.name().into(),
            description: k.description().into(),
            category: k.category().into(),
            icon: k.icon().into(),
            config_schema: t.config_schema().clone(),
        }
    }
}

/// The step types: `{results: [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowStepTypes {
    /// Every step type this node runs.
    pub results: Vec<AnsFlowStepType>,
}
