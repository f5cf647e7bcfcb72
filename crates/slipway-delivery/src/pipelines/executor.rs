//! The pipeline run (`delivery.pipeline_run`): one engine job that runs a pipeline's steps in order in the
//! job's workspace, each a process group of its own with its timeout (or, for `http_request` and
//! `artifact_upload`, work the executor does itself), with the variables (the pipeline's, the run's on top)
//! exported to each and every secret masked as `***` in every line.
//!
//! Events it writes beside the engine's (`status`, `progress`, `stage`):
//! - `step_started` `{step, name, type}`;
//! - `log` `{step, stream, line}` for each output line;
//! - `step_finished` `{step, name, status, exit_code, duration_ms}`;
//! - `commit` `{sha}` when a checkout recorded the commit.
//!
//! The first failing step fails the run with "step '<name>' exited with code N" and marks the later steps
//! `skipped`. Cancel kills the running step's group and ends the run `cancelled` (the engine's status, never
//! `success`). A run has one attempt: a node that dies mid-run leaves its job to the reaper, which ends it
//! failed, rather than a retry that would repeat steps (a deploy, an upload) blindly.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slipway_core::{Error, Principal};
use slipway_engine::{Executor, Isolation, JobContext, JobFailure, SandboxAvailability};
use slipway_store::delivery::{NewRun, PipelineRecord, PipelineRunRecord, StepUpdate};

use super::Shared;
use super::model::TriggerKind;
use super::secrets::{self, Masker, PIPELINE_SECRET, RUN_SECRET};
use super::steps::git_checkout_auth;
use super::steps::{StepContext, StepStatus, millis};

/// The job kind.
pub const KIND: &str = "delivery.pipeline_run";

/// What a run job is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInput {
    /// The pipeline.
    pub pipeline_id: i64,
    /// The run, recorded before the job was enqueued; `None` for a scheduled run, which records itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<i64>,
}

impl RunInput {
    /// The input of a recorded run.
    pub fn of_run(pipeline_id: i64, run_id: i64) -> Self {
        Self { pipeline_id, run_id: Some(run_id) }
    }

    /// The input of the pipeline's schedule.
    pub fn scheduled(pipeline_id: i64) -> Self {
        Self { pipeline_id, run_id: None }
    }
}

/// Runs pipeline runs.
#[derive(Clone)]
pub struct PipelineRunExecutor {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PipelineRunExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineRunExecutor").finish_non_exhaustive()
    }
}

fn parse(input: &Value) -> Result<RunInput, Error> {
    serde_json::from_value(input.clone())
        .map_err(|e| Error::invalid_field("input", "value_error", format!("invalid pipeline run input: {e}")))
}

fn fatal(e: impl std::fmt::Display) -> JobFailure {
    JobFailure::fatal(e.to_string())
}

/// The run's environment and secrets, opened.
struct Opened {
    env: BTreeMap<String, String>,
    credential: Option<String>,
    masker: Arc<Masker>,
}

impl PipelineRunExecutor {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The run this job runs: the recorded one, or (a scheduled job) one it records now.
    async fn run_record(
        &self,
        ctx: &JobContext,
        input: &RunInput,
        p: &PipelineRecord,
    ) -> Result<PipelineRunRecord, JobFailure> {
        let db = &self.shared.db;
        if let Some(id) = input.run_id {
            return db
                .pipeline_run(id)
                .await
                .map_err(fatal)?
                .ok_or_else(|| fatal(format!("pipeline run {id} is gone")));
        }
        if let Some(existing) = db.pipeline_run_by_job(ctx.job_id()).await.map_err(fatal)? {
            return Ok(existing);
        }
        let steps: Vec<(String, String)> = steps_of(p).iter().map(|s| (s.0.clone(), s.1.clone())).collect();
        let new = NewRun {
            pipeline_id: p.id,
            job_id: Some(ctx.job_id()),
            trigger_type: TriggerKind::Schedule.as_str().to_owned(),
            triggered_by: None,
            trigger_details: json!({"cron": p.schedule}),
            delivery_id: None,
            branch: p.branch.clone(),
            commit_sha: None,
            variables: json!([]),
        };
        db.insert_pipeline_run(&new, &steps, slipway_core::time::now()).await.map_err(fatal)
    }

    fn open(&self, p: &PipelineRecord, run: &PipelineRunRecord) -> Result<Opened, JobFailure> {
        let sealer = &self.shared.sealer;
        let pipeline_vars =
            secrets::open_all(sealer, PIPELINE_SECRET, &secrets::stored(&p.variables)).map_err(fatal)?;
        let run_vars = secrets::open_all(sealer, RUN_SECRET, &secrets::stored(&run.variables)).map_err(fatal)?;
        let mut env = BTreeMap::from([
            ("CI".to_owned(), "true".to_owned()),
            ("SLIPWAY_PIPELINE_ID".to_owned(), p.id.to_string()),
            ("SLIPWAY_RUN_ID".to_owned(), run.id.to_string()),
            ("SLIPWAY_RUN_NUMBER".to_owned(), run.number.to_string()),
            ("SLIPWAY_BRANCH".to_owned(), run.branch.clone()),
        ]);
        let mut hidden = Vec::new();
        for v in pipeline_vars.into_iter().chain(run_vars) {
            if v.secret {
                hidden.push(v.value.clone());
            }
            env.insert(v.name, v.value);
        }
        let open = |sealed: &Option<String>| {
            sealed.as_deref().map(|s| sealer.open(PIPELINE_SECRET, s)).transpose().map_err(fatal)
        };
        let credential = open(&p.repository_credential)?;
        if let Some(c) = &credential {
            hidden.push(c.clone());
            hidden.push(git_checkout_auth(c).1);
        }
        if let Some(w) = open(&p.webhook_secret)? {
            hidden.push(w);
        }
        Ok(Opened { env, credential, masker: Arc::new(Masker::new(hidden)) })
    }
}

