//! Lost workers on both backends: a job whose worker stopped heartbeating goes back to the queue after its
//! lease expires (with backoff) and succeeds on another worker, or fails once its attempts are used up; a job
//! whose node process on this host was killed (`kill -9`) is taken back as soon as a node starts, without
//! waiting for its lease and without backoff, while jobs of live processes, other hosts and boots, and names
//! that do not parse keep the lease rule.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Harness, alice, eventually};
use serde_json::json;
use slipway_engine::{EnqueueOptions, JobStatus, STATUS_EVENT};
use slipway_sandbox::{HostIdentity, start_ticks};
use slipway_store::jobs::{Change, Guard, JobWrite, NewEvent};
use slipway_store::testing::TestDb;
use slipway_store::{Db, PoolSettings, backend_tests};

/// Names the database the child node of [`child_node`] opens; unset, that test does nothing.
const CHILD_DB_VAR: &str = "SLIPWAY_RECOVERY_CHILD_DB";
/// A lease far longer than any test here: only the dead-node rule can take such a job back in time.
const LONG_LEASE: Duration = Duration::from_secs(120);

/// Not a test of its own: the node process [`a_killed_node_s_job_is_taken_back_at_once`] starts (this test
/// binary again) and kills. It runs an engine on the named database until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the child node of a_killed_node_s_job_is_taken_back_at_once; does nothing on its own"]
async fn child_node() {
    let Ok(url) = std::env::var(CHILD_DB_VAR) else { return };
    let db = Db::connect(&url, &PoolSettings::default()).await.unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let settings = slipway_engine::EngineSettings { lease: LONG_LEASE, ..common::settings(workspace.path()) };
    let h = Harness::with_settings(db, settings, workspace).await;
    println!("child node {} running", h.engine.node());
    tokio::time::sleep(Duration::from_secs(600)).await;
}

/// A child process, killed when dropped (a failing test leaves nothing behind).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts [`child_node`] in a process of its own on the database at `url`.
fn spawn_child_node(url: &str) -> KillOnDrop {
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_node", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_DB_VAR, url)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    KillOnDrop(child)
}

/// A process that ran on this host and is gone: its pid and start ticks.
fn dead_process() -> (i32, u64) {
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    let ticks = start_ticks(pid).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    (pid, ticks)
}

/// The lease-holder name a node process `pid` started at `ticks` on `host` carries.
fn holder_name(host: &HostIdentity, pid: i32, ticks: u64) -> String {
    format!("node-{}-{}-{pid}-{ticks}-0123abcd", host.hostname, &host.boot_id.replace('-', "")[..8])
}

/// Enqueues a job of `kind` through `client` and claims it for `holder` with a lease of `lease`.
async fn held_job(client: &Harness, kind: &str, holder: &str, lease: Duration, max_attempts: i32) -> i64 {
    let opts = EnqueueOptions { max_attempts, ..EnqueueOptions::default() };
    let job = client.engine.enqueue(&alice(), kind, json!({}), opts).await.unwrap();
    let until = slipway_core::time::now() + chrono::Duration::from_std(lease).unwrap();
    let claimed = client.db.claim_jobs(holder, &[kind.to_owned()], 1, until, None).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), [job.id], "{holder} holds the job");
    job.id
}

/// `(status, attempts, lease holder)` of a job.
async fn state(db: &Db, id: i64) -> (JobStatus, i32, Option<String>) {
    let job = db.job(id).await.unwrap().unwrap();
    (job.status, job.attempts, job.lease_holder)
}

