//! Runs: start one (by hand, or for the webhooks and schedules with [`Pipelines::start_run_system`]), list a
//! pipeline's, read one with its steps, cancel one (recording who), restart a finished one, and its artifacts.
//! Starting only records the run and enqueues its job: it answers at once.

use std::collections::BTreeMap;

use serde_json::json;
use slipway_core::{Error, Principal};
use slipway_engine::{EnqueueOptions, EventStream, Isolation};
use slipway_files::BlobStream;
use slipway_store::delivery::{ArtifactRecord, NewRun, PipelineRecord, PipelineRunRecord};

use super::Pipelines;
use super::executor::{KIND, RunInput};
use super::model::{Listed, RunDetail, Trigger, TriggerKind};
use super::secrets::{self, RUN_SECRET, VariableInput};
use super::validate::{check_variables, valid_branch};

/// A run's variables as a client sends them: plain ones, and secret ones (sealed, masked in logs).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunVariables {
    /// Exported as given.
    pub plain: BTreeMap<String, String>,
    /// Exported, but sealed when stored and masked as `***` in every log line.
    pub secret: BTreeMap<String, String>,
}

impl Pipelines {
    /// Starts a run of the pipeline by hand (`branch` defaults to the pipeline's). It runs with the owner's
    /// rights; without the sandbox only administrators' pipelines may run, and the refusal says why.
    pub async fn run(
        &self,
        principal: &Principal,
        id: i64,
        branch: Option<String>,
        variables: RunVariables,
    ) -> Result<PipelineRunRecord, Error> {
        let p = self.pipeline_for(principal, id).await?;
        if !p.is_active {
            return Err(Error::Conflict(format!("pipeline {id} is inactive")));
        }
        let trigger =
            Trigger { kind: TriggerKind::Manual, by: Some(principal.user_id), details: json!({}), delivery_id: None };
        self.start(&p, trigger, branch, None, variables).await
    }

