//! The deployment job (`ops.deploy`): one engine job per deployment (or rollback of one), so it is queued,
//! leased, cancelled, timed and streamed like every other long thing in Slipway.
//!
//! A deployment makes its release once on the Slipway host (a tar file in the job's workspace), then takes its
//! servers in order: one at a time (`sequential`), or `batch_size` at once. On each server it streams the tar
//! into `releases/<UTC timestamp>-<id>`, runs `pre_deploy` and `deploy` there, switches `current` atomically,
//! runs `post_deploy` and the health check, and prunes old releases. A failing step switches `current` back
//! to the release before (or removes it when there was none), runs the `rollback` command, and fails that
//! server with the step's name and exit code; the servers after it are `skipped`. Cancel kills the running
//! remote command's process group, switches back a server already switched, and ends the rest `cancelled`.
//! A rollback switches each server to the release recorded as before the undone deployment's.
//!
//! Events beside the engine's: `step_started`, `log` (`stream`, `line`) and `step_finished` (`status`,
//! `exit_code`, `duration_ms`), each naming `server_id`, `server`, `position`, `step` and `name`. A deployment
//! has one attempt: a node that dies mid-deployment leaves the job to the reaper rather than repeating steps.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slipway_core::{Error, Principal, Role};
use slipway_engine::{Executor, JobContext, JobFailure};
use slipway_files::BlobStore;
use slipway_outbound::OutboundPolicy;
use slipway_store::Db;
use slipway_store::ops::DeploymentRecord;

use super::remote;
use super::source;
use super::spec::{Source, Spec, plan};
use super::step::Runner;
use super::target::{Deployment, ServerEnd};
use crate::servers::Servers;

/// The job kind.
pub const KIND: &str = "ops.deploy";

/// What a deployment job is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployInput {
    /// The deployment, recorded before the job was queued.
    pub deployment_id: i64,
}

/// What the deployment job and the service share.
#[derive(Debug, Clone)]
pub struct DeploySettings {
    /// The store.
    pub db: Db,
    /// The servers, for their connections (the job opens its targets through them).
    pub servers: Servers,
    /// The policy for repository URLs.
    pub policy: OutboundPolicy,
    /// The file store pipeline runs' artifacts are in.
    pub blobs: BlobStore,
}

/// Runs deployments.
#[derive(Debug, Clone)]
pub struct DeployExecutor {
    settings: Arc<DeploySettings>,
}

impl DeployExecutor {
    /// The executor over `settings`.
    pub fn new(settings: DeploySettings) -> Self {
        Self { settings: Arc::new(settings) }
    }
}

fn parse(input: &Value) -> Result<DeployInput, Error> {
    serde_json::from_value(input.clone())
        .map_err(|e| Error::invalid_field("input", "value_error", format!("invalid deployment input: {e}")))
}

fn fatal(e: impl std::fmt::Display) -> JobFailure {
    JobFailure::fatal(e.to_string())
}

impl DeployExecutor {
    async fn owner(&self, d: &DeploymentRecord) -> Result<Principal, JobFailure> {
        let id = d.owner_id.ok_or_else(|| fatal("the user who asked for this deployment is gone"))?;
        let user = self.settings.db.user_by_id(id).await.map_err(fatal)?;
        let user = user.ok_or_else(|| fatal("the user who asked for this deployment is gone"))?;
        let role = if user.role == "admin" { Role::Admin } else { Role::User };
        Ok(Principal { user_id: id, username: user.username, role })
    }

