//! The delivery repositories on both backends: pipelines listed with creator, step count and latest run (its
//! status read from its job) in one query, filters and paging, the repository-key lookup, run numbers, steps
//! and their bulk updates, artifacts, and deletion with the runs' jobs.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use slipway_core::time::now;
use slipway_store::delivery::{NewArtifact, NewRun, PipelineFields, PipelineFilter, StepUpdate};
use slipway_store::identity::NewUser;
use slipway_store::jobs::{Change, Guard, JobStatus, JobWrite, NewJob};
use slipway_store::{Db, backend_tests};

async fn user(db: &Db, name: &str) -> i64 {
    let email = format!("{name}@example.com");
    let new = NewUser {
        username: name,
        email: &email,
        password_hash: "$argon2id$fake",
        role: "user",
        full_name: name,
        email_verified: true,
    };
    db.insert_user(&new, now()).await.unwrap().id
}

fn fields(name: &str, description: &str, key: &str, active: bool) -> PipelineFields {
    PipelineFields {
        name: name.into(),
        description: description.into(),
        repository_url: format!("https://{key}.git"),
        repository_key: key.into(),
        branch: "main".into(),
        trigger_events: json!(["push"]),
        steps: json!([{"name": "a", "type": "shell_command", "config": {"command": "true"}}, {"name": "b", "type": "script", "config": {"script": "true"}}]),
        variables: json!([]),
        repository_credential: None,
        webhook_secret: Some("sealed:x".into()),
        schedule: None,
        network: false,
        is_active: active,
    }
}

async fn job(db: &Db, owner: i64) -> i64 {
    let new = NewJob {
        kind: "delivery.pipeline_run".into(),
        owner_id: Some(owner),
        priority: 0,
        input: json!({}),
        max_attempts: 1,
        timeout_ms: None,
        scheduled_for: now(),
        schedule_id: None,
        due_at: None,
    };
    db.insert_job(&new).await.unwrap().id
}

fn new_run(pipeline_id: i64) -> NewRun {
    NewRun {
        pipeline_id,
        job_id: None,
        trigger_type: "manual".into(),
        triggered_by: None,
        trigger_details: json!({}),
        delivery_id: None,
        branch: "main".into(),
        commit_sha: None,
        variables: json!([]),
    }
}

