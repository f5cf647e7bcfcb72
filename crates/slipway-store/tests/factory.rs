//! The software factory's repositories on both backends: versioned project files (versions counting up,
//! concurrent writers, unchanged content skipped, paging, deletion and unused blobs) and projects (status read
//! from the latest run's job, the run start's compare and swap, deletion with the runs' jobs).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::json;
use slipway_core::time::now;
use slipway_store::agents::NewActivity;
use slipway_store::factory::{
    FileFilter, NewFileVersion, NewProject, ProjectChanges, ProjectFilter, ProjectStatus, RunRecord,
};
use slipway_store::identity::NewUser;
use slipway_store::jobs::{Change, Guard, JobStatus, JobWrite, NewEvent, NewJob};
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

async fn project(db: &Db, owner: i64, name: &str) -> i64 {
    let p = NewProject {
        user_id: owner,
        name: name.into(),
        description: None,
        requirements: "a to-do app".into(),
        config: json!({"execution_strategy": "sequential"}),
    };
    db.insert_project(&p, now()).await.unwrap()
}

async fn job(db: &Db, owner: i64) -> i64 {
    let new = NewJob {
        kind: "factory.project_run".into(),
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

fn run_of(job_id: i64, project_id: i64) -> RunRecord {
    RunRecord {
        job_id,
        project_id,
        workflow_id: format!("wf_{job_id}_{project_id}"),
        resumed_from: None,
        created_at: now(),
    }
}

/// A digest-like string: 64 hex digits made of `c`.
fn sha(c: char) -> String {
    c.to_string().repeat(64)
}

fn version(project_id: i64, path: &str, digest: &str, size: i64, by: Option<i64>) -> NewFileVersion {
    NewFileVersion {
        project_id,
        path: path.into(),
        category: "code".into(),
        mime_type: "text/x-python".into(),
        sha256: digest.into(),
        size,
        created_by: by,
        restored_from: None,
    }
}

/// Leases every queued factory job to `node-a` (their status becomes `running`).
async fn claim(db: &Db) {
    let lease = now() + chrono::Duration::seconds(60);
    db.claim_jobs("node-a", &["factory.project_run".into()], 10, lease, None).await.unwrap();
}

/// Ends the claimed job `id` (attempt 1 of `node-a`) in `status`.
async fn finish(db: &Db, id: i64, status: JobStatus) {
    let guard = Guard::Lease { holder: "node-a".into(), attempt: 1 };
    let change = Change::Finish { status, output: None, error: None };
    let events = vec![NewEvent::now("status", json!({"status": status.as_str()}))];
    let done = db.apply_job_writes(&[JobWrite { job_id: id, guard, change, events }], None).await.unwrap();
    assert!(done[0].is_some(), "the finish of job {id} was refused");
}

backend_tests! {
    async fn versions_count_up_and_the_file_row_follows_the_latest(db: Db) {
        let ann = user(&db, "ann").await;
        let p = project(&db, ann, "todo").await;
        let (first, written) = db.write_file_version(&version(p, "src/main.py", &sha('a'), 10, Some(ann)), false, now()).await.unwrap();
        assert!(written);
        assert_eq!((first.version, first.size, first.sha256.as_str(), first.created_by), (1, 10, sha('a').as_str(), Some(ann)));
        assert_eq!(first.category, "code");
        tokio::time::sleep(Duration::from_millis(5)).await;
        let mut second = version(p, "src/main.py", &sha('b'), 20, None);
        second.category = "test".into();
        second.mime_type = "text/plain".into();
        let (two, _) = db.write_file_version(&second, false, now()).await.unwrap();
        assert_eq!(two.id, first.id, "the same path is the same file");
        assert_eq!((two.version, two.size, two.sha256.as_str()), (2, 20, sha('b').as_str()));
        assert_eq!(two.category, "code", "an existing file keeps its category");
        assert_eq!(two.mime_type, "text/plain");
        assert_eq!(two.created_by, Some(ann), "the file's creator stays");
        assert_eq!(two.created_at, first.created_at);
        assert!(two.updated_at > first.updated_at);

        let mut restore = version(p, "src/main.py", &sha('a'), 10, Some(ann));
        restore.restored_from = Some(1);
        let (three, _) = db.write_file_version(&restore, false, now()).await.unwrap();
        assert_eq!(three.version, 3);
        let versions = db.file_versions(first.id).await.unwrap();
        let listed: Vec<(i32, i64, Option<i64>, Option<i32>)> =
            versions.iter().map(|v| (v.version, v.size, v.created_by, v.restored_from)).collect();
        assert_eq!(listed, [(3, 10, Some(ann), Some(1)), (2, 20, None, None), (1, 10, Some(ann), None)], "newest first");
        assert_eq!(db.file_version(first.id, 2).await.unwrap().unwrap().sha256, sha('b'));
        assert!(db.file_version(first.id, 4).await.unwrap().is_none());
        assert_eq!(db.file(first.id).await.unwrap().unwrap(), three);
        assert!(db.file(first.id + 1000).await.unwrap().is_none());

        let other = project(&db, ann, "other").await;
        let (elsewhere, _) = db.write_file_version(&version(other, "src/main.py", &sha('a'), 10, None), false, now()).await.unwrap();
        assert_ne!(elsewhere.id, first.id, "paths are per project");
        assert_eq!(elsewhere.version, 1);
    }

    async fn concurrent_writers_of_one_path_all_land_as_versions(db: Db) {
        let ann = user(&db, "ann").await;
        let p = project(&db, ann, "todo").await;
        let digits = ['1', '2', '3', '4', '5', '6', '7', '8'];
        let writers = digits.iter().map(|d| {
            let db = db.clone();
            let v = version(p, "app.py", &sha(*d), 1, None);
            tokio::spawn(async move { db.write_file_version(&v, false, now()).await })
        });
        let mut numbers = Vec::new();
        for w in writers {
            let (file, written) = w.await.unwrap().unwrap();
            assert!(written);
            numbers.push(file.version);
        }
        numbers.sort_unstable();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8], "each writer got a version of its own");
        let files = db.project_files(p).await.unwrap();
        assert_eq!(files.len(), 1, "one file for the path");
        let versions = db.file_versions(files[0].id).await.unwrap();
        assert_eq!(versions.len(), 8);
        assert_eq!(files[0].sha256, versions[0].sha256, "the row holds the newest version's content");
        let mut shas: Vec<String> = versions.iter().map(|v| v.sha256.clone()).collect();
        shas.sort();
        assert_eq!(shas, digits.iter().map(|d| sha(*d)).collect::<Vec<_>>(), "no write was lost");
    }

    async fn a_next_version_of_a_file_never_creates_one(db: Db) {
        let ann = user(&db, "ann").await;
        let p = project(&db, ann, "todo").await;
        let (file, _) = db.write_file_version(&version(p, "a.py", &sha('a'), 1, Some(ann)), false, now()).await.unwrap();
        let two = db.add_file_version(file.id, &sha('b'), 2, "text/plain", None, Some(1), now()).await.unwrap().unwrap();
        assert_eq!((two.id, two.version, two.size, two.mime_type.as_str()), (file.id, 2, 2, "text/plain"));
        assert_eq!((two.path.as_str(), two.category.as_str(), two.created_by), ("a.py", "code", Some(ann)));
        let v = db.file_version(file.id, 2).await.unwrap().unwrap();
        assert_eq!((v.sha256, v.created_by, v.restored_from), (sha('b'), None, Some(1)));

        let writers = (0..6).map(|i| {
            let db = db.clone();
            tokio::spawn(async move { db.add_file_version(file.id, &sha('c'), i, "text/plain", None, None, now()).await })
        });
        let mut numbers = Vec::new();
        for w in writers {
            numbers.push(w.await.unwrap().unwrap().unwrap().version);
        }
        numbers.sort_unstable();
        assert_eq!(numbers, [3, 4, 5, 6, 7, 8], "concurrent writers each got a version");

        db.delete_file(file.id).await.unwrap();
        assert_eq!(db.add_file_version(file.id, &sha('d'), 1, "text/plain", None, None, now()).await.unwrap(), None);
        assert!(db.project_files(p).await.unwrap().is_empty(), "a deleted file is not brought back");
    }

    async fn unchanged_content_is_skipped_when_asked(db: Db) {
        let ann = user(&db, "ann").await;
        let p = project(&db, ann, "todo").await;
        let (one, _) = db.write_file_version(&version(p, "README.md", &sha('a'), 3, None), true, now()).await.unwrap();
        let (same, written) = db.write_file_version(&version(p, "README.md", &sha('a'), 3, None), true, now()).await.unwrap();
        assert!(!written);
        assert_eq!(same, one);
        assert_eq!(db.file_versions(one.id).await.unwrap().len(), 1);
        let (again, written) = db.write_file_version(&version(p, "README.md", &sha('a'), 3, None), false, now()).await.unwrap();
        assert!(written, "without the flag the same content is a new version");
        assert_eq!(again.version, 2);
        let (changed, written) = db.write_file_version(&version(p, "README.md", &sha('b'), 4, None), true, now()).await.unwrap();
        assert!(written);
        assert_eq!(changed.version, 3);
    }

    async fn files_are_listed_by_path_in_pages_and_by_category(db: Db) {
        let ann = user(&db, "ann").await;
        let p = project(&db, ann, "todo").await;
        let other = project(&db, ann, "other").await;
        for (path, category) in [("src/b.py", "code"), ("docs/a.md", "documentation"), ("src/a.py", "code"), ("tests/t.py", "test")] {
            let mut v = version(p, path, &sha('a'), 1, None);
            v.category = category.into();
            db.write_file_version(&v, false, now()).await.unwrap();
        }
        db.write_file_version(&version(other, "src/z.py", &sha('a'), 1, None), false, now()).await.unwrap();
        let list = |category: Option<&str>, offset: i64, limit: i64| FileFilter {
            project_id: p,
            category: category.map(str::to_owned),
            offset,
            limit,
        };
        let paths = |rows: &[slipway_store::factory::FileRecord]| rows.iter().map(|f| f.path.clone()).collect::<Vec<_>>();
        let (all, total) = db.list_files(&list(None, 0, 20)).await.unwrap();
        assert_eq!(paths(&all), ["docs/a.md", "src/a.py", "src/b.py", "tests/t.py"]);
        assert_eq!(total, 4);
        let (page, total) = db.list_files(&list(None, 1, 2)).await.unwrap();
        assert_eq!((paths(&page), total), (vec!["src/a.py".to_owned(), "src/b.py".to_owned()], 4));
        let (code, total) = db.list_files(&list(Some("code"), 0, 20)).await.unwrap();
        assert_eq!((paths(&code), total), (vec!["src/a.py".to_owned(), "src/b.py".to_owned()], 2));
        let (none, total) = db.list_files(&list(Some("design"), 0, 20)).await.unwrap();
        assert!(none.is_empty() && total == 0);
        let (past, total) = db.list_files(&list(None, 10, 20)).await.unwrap();
        assert!(past.is_empty() && total == 4);
        assert_eq!(paths(&db.project_files(other).await.unwrap()), ["src/z.py"]);
    }

    async fn deleting_a_file_answers_its_digests_and_unused_blobs_are_those_no_version_uses(db: Db) {
        let ann = user(&db, "ann").await;
        let p = project(&db, ann, "todo").await;
        db.write_file_version(&version(p, "a.py", &sha('a'), 1, None), false, now()).await.unwrap();
        db.write_file_version(&version(p, "a.py", &sha('b'), 1, None), false, now()).await.unwrap();
        let (a, _) = db.write_file_version(&version(p, "a.py", &sha('a'), 1, None), false, now()).await.unwrap();
        db.write_file_version(&version(p, "shared.py", &sha('b'), 1, None), false, now()).await.unwrap();

        let mut digests = db.delete_file(a.id).await.unwrap().unwrap();
        digests.sort();
        assert_eq!(digests, [sha('a'), sha('b')], "each digest once");
        assert!(db.file(a.id).await.unwrap().is_none());
        assert!(db.file_versions(a.id).await.unwrap().is_empty(), "every version is gone");
        assert_eq!(db.delete_file(a.id).await.unwrap(), None, "no such file any more");

        let unused = db.unused_blobs(&digests).await.unwrap();
        assert_eq!(unused, [sha('a')], "shared.py still uses b");
        assert!(db.unused_blobs(&[]).await.unwrap().is_empty());
        assert_eq!(db.unused_blobs(&[sha('c')]).await.unwrap(), [sha('c')]);
    }

    async fn a_project_is_pending_until_run_and_then_reads_its_jobs_status(db: Db) {
        let ann = user(&db, "ann").await;
        let bob = user(&db, "bob").await;
        let a = project(&db, ann, "first").await;
        let b = project(&db, ann, "second").await;
        let c = project(&db, bob, "bobs").await;
        let got = db.project(a).await.unwrap().unwrap();
        assert_eq!((got.status, got.progress, got.run_job_id, got.workflow_id.as_deref()), (ProjectStatus::Pending, 0, None, None));
        assert_eq!(got.completed_at(), None);

        let ja = job(&db, ann).await;
        assert!(db.start_project_run(a, None, &run_of(ja, a), true).await.unwrap());
        let jb = job(&db, ann).await;
        assert!(db.start_project_run(b, None, &run_of(jb, b), true).await.unwrap());
        let got = db.project(a).await.unwrap().unwrap();
        assert_eq!(got.status, ProjectStatus::Running, "a queued run counts as running");
        assert_eq!(got.workflow_id, Some(format!("wf_{ja}_{a}")));
        assert_eq!(db.project_run(ja).await.unwrap().unwrap().project_id, a);
        assert!(db.project_run(ja + 1000).await.unwrap().is_none());
        claim(&db).await;
        finish(&db, jb, JobStatus::Succeeded).await;
        let done = db.project(b).await.unwrap().unwrap();
        assert_eq!(done.status, ProjectStatus::Completed);
        assert!(done.completed_at().is_some());

        let filter = |user_id: Option<i64>, status: Option<ProjectStatus>| ProjectFilter { user_id, status, offset: 0, limit: 20 };
        let ids = |rows: Vec<slipway_store::factory::ProjectRecord>| rows.into_iter().map(|p| p.id).collect::<Vec<_>>();
        let (rows, total) = db.list_projects(&filter(Some(ann), None)).await.unwrap();
        assert_eq!((ids(rows), total), (vec![b, a], 2), "newest first, only ann's");
        let (rows, total) = db.list_projects(&filter(Some(ann), Some(ProjectStatus::Running))).await.unwrap();
        assert_eq!((ids(rows), total), (vec![a], 1));
        let (rows, total) = db.list_projects(&filter(Some(ann), Some(ProjectStatus::Completed))).await.unwrap();
        assert_eq!((ids(rows), total), (vec![b], 1));
        let (rows, _) = db.list_projects(&filter(Some(ann), Some(ProjectStatus::Pending))).await.unwrap();
        assert!(rows.is_empty());
        let (rows, total) = db.list_projects(&filter(None, Some(ProjectStatus::Pending))).await.unwrap();
        assert_eq!((ids(rows), total), (vec![c], 1), "everyone's for an administrator");
        let (rows, total) = db.list_projects(&ProjectFilter { user_id: None, status: None, offset: 1, limit: 1 }).await.unwrap();
        assert_eq!((ids(rows), total), (vec![b], 3));

        finish(&db, ja, JobStatus::Cancelled).await;
        assert_eq!(db.project(a).await.unwrap().unwrap().status, ProjectStatus::Cancelled);
        let (rows, _) = db.list_projects(&filter(Some(ann), Some(ProjectStatus::Cancelled))).await.unwrap();
        assert_eq!(ids(rows), [a]);
    }

    async fn only_one_start_of_a_run_wins(db: Db) {
        let ann = user(&db, "ann").await;
        let p = project(&db, ann, "todo").await;
        let first = job(&db, ann).await;
        let second = job(&db, ann).await;
        assert!(db.start_project_run(p, None, &run_of(first, p), true).await.unwrap());
        assert!(!db.start_project_run(p, None, &run_of(second, p), true).await.unwrap(), "a stale `expected` loses");
        assert_eq!(db.project(p).await.unwrap().unwrap().run_job_id, Some(first));
        assert!(db.project_run(second).await.unwrap().is_none(), "the loser's run is not recorded");

        let checkpoint = json!({"completed": ["requirements_analysis"]});
        assert!(db.save_project_checkpoint(p, first, &checkpoint).await.unwrap());
        assert!(!db.save_project_checkpoint(p, second, &checkpoint).await.unwrap(), "not the latest run");
        let resumed = job(&db, ann).await;
        let mut r = run_of(resumed, p);
        r.resumed_from = Some("requirements_analysis".into());
        assert!(db.start_project_run(p, Some(first), &r, false).await.unwrap());
        let got = db.project(p).await.unwrap().unwrap();
        assert_eq!((got.run_job_id, got.checkpoint), (Some(resumed), Some(checkpoint)), "a resume keeps the checkpoint");
        let fresh = job(&db, ann).await;
        assert!(db.start_project_run(p, Some(resumed), &run_of(fresh, p), true).await.unwrap());
        assert_eq!(db.project(p).await.unwrap().unwrap().checkpoint, None, "a new run starts over");

        // Two starts at once, both expecting the same latest run: exactly one wins.
        let (x, y) = (job(&db, ann).await, job(&db, ann).await);
        let (dx, dy) = (db.clone(), db.clone());
        let (rx, ry) = (run_of(x, p), run_of(y, p));
        let a = tokio::spawn(async move { dx.start_project_run(p, Some(fresh), &rx, true).await.unwrap() });
        let b = tokio::spawn(async move { dy.start_project_run(p, Some(fresh), &ry, true).await.unwrap() });
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        assert!(a ^ b, "one start wins: {a} {b}");
    }

    async fn projects_change_and_their_deletion_takes_runs_jobs_and_files(db: Db) {
        let ann = user(&db, "ann").await;
        let p = project(&db, ann, "todo").await;
        let keep = project(&db, ann, "keep").await;
        let changes = ProjectChanges { name: Some("renamed".into()), description: Some(Some("d".into())), ..ProjectChanges::default() };
        assert!(db.update_project(p, &changes, now()).await.unwrap());
        let got = db.project(p).await.unwrap().unwrap();
        assert_eq!((got.name.as_str(), got.description.as_deref(), got.requirements.as_str()), ("renamed", Some("d"), "a to-do app"));
        let clear = ProjectChanges { description: Some(None), ..ProjectChanges::default() };
        assert!(db.update_project(p, &clear, now()).await.unwrap());
        assert_eq!(db.project(p).await.unwrap().unwrap().description, None);
        assert!(!db.update_project(p + 1000, &changes, now()).await.unwrap());
        assert!(ProjectChanges::default().is_empty() && !changes.is_empty());

        let old = job(&db, ann).await;
        let new = job(&db, ann).await;
        assert!(db.start_project_run(p, None, &run_of(old, p), true).await.unwrap());
        assert!(db.start_project_run(p, Some(old), &run_of(new, p), true).await.unwrap());
        let other = job(&db, ann).await;
        assert!(db.start_project_run(keep, None, &run_of(other, keep), true).await.unwrap());
        let activity = NewActivity {
            job_id: old,
            user_id: Some(ann),
            agent: "RequirementsAnalystAgent".into(),
            stage: "requirements_analysis".into(),
            status: "succeeded".into(),
            input: "x".into(),
            output: "y".into(),
            error: None,
            duration_ms: 1,
            prompt_tokens: 1,
            completion_tokens: 1,
            started_at: now(),
            finished_at: now(),
        };
        db.insert_activity(&activity).await.unwrap();
        db.write_file_version(&version(p, "a.py", &sha('a'), 1, None), false, now()).await.unwrap();
        db.write_file_version(&version(p, "a.py", &sha('b'), 1, None), false, now()).await.unwrap();
        db.write_file_version(&version(keep, "a.py", &sha('b'), 1, None), false, now()).await.unwrap();

        let mut digests = db.delete_project(p).await.unwrap();
        digests.sort();
        assert_eq!(digests, [sha('a'), sha('b')]);
        assert!(db.project(p).await.unwrap().is_none());
        assert!(db.job(old).await.unwrap().is_none() && db.job(new).await.unwrap().is_none(), "every run's job is gone");
        assert!(db.job_activities(old).await.unwrap().is_empty());
        assert!(db.project_files(p).await.unwrap().is_empty());
        assert_eq!(db.unused_blobs(&digests).await.unwrap(), [sha('a')], "keep's file still uses b");
        assert!(db.job(other).await.unwrap().is_some(), "another project's run stays");
        assert_eq!(db.project(keep).await.unwrap().unwrap().run_job_id, Some(other));
        assert!(db.delete_project(p).await.unwrap().is_empty(), "deleting it again finds nothing");
    }
}
