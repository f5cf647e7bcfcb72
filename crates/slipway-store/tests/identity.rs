//! Identity repositories on both backends: uniqueness, lookups, the lockout counter, session rotation, codes.
#![allow(clippy::unwrap_used)]

use chrono::Duration;
use slipway_core::time::now;
use slipway_store::identity::{NewSession, NewUser, Rotation, UserChanges, UserFilter};
use slipway_store::{Db, StoreError, backend_tests};

fn ann() -> NewUser<'static> {
    NewUser {
        username: "Ann",
        email: "Ann@Example.com",
        password_hash: "$argon2id$fake",
        role: "user",
        full_name: "Ann Lee",
        email_verified: false,
    }
}

backend_tests! {
    async fn usernames_and_emails_are_unique_case_insensitively(db: Db) {
        let user = db.insert_user(&ann(), now()).await.unwrap();
        assert_eq!(user.username, "Ann");
        assert!(user.is_active);
        let dup_name = NewUser { email: "other@example.com", username: "ANN", ..ann() };
        match db.insert_user(&dup_name, now()).await {
            Err(StoreError::Duplicate(msg)) => assert!(msg.contains("username"), "{msg}"),
            other => panic!("expected a duplicate username, got {other:?}"),
        }
        let dup_mail = NewUser { username: "bob", email: "ann@EXAMPLE.com", ..ann() };
        match db.insert_user(&dup_mail, now()).await {
            Err(StoreError::Duplicate(msg)) => assert!(msg.contains("email"), "{msg}"),
            other => panic!("expected a duplicate e-mail, got {other:?}"),
        }
        assert_eq!(db.user_by_login("ann").await.unwrap().unwrap().id, user.id);
        assert_eq!(db.user_by_login("ANN@example.COM").await.unwrap().unwrap().id, user.id);
        assert!(db.user_by_login("nobody").await.unwrap().is_none());
    }

    async fn updates_apply_only_given_fields_and_deleted_users_vanish(db: Db) {
        let user = db.insert_user(&NewUser { email_verified: true, ..ann() }, now()).await.unwrap();
        let changes = UserChanges { email: Some("new@example.com".into()), ..Default::default() };
        let updated = db.update_user(user.id, &changes, now()).await.unwrap().unwrap();
        assert_eq!(updated.email, "new@example.com");
        assert_eq!(updated.full_name, "Ann Lee");
        assert!(!updated.email_verified, "a changed address must be confirmed again");

        assert!(db.soft_delete_user(user.id, now()).await.unwrap());
        assert!(db.user_by_id(user.id).await.unwrap().is_none());
        assert!(db.user_by_login("ann").await.unwrap().is_none());
        assert!(!db.soft_delete_user(user.id, now()).await.unwrap());
        assert!(db.update_user(user.id, &changes, now()).await.unwrap().is_none());
    }

    async fn users_are_listed_with_filters_and_totals(db: Db) {
        for i in 0..7 {
            let name = format!("user{i}");
            let email = format!("u{i}@example.com");
            let role = if i % 3 == 0 { "admin" } else { "user" };
            db.insert_user(&NewUser { username: &name, email: &email, role, ..ann() }, now()).await.unwrap();
        }
        let (page, total) = db.list_users(&UserFilter::default(), 2, 3).await.unwrap();
        assert_eq!(total, 7);
        assert_eq!(page.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["user2", "user3", "user4"]);
        let admins = UserFilter { role: Some("admin".into()), ..Default::default() };
        assert_eq!(db.list_users(&admins, 0, 10).await.unwrap().1, 3);
        let search = UserFilter { search: Some("R5".into()), ..Default::default() };
        assert_eq!(db.list_users(&search, 0, 10).await.unwrap().0[0].username, "user5");
        assert_eq!(db.count_admins().await.unwrap(), 3);
    }

    async fn failures_lock_at_the_threshold_and_reset_after_the_window(db: Db) {
        let user = db.insert_user(&ann(), now()).await.unwrap();
        let t0 = now();
        let lock = t0 + Duration::minutes(15);
        for expected in 1..=4 {
            let (count, locked) = db.record_login_failure(user.id, t0, t0 - Duration::minutes(15), 5, lock).await.unwrap();
            assert_eq!((count, locked), (expected, None));
        }
        let (count, locked) = db.record_login_failure(user.id, t0, t0 - Duration::minutes(15), 5, lock).await.unwrap();
        assert_eq!((count, locked), (5, Some(lock)));
        assert_eq!(db.count_locked_users(t0).await.unwrap(), 1);
        assert_eq!(db.count_locked_users(lock).await.unwrap(), 0);

        // Twenty minutes later the old window is over: counting starts again.
        let t1 = t0 + Duration::minutes(20);
        let (count, _) = db.record_login_failure(user.id, t1, t1 - Duration::minutes(15), 5, lock).await.unwrap();
        assert_eq!(count, 1);
        db.record_login_success(user.id, t1).await.unwrap();
        let after = db.user_by_id(user.id).await.unwrap().unwrap();
        assert_eq!((after.failed_logins, after.locked_until, after.last_login_at), (0, None, Some(t1)));
    }

    async fn refresh_tokens_rotate_once_and_replays_are_detected(db: Db) {
        let user = db.insert_user(&ann(), now()).await.unwrap();
        let t = now();
        let s = NewSession { id: "s1", user_id: user.id, remember_me: false, ip_address: Some("10.0.0.1"), user_agent: None, expires_at: t + Duration::days(7) };
        db.insert_session(&s, "h1", t).await.unwrap();
        let auth = db.session_auth(user.id, "s1").await.unwrap().unwrap();
        assert_eq!(auth.user.id, user.id);
        assert_eq!(auth.session_revoked_at, None);

        let rotated = db.rotate_refresh_token("h1", "h2", t).await.unwrap();
        assert_eq!(rotated, Rotation::Rotated { user_id: user.id, session_id: "s1".into() });
        let replay = db.rotate_refresh_token("h1", "h3", t).await.unwrap();
        assert_eq!(replay, Rotation::Reused { user_id: user.id, session_id: "s1".into() });
        assert_eq!(db.rotate_refresh_token("unknown", "h4", t).await.unwrap(), Rotation::Invalid);

        assert!(db.revoke_session("s1", "refresh token reused", t).await.unwrap());
        assert_eq!(db.rotate_refresh_token("h2", "h5", t).await.unwrap(), Rotation::Invalid, "a revoked family is dead");
        assert!(db.session_auth(user.id, "s1").await.unwrap().unwrap().session_revoked_at.is_some());
        assert!(db.session_auth(user.id + 1, "s1").await.unwrap().is_none(), "a session belongs to its user");
    }

    async fn expired_sessions_refuse_rotation_and_users_lose_all_sessions_at_once(db: Db) {
        let user = db.insert_user(&ann(), now()).await.unwrap();
        let t = now();
        for (id, hash) in [("a", "ha"), ("b", "hb"), ("c", "hc")] {
            let s = NewSession { id, user_id: user.id, remember_me: false, ip_address: None, user_agent: None, expires_at: t + Duration::hours(1) };
            db.insert_session(&s, hash, t).await.unwrap();
        }
        assert_eq!(db.rotate_refresh_token("ha", "ha2", t + Duration::hours(2)).await.unwrap(), Rotation::Invalid);
        assert_eq!(db.revoke_user_sessions(user.id, "password changed", t).await.unwrap(), 3);
        assert_eq!(db.rotate_refresh_token("hb", "hb2", t).await.unwrap(), Rotation::Invalid);
    }

    async fn codes_count_attempts_and_work_once(db: Db) {
        let t = now();
        let exp = t + Duration::minutes(10);
        db.insert_code("ann@example.com", "register", "old", None, t - Duration::seconds(90), exp).await.unwrap();
        let id = db.insert_code("ann@example.com", "register", "new", None, t, exp).await.unwrap();
        let latest = db.latest_code("ann@example.com", "register").await.unwrap().unwrap();
        assert_eq!((latest.id, latest.code_hash.as_str()), (id, "new"));
        assert_eq!(db.count_codes_since("ann@example.com", "register", t - Duration::days(1)).await.unwrap(), 2);
        assert_eq!(db.count_codes_since("ann@example.com", "password_reset", t - Duration::days(1)).await.unwrap(), 0);
        assert_eq!(db.add_code_attempt(id).await.unwrap(), 1);
        assert_eq!(db.add_code_attempt(id).await.unwrap(), 2);
        assert!(db.use_code(id, t).await.unwrap());
        assert!(!db.use_code(id, t).await.unwrap(), "a code works once");
        assert_eq!(db.code_by_hash("register", "new").await.unwrap().unwrap().used_at, Some(t));
    }

    async fn security_events_and_audit_rows_are_kept(db: Db) {
        use slipway_store::identity::{AuditEntry, SecurityEvent};
        let user = db.insert_user(&ann(), now()).await.unwrap();
        let ev = SecurityEvent { kind: "login_failed", user_id: Some(user.id), identifier: Some("ann"), ip_address: Some("::1"), detail: Some(serde_json::json!({"reason": "password"})) };
        db.insert_security_event(&ev, now()).await.unwrap();
        db.insert_security_event(&SecurityEvent { kind: "login_failed", user_id: None, identifier: Some("ghost"), ip_address: None, detail: None }, now() - Duration::hours(2)).await.unwrap();
        assert_eq!(db.count_security_events(None).await.unwrap(), 2);
        assert_eq!(db.count_security_events(Some(now() - Duration::hours(1))).await.unwrap(), 1);
        assert_eq!(db.count_user_security_events(user.id, "login_failed", now() - Duration::hours(1)).await.unwrap(), 1);

        let entry = AuditEntry { action: "UPDATE", resource_type: "user", resource_id: Some(user.id), user_id: Some(user.id), organization_id: None, description: "changed e-mail".into(), changes: Some(serde_json::json!({"email": "new@example.com"})), ip_address: Some("::1"), user_agent: Some("curl/8") };
        db.insert_audit(&entry, now()).await.unwrap();
        let rows = db.recent_audit(5).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].changes.as_ref().unwrap().0["email"], "new@example.com");
        assert_eq!(rows[0].user_agent.as_deref(), Some("curl/8"));
    }
}
