//! Starting, stopping and resuming a project's run. A run is one engine job; the project points at its latest
//! run through a compare-and-swap, so two starts at once cannot both win.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::RngCore;
use slipway_core::{Error, Principal, WorkflowProblem};
use slipway_engine::EnqueueOptions;
use slipway_store::factory::{ProjectChanges, ProjectRecord, ProjectStatus, RunRecord};

use crate::Factory;
use crate::projects::{MAX_REQUIREMENTS, text};
use crate::quota::QuotaAction;
use crate::run::{self, Checkpoint, RunInput};
use crate::stages::Stage;

/// How long a run may take in all.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(6 * 3600);
/// Attempts of a run: a run whose node died is retried from its checkpoint (agent failures are final).
pub const RUN_ATTEMPTS: i32 = 3;
/// How long `stop` waits for the run to end.
pub const STOP_WAIT: Duration = Duration::from_secs(10);

/// A run that was started or resumed.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStarted {
    /// The project.
    pub project_id: i64,
    /// The run's job.
    pub job_id: i64,
    /// `wf_<unix seconds>_<hex>`.
    pub workflow_id: String,
    /// The first stage it runs.
    pub current_stage: Stage,
    /// When it was started.
    pub started_at: DateTime<Utc>,
    /// For a resumed run: the last stage its checkpoint holds.
    pub checkpoint_stage: Option<String>,
}

/// A run that was stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStopped {
    /// The project.
    pub project_id: i64,
    /// Its status now (`cancelled` once the run ended; `running` while it is still stopping).
    pub status: ProjectStatus,
    /// When the stop was asked for.
    pub stopped_at: DateTime<Utc>,
}

fn workflow_id(now: DateTime<Utc>) -> String {
    let mut bytes = [0u8; 3];
    rand::rng().fill_bytes(&mut bytes);
    format!("wf_{}_{:02x}{:02x}{:02x}", now.timestamp(), bytes[0], bytes[1], bytes[2])
}

impl Factory {
    /// Starts a new run of the project from its first stage, on the files it has (so a project that already
    /// has code is extended, not started over). `requirements`, when given, replace the project's first.
    pub async fn execute(
        &self,
        principal: &Principal,
        id: i64,
        requirements: Option<String>,
    ) -> Result<RunStarted, Error> {
        let mut project = self.project_for(principal, id).await?;
        if project.status == ProjectStatus::Running {
            return Err(Error::Workflow(WorkflowProblem::AlreadyRunning));
        }
        if let Some(r) = requirements {
            let changes = ProjectChanges {
                requirements: Some(text("requirements", &r, MAX_REQUIREMENTS, true)?),
                ..ProjectChanges::default()
            };
            self.db.update_project(id, &changes, slipway_core::time::now()).await?;
            project = self.project_for(principal, id).await?;
        }
        self.start(principal, &project, None).await
    }

    /// Continues the project's last run after its last checkpoint, without redoing finished stages; for a run
    /// that failed, was stopped or died with its node.
    pub async fn resume(&self, principal: &Principal, id: i64) -> Result<RunStarted, Error> {
        let project = self.project_for(principal, id).await?;
        match project.status {
            ProjectStatus::Running => return Err(Error::Workflow(WorkflowProblem::AlreadyRunning)),
            ProjectStatus::Pending | ProjectStatus::Completed => {
                return Err(Error::Workflow(WorkflowProblem::NothingToResume));
            }
            ProjectStatus::Failed | ProjectStatus::Cancelled => {}
        }
        let checkpoint = Checkpoint::from_stored(project.checkpoint.as_ref());
        if checkpoint.is_complete() {
            return Err(Error::Workflow(WorkflowProblem::NothingToResume));
        }
        self.start(principal, &project, Some(checkpoint)).await
    }

    async fn start(
        &self,
        principal: &Principal,
        project: &ProjectRecord,
        resume: Option<Checkpoint>,
    ) -> Result<RunStarted, Error> {
        self.quota.check(principal, QuotaAction::StartRun).await?;
        // The run is the owner's: their LLM providers, their activities.
        self.llm.chain_for(project.user_id).await?;
        let now = slipway_core::time::now();
        let workflow_id = workflow_id(now);
        // Commands run for anyone where they are sandboxed; unsandboxed only for an administrator's own project.
        let allow_commands =
            self.engine.sandbox().is_available() || (principal.is_admin() && principal.user_id == project.user_id);
        let input = RunInput { project_id: project.id, workflow_id: workflow_id.clone(), allow_commands };
        let input = serde_json::to_value(&input).map_err(|e| Error::Internal(e.to_string()))?;
        let options = EnqueueOptions { max_attempts: RUN_ATTEMPTS, timeout: Some(RUN_TIMEOUT), ..Default::default() };
        let job = self.engine.enqueue_system(Some(project.user_id), run::KIND, input, options).await?;
        let checkpoint_stage = resume.as_ref().and_then(|c| c.last_stage().map(str::to_owned));
        let record = RunRecord {
            job_id: job.id,
            project_id: project.id,
            workflow_id: workflow_id.clone(),
            resumed_from: checkpoint_stage.clone(),
            created_at: now,
        };
        if !self.db.start_project_run(project.id, project.run_job_id, &record, resume.is_none()).await? {
            // Another start won the race; this job sees it is not the project's run and ends without work.
            let _ = self.engine.cancel(principal, job.id).await;
            return Err(Error::Workflow(WorkflowProblem::AlreadyRunning));
        }
        self.run_starts.notify(project.id);
        let done = resume.unwrap_or_default();
        let current_stage = Stage::ALL.into_iter().find(|s| !done.has(*s)).unwrap_or(Stage::RequirementsAnalysis);
        Ok(RunStarted {
            project_id: project.id,
            job_id: job.id,
            workflow_id,
            current_stage,
            started_at: job.created_at,
            checkpoint_stage,
        })
    }

    /// Stops the project's run: the in-flight LLM call and any command stop; waits a few seconds for it to end.
    pub async fn stop(&self, principal: &Principal, id: i64) -> Result<RunStopped, Error> {
        let project = self.project_for(principal, id).await?;
        let (ProjectStatus::Running, Some(job_id)) = (project.status, project.run_job_id) else {
            return Err(Error::Workflow(WorkflowProblem::NotRunning));
        };
        let stopped_at = slipway_core::time::now();
        match self.engine.cancel(principal, job_id).await {
            Ok(_) => {}
            // It finished in the meantime.
            Err(Error::Conflict(_)) => return Err(Error::Workflow(WorkflowProblem::NotRunning)),
            Err(e) => return Err(e),
        }
        let _ = self.engine.wait(principal, job_id, STOP_WAIT).await?;
        let status = self.project_for(principal, id).await?.status;
        Ok(RunStopped { project_id: id, status, stopped_at })
    }
}
