//! Cron schedules on both backends: each due time fires exactly once even with two engines on one database;
//! enable/disable, run now, the missed-run policies, authorization and validation.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Harness, admin, alice, bob, eventually};
use serde_json::json;
use slipway_core::Error;
use slipway_engine::{EnqueueOptions, JobFilter, JobStatus, MissedRuns, ScheduleRequest, ScheduleUpdate};
use slipway_store::{Db, backend_tests};

fn every_second(kind: &str) -> ScheduleRequest {
    ScheduleRequest {
        name: "tick".into(),
        cron: "* * * * * *".into(),
        timezone: None,
        kind: kind.into(),
        input: json!({}),
        enabled: true,
        missed_runs: None,
        options: EnqueueOptions::default(),
    }
}

async fn due_times(db: &Db, schedule_id: i64) -> BTreeMap<chrono::DateTime<chrono::Utc>, usize> {
    let filter = JobFilter { schedule_id: Some(schedule_id), limit: 1000, ..JobFilter::default() };
    let (jobs, _) = db.list_jobs(&filter).await.unwrap();
    let mut counts = BTreeMap::new();
    for j in jobs {
        if let Some(due) = j.due_at {
            *counts.entry(due).or_insert(0) += 1;
        }
    }
    counts
}

/// Moves a schedule's next due time into the past, as if every node had been down since `ago`.
async fn pretend_down_since(db: &Db, id: i64, ago: chrono::Duration) {
    let s = db.schedule(id).await.unwrap().unwrap();
    let row = slipway_store::jobs::NewSchedule {
        name: s.name,
        owner_id: s.owner_id,
        kind: s.kind,
        input: s.input,
        cron: s.cron,
        timezone: s.timezone,
        enabled: s.enabled,
        missed_runs: s.missed_runs,
        priority: s.priority,
        max_attempts: s.max_attempts,
        timeout_ms: s.timeout_ms,
        next_run_at: Some(slipway_core::time::now() - ago),
    };
    db.update_schedule(id, &row).await.unwrap();
}