async fn a_killed_node_s_job_is_taken_back(t: TestDb) {
    let db = t.db.clone();
    let dir = tempfile::tempdir().unwrap();
    let client = Harness::with_settings(db.clone(), common::settings(dir.path()).client_only(), dir).await;
    let opts = EnqueueOptions { max_attempts: 3, ..EnqueueOptions::default() };
    let job = client.engine.enqueue(&alice(), "sleeper", json!({}), opts).await.unwrap();

    let mut child = spawn_child_node(t.url());
    let child_pid = child.0.id();
    let holder = eventually("the child node to run the job", || async {
        match state(&db, job.id).await {
            (JobStatus::Running, 1, Some(holder)) => Some(holder),
            _ => None,
        }
    })
    .await;
    let host = HostIdentity::current().unwrap();
    assert!(holder.starts_with(&format!("node-{}-", host.hostname)), "{holder}");
    assert!(holder.contains(&format!("-{child_pid}-")), "the holder names the child process: {holder}");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child_pid).unwrap()),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.0.wait().unwrap();
    assert_eq!(state(&db, job.id).await, (JobStatus::Running, 1, Some(holder.clone())), "the lease still runs");

    let restarted = Instant::now();
    let mut h = Harness::start(db.clone()).await;
    let (started, at) = h.next_start().await;
    assert_eq!(started, job.id);
    let took = at - restarted;
    assert!(took < Duration::from_secs(2), "the job ran again {took:?} after the new node started");
    eprintln!("the killed node's job ran again {took:?} after the new node started");
    let (status, attempts, new_holder) = state(&db, job.id).await;
    assert_eq!((status, attempts, new_holder.as_deref()), (JobStatus::Running, 2, Some(h.engine.node())));

    let events = db.job_events(job.id, 0, 100).await.unwrap();
    let requeue = events.iter().find(|e| e.kind == STATUS_EVENT && e.payload["status"] == "queued").unwrap();
    let error = requeue.payload["error"].as_str().unwrap();
    assert!(error.contains(&holder) && error.contains("died"), "{error}");
    let retry_at: chrono::DateTime<chrono::Utc> = requeue.payload["retry_at"].as_str().unwrap().parse().unwrap();
    assert!(retry_at <= requeue.at + chrono::Duration::milliseconds(1), "no backoff: {retry_at} vs {}", requeue.at);
    client.stop().await;
    h.stop().await;
}

/// A node killed with SIGKILL (a real child process running an engine) leaves its job leased for minutes;
/// a node started on the same database runs it again, as attempt 2, within 2 s.
mod a_killed_node_s_job_is_taken_back_at_once {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        a_killed_node_s_job_is_taken_back(slipway_store::testing::sqlite().await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(t) = slipway_store::testing::postgres().await else { return };
        a_killed_node_s_job_is_taken_back(t).await;
    }
}

/// Plays a worker that claims `job` and dies at once: its lease runs out after `lease`.
async fn crashed_worker_claims(db: &Db, kind: &str, lease: Duration) -> i32 {
    let until = slipway_core::time::now() + chrono::Duration::from_std(lease).unwrap();
    let claimed = db.claim_jobs("crashed-node", &[kind.to_owned()], 1, until, None).await.unwrap();
    assert_eq!(claimed.len(), 1, "the crashed worker got the job");
    claimed[0].attempts
}