/// A pipeline's steps as `(name, type, config)`.
fn steps_of(p: &PipelineRecord) -> Vec<(String, String, Value)> {
    p.steps
        .as_array()
        .map(|list| {
            list.iter()
                .map(|s| {
                    let text = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                    (text("name"), text("type"), s.get("config").cloned().unwrap_or_else(|| json!({})))
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Executor for PipelineRunExecutor {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn admit(&self, principal: &Principal, sandbox: &SandboxAvailability, input: &mut Value) -> Result<(), Error> {
        parse(input)?;
        Isolation::for_principal(principal, sandbox).map(|_| ())
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        parse(input).map(|_| ())
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let input = parse(ctx.input()).map_err(fatal)?;
        let db = &self.shared.db;
        let p = db
            .pipeline(input.pipeline_id)
            .await
            .map_err(fatal)?
            .ok_or_else(|| fatal(format!("pipeline {} is gone", input.pipeline_id)))?;
        let run = self.run_record(&ctx, &input, &p).await?;
        let owner = self.shared.owner(&p).await.map_err(fatal)?;
        let availability = slipway_sandbox::current().map(|s| s.availability.clone());
        let isolation = match &availability {
            Some(a) => Isolation::for_principal(&owner, a).map_err(fatal)?,
            None if owner.is_admin() => Isolation::Host,
            None => return Err(fatal("pipeline steps of ordinary users need the command sandbox")),
        };
        let network = p.network && (owner.is_admin() || self.shared.user_network);
        let opened = self.open(&p, &run)?;
        let steps = steps_of(&p);
        let total = steps.len().max(1);
        let mut commit = run.commit_sha.clone();
        for (i, (name, kind, config)) in steps.iter().enumerate() {
            let index = i32::try_from(i).unwrap_or(i32::MAX);
            if ctx.cancellation().is_cancelled() {
                let _ = db.finish_remaining_steps(run.id, index, "skipped", slipway_core::time::now()).await;
                return Err(fatal("cancelled"));
            }
            let Some(step_type) = self.shared.types.get(kind) else {
                let _ = db.finish_remaining_steps(run.id, index, "skipped", slipway_core::time::now()).await;
                return Err(fatal(format!("step '{name}' has type {kind:?}, which this node does not run")));
            };
            let started_at = slipway_core::time::now();
            let running = StepUpdate {
                status: "running".into(),
                exit_code: None,
                started_at: Some(started_at),
                finished_at: None,
                duration_ms: None,
                log: String::new(),
            };
            db.update_run_step(run.id, index, &running).await.map_err(fatal)?;
            let _ = ctx.stage(name).await;
            let _ = ctx.emit("step_started", json!({"step": i, "name": name, "type": kind})).await;
            let step = StepContext {
                job: &ctx,
                run_id: run.id,
                index: i,
                name,
                config,
                env: &opened.env,
                isolation,
                network,
                owner_id: p.user_id,
                owner_is_admin: owner.is_admin(),
                repository_url: &p.repository_url,
                branch: &run.branch,
                commit: commit.as_deref(),
                credential: opened.credential.as_deref(),
                masker: Arc::clone(&opened.masker),
                services: &self.shared.services,
                log: Mutex::new(String::new()),
            };
            let clock = Instant::now();
            let mut outcome = step_type.kind().run(&step).await;
            if outcome.status != StepStatus::Cancelled && ctx.cancellation().is_cancelled() {
                outcome.status = StepStatus::Cancelled;
            }
            if let Some(reason) = &outcome.reason
                && outcome.status == StepStatus::Failed
            {
                step.log(reason).await;
            }
            let duration_ms = millis(clock.elapsed());
            let done = StepUpdate {
                status: outcome.status.as_str().into(),
                exit_code: outcome.exit_code,
                started_at: None,
                finished_at: Some(slipway_core::time::now()),
                duration_ms: Some(duration_ms),
                log: opened.masker.mask(&step.log_tail()),
            };
            db.update_run_step(run.id, index, &done).await.map_err(fatal)?;
            let finished = json!({
                "step": i, "name": name, "status": outcome.status.as_str(), "exit_code": outcome.exit_code,
                "duration_ms": duration_ms,
            });
            let _ = ctx.emit("step_finished", finished).await;
            if let Some(sha) = &outcome.commit {
                db.set_run_commit(run.id, sha, slipway_core::time::now()).await.map_err(fatal)?;
                let _ = ctx.emit("commit", json!({"sha": sha})).await;
                commit = Some(sha.clone());
            }
            let progress = u8::try_from((i + 1) * 100 / total).unwrap_or(100);
            let _ = ctx.progress(progress).await;
            match outcome.status {
                StepStatus::Success => {}
                StepStatus::Failed | StepStatus::Cancelled => {
                    let _ = db.finish_remaining_steps(run.id, index + 1, "skipped", slipway_core::time::now()).await;
                    let reason = outcome.reason.unwrap_or_else(|| format!("step '{name}' failed"));
                    return Err(JobFailure::fatal(reason));
                }
            }
        }
        Ok(json!({ "run_id": run.id, "steps": steps.len(), "commit": commit }))
    }
}
