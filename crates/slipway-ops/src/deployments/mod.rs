//! qoder's deployments: a source (a git ref, or a pipeline run's artifacts) released onto servers over SSH by one engine job each
//! ([`executor`]), with per-server, per-step records and live events, cancel, and rollback to the release
//! before.
//!
//! Rule: the same as for servers — administrators and the operators they granted may list, see, create,
//! cancel and roll back every deployment ([`Servers::require_operator`]); everyone else is refused (403). A git
//! repository passes the outbound policy as the caller's when the deployment is made and as its owner's when
//! it runs; a pipeline run's artifacts are the caller's to release only if they may see the run (its
//! pipeline's owner, or an administrator), checked again as the owner when it runs. The job runs with the service's rights: it opens each server's connection through [`Servers`].

mod executor;
mod input;
mod remote;
mod source;
mod spec;
mod step;
mod target;
mod view;

use serde_json::json;
use slipway_core::{Error, FieldError, Principal, Role};
use slipway_engine::{Engine, EngineBuilder, EnqueueOptions, Page};
use slipway_outbound::OutboundPolicy;
use slipway_store::Db;
use slipway_store::ops::{DEPLOYMENT_STATUSES, DeploymentRecord, NewDeployment as DeploymentRow, NewTarget};

pub use executor::{DeployExecutor, DeployInput, DeploySettings, KIND};
pub use input::{HealthCheckInput, NewDeployment, SourceInput};
pub use slipway_store::ops::DeploymentFilter;
pub use spec::{HealthCheck, Source, Spec, Strategy};
pub use step::LOG_MAX;
pub use view::{DeploymentView, StepView, TargetView};

use crate::servers::Servers;
use crate::servers::input::Problems;

/// Registers the deployment executor on an engine being built; the same settings then build the service.
pub fn register(builder: EngineBuilder, settings: &DeploySettings) -> EngineBuilder {
    builder.executor(DeployExecutor::new(settings.clone()))
}

/// The deployments service.
#[derive(Clone)]
pub struct Deployments {
    engine: Engine,
    db: Db,
    servers: Servers,
    policy: OutboundPolicy,
}

impl std::fmt::Debug for Deployments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deployments").finish_non_exhaustive()
    }
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("deployment {id}"))
}

fn finished(status: &str) -> bool {
    matches!(status, "success" | "failed" | "cancelled")
}

impl Deployments {
    /// The service over an engine that has the executor registered (see [`register`]).
    pub fn new(engine: Engine, settings: DeploySettings) -> Self {
        Self { engine, db: settings.db, servers: settings.servers, policy: settings.policy }
    }

    async fn record(&self, id: i64) -> Result<DeploymentRecord, Error> {
        self.db.deployment(id).await?.ok_or_else(|| not_found(id))
    }

    async fn full(&self, id: i64) -> Result<DeploymentView, Error> {
        let d = self.record(id).await?;
        let (targets, steps) = tokio::try_join!(self.db.deployment_targets(id), self.db.deployment_steps(id))?;
        view::view(d, targets, steps)
    }

