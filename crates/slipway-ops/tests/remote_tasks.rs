//! qoder tasks on servers, against a real sshd on loopback, on both backends: a task whose target names a
//! server runs there with its environment and directory, its lines as job events carrying the server's name
//! and its output in the run history; a tag runs on every server of it; a failing server fails the run; the
//! right is the operator's (checked when the task is written and, with the owner's rights, when it runs);
//! cancel and timeout kill the remote command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::sshd::{self, Sshd};
use slipway_core::{Error, Principal, Role};
use slipway_engine::{CommandExecutor, Engine, EngineSettings, JobStatus};
use slipway_ops::ssh::{SshPool, SshSettings};
use slipway_ops::{NewServer, RemoteCommands, Servers, TaskChanges, TaskRun, TaskSpec, Tasks};
use slipway_store::identity::NewUser;
use slipway_store::{Db, Sealer, backend_tests};

struct World {
    tasks: Tasks,
    servers: Servers,
    engine: Engine,
    db: Db,
    admin: Principal,
    operator: Principal,
    user: Principal,
    _dir: tempfile::TempDir,
}

async fn person(db: &Db, name: &str, role: Role) -> Principal {
    let email = format!("{name}@example.com");
    let role_text = role.to_string();
    let new = NewUser {
        username: name,
        email: &email,
        password_hash: "$argon2id$fake",
        role: &role_text,
        full_name: name,
        email_verified: true,
    };
    let id = db.insert_user(&new, slipway_core::time::now()).await.unwrap().id;
    Principal { user_id: id, username: name.into(), role }
}

async fn world(db: Db) -> World {
    let dir = tempfile::tempdir().unwrap();
    let pool = SshPool::new(
        dir.path(),
        SshSettings {
            kill_grace: Duration::from_secs(1),
            backoff: Duration::from_millis(50),
            ..SshSettings::default()
        },
    );
    let servers =
        Servers::new(db.clone(), Sealer::from_secret("remote tasks' test secret, 32+ chars"), Default::default(), pool);
    let settings = EngineSettings { workers: 4, workspace_root: dir.path().join("ws"), ..EngineSettings::default() };
    let command = CommandExecutor::new().with_remote(Arc::new(RemoteCommands::new(servers.clone())));
    let engine = Engine::builder(db.clone(), settings).executor(command).start().await.unwrap();
    let tasks = Tasks::new(engine.clone()).with_servers(servers.clone());
    let admin = person(&db, "root", Role::Admin).await;
    let operator = person(&db, "ops", Role::User).await;
    let user = person(&db, "ann", Role::User).await;
    servers.grant_operator(&admin, operator.user_id).await.unwrap();
    World { tasks, servers, engine, db, admin, operator, user, _dir: dir }
}

async fn server(w: &World, sshd: &Sshd, name: &str, tags: &[&str]) -> i64 {
    let new = NewServer {
        name: name.into(),
        host: "127.0.0.1".into(),
        port: Some(i64::from(sshd.port)),
        username: sshd::current_user(),
        private_key: Some(sshd.user_key()),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        ..NewServer::default()
    };
    w.servers.create(&w.admin, new).await.unwrap().id
}

fn spec(target: &str, command: &str) -> TaskSpec {
    TaskSpec {
        name: "remote".into(),
        cron: "0 3 * * *".into(),
        timezone: None,
        command: command.into(),
        timeout_secs: Some(60),
        enabled: true,
        target: Some(target.into()),
    }
}