backend_tests! {
    async fn jobs_of_live_foreign_or_unnamed_holders_keep_the_lease_rule(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let client = Harness::with_settings(db.clone(), common::settings(dir.path()).client_only(), dir).await;
        let host = HostIdentity::current().unwrap();
        let me = i32::try_from(std::process::id()).unwrap();
        let (gone, gone_ticks) = dead_process();
        let short = Duration::from_millis(1500);
        let live = held_job(&client, "echo", &holder_name(&host, me, start_ticks(me).unwrap()), LONG_LEASE, 3).await;
        let elsewhere = HostIdentity { hostname: format!("{}-elsewhere", host.hostname), ..host.clone() };
        let foreign = held_job(&client, "echo", &holder_name(&elsewhere, gone, gone_ticks), short, 3).await;
        let other_boot = HostIdentity { boot_id: "00000000-0000".into(), ..host.clone() };
        let earlier_boot = held_job(&client, "echo", &holder_name(&other_boot, gone, gone_ticks), short, 3).await;
        let unnamed = held_job(&client, "echo", "crashed-node", short, 3).await;
        let old_style = held_job(&client, "echo", &format!("node-{gone}-0123abcd"), short, 3).await;
        let dead = held_job(&client, "echo", &holder_name(&host, gone, gone_ticks), LONG_LEASE, 3).await;

        // A node starts and runs a job of its own: only the dead process's job came back, at once.
        let mut other = Harness::start(db.clone()).await;
        // Taken back while the node started: queued again, or already claimed by the new node as attempt 2 (and
        // perhaps already done: it is an `echo`).
        let (status, attempts, holder) = state(&db, dead).await;
        let claimed_again = status == JobStatus::Running && attempts == 2 && holder.as_deref() == Some(other.engine.node());
        let done_again = status == JobStatus::Succeeded && attempts == 2;
        assert!(status == JobStatus::Queued || claimed_again || done_again, "taken back while the node started: {status:?} {attempts} {holder:?}");
        let running = other.engine.enqueue(&alice(), "sleeper", json!({}), EnqueueOptions::default()).await.unwrap();
        assert_eq!(other.next_start().await.0, running.id);
        assert_eq!(other.finished(dead).await.attempts, 2);
        // Another node starts next to that live engine and leaves its job alone.
        let h = Harness::start(db.clone()).await;
        assert_eq!(h.engine.recover_jobs_of_dead_nodes().await.unwrap(), 0);
        assert_eq!(state(&db, running.id).await, (JobStatus::Running, 1, Some(other.engine.node().to_owned())));
        assert_eq!(state(&db, live).await, (JobStatus::Running, 1, Some(holder_name(&host, me, start_ticks(me).unwrap()))));
        // The others' leases run out and they are reaped as before (lease expired, after a backoff).
        for id in [foreign, earlier_boot, unnamed, old_style] {
            let done = h.finished(id).await;
            assert_eq!((done.status, done.attempts), (JobStatus::Succeeded, 2), "job {id}");
            let events = db.job_events(id, 0, 100).await.unwrap();
            let requeues: Vec<&str> =
                events.iter().filter(|e| e.payload["status"] == "queued").filter_map(|e| e.payload["error"].as_str()).collect();
            assert!(requeues.len() == 1 && requeues[0].contains("expired"), "job {id}: {requeues:?}");
        }
        let events = db.job_events(dead, 0, 100).await.unwrap();
        let requeue = events.iter().find(|e| e.payload["status"] == "queued").unwrap();
        assert!(requeue.payload["error"].as_str().unwrap().contains("died"), "{requeue:?}");
        assert_eq!(state(&db, live).await.0, JobStatus::Running, "a live process's job keeps its lease");
        assert_eq!(state(&db, running.id).await.0, JobStatus::Running);
        client.stop().await;
        other.stop().await;
        h.stop().await;
    }

    async fn a_dead_node_s_job_fails_on_its_last_attempt_or_ends_cancelled(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let settings = common::settings(dir.path()).client_only();
        let client = Harness::with_settings(db.clone(), settings.clone(), tempfile::tempdir().unwrap()).await;
        let host = HostIdentity::current().unwrap();
        let (gone, ticks) = dead_process();
        let holder = holder_name(&host, gone, ticks);
        let last = held_job(&client, "sleeper", &holder, LONG_LEASE, 1).await;
        let cancelled = held_job(&client, "sleeper", &holder, LONG_LEASE, 3).await;
        client.engine.cancel(&alice(), cancelled).await.unwrap();
        let retried = held_job(&client, "sleeper", &holder, LONG_LEASE, 3).await;

        // A node without workers, only maintenance, takes them back at once too.
        let maintenance = slipway_engine::EngineSettings { run_maintenance: true, ..settings };
        let m = Harness::with_settings(db.clone(), maintenance, dir).await;
        let failed = db.job(last).await.unwrap().unwrap();
        assert_eq!((failed.status, failed.error.as_deref()), (JobStatus::Failed, Some("worker lost; gave up after 1 attempts")));
        let ended = db.job(cancelled).await.unwrap().unwrap();
        assert_eq!(ended.status, JobStatus::Cancelled);
        let queued = db.job(retried).await.unwrap().unwrap();
        assert_eq!((queued.status, queued.attempts, queued.lease_holder), (JobStatus::Queued, 1, None));
        assert!(queued.scheduled_for <= slipway_core::time::now(), "due at once: {:?}", queued.scheduled_for);
        assert_eq!(m.engine.recover_jobs_of_dead_nodes().await.unwrap(), 0, "nothing is taken back twice");
        client.stop().await;
        m.stop().await;
    }

    async fn a_job_of_a_lost_worker_is_retried_with_backoff_and_succeeds(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let client = Harness::with_settings(db.clone(), common::settings(dir.path()).client_only(), dir).await;
        let opts = EnqueueOptions { max_attempts: 3, ..EnqueueOptions::default() };
        let job = client.engine.enqueue(&alice(), "echo", json!({"n": 1}), opts).await.unwrap();
        let attempt = crashed_worker_claims(&db, "echo", Duration::from_millis(300)).await;
        assert_eq!(attempt, 1);

        let h = Harness::start(db.clone()).await;
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::Succeeded);
        assert_eq!(done.attempts, 2);
        assert_eq!(done.output, Some(json!({"echo": {"n": 1}, "attempt": 2})));
        let events = db.job_events(job.id, 0, 100).await.unwrap();
        let requeue = events.iter().find(|e| e.kind == STATUS_EVENT && e.payload["status"] == "queued").unwrap();
        assert!(requeue.payload["error"].as_str().unwrap().contains("crashed-node"), "{requeue:?}");
        let retry_at: chrono::DateTime<chrono::Utc> = requeue.payload["retry_at"].as_str().unwrap().parse().unwrap();
        let second_start = events.iter().filter(|e| e.kind == STATUS_EVENT && e.payload["status"] == "running").nth(1).unwrap();
        assert!(second_start.at + chrono::Duration::seconds(1) >= retry_at, "the retry waited for its backoff");

        // The crashed worker comes back to life: whatever it writes is refused.
        let stale = JobWrite {
            job_id: job.id,
            guard: Guard::Lease { holder: "crashed-node".into(), attempt },
            change: Change::Finish { status: JobStatus::Failed, output: None, error: Some("late".into()) },
            events: vec![NewEvent::now(STATUS_EVENT, json!({"status": "failed"}))],
        };
        assert_eq!(db.apply_job_writes(&[stale], None).await.unwrap(), [None]);
        assert_eq!(db.job(job.id).await.unwrap().unwrap().status, JobStatus::Succeeded);
        client.stop().await;
        h.stop().await;
    }

    async fn a_job_whose_workers_keep_dying_fails_after_max_attempts(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let client = Harness::with_settings(db.clone(), common::settings(dir.path()).client_only(), dir).await;
        let opts = EnqueueOptions { max_attempts: 2, ..EnqueueOptions::default() };
        let job = client.engine.enqueue(&alice(), "echo", json!({}), opts).await.unwrap();
        crashed_worker_claims(&db, "echo", Duration::ZERO).await;
        assert_eq!(client.engine.reap_expired_leases().await.unwrap(), 1);
        let queued = db.job(job.id).await.unwrap().unwrap();
        assert_eq!((queued.status, queued.attempts), (JobStatus::Queued, 1));
        // Backoff: not claimable before its retry time.
        eventually("the retry to become due", || async {
            let until = slipway_core::time::now() + chrono::Duration::milliseconds(10);
            let claimed = db.claim_jobs("crashed-node", &["echo".into()], 1, until, None).await.unwrap();
            claimed.first().map(|j| j.attempts)
        }).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(client.engine.reap_expired_leases().await.unwrap(), 1);
        let failed = db.job(job.id).await.unwrap().unwrap();
        assert_eq!(failed.status, JobStatus::Failed);
        assert_eq!(failed.error.as_deref(), Some("worker lost; gave up after 2 attempts"));
        assert!(failed.finished_at.is_some() && failed.lease_holder.is_none());
        client.stop().await;
    }

    async fn the_reaper_runs_on_its_own_and_nothing_stays_running(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let client = Harness::with_settings(db.clone(), common::settings(dir.path()).client_only(), dir).await;
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(client.engine.enqueue(&alice(), "echo", json!(n), EnqueueOptions::default()).await.unwrap().id);
        }
        let until = slipway_core::time::now() + chrono::Duration::milliseconds(200);
        assert_eq!(db.claim_jobs("crashed-node", &["echo".into()], 3, until, None).await.unwrap().len(), 3);
        let h = Harness::start(db.clone()).await;
        for id in ids {
            assert_eq!(h.finished(id).await.status, JobStatus::Succeeded);
        }
        assert_eq!(db.job_status_counts().await.unwrap().running, 0);
        client.stop().await;
        h.stop().await;
    }
}
