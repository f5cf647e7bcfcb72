//! One stage of a run: `stage` and `stage_started`, the stage's agent (and what the executor does after it),
//! then its files stored as new versions, its result appended to the checkpoint and the checkpoint stored,
//! and only then `stage_completed` and the run's progress. A stage that fails or is cancelled stores nothing:
//! what its agent half wrote stays out of the project.

use std::sync::PoisonError;
use std::time::Instant;

use serde_json::{Value, json};
use slipway_agents::agent::{AgentError, AgentResult, Finish};
use slipway_agents::tools::ToolSet;
use slipway_agents::workspace::FileEntry;

use super::attempt::{ProjectRun, percent};
use super::checkpoint::{Checkpoint, StageResult};
use super::prompts::{self, Brief};
use super::{completion, review, testing};
use crate::files::is_tool_output;
use crate::stages::Stage;

/// Why a stage did not complete.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StageError {
    /// The job was cancelled, timed out, or this attempt lost the job.
    #[error("cancelled")]
    Cancelled,
    /// The stage's work failed (its agent, or what it handed over).
    #[error("{0}")]
    Failed(String),
    /// Storing its files or the checkpoint failed; another attempt may succeed.
    #[error("{0}")]
    Store(String),
    /// A newer run of the project started: this one must not write any more.
    #[error("a newer run of the project started; this one stopped")]
    Superseded,
}

impl StageError {
    /// Whether another attempt of the job may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Store(_))
    }
}

impl From<AgentError> for StageError {
    fn from(e: AgentError) -> Self {
        match e {
            AgentError::Cancelled => Self::Cancelled,
            other => Self::Failed(other.to_string()),
        }
    }
}

/// What a stage's work produced, before its files are stored.
pub(crate) struct StageWork {
    /// The agent's report.
    pub summary: String,
    /// Tokens its LLM calls used.
    pub tokens: u64,
    /// What the stage measured or handed over.
    pub data: Value,
    /// The files written: by the agent's `write_file`, and by the executor for the stage.
    pub written: Vec<String>,
}

impl StageWork {
    /// The work of an agent with `tools`, plus `data` and the files the executor wrote.
    pub fn of(result: &AgentResult, tools: &ToolSet, data: Value, executor_wrote: &[&str]) -> Self {
        let mut written = tools.written();
        written.extend(executor_wrote.iter().map(|p| (*p).to_owned()));
        written.sort();
        written.dedup();
        Self {
            summary: result.text.clone(),
            tokens: u64::from(result.usage.prompt_tokens) + u64::from(result.usage.completion_tokens),
            data,
            written,
        }
    }
}

