//! The Jenkins servers repository on both backends: insert and read back, one default per owner (moved by
//! insert and update), names unique per owner only, the credential kind checked, update and delete of missing rows.
#![allow(clippy::unwrap_used)]

use slipway_core::time::now;
use slipway_store::delivery::JenkinsServerRow;
use slipway_store::identity::NewUser;
use slipway_store::{Db, StoreError, backend_tests};

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

fn row<'a>(name: &'a str, is_default: bool) -> JenkinsServerRow<'a> {
    JenkinsServerRow {
        name,
        url: "https://ci.example.com/jenkins",
        username: "deployer",
        credential_sealed: "v1:sealed",
        credential_kind: "api_token",
        is_default,
    }
}

backend_tests! {
    async fn servers_are_stored_and_read_back(db: Db) {
        let ann = user(&db, "ann").await;
        let a = db.insert_jenkins_server(ann, &row("main", false), now()).await.unwrap();
        assert_eq!((a.owner_id, a.name.as_str(), a.username.as_str()), (ann, "main", "deployer"));
        assert_eq!((a.credential_sealed.as_str(), a.credential_kind.as_str(), a.is_default), ("v1:sealed", "api_token", false));
        assert_eq!(db.jenkins_server(a.id).await.unwrap(), Some(a.clone()));
        assert!(!format!("{a:?}").contains("v1:sealed"), "Debug never prints the credential");
        let b = db.insert_jenkins_server(ann, &row("backup", false), now()).await.unwrap();
        let names: Vec<String> = db.jenkins_servers_of(ann).await.unwrap().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["backup", "main"]);
        assert_eq!(db.default_jenkins_server(ann).await.unwrap(), None);
        assert!(db.delete_jenkins_server(b.id).await.unwrap());
        assert!(!db.delete_jenkins_server(b.id).await.unwrap());
        assert_eq!(db.jenkins_server(b.id).await.unwrap(), None);
    }

    async fn one_default_per_owner_moves_with_insert_and_update(db: Db) {
        let ann = user(&db, "ann").await;
        let bob = user(&db, "bob").await;
        let a = db.insert_jenkins_server(ann, &row("a", true), now()).await.unwrap();
        let b = db.insert_jenkins_server(ann, &row("b", true), now()).await.unwrap();
        let bobs = db.insert_jenkins_server(bob, &row("a", true), now()).await.unwrap();
        assert_eq!(db.default_jenkins_server(ann).await.unwrap().map(|s| s.id), Some(b.id));
        assert!(!db.jenkins_server(a.id).await.unwrap().unwrap().is_default);
        let back = db.update_jenkins_server(a.id, &row("a", true), now()).await.unwrap().unwrap();
        assert!(back.is_default);
        assert_eq!(db.default_jenkins_server(ann).await.unwrap().map(|s| s.id), Some(a.id));
        assert!(!db.jenkins_server(b.id).await.unwrap().unwrap().is_default);
        assert_eq!(db.default_jenkins_server(bob).await.unwrap().map(|s| s.id), Some(bobs.id), "bob's untouched");
        let mut changed = row("renamed", false);
        changed.credential_kind = "password";
        let renamed = db.update_jenkins_server(a.id, &changed, now()).await.unwrap().unwrap();
        assert_eq!((renamed.name.as_str(), renamed.credential_kind.as_str(), renamed.is_default), ("renamed", "password", false));
        assert_eq!(db.update_jenkins_server(9999, &row("x", true), now()).await.unwrap(), None);
    }

    async fn names_are_unique_per_owner_and_the_kind_is_checked(db: Db) {
        let ann = user(&db, "ann").await;
        let bob = user(&db, "bob").await;
        db.insert_jenkins_server(ann, &row("main", false), now()).await.unwrap();
        db.insert_jenkins_server(bob, &row("main", false), now()).await.unwrap();
        let dup = db.insert_jenkins_server(ann, &row("main", false), now()).await;
        assert!(matches!(dup, Err(StoreError::Duplicate(_))), "{dup:?}");
        let mut bad = row("odd", false);
        bad.credential_kind = "ssh_key";
        assert!(db.insert_jenkins_server(ann, &bad, now()).await.is_err(), "the kind is checked");
        assert_eq!(db.jenkins_servers_of(ann).await.unwrap().len(), 1);
        assert_eq!(db.jenkins_servers_of(bob).await.unwrap().len(), 1);
    }
}
