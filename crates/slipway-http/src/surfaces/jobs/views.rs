//! The job API's response bodies: a job, a page of jobs, a job's status names and one of its events.

use serde::Serialize;
use serde_json::Value;
use slipway_core::time::rfc3339;
use slipway_engine::{Job, JobEvent, JobStatus};
use utoipa::ToSchema;

use crate::surfaces::paging::Paging;

/// Where a job is in its life: `queued` and `running` are live, the others final.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = JobStatus)]
pub enum JobStatusName {
    /// Waiting for a worker.
    Queued,
    /// Held by a worker.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Failed for good.
    Failed,
    /// Cancelled on request.
    Cancelled,
    /// Ran past its timeout.
    TimedOut,
}

/// A job as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Job)]
pub struct JobView {
    /// The job's id.
    pub id: i64,
    /// Which executor runs it (`command`, `diet_plan` …).
    pub kind: String,
    /// Where it is in its life.
    #[schema(value_type = JobStatusName)]
    pub status: JobStatus,
    /// Progress, 0–100.
    pub progress: i32,
    /// The executor's current stage, free text; `null` when it names none.
    pub stage: Option<String>,
    /// Attempts started so far.
    pub attempts: i32,
    /// Attempts allowed before a failure is final.
    pub max_attempts: i32,
    /// What the executor was given (its kind's own JSON).
    pub input: Value,
    /// What the executor produced (its kind's own JSON); `null` until it produced something.
    pub output: Option<Value>,
    /// Why it failed, or why its last attempt failed while it waits for a retry.
    pub error: Option<String>,
    /// The schedule (qoder task) that created it; `null` for other jobs.
    pub schedule_id: Option<i64>,
    /// When it was enqueued (RFC 3339).
    pub created_at: String,
    /// When its latest attempt started (RFC 3339); `null` while it has not.
    pub started_at: Option<String>,
    /// When it reached a final status (RFC 3339); `null` while live.
    pub finished_at: Option<String>,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl From<&Job> for JobView {
    fn from(j: &Job) -> Self {
        Self {
            id: j.id,
            kind: j.kind.clone(),
            status: j.status,
            progress: j.progress,
            stage: j.stage.clone(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            input: j.input.clone(),
            output: j.output.clone(),
            error: j.error.clone(),
            schedule_id: j.schedule_id,
            created_at: rfc3339(j.created_at),
            started_at: j.started_at.map(rfc3339),
            finished_at: j.finished_at.map(rfc3339),
            updated_at: rfc3339(j.updated_at),
        }
    }
}

/// One page of jobs: `{items, total, page, page_size}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobPage {
    /// The jobs of this page, newest first.
    pub items: Vec<JobView>,
    /// How many jobs match, over all pages.
    pub total: i64,
    /// This page's number, from 1.
    pub page: i64,
    /// Items per page asked for.
    pub page_size: i64,
}

impl JobPage {
    /// The page `paging` asked for, holding `jobs` out of `total` matches.
    pub fn new(jobs: &[Job], total: i64, paging: Paging) -> Self {
        Self { items: jobs.iter().map(JobView::from).collect(), total, page: paging.page, page_size: paging.page_size }
    }
}

/// One event of a job, as the `data` of a Server-Sent Event and as a WebSocket message.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = JobEvent)]
pub struct JobEventView {
    /// The job it belongs to.
    pub job_id: i64,
    /// Its place in the job's log: 1, 2, 3 … without gaps (also the SSE `id`).
    pub seq: i64,
    /// What happened: `status`, `progress`, `stage`, `stdout`, `stderr`, or an executor's own type (also the
    /// SSE `event`).
    #[serde(rename = "type")]
    pub kind: String,
    /// When it was emitted (RFC 3339).
    pub at: String,
    /// The details, by type (a `status` event has `status`, and `error` when it failed).
    pub payload: Value,
}

/// One Server-Sent Event of a job's stream as it is framed on the wire, for the OpenAPI document (the stream writes
/// axum's `Event`s): `id` is the sequence number, `event` the type, `data` one [`JobEventView`] as JSON (a failed
/// stream ends with an `error` event whose data is `{error}`).
#[derive(Debug, ToSchema)]
#[schema(as = JobEventFrame)]
#[allow(dead_code)]
pub struct JobEventFrame {
    /// The event's sequence number.
    pub id: String,
    /// Its type (`status`, `progress`, `stdout` …, or `error` at the end of a failed stream).
    pub event: String,
    /// The event as JSON: a `JobEvent`.
    #[schema(content_media_type = "application/json")]
    pub data: String,
}

impl From<&JobEvent> for JobEventView {
    fn from(e: &JobEvent) -> Self {
        Self { job_id: e.job_id, seq: e.seq, kind: e.kind.clone(), at: rfc3339(e.at), payload: e.payload.clone() }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::realtime::event_json;

    fn at(h: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 2, h, 0, 0).single().expect("a valid time")
    }

    #[test]
    fn the_documented_status_names_are_the_engines() {
        use JobStatusName::*;
        let documented = [Queued, Running, Succeeded, Failed, Cancelled, TimedOut];
        let names: Vec<Value> = documented.iter().map(|s| json!(s)).collect();
        let engine: Vec<Value> = JobStatus::ALL.iter().map(|s| json!(s)).collect();
        assert_eq!(names, engine);
    }

    #[test]
    fn a_job_renders_every_field_in_order_with_nulls() {
        let job = Job {
            id: 5,
            kind: "command".into(),
            owner_id: Some(2),
            status: JobStatus::Running,
            priority: 0,
            input: json!({"command": "true"}),
            output: None,
            checkpoint: Some(json!({"secret": "not shown"})),
            error: None,
            progress: 40,
            stage: Some("running".into()),
            attempts: 1,
            max_attempts: 3,
            timeout_ms: Some(1000),
            scheduled_for: at(1),
            lease_holder: Some("node-1".into()),
            lease_expires_at: Some(at(4)),
            cancel_requested: false,
            event_seq: 7,
            schedule_id: None,
            due_at: None,
            created_at: at(1),
            started_at: Some(at(2)),
            finished_at: None,
            updated_at: at(3),
        };
        let expected = json!({
            "id": 5, "kind": "command", "status": "running", "progress": 40, "stage": "running", "attempts": 1,
            "max_attempts": 3, "input": {"command": "true"}, "output": null, "error": null, "schedule_id": null,
            "created_at": "2026-01-02T01:00:00Z", "started_at": "2026-01-02T02:00:00Z", "finished_at": null,
            "updated_at": "2026-01-02T03:00:00Z",
        });
        assert_eq!(serde_json::to_string(&JobView::from(&job)).expect("serializable"), expected.to_string());
        let page = JobPage::new(&[job], 9, Paging { page: 2, page_size: 1 });
        let keys: Vec<String> = match json!(page) {
            Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("not an object: {other}"),
        };
        assert_eq!(keys, ["items", "total", "page", "page_size"]);
    }

    #[test]
    fn the_documented_event_is_what_the_transports_send() {
        let e = JobEvent { job_id: 5, seq: 2, at: at(1), kind: "stdout".into(), payload: json!({"text": "hi\n"}) };
        let documented = serde_json::to_string(&JobEventView::from(&e)).expect("serializable");
        assert_eq!(documented, event_json(&e).to_string());
    }
}
