//! What an executor gets: its job's input and checkpoint, an event emitter, progress and stage reports, a
//! cancellation token and a scratch workspace.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use slipway_core::Error;
use slipway_store::jobs::{Change, Guard, JobWrite, NewEvent};
use tokio_util::sync::CancellationToken;

use crate::runner::RunningJob;
use crate::writer::Writer;

/// The running attempt of one job, as its executor sees it.
pub struct JobContext {
    pub(crate) id: i64,
    pub(crate) attempt: i32,
    pub(crate) owner_id: Option<i64>,
    pub(crate) input: Value,
    pub(crate) checkpoint: Option<Value>,
    pub(crate) workspace: PathBuf,
    pub(crate) guard: Guard,
    pub(crate) job: Arc<RunningJob>,
    pub(crate) writer: Writer,
}

impl JobContext {
    /// The job's id.
    pub fn job_id(&self) -> i64 {
        self.id
    }

    /// This attempt's number, from 1.
    pub fn attempt(&self) -> i32 {
        self.attempt
    }

    /// The user the job belongs to; `None` for system jobs.
    pub fn owner_id(&self) -> Option<i64> {
        self.owner_id
    }

    /// The job's input.
    pub fn input(&self) -> &Value {
        &self.input
    }

    /// The checkpoint an earlier attempt stored, to resume from.
    pub fn checkpoint(&self) -> Option<&Value> {
        self.checkpoint.as_ref()
    }

    /// Fires when the executor must stop: cancelled, timed out, the node shutting down, or the job lost.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.job.token
    }

    /// This job's scratch directory, `<data_dir>/workspaces/<job id>`: made before the first attempt on this
    /// node, kept across retries, removed once the job reaches a final status.
    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    /// Appends an event to the job's log (type and JSON payload). Returns once the event is queued for the
    /// database; waits only when the node's write queue is full.
    pub async fn emit(&self, kind: &str, payload: Value) -> Result<(), Error> {
        self.write(Change::Append { progress: None, stage: None }, vec![NewEvent::now(kind, payload)]).await
    }

    /// Reports progress (clamped to 0–100): stored on the job and logged as a `progress` event.
    pub async fn progress(&self, percent: u8) -> Result<(), Error> {
        let pct = i32::from(percent.min(100));
        let event = NewEvent::now("progress", json!({ "progress": pct }));
        self.write(Change::Append { progress: Some(pct), stage: None }, vec![event]).await
    }

    /// Reports the current stage: stored on the job and logged as a `stage` event.
    pub async fn stage(&self, stage: &str) -> Result<(), Error> {
        let event = NewEvent::now("stage", json!({ "stage": stage }));
        self.write(Change::Append { progress: None, stage: Some(stage.to_owned()) }, vec![event]).await
    }

    /// Stores a checkpoint on the job, durably: a later attempt (after a crash or a retry) gets it from
    /// [`JobContext::checkpoint`]. Fails with `Conflict` when this attempt no longer holds the job.
    pub async fn save_checkpoint(&self, value: Value) -> Result<(), Error> {
        let write =
            JobWrite { job_id: self.id, guard: self.guard.clone(), change: Change::Checkpoint(value), events: vec![] };
        if self.writer.apply(write, Some(Arc::clone(&self.job))).await? {
            Ok(())
        } else {
            Err(Error::Conflict(format!("job {} is no longer held by this attempt", self.id)))
        }
    }

    async fn write(&self, change: Change, events: Vec<NewEvent>) -> Result<(), Error> {
        if self.job.is_lost() {
            return Err(Error::Conflict(format!("job {} is no longer held by this attempt", self.id)));
        }
        let write = JobWrite { job_id: self.id, guard: self.guard.clone(), change, events };
        self.writer.send(write, Some(Arc::clone(&self.job))).await
    }
}
