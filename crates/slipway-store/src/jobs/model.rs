//! Job records and the values used to create and find them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// Where a job is in its life. `Queued` and `Running` are live; the others are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a worker (new, retrying after a failure, or handed back).
    Queued,
    /// Held by a worker under a lease.
    Running,
    /// The executor finished successfully.
    Succeeded,
    /// The executor failed (for good), or its worker was lost too often.
    Failed,
    /// Cancelled on request.
    Cancelled,
    /// Ran past its timeout.
    TimedOut,
}

impl JobStatus {
    /// Every status, live ones first.
    pub const ALL: [Self; 6] =
        [Self::Queued, Self::Running, Self::Succeeded, Self::Failed, Self::Cancelled, Self::TimedOut];

    /// The status as stored and rendered.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::TimedOut => "timed_out",
        }
    }

    /// Whether the job has reached its end.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| format!("unknown job status {s:?}"))
    }
}

impl TryFrom<String> for JobStatus {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// One row of `jobs`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct JobRecord {
    /// Database id.
    pub id: i64,
    /// Which executor runs it.
    pub kind: String,
    /// The user it belongs to; `None` for system jobs.
    pub owner_id: Option<i64>,
    /// Where it is in its life.
    #[sqlx(try_from = "String")]
    pub status: JobStatus,
    /// Higher runs first.
    pub priority: i32,
    /// What the executor was given.
    pub input: Value,
    /// What the executor produced (also kept on failure when the executor reports some).
    pub output: Option<Value>,
    /// The last checkpoint the executor stored, handed to a retried attempt.
    pub checkpoint: Option<Value>,
    /// Why it failed, or why the last attempt failed while it waits for a retry.
    pub error: Option<String>,
    /// 0–100.
    pub progress: i32,
    /// The executor's current stage, free text.
    pub stage: Option<String>,
    /// Attempts started so far (an attempt handed back on shutdown does not count).
    pub attempts: i32,
    /// Attempts allowed before a failure is final.
    pub max_attempts: i32,
    /// Run time allowed per attempt, in milliseconds; `None` for no limit.
    pub timeout_ms: Option<i64>,
    /// Not claimed before this time.
    pub scheduled_for: DateTime<Utc>,
    /// The node holding it while running.
    pub lease_holder: Option<String>,
    /// When the holder's lease runs out unless renewed.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Someone asked for it to stop.
    pub cancel_requested: bool,
    /// The last event sequence number assigned.
    pub event_seq: i64,
    /// The schedule that created it, if any.
    pub schedule_id: Option<i64>,
    /// The schedule's due time it was created for (unique per schedule); `None` for "run now".
    pub due_at: Option<DateTime<Utc>>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When its latest attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a final status.
    pub finished_at: Option<DateTime<Utc>>,
    /// When the row last changed.
    pub updated_at: DateTime<Utc>,
}

/// A job to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// Which executor runs it.
    pub kind: String,
    /// The user it belongs to; `None` for system jobs.
    pub owner_id: Option<i64>,
    /// Higher runs first.
    pub priority: i32,
    /// What the executor gets.
    pub input: Value,
    /// Attempts allowed (at least 1).
    pub max_attempts: i32,
    /// Run time allowed per attempt, in milliseconds.
    pub timeout_ms: Option<i64>,
    /// Not claimed before this time.
    pub scheduled_for: DateTime<Utc>,
    /// The schedule creating it, if any.
    pub schedule_id: Option<i64>,
    /// The schedule's due time, if any.
    pub due_at: Option<DateTime<Utc>>,
}

/// Which jobs to list; every filter is optional. Newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// Only this owner's jobs.
    pub owner_id: Option<i64>,
    /// Only jobs in one of these statuses (empty: any).
    pub statuses: Vec<JobStatus>,
    /// Only jobs of this kind.
    pub kind: Option<String>,
    /// Only jobs created by this schedule.
    pub schedule_id: Option<i64>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return at most.
    pub limit: i64,
    /// Only what this viewer may see (the engine sets it for administrators); `None`: no such limit.
    pub visible_to: Option<JobViewer>,
}

/// Who is looking at a listing: their own jobs are listed, and others' only of the kinds named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobViewer {
    /// The viewer.
    pub user_id: i64,
    /// Kinds whose jobs the viewer may see whoever owns them.
    pub others_kinds: Vec<String>,
}

/// How many jobs are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    /// Waiting for a worker, due or not.
    pub queued: i64,
    /// Held by a worker.
    pub running: i64,
}