backend_tests! {
    async fn two_engines_fire_each_due_time_exactly_once(db: Db) {
        let a = Harness::start(db.clone()).await;
        let b = Harness::start(db.clone()).await;
        let s = a.engine.create_schedule(&alice(), every_second("counter")).await.unwrap();
        let first = s.next_run_at.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        a.engine.set_schedule_enabled(&alice(), s.id, false).await.unwrap();
        let fired = due_times(&db, s.id).await;
        assert!(fired.len() >= 3, "{fired:?}");
        assert!(fired.values().all(|n| *n == 1), "no due time fired twice: {fired:?}");
        let times: Vec<_> = fired.keys().copied().collect();
        assert_eq!(times[0], first);
        assert!(times.windows(2).all(|w| w[1] - w[0] == chrono::Duration::seconds(1)), "no gaps: {times:?}");
        let disabled = db.schedule(s.id).await.unwrap().unwrap();
        assert_eq!((disabled.enabled, disabled.next_run_at), (false, None));
        eventually("every fired job to run", || async {
            (a.counter.0.load(std::sync::atomic::Ordering::SeqCst) + b.counter.0.load(std::sync::atomic::Ordering::SeqCst) >= fired.len()).then_some(())
        }).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(due_times(&db, s.id).await.len(), fired.len(), "a disabled schedule does not fire");
        a.stop().await;
        b.stop().await;
    }

    async fn run_now_update_and_delete(db: Db) {
        let h = Harness::start(db.clone()).await;
        let req = ScheduleRequest { cron: "0 3 * * *".into(), timezone: Some("Europe/Paris".into()), ..every_second("echo") };
        let s = h.engine.create_schedule(&alice(), req).await.unwrap();
        let next = s.next_run_at.unwrap();
        assert!(next > slipway_core::time::now());
        let job = h.engine.run_schedule_now(&alice(), s.id).await.unwrap();
        assert_eq!((job.schedule_id, job.due_at, job.owner_id), (Some(s.id), None, Some(2)));
        assert_eq!(h.finished(job.id).await.status, JobStatus::Succeeded);
        assert_eq!(db.schedule(s.id).await.unwrap().unwrap().next_run_at, Some(next), "run now keeps the timetable");

        let update = ScheduleUpdate { cron: Some("30 4 * * 1".into()), name: Some("weekly".into()), ..ScheduleUpdate::default() };
        let changed = h.engine.update_schedule(&alice(), s.id, update).await.unwrap();
        assert_eq!(changed.name, "weekly");
        assert_ne!(changed.next_run_at, Some(next));
        let bad = ScheduleUpdate { cron: Some("* *".into()), ..ScheduleUpdate::default() };
        let e = h.engine.update_schedule(&alice(), s.id, bad).await.unwrap_err();
        assert_eq!(e.field_errors()[0].field(), "cron");

        assert!(matches!(h.engine.get_schedule(&bob(), s.id).await, Err(Error::NotFound(_))));
        assert_eq!(h.engine.list_schedules(&bob(), None, None, 0, 10).await.unwrap().total, 0);
        assert_eq!(h.engine.list_schedules(&alice(), Some("echo"), Some(true), 0, 10).await.unwrap().total, 1);
        assert_eq!(h.engine.list_schedules(&alice(), Some("command"), None, 0, 10).await.unwrap().total, 0, "kinds filter");
        assert_eq!(h.engine.list_schedules(&admin(), None, Some(false), 0, 10).await.unwrap().total, 0);
        h.engine.delete_schedule(&alice(), s.id).await.unwrap();
        assert!(matches!(h.engine.get_schedule(&alice(), s.id).await, Err(Error::NotFound(_))));
        assert_eq!(db.job(job.id).await.unwrap().unwrap().schedule_id, None, "its jobs stay, unlinked");
        h.stop().await;
    }

    async fn schedules_are_validated_and_commands_need_an_admin(db: Db) {
        // Without the sandbox, that is (with it, users may schedule commands: see tests/command.rs).
        let h = Harness::without_sandbox(db).await;
        let field = |e: Error| e.field_errors()[0].field();
        let bad_cron = ScheduleRequest { cron: "every day".into(), ..every_second("echo") };
        assert_eq!(field(h.engine.create_schedule(&alice(), bad_cron).await.unwrap_err()), "cron");
        let bad_zone = ScheduleRequest { timezone: Some("Nowhere/Land".into()), ..every_second("echo") };
        assert_eq!(field(h.engine.create_schedule(&alice(), bad_zone).await.unwrap_err()), "timezone");
        let no_name = ScheduleRequest { name: " ".into(), ..every_second("echo") };
        assert_eq!(field(h.engine.create_schedule(&alice(), no_name).await.unwrap_err()), "name");
        let command = ScheduleRequest { input: json!({"command": "true"}), ..every_second("command") };
        assert!(matches!(h.engine.create_schedule(&alice(), command.clone()).await, Err(Error::Forbidden(_))));
        let disabled = ScheduleRequest { enabled: false, ..command };
        let s = h.engine.create_schedule(&admin(), disabled).await.unwrap();
        assert_eq!(s.next_run_at, None);
        h.stop().await;
    }

    async fn missed_due_times_run_once_or_are_skipped(db: Db) {
        let dir = tempfile::tempdir().unwrap();
        let client = Harness::with_settings(db.clone(), common::settings(dir.path()).client_only(), dir).await;
        let once = client.engine.create_schedule(&alice(), ScheduleRequest { missed_runs: Some(MissedRuns::Once), ..every_second("echo") }).await.unwrap();
        let skip = client.engine.create_schedule(&alice(), ScheduleRequest { missed_runs: Some(MissedRuns::Skip), ..every_second("echo") }).await.unwrap();
        // Every node was down for an hour; then one starts.
        pretend_down_since(&db, once.id, chrono::Duration::hours(1)).await;
        pretend_down_since(&db, skip.id, chrono::Duration::hours(1)).await;
        let started = slipway_core::time::now();
        let h = Harness::start(db.clone()).await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        client.engine.set_schedule_enabled(&alice(), once.id, false).await.unwrap();
        client.engine.set_schedule_enabled(&alice(), skip.id, false).await.unwrap();
        let once_fired: Vec<_> = due_times(&db, once.id).await.into_keys().collect();
        let skip_fired: Vec<_> = due_times(&db, skip.id).await.into_keys().collect();
        let down_since = started - chrono::Duration::hours(1);
        assert!(once_fired.len() < 30 && skip_fired.len() < 30, "the missed hour did not run second by second");
        // Both fire the due times of the last few seconds one by one (late, not missed); `once` adds one run,
        // as the latest missed time, for everything before; `skip` adds none.
        let second = chrono::Duration::seconds(1);
        assert!(once_fired.windows(2).all(|w| w[1] - w[0] == second), "{once_fired:?}");
        assert!(skip_fired.windows(2).all(|w| w[1] - w[0] == second), "{skip_fired:?}");
        let (once_first, skip_first) = (once_fired[0], skip_fired[0]);
        assert!(once_first > down_since + chrono::Duration::minutes(59), "once ran the latest missed time: {once_first}");
        assert!(once_first < started, "…which is a missed one: {once_first}");
        assert!(skip_first > once_first, "skip did not run it: {skip_first} vs {once_first}");
        assert!(skip_fired.last().is_some_and(|t| *t >= started), "skip goes on with the next times");
        h.stop().await;
        client.stop().await;
    }
}