    /// The release tar, made on this host.
    async fn make_release(
        &self,
        ctx: &JobContext,
        source: &Source,
        owner: &Principal,
        timeout: Duration,
    ) -> Result<Option<PathBuf>, JobFailure> {
        match source {
            Source::Git { repository, git_ref } => {
                source::check_repository(&self.settings.policy, owner, repository)
                    .await
                    .map_err(|e| fatal(format!("source: {e}")))?;
                let _ = ctx.stage("source").await;
                let tar = source::git_release(
                    ctx.workspace(),
                    repository,
                    git_ref,
                    owner.is_admin(),
                    timeout,
                    ctx.cancellation(),
                )
                .await
                .map_err(|e| fatal(format!("source: {e}")))?;
                let size = tokio::fs::metadata(&tar).await.map(|m| m.len()).unwrap_or(0);
                let _ = ctx.emit("release", json!({"repository": repository, "ref": git_ref, "bytes": size})).await;
                Ok(Some(tar))
            }
            Source::Artifacts { pipeline_run_id } => {
                let artifacts = source::run_artifacts(&self.settings.db, owner, *pipeline_run_id)
                    .await
                    .map_err(|e| fatal(format!("source: {e}")))?;
                let _ = ctx.stage("source").await;
                let blobs = &self.settings.blobs;
                let tar = source::artifacts_release(ctx.workspace(), blobs, &artifacts, timeout, ctx.cancellation())
                    .await
                    .map_err(|e| fatal(format!("source: {e}")))?;
                let size = tokio::fs::metadata(&tar).await.map(|m| m.len()).unwrap_or(0);
                let about = json!({"pipeline_run_id": pipeline_run_id, "files": artifacts.len(), "bytes": size});
                let _ = ctx.emit("release", about).await;
                Ok(Some(tar))
            }
            Source::Rollback { .. } => Ok(None),
        }
    }
}

impl Executor for DeployExecutor {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        parse(input).map(|_| ())
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let input = parse(ctx.input()).map_err(fatal)?;
        let db = &self.settings.db;
        let record = db
            .deployment(input.deployment_id)
            .await
            .map_err(fatal)?
            .ok_or_else(|| fatal(format!("deployment {} is gone", input.deployment_id)))?;
        let spec: Spec = serde_json::from_value(record.spec.clone()).map_err(fatal)?;
        let source: Source = serde_json::from_value(record.source.clone()).map_err(fatal)?;
        let targets = db.deployment_targets(record.id).await.map_err(fatal)?;
        let owner = self.owner(&record).await?;
        let timeout = Duration::from_secs(spec.timeout_secs.max(1));
        let tar = match self.make_release(&ctx, &source, &owner, timeout).await {
            Ok(tar) => tar,
            Err(e) => {
                let status = if ctx.cancellation().is_cancelled() { "cancelled" } else { "skipped" };
                let _ = db.finish_remaining_targets(record.id, status, slipway_core::time::now()).await;
                return Err(e);
            }
        };
        let release = match &source {
            Source::Rollback { .. } => String::new(),
            _ => remote::release_name(slipway_core::time::now(), record.id),
        };
        let run = Deployment {
            runner: Runner { ctx: &ctx, db, pool: self.settings.servers.pool() },
            record: &record,
            spec: &spec,
            source: &source,
            owner: &owner,
            servers: &self.settings.servers,
            plan: plan(&source, &spec),
            release: release.clone(),
            tar,
        };
        let size = if spec.strategy == super::spec::Strategy::Batch { spec.batch_size.max(1) } else { 1 };
        let total = targets.len().max(1);
        let mut done = 0usize;
        let mut succeeded = 0usize;
        for batch in targets.chunks(size) {
            if ctx.cancellation().is_cancelled() {
                break;
            }
            let ends = futures_util::future::join_all(batch.iter().map(|t| run.deploy_to(t))).await;
            done += batch.len();
            succeeded += ends.iter().filter(|e| **e == ServerEnd::Success).count();
            let _ = ctx.progress(u8::try_from(done * 100 / total).unwrap_or(100)).await;
            let failed = batch.iter().zip(&ends).find_map(|(t, e)| match e {
                ServerEnd::Failed(why) => Some(format!("server {:?}: {why}", t.server_name)),
                _ => None,
            });
            if let Some(why) = failed {
                let _ = db.finish_remaining_targets(record.id, "skipped", slipway_core::time::now()).await;
                let output = json!({"deployment_id": record.id, "release": release, "succeeded": succeeded});
                return Err(fatal(why).with_output(output));
            }
        }
        if ctx.cancellation().is_cancelled() {
            let _ = db.finish_remaining_targets(record.id, "cancelled", slipway_core::time::now()).await;
            return Err(fatal("cancelled"));
        }
        Ok(json!({"deployment_id": record.id, "release": release, "servers": targets.len(), "succeeded": succeeded}))
    }
}