    /// Starts a run for a trusted caller inside Slipway (a verified webhook delivery, a schedule): no
    /// principal is checked beyond the owner's own right to run. Answers as soon as the job is enqueued.
    pub async fn start_run_system(
        &self,
        pipeline_id: i64,
        trigger: Trigger,
        branch: Option<String>,
        commit: Option<String>,
        variables: RunVariables,
    ) -> Result<PipelineRunRecord, Error> {
        let p = self
            .shared
            .db
            .pipeline(pipeline_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("pipeline {pipeline_id}")))?;
        self.start(&p, trigger, branch, commit, variables).await
    }

    async fn start(
        &self,
        p: &PipelineRecord,
        trigger: Trigger,
        branch: Option<String>,
        commit: Option<String>,
        variables: RunVariables,
    ) -> Result<PipelineRunRecord, Error> {
        let owner = self.shared.owner(p).await?;
        Isolation::for_principal(&owner, self.engine.sandbox())?;
        let branch = branch.filter(|b| !b.is_empty()).unwrap_or_else(|| p.branch.clone());
        let mut problems = Vec::new();
        if !valid_branch(&branch) {
            problems.push(slipway_core::FieldError::body("branch", "value_error", "not a valid branch name"));
        }
        if commit.as_deref().is_some_and(|c| !(7..=64).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            problems.push(slipway_core::FieldError::body("commit", "value_error", "not a commit id"));
        }
        let all = variables.plain.iter().chain(variables.secret.iter());
        let pairs: Vec<(&str, Option<&str>)> = all.map(|(k, v)| (k.as_str(), Some(v.as_str()))).collect();
        check_variables(pairs.into_iter(), &mut problems);
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        let inputs: Vec<VariableInput> = variables
            .plain
            .into_iter()
            .map(|(name, value)| VariableInput { name, value: Some(value), secret: false })
            .chain(variables.secret.into_iter().map(|(name, value)| VariableInput {
                name,
                value: Some(value),
                secret: true,
            }))
            .collect();
        let sealed = secrets::seal_all(&self.shared.sealer, RUN_SECRET, &inputs, &[])?;
        let steps: Vec<(String, String)> = p
            .steps
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|s| {
                        (
                            s["name"].as_str().unwrap_or_default().to_owned(),
                            s["type"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let new = NewRun {
            pipeline_id: p.id,
            job_id: None,
            trigger_type: trigger.kind.as_str().to_owned(),
            triggered_by: trigger.by,
            trigger_details: trigger.details,
            delivery_id: trigger.delivery_id,
            branch,
            commit_sha: commit,
            variables: serde_json::to_value(sealed).map_err(|e| Error::Internal(format!("run variables: {e}")))?,
        };
        let run = self.shared.db.insert_pipeline_run(&new, &steps, slipway_core::time::now()).await?;
        let input = serde_json::to_value(RunInput::of_run(p.id, run.id))
            .map_err(|e| Error::Internal(format!("a run input: {e}")))?;
        // One attempt: a run never repeats steps blindly after a node died (see the executor).
        let options = EnqueueOptions { max_attempts: 1, ..EnqueueOptions::default() };
        match self.engine.enqueue_system(Some(p.user_id), KIND, input, options).await {
            Ok(job) => self.shared.db.set_run_job(run.id, job.id).await?,
            Err(e) => {
                self.shared.db.delete_pipeline_run(run.id).await?;
                return Err(e);
            }
        }
        self.run_record(run.id).await
    }

    async fn run_record(&self, run_id: i64) -> Result<PipelineRunRecord, Error> {
        self.shared.db.pipeline_run(run_id).await?.ok_or_else(|| Error::NotFound(format!("pipeline run {run_id}")))
    }

    /// A page of a pipeline's runs, newest first.
    pub async fn runs(
        &self,
        principal: &Principal,
        id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Listed<PipelineRunRecord>, Error> {
        let p = self.pipeline_for(principal, id).await?;
        let (items, total) = self.shared.db.list_pipeline_runs(p.id, offset, limit).await?;
        Ok(Listed { items, total })
    }

    /// A run with its steps, variables (secrets as `***`) and artifacts.
    pub async fn run_detail(&self, principal: &Principal, run_id: i64) -> Result<RunDetail, Error> {
        let run = self.run_for(principal, run_id).await?;
        let db = &self.shared.db;
        let (pipeline, steps, artifacts) =
            tokio::try_join!(db.pipeline(run.pipeline_id), db.run_steps(run.id), db.run_artifacts(run.id))?;
        let variables = secrets::stored(&run.variables)
            .into_iter()
            .map(|v| {
                let shown = if v.secret { secrets::MASK.to_owned() } else { v.value.unwrap_or_default() };
                (v.name, shown)
            })
            .collect();
        Ok(RunDetail { pipeline_name: pipeline.map(|p| p.name).unwrap_or_default(), run, steps, variables, artifacts })
    }

    /// Cancels a run that has not finished: a queued one never starts; a running one has its step's process
    /// group killed and ends `cancelled`. Records who cancelled it. A finished run is a conflict.
    pub async fn cancel(&self, principal: &Principal, run_id: i64) -> Result<PipelineRunRecord, Error> {
        let run = self.run_for(principal, run_id).await?;
        let Some(job_id) = run.job_id else {
            return Err(Error::Conflict(format!("pipeline run {run_id} has no job to cancel")));
        };
        if matches!(run.status.as_str(), "success" | "failed" | "cancelled") {
            return Err(Error::Conflict(format!("pipeline run {run_id} already finished ({})", run.status)));
        }
        // The service authorized the caller; the engine is asked as the job's owner (the pipeline's).
        let owner = Principal { user_id: run.owner_id, username: String::new(), role: slipway_core::Role::User };
        self.engine.cancel(&owner, job_id).await?;
        self.shared.db.set_run_cancelled_by(run.id, principal.user_id, slipway_core::time::now()).await?;
        self.run_record(run_id).await
    }

    /// Starts a new run of a finished run's pipeline with the same branch, commit and variables
    /// (trigger `restart`).
    pub async fn restart(&self, principal: &Principal, run_id: i64) -> Result<PipelineRunRecord, Error> {
        let run = self.run_for(principal, run_id).await?;
        if !matches!(run.status.as_str(), "success" | "failed" | "cancelled") {
            return Err(Error::Conflict(format!("pipeline run {run_id} has not finished ({})", run.status)));
        }
        let p = self.pipeline_for(principal, run.pipeline_id).await?;
        let opened = secrets::open_all(&self.shared.sealer, RUN_SECRET, &secrets::stored(&run.variables))?;
        let mut variables = RunVariables::default();
        for v in opened {
            if v.secret {
                variables.secret.insert(v.name, v.value)
            } else {
                variables.plain.insert(v.name, v.value)
            };
        }
        let trigger = Trigger {
            kind: TriggerKind::Restart,
            by: Some(principal.user_id),
            details: json!({"restarted_from": run.id}),
            delivery_id: None,
        };
        self.start(&p, trigger, Some(run.branch), run.commit_sha, variables).await
    }

    /// A run's artifacts.
    pub async fn artifacts(&self, principal: &Principal, run_id: i64) -> Result<Vec<ArtifactRecord>, Error> {
        let run = self.run_for(principal, run_id).await?;
        Ok(self.shared.db.run_artifacts(run.id).await?)
    }

    /// One artifact's record and content, streamed from the file store.
    pub async fn artifact(
        &self,
        principal: &Principal,
        run_id: i64,
        artifact_id: i64,
    ) -> Result<(ArtifactRecord, BlobStream), Error> {
        let run = self.run_for(principal, run_id).await?;
        let record = self
            .shared
            .db
            .run_artifact(run.id, artifact_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("artifact {artifact_id}")))?;
        let (_, stream) = self
            .shared
            .services
            .blobs
            .get_stream(&record.sha256)
            .await
            .map_err(|e| Error::NotFound(format!("artifact {artifact_id}: {e}")))?;
        Ok((record, stream))
    }

    /// The run's job events from sequence `after` on, then live ones, for a live view (map each with
    /// [`super::events::RunEvent::from_job_event`]). The stream ends after the run's final status.
    pub async fn follow(&self, principal: &Principal, run_id: i64, after: i64) -> Result<EventStream, Error> {
        let run = self.run_for(principal, run_id).await?;
        let Some(job_id) = run.job_id else { return Err(Error::NotFound(format!("pipeline run {run_id}"))) };
        let owner = Principal { user_id: run.owner_id, username: String::new(), role: slipway_core::Role::User };
        self.engine.subscribe(&owner, job_id, after).await
    }
}
