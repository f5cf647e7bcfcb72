//! Batches of guarded job writes on both backends: many jobs and every kind of change in one batch, each
//! job's events numbered without gaps, refused guards leaving the rest of the batch intact, and (PostgreSQL)
//! one notification per accepted write with events.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use slipway_store::jobs::{Change, Guard, JobStatus, JobWrite, NewEvent, NewJob};
use slipway_store::{Db, backend_tests};

const JOBS: usize = 120;

fn new_job() -> NewJob {
    NewJob {
        kind: "batch".into(),
        owner_id: None,
        priority: 0,
        input: json!({}),
        max_attempts: 3,
        timeout_ms: None,
        scheduled_for: slipway_core::time::now(),
        schedule_id: None,
        due_at: None,
    }
}

fn events(kinds: &[&str]) -> Vec<NewEvent> {
    kinds.iter().map(|k| NewEvent::now(*k, json!({ "k": k }))).collect()
}

fn write(job_id: i64, guard: &Guard, change: Change, kinds: &[&str]) -> JobWrite {
    JobWrite { job_id, guard: guard.clone(), change, events: events(kinds) }
}

/// Jobs leased to `node-a` at attempt 1 (each already has its `running` event, seq 1).
async fn claimed(db: &Db, n: usize) -> Vec<i64> {
    db.insert_jobs(&vec![new_job(); n]).await.unwrap();
    let lease = slipway_core::time::now() + chrono::Duration::seconds(60);
    let jobs = db.claim_jobs("node-a", &["batch".into()], n as i64, lease, None).await.unwrap();
    assert_eq!(jobs.len(), n);
    let mut ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    ids.sort_unstable();
    ids
}

/// The batch: per job three writes of different changes, then an ending that depends on the job, with a stale
/// writer's write in between; interleaved across jobs the way the engine's writer queues them.
fn batch(ids: &[i64]) -> (Vec<JobWrite>, Vec<Option<i64>>) {
    let lease = Guard::Lease { holder: "node-a".into(), attempt: 1 };
    let stale = Guard::Lease { holder: "node-b".into(), attempt: 1 };
    let retry_at = slipway_core::time::now() + chrono::Duration::seconds(30);
    let mut writes = Vec::new();
    let mut expected = Vec::new();
    for &id in ids {
        writes.push(write(id, &lease, Change::Append { progress: Some(10), stage: None }, &["a", "b"]));
        expected.push(Some(3));
    }
    for &id in ids {
        writes.push(write(id, &lease, Change::Checkpoint(json!({ "at": id })), &["c"]));
        writes.push(write(id, &stale, Change::Append { progress: Some(99), stage: None }, &["stale"]));
        expected.extend([Some(4), None]);
    }
    for (i, &id) in ids.iter().enumerate() {
        writes.push(write(id, &lease, Change::Append { progress: None, stage: Some("late".into()) }, &[]));
        expected.push(Some(4));
        let end = match i % 4 {
            0 => Change::Finish { status: JobStatus::Succeeded, output: Some(json!({ "id": id })), error: None },
            1 => Change::Finish { status: JobStatus::Cancelled, output: None, error: Some("stop".into()) },
            2 => Change::Retry { error: "again".into(), retry_at },
            _ => Change::HandBack,
        };
        writes.push(write(id, &lease, end, &["status"]));
        expected.push(Some(5));
    }
    // A write after the job left `running` is refused, and leaves no event.
    writes.push(write(ids[0], &lease, Change::Append { progress: Some(1), stage: None }, &["after"]));
    expected.push(None);
    (writes, expected)
}

