//! The engine across real `slipway` processes: a worker killed with SIGKILL mid-job leaves nothing stuck in
//! `running` once a node is back (both backends), and two processes on one PostgreSQL fire a per-second
//! schedule for a minute with every due time exactly once.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Node, slipway};
use nix::sys::signal::Signal;
use serde_json::json;
use slipway_core::{Principal, Role};
use slipway_engine::{Engine, EngineSettings, EnqueueOptions, JobFilter, JobStatus, ScheduleRequest};
use slipway_store::Db;
use slipway_store::testing::TestDb;

fn admin() -> Principal {
    Principal { user_id: 1, username: "root".into(), role: Role::Admin }
}

/// An engine in the test process that only enqueues and reads (the real work happens in the children).
async fn client(db: &Db, dir: &std::path::Path) -> Engine {
    let settings = EngineSettings { workspace_root: dir.join("workspaces"), ..EngineSettings::default() }.client_only();
    Engine::builder(db.clone(), settings).executor(slipway_engine::CommandExecutor::new()).start().await.unwrap()
}

fn node_command(kind: &str, t: &TestDb, data_dir: &std::path::Path) -> Command {
    let mut cmd = slipway();
    cmd.env_clear()
        .env("SLIPWAY_DATABASE_URL", t.url())
        .env("SLIPWAY_DATA_DIR", data_dir)
        // Nodes of one database must share the key that seals stored credentials (each would generate its own).
        .env("SLIPWAY_SECRET_KEY", "engine-nodes test secret key, 32+ characters")
        .env("SLIPWAY_JOB_LEASE", "2")
        .env("SLIPWAY_SHUTDOWN_GRACE", "5");
    match kind {
        "serve" => cmd.args(["serve", "--bind", "127.0.0.1:0"]),
        _ => cmd.arg("worker"),
    };
    cmd
}

async fn wait_for<T>(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn killed_worker_recovers(t: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let engine = client(&t.db, dir.path()).await;
    let input = json!({"command": "echo begin; sleep 2; echo end"});
    let job = engine.enqueue(&admin(), "command", input, EnqueueOptions::default()).await.unwrap();

    let mut first = Node::start_worker(node_command("worker", &t, dir.path()));
    wait_for("the job to start printing", Duration::from_secs(30), async || {
        let events = t.db.job_events(job.id, 0, 100).await.unwrap();
        events.iter().any(|e| e.kind == "stdout" && e.payload["line"] == "begin").then_some(())
    })
    .await;
    first.signal(Signal::SIGKILL);
    first.wait(Duration::from_secs(10));
    let stuck = t.db.job(job.id).await.unwrap().unwrap();
    assert_eq!(stuck.status, JobStatus::Running, "the killed worker could not record anything");

    let second = Node::start_worker(node_command("worker", &t, dir.path()));
    let done = wait_for("the job to finish after the restart", Duration::from_secs(60), async || {
        let job = t.db.job(job.id).await.unwrap().unwrap();
        job.status.is_final().then_some(job)
    })
    .await;
    assert_eq!(done.status, JobStatus::Succeeded, "{done:?}");
    assert_eq!(done.attempts, 2);
    assert_eq!(done.output.as_ref().unwrap()["stdout"], "begin\nend\n");
    assert_eq!(t.db.job_status_counts().await.unwrap().running, 0, "nothing stays running");
    let lost = t.db.job_events(job.id, 0, 1000).await.unwrap();
    assert!(
        lost.iter()
            .any(|e| e.payload["status"] == "queued" && e.payload["error"].as_str().unwrap().contains("worker lost"))
    );
    second.signal(Signal::SIGTERM);
    engine.shutdown(Duration::from_secs(1)).await;
}

/// Pids of live processes whose command line mentions `marker`.
fn running(marker: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            !zombie
                && std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).split('\0').any(|arg| arg == marker))
        })
        .collect()
}

