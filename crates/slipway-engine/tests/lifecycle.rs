//! A job's life on both backends: enqueue, claim, run, finish; authorization; retries with checkpoints; and
//! every guarded transition refusing a writer that is out of date.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Harness, admin, alice, bob, eventually};
use serde_json::json;
use slipway_core::Error;
use slipway_engine::{EnqueueOptions, JobFilter, JobStatus, STATUS_EVENT};
use slipway_store::jobs::{Change, Guard, JobWrite, NewEvent, NewJob};
use slipway_store::{Db, backend_tests};

fn new_job(kind: &str) -> NewJob {
    NewJob {
        kind: kind.into(),
        owner_id: Some(2),
        priority: 0,
        input: json!({}),
        max_attempts: 2,
        timeout_ms: None,
        scheduled_for: slipway_core::time::now(),
        schedule_id: None,
        due_at: None,
    }
}

backend_tests! {
    async fn a_job_runs_to_success_and_logs_its_status(db: Db) {
        let h = Harness::start(db).await;
        let job = h.engine.enqueue(&alice(), "echo", json!({"x": 1}), EnqueueOptions::default()).await.unwrap();
        assert_eq!(job.status, JobStatus::Queued);
        assert_eq!(job.owner_id, Some(2));
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::Succeeded);
        assert_eq!(done.output, Some(json!({"echo": {"x": 1}, "attempt": 1})));
        assert_eq!((done.attempts, done.progress), (1, 100));
        assert!(done.started_at.is_some() && done.finished_at.is_some());
        assert!(done.lease_holder.is_none() && done.lease_expires_at.is_none());
        let events = h.db.job_events(job.id, 0, 100).await.unwrap();
        let statuses: Vec<_> = events.iter().filter(|e| e.kind == STATUS_EVENT).map(|e| e.payload["status"].clone()).collect();
        assert_eq!(statuses, [json!("running"), json!("succeeded")]);
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=events.len() as i64).collect::<Vec<_>>());
        let m = eventually("the success to be counted", || async {
            Some(h.engine.metrics().await.unwrap()).filter(|m| m.succeeded == 1)
        }).await;
        assert_eq!((m.queue_depth, m.running), (0, 0));
        assert_eq!(m.run_time.count, 1);
        h.stop().await;
    }

    async fn owners_see_their_jobs_and_admins_all(db: Db) {
        let h = Harness::start(db).await;
        let mine = h.engine.enqueue(&alice(), "echo", json!(1), EnqueueOptions::default()).await.unwrap();
        let theirs = h.engine.enqueue(&bob(), "echo", json!(2), EnqueueOptions::default()).await.unwrap();
        let system = h.engine.enqueue_system(None, "echo", json!(3), EnqueueOptions::default()).await.unwrap();
        assert!(h.engine.get(&alice(), mine.id).await.is_ok());
        assert!(matches!(h.engine.get(&alice(), theirs.id).await, Err(Error::NotFound(_))));
        assert!(matches!(h.engine.get(&alice(), system.id).await, Err(Error::NotFound(_))));
        assert!(h.engine.get(&admin(), system.id).await.is_ok());
        assert!(matches!(h.engine.cancel(&alice(), theirs.id).await, Err(Error::NotFound(_))));

        let page = h.engine.list(&alice(), JobFilter::default()).await.unwrap();
        assert_eq!((page.total, page.items.len()), (1, 1));
        let forbidden = JobFilter { owner_id: Some(3), ..JobFilter::default() };
        assert!(matches!(h.engine.list(&alice(), forbidden).await, Err(Error::Forbidden(_))));
        let all = h.engine.list(&admin(), JobFilter { limit: 2, ..JobFilter::default() }).await.unwrap();
        assert_eq!((all.total, all.items.len()), (3, 2));
        assert_eq!(all.items[0].id, system.id, "newest first");
        for id in [mine.id, theirs.id, system.id] {
            h.finished(id).await;
        }
        let by_status = JobFilter { statuses: vec![JobStatus::Succeeded], kind: Some("echo".into()), ..JobFilter::default() };
        assert_eq!(h.engine.list(&admin(), by_status).await.unwrap().total, 3);
        h.stop().await;
    }

    async fn bad_requests_name_the_field(db: Db) {
        let h = Harness::start(db).await;
        let field = |e: Error| e.field_errors()[0].field();
        let e = h.engine.enqueue(&alice(), "nope", json!({}), EnqueueOptions::default()).await.unwrap_err();
        assert_eq!(field(e), "kind");
        let opts = EnqueueOptions { max_attempts: 0, ..EnqueueOptions::default() };
        assert_eq!(field(h.engine.enqueue(&alice(), "echo", json!({}), opts).await.unwrap_err()), "max_attempts");
        let opts = EnqueueOptions { timeout: Some(Duration::ZERO), ..EnqueueOptions::default() };
        assert_eq!(field(h.engine.enqueue(&alice(), "echo", json!({}), opts).await.unwrap_err()), "timeout");
        let e = h.engine.enqueue(&admin(), "command", json!({"command": ""}), EnqueueOptions::default()).await;
        assert_eq!(field(e.unwrap_err()), "command");
        let db = h.db.clone();
        h.stop().await;
        let unsandboxed = Harness::without_sandbox(db).await;
        let e = unsandboxed.engine.enqueue(&alice(), "command", json!({"command": "true"}), EnqueueOptions::default()).await;
        assert!(matches!(e, Err(Error::Forbidden(_))), "without the sandbox shell commands need an administrator: {e:?}");
        unsandboxed.stop().await;
    }

    async fn higher_priority_and_due_jobs_run_first(db: Db) {
        let h = Harness::start(db.clone()).await;
        let later = slipway_core::time::now() + chrono::Duration::milliseconds(700);
        let delayed = h.engine
            .enqueue(&alice(), "echo", json!("later"), EnqueueOptions { scheduled_for: Some(later), ..Default::default() })
            .await
            .unwrap();
        let done = h.finished(delayed.id).await;
        assert!(done.started_at.unwrap() >= later, "a delayed job does not start early");
        h.stop().await;

        // With no worker running, queue three jobs, then claim one: the highest priority wins.
        for p in [1, 5, 3] {
            db.insert_job(&NewJob { priority: p, ..new_job("echo") }).await.unwrap();
        }
        let lease = slipway_core::time::now() + chrono::Duration::seconds(5);
        let claimed = db.claim_jobs("n1", &["echo".into()], 1, lease, None).await.unwrap();
        assert_eq!(claimed[0].priority, 5);
        let none = db.claim_jobs("n1", &["other".into()], 5, lease, None).await.unwrap();
        assert!(none.is_empty(), "workers claim only kinds they run");
    }

    async fn a_retryable_failure_is_retried_with_its_checkpoint(db: Db) {
        let h = Harness::start(db).await;
        let opts = EnqueueOptions { max_attempts: 3, ..EnqueueOptions::default() };
        let job = h.engine.enqueue(&alice(), "flaky", json!({"succeed_on": 3}), opts).await.unwrap();
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::Succeeded);
        assert_eq!(done.attempts, 3);
        assert_eq!(done.output, Some(json!({"attempt": 3, "checkpoint_seen": 2})), "each attempt resumed from the last checkpoint");
        let retries: Vec<_> = h.db.job_events(job.id, 0, 100).await.unwrap().into_iter()
            .filter(|e| e.kind == STATUS_EVENT && e.payload["status"] == "queued").collect();
        assert_eq!(retries.len(), 2);
        assert!(retries[0].payload["retry_at"].is_string());

        let opts = EnqueueOptions { max_attempts: 2, ..EnqueueOptions::default() };
        let job = h.engine.enqueue(&alice(), "flaky", json!({"succeed_on": 5}), opts).await.unwrap();
        let done = h.finished(job.id).await;
        assert_eq!((done.status, done.attempts), (JobStatus::Failed, 2));
        assert_eq!(done.error.as_deref(), Some("attempt 2 failed on purpose"));
        h.stop().await;
    }

    async fn guarded_transitions_refuse_stale_writers(db: Db) {
        let job = db.insert_job(&new_job("echo")).await.unwrap();
        let lease = slipway_core::time::now() + chrono::Duration::seconds(30);
        let claimed = db.claim_jobs("node-a", &["echo".into()], 1, lease, None).await.unwrap();
        assert_eq!((claimed[0].id, claimed[0].attempts, claimed[0].status), (job.id, 1, JobStatus::Running));
        let ev = || vec![NewEvent::now("note", json!({}))];
        let write = |guard: Guard, change: Change| JobWrite { job_id: job.id, guard, change, events: ev() };
        let lease_a = Guard::Lease { holder: "node-a".into(), attempt: 1 };
        let append = Change::Append { progress: Some(40), stage: Some("build".into()) };

        // Another node, or an older attempt, cannot write; the holder can.
        let r = db.apply_job_writes(&[
            write(Guard::Lease { holder: "node-b".into(), attempt: 1 }, append.clone()),
            write(Guard::Lease { holder: "node-a".into(), attempt: 0 }, append.clone()),
            write(lease_a.clone(), append.clone()),
            write(Guard::Queued, Change::Finish { status: JobStatus::Cancelled, output: None, error: None }),
        ], None).await.unwrap();
        assert_eq!(r, [None, None, Some(2), None]);
        let row = db.job(job.id).await.unwrap().unwrap();
        assert_eq!((row.progress, row.stage.as_deref(), row.event_seq), (40, Some("build"), 2));

        // The reaper cannot take a job whose lease is still valid.
        let now = slipway_core::time::now();
        let reap = write(Guard::Expired { attempt: 1, now }, Change::Retry { error: "lost".into(), retry_at: now });
        assert_eq!(db.apply_job_writes(&[reap], None).await.unwrap(), [None]);

        // Once the lease expired and the reaper requeued the job, the old holder's writes change nothing.
        let expired = slipway_core::time::now() - chrono::Duration::seconds(1);
        db.extend_leases("node-a", expired, slipway_core::time::now()).await.unwrap();
        let now = slipway_core::time::now();
        let reap = write(Guard::Expired { attempt: 1, now }, Change::Retry { error: "lost".into(), retry_at: now });
        assert_eq!(db.apply_job_writes(&[reap], None).await.unwrap(), [Some(3)]);
        let finish = Change::Finish { status: JobStatus::Succeeded, output: Some(json!(1)), error: None };
        let stale = db.apply_job_writes(&[write(lease_a.clone(), finish.clone()), write(lease_a.clone(), Change::HandBack)], None).await.unwrap();
        assert_eq!(stale, [None, None]);
        let row = db.job(job.id).await.unwrap().unwrap();
        assert_eq!((row.status, row.attempts, row.error.as_deref()), (JobStatus::Queued, 1, Some("lost")));

        // Claimed again (attempt 2) by node-b: a hand-back returns it without counting the attempt.
        let claimed = db.claim_jobs("node-b", &["echo".into()], 1, lease, None).await.unwrap();
        assert_eq!(claimed[0].attempts, 2);
        let lease_b = Guard::Lease { holder: "node-b".into(), attempt: 2 };
        assert_eq!(db.apply_job_writes(&[write(lease_b.clone(), Change::HandBack)], None).await.unwrap(), [Some(5)]);
        let row = db.job(job.id).await.unwrap().unwrap();
        assert_eq!((row.status, row.attempts), (JobStatus::Queued, 1));

        // Claimed a third time; it finishes; nothing can change a finished job.
        let claimed = db.claim_jobs("node-b", &["echo".into()], 1, lease, None).await.unwrap();
        let lease_b = Guard::Lease { holder: "node-b".into(), attempt: claimed[0].attempts };
        assert!(db.apply_job_writes(&[write(lease_b.clone(), finish.clone())], None).await.unwrap()[0].is_some());
        let after = db.apply_job_writes(&[
            write(lease_b.clone(), finish),
            write(lease_b, Change::Retry { error: "x".into(), retry_at: now }),
            write(Guard::Queued, Change::Finish { status: JobStatus::Cancelled, output: None, error: None }),
        ], None).await.unwrap();
        assert_eq!(after, [None, None, None]);
        let row = db.job(job.id).await.unwrap().unwrap();
        assert_eq!((row.status, row.output), (JobStatus::Succeeded, Some(json!(1))));
        let seqs: Vec<i64> = db.job_events(job.id, 0, 100).await.unwrap().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=row.event_seq).collect::<Vec<_>>(), "refused writes leave no events and no gaps");
    }

    async fn shutdown_hands_running_jobs_back_without_burning_an_attempt(db: Db) {
        let mut h = Harness::start(db.clone()).await;
        let job = h.engine.enqueue(&alice(), "sleeper", json!({}), EnqueueOptions::default()).await.unwrap();
        h.next_start().await;
        h.engine.shutdown(Duration::from_millis(200)).await;
        let row = db.job(job.id).await.unwrap().unwrap();
        assert_eq!((row.status, row.attempts), (JobStatus::Queued, 0));
        assert!(row.lease_holder.is_none());

        let h2 = Harness::start(db.clone()).await;
        let stopped = tokio::time::timeout(Duration::from_secs(5), h.stopped.recv()).await.unwrap();
        assert!(stopped.is_some(), "the executor saw its cancellation");
        let job2 = h2.engine.enqueue(&alice(), "echo", json!({}), EnqueueOptions::default()).await.unwrap();
        h2.finished(job2.id).await;
        let running = eventually("the handed-back job to run again", || async {
            let row = db.job(job.id).await.unwrap().unwrap();
            (row.status == JobStatus::Running).then_some(row)
        }).await;
        assert_eq!(running.attempts, 1, "the handed-back attempt was not counted");
        h2.stop().await;
    }

    async fn the_engine_probe_fails_when_the_queue_is_unreachable(db: Db) {
        use slipway_core::Probe;
        let h = Harness::start(db.clone()).await;
        assert_eq!(h.engine.name(), "engine");
        assert!(h.engine.check().await.is_ok());
        h.engine.shutdown(Duration::from_millis(100)).await;
        db.close().await;
        let err = h.engine.check().await.unwrap_err();
        assert!(err.contains("job queue"), "{err}");
    }

    async fn a_shutdown_lets_short_jobs_finish(db: Db) {
        let mut h = Harness::start(db.clone()).await;
        let job = h.engine.enqueue(&alice(), "sleeper", json!({"ms": 300}), EnqueueOptions::default()).await.unwrap();
        h.next_start().await;
        h.engine.shutdown(Duration::from_secs(20)).await;
        let row = db.job(job.id).await.unwrap().unwrap();
        assert_eq!(row.status, JobStatus::Succeeded);
    }
}