backend_tests! {
    async fn a_batch_of_many_jobs_lands_every_change_and_numbers_events_without_gaps(db: Db) {
        let ids = claimed(&db, JOBS).await;
        let (writes, expected) = batch(&ids);
        let results = db.apply_job_writes(&writes, None).await.unwrap();
        assert_eq!(results, expected);

        for (i, &id) in ids.iter().enumerate() {
            let row = db.job(id).await.unwrap().unwrap();
            assert_eq!(row.event_seq, 5);
            assert_eq!(row.checkpoint, Some(json!({ "at": id })));
            assert_eq!(row.stage.as_deref(), Some("late"));
            assert!(row.lease_holder.is_none() && row.lease_expires_at.is_none());
            let got = (row.status, row.progress, row.attempts, row.output.clone(), row.error.as_deref());
            match i % 4 {
                0 => assert_eq!(got, (JobStatus::Succeeded, 100, 1, Some(json!({ "id": id })), None)),
                1 => {
                    assert_eq!(got, (JobStatus::Cancelled, 10, 1, None, Some("stop")));
                    assert!(row.cancel_requested);
                }
                2 => assert_eq!(got, (JobStatus::Queued, 10, 1, None, Some("again"))),
                _ => assert_eq!(got, (JobStatus::Queued, 10, 0, None, None)),
            }
            assert_eq!(row.finished_at.is_some(), i % 4 < 2);
            let log = db.job_events(id, 0, 100).await.unwrap();
            let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
            let kinds: Vec<&str> = log.iter().map(|e| e.kind.as_str()).collect();
            assert_eq!(seqs, [1, 2, 3, 4, 5]);
            assert_eq!(kinds, ["status", "a", "b", "c", "status"]);
            assert_eq!(log[1].payload, json!({ "k": "a" }));
        }
    }

    async fn refused_guards_leave_the_other_jobs_writes_in_place(db: Db) {
        let ids = claimed(&db, 3).await;
        let lease = Guard::Lease { holder: "node-a".into(), attempt: 1 };
        let older = Guard::Lease { holder: "node-a".into(), attempt: 0 };
        let now = slipway_core::time::now();
        let writes = [
            write(ids[0], &older, Change::Append { progress: Some(50), stage: None }, &["x"]),
            write(ids[1], &lease, Change::Append { progress: Some(20), stage: None }, &["y"]),
            write(ids[2], &Guard::Queued, Change::Finish { status: JobStatus::Cancelled, output: None, error: None }, &["z"]),
            write(ids[2], &Guard::Expired { attempt: 1, now }, Change::Retry { error: "lost".into(), retry_at: now }, &["r"]),
            write(ids[2], &lease, Change::Append { progress: Some(30), stage: None }, &["w"]),
        ];
        let results = db.apply_job_writes(&writes, None).await.unwrap();
        assert_eq!(results, [None, Some(2), None, None, Some(2)]);
        let progress: Vec<(i32, i64)> = progress_and_seq(&db, &ids).await;
        assert_eq!(progress, [(0, 1), (20, 2), (30, 2)]);
    }
}

async fn progress_and_seq(db: &Db, ids: &[i64]) -> Vec<(i32, i64)> {
    let mut out = Vec::new();
    for &id in ids {
        let row = db.job(id).await.unwrap().unwrap();
        out.push((row.progress, row.event_seq));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_notifies_once_per_accepted_write_with_events() {
    let Some(t) = slipway_store::testing::postgres().await else { return };
    let db = t.db.clone();
    let (Db::Postgres(pool), Some(channels)) = (&db, db.engine_channels().await.unwrap()) else {
        panic!("a PostgreSQL test database has notification channels")
    };
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await.unwrap();
    listener.listen(&channels.events).await.unwrap();
    let ids = claimed(&db, 4).await;
    let (writes, expected) = batch(&ids);
    assert_eq!(db.apply_job_writes(&writes, Some(&channels)).await.unwrap(), expected);
    let with_events = writes.iter().zip(&expected).filter(|(w, r)| r.is_some() && !w.events.is_empty()).count();
    let mut heard = Vec::new();
    for _ in 0..with_events {
        let n = tokio::time::timeout(Duration::from_secs(10), listener.recv()).await.unwrap().unwrap();
        heard.push(n.payload().to_owned());
    }
    heard.sort();
    let mut want: Vec<String> = ids.iter().flat_map(|id| [3, 4, 5].map(|s| format!("{id}:{s}"))).collect();
    want.sort();
    assert_eq!(heard, want);
    let extra = tokio::time::timeout(Duration::from_millis(300), listener.recv()).await;
    assert!(extra.is_err(), "no notification for refused or event-less writes: {extra:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_claims_a_job_while_a_referencing_row_is_being_written() {
    let Some(t) = slipway_store::testing::postgres().await else { return };
    let db = t.db.clone();
    let Db::Postgres(pool) = &db else { panic!("a PostgreSQL test database") };
    let job = db.insert_jobs(&[new_job()]).await.unwrap().remove(0);
    // An open transaction that inserted a row referencing the job holds the job's row `FOR KEY SHARE`, as a
    // pipeline run being linked to its job right after the enqueue does.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO job_events (job_id, seq, at, type, payload) VALUES ($1, 1000, now(), 'x', '{}')")
        .bind(job.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let lease = slipway_core::time::now() + chrono::Duration::seconds(60);
    let claimed =
        tokio::time::timeout(Duration::from_secs(10), db.claim_jobs("node-a", &["batch".into()], 1, lease, None))
            .await
            .unwrap()
            .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![job.id], "the claim did not skip the job");
}
