//! Project file versions written at once on both backends: a run's stage stores many files side by side,
//! and two writers of one path each get their own version.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use slipway_core::time::now;
use slipway_store::factory::{NewFileVersion, NewProject};
use slipway_store::identity::NewUser;
use slipway_store::{Db, backend_tests};

async fn project(db: &Db) -> (i64, i64) {
    let new = NewUser {
        username: "ann",
        email: "ann@example.com",
        password_hash: "$argon2id$fake",
        role: "user",
        full_name: "Ann",
        email_verified: true,
    };
    let user = db.insert_user(&new, now()).await.unwrap().id;
    let p =
        NewProject { user_id: user, name: "p".into(), description: None, requirements: "r".into(), config: json!({}) };
    (user, db.insert_project(&p, now()).await.unwrap())
}

fn version(project_id: i64, path: &str, sha: String, user: i64) -> NewFileVersion {
    NewFileVersion {
        project_id,
        path: path.into(),
        category: "code".into(),
        mime_type: "text/plain".into(),
        sha256: sha,
        size: 1,
        created_by: Some(user),
        restored_from: None,
    }
}

backend_tests! {
    async fn versions_written_at_once_all_land(db: Db) {
        let (user, id) = project(&db).await;
        let mut writes = tokio::task::JoinSet::new();
        for n in 0..16 {
            let db = db.clone();
            writes.spawn(async move { db.write_file_version(&version(id, &format!("src/f{n}.py"), format!("{n:064x}"), user), true, now()).await });
        }
        for n in 0..8 {
            let db = db.clone();
            writes.spawn(async move { db.write_file_version(&version(id, "shared.py", format!("{:064x}", 100 + n), user), true, now()).await });
        }
        while let Some(done) = writes.join_next().await {
            let (_, written) = done.unwrap().unwrap();
            assert!(written);
        }
        let files = db.project_files(id).await.unwrap();
        assert_eq!(files.len(), 17);
        let shared = files.iter().find(|f| f.path == "shared.py").unwrap();
        assert_eq!(shared.version, 8);
        let versions: Vec<i32> = db.file_versions(shared.id).await.unwrap().iter().map(|v| v.version).collect();
        let mut sorted = versions.clone();
        sorted.sort();
        assert_eq!(sorted, (1..=8).collect::<Vec<_>>());
    }

    async fn versions_added_to_one_file_at_once_all_land(db: Db) {
        let (user, id) = project(&db).await;
        let (file, _) = db.write_file_version(&version(id, "main.py", format!("{:064x}", 1), user), true, now()).await.unwrap();
        let mut writes = tokio::task::JoinSet::new();
        for n in 0..12 {
            let db = db.clone();
            writes.spawn(async move { db.add_file_version(file.id, &format!("{:064x}", 2 + n), 1, "text/plain", Some(user), Some(1), now()).await });
        }
        while let Some(done) = writes.join_next().await {
            assert!(done.unwrap().unwrap().is_some(), "every concurrent update or restore lands");
        }
        let versions: Vec<i32> = db.file_versions(file.id).await.unwrap().iter().map(|v| v.version).collect();
        assert_eq!(versions, (1..=13).rev().collect::<Vec<_>>());
    }
}
