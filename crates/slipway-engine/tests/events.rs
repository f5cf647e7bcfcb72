//! Event subscriptions on both backends: replay from a sequence number then live events; resuming after a
//! disconnect sees every event once and in order; a slow subscriber does not hold up the job or the others;
//! a subscriber on another node sees a job that runs elsewhere; retention deletes old events.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Harness, admin, alice, bob};
use futures_util::StreamExt;
use serde_json::json;
use slipway_core::Error;
use slipway_engine::{EnqueueOptions, EventStream, JobEvent, JobStatus, STATUS_EVENT};
use slipway_store::{Db, backend_tests};

async fn collect(mut s: EventStream) -> Vec<JobEvent> {
    let mut out = Vec::new();
    while let Some(e) = tokio::time::timeout(common::PATIENCE, s.next()).await.expect("events keep coming") {
        out.push((*e.unwrap()).clone());
    }
    out
}

fn ticks(events: &[JobEvent]) -> Vec<i64> {
    events.iter().filter(|e| e.kind == "tick").map(|e| e.payload["n"].as_i64().unwrap()).collect()
}

fn assert_contiguous(events: &[JobEvent], from: i64) {
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (from..from + seqs.len() as i64).collect::<Vec<_>>(), "every event once, in order");
}

backend_tests! {
    async fn a_subscriber_gets_the_replay_then_live_events_until_the_end(db: Db) {
        let h = Harness::start(db).await;
        let input = json!({"count": 30, "every_ms": 10});
        let job = h.engine.enqueue(&alice(), "ticker", input, EnqueueOptions::default()).await.unwrap();
        let all = collect(h.engine.subscribe(&alice(), job.id, 0).await.unwrap()).await;
        assert_contiguous(&all, 1);
        assert_eq!(ticks(&all), (0..30).collect::<Vec<_>>());
        assert_eq!(all[0].payload["status"], "running");
        assert!(all.iter().any(|e| e.kind == "stage" && e.payload["stage"] == "ticking"));
        assert!(all.iter().any(|e| e.kind == "progress" && e.payload["progress"] == 100));
        let last = all.last().unwrap();
        assert_eq!((last.kind.as_str(), &last.payload["status"]), (STATUS_EVENT, &json!("succeeded")));

        // A finished job replays from any point, and ends.
        let tail = collect(h.engine.subscribe(&alice(), job.id, 20).await.unwrap()).await;
        assert_eq!(tail.first().unwrap().seq, 21);
        assert_eq!(tail.len(), all.len() - 20);
        // Past the end, up to the largest sequence number a client can send: nothing, and the stream ends.
        assert!(collect(h.engine.subscribe(&alice(), job.id, i64::MAX).await.unwrap()).await.is_empty());
        assert!(matches!(h.engine.subscribe(&bob(), job.id, 0).await, Err(Error::NotFound(_))));
        h.stop().await;
    }

    async fn a_subscriber_that_reconnects_misses_nothing(db: Db) {
        let h = Harness::start(db).await;
        let input = json!({"count": 60, "every_ms": 15});
        let job = h.engine.enqueue(&alice(), "ticker", input, EnqueueOptions::default()).await.unwrap();
        let mut seen: Vec<JobEvent> = Vec::new();
        let mut last = 0;
        // Disconnect after a few events each time, resume from the last sequence number seen (Last-Event-ID).
        'outer: loop {
            let mut s = h.engine.subscribe(&alice(), job.id, last).await.unwrap();
            for _ in 0..7 {
                match tokio::time::timeout(common::PATIENCE, s.next()).await.unwrap() {
                    Some(e) => {
                        let e = e.unwrap();
                        last = e.seq;
                        seen.push((*e).clone());
                    }
                    None => break 'outer,
                }
            }
            drop(s);
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        assert_contiguous(&seen, 1);
        assert_eq!(ticks(&seen), (0..60).collect::<Vec<_>>());
        assert_eq!(seen.last().unwrap().payload["status"], "succeeded");
        h.stop().await;
    }

    async fn a_slow_subscriber_blocks_neither_the_job_nor_the_others(db: Db) {
        let h = Harness::start(db).await;
        // More events than a topic buffers, emitted as fast as the database takes them.
        let input = json!({"count": 3000, "every_ms": 0});
        let job = h.engine.enqueue(&alice(), "ticker", input, EnqueueOptions::default()).await.unwrap();
        let slow = h.engine.subscribe(&alice(), job.id, 0).await.unwrap();
        let fast = tokio::spawn(collect(h.engine.subscribe(&alice(), job.id, 0).await.unwrap()));
        let mut slow = slow;
        let first = slow.next().await.unwrap().unwrap();
        // The slow one reads nothing more until the job is over.
        let done = h.finished(job.id).await;
        assert_eq!(done.status, JobStatus::Succeeded);
        let fast = fast.await.unwrap();
        assert_eq!(ticks(&fast).len(), 3000);
        assert_contiguous(&fast, 1);
        let mut rest = vec![(*first).clone()];
        rest.extend(collect(slow).await);
        assert_contiguous(&rest, 1);
        assert_eq!(rest.len(), fast.len(), "the slow subscriber caught up from the log");
        h.stop().await;
    }

    async fn a_subscriber_on_another_node_sees_a_job_running_elsewhere(db: Db) {
        let runner = Harness::start(db.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let watcher = Harness::with_settings(db, common::settings(dir.path()).client_only(), dir).await;
        let input = json!({"count": 40, "every_ms": 10});
        let job = watcher.engine.enqueue(&alice(), "ticker", input, EnqueueOptions::default()).await.unwrap();
        let events = collect(watcher.engine.subscribe(&alice(), job.id, 0).await.unwrap()).await;
        assert_contiguous(&events, 1);
        assert_eq!(ticks(&events).len(), 40);
        assert_eq!(events.last().unwrap().payload["status"], "succeeded");
        assert_eq!(events[0].payload["node"], runner.engine.node());
        watcher.stop().await;
        runner.stop().await;
    }

    async fn retention_deletes_old_events_of_finished_jobs_only(db: Db) {
        let mut h = Harness::start(db.clone()).await;
        let finished = h.engine.enqueue(&alice(), "ticker", json!({"count": 5}), EnqueueOptions::default()).await.unwrap();
        h.finished(finished.id).await;
        let running = h.engine.enqueue(&alice(), "sleeper", json!({}), EnqueueOptions::default()).await.unwrap();
        h.next_start().await;
        assert_eq!(h.engine.purge_events_before(slipway_core::time::now() - chrono::Duration::days(1)).await.unwrap(), 0);
        let purged = h.engine.purge_events_before(slipway_core::time::now() + chrono::Duration::seconds(1)).await.unwrap();
        assert!(purged >= 7, "the finished job's events went ({purged})");
        assert!(db.job_events(finished.id, 0, 100).await.unwrap().is_empty());
        assert!(!db.job_events(running.id, 0, 100).await.unwrap().is_empty(), "a live job keeps its log");
        // Subscribing to a finished job whose log is gone ends at once instead of waiting forever.
        let events = collect(h.engine.subscribe(&admin(), finished.id, 0).await.unwrap()).await;
        assert!(events.is_empty());
        h.engine.cancel(&admin(), running.id).await.unwrap();
        h.stop().await;
    }
}
