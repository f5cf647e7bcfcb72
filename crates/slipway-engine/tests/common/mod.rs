//! Test executors and helpers shared by the engine's tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use slipway_core::{Principal, Role};
use slipway_engine::{
    CommandExecutor, Engine, EngineSettings, Executor, Job, JobContext, JobFailure, SandboxAvailability, Visibility,
};
use slipway_store::Db;
use tokio::sync::mpsc;

/// A generous deadline for anything the tests wait on (the machine may be loaded).
pub const PATIENCE: Duration = Duration::from_secs(30);

pub fn admin() -> Principal {
    Principal { user_id: 1, username: "root".into(), role: Role::Admin }
}

pub fn alice() -> Principal {
    Principal { user_id: 2, username: "alice".into(), role: Role::User }
}

pub fn bob() -> Principal {
    Principal { user_id: 3, username: "bob".into(), role: Role::User }
}

/// Settings for tests: a private workspace root, short leases and backoffs.
pub fn settings(workspace: &std::path::Path) -> EngineSettings {
    EngineSettings {
        workers: 4,
        lease: Duration::from_secs(3),
        workspace_root: workspace.to_path_buf(),
        retry_backoff: Duration::from_millis(200),
        cancel_grace: Duration::from_secs(3),
        ..EngineSettings::default()
    }
}

/// Returns its input as output.
pub struct Echo;

impl Executor for Echo {
    fn kind(&self) -> &'static str {
        "echo"
    }
    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        Ok(json!({ "echo": ctx.input().clone(), "attempt": ctx.attempt() }))
    }
}

/// Reports each start on a channel, then waits for its cancellation token (or `input.ms` milliseconds).
pub struct Sleeper {
    pub started: mpsc::UnboundedSender<(i64, Instant)>,
    pub stopped: mpsc::UnboundedSender<(i64, Instant)>,
}

impl Executor for Sleeper {
    fn kind(&self) -> &'static str {
        "sleeper"
    }
    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let _ = self.started.send((ctx.job_id(), Instant::now()));
        let ms = ctx.input()["ms"].as_u64().unwrap_or(600_000);
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms)) => Ok(json!({ "slept_ms": ms })),
            () = ctx.cancellation().cancelled() => {
                let _ = self.stopped.send((ctx.job_id(), Instant::now()));
                Err(JobFailure::fatal("stopped"))
            }
        }
    }
}

/// A private kind (only its owner sees it): waits for its cancellation token or `input.ms` milliseconds.
pub struct Private;

impl Executor for Private {
    fn kind(&self) -> &'static str {
        "private"
    }
    fn visibility(&self) -> Visibility {
        Visibility::OwnerOnly
    }
    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let ms = ctx.input()["ms"].as_u64().unwrap_or(600_000);
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms)) => Ok(json!({ "slept_ms": ms })),
            () = ctx.cancellation().cancelled() => Err(JobFailure::fatal("stopped")),
        }
    }
}

/// Fails with a retryable error until attempt `input.succeed_on`; stores a checkpoint on every attempt.
pub struct Flaky;

impl Executor for Flaky {
    fn kind(&self) -> &'static str {
        "flaky"
    }
    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let seen = ctx.checkpoint().and_then(|c| c["attempts_seen"].as_i64()).unwrap_or(0);
        ctx.save_checkpoint(json!({ "attempts_seen": seen + 1 }))
            .await
            .map_err(|e| JobFailure::fatal(e.to_string()))?;
        let succeed_on = ctx.input()["succeed_on"].as_i64().unwrap_or(1);
        if i64::from(ctx.attempt()) < succeed_on {
            return Err(JobFailure::retryable(format!("attempt {} failed on purpose", ctx.attempt())));
        }
        Ok(json!({ "attempt": ctx.attempt(), "checkpoint_seen": seen }))
    }
}

/// Emits `input.count` events `tick` ({"n": i}) every `input.every_ms`, with progress and a stage.
pub struct Ticker;

