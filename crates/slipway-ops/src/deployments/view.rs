//! A deployment as the service hands it out: what was asked for, how its job is going, and per server, per step,
//! how it went.

use chrono::{DateTime, Utc};
use slipway_core::Error;
use slipway_store::ops::{DeploymentRecord, DeploymentStepRecord, DeploymentTargetRecord};

use super::spec::{Source, Spec};

/// One step on one server.
#[derive(Debug, Clone, PartialEq)]
pub struct StepView {
    /// Its position on the server, from 0.
    pub index: i32,
    /// `upload`, `pre_deploy`, `deploy`, `switch`, `post_deploy`, `health_check`, `prune`, `switch_back`,
    /// `rollback`.
    pub name: String,
    /// `pending`, `running`, `success`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// The remote command's exit code.
    pub exit_code: Option<i32>,
    /// How long it ran, milliseconds.
    pub duration_ms: Option<i64>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// The tail of its output.
    pub log: String,
}

/// One server of a deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetView {
    /// Its place in the order, from 0.
    pub position: i32,
    /// The server (`None` once deleted).
    pub server_id: Option<i64>,
    /// Its name when the deployment was made.
    pub server_name: String,
    /// `pending`, `running`, `success`, `failed`, `skipped` or `cancelled`.
    pub status: String,
    /// The release directory this deployment made (or, for a rollback, switched to).
    pub release: Option<String>,
    /// The release `current` pointed at before.
    pub previous_release: Option<String>,
    /// Why it failed: the step and its exit code.
    pub error: Option<String>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Its steps (empty in lists).
    pub steps: Vec<StepView>,
}

/// A deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentView {
    /// Its id.
    pub id: i64,
    /// A name for people.
    pub name: String,
    /// `deploy` or `rollback`.
    pub kind: String,
    /// The deployment a rollback undoes.
    pub rollback_of: Option<i64>,
    /// `pending`, `running`, `success`, `failed` or `cancelled`.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    /// What it releases.
    pub source: Source,
    /// How.
    pub spec: Spec,
    /// Its job (its events stream at `/api/jobs/{id}/events`).
    pub job_id: Option<i64>,
    /// Who asked for it.
    pub owner_id: Option<i64>,
    /// Who cancelled it.
    pub cancelled_by: Option<i64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its job started.
    pub started_at: Option<DateTime<Utc>>,
    /// When its job finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Its servers, in order.
    pub servers: Vec<TargetView>,
}

impl From<DeploymentStepRecord> for StepView {
    fn from(s: DeploymentStepRecord) -> Self {
        Self {
            index: s.step_index,
            name: s.name,
            status: s.status,
            exit_code: s.exit_code,
            duration_ms: s.duration_ms,
            started_at: s.started_at,
            finished_at: s.finished_at,
            log: s.log,
        }
    }
}

/// A server as it stands once the deployment's job has ended: one the job never finished (its node died and
/// the reaper ended the job) is `failed` when it was running and `skipped` (or `cancelled`) when it never
/// started, rather than `running` or `pending` forever.
fn settled(mut t: DeploymentTargetRecord, deployment_status: &str) -> DeploymentTargetRecord {
    match t.status.as_str() {
        "running" => {
            t.status = "failed".into();
            t.error.get_or_insert_with(|| "the deployment's job ended while this server was being deployed".into());
        }
        "pending" => t.status = if deployment_status == "cancelled" { "cancelled" } else { "skipped" }.into(),
        _ => {}
    }
    t
}

/// The view of `d` with its servers and, when given, their steps.
pub(super) fn view(
    d: DeploymentRecord,
    targets: Vec<DeploymentTargetRecord>,
    steps: Vec<DeploymentStepRecord>,
) -> Result<DeploymentView, Error> {
    let spec: Spec = serde_json::from_value(d.spec)
        .map_err(|e| Error::Internal(format!("deployment {} has an unreadable spec: {e}", d.id)))?;
    let source: Source = serde_json::from_value(d.source)
        .map_err(|e| Error::Internal(format!("deployment {} has an unreadable source: {e}", d.id)))?;
    let mut steps = steps.into_iter().peekable();
    let ended = matches!(d.status.as_str(), "success" | "failed" | "cancelled");
    let servers = targets
        .into_iter()
        .map(|t| {
            let t = if ended { settled(t, &d.status) } else { t };
            let mut mine = Vec::new();
            while let Some(s) = steps.next_if(|s| s.position == t.position) {
                mine.push(StepView::from(s));
            }
            TargetView {
                position: t.position,
                server_id: t.server_id,
                server_name: t.server_name,
                status: t.status,
                release: t.release,
                previous_release: t.previous_release,
                error: t.error,
                started_at: t.started_at,
                finished_at: t.finished_at,
                steps: mine,
            }
        })
        .collect();
    Ok(DeploymentView {
        id: d.id,
        name: d.name,
        kind: d.kind,
        rollback_of: d.rollback_of,
        status: d.status,
        error: d.error,
        source,
        spec,
        job_id: d.job_id,
        owner_id: d.owner_id,
        cancelled_by: d.cancelled_by,
        created_at: d.created_at,
        started_at: d.started_at,
        finished_at: d.finished_at,
        servers,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn target(position: i32, status: &str) -> DeploymentTargetRecord {
        DeploymentTargetRecord {
            deployment_id: 1,
            position,
            server_id: Some(7),
            server_name: "web".into(),
            status: status.into(),
            release: None,
            previous_release: None,
            error: None,
            started_at: None,
            finished_at: None,
        }
    }

    fn deployment(status: &str) -> DeploymentRecord {
        let spec = Spec {
            strategy: crate::deployments::Strategy::Sequential,
            batch_size: 1,
            deploy_path: "/srv/app".into(),
            pre_deploy: None,
            deploy: None,
            post_deploy: None,
            health_check: None,
            rollback: None,
            timeout_secs: 600,
            keep_releases: 5,
        };
        DeploymentRecord {
            id: 1,
            owner_id: Some(1),
            name: "d".into(),
            kind: "deploy".into(),
            rollback_of: None,
            source: json!({"type": "git", "repository": "/r", "ref": "main"}),
            spec: serde_json::to_value(spec).unwrap_or_default(),
            job_id: Some(3),
            cancelled_by: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            status: status.into(),
            error: Some("lease expired".into()),
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn servers_a_dead_job_left_behind_are_settled_once_it_ended() {
        let targets = || vec![target(0, "success"), target(1, "running"), target(2, "pending")];
        let ended = view(deployment("failed"), targets(), Vec::new()).unwrap_or_else(|e| panic!("{e}"));
        let statuses: Vec<&str> = ended.servers.iter().map(|s| s.status.as_str()).collect();
        assert_eq!(statuses, ["success", "failed", "skipped"]);
        assert!(ended.servers[1].error.as_deref().unwrap_or_default().contains("job ended"));
        let live = view(deployment("running"), targets(), Vec::new()).unwrap_or_else(|e| panic!("{e}"));
        let statuses: Vec<&str> = live.servers.iter().map(|s| s.status.as_str()).collect();
        assert_eq!(statuses, ["success", "running", "pending"], "a live deployment shows what is");
        let cancelled = view(deployment("cancelled"), targets(), Vec::new()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cancelled.servers[2].status, "cancelled");
    }
}
