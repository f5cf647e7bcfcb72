//! Scheduled commands on a real engine, on both backends: validation naming the field, administrators only,
//! runs now and on the timetable with exit code, output and duration recorded.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use slipway_core::{Error, Principal, Role};
use slipway_engine::{CommandExecutor, Engine, EngineSettings, JobStatus, SandboxAvailability};
use slipway_ops::{TaskChanges, TaskSpec, Tasks};
use slipway_store::{Db, backend_tests};

fn admin() -> Principal {
    Principal { user_id: 1, username: "root".into(), role: Role::Admin }
}

fn user() -> Principal {
    Principal { user_id: 2, username: "ann".into(), role: Role::User }
}

fn spec(cron: &str, command: &str) -> TaskSpec {
    TaskSpec {
        name: "backup".into(),
        cron: cron.into(),
        timezone: None,
        command: command.into(),
        timeout_secs: Some(30),
        enabled: true,
        target: None,
    }
}

async fn tasks(db: Db, dir: &std::path::Path) -> (Tasks, Engine) {
    tasks_with(db, dir, None).await
}

/// Tasks on an engine with `sandbox` (`None`: detected).
async fn tasks_with(db: Db, dir: &std::path::Path, sandbox: Option<SandboxAvailability>) -> (Tasks, Engine) {
    let settings = EngineSettings { workers: 2, workspace_root: dir.to_path_buf(), ..EngineSettings::default() };
    let mut builder = Engine::builder(db, settings).executor(CommandExecutor::new());
    if let Some(sandbox) = sandbox {
        builder = builder.sandbox(sandbox);
    }
    let engine = builder.start().await.unwrap();
    (Tasks::new(engine.clone()), engine)
}

