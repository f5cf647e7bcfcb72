//! A pipeline service on a real engine (with the node's sandbox) over a fresh database, and helpers.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use slipway_core::{Principal, Role};
use slipway_delivery::{PipelineInput, PipelineSettings, Pipelines, StepInput};
use slipway_engine::{Engine, EngineSettings, JobEvent, Waited};
use slipway_files::BlobStore;
use slipway_outbound::OutboundPolicy;
use slipway_store::identity::NewUser;
use slipway_store::{Db, Sealer};

/// The key the harness seals secrets with.
pub fn sealer() -> Sealer {
    Sealer::from_secret("test key")
}

/// A generous deadline (the machine may be loaded).
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct Harness {
    pub db: Db,
    pub engine: Engine,
    pub pipelines: Pipelines,
    pub admin: Principal,
    pub alice: Principal,
    pub bob: Principal,
    pub dir: tempfile::TempDir,
}

async fn user(db: &Db, name: &str, role: Role) -> Principal {
    let email = format!("{name}@example.com");
    let new = NewUser {
        username: name,
        email: &email,
        password_hash: "$argon2id$fake",
        role: role.as_str(),
        full_name: name,
        email_verified: true,
    };
    let id = db.insert_user(&new, slipway_core::time::now()).await.unwrap().id;
    Principal { user_id: id, username: name.into(), role }
}

/// A directory outside `/tmp` (the sandbox gives commands a private `/tmp`), so sandboxed steps see it.
pub fn outside_tmp() -> tempfile::TempDir {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).unwrap();
    tempfile::tempdir_in(base).unwrap()
}

impl Harness {
    pub async fn start(db: Db) -> Self {
        Self::with_workers(db, 4).await
    }

    pub async fn with_workers(db: Db, workers: usize) -> Self {
        Self::with_settings(db, workers, |ps| ps).await
    }

    /// A harness whose pipeline settings `adjust` changes (extra step types).
    pub async fn with_settings(
        db: Db,
        workers: usize,
        adjust: impl FnOnce(PipelineSettings) -> PipelineSettings,
    ) -> Self {
        let dir = outside_tmp();
        let settings = EngineSettings {
            workers,
            lease: Duration::from_secs(5),
            workspace_root: dir.path().join("workspaces"),
            data_dir: Some(dir.path().join("data")),
            cancel_grace: Duration::from_secs(5),
            ..EngineSettings::default()
        };
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let blobs = BlobStore::open(None, &dir.path().join("data")).unwrap();
        let policy = OutboundPolicy::from_entries(Vec::<String>::new()).unwrap();
        let ps = adjust(PipelineSettings::new(db.clone(), sealer(), blobs, policy).unwrap());
        let engine = slipway_delivery::register(Engine::builder(db.clone(), settings), &ps).start().await.unwrap();
        let pipelines = Pipelines::new(engine.clone(), ps);
        let admin = user(&db, "root", Role::Admin).await;
        let alice = user(&db, "alice", Role::User).await;
        let bob = user(&db, "bob", Role::User).await;
        Self { db, engine, pipelines, admin, alice, bob, dir }
    }

    /// Whether the node has the sandbox (ordinary users' pipelines need it); under CI it must.
    pub fn sandboxed(&self) -> bool {
        match self.engine.sandbox().reason() {
            None => true,
            Some(reason) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
                panic!("CI=true but the sandbox is unavailable: {reason}")
            }
            Some(reason) => {
                eprintln!("SKIPPED: the sandbox is unavailable here: {reason}");
                false
            }
        }
    }

    /// Waits for a run's job to finish.
    pub async fn finish(&self, job_id: i64) {
        let waited = self.engine.wait(&self.admin, job_id, PATIENCE).await.unwrap();
        assert!(matches!(waited, Waited::Finished(_)), "job {job_id} did not finish: {:?}", waited.job());
    }

    /// Every event of a job.
    pub async fn events(&self, job_id: i64) -> Vec<std::sync::Arc<JobEvent>> {
        use futures_util::StreamExt;
        let mut s = self.engine.subscribe(&self.admin, job_id, 0).await.unwrap();
        let mut out = Vec::new();
        while let Some(Ok(e)) = tokio::time::timeout(PATIENCE, s.next()).await.ok().flatten() {
            out.push(e);
        }
        out
    }

    pub async fn stop(self) {
        self.engine.shutdown(Duration::from_secs(5)).await;
    }
}

/// A step.
pub fn step(name: &str, kind: &str, config: Value) -> StepInput {
    StepInput { name: name.into(), kind: kind.into(), config }
}

/// A pipeline of `steps`.
pub fn pipeline(name: &str, steps: Vec<StepInput>) -> PipelineInput {
    PipelineInput { name: Some(name.into()), steps: Some(steps), ..PipelineInput::default() }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A bare repository with one pushed commit on `main` (a `README.md`); answers its path and the commit.
pub fn bare_repository(root: &Path) -> (PathBuf, String) {
    let bare = root.join("origin.git");
    let work = root.join("clone");
    std::fs::create_dir_all(&work).unwrap();
    git(root, &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()]);
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("README.md"), "hello from the repository\n").unwrap();
    git(&work, &["-c", "user.name=T", "-c", "user.email=t@example.com", "add", "README.md"]);
    git(&work, &["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "first"]);
    git(&work, &["push", "-q", bare.to_str().unwrap(), "main"]);
    let sha = git(&work, &["rev-parse", "HEAD"]);
    (bare, sha)
}

/// The pids of processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if text.contains(marker) && !text.contains("cargo") {
            pids.push(pid);
        }
    }
    pids
}
