//! The agent service the surfaces call: submit and read development tasks, workflow runs and diet plans, and
//! gate statistics. Authorization lives here (through the engine's ownership rules): a user sees only their own
//! work; someone else's job, or a job of another kind, is "not found". No job starts without an LLM provider.

use std::time::Duration;

use serde_json::Value;
use slipway_core::{Error, Principal};
use slipway_engine::{Engine, EnqueueOptions, EventStream, Job, JobFilter, JobStatus, Page, Waited};
use slipway_llm::Llm;
use slipway_store::Db;
use slipway_store::agents::{ActivityRecord, DietPlanRecord, GateCheckRecord, GateStats};

use crate::diet::{self, PetInput};
use crate::task::{self, TaskInput};
use crate::templates::{self, WorkflowTemplate};
use crate::workflow::{self, WorkflowInput};

/// The longest a task may run, seconds.
pub const MAX_TASK_SECS: u64 = 3600;
/// The longest description accepted, characters.
pub const MAX_DESCRIPTION: usize = 20_000;
/// How long a diet plan may take.
pub const PLAN_TIMEOUT: Duration = Duration::from_secs(600);
/// How long a workflow may take.
pub const WORKFLOW_TIMEOUT: Duration = Duration::from_secs(3 * 3600);

/// A workflow run as its monitor sees it.
#[derive(Debug, Clone)]
pub struct WorkflowStatus {
    /// The run's job.
    pub job: Job,
    /// Its template.
    pub template: &'static WorkflowTemplate,
    /// Gate checks so far.
    pub gates: Vec<GateCheckRecord>,
    /// Agent calls so far.
    pub activities: Vec<ActivityRecord>,
}

impl WorkflowStatus {
    /// Each phase's state, in template order: `completed`, `running`, `failed` or `pending`, read from the run's
    /// status and its current stage (the phase it is in, or stopped in).
    pub fn phase_states(&self) -> Vec<&'static str> {
        let current = self.job.stage.as_deref().and_then(|c| self.template.phases.iter().position(|p| p.name == c));
        (0..self.template.phases.len())
            .map(|i| match (self.job.status, current) {
                (JobStatus::Succeeded, _) => "completed",
                (_, Some(c)) if i < c => "completed",
                (JobStatus::Running, Some(c)) if i == c => "running",
                (JobStatus::Failed | JobStatus::TimedOut | JobStatus::Cancelled, Some(c)) if i == c => "failed",
                _ => "pending",
            })
            .collect()
    }
}

/// Gate statistics for a caller.
#[derive(Debug, Clone)]
pub struct GateReport {
    /// Totals.
    pub stats: GateStats,
    /// The newest failures.
    pub recent_failures: Vec<GateCheckRecord>,
}

impl GateReport {
    /// Share of the counted checks that passed, percent (0 with no checks).
    pub fn pass_rate(&self) -> f64 {
        if self.stats.total == 0 { 0.0 } else { 100.0 * self.stats.passed as f64 / self.stats.total as f64 }
    }
}

/// Agent work for the surfaces.
#[derive(Clone)]
pub struct Agents {
    engine: Engine,
    llm: Llm,
    db: Db,
}

impl std::fmt::Debug for Agents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agents").finish_non_exhaustive()
    }
}

