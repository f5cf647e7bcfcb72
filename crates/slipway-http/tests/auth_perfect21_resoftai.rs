//! Perfect21's and ResoftAI's own identity routes.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, assert_error_shape};
use serde_json::json;
use slipway_store::{Db, backend_tests};

backend_tests! {
    async fn perfect21_verify_checks_the_token(db: Db) {
        let app = TestApp::on(db).await;
        let (access, _) = app.user("ann").await;
        let r = app.call("GET", "/api/auth/verify", Some(&access)).await;
        assert_eq!(r.status, 200);
        assert_eq!((r.json()["success"].as_bool(), r.json()["message"].as_str()), (Some(true), Some("令牌验证成功")));
        for token in [None, Some("not-a-jwt")] {
            let r = app.call("GET", "/api/auth/verify", token).await;
            assert_eq!(r.status, 401);
            assert_eq!(r.json()["error_code"], "INVALID_TOKEN");
        }
        // A token of a user who was deleted meanwhile: Perfect21's USER_INACTIVE.
        let root = app.admin("root").await;
        let id = app.id_of(&access).await;
        assert_eq!(app.call("DELETE", &format!("/api/users/{id}"), Some(&root)).await.status, 200);
        let r = app.call("GET", "/api/auth/verify", Some(&access)).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["error_code"], "USER_INACTIVE");
    }

    async fn perfect21_verify_email_refuses_bad_and_used_tokens(db: Db) {
        let app = TestApp::on(db).await;
        let r = app.json("POST", "/api/auth/verify-email", json!({"token": "forged"}), None).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error_code"], "INVALID_TOKEN");
        assert_error_shape("POST", "/api/auth/verify-email", &r);
        let r = app.json("POST", "/api/auth/verify-email", json!({}), None).await;
        assert_eq!(r.status, 422);
        let reg = app.json("POST", "/api/auth/register", json!({"username": "ann", "email": "ann@example.com", "password": "Secret123!"}), None).await;
        let token = reg.json()["verification_token"].as_str().unwrap().to_owned();
        assert_eq!(app.json("POST", "/api/auth/verify-email", json!({"token": token}), None).await.status, 200);
        let again = app.json("POST", "/api/auth/verify-email", json!({"token": token}), None).await;
        assert_eq!(again.status, 400);
    }

    async fn perfect21_profile_updates_with_documented_errors(db: Db) {
        let app = TestApp::on(db).await;
        let (access, _) = app.user("ann").await;
        app.user("bob").await;
        let r = app.json("PUT", "/api/auth/profile", json!({}), Some(&access)).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error_code"], "NO_UPDATE_DATA");
        let r = app.json("PUT", "/api/auth/profile", json!({"username": "bob"}), Some(&access)).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["error_code"], "USER_EXISTS");
        let r = app.json("PUT", "/api/auth/profile", json!({"email": "not-an-address"}), Some(&access)).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["error_code"], "VALIDATION_ERROR");
        let r = app.json("PUT", "/api/auth/profile", json!({"role": "admin"}), Some(&access)).await;
        assert_eq!((r.status.as_u16(), r.json()["error_code"].as_str()), (400, Some("NO_UPDATE_DATA")), "role is not a profile field, so it is ignored: {}", r.text);
        assert_eq!(app.call("GET", "/api/auth/profile", Some(&access)).await.json()["role"], "user");
        let r = app.json("PUT", "/api/auth/profile", json!({"username": "ann_lee", "email": "lee@example.com"}), Some(&access)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["message"], "用户资料更新成功");
        let me = app.call("GET", "/api/auth/profile", Some(&access)).await.json();
        assert_eq!((me["username"].as_str(), me["email"].as_str()), (Some("ann_lee"), Some("lee@example.com")));
        assert_eq!(app.json("PUT", "/api/auth/profile", json!({"username": "x1x"}), None).await.status, 401);
    }

    async fn perfect21_admin_users_pages_and_needs_an_admin(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        for n in ["ann", "bob", "cat", "dan"] {
            app.user(n).await;
        }
        let r = app.call("GET", "/api/auth/admin/users?page=2&page_size=2", Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["success"].as_bool(), b["total"].as_i64(), b["page"].as_i64()), (Some(true), Some(5), Some(2)));
        assert_eq!(b["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect::<Vec<_>>(), ["bob", "cat"]);
        let admins = app.call("GET", "/api/auth/admin/users?role=admin", Some(&root)).await.json();
        assert_eq!(admins["total"], 1);

        let (ann, _) = app.user("eve").await;
        let r = app.call("GET", "/api/auth/admin/users", Some(&ann)).await;
        assert_eq!(r.status, 403);
        assert_error_shape("GET", "/api/auth/admin/users", &r);
        assert_eq!(app.call("GET", "/api/auth/admin/users", None).await.status, 401);
        let r = app.call("GET", "/api/auth/admin/users?page=0&page_size=1000", Some(&root)).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["errors"].as_array().unwrap().len(), 2);
        assert_eq!(app.call("GET", "/api/auth/admin/users?page=abc", Some(&root)).await.status, 422);
    }

    async fn perfect21_security_stats_are_real_counts(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        app.user("ann").await;
        for _ in 0..5 {
            app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "wrong"}), None).await;
        }
        let r = app.call("GET", "/api/auth/admin/security/stats", Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let s = &r.json()["stats"];
        assert_eq!((s["total_events"].as_i64(), s["events_last_hour"].as_i64(), s["events_last_day"].as_i64()), (Some(6), Some(6), Some(6)));
        assert_eq!(s["locked_accounts"], 1);
        assert_eq!(s["password_policy"]["lockout_threshold"], 5);
        assert!(s["password_policy"]["rules"]["perfect21"].as_str().unwrap().contains("special character"));
        let (ann, _) = app.user("bob").await;
        assert_eq!(app.call("GET", "/api/auth/admin/security/stats", Some(&ann)).await.status, 403);
    }

    async fn resoftai_me_reads_and_updates_the_user(db: Db) {
        let app = TestApp::on(db).await;
        let reg = app.json("POST", "/api/auth/register", json!({"username": "john_doe", "email": "john@example.com", "password": "SecurePass123!", "full_name": "John Doe"}), None).await;
        assert_eq!(reg.status, 201);
        let login = app
            .send(axum::http::Request::post("/api/auth/login").header("content-type", "application/x-www-form-urlencoded").body(axum::body::Body::from("username=john%40example.com&password=SecurePass123%21")).unwrap())
            .await;
        let access = login.json()["access_token"].as_str().unwrap().to_owned();
        let me = app.call("GET", "/api/auth/me", Some(&access)).await;
        assert_eq!(me.status, 200);
        let b = me.json();
        assert_eq!((b["username"].as_str(), b["full_name"].as_str(), b["is_admin"].as_bool()), (Some("john_doe"), Some("John Doe"), Some(false)));
        assert_eq!(b["role"], "user");
        assert!(b["id"].is_i64());

        let r = app.json("PUT", "/api/auth/me", json!({"full_name": "John Smith", "email": "john.smith@example.com"}), Some(&access)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["full_name"].as_str(), b["email"].as_str()), (Some("John Smith"), Some("john.smith@example.com")));
        assert!(b["updated_at"].is_string());

        let r = app.json("PUT", "/api/auth/me", json!({"full_name": "John Q", "nickname": "jq"}), Some(&access)).await;
        assert_eq!((r.status.as_u16(), r.json()["full_name"].as_str()), (200, Some("John Q")), "FastAPI ignores unknown fields: {}", r.text);
        let root = app.admin("root").await;
        assert_eq!(app.call("GET", "/api/auth/me", Some(&root)).await.json()["role"], "admin");

        let r = app.json("PUT", "/api/auth/me", json!({"full_name": 5}), Some(&access)).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "full_name"]));
        assert_error_shape("PUT", "/api/auth/me", &r);
        let r = app.json("PUT", "/api/auth/me", json!({}), Some(&access)).await;
        assert_eq!(r.status, 400);
        assert_error_shape("PUT", "/api/auth/me", &r);
        let r = app.call("GET", "/api/auth/me", None).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["error_code"], "AUTH_001");
        let r = app.call("GET", "/api/auth/me", Some("expired.or.forged")).await;
        assert_eq!(r.json()["error_code"], "AUTH_002");
    }
}
