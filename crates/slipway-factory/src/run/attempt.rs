//! One attempt of a project run: the stages the checkpoint does not list, started as the plan allows (side by
//! side where it may: their futures are joined on this task, so they really overlap and share the job's
//! sandbox and cancellation), then the job's output, or its failure with the stages completed so far.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::{Value, json};
use slipway_agents::agent::JobRun;
use slipway_agents::workspace::Workspace;
use slipway_engine::{JobContext, JobFailure};
use slipway_store::Db;
use slipway_store::factory::ProjectRecord;

use super::RunInput;
use super::checkpoint::Checkpoint;
use super::plan::Plan;
use super::stage::StageError;
use crate::config::ProjectConfig;
use crate::files::ProjectFiles;
use crate::stages::Stage;

/// Everything the stages of one attempt share.
pub(crate) struct ProjectRun<'a> {
    /// The job.
    pub ctx: &'a JobContext,
    /// The agents' view of the job (its LLM chain, the cache choice).
    pub agents: JobRun<'a>,
    /// Project files.
    pub files: &'a ProjectFiles,
    /// The store.
    pub db: &'a Db,
    /// The project as the attempt found it.
    pub project: ProjectRecord,
    /// The job's input.
    pub input: RunInput,
    /// The project's workflow configuration.
    pub config: ProjectConfig,
    /// The job's workspace, filled from the project's files.
    pub workspace: Workspace,
    /// Files the project had before this run that no completed stage wrote.
    pub existing: Vec<String>,
    /// The checkpoint: read by starting stages, appended to and saved by finishing ones, one at a time.
    pub checkpoint: tokio::sync::Mutex<Checkpoint>,
    /// Stages that ran while another one did (their files are told apart by what their agents wrote).
    pub overlapped: Mutex<BTreeSet<Stage>>,
}

/// `completed` of seven stages as progress, 99 at most until the run ends.
pub(crate) fn percent(completed: usize) -> u8 {
    u8::try_from(completed * 100 / Stage::ALL.len()).unwrap_or(99).min(99)
}

impl ProjectRun<'_> {
    /// Runs the stages the checkpoint does not list; the job's output.
    pub async fn execute(&self) -> Result<Value, JobFailure> {
        let plan = Plan::new(&self.config);
        let initial = self.checkpoint.lock().await.clone();
        let mut done: BTreeSet<Stage> = Stage::ALL.into_iter().filter(|s| initial.has(*s)).collect();
        let remaining: Vec<&str> = Stage::ALL.iter().filter(|s| !done.contains(s)).map(|s| s.name()).collect();
        let resumed_from = initial.last_stage();
        let started = json!({
            "project_id": self.project.id, "workflow_id": self.input.workflow_id,
            "resumed_from": resumed_from, "stages": remaining,
        });
        let _ = self.ctx.emit("workflow_started", started).await;
        let _ = self.ctx.progress(percent(done.len())).await;

        let mut running: BTreeSet<Stage> = BTreeSet::new();
        let mut tasks = FuturesUnordered::new();
        let mut failure: Option<(Stage, StageError)> = None;
        loop {
            if failure.is_none() && !self.ctx.cancellation().is_cancelled() {
                for stage in plan.ready(&done, &running) {
                    if !running.is_empty() {
                        let mut overlapped = self.overlapped.lock().unwrap_or_else(PoisonError::into_inner);
                        overlapped.extend(running.iter().copied().chain([stage]));
                    }
                    running.insert(stage);
                    tasks.push(async move { (stage, self.run_stage(stage).await) });
                }
            }
            let Some((stage, result)) = tasks.next().await else { break };
            running.remove(&stage);
            match result {
                Ok(()) => {
                    done.insert(stage);
                }
                // The first failure counts; stages running beside it finish (and are kept) first.
                Err(e) => {
                    failure.get_or_insert((stage, e));
                }
            }
        }
        let checkpoint = self.checkpoint.lock().await.clone();
        if let Some((stage, error)) = failure {
            return Err(self.failure(&checkpoint, Some(stage), error).await);
        }
        if !checkpoint.is_complete() {
            return Err(self.failure(&checkpoint, None, StageError::Cancelled).await);
        }
        let _ = self.ctx.progress(100).await;
        Ok(json!({
            "project_id": self.project.id,
            "workflow_id": self.input.workflow_id,
            "stages": checkpoint.completed,
            "files": self.file_list().await,
        }))
    }

    /// The job's failure, keeping the stages completed and the project's files in its output.
    async fn failure(&self, checkpoint: &Checkpoint, stage: Option<Stage>, error: StageError) -> JobFailure {
        let message = match (stage, &error) {
            (_, StageError::Cancelled) => "cancelled".to_owned(),
            (Some(s), e) => format!("stage {s} failed: {e}"),
            (None, e) => e.to_string(),
        };
        let output = json!({
            "project_id": self.project.id,
            "workflow_id": self.input.workflow_id,
            "stages": checkpoint.completed,
            "failed_stage": stage.map(Stage::name),
            "error": message,
            "files": self.file_list().await,
        });
        let failure = if error.is_retryable() { JobFailure::retryable(message) } else { JobFailure::fatal(message) };
        failure.with_output(output)
    }

    /// The project's files now: path, category, version, size.
    async fn file_list(&self) -> Vec<Value> {
        match self.db.project_files(self.project.id).await {
            Ok(files) => files
                .into_iter()
                .map(|f| json!({"path": f.path, "category": f.category, "version": f.version, "size": f.size}))
                .collect(),
            Err(e) => {
                tracing::warn!(project_id = self.project.id, "cannot list the project's files: {e}");
                Vec::new()
            }
        }
    }
}
