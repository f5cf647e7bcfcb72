//! The servers repository on both backends: insert with tags and read back, names unique, filters (status, tag,
//! search with LIKE's wildcards literal) and paging, update (tags replaced, host key forgotten when asked),
//! host keys pinned once, offered and accepted, connection checks, and operator grants.
#![allow(clippy::unwrap_used)]

use slipway_core::time::now;
use slipway_store::identity::NewUser;
use slipway_store::ops::{ServerCheck, ServerFilter, ServerRow};
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

fn row<'a>(name: &'a str, tags: &'a [String]) -> ServerRow<'a> {
    ServerRow {
        name,
        host: "10.0.0.5",
        port: 22,
        username: "deploy",
        auth_kind: "private_key",
        credential_sealed: "v1:sealed",
        jump_host: None,
        address_by_admin: true,
        description: "web 100%_done",
        tags,
    }
}

fn tags(t: &[&str]) -> Vec<String> {
    t.iter().map(|s| (*s).to_owned()).collect()
}

backend_tests! {
    async fn servers_are_stored_filtered_and_paged(db: Db) {
        let ann = user(&db, "ann").await;
        let web = tags(&["web", "prod"]);
        let a = db.insert_server(ann, &row("web-1", &web), now()).await.unwrap();
        assert_eq!((a.owner_id, a.port, a.status.as_str(), a.tags.clone()), (Some(ann), 22, "unknown", tags(&["prod", "web"])));
        assert!(!format!("{a:?}").contains("v1:sealed"), "Debug never prints the credential");
        assert!(a.address_by_admin);
        assert_eq!(db.server(a.id).await.unwrap(), Some(a.clone()));
        let db_tags = tags(&["db"]);
        let b = db.insert_server(ann, &row("db-1", &db_tags), now()).await.unwrap();
        let dup = db.insert_server(ann, &row("web-1", &[]), now()).await.unwrap_err();
        assert!(matches!(dup, StoreError::Duplicate(_)), "{dup:?}");

        let all = ServerFilter::default();
        let (list, total) = db.list_servers(&all, 0, 10).await.unwrap();
        assert_eq!((list.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), total), (vec!["db-1", "web-1"], 2));
        let (page, total) = db.list_servers(&all, 1, 1).await.unwrap();
        assert_eq!((page.len(), page[0].id, total), (1, a.id, 2));
        let by_tag = ServerFilter { tag: Some("web".into()), ..ServerFilter::default() };
        assert_eq!(db.list_servers(&by_tag, 0, 10).await.unwrap().0.iter().map(|s| s.id).collect::<Vec<_>>(), [a.id]);
        let search = |s: &str| ServerFilter { search: Some(s.into()), ..ServerFilter::default() };
        assert_eq!(db.list_servers(&search("DB-"), 0, 10).await.unwrap().1, 1);
        assert_eq!(db.list_servers(&search("100%_d"), 0, 10).await.unwrap().1, 2);
        assert_eq!(db.list_servers(&search("1%0"), 0, 10).await.unwrap().1, 0, "% is literal");
        let check = ServerCheck { status: "online", error: None, facts: Some(("Debian 12", "6.1.0", 4, 8_000_000_000)) };
        db.record_server_check(b.id, &check, now()).await.unwrap();
        let online = ServerFilter { status: Some("online".into()), ..ServerFilter::default() };
        let (list, _) = db.list_servers(&online, 0, 10).await.unwrap();
        assert_eq!(list.len(), 1);
        let b = &list[0];
        assert_eq!((b.os.as_deref(), b.cpu_count, b.memory_total_bytes), (Some("Debian 12"), Some(4), Some(8_000_000_000)));
        assert!(b.last_checked_at.is_some());
        let failed = ServerCheck { status: "offline", error: Some("tcp step: refused"), facts: None };
        db.record_server_check(b.id, &failed, now()).await.unwrap();
        let b = db.server(b.id).await.unwrap().unwrap();
        assert_eq!((b.status.as_str(), b.last_error.as_deref(), b.os.as_deref()), ("offline", Some("tcp step: refused"), Some("Debian 12")));
        assert!(db.delete_server(b.id).await.unwrap());
        assert!(!db.delete_server(b.id).await.unwrap());
        assert_eq!(db.server(b.id).await.unwrap(), None);
    }

    async fn host_keys_are_pinned_once_offered_and_accepted(db: Db) {
        let ann = user(&db, "ann").await;
        let s = db.insert_server(ann, &row("web-1", &[]), now()).await.unwrap();
        assert!(db.pin_server_host_key(s.id, "ssh-ed25519 AAAA1", "SHA256:one", now()).await.unwrap());
        assert!(!db.pin_server_host_key(s.id, "ssh-ed25519 AAAA2", "SHA256:two", now()).await.unwrap(), "pinned once");
        assert_eq!(db.accept_server_host_key(s.id, None, now()).await.unwrap(), None, "nothing offered");
        db.offer_server_host_key(s.id, "ssh-ed25519 AAAA2", "SHA256:two", "host key changed", now()).await.unwrap();
        let offered = db.server(s.id).await.unwrap().unwrap();
        assert_eq!((offered.status.as_str(), offered.host_key_fingerprint.as_deref()), ("host_key_changed", Some("SHA256:one")));
        assert_eq!(offered.pending_host_key_fingerprint.as_deref(), Some("SHA256:two"));
        assert_eq!(db.accept_server_host_key(s.id, Some("SHA256:other"), now()).await.unwrap(), None, "not the offered key");
        let accepted = db.accept_server_host_key(s.id, Some("SHA256:two"), now()).await.unwrap().unwrap();
        assert_eq!((accepted.host_key.as_deref(), accepted.pending_host_key.as_deref()), (Some("ssh-ed25519 AAAA2"), None));
        assert_eq!((accepted.status.as_str(), accepted.last_error.as_deref()), ("unknown", None));
        // Updating keeps the key unless the address changed.
        let t = tags(&["a"]);
        let same = db.update_server(s.id, &row("web-one", &t), false, now()).await.unwrap().unwrap();
        assert_eq!((same.name.as_str(), same.tags.clone(), same.host_key_fingerprint.as_deref()), ("web-one", t.clone(), Some("SHA256:two")));
        let moved = db.update_server(s.id, &row("web-one", &[]), true, now()).await.unwrap().unwrap();
        assert_eq!((moved.host_key.as_deref(), moved.tags.len()), (None, 0));
        assert_eq!(db.update_server(s.id + 100, &row("x", &[]), false, now()).await.unwrap(), None);
    }

    async fn operators_are_granted_and_revoked(db: Db) {
        let admin = user(&db, "admin").await;
        let bob = user(&db, "bob").await;
        assert!(!db.is_server_operator(bob).await.unwrap());
        db.grant_server_operator(bob, admin, now()).await.unwrap();
        db.grant_server_operator(bob, admin, now()).await.unwrap();
        assert!(db.is_server_operator(bob).await.unwrap());
        let grants = db.server_operators().await.unwrap();
        assert_eq!((grants.len(), grants[0].username.as_str(), grants[0].granted_by), (1, "bob", Some(admin)));
        assert!(db.revoke_server_operator(bob).await.unwrap());
        assert!(!db.revoke_server_operator(bob).await.unwrap());
        assert!(!db.is_server_operator(bob).await.unwrap());
    }
}
