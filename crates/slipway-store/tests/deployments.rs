//! The deployments repository on both backends: a deployment with its servers and planned steps in one
//! transaction, its status read from its job, filters by server and status with paging, target and step
//! updates, appended steps, the remaining servers skipped, and deletion.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use slipway_core::time::now;
use slipway_store::delivery::StepUpdate;
use slipway_store::identity::NewUser;
use slipway_store::jobs::{Change, Guard, JobStatus, JobWrite, NewJob};
use slipway_store::ops::{DeploymentFilter, NewDeployment, NewTarget, ServerRow, TargetUpdate};
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

async fn server(db: &Db, owner: i64, name: &str) -> i64 {
    let row = ServerRow {
        name,
        host: "10.0.0.5",
        port: 22,
        username: "deploy",
        auth_kind: "private_key",
        credential_sealed: "v1:sealed",
        jump_host: None,
        address_by_admin: true,
        description: "",
        tags: &[],
    };
    db.insert_server(owner, &row, now()).await.unwrap().id
}

async fn job(db: &Db, owner: i64) -> i64 {
    let new = NewJob {
        kind: "ops.deploy".into(),
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

fn new(owner: i64, name: &str) -> NewDeployment {
    NewDeployment {
        owner_id: owner,
        name: name.into(),
        kind: "deploy".into(),
        rollback_of: None,
        source: json!({"type": "git", "repository": "https://example.com/a.git", "ref": "main"}),
        spec: json!({"deploy_path": "/srv/app"}),
    }
}

fn target(server_id: i64, name: &str) -> NewTarget {
    NewTarget { server_id, server_name: name.into(), release: None, previous_release: None }
}

backend_tests! {
    async fn deployments_are_stored_with_servers_and_steps_and_read_their_status_from_the_job(db: Db) {
        let ann = user(&db, "ann").await;
        let web = server(&db, ann, "web").await;
        let api = server(&db, ann, "api").await;
        let steps = ["upload", "deploy", "switch"];
        let first = db.insert_deployment(&new(ann, "one"), &[target(web, "web"), target(api, "api")], &steps, now()).await.unwrap();
        assert_eq!((first.status.as_str(), first.kind.as_str(), first.owner_id), ("pending", "deploy", Some(ann)));
        assert_eq!(first.source["ref"], "main");
        let targets = db.deployment_targets(first.id).await.unwrap();
        assert_eq!(targets.iter().map(|t| (t.position, t.server_id, t.status.as_str())).collect::<Vec<_>>(),
            [(0, Some(web), "pending"), (1, Some(api), "pending")]);
        let all_steps = db.deployment_steps(first.id).await.unwrap();
        assert_eq!(all_steps.len(), 6);
        assert_eq!((all_steps[3].position, all_steps[3].step_index, all_steps[3].name.as_str()), (1, 0, "upload"));

        let second = db.insert_deployment(&new(ann, "two"), &[target(api, "api")], &steps, now()).await.unwrap();
        let j = job(&db, ann).await;
        db.set_deployment_job(second.id, j).await.unwrap();
        let fin = JobWrite { job_id: j, guard: Guard::Queued, change: Change::Finish { status: JobStatus::Cancelled, output: None, error: Some("stop".into()) }, events: vec![] };
        db.apply_job_writes(&[fin], None).await.unwrap();
        let got = db.deployment(second.id).await.unwrap().unwrap();
        assert_eq!((got.status.as_str(), got.error.as_deref(), got.job_id), ("cancelled", Some("stop"), Some(j)));
        db.set_deployment_cancelled_by(second.id, ann, now()).await.unwrap();
        assert_eq!(db.deployment(second.id).await.unwrap().unwrap().cancelled_by, Some(ann));

        let list = |f: DeploymentFilter, offset: i64, limit: i64| { let db = db.clone(); async move { db.list_deployments(&f, offset, limit).await.unwrap() } };
        let (items, total) = list(DeploymentFilter::default(), 0, 10).await;
        assert_eq!((items.iter().map(|d| d.id).collect::<Vec<_>>(), total), (vec![second.id, first.id], 2), "newest first");
        let (items, total) = list(DeploymentFilter { server_id: Some(web), status: None }, 0, 10).await;
        assert_eq!((items.iter().map(|d| d.id).collect::<Vec<_>>(), total), (vec![first.id], 1));
        let (items, total) = list(DeploymentFilter { server_id: None, status: Some("cancelled".into()) }, 0, 10).await;
        assert_eq!((items.iter().map(|d| d.id).collect::<Vec<_>>(), total), (vec![second.id], 1));
        assert_eq!(list(DeploymentFilter { server_id: Some(web), status: Some("cancelled".into()) }, 0, 10).await.1, 0);
        let (page, total) = list(DeploymentFilter::default(), 1, 1).await;
        assert_eq!((page.iter().map(|d| d.id).collect::<Vec<_>>(), total), (vec![first.id], 2));
        assert_eq!(list(DeploymentFilter { server_id: Some(9999), status: None }, 0, 10).await.1, 0);
    }

    async fn targets_and_steps_record_how_each_server_went(db: Db) {
        let ann = user(&db, "ann").await;
        let web = server(&db, ann, "web").await;
        let api = server(&db, ann, "api").await;
        let d = db.insert_deployment(&new(ann, "one"), &[target(web, "web"), target(api, "api")], &["upload", "deploy"], now()).await.unwrap();
        let started = TargetUpdate { status: "running".into(), release: Some("20260101T000000Z-1".into()), previous_release: Some("old".into()), started_at: Some(now()), ..TargetUpdate::default() };
        db.update_deployment_target(d.id, 0, &started).await.unwrap();
        let ok = StepUpdate { status: "success".into(), exit_code: Some(0), started_at: Some(now()), finished_at: Some(now()), duration_ms: Some(12), log: "done\n".into() };
        db.update_deployment_step(d.id, 0, 0, &ok).await.unwrap();
        let failed = StepUpdate { status: "failed".into(), exit_code: Some(3), log: "boom\n".into(), ..ok.clone() };
        db.update_deployment_step(d.id, 0, 1, &failed).await.unwrap();
        let back = db.append_deployment_step(d.id, 0, "switch_back").await.unwrap();
        assert_eq!(back, 2, "appended after the planned steps");
        assert_eq!(db.append_deployment_step(d.id, 1, "rollback").await.unwrap(), 2, "per server");
        let end = TargetUpdate { status: "failed".into(), error: Some("deploy exited with code 3".into()), finished_at: Some(now()), ..TargetUpdate::default() };
        db.update_deployment_target(d.id, 0, &end).await.unwrap();
        db.finish_remaining_targets(d.id, "skipped", now()).await.unwrap();

        let targets = db.deployment_targets(d.id).await.unwrap();
        assert_eq!((targets[0].status.as_str(), targets[0].release.as_deref(), targets[0].previous_release.as_deref()), ("failed", Some("20260101T000000Z-1"), Some("old")), "release kept by COALESCE");
        assert_eq!(targets[0].error.as_deref(), Some("deploy exited with code 3"));
        assert!(targets[0].started_at.is_some() && targets[0].finished_at.is_some());
        assert_eq!((targets[1].status.as_str(), targets[1].finished_at), ("skipped", None), "never started");
        let steps = db.deployment_steps(d.id).await.unwrap();
        let of = |p: i32| steps.iter().filter(|s| s.position == p).map(|s| (s.name.as_str(), s.status.as_str(), s.exit_code)).collect::<Vec<_>>();
        assert_eq!(of(0), [("upload", "success", Some(0)), ("deploy", "failed", Some(3)), ("switch_back", "skipped", None)]);
        assert_eq!(of(1), [("upload", "skipped", None), ("deploy", "skipped", None), ("rollback", "skipped", None)]);
        assert_eq!(steps[1].log, "boom\n");
        assert_eq!(steps[0].duration_ms, Some(12));

        db.finish_remaining_deployment_steps(d.id, 0, "cancelled", now()).await.unwrap();
        db.delete_deployment(d.id).await.unwrap();
        assert!(db.deployment(d.id).await.unwrap().is_none());
        assert!(db.deployment_targets(d.id).await.unwrap().is_empty(), "servers and steps go with it");
        assert!(db.deployment_steps(d.id).await.unwrap().is_empty());
    }
}