async fn finished(w: &World, who: &Principal, task: i64) -> TaskRun {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let runs = w.tasks.runs(who, task, 0, 10).await.unwrap();
        if let Some(r) = runs.items.into_iter().find(|r| r.status.is_final()) {
            return r;
        }
        assert!(tokio::time::Instant::now() < deadline, "no run finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

backend_tests! {
    async fn a_task_runs_on_its_server_with_events_and_history(db: Db) {
        let sshd = Sshd::start();
        let w = world(db).await;
        let id = server(&w, &sshd, "web-1", &["web"]).await;
        let remote_dir = tempfile::tempdir().unwrap();
        let dir = remote_dir.path().display().to_string();
        let command = format!("cd {dir:?} && echo \"$GREETING from $(pwd)\"; echo warn >&2");
        let task = w.tasks.create(&w.operator, spec("web-1", &command)).await.unwrap();
        assert_eq!(task.target, "web-1");
        let run = w.tasks.run_now(&w.operator, task.id).await.unwrap();
        let r = finished(&w, &w.operator, task.id).await;
        assert_eq!((r.status, r.exit_code), (JobStatus::Succeeded, Some(0)), "{r:?}");
        assert_eq!(r.stdout, format!(" from {dir}\n"), "no variable was given yet");
        assert_eq!(r.stderr, "warn\n");
        let events = w.db.job_events(run.job_id, 0, 100).await.unwrap();
        let lines: Vec<_> = events.iter().filter(|e| e.kind == "stdout" || e.kind == "stderr").collect();
        assert_eq!(lines.len(), 2, "{events:?}");
        assert!(lines.iter().all(|e| e.payload["server"] == "web-1"), "{lines:?}");

        // Environment and working directory reach the remote shell, quoted.
        let changes = TaskChanges { command: Some("echo \"$GREETING\" in $(pwd)".into()), ..TaskChanges::default() };
        w.tasks.update(&w.operator, task.id, changes).await.unwrap();
        let input = serde_json::json!({"command": "echo \"$GREETING\" in $(pwd)", "target": format!("server:{id}"), "env": {"GREETING": "it's me"}, "cwd": dir});
        let job = w.engine.enqueue(&w.admin, "command", input, Default::default()).await.unwrap();
        let done = w.engine.wait(&w.admin, job.id, Duration::from_secs(30)).await.unwrap().job().clone();
        assert_eq!(done.status, JobStatus::Succeeded, "{done:?}");
        let out = done.output.unwrap();
        assert_eq!(out["stdout"], format!("it's me in {dir}\n"));
        assert_eq!(out["servers"][0]["server"], "web-1");
        w.engine.shutdown(Duration::from_secs(5)).await;
    }

    async fn a_tag_runs_on_each_of_its_servers_and_one_failure_fails_the_run(db: Db) {
        let (a, b) = (Sshd::start(), Sshd::start());
        let w = world(db).await;
        server(&w, &a, "app-a", &["app"]).await;
        server(&w, &b, "app-b", &["app"]).await;
        let task = w.tasks.create(&w.admin, spec("tag:app", "echo up")).await.unwrap();
        w.tasks.run_now(&w.admin, task.id).await.unwrap();
        let r = finished(&w, &w.admin, task.id).await;
        assert_eq!((r.status, r.exit_code), (JobStatus::Succeeded, Some(0)), "{r:?}");
        assert_eq!(r.stdout, "[app-a] up\n[app-b] up\n");

        let failing = w.tasks.create(&w.admin, spec("tag:app", "test \"$(hostname)\" = nowhere || exit 3")).await.unwrap();
        w.tasks.run_now(&w.admin, failing.id).await.unwrap();
        let r = finished(&w, &w.admin, failing.id).await;
        assert_eq!((r.status, r.exit_code), (JobStatus::Failed, Some(3)), "{r:?}");
        assert!(r.error.as_deref().is_some_and(|e| e.contains("exited with code 3") && e.contains("app-a")), "{r:?}");
        w.engine.shutdown(Duration::from_secs(5)).await;
    }

    async fn only_operators_may_target_servers_and_the_right_is_checked_again_at_run_time(db: Db) {
        let sshd = Sshd::start();
        let w = world(db).await;
        server(&w, &sshd, "web-1", &[]).await;
        let Err(Error::Forbidden(_)) = w.tasks.create(&w.user, spec("web-1", "true")).await else {
            panic!("a plain user may not target a server")
        };
        let Err(Error::Validation(f)) = w.tasks.create(&w.admin, spec("db-9", "true")).await else {
            panic!("an unknown server is a validation error")
        };
        assert_eq!(f[0].field(), "target");
        assert!(matches!(w.tasks.create(&w.admin, spec("server:x", "true")).await, Err(Error::Validation(_))));
        assert!(matches!(w.tasks.create(&w.admin, spec("tag:none", "true")).await, Err(Error::Validation(_))));

        // The grant is withdrawn after the task was written: its next run fails, saying why.
        let task = w.tasks.create(&w.operator, spec("web-1", "echo should not run")).await.unwrap();
        w.servers.revoke_operator(&w.admin, w.operator.user_id).await.unwrap();
        assert!(matches!(w.tasks.run_now(&w.operator, task.id).await, Err(Error::Forbidden(_))));
        let input = serde_json::json!({"command": "echo should not run", "target": "web-1"});
        let job = w.engine.enqueue(&w.user, "command", input, Default::default()).await.unwrap();
        let done = w.engine.wait(&w.user, job.id, Duration::from_secs(30)).await.unwrap().job().clone();
        assert_eq!(done.status, JobStatus::Failed, "{done:?}");
        assert!(done.error.as_deref().is_some_and(|e| e.contains("administrator")), "{done:?}");
        w.engine.shutdown(Duration::from_secs(5)).await;
    }

    async fn cancel_and_timeout_kill_the_remote_command(db: Db) {
        let sshd = Sshd::start();
        let w = world(db).await;
        server(&w, &sshd, "web-1", &[]).await;
        let task = w.tasks.create(&w.admin, spec("web-1", "sleep 4101")).await.unwrap();
        let run = w.tasks.run_now(&w.admin, task.id).await.unwrap();
        wait_for("the remote sleep", || !sshd::sleeps("4101").is_empty()).await;
        w.engine.cancel(&w.admin, run.job_id).await.unwrap();
        let r = finished(&w, &w.admin, task.id).await;
        assert_eq!(r.status, JobStatus::Cancelled, "{r:?}");
        wait_for("the remote sleep to be killed", || sshd::sleeps("4101").is_empty()).await;

        let timed = w.tasks.create(&w.admin, TaskSpec { timeout_secs: Some(1), ..spec("web-1", "sleep 4102") }).await.unwrap();
        w.tasks.run_now(&w.admin, timed.id).await.unwrap();
        let r = finished(&w, &w.admin, timed.id).await;
        assert_eq!(r.status, JobStatus::TimedOut, "{r:?}");
        wait_for("the timed-out sleep to be killed", || sshd::sleeps("4102").is_empty()).await;
        w.engine.shutdown(Duration::from_secs(5)).await;
    }
}