impl Executor for Ticker {
    fn kind(&self) -> &'static str {
        "ticker"
    }
    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let count = ctx.input()["count"].as_u64().unwrap_or(10);
        let every = Duration::from_millis(ctx.input()["every_ms"].as_u64().unwrap_or(0));
        ctx.stage("ticking").await.map_err(|e| JobFailure::fatal(e.to_string()))?;
        for n in 0..count {
            if !every.is_zero() {
                tokio::time::sleep(every).await;
            }
            ctx.emit("tick", json!({ "n": n })).await.map_err(|e| JobFailure::fatal(e.to_string()))?;
        }
        ctx.progress(100).await.map_err(|e| JobFailure::fatal(e.to_string()))?;
        Ok(json!({ "ticks": count }))
    }
}

/// Counts its runs.
#[derive(Clone, Default)]
pub struct Counter(pub Arc<AtomicUsize>);

impl Executor for Counter {
    fn kind(&self) -> &'static str {
        "counter"
    }
    async fn run(&self, _ctx: JobContext) -> Result<Value, JobFailure> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Value::Null)
    }
}

/// An engine with Echo, Flaky, Ticker, Counter, Sleeper, Private and Command executors.
pub struct Harness {
    pub engine: Engine,
    pub db: Db,
    pub started: mpsc::UnboundedReceiver<(i64, Instant)>,
    pub stopped: mpsc::UnboundedReceiver<(i64, Instant)>,
    pub counter: Counter,
    pub workspace: tempfile::TempDir,
}

impl Harness {
    pub async fn start(db: Db) -> Self {
        let workspace = tempfile::tempdir().unwrap();
        Self::with_settings(db, settings(workspace.path()), workspace).await
    }

    pub async fn with_settings(db: Db, settings: EngineSettings, workspace: tempfile::TempDir) -> Self {
        Self::build(db, settings, workspace, None).await
    }

    /// An engine on a node where commands cannot be sandboxed.
    pub async fn without_sandbox(db: Db) -> Self {
        let workspace = tempfile::tempdir().unwrap();
        let none = SandboxAvailability::Unavailable("bwrap is switched off in this test".into());
        Self::build(db, settings(workspace.path()), workspace, Some(none)).await
    }

    /// An engine with `sandbox` (`None`: detected, hiding the settings' data dir or workspace root).
    pub async fn build(
        db: Db,
        settings: EngineSettings,
        workspace: tempfile::TempDir,
        sandbox: Option<SandboxAvailability>,
    ) -> Self {
        let (started_tx, started) = mpsc::unbounded_channel();
        let (stopped_tx, stopped) = mpsc::unbounded_channel();
        let counter = Counter::default();
        let mut builder = Engine::builder(db.clone(), settings);
        if let Some(sandbox) = sandbox {
            builder = builder.sandbox(sandbox);
        }
        let engine = builder
            .executor(Echo)
            .executor(Flaky)
            .executor(Ticker)
            .executor(counter.clone())
            .executor(Sleeper { started: started_tx, stopped: stopped_tx })
            .executor(Private)
            .executor(CommandExecutor::new())
            .start()
            .await
            .unwrap();
        Self { engine, db, started, stopped, counter, workspace }
    }

    pub async fn stop(self) {
        self.engine.shutdown(Duration::from_secs(5)).await;
    }

    /// Waits until the job is final, failing the test after [`PATIENCE`].
    pub async fn finished(&self, id: i64) -> Job {
        match self.engine.wait(&admin(), id, PATIENCE).await.unwrap() {
            slipway_engine::Waited::Finished(job) => job,
            slipway_engine::Waited::TimedOut(job) => panic!("job {id} did not finish: {job:?}"),
        }
    }

    /// Waits for the next executor start reported by a Sleeper.
    pub async fn next_start(&mut self) -> (i64, Instant) {
        tokio::time::timeout(PATIENCE, self.started.recv()).await.expect("a sleeper started").unwrap()
    }
}

/// Whether this engine has the sandbox; when not, the test is skipped with a message, except under CI
/// (`CI=true`), where it fails.
pub fn sandboxed(engine: &Engine) -> bool {
    match engine.sandbox().reason() {
        None => true,
        Some(reason) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("CI=true but the sandbox is unavailable: {reason} (install bubblewrap)")
        }
        Some(reason) => {
            eprintln!("SKIPPED: the sandbox is unavailable here: {reason}");
            false
        }
    }
}

/// Polls `check` until it returns `Some`, failing the test with `what` after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
