//! One deployment being run, server by server: the steps of a release on one server (upload, the caller's
//! commands, the atomic switch, the health check, pruning), switching back and the rollback command after a
//! failure or a cancel, and a rollback's switch to the release before.

use std::path::PathBuf;
use std::time::Duration;

use slipway_core::Principal;
use slipway_store::ops::{DeploymentRecord, DeploymentTargetRecord, TargetUpdate};
use tokio_util::sync::CancellationToken;

use super::remote;
use super::spec::{Source, Spec};
use super::step::{On, Runner, Step, StepEnd};
use crate::servers::Servers;
use crate::ssh::{ExecOptions, SshTarget, Stream};

/// How long switching back after a cancel may take.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// How one server went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ServerEnd {
    /// Every step succeeded.
    Success,
    /// A step failed, and why.
    Failed(String),
    /// The deployment was cancelled.
    Cancelled,
}

/// One deployment being run.
pub(super) struct Deployment<'a> {
    /// Runs the steps.
    pub runner: Runner<'a>,
    /// The deployment.
    pub record: &'a DeploymentRecord,
    /// What it runs.
    pub spec: &'a Spec,
    /// What it releases.
    pub source: &'a Source,
    /// Who asked for it (servers are opened as theirs).
    pub owner: &'a Principal,
    /// Opens the servers.
    pub servers: &'a Servers,
    /// The steps on each server.
    pub plan: Vec<&'static str>,
    /// The new release's name (empty for a rollback).
    pub release: String,
    /// The release, packed (none for a rollback).
    pub tar: Option<PathBuf>,
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
        let timeout = self.timeout().min(RECOVERY_TIMEOUT);
        self.runner.step(on, Step { index, name, script, stdin: None, timeout, cancel: &fresh }).await
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
    pub async fn deploy_to(&self, t: &DeploymentTargetRecord) -> ServerEnd {
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
            let step = Step { index, name, script: &script, stdin, timeout: self.timeout(), cancel };
            match self.runner.step(&on, step).await {
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
        // Only a release that is still current is rolled back: a later deployment's is not undone by this one.
        let undone_release = t.previous_release.as_deref().unwrap_or_default();
        match self.current_release(on.target).await {
            Ok(Some(now)) if now == undone_release => {}
            Ok(now) => {
                let now = now.unwrap_or_else(|| "no release".into());
                let why = format!("current is {now}, not deployment {undone}'s release {undone_release}");
                return self.end_server(t, ServerEnd::Failed(why)).await;
            }
            Err(e) => return self.end_server(t, ServerEnd::Failed(format!("cannot read current: {e}"))).await,
        }
        let cancel = self.runner.ctx.cancellation();
        let path = &self.spec.deploy_path;
        let mut steps = vec![("switch", remote::switch(path, release))];
        if let Some(cmd) = &self.spec.rollback {
            steps.push(("rollback", remote::rollback(path, undone_release, Some(release), cmd)));
        }
        for (i, (name, script)) in steps.iter().enumerate() {
            let index = i32::try_from(i).unwrap_or(i32::MAX);
            let step = Step { index, name, script, stdin: None, timeout: self.timeout(), cancel };
            match self.runner.step(on, step).await {
                StepEnd::Success => {}
                StepEnd::Failed(why) => return self.end_server(t, ServerEnd::Failed(why)).await,
                StepEnd::Cancelled => return self.end_server(t, ServerEnd::Cancelled).await,
            }
        }
        self.end_server(t, ServerEnd::Success).await
    }
}
