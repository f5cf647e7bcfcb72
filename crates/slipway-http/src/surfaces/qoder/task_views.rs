//! qoder's response bodies for scheduled tasks and their runs.

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_engine::JobStatus;
use slipway_ops::{Task, TaskRun};
use utoipa::ToSchema;

use crate::surfaces::jobs::views::JobStatusName;

/// A scheduled task as qoder shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderTask {
    /// The task's id.
    pub id: i64,
    /// A name for people.
    pub name: String,
    /// Cron expression: 5 fields, or 6 with seconds first.
    pub cron: String,
    /// IANA time zone the cron expression is read in.
    pub timezone: String,
    /// What `sh -c` runs.
    pub command: String,
    /// Seconds a run may take (0: no limit).
    pub timeout: i64,
    /// Whether it fires on its schedule.
    pub enabled: bool,
    /// Where it runs (`local`).
    pub target: String,
    /// When it fires next (RFC 3339); `null` when disabled.
    pub next_run_at: Option<String>,
    /// When it last fired (RFC 3339); `null` before its first run.
    pub last_run_at: Option<String>,
    /// The id of its last run (a job id); `null` before its first run.
    pub last_run_id: Option<i64>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl From<&Task> for QoderTask {
    fn from(t: &Task) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            cron: t.cron.clone(),
            timezone: t.timezone.clone(),
            command: t.command.clone(),
            timeout: t.timeout_secs.unwrap_or(0),
            enabled: t.enabled,
            target: t.target.clone(),
            next_run_at: t.next_run_at.map(rfc3339),
            last_run_at: t.last_run_at.map(rfc3339),
            last_run_id: t.last_run_id,
            created_at: rfc3339(t.created_at),
            updated_at: rfc3339(t.updated_at),
        }
    }
}

/// One run of a scheduled task: its job, exit code, duration and output.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderTaskRun {
    /// The run's id: the id of the job that runs it (see `/api/jobs/{id}`).
    pub id: i64,
    /// Where the run is in its life.
    #[schema(value_type = JobStatusName)]
    pub status: JobStatus,
    /// The command's exit code; `null` until it exited.
    pub exit_code: Option<i64>,
    /// How long the command ran, in milliseconds; `null` until it ended.
    pub duration_ms: Option<i64>,
    /// The last 64 KiB of the command's standard output.
    pub output: String,
    /// The last 64 KiB of the command's standard error.
    pub stderr: String,
    /// Why the run failed, when it did.
    pub error: Option<String>,
    /// When the run was due (RFC 3339); `null` for a run started by hand.
    pub due_at: Option<String>,
    /// When the run was queued (RFC 3339).
    pub created_at: String,
    /// When the run started (RFC 3339); `null` while queued.
    pub started_at: Option<String>,
    /// When the run ended (RFC 3339); `null` until it did.
    pub finished_at: Option<String>,
    /// Where its events stream live (Server-Sent Events).
    pub events_url: String,
}

impl From<&TaskRun> for QoderTaskRun {
    fn from(r: &TaskRun) -> Self {
        Self {
            id: r.job_id,
            status: r.status,
            exit_code: r.exit_code,
            duration_ms: r.duration_ms,
            output: r.stdout.clone(),
            stderr: r.stderr.clone(),
            error: r.error.clone(),
            due_at: r.due_at.map(rfc3339),
            created_at: rfc3339(r.created_at),
            started_at: r.started_at.map(rfc3339),
            finished_at: r.finished_at.map(rfc3339),
            events_url: format!("/api/jobs/{}/events", r.job_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;

    fn at(h: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, h, 0, 0).single().expect("a valid time")
    }

    #[test]
    fn a_task_renders_every_field_in_order_with_nulls() {
        let task = Task {
            id: 3,
            name: "backup".into(),
            cron: "0 3 * * *".into(),
            timezone: "UTC".into(),
            command: "true".into(),
            target: "local".into(),
            timeout_secs: None,
            enabled: false,
            next_run_at: None,
            last_run_at: Some(at(3)),
            last_run_id: Some(9),
            owner_id: Some(1),
            created_at: at(1),
            updated_at: at(2),
        };
        let expected = json!({
            "id": 3, "name": "backup", "cron": "0 3 * * *", "timezone": "UTC", "command": "true", "timeout": 0,
            "enabled": false, "target": "local", "next_run_at": null, "last_run_at": "2026-01-02T03:00:00Z",
            "last_run_id": 9, "created_at": "2026-01-02T01:00:00Z", "updated_at": "2026-01-02T02:00:00Z",
        });
        assert_eq!(serde_json::to_string(&QoderTask::from(&task)).expect("serializable"), expected.to_string());
    }

    #[test]
    fn a_run_renders_its_output_and_where_its_events_stream() {
        let run = TaskRun {
            job_id: 12,
            status: JobStatus::TimedOut,
            exit_code: None,
            duration_ms: Some(1500),
            stdout: "hello\n".into(),
            stderr: String::new(),
            error: Some("timed out".into()),
            due_at: None,
            created_at: at(1),
            started_at: Some(at(2)),
            finished_at: None,
        };
        let expected = json!({
            "id": 12, "status": "timed_out", "exit_code": null, "duration_ms": 1500, "output": "hello\n",
            "stderr": "", "error": "timed out", "due_at": null, "created_at": "2026-01-02T01:00:00Z",
            "started_at": "2026-01-02T02:00:00Z", "finished_at": null, "events_url": "/api/jobs/12/events",
        });
        assert_eq!(serde_json::to_string(&QoderTaskRun::from(&run)).expect("serializable"), expected.to_string());
    }
}
