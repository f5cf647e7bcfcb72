//! The messages of AnsFlow's live run view (`WS /ws/pipeline-runs/{run_id}`) and the fold that makes them from
//! the run's job events: `pipeline_status_update` when a step starts or ends, the progress moves or the run's
//! status changes, and `step_log` for each line a step writes. The fold's state (the current step, the
//! progress) comes from the log alone, so a client that resumes gets the same messages it would have seen.

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_delivery::RunEvent;
use slipway_engine::JobEvent;
use utoipa::ToSchema;

/// The step a run is at.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnsFlowCurrentStep {
    /// The step's position in the run, from 0 (the `index` of the run detail's steps; steps have no id of
    /// their own).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// `running`, then `success`, `failed` or `cancelled` once it ended.
    pub status: String,
    /// When it started (the `step_started` event's time).
    pub started_at: String,
}

/// The data of a `pipeline_status_update`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnsFlowRunStatusData {
    /// The run.
    pub run_id: i64,
    /// `pending`, `running`, `success`, `failed` or `cancelled`.
    pub status: String,
    /// The step that runs (or ran last); `null` before the first starts.
    pub current_step: Option<AnsFlowCurrentStep>,
    /// How far the run is, 0–100.
    pub progress: i64,
}

/// The data of a `step_log` message.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnsFlowStepLogData {
    /// The run.
    pub run_id: i64,
    /// The step's position (the `id` of `current_step`).
    pub step: i64,
    /// `stdout` or `stderr`.
    pub stream: String,
    /// The line, secrets as `***`.
    pub line: String,
}

/// The type tag of a `pipeline_status_update` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnsFlowStatusUpdateType {
    /// The only value.
    PipelineStatusUpdate,
}

/// The type tag of a `step_log` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnsFlowStepLogType {
    /// The only value.
    StepLog,
}

/// The run's status, current step or progress changed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnsFlowRunStatusMessage {
    /// `pipeline_status_update`.
    #[serde(rename = "type")]
    pub kind: AnsFlowStatusUpdateType,
    /// The sequence number of the event behind it: reconnect with `?after=<seq>` to resume.
    pub seq: i64,
    /// The run as it is now.
    pub data: AnsFlowRunStatusData,
}

/// A line a step wrote.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnsFlowStepLogMessage {
    /// `step_log`.
    #[serde(rename = "type")]
    pub kind: AnsFlowStepLogType,
    /// The sequence number of the event behind it: reconnect with `?after=<seq>` to resume.
    pub seq: i64,
    /// The line.
    pub data: AnsFlowStepLogData,
}

/// One message of the live run view.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AnsFlowRunMessage {
    /// `pipeline_status_update`.
    Status(AnsFlowRunStatusMessage),
    /// `step_log`.
    Log(AnsFlowStepLogMessage),
}

/// Folds a run's job events, read from the start of its log, into messages; events up to `after` only move
/// the state (the client saw their messages before it reconnected).
#[derive(Debug, Clone)]
pub struct RunFeed {
    run_id: i64,
    after: i64,
    status: String,
    current_step: Option<AnsFlowCurrentStep>,
    progress: i64,
}

impl RunFeed {
    /// A fold for run `run_id` that stays silent up to sequence number `after`.
    pub fn new(run_id: i64, after: i64) -> Self {
        Self { run_id, after, status: "pending".to_owned(), current_step: None, progress: 0 }
    }

    /// The message an event makes, if any.
    pub fn message(&mut self, e: &JobEvent) -> Option<AnsFlowRunMessage> {
        let event = RunEvent::from_job_event(e)?;
        let changed = match event {
            RunEvent::Log { step, stream, line } => {
                let data = AnsFlowStepLogData { run_id: self.run_id, step, stream, line };
                let message = AnsFlowStepLogMessage { kind: AnsFlowStepLogType::StepLog, seq: e.seq, data };
                return (e.seq > self.after).then_some(AnsFlowRunMessage::Log(message));
            }
            RunEvent::StepStarted { step, name, .. } => {
                let started_at = rfc3339(e.at);
                self.current_step = Some(AnsFlowCurrentStep { id: step, name, status: "running".into(), started_at });
                true
            }
            RunEvent::StepFinished { step, name, status, duration_ms, .. } => {
                match self.current_step.as_mut().filter(|c| c.id == step) {
                    Some(current) => current.status = status,
                    None => {
                        let started = e.at - chrono::Duration::milliseconds(duration_ms);
                        let started_at = rfc3339(started);
                        self.current_step = Some(AnsFlowCurrentStep { id: step, name, status, started_at });
                    }
                }
                true
            }
            RunEvent::Progress(progress) => std::mem::replace(&mut self.progress, progress) != progress,
            RunEvent::Status { status, .. } => {
                self.status = status;
                true
            }
            RunEvent::Commit(_) => false,
        };
        (changed && e.seq > self.after).then(|| AnsFlowRunMessage::Status(self.status_message(e.seq)))
    }

    fn status_message(&self, seq: i64) -> AnsFlowRunStatusMessage {
        let data = AnsFlowRunStatusData {
            run_id: self.run_id,
            status: self.status.clone(),
            current_step: self.current_step.clone(),
            progress: self.progress,
        };
        AnsFlowRunStatusMessage { kind: AnsFlowStatusUpdateType::PipelineStatusUpdate, seq, data }
    }
}
