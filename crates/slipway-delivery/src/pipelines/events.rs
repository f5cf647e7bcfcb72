//! A run's job events as typed updates, for a live view (the `WS /ws/pipeline-runs/{run_id}` route): follow
//! them with [`crate::Pipelines::follow`] and map each with [`RunEvent::from_job_event`].

use serde_json::Value;
use slipway_engine::{JobEvent, STATUS_EVENT};

/// What one event of a run's job says about the run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// A step started.
    StepStarted {
        /// Its position.
        step: i64,
        /// Its name.
        name: String,
        /// Its type.
        kind: String,
    },
    /// A line of a step's output (secrets already masked).
    Log {
        /// The step.
        step: i64,
        /// `stdout` or `stderr`.
        stream: String,
        /// The line.
        line: String,
    },
    /// A step ended.
    StepFinished {
        /// Its position.
        step: i64,
        /// Its name.
        name: String,
        /// `success`, `failed` or `cancelled`.
        status: String,
        /// Its exit code.
        exit_code: Option<i64>,
        /// How long it ran.
        duration_ms: i64,
    },
    /// How far the run is, 0–100.
    Progress(i64),
    /// The run's status changed (`running`, `success`, `failed`, `cancelled`); final ones end the stream.
    Status {
        /// The run's status.
        status: String,
        /// Why it failed.
        error: Option<String>,
    },
    /// A checkout recorded the commit.
    Commit(String),
}

/// A job status as a run's.
pub fn run_status(job_status: &str) -> &'static str {
    match job_status {
        "queued" => "pending",
        "running" => "running",
        "succeeded" => "success",
        "cancelled" => "cancelled",
        _ => "failed",
    }
}

impl RunEvent {
    /// The update an event carries; `None` for events a live view has no use for.
    pub fn from_job_event(e: &JobEvent) -> Option<Self> {
        let p = &e.payload;
        let int = |k: &str| p.get(k).and_then(Value::as_i64);
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
        match e.kind.as_str() {
            "step_started" => Some(Self::StepStarted { step: int("step")?, name: text("name")?, kind: text("type")? }),
            "log" => Some(Self::Log { step: int("step")?, stream: text("stream")?, line: text("line")? }),
            "step_finished" => Some(Self::StepFinished {
                step: int("step")?,
                name: text("name")?,
                status: text("status")?,
                exit_code: int("exit_code"),
                duration_ms: int("duration_ms").unwrap_or_default(),
            }),
            "progress" => Some(Self::Progress(int("progress")?)),
            "commit" => Some(Self::Commit(text("sha")?)),
            kind if kind == STATUS_EVENT => {
                Some(Self::Status { status: run_status(&text("status")?).to_owned(), error: text("error") })
            }
            _ => None,
        }
    }
}