/// Whether the engine has the sandbox; skips (with a message) when not, except under CI, where it fails.
fn sandboxed(engine: &Engine) -> bool {
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

fn field(e: Error) -> String {
    match e {
        Error::Validation(f) => f[0].field(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// Waits for the task's first finished run.
async fn finished_run(t: &Tasks, id: i64) -> slipway_ops::TaskRun {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let runs = t.runs(&admin(), id, 0, 10).await.unwrap();
        if let Some(r) = runs.items.into_iter().find(|r| r.status.is_final()) {
            return r;
        }
        assert!(tokio::time::Instant::now() < deadline, "no run finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

backend_tests! {
    async fn bad_fields_are_named(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let (t, engine) = tasks(db, dir.path()).await;
        assert_eq!(field(t.create(&admin(), spec("every minute", "echo")).await.unwrap_err()), "cron");
        assert_eq!(field(t.create(&admin(), spec("* * * * *", "  ")).await.unwrap_err()), "command");
        assert_eq!(field(t.create(&admin(), TaskSpec { timeout_secs: Some(-5), ..spec("* * * * *", "echo") }).await.unwrap_err()), "timeout");
        assert_eq!(field(t.create(&admin(), TaskSpec { target: Some("db-1".into()), ..spec("* * * * *", "echo") }).await.unwrap_err()), "target");
        assert_eq!(field(t.create(&admin(), TaskSpec { name: " ".into(), ..spec("* * * * *", "echo") }).await.unwrap_err()), "name");
        assert_eq!(field(t.create(&admin(), TaskSpec { timezone: Some("Mars/Base".into()), ..spec("* * * * *", "echo") }).await.unwrap_err()), "timezone");
        engine.shutdown(Duration::from_secs(5)).await;
    }

    async fn without_the_sandbox_only_administrators_touch_tasks(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let none = SandboxAvailability::Unavailable("no bwrap in this test".into());
        let (t, engine) = tasks_with(db, dir.path(), Some(none)).await;
        let task = t.create(&admin(), spec("0 3 * * *", "echo hi")).await.unwrap();
        let Err(Error::Forbidden(why)) = t.create(&user(), spec("0 3 * * *", "echo hi")).await else { panic!() };
        assert!(why.starts_with("commands need the bubblewrap sandbox (bwrap), which is unavailable: no bwrap"), "{why}");
        assert!(matches!(t.list(&user(), None, 0, 10).await, Err(Error::Forbidden(_))));
        assert!(matches!(t.get(&user(), task.id).await, Err(Error::Forbidden(_))));
        assert!(matches!(t.run_now(&user(), task.id).await, Err(Error::Forbidden(_))));
        assert!(matches!(t.delete(&user(), task.id).await, Err(Error::Forbidden(_))));
        assert!(matches!(t.get(&admin(), task.id + 100).await, Err(Error::NotFound(_))));
        engine.shutdown(Duration::from_secs(5)).await;
    }

    async fn with_the_sandbox_users_have_their_own_sandboxed_tasks(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let (t, engine) = tasks(db, dir.path()).await;
        if !sandboxed(&engine) {
            return engine.shutdown(Duration::from_secs(5)).await;
        }
        let theirs = t.create(&admin(), spec("0 3 * * *", "echo admin")).await.unwrap();
        let mine = t.create(&user(), spec("0 3 * * *", "echo mine; echo x > /etc/pwned-by-task")).await.unwrap();
        assert_eq!(mine.target, "local");
        assert!(matches!(t.get(&user(), theirs.id).await, Err(Error::NotFound(_))), "a user sees only their own");
        assert_eq!(t.list(&user(), None, 0, 10).await.unwrap().total, 1);
        let run = t.run_now(&user(), mine.id).await.unwrap();
        let job = engine.get(&user(), run.job_id).await.unwrap();
        assert_eq!((job.input["isolation"].as_str(), job.input["network"].as_bool()), (Some("sandbox"), Some(false)));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let done = loop {
            let r = t.runs(&user(), mine.id, 0, 10).await.unwrap().items.remove(0);
            if r.status.is_final() {
                break r;
            }
            assert!(tokio::time::Instant::now() < deadline, "the run did not finish");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(done.stdout, "mine\n");
        assert!(done.stderr.contains("/etc/pwned-by-task"), "{}", done.stderr);
        assert!(!std::path::Path::new("/etc/pwned-by-task").exists());
        // An edit keeps how the user's task is isolated, even when an administrator makes it.
        let edited = t.update(&admin(), mine.id, TaskChanges { command: Some("echo edited".into()), ..TaskChanges::default() }).await.unwrap();
        let schedule = engine.get_schedule(&admin(), edited.id).await.unwrap();
        assert_eq!(schedule.input["isolation"], "sandbox");
        assert_eq!(schedule.input["command"], "echo edited");
        engine.shutdown(Duration::from_secs(5)).await;
    }

    async fn tasks_are_a_whole_resource(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let (t, engine) = tasks(db, dir.path()).await;
        let a = t.create(&admin(), spec("0 3 * * *", "echo a")).await.unwrap();
        assert_eq!((a.target.as_str(), a.timeout_secs, a.enabled), ("local", Some(30), true));
        assert!(a.next_run_at.is_some());
        let b = t.create(&admin(), TaskSpec { enabled: false, ..spec("0 4 * * *", "echo b") }).await.unwrap();
        assert_eq!(b.next_run_at, None);
        assert_eq!(t.list(&admin(), None, 0, 10).await.unwrap().total, 2);
        assert_eq!(t.list(&admin(), Some(false), 0, 10).await.unwrap().items[0].id, b.id);
        let changes = TaskChanges { command: Some("echo changed".into()), timeout_secs: Some(0), enabled: Some(false), ..TaskChanges::default() };
        let a2 = t.update(&admin(), a.id, changes).await.unwrap();
        assert_eq!((a2.command.as_str(), a2.timeout_secs, a2.enabled, a2.next_run_at), ("echo changed", None, false, None));
        assert_eq!(field(t.update(&admin(), a.id, TaskChanges { cron: Some("nope".into()), ..TaskChanges::default() }).await.unwrap_err()), "cron");
        t.delete(&admin(), b.id).await.unwrap();
        assert!(matches!(t.get(&admin(), b.id).await, Err(Error::NotFound(_))));
        assert_eq!(t.list(&admin(), None, 0, 10).await.unwrap().total, 1);
        engine.shutdown(Duration::from_secs(5)).await;
    }

    async fn run_now_records_exit_code_output_and_duration(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let (t, engine) = tasks(db, dir.path()).await;
        let task = t.create(&admin(), TaskSpec { enabled: false, ..spec("0 3 * * *", "echo out; echo err >&2; exit 3") }).await.unwrap();
        let queued = t.run_now(&admin(), task.id).await.unwrap();
        assert_eq!(queued.due_at, None);
        let run = finished_run(&t, task.id).await;
        assert_eq!(run.job_id, queued.job_id);
        assert_eq!(run.status, JobStatus::Failed, "a non-zero exit fails the run");
        assert_eq!(run.exit_code, Some(3));
        assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("out\n", "err\n"));
        assert!(run.duration_ms.is_some());
        assert!(run.finished_at.is_some());
        engine.shutdown(Duration::from_secs(5)).await;
    }

    async fn enabled_tasks_run_on_their_timetable(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let (t, engine) = tasks(db, dir.path()).await;
        let task = t.create(&admin(), spec("* * * * * *", "echo tick")).await.unwrap();
        let run = finished_run(&t, task.id).await;
        assert_eq!(run.status, JobStatus::Succeeded);
        assert_eq!((run.exit_code, run.stdout.as_str()), (Some(0), "tick\n"));
        assert!(run.due_at.is_some(), "fired by the schedule");
        t.update(&admin(), task.id, TaskChanges { enabled: Some(false), ..TaskChanges::default() }).await.unwrap();
        engine.shutdown(Duration::from_secs(5)).await;
    }
}
