//! qoder's response bodies for deployments: what was asked for, the job's state, and per server, per step, how
//! it went (status, exit code, duration, the tail of the log).

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_ops::deployments::{DeploymentView, HealthCheck, Source, StepView, TargetView};
use utoipa::ToSchema;

/// Where a deployment's release comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderDeploymentSource {
    /// `git`, `artifacts`, or `rollback` (a rollback of `deployment_id`).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The git repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The git ref.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    /// The pipeline run whose artifacts are released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_run_id: Option<i64>,
    /// The deployment a rollback undoes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<i64>,
}

impl From<&Source> for QoderDeploymentSource {
    fn from(s: &Source) -> Self {
        let none = Self { kind: "git", repository: None, git_ref: None, pipeline_run_id: None, deployment_id: None };
        match s {
            Source::Git { repository, git_ref } => {
                Self { repository: Some(repository.clone()), git_ref: Some(git_ref.clone()), ..none }
            }
            Source::Artifacts { pipeline_run_id } => {
                Self { kind: "artifacts", pipeline_run_id: Some(*pipeline_run_id), ..none }
            }
            Source::Rollback { deployment_id } => {
                Self { kind: "rollback", deployment_id: Some(*deployment_id), ..none }
            }
        }
    }
}

/// How a new release is checked: a URL fetched from the server, or a command run there.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderHealthCheck {
    /// The URL (curl, else wget, on the server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The command (in the new release's directory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// One step on one server.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderDeploymentStep {
    /// Its position on the server, from 0.
    pub index: i32,
    /// `upload`, `pre_deploy`, `deploy`, `switch`, `post_deploy`, `health_check`, `prune`; after a failure
    /// `switch_back` and `rollback`.
    pub name: String,
    /// `pending`, `running`, `success`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// The remote command's exit code.
    pub exit_code: Option<i32>,
    /// How long it ran, milliseconds.
    pub duration_ms: Option<i64>,
    /// When it started (RFC 3339).
    pub started_at: Option<String>,
    /// When it finished (RFC 3339).
    pub finished_at: Option<String>,
    /// The last 64 KiB of its output (every line is also an event of the deployment's job).
    pub log: String,
}

impl From<&StepView> for QoderDeploymentStep {
    fn from(s: &StepView) -> Self {
        Self {
            index: s.index,
            name: s.name.clone(),
            status: s.status.clone(),
            exit_code: s.exit_code,
            duration_ms: s.duration_ms,
            started_at: s.started_at.map(rfc3339),
            finished_at: s.finished_at.map(rfc3339),
            log: s.log.clone(),
        }
    }
}

/// One server of a deployment.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderDeploymentServer {
    /// Its place in the order, from 0.
    pub position: i32,
    /// The server's id (`null` once it was deleted).
    pub server_id: Option<i64>,
    /// Its name when the deployment was made.
    pub server_name: String,
    /// `pending`, `running`, `success`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// The release directory under `<deploy_path>/releases` (for a rollback: the one switched back to).
    pub release: Option<String>,
    /// The release `current` pointed at before.
    pub previous_release: Option<String>,
    /// Why it failed: the step and its exit code.
    pub error: Option<String>,
    /// When it started (RFC 3339).
    pub started_at: Option<String>,
    /// When it ended (RFC 3339).
    pub finished_at: Option<String>,
    /// Its steps in order (empty in lists).
    pub steps: Vec<QoderDeploymentStep>,
}

impl From<&TargetView> for QoderDeploymentServer {
    fn from(t: &TargetView) -> Self {
        Self {
            position: t.position,
            server_id: t.server_id,
            server_name: t.server_name.clone(),
            status: t.status.clone(),
            release: t.release.clone(),
            previous_release: t.previous_release.clone(),
            error: t.error.clone(),
            started_at: t.started_at.map(rfc3339),
            finished_at: t.finished_at.map(rfc3339),
            steps: t.steps.iter().map(QoderDeploymentStep::from).collect(),
        }
    }
}

/// A deployment as qoder shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderDeployment {
    /// The deployment's id.
    pub id: i64,
    /// A name for people.
    pub name: String,
    /// `deploy` or `rollback`.
    pub kind: String,
    /// The deployment a rollback undoes.
    pub rollback_of: Option<i64>,
    /// `pending`, `running`, `success`, `failed` or `cancelled`.
    pub status: String,
    /// Why it failed (the server, the step, its exit code).
    pub error: Option<String>,
    /// Where the release comes from.
    pub source: QoderDeploymentSource,
    /// `sequential` or `batch`.
    pub strategy: &'static str,
    /// Servers at once.
    pub batch_size: usize,
    /// The remote directory holding `releases/` and `current`.
    pub deploy_path: String,
    /// Command before `deploy`.
    pub pre_deploy: Option<String>,
    /// Command before the switch.
    pub deploy: Option<String>,
    /// Command after the switch.
    pub post_deploy: Option<String>,
    /// How the new release is checked.
    pub health_check: Option<QoderHealthCheck>,
    /// Command after switching back.
    pub rollback: Option<String>,
    /// Seconds each step may take.
    pub timeout: u64,
    /// Releases kept on each server.
    pub keep_releases: u32,
    /// Its job: its events stream at `/api/jobs/{id}/events`.
    pub job_id: Option<i64>,
    /// Who asked for it.
    pub created_by: Option<i64>,
    /// Who cancelled it.
    pub cancelled_by: Option<i64>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When its job started (RFC 3339).
    pub started_at: Option<String>,
    /// When its job finished (RFC 3339).
    pub finished_at: Option<String>,
    /// Its servers in order.
    pub servers: Vec<QoderDeploymentServer>,
}

impl From<&DeploymentView> for QoderDeployment {
    fn from(d: &DeploymentView) -> Self {
        let s = &d.spec;
        Self {
            id: d.id,
            name: d.name.clone(),
            kind: d.kind.clone(),
            rollback_of: d.rollback_of,
            status: d.status.clone(),
            error: d.error.clone(),
            source: QoderDeploymentSource::from(&d.source),
            strategy: s.strategy.as_str(),
            batch_size: s.batch_size,
            deploy_path: s.deploy_path.clone(),
            pre_deploy: s.pre_deploy.clone(),
            deploy: s.deploy.clone(),
            post_deploy: s.post_deploy.clone(),
            health_check: s.health_check.as_ref().map(|h| match h {
                HealthCheck::Url(u) => QoderHealthCheck { url: Some(u.clone()), command: None },
                HealthCheck::Command(c) => QoderHealthCheck { url: None, command: Some(c.clone()) },
            }),
            rollback: s.rollback.clone(),
            timeout: s.timeout_secs,
            keep_releases: s.keep_releases,
            job_id: d.job_id,
            created_by: d.owner_id,
            cancelled_by: d.cancelled_by,
            created_at: rfc3339(d.created_at),
            started_at: d.started_at.map(rfc3339),
            finished_at: d.finished_at.map(rfc3339),
            servers: d.servers.iter().map(QoderDeploymentServer::from).collect(),
        }
    }
}