    /// A page of deployments, newest first, with their servers (not their steps).
    pub async fn list(
        &self,
        caller: &Principal,
        filter: DeploymentFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Page<DeploymentView>, Error> {
        self.servers.require_operator(caller).await?;
        if let Some(s) = filter.status.as_deref().filter(|s| !DEPLOYMENT_STATUSES.contains(s)) {
            return Err(Error::Validation(vec![FieldError::query(
                "status",
                "value_error",
                format!("status is one of {}, not {s:?}", DEPLOYMENT_STATUSES.join(", ")),
            )]));
        }
        let (records, total) = self.db.list_deployments(&filter, offset, limit).await?;
        let mut items = Vec::with_capacity(records.len());
        for d in records {
            let targets = self.db.deployment_targets(d.id).await?;
            items.push(view::view(d, targets, Vec::new())?);
        }
        Ok(Page { items, total })
    }

    /// One deployment with every step on every server.
    pub async fn get(&self, caller: &Principal, id: i64) -> Result<DeploymentView, Error> {
        self.servers.require_operator(caller).await?;
        self.full(id).await
    }

    /// Creates a deployment and queues its job.
    pub async fn create(&self, caller: &Principal, new: NewDeployment) -> Result<DeploymentView, Error> {
        self.servers.require_operator(caller).await?;
        let mut p = Problems::default();
        let ids = input::server_ids(&mut p, new.server_id, &new.server_ids);
        let (name, spec, source) = input::check(&mut p, &new, ids.len());
        let mut targets = Vec::with_capacity(ids.len());
        for id in &ids {
            match self.db.server(*id).await? {
                Some(s) => targets.push(NewTarget {
                    server_id: s.id,
                    server_name: s.name,
                    release: None,
                    previous_release: None,
                }),
                None => p.add("server_ids", "value_error", format!("server {id} does not exist")),
            }
        }
        match &source {
            Some(Source::Git { repository, .. }) if !repository.is_empty() => {
                if let Err(m) = source::check_repository(&self.policy, caller, repository).await {
                    p.add("source.repository", "value_error", m);
                }
            }
            Some(Source::Artifacts { pipeline_run_id }) => {
                if let Err(m) = source::run_artifacts(&self.db, caller, *pipeline_run_id).await {
                    p.add("source.pipeline_run_id", "value_error", m);
                }
            }
            _ => {}
        }
        p.into_result()?;
        let Some(source) = source else { return Err(Error::Internal("no source".into())) };
        let row = DeploymentRow {
            owner_id: caller.user_id,
            name,
            kind: "deploy".into(),
            rollback_of: None,
            source: serde_json::to_value(&source).map_err(|e| Error::Internal(e.to_string()))?,
            spec: serde_json::to_value(&spec).map_err(|e| Error::Internal(e.to_string()))?,
        };
        self.start(caller, &row, &targets, &spec::plan(&source, &spec)).await
    }

    async fn start(
        &self,
        caller: &Principal,
        row: &DeploymentRow,
        targets: &[NewTarget],
        steps: &[&str],
    ) -> Result<DeploymentView, Error> {
        let d = self.db.insert_deployment(row, targets, steps, slipway_core::time::now()).await?;
        // One attempt: a deployment never repeats steps blindly after a node died (see the executor).
        let options = EnqueueOptions { max_attempts: 1, ..EnqueueOptions::default() };
        let input = json!({"deployment_id": d.id});
        match self.engine.enqueue_system(Some(caller.user_id), KIND, input, options).await {
            Ok(job) => self.db.set_deployment_job(d.id, job.id).await?,
            Err(e) => {
                self.db.delete_deployment(d.id).await?;
                return Err(e);
            }
        }
        self.full(d.id).await
    }

    /// Cancels a deployment that has not finished: a queued one never starts; a running one has its remote
    /// command's process group killed, a server already switched is switched back, and it ends `cancelled`.
    /// Records who cancelled it. A finished deployment is a conflict.
    pub async fn cancel(&self, caller: &Principal, id: i64) -> Result<DeploymentView, Error> {
        self.servers.require_operator(caller).await?;
        let d = self.record(id).await?;
        let Some(job_id) = d.job_id else {
            return Err(Error::Conflict(format!("deployment {id} has no job to cancel")));
        };
        if finished(&d.status) {
            return Err(Error::Conflict(format!("deployment {id} already finished ({})", d.status)));
        }
        // The service authorized the caller; the engine is asked as the job's owner (or, when that user is
        // gone, as an administrator would).
        let owner = match d.owner_id {
            Some(user_id) => Principal { user_id, username: String::new(), role: Role::User },
            None => Principal { user_id: caller.user_id, username: String::new(), role: Role::Admin },
        };
        let job = self.engine.cancel(&owner, job_id).await?;
        let now = slipway_core::time::now();
        self.db.set_deployment_cancelled_by(id, caller.user_id, now).await?;
        if job.status.is_final() {
            // It never started: no executor will end its servers.
            self.db.finish_remaining_targets(id, "cancelled", now).await?;
        }
        self.full(id).await
    }

    /// Rolls a finished deployment back: a new deployment (kind `rollback`, its own job) switches each server
    /// where this one's release is current back to the release before it, then runs the `rollback` command.
    pub async fn rollback(&self, caller: &Principal, id: i64) -> Result<DeploymentView, Error> {
        self.servers.require_operator(caller).await?;
        let d = self.record(id).await?;
        if d.kind != "deploy" {
            return Err(Error::Conflict(format!("deployment {id} is itself a rollback")));
        }
        if !finished(&d.status) {
            return Err(Error::Conflict(format!("deployment {id} has not finished ({})", d.status)));
        }
        let spec: Spec = serde_json::from_value(d.spec.clone()).map_err(|e| Error::Internal(e.to_string()))?;
        let targets: Vec<NewTarget> = self
            .db
            .deployment_targets(id)
            .await?
            .into_iter()
            .filter(|t| t.status == "success")
            .filter_map(|t| {
                Some(NewTarget {
                    server_id: t.server_id?,
                    server_name: t.server_name,
                    release: t.previous_release,
                    previous_release: t.release,
                })
            })
            .collect();
        if targets.is_empty() {
            return Err(Error::Conflict(format!("no server has deployment {id}'s release to roll back")));
        }
        let source = Source::Rollback { deployment_id: id };
        let spec = Spec { strategy: Strategy::Sequential, batch_size: 1, ..spec };
        let row = DeploymentRow {
            owner_id: caller.user_id,
            name: format!("rollback of {}", d.name).chars().take(200).collect(),
            kind: "rollback".into(),
            rollback_of: Some(id),
            source: serde_json::to_value(&source).map_err(|e| Error::Internal(e.to_string()))?,
            spec: serde_json::to_value(&spec).map_err(|e| Error::Internal(e.to_string()))?,
        };
        self.start(caller, &row, &targets, &spec::plan(&source, &spec)).await
    }
}