impl ProjectRun<'_> {
    /// The tools of a stage's agent: the workspace's files, and commands where the owner may run them.
    pub fn tools(&self) -> ToolSet {
        ToolSet::new(self.workspace.clone()).with_files().with_commands(self.input.allow_commands)
    }

    /// The workspace's files, without build output and tool state.
    pub async fn workspace_files(&self) -> Vec<FileEntry> {
        let mut files = self.workspace.list("").await.unwrap_or_default();
        files.retain(|f| !is_tool_output(&f.path));
        files
    }

    /// Runs the agent of `stage` with `tools`, told what `done` has completed; with `hand_over`, it must end by
    /// calling that structured tool.
    pub async fn agent(
        &self,
        stage: Stage,
        done: &Checkpoint,
        tools: &ToolSet,
        hand_over: Option<&str>,
    ) -> Result<AgentResult, StageError> {
        let files = self.workspace_files().await;
        let brief = Brief { project: &self.project, existing: &self.existing };
        let prompt = prompts::prompt(stage, &brief, done, &files);
        let spec = prompts::spec(stage, self.input.allow_commands);
        let finish = Finish { on_tool: hand_over, max_turns: Some(prompts::max_turns(stage)) };
        Ok(self.agents.run_agent(&spec, stage.name(), &prompt, tools, finish).await?)
    }

    /// Runs `stage` to its stored end.
    pub async fn run_stage(&self, stage: Stage) -> Result<(), StageError> {
        let clock = Instant::now();
        // Taking the lock waits for a stage storing its files, so that a whole-workspace capture never takes
        // files of a stage that starts now.
        let done = self.checkpoint.lock().await.clone();
        let _ = self.ctx.stage(stage.name()).await;
        let _ = self.ctx.emit("stage_started", json!({"stage": stage.name(), "agent": stage.agent()})).await;
        let work = match stage {
            Stage::Testing => testing::run(self, &done).await,
            Stage::QaReview => review::run(self, &done).await,
            Stage::Completion => completion::run(self, &done, clock).await,
            _ => {
                let tools = self.tools();
                self.agent(stage, &done, &tools, None).await.map(|r| StageWork::of(&r, &tools, Value::Null, &[]))
            }
        };
        let work = match work {
            Ok(w) => w,
            Err(e) => {
                if e != StageError::Cancelled && !self.ctx.cancellation().is_cancelled() {
                    let failed = json!({"stage": stage.name(), "agent": stage.agent(), "error": e.to_string()});
                    let _ = self.ctx.emit("stage_failed", failed).await;
                }
                return Err(e);
            }
        };
        let (result, completed) = self.store(stage, work, clock).await?;
        let _ = self
            .ctx
            .emit(
                "stage_completed",
                json!({
                    "stage": stage.name(), "agent": stage.agent(),
                    "duration_seconds": result.duration_ms as f64 / 1000.0,
                    "tokens_used": result.tokens_used, "files": result.files,
                }),
            )
            .await;
        let _ = self.ctx.progress(percent(completed)).await;
        Ok(())
    }

    /// Stores the stage's files and its checkpoint entry (one stage at a time); the result and how many stages
    /// are complete.
    async fn store(&self, stage: Stage, work: StageWork, clock: Instant) -> Result<(StageResult, usize), StageError> {
        let mut checkpoint = self.checkpoint.lock().await;
        if self.ctx.cancellation().is_cancelled() {
            return Err(StageError::Cancelled);
        }
        // A run that a newer one replaced writes no files either (its checkpoint would be refused below).
        match self.db.project(self.project.id).await {
            Ok(Some(p)) if p.run_job_id == Some(self.ctx.job_id()) => {}
            Ok(_) => return Err(StageError::Superseded),
            Err(e) => return Err(StageError::Store(format!("cannot read the project: {e}"))),
        }
        let alone = !self.overlapped.lock().unwrap_or_else(PoisonError::into_inner).contains(&stage);
        let (root, owner, category) = (self.workspace.root(), self.ctx.owner_id(), stage.category());
        let captured = if alone {
            self.files.capture(self.project.id, root, category, owner).await
        } else {
            self.files.capture_paths(self.project.id, root, &work.written, category, owner).await
        }
        .map_err(|e| StageError::Store(format!("cannot store the files of {stage}: {e}")))?;
        if !captured.skipped.is_empty() {
            tracing::warn!(job_id = self.ctx.job_id(), %stage, skipped = ?captured.skipped, "files left out of the project");
        }
        let result = StageResult {
            stage: stage.name().to_owned(),
            summary: work.summary,
            duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            tokens_used: work.tokens,
            files: captured.written.into_iter().map(|f| f.path).collect(),
            data: work.data,
            finished_at: slipway_core::time::now(),
        };
        checkpoint.completed.push(result.clone());
        if self.config.enable_checkpoints
            && let Err(e) = self.save(stage, &checkpoint).await
        {
            checkpoint.completed.pop();
            return Err(e);
        }
        Ok((result, checkpoint.completed.len()))
    }

    /// Stores `checkpoint` on the job (guarded by this attempt's lease: an attempt that lost the job stops
    /// here) and on the project (refused once a newer run started).
    async fn save(&self, stage: Stage, checkpoint: &Checkpoint) -> Result<(), StageError> {
        let value = checkpoint.to_value();
        match self.ctx.save_checkpoint(value.clone()).await {
            Ok(()) => {}
            Err(slipway_core::Error::Conflict(_)) => return Err(StageError::Cancelled),
            Err(e) => return Err(StageError::Store(format!("cannot store the checkpoint after {stage}: {e}"))),
        }
        match self.db.save_project_checkpoint(self.project.id, self.ctx.job_id(), &value).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(StageError::Superseded),
            Err(e) => Err(StageError::Store(format!("cannot store the checkpoint after {stage}: {e}"))),
        }
    }
}
