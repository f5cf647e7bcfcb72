//! The executor of project runs: per attempt it makes sure the job is still the project's latest run, reads
//! the checkpoint from the project (so an engine retry after a lost node and a resumed run both carry on from
//! it), fills a clean workspace from the project's files, and hands over to [`ProjectRun`].

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use slipway_agents::Runtime;
use slipway_core::Error;
use slipway_engine::{Executor, JobContext, JobFailure};
use slipway_store::factory::ProjectRecord;

use super::attempt::ProjectRun;
use super::checkpoint::Checkpoint;
use super::{KIND, RunInput};
use crate::config::ProjectConfig;
use crate::files::ProjectFiles;

/// How long an attempt waits for the service to make its job the project's run (the job is enqueued first).
const START_WAIT: Duration = Duration::from_secs(10);

/// Runs projects through their stages.
#[derive(Debug, Clone)]
pub struct ProjectRunExecutor {
    runtime: Runtime,
    files: ProjectFiles,
}

impl ProjectRunExecutor {
    /// The executor over the agent runtime and the project files.
    pub fn new(runtime: Runtime, files: ProjectFiles) -> Self {
        Self { runtime, files }
    }

    /// The project, once this job is its latest run. The service enqueues the job before it records the run,
    /// so a job claimed at once may wait a moment; a job that another run replaced stops.
    async fn project(&self, ctx: &JobContext, id: i64) -> Result<ProjectRecord, JobFailure> {
        let deadline = tokio::time::Instant::now() + START_WAIT;
        // The service records the run a moment after enqueueing: look again soon, then less often.
        let mut pause = Duration::from_millis(2);
        loop {
            let store = |e: slipway_store::StoreError| JobFailure::retryable(format!("cannot read project {id}: {e}"));
            // The run's record and the project's pointer to it are written in one transaction: once the record
            // is there, a project pointing elsewhere has a newer run.
            let recorded = self.runtime.db.project_run(ctx.job_id()).await.map_err(store)?.is_some();
            let project = self.runtime.db.project(id).await.map_err(store)?;
            let Some(project) = project else {
                return Err(JobFailure::fatal(format!("project {id} no longer exists")));
            };
            if project.run_job_id == Some(ctx.job_id()) {
                return Ok(project);
            }
            if recorded {
                return Err(JobFailure::fatal("a newer run of the project started; this one stopped"));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(JobFailure::fatal(format!("job {} was never made a run of project {id}", ctx.job_id())));
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => pause = (pause * 2).min(Duration::from_millis(50)),
                () = ctx.cancellation().cancelled() => return Err(JobFailure::fatal("cancelled")),
            }
        }
    }
}

/// Empties `dir`: what an earlier attempt half wrote there is not the project's (only stored files are).
async fn clear(dir: &Path) -> std::io::Result<()> {
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        if entry.file_type().await?.is_dir() {
            tokio::fs::remove_dir_all(entry.path()).await?;
        } else {
            tokio::fs::remove_file(entry.path()).await?;
        }
    }
    Ok(())
}

impl Executor for ProjectRunExecutor {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        serde_json::from_value::<RunInput>(input.clone())
            .map(|_| ())
            .map_err(|e| Error::MalformedRequest(e.to_string()))
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let input: RunInput =
            serde_json::from_value(ctx.input().clone()).map_err(|e| JobFailure::fatal(format!("bad input: {e}")))?;
        let project = self.project(&ctx, input.project_id).await?;
        let config = ProjectConfig::from_stored(&project.config);
        let checkpoint = Checkpoint::from_stored(project.checkpoint.as_ref());
        let (chain, workspace) = self.runtime.start(&ctx).await?;
        clear(workspace.root()).await.map_err(|e| JobFailure::retryable(format!("cannot clear the workspace: {e}")))?;
        self.files
            .materialize(project.id, workspace.root())
            .await
            .map_err(|e| JobFailure::retryable(format!("cannot fill the workspace from the project's files: {e}")))?;
        let written: BTreeSet<&str> =
            checkpoint.completed.iter().flat_map(|r| r.files.iter().map(String::as_str)).collect();
        let existing: Vec<String> = match self.runtime.db.project_files(project.id).await {
            Ok(files) => files.into_iter().map(|f| f.path).filter(|p| !written.contains(p.as_str())).collect(),
            Err(e) => return Err(JobFailure::retryable(format!("cannot list the project's files: {e}"))),
        };
        let run = ProjectRun {
            ctx: &ctx,
            agents: self.runtime.job(&ctx, &chain, config.enable_cache),
            files: &self.files,
            db: &self.runtime.db,
            project,
            input,
            config,
            workspace,
            existing,
            checkpoint: tokio::sync::Mutex::new(checkpoint),
            overlapped: Mutex::new(BTreeSet::new()),
        };
        run.execute().await
    }
}
