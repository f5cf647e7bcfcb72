//! Git repositories on both backends: names unique per owner, the first one the default, one default per owner,
//! a deleted default handing over to the oldest other one, and the owner filter of the list.
#![allow(clippy::unwrap_used)]

use slipway_core::time::now;
use slipway_store::delivery::NewGitRepository;
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

fn repo(owner: i64, name: &str) -> NewGitRepository {
    NewGitRepository {
        owner_id: owner,
        name: name.into(),
        kind: "clone".into(),
        path: String::new(),
        origin_url: Some(format!("https://example.com/{name}.git")),
    }
}

backend_tests! {
    async fn the_first_is_the_default_and_names_are_unique_per_owner(db: Db) {
        let ann = user(&db, "ann").await;
        let bob = user(&db, "bob").await;
        let first = db.insert_git_repository(&repo(ann, "app"), now()).await.unwrap();
        assert!(first.is_default);
        assert_eq!((first.kind.as_str(), first.origin_url.as_deref()), ("clone", Some("https://example.com/app.git")));
        let second = db.insert_git_repository(&repo(ann, "lib"), now()).await.unwrap();
        assert!(!second.is_default);
        let taken = db.insert_git_repository(&repo(ann, "app"), now()).await.unwrap_err();
        assert!(matches!(taken, StoreError::Duplicate(_)), "{taken:?}");
        let bobs = db.insert_git_repository(&repo(bob, "app"), now()).await.unwrap();
        assert!(bobs.is_default, "another owner's name and default are their own");

        assert!(db.set_git_repository_path(second.id, "/data/repositories/1/2", now()).await.unwrap());
        assert_eq!(db.git_repository(second.id).await.unwrap().unwrap().path, "/data/repositories/1/2");
        assert_eq!(db.git_repository_by_name(ann, "lib").await.unwrap().unwrap().id, second.id);
        assert!(db.git_repository_by_name(bob, "lib").await.unwrap().is_none());

        let anns: Vec<String> = db.list_git_repositories(Some(ann)).await.unwrap().into_iter().map(|r| r.name).collect();
        assert_eq!(anns, ["app", "lib"]);
        assert_eq!(db.list_git_repositories(None).await.unwrap().len(), 3);
    }

    async fn one_default_per_owner_and_a_deleted_default_hands_over(db: Db) {
        let ann = user(&db, "ann").await;
        let a = db.insert_git_repository(&repo(ann, "a"), now()).await.unwrap();
        let b = db.insert_git_repository(&repo(ann, "b"), now()).await.unwrap();
        let c = db.insert_git_repository(&repo(ann, "c"), now()).await.unwrap();
        assert!(db.set_default_git_repository(c.id, now()).await.unwrap());
        assert_eq!(db.default_git_repository(ann).await.unwrap().unwrap().id, c.id);
        let defaults = db.list_git_repositories(Some(ann)).await.unwrap().iter().filter(|r| r.is_default).count();
        assert_eq!(defaults, 1);
        assert!(!db.set_default_git_repository(9999, now()).await.unwrap());
        assert_eq!(db.default_git_repository(ann).await.unwrap().unwrap().id, c.id, "a missing id changes nothing");

        assert!(db.delete_git_repository(c.id, now()).await.unwrap());
        assert_eq!(db.default_git_repository(ann).await.unwrap().unwrap().id, a.id, "the oldest other one");
        assert!(db.delete_git_repository(b.id, now()).await.unwrap());
        assert_eq!(db.default_git_repository(ann).await.unwrap().unwrap().id, a.id, "a non-default leaves it be");
        assert!(!db.delete_git_repository(b.id, now()).await.unwrap());
        assert!(db.delete_git_repository(a.id, now()).await.unwrap());
        assert!(db.default_git_repository(ann).await.unwrap().is_none());
    }
}