backend_tests! {
    async fn pipelines_list_with_their_latest_run_filters_and_repository_lookup(db: Db) {
        let ann = user(&db, "ann").await;
        let bob = user(&db, "bob").await;
        let first = db.insert_pipeline(ann, &fields("Frontend", "builds the UI", "github.com/a/web", true), now()).await.unwrap();
        let second = db.insert_pipeline(ann, &fields("Backend", "100%_done", "github.com/a/api", false), now()).await.unwrap();
        db.insert_pipeline(bob, &fields("Other", "", "github.com/a/web", true), now()).await.unwrap();

        let all = |f: PipelineFilter| { let db = db.clone(); async move { db.list_pipelines(&PipelineFilter { limit: 10, ..f }).await.unwrap() } };
        let (items, total) = all(PipelineFilter { user_id: Some(ann), ..PipelineFilter::default() }).await;
        assert_eq!(total, 2);
        assert_eq!(items.iter().map(|p| p.id).collect::<Vec<_>>(), [second, first], "newest first");
        assert_eq!((items[0].steps_count(), items[0].created_by_username.as_str(), items[0].last_run_id), (2, "ann", None));
        assert_eq!(all(PipelineFilter { is_active: Some(false), ..PipelineFilter::default() }).await.1, 1);
        assert_eq!(all(PipelineFilter { search: Some("UI".into()), ..PipelineFilter::default() }).await.1, 1, "description, case-insensitive");
        assert_eq!(all(PipelineFilter { search: Some("0%_".into()), ..PipelineFilter::default() }).await.1, 1, "wildcards are literal");
        assert_eq!(all(PipelineFilter { search: Some("%".into()), ..PipelineFilter::default() }).await.1, 1);
        let (page, total) = db.list_pipelines(&PipelineFilter { limit: 1, offset: 1, ..PipelineFilter::default() }).await.unwrap();
        assert_eq!((page.len(), total), (1, 3));
        assert_eq!(db.count_active_pipelines().await.unwrap(), 2, "every user's active pipelines, the inactive one not");

        let r1 = db.insert_pipeline_run(&new_run(first), &[("a".into(), "shell_command".into())], now()).await.unwrap();
        let r2 = db.insert_pipeline_run(&new_run(first), &[], now()).await.unwrap();
        assert_eq!((r1.number, r2.number, r2.status.as_str()), (1, 2, "pending"));
        let j = job(&db, ann).await;
        db.set_run_job(r2.id, j).await.unwrap();
        let p = db.pipeline(first).await.unwrap().unwrap();
        assert_eq!((p.last_run_id, p.last_run_status.as_deref()), (Some(r2.id), Some("pending")));
        let fin = JobWrite { job_id: j, guard: Guard::Queued, change: Change::Finish { status: JobStatus::Cancelled, output: None, error: Some("stop".into()) }, events: vec![] };
        db.apply_job_writes(&[fin], None).await.unwrap();
        let p = db.pipeline(first).await.unwrap().unwrap();
        assert_eq!(p.last_run_status.as_deref(), Some("cancelled"), "a run's status is its job's");
        assert_eq!(db.pipeline_run(r2.id).await.unwrap().unwrap().error.as_deref(), Some("stop"));
        let (runs, total) = db.list_pipeline_runs(first, 0, 10).await.unwrap();
        assert_eq!((runs.iter().map(|r| r.id).collect::<Vec<_>>(), total), (vec![r2.id, r1.id], 2));

        let web = db.pipelines_for_repository("github.com/a/web").await.unwrap();
        assert_eq!(web.len(), 2);
        assert!(web.iter().all(|p| p.webhook_secret.as_deref() == Some("sealed:x")), "with their sealed secrets");
        assert!(db.pipelines_for_repository("github.com/a/none").await.unwrap().is_empty());
    }

    async fn concurrent_runs_of_one_pipeline_take_consecutive_numbers(db: Db) {
        let ann = user(&db, "ann").await;
        let p = db.insert_pipeline(ann, &fields("Busy", "", "github.com/a/busy", true), now()).await.unwrap();
        let steps = [("a".to_owned(), "shell_command".to_owned())];
        let inserts = (0..20).map(|_| {
            let (db, steps) = (db.clone(), steps.clone());
            tokio::spawn(async move { db.insert_pipeline_run(&new_run(p), &steps, now()).await })
        });
        let mut numbers = Vec::new();
        for handle in inserts.collect::<Vec<_>>() {
            numbers.push(handle.await.unwrap().expect("no run collides with another's number").number);
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=20).collect::<Vec<_>>());
    }

    async fn steps_artifacts_and_deletion(db: Db) {
        let ann = user(&db, "ann").await;
        let p = db.insert_pipeline(ann, &fields("P", "", "k", true), now()).await.unwrap();
        let steps = [("a".to_owned(), "shell_command".to_owned()), ("b".to_owned(), "script".to_owned()), ("c".to_owned(), "script".to_owned())];
        let r = db.insert_pipeline_run(&new_run(p), &steps, now()).await.unwrap();
        let j = job(&db, ann).await;
        db.set_run_job(r.id, j).await.unwrap();
        let start = now();
        let running = StepUpdate { status: "running".into(), exit_code: None, started_at: Some(start), finished_at: None, duration_ms: None, log: String::new() };
        db.update_run_step(r.id, 0, &running).await.unwrap();
        let done = StepUpdate { status: "failed".into(), exit_code: Some(2), started_at: None, finished_at: Some(now()), duration_ms: Some(15), log: "boom\n".into() };
        db.update_run_step(r.id, 0, &done).await.unwrap();
        db.finish_remaining_steps(r.id, 1, "skipped", now()).await.unwrap();
        let stored = db.run_steps(r.id).await.unwrap();
        assert_eq!(stored.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(), ["failed", "skipped", "skipped"]);
        assert_eq!((stored[0].exit_code, stored[0].duration_ms, stored[0].log.as_str()), (Some(2), Some(15), "boom\n"));
        assert!(stored[0].started_at.is_some(), "a later update keeps the start time");
        assert!(stored[1].finished_at.is_none(), "a skipped step never started");
        db.set_run_commit(r.id, "abc1234", now()).await.unwrap();
        assert_eq!(db.pipeline_run_by_job(j).await.unwrap().unwrap().commit_sha.as_deref(), Some("abc1234"));

        let a = |path: &str, sha: &str| NewArtifact { step_index: 1, path: path.into(), size: 3, sha256: sha.into() };
        db.insert_artifacts(r.id, &[a("x.txt", "11"), a("y.txt", "22")], now()).await.unwrap();
        db.insert_artifacts(r.id, &[a("x.txt", "33")], now()).await.unwrap();
        let arts = db.run_artifacts(r.id).await.unwrap();
        assert_eq!(arts.iter().map(|a| (a.path.as_str(), a.sha256.as_str())).collect::<Vec<_>>(), [("x.txt", "33"), ("y.txt", "22")]);
        assert!(db.run_artifact(r.id, arts[0].id).await.unwrap().is_some());
        assert!(db.run_artifact(r.id + 1, arts[0].id).await.unwrap().is_none());

        let mut shas = db.delete_pipeline(p).await.unwrap().unwrap();
        shas.sort();
        assert_eq!(shas, ["22", "33"]);
        assert!(db.pipeline(p).await.unwrap().is_none());
        assert!(db.pipeline_run(r.id).await.unwrap().is_none());
        assert!(db.job(j).await.unwrap().is_none(), "the runs' jobs go with the pipeline");
        assert!(db.run_steps(r.id).await.unwrap().is_empty());
        assert!(db.delete_pipeline(p).await.unwrap().is_none());
    }
}
