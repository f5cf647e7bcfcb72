//! Lost workers on both backends: a job whose worker stopped heartbeating goes back to the queue after its
//! lease expires (with backoff) and succeeds on another worker, or fails once its attempts are used up.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Harness, alice, eventually};
use serde_json::json;
use slipway_engine::{EnqueueOptions, JobStatus, STATUS_EVENT};
use slipway_store::jobs::{Change, Guard, JobWrite, NewEvent};
use slipway_store::{Db, backend_tests};

/// Plays a worker that claims `job` and dies at once: its lease runs out after `lease`.
async fn crashed_worker_claims(db: &Db, kind: &str, lease: Duration) -> i32 {
    let until = slipway_core::time::now() + chrono::Duration::from_std(lease).unwrap();
    let claimed = db.claim_jobs("crashed-node", &[kind.to_owned()], 1, until, None).await.unwrap();
    assert_eq!(claimed.len(), 1, "the crashed worker got the job");
    claimed[0].attempts
}

backend_tests! {
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