fn description(text: &str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid_field("description", "value_error", "description must not be empty"));
    }
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(Error::invalid_field(
            "description",
            "value_error",
            format!("description must be at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(text.to_owned())
}

fn once(timeout: Duration) -> EnqueueOptions {
    // Agent work costs tokens and builds on its own earlier steps: a failed run is reported, not silently rerun.
    EnqueueOptions { max_attempts: 1, timeout: Some(timeout), ..EnqueueOptions::default() }
}

impl Agents {
    /// The service over an engine that has the agent executors registered.
    pub fn new(engine: Engine, llm: Llm, db: Db) -> Self {
        Self { engine, llm, db }
    }

    /// The LLM service (for its cache figures).
    pub fn llm(&self) -> &Llm {
        &self.llm
    }

    async fn require_llm(&self, principal: &Principal) -> Result<(), Error> {
        self.llm.chain_for(principal.user_id).await.map(|_| ())
    }

    /// Whether the caller's agents get `run_command` and run test gates: anyone's where commands are
    /// sandboxed, only administrators' where they are not.
    fn may_run_commands(&self, principal: &Principal) -> bool {
        principal.is_admin() || self.engine.sandbox().is_available()
    }

    async fn job_of_kind(&self, principal: &Principal, id: i64, kind: &str) -> Result<Job, Error> {
        let job = self.engine.get(principal, id).await?;
        if job.kind == kind { Ok(job) } else { Err(Error::NotFound(format!("{kind} {id}"))) }
    }

    /// Starts a development task (timeout 1–3600 s).
    pub async fn submit_task(
        &self,
        principal: &Principal,
        text: &str,
        timeout_secs: i64,
        verbose: bool,
    ) -> Result<Job, Error> {
        let description = description(text)?;
        let secs = u64::try_from(timeout_secs).ok().filter(|s| (1..=MAX_TASK_SECS).contains(s)).ok_or_else(|| {
            Error::invalid_field(
                "timeout",
                "value_error",
                format!("timeout must be between 1 and {MAX_TASK_SECS} seconds"),
            )
        })?;
        self.require_llm(principal).await?;
        let input =
            TaskInput { description, verbose, allow_commands: self.may_run_commands(principal), enable_cache: false };
        let input = serde_json::to_value(input).map_err(|e| Error::Internal(e.to_string()))?;
        self.engine.enqueue(principal, task::KIND, input, once(Duration::from_secs(secs))).await
    }

    /// A development task.
    pub async fn task(&self, principal: &Principal, id: i64) -> Result<Job, Error> {
        self.job_of_kind(principal, id, task::KIND).await
    }

    /// Waits for a development task to finish, up to `timeout`.
    pub async fn wait_task(&self, principal: &Principal, id: i64, timeout: Duration) -> Result<Waited, Error> {
        self.task(principal, id).await?;
        self.engine.wait(principal, id, timeout).await
    }

    /// The events of a job of `kind`, after sequence `after`.
    pub async fn events(&self, principal: &Principal, id: i64, kind: &str, after: i64) -> Result<EventStream, Error> {
        self.job_of_kind(principal, id, kind).await?;
        self.engine.subscribe(principal, id, after).await
    }

    /// The workflow templates.
    pub fn templates(&self) -> &'static [WorkflowTemplate] {
        templates::TEMPLATES
    }

    /// Starts a workflow run from a template.
    pub async fn execute_workflow(
        &self,
        principal: &Principal,
        template: &str,
        text: &str,
        context: Value,
        quality_requirements: Value,
    ) -> Result<(Job, &'static WorkflowTemplate), Error> {
        let tpl = templates::template(template)?;
        let description = description(text)?;
        templates::validate_requirements(&quality_requirements)?;
        if !(context.is_null() || context.is_object()) {
            return Err(Error::invalid_field("context", "type_error", "context must be an object"));
        }
        self.require_llm(principal).await?;
        let input = WorkflowInput {
            template: tpl.name.into(),
            description,
            context,
            quality_requirements,
            allow_commands: self.may_run_commands(principal),
            enable_cache: false,
        };
        let input = serde_json::to_value(input).map_err(|e| Error::Internal(e.to_string()))?;
        let job = self.engine.enqueue(principal, workflow::KIND, input, once(WORKFLOW_TIMEOUT)).await?;
        Ok((job, tpl))
    }

    /// A workflow run with its gates and agent calls.
    pub async fn workflow(&self, principal: &Principal, id: i64) -> Result<WorkflowStatus, Error> {
        let job = self.job_of_kind(principal, id, workflow::KIND).await?;
        let name = job.input.get("template").and_then(Value::as_str).unwrap_or_default();
        let template =
            templates::template(name).map_err(|_| Error::Internal(format!("workflow {id} has no template")))?;
        let (gates, activities) = tokio::try_join!(self.db.job_gate_checks(id), self.db.job_activities(id))?;
        Ok(WorkflowStatus { job, template, gates, activities })
    }

    /// Gate statistics: an administrator's cover everyone, a user's their own jobs.
    pub async fn gate_report(&self, principal: &Principal) -> Result<GateReport, Error> {
        let scope = (!principal.is_admin()).then_some(principal.user_id);
        let (stats, recent_failures) =
            tokio::try_join!(self.db.gate_stats(scope), self.db.recent_gate_failures(scope, 10))?;
        Ok(GateReport { stats, recent_failures })
    }

    /// Starts a diet plan for a pet.
    pub async fn create_plan(&self, principal: &Principal, pet: PetInput) -> Result<Job, Error> {
        pet.validate()?;
        self.require_llm(principal).await?;
        let input = serde_json::to_value(&pet).map_err(|e| Error::Internal(e.to_string()))?;
        self.engine.enqueue(principal, diet::KIND, input, once(PLAN_TIMEOUT)).await
    }

    /// A diet plan's job and, once it finished, the plan. Only its owner sees it.
    pub async fn plan(&self, principal: &Principal, id: i64) -> Result<(Job, Option<DietPlanRecord>), Error> {
        let job = self.own_plan_job(principal, id).await?;
        let plan = self.db.diet_plan(id).await?;
        Ok((job, plan))
    }

    /// A diet plan's job, if it is the caller's own (administrators included: plans are private).
    pub async fn own_plan_job(&self, principal: &Principal, id: i64) -> Result<Job, Error> {
        let job = self.job_of_kind(principal, id, diet::KIND).await?;
        if job.owner_id == Some(principal.user_id) { Ok(job) } else { Err(Error::NotFound(format!("plan {id}"))) }
    }

    /// A diet plan's events after sequence `after`; only its owner may follow them.
    pub async fn plan_events(&self, principal: &Principal, id: i64, after: i64) -> Result<EventStream, Error> {
        self.own_plan_job(principal, id).await?;
        self.engine.subscribe(principal, id, after).await
    }

    /// The caller's own diet plans, newest first.
    pub async fn plans(
        &self,
        principal: &Principal,
        statuses: Vec<JobStatus>,
        offset: i64,
        limit: i64,
    ) -> Result<Page<Job>, Error> {
        let filter = JobFilter {
            owner_id: Some(principal.user_id),
            statuses,
            kind: Some(diet::KIND.into()),
            schedule_id: None,
            offset,
            limit,
            visible_to: None,
        };
        self.engine.list(principal, filter).await
    }

    /// Stops a diet plan (and its agent's LLM call), then waits up to `wait` for it to stop (on the job's
    /// event subscription); answers the job as it then is, still running if it did not stop in time.
    pub async fn cancel_plan(&self, principal: &Principal, id: i64, wait: Duration) -> Result<Job, Error> {
        self.own_plan_job(principal, id).await?;
        let job = self.engine.cancel(principal, id).await?;
        if job.status.is_final() {
            return Ok(job);
        }
        Ok(match self.engine.wait(principal, id, wait).await? {
            Waited::Finished(j) | Waited::TimedOut(j) => j,
        })
    }

    /// The figures of the LLM cache, for `/api/metrics`.
    pub fn cache_hit_rate(&self) -> f64 {
        self.llm.cache_stats().hit_rate()
    }
}