/// A worker killed with SIGKILL takes its commands' processes with it: a sandboxed command's at once (bwrap's
/// --die-with-parent and PID namespace), a host command's `sleep` child (whose shell died by its parent-death
/// signal) when the next node on this host starts and sweeps the recorded group.
async fn killed_workers_commands_die(t: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let engine = client(&t.db, dir.path()).await;
    if let Some(reason) = engine.sandbox().reason() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(!ci, "CI=true but the sandbox is unavailable: {reason} (install bubblewrap)");
        eprintln!("SKIPPED: the sandbox is unavailable here: {reason}");
        return;
    }
    let nonce = uuid::Uuid::new_v4().as_u128() % 1_000_000;
    let once = EnqueueOptions { max_attempts: 1, ..EnqueueOptions::default() };
    let mut markers = Vec::new();
    for (i, isolation) in ["sandbox_as_node", "host"].into_iter().enumerate() {
        let marker = format!("300{i}.{nonce}");
        let input = json!({"command": format!("echo begin; sleep {marker}; echo end"), "isolation": isolation});
        let job = engine.enqueue(&admin(), "command", input, once.clone()).await.unwrap();
        markers.push((job.id, marker));
    }
    let mut first = Node::start_worker(node_command("worker", &t, dir.path()));
    for (id, marker) in &markers {
        wait_for("the commands to start", Duration::from_secs(30), async || {
            let events = t.db.job_events(*id, 0, 100).await.unwrap();
            let begun = events.iter().any(|e| e.kind == "stdout" && e.payload["line"] == "begin");
            (begun && !running(marker).is_empty()).then_some(())
        })
        .await;
    }
    first.signal(Signal::SIGKILL);
    first.wait(Duration::from_secs(10));
    let (sandboxed, host) = (&markers[0].1, &markers[1].1);
    wait_for("the sandboxed command to die with its node", Duration::from_secs(10), async || {
        running(sandboxed).is_empty().then_some(())
    })
    .await;
    assert_eq!(running(host).len(), 1, "the host command's sleep outlived its shell, which died with the node");

    let second = Node::start_worker(node_command("worker", &t, dir.path()));
    wait_for("the next node to kill what the host command left", Duration::from_secs(30), async || {
        running(host).is_empty().then_some(())
    })
    .await;
    second.signal(Signal::SIGTERM);
    engine.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_commands_die_with_it_sqlite() {
    killed_workers_commands_die(slipway_store::testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_leaves_nothing_running_after_restart_sqlite() {
    killed_worker_recovers(slipway_store::testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_leaves_nothing_running_after_restart_postgres() {
    let Some(t) = slipway_store::testing::postgres().await else { return };
    killed_worker_recovers(t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_fire_a_per_second_schedule_exactly_once_for_a_minute() {
    let Some(t) = slipway_store::testing::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut serve = Node::start(node_command("serve", &t, &dir.path().join("a")), 1);
    let mut worker = Node::start_worker(node_command("worker", &t, &dir.path().join("b")));
    let engine = client(&t.db, dir.path()).await;
    let request = ScheduleRequest {
        name: "every second".into(),
        cron: "* * * * * *".into(),
        timezone: Some("UTC".into()),
        kind: "command".into(),
        input: json!({"command": "true"}),
        enabled: true,
        missed_runs: None,
        options: EnqueueOptions { max_attempts: 1, ..EnqueueOptions::default() },
    };
    let schedule = engine.create_schedule(&admin(), request).await.unwrap();
    let first_due = schedule.next_run_at.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let stopped = engine.set_schedule_enabled(&admin(), schedule.id, false).await.unwrap();
    assert!(stopped.next_run_at.is_none());
    wait_for("every fired job to finish", Duration::from_secs(30), async || {
        let counts = t.db.job_status_counts().await.unwrap();
        (counts.queued == 0 && counts.running == 0).then_some(())
    })
    .await;
    serve.signal(Signal::SIGTERM);
    worker.signal(Signal::SIGTERM);
    assert!(serve.wait(Duration::from_secs(15)).success());
    assert!(worker.wait(Duration::from_secs(15)).success());

    let filter = JobFilter { schedule_id: Some(schedule.id), limit: 1000, ..JobFilter::default() };
    let (jobs, total) = t.db.list_jobs(&filter).await.unwrap();
    let mut per_due: BTreeMap<_, usize> = BTreeMap::new();
    for j in &jobs {
        *per_due.entry(j.due_at.unwrap()).or_default() += 1;
        assert_eq!(j.status, JobStatus::Succeeded, "{j:?}");
    }
    assert_eq!(total as usize, jobs.len());
    assert!(per_due.values().all(|n| *n == 1), "a due time fired twice: {per_due:?}");
    let due: Vec<_> = per_due.keys().copied().collect();
    assert_eq!(due[0], first_due, "the first due time fired");
    let gaps: Vec<_> = due.windows(2).filter(|w| w[1] - w[0] != chrono::Duration::seconds(1)).collect();
    assert!(gaps.is_empty(), "due times were skipped: {gaps:?}");
    assert!(due.len() >= 58, "a minute of due times fired: {}", due.len());
    engine.shutdown(Duration::from_secs(1)).await;
}
