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
use slipway_store::ops::{DeploymentRecord, DeploymentTargetRecord, TargetUpdate};
use tokio_util::sync::CancellationToken;

use super::remote;
use super::source;
use super::spec::{Source, Spec, plan};
use super::step::{On, Runner, StepEnd};
use crate::servers::Servers;
use crate::ssh::{ExecOptions, SshTarget, Stream};

/// The job kind.
pub const KIND: &str = "ops.deploy";
/// How long switching back after a cancel may take.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(60);

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

/// How one server went.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ServerEnd {
    Success,
    Failed(String),
    Cancelled,
}

/// One deployment being run.
struct Deployment<'a> {
    runner: Runner<'a>,
    record: &'a DeploymentRecord,
    spec: &'a Spec,
    source: &'a Source,
    owner: &'a Principal,
    servers: &'a Servers,
    plan: Vec<&'static str>,
    release: String,
    tar: Option<PathBuf>,
}

impl Deployment<'_> {
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.spec.timeout_secs.max(1))
    }

    async fn set_target(&self, position: i32, u: TargetUpdate) {
        let _ = self.runner.db.update_deployment_target(self.record.id, position, &u).await;
    }

    async fn end_server(&self, t: &DeploymentTargetRecord, end: ServerEnd) -> ServerEnd {
        let (status, error) = match &end {
            ServerEnd::Success => ("success", None),
            ServerEnd::Failed(why) => ("failed", Some(why.clone())),
            ServerEnd::Cancelled => ("cancelled", None),
        };
        let now = slipway_core::time::now();
        let rest = if status == "failed" { "skipped" } else { status };
        let _ = self.runner.db.finish_remaining_deployment_steps(self.record.id, t.position, rest, now).await;
        let u = TargetUpdate { status: status.into(), error, finished_at: Some(now), ..TargetUpdate::default() };
        self.set_target(t.position, u).await;
        end
    }

    /// The release `current` points at on the server now, if it is one of Slipway's.
    async fn current_release(&self, target: &SshTarget) -> Result<Option<String>, String> {
        let script = remote::inspect(&self.spec.deploy_path);
        let options = ExecOptions { timeout: Some(RECOVERY_TIMEOUT), ..ExecOptions::default() };
        let exec = self.runner.pool.exec(target, &script, options).await.map_err(|e| e.to_string())?;
        let (lines, end) = exec.collect().await;
        end.map_err(|e| e.to_string())?;
        Ok(lines
            .into_iter()
            .filter(|l| l.stream == Stream::Stdout)
            .map(|l| l.text.trim().to_owned())
            .find(|l| remote::is_release_name(l)))
    }

    /// Appends step `name` and runs `script` with its own time limit (it runs after a failure or a cancel).
    async fn extra_step(&self, on: &On<'_>, name: &str, script: &str) -> StepEnd {
        let Ok(index) = self.runner.db.append_deployment_step(self.record.id, on.position, name).await else {
            return StepEnd::Failed(format!("cannot record step '{name}'"));
        };
        let fresh = CancellationToken::new();
        self.runner.step(on, index, name, script, None, self.timeout().min(RECOVERY_TIMEOUT), &fresh).await
    }

    /// After a failure or a cancel: `current` back to `previous` (or removed when there was none) if the
    /// switch happened, then — after a failure — the rollback command.
    async fn recover(&self, on: &On<'_>, switched: bool, previous: Option<&str>, failed: bool) {
        let path = &self.spec.deploy_path;
        if switched {
            let script = previous.map_or_else(|| remote::unlink_current(path), |p| remote::switch(path, p));
            self.extra_step(on, "switch_back", &script).await;
        }
        if let (true, Some(cmd)) = (failed, &self.spec.rollback) {
            // Switched back or never switched, `current` is the previous release again.
            let script = remote::rollback(path, &self.release, previous, cmd);
            self.extra_step(on, "rollback", &script).await;
        }
    }

    fn script(&self, name: &str, previous: Option<&str>) -> Option<String> {
        let (path, release) = (self.spec.deploy_path.as_str(), self.release.as_str());
        let in_release = |c: &Option<String>| c.as_deref().map(|c| remote::in_release(path, release, previous, c));
        match name {
            "upload" => Some(remote::upload(path, release)),
            "pre_deploy" => in_release(&self.spec.pre_deploy),
            "deploy" => in_release(&self.spec.deploy),
            "switch" => Some(remote::switch(path, release)),
            "post_deploy" => in_release(&self.spec.post_deploy),
            "health_check" => Some(remote::health_check(self.spec, release, previous)),
            "prune" => Some(remote::prune(path, self.spec.keep_releases)),
            _ => None,
        }
    }

    /// Deploys the release to one server.
    async fn deploy_to(&self, t: &DeploymentTargetRecord) -> ServerEnd {
        let now = slipway_core::time::now();
        self.set_target(
            t.position,
            TargetUpdate { status: "running".into(), started_at: Some(now), ..TargetUpdate::default() },
        )
        .await;
        let Some(server_id) = t.server_id else {
            return self.end_server(t, ServerEnd::Failed("the server was deleted".into())).await;
        };
        let target = match self.servers.job_target(self.owner, server_id).await {
            Ok(target) => target,
            Err(e) => return self.end_server(t, ServerEnd::Failed(format!("cannot connect: {e}"))).await,
        };
        let on = On {
            deployment_id: self.record.id,
            position: t.position,
            server_id,
            server_name: &t.server_name,
            target: &target,
        };
        if let Source::Rollback { deployment_id } = self.source {
            return self.roll_back(t, &on, *deployment_id).await;
        }
        let previous = match self.current_release(&target).await {
            Ok(p) => p,
            Err(e) => return self.end_server(t, ServerEnd::Failed(format!("cannot read current: {e}"))).await,
        };
        let u = TargetUpdate {
            status: "running".into(),
            release: Some(self.release.clone()),
            previous_release: previous.clone(),
            ..TargetUpdate::default()
        };
        self.set_target(t.position, u).await;
        let cancel = self.runner.ctx.cancellation();
        let mut switched = false;
        for (i, name) in self.plan.iter().enumerate() {
            let index = i32::try_from(i).unwrap_or(i32::MAX);
            if cancel.is_cancelled() {
                self.recover(&on, switched, previous.as_deref(), false).await;
                return self.end_server(t, ServerEnd::Cancelled).await;
            }
            let Some(script) = self.script(name, previous.as_deref()) else { continue };
            let stdin = if *name == "upload" { self.tar.as_deref() } else { None };
            match self.runner.step(&on, index, name, &script, stdin, self.timeout(), cancel).await {
                StepEnd::Success => switched |= *name == "switch",
                StepEnd::Failed(why) => {
                    self.recover(&on, switched, previous.as_deref(), true).await;
                    return self.end_server(t, ServerEnd::Failed(why)).await;
                }
                StepEnd::Cancelled => {
                    self.recover(&on, switched, previous.as_deref(), false).await;
                    return self.end_server(t, ServerEnd::Cancelled).await;
                }
            }
        }
        self.end_server(t, ServerEnd::Success).await
    }

    /// Switches one server of an undone deployment back to the release before it, then runs `rollback`.
    async fn roll_back(&self, t: &DeploymentTargetRecord, on: &On<'_>, undone: i64) -> ServerEnd {
        let Some(release) = t.release.as_deref().filter(|r| remote::is_release_name(r)) else {
            let why = format!("there is no release before deployment {undone}'s on this server");
            return self.end_server(t, ServerEnd::Failed(why)).await;
        };
        let cancel = self.runner.ctx.cancellation();
        let path = &self.spec.deploy_path;
        let mut steps = vec![("switch", remote::switch(path, release))];
        if let Some(cmd) = &self.spec.rollback {
            let undone_release = t.previous_release.as_deref().unwrap_or_default();
            steps.push(("rollback", remote::rollback(path, undone_release, Some(release), cmd)));
        }
        for (i, (name, script)) in steps.iter().enumerate() {
            let index = i32::try_from(i).unwrap_or(i32::MAX);
            match self.runner.step(on, index, name, script, None, self.timeout(), cancel).await {
                StepEnd::Success => {}
                StepEnd::Failed(why) => return self.end_server(t, ServerEnd::Failed(why)).await,
                StepEnd::Cancelled => return self.end_server(t, ServerEnd::Cancelled).await,
            }
        }
        self.end_server(t, ServerEnd::Success).await
    }
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
