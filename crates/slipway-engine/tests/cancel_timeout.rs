//! Cancellation and timeouts on both backends: a cancel reaches a running executor fast, on its own node and
//! from another one; a command's whole process group is gone afterwards; a job past its timeout ends
//! `timed_out`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{Harness, admin, alice, bob, eventually};
use serde_json::json;
use slipway_core::Error;
use slipway_engine::{EngineSettings, EnqueueOptions, JobStatus};
use slipway_store::{Db, backend_tests};

/// Whether any process of the group `pgid` is still alive.
fn group_alive(pgid: i32) -> bool {
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pgid), None).is_ok()
}

backend_tests! {
    async fn cancelling_a_queued_job_ends_it_at_once(db: Db) {
        let h = Harness::start(db).await;
        let later = slipway_core::time::now() + chrono::Duration::hours(1);
        let opts = EnqueueOptions { scheduled_for: Some(later), ..EnqueueOptions::default() };
        let job = h.engine.enqueue(&alice(), "echo", json!({}), opts).await.unwrap();
        assert!(matches!(h.engine.cancel(&bob(), job.id).await, Err(Error::NotFound(_))), "not bob's job");
        let cancelled = h.engine.cancel(&alice(), job.id).await.unwrap();
        assert_eq!(cancelled.status, JobStatus::Cancelled);
        assert!(cancelled.cancel_requested && cancelled.finished_at.is_some());
        assert!(matches!(h.engine.cancel(&alice(), job.id).await, Err(Error::Conflict(_))), "already finished");
        h.stop().await;
    }

    async fn a_cancel_reaches_the_running_executor_fast(db: Db) {
        let mut h = Harness::start(db).await;
        let job = h.engine.enqueue(&alice(), "sleeper", json!({}), EnqueueOptions::default()).await.unwrap();
        let (id, _) = h.next_start().await;
        assert_eq!(id, job.id);
        let asked = Instant::now();
        h.engine.cancel(&admin(), job.id).await.unwrap();
        let (_, stopped) = tokio::time::timeout(common::PATIENCE, h.stopped.recv()).await.unwrap().unwrap();
        let latency = stopped - asked;
        eprintln!("cancel reached the executor on its own node after {latency:?}");
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::Cancelled);
        assert_eq!(done.error.as_deref(), Some("cancelled on request"));
        eventually("the cancel to be counted", || async { (h.engine.metrics().await.unwrap().cancelled == 1).then_some(()) }).await;
        h.stop().await;
    }

    async fn a_cancel_reaches_a_job_running_on_another_node(db: Db) {
        let mut runner = Harness::start(db.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let client = Harness::with_settings(db, common::settings(dir.path()).client_only(), dir).await;
        let job = client.engine.enqueue(&alice(), "sleeper", json!({}), EnqueueOptions::default()).await.unwrap();
        runner.next_start().await;
        let asked = Instant::now();
        client.engine.cancel(&alice(), job.id).await.unwrap();
        let (_, stopped) = tokio::time::timeout(common::PATIENCE, runner.stopped.recv()).await.unwrap().unwrap();
        eprintln!("cancel reached the executor on another node after {:?}", stopped - asked);
        assert_eq!(client.finished(job.id).await.status, JobStatus::Cancelled);
        client.stop().await;
        runner.stop().await;
    }

    async fn a_job_past_its_timeout_ends_timed_out(db: Db) {
        let h = Harness::start(db).await;
        let opts = EnqueueOptions { timeout: Some(Duration::from_millis(300)), ..EnqueueOptions::default() };
        let job = h.engine.enqueue(&alice(), "sleeper", json!({}), opts).await.unwrap();
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::TimedOut);
        assert_eq!(done.error.as_deref(), Some("timed out after 300 ms"));
        eventually("the timeout to be counted", || async { (h.engine.metrics().await.unwrap().timed_out == 1).then_some(()) }).await;
        h.stop().await;
    }

    async fn cancelling_a_command_kills_its_whole_process_group(db: Db) {
        let h = Harness::start(db.clone()).await;
        // A duration of its own (`sleep 300.<n>`), so the processes found below are this test's and no other's:
        // sibling tests that run at the same time start sleeps too.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let sleep = format!("sleep 300.{nanos:09}");
        let input = json!({"command": format!("{sleep} & {sleep} & echo started; wait")});
        let job = h.engine.enqueue(&admin(), "command", input, EnqueueOptions::default()).await.unwrap();
        eventually("the command to print", || async {
            let events = db.job_events(job.id, 0, 100).await.unwrap();
            events.iter().any(|e| e.kind == "stdout" && e.payload["line"] == "started").then_some(())
        }).await;
        let pids = std::process::Command::new("pgrep").args(["-f", &format!("^{sleep}$")]).output().unwrap();
        let pgids: Vec<i32> = String::from_utf8_lossy(&pids.stdout)
            .lines()
            .filter_map(|p| p.trim().parse::<i32>().ok())
            .filter_map(|p| nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(p))).ok())
            .map(|g| g.as_raw())
            .filter(|g| *g != nix::unistd::getpgrp().as_raw())
            .collect();
        assert!(!pgids.is_empty(), "the sleeps run in a process group of their own");
        h.engine.cancel(&admin(), job.id).await.unwrap();
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::Cancelled);
        let output = done.output.unwrap();
        assert_eq!(output["stdout"], "started\n");
        assert!(output["exit_code"].is_null() || output["signal"].is_number(), "{output}");
        eventually("the process group to be gone", || async {
            pgids.iter().all(|g| !group_alive(*g)).then_some(())
        }).await;
        h.stop().await;
    }

    async fn a_command_past_its_timeout_is_killed_and_timed_out(db: Db) {
        let h = Harness::start(db).await;
        let opts = EnqueueOptions { timeout: Some(Duration::from_millis(500)), ..EnqueueOptions::default() };
        let job = h.engine.enqueue(&admin(), "command", json!({"command": "echo $$; exec sleep 300"}), opts).await.unwrap();
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::TimedOut);
        let pid: i32 = done.output.as_ref().unwrap()["stdout"].as_str().unwrap().trim().parse().unwrap();
        assert!(!group_alive(pid), "the timed-out command's group is gone");
        h.stop().await;
    }

    async fn an_executor_that_ignores_cancellation_is_abandoned(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let settings = EngineSettings { cancel_grace: Duration::from_millis(300), ..common::settings(dir.path()) };
        let h = Harness::with_settings(db, settings, dir).await;
        let opts = EnqueueOptions { timeout: Some(Duration::from_millis(200)), ..EnqueueOptions::default() };
        let input = json!({"command": "trap '' TERM; sleep 300"});
        let job = h.engine.enqueue(&admin(), "command", input, opts).await.unwrap();
        assert_eq!(h.finished(job.id).await.status, JobStatus::TimedOut);
        h.stop().await;
    }
}
