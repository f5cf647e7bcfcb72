//! The six shared routes: every request form their documents show, union answers, documented errors, auth.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{TestApp, assert_error_shape};
use serde_json::json;
use slipway_store::{Db, backend_tests};

fn strong(name: &str) -> serde_json::Value {
    json!({"username": name, "email": format!("{name}@example.com"), "password": "Secret123!"})
}

fn form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

backend_tests! {
    async fn register_answers_for_perfect21_and_resoftai_at_once(db: Db) {
        let app = TestApp::on(db).await;
        let body = json!({"username": "john_doe", "email": "john@example.com", "password": "SecurePass123!", "full_name": "John Doe"});
        let r = app.json("POST", "/api/auth/register", body, None).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let b = r.json();
        // Perfect21's fields
        assert_eq!(b["success"], true);
        assert_eq!(b["user_id"], b["id"].to_string());
        assert!(b["verification_token"].as_str().unwrap().len() >= 40);
        assert_eq!(b["message"], "注册成功，请验证邮箱");
        // ResoftAI's fields
        assert!(b["id"].is_i64());
        assert_eq!((b["username"].as_str(), b["email"].as_str(), b["full_name"].as_str()), (Some("john_doe"), Some("john@example.com"), Some("John Doe")));
        assert_eq!((b["is_active"].as_bool(), b["is_admin"].as_bool()), (Some(true), Some(false)));
        assert!(b["created_at"].as_str().unwrap().ends_with('Z'));

        // The confirmation token works with Perfect21's verify-email.
        let token = b["verification_token"].as_str().unwrap();
        let r = app.json("POST", "/api/auth/verify-email", json!({"token": token}), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["user"]["email_verified"], true);
    }

    async fn register_refuses_taken_names_weak_passwords_and_self_made_admins(db: Db) {
        let app = TestApp::on(db).await;
        assert_eq!(app.json("POST", "/api/auth/register", strong("ann"), None).await.status, 201);
        let r = app.json("POST", "/api/auth/register", strong("ann"), None).await;
        assert_eq!(r.status, 400, "ResoftAI documents 400 for a taken name");
        assert_eq!(r.json()["error_code"], "USER_EXISTS");
        assert_error_shape("POST", "/api/auth/register", &r);

        let weak = json!({"username": "bob", "email": "bob@example.com", "password": "password"});
        let r = app.json("POST", "/api/auth/register", weak, None).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "password"]), "FastAPI-style detail in the union");
        assert_eq!(r.json()["error_code"], "VALIDATION_ERROR");

        let admin = json!({"username": "eve", "email": "eve@example.com", "password": "Secret123!", "role": "admin"});
        let r = app.json("POST", "/api/auth/register", admin.clone(), None).await;
        assert_eq!(r.status, 403);
        assert_error_shape("POST", "/api/auth/register", &r);
        let root = app.admin("root").await;
        let r = app.json("POST", "/api/auth/register", admin, Some(&root)).await;
        assert_eq!(r.status, 201, "an administrator may create administrators: {}", r.text);
        assert_eq!(r.json()["is_admin"], true);

        let r = app.json("POST", "/api/auth/register", json!({"username": "x", "email": "x@example.com", "password": "Secret123!", "role": "root"}), None).await;
        assert_eq!(r.status, 422);
    }

    async fn login_takes_identifier_json_username_json_and_oauth2_forms(db: Db) {
        let app = TestApp::on(db).await;
        app.json("POST", "/api/auth/register", strong("ann"), None).await;
        let attempts = [
            common::json_req("POST", "/api/auth/login", &json!({"identifier": "ann", "password": "Secret123!", "remember_me": true}), None),
            common::json_req("POST", "/api/auth/login", &json!({"username": "ann@example.com", "password": "Secret123!"}), None),
            form("/api/auth/login", "username=ann%40example.com&password=Secret123%21&grant_type=password"),
        ];
        for req in attempts {
            let r = app.send(req).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let b = r.json();
            assert_eq!(b["success"], true);
            assert_eq!(b["message"], "登录成功");
            assert_eq!(b["token_type"], "bearer");
            assert_eq!(b["expires_in"], 1800);
            assert_eq!(b["user"]["username"], "ann");
            assert!(b["user"]["id"].is_string(), "Perfect21's user wins the shared key");
            assert!(b["user"]["last_login"].is_string());
            assert_eq!(b["code"], 200);
            assert_eq!(b["data"]["access_token"], b["access_token"]);
            assert_eq!(b["data"]["user"]["status"], 1);
            assert!(app.state.identity.authenticate(b["access_token"].as_str().unwrap()).await.is_ok());
        }
    }

    async fn login_errors_say_what_the_documents_say(db: Db) {
        let app = TestApp::on(db).await;
        app.json("POST", "/api/auth/register", strong("ann"), None).await;
        let r = app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "nope"}), None).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["error_code"], "INVALID_CREDENTIALS");
        assert_error_shape("POST", "/api/auth/login", &r);
        let ghost = app.json("POST", "/api/auth/login", json!({"identifier": "ghost", "password": "nope"}), None).await;
        assert_eq!((ghost.status, ghost.json()["message"].clone()), (r.status, r.json()["message"].clone()), "no user enumeration");

        let r = app.json("POST", "/api/auth/login", json!({"identifier": "ann"}), None).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "password"]));

        let root = app.admin("root").await;
        let ann = app.state.identity.authenticate(&{
            let r = app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "Secret123!"}), None).await;
            r.json()["access_token"].as_str().unwrap().to_owned()
        }).await.unwrap().user.id;
        app.json("PUT", &format!("/api/users/{ann}"), json!({"status": 0}), Some(&root)).await;
        let r = app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "Secret123!"}), None).await;
        assert_eq!(r.status, 403, "ResoftAI documents 403 for a disabled account");
        assert_eq!(r.json()["error_code"], "ACCOUNT_INACTIVE");
    }

    async fn five_failed_logins_lock_the_account_with_retry_after(db: Db) {
        let app = TestApp::on(db).await;
        app.json("POST", "/api/auth/register", strong("ann"), None).await;
        for _ in 0..4 {
            assert_eq!(app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "Wrong1!x"}), None).await.status, 401);
        }
        let r = app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "Wrong1!x"}), None).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.json()["error_code"], "TOO_MANY_ATTEMPTS");
        let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((890..=900).contains(&retry), "{retry}");
        let right = app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "Secret123!"}), None).await;
        assert_eq!(right.status, 429, "locked even for the right password");
    }

    async fn refresh_takes_the_body_or_the_bearer_and_rotates(db: Db) {
        let app = TestApp::on(db).await;
        app.json("POST", "/api/auth/register", strong("ann"), None).await;
        let login = app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "Secret123!"}), None).await.json();
        let first = login["refresh_token"].as_str().unwrap().to_owned();

        // Perfect21 / qoder: in the body.
        let r = app.json("POST", "/api/auth/refresh", json!({"refresh_token": first}), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["success"].as_bool(), b["message"].as_str(), b["token_type"].as_str()), (Some(true), Some("令牌刷新成功"), Some("bearer")));
        assert_eq!(b["user"]["username"], "ann");
        assert_eq!(b["data"]["refresh_token"], b["refresh_token"]);
        let second = b["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(second, first);

        // ResoftAI: as the bearer, with no body at all.
        let r = app.call("POST", "/api/auth/refresh", Some(&second)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let third = r.json()["refresh_token"].as_str().unwrap().to_owned();

        // Replaying an old token ends the session: even the newest token is dead now.
        let r = app.json("POST", "/api/auth/refresh", json!({"refresh_token": first}), None).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["error_code"], "INVALID_REFRESH_TOKEN");
        assert_error_shape("POST", "/api/auth/refresh", &r);
        assert_eq!(app.call("POST", "/api/auth/refresh", Some(&third)).await.status, 401);

        let r = app.call("POST", "/api/auth/refresh", None).await;
        assert_eq!(r.status, 422, "no token anywhere: {}", r.text);
    }

    async fn logout_ends_the_session_for_every_surface(db: Db) {
        let app = TestApp::on(db).await;
        let (access, refresh) = app.user("ann").await;
        assert_eq!(app.call("GET", "/api/auth/profile", Some(&access)).await.status, 200);
        let r = app.call("POST", "/api/auth/logout", Some(&access)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), json!({"success": true, "message": "登出成功", "code": 200}));
        for (m, p) in [("GET", "/api/auth/profile"), ("GET", "/api/auth/me"), ("GET", "/api/users/me/"), ("GET", "/api/v1/auth/me")] {
            let r = app.call(m, p, Some(&access)).await;
            assert_eq!(r.status, 401, "{m} {p}");
            assert_error_shape(m, p, &r);
        }
        assert_eq!(app.json("POST", "/api/v1/auth/refresh", json!({"refresh_token": refresh}), None).await.status, 401);
        let r = app.call("POST", "/api/auth/logout", None).await;
        assert_eq!(r.status, 401);
        assert_error_shape("POST", "/api/auth/logout", &r);
    }

    async fn profile_is_perfect21_fields_plus_qoder_envelope(db: Db) {
        let app = TestApp::on(db).await;
        let (access, _) = app.user("ann").await;
        let r = app.call("GET", "/api/auth/profile", Some(&access)).await;
        assert_eq!(r.status, 200);
        let b = r.json();
        assert!(b["id"].is_string());
        assert_eq!((b["username"].as_str(), b["email"].as_str(), b["role"].as_str()), (Some("ann"), Some("ann@example.com"), Some("user")));
        assert!(b["created_at"].is_string() && b.get("last_login").is_some());
        assert_eq!((b["code"].as_i64(), b["message"].as_str()), (Some(200), Some("获取成功")));
        assert_eq!(b["data"], json!({"id": app.id_of(&access).await, "username": "ann", "email": "ann@example.com", "role": "user", "status": 1, "created_at": b["created_at"]}));

        for bad in [None, Some("garbage"), Some("eyJhbGciOiJIUzI1NiJ9.e30.x")] {
            let r = app.call("GET", "/api/auth/profile", bad).await;
            assert_eq!(r.status, 401);
            assert_eq!(r.header("www-authenticate"), Some("Bearer"));
            assert_error_shape("GET", "/api/auth/profile", &r);
        }
    }

    async fn change_password_takes_old_or_current_and_ends_every_session(db: Db) {
        let app = TestApp::on(db).await;
        let (a1, _) = app.user("ann").await;
        let (a2, _) = app.user("bob").await;
        let r = app.json("POST", "/api/auth/change-password", json!({"old_password": "nope", "new_password": "Better123!"}), Some(&a1)).await;
        assert_eq!(r.status, 401, "ResoftAI documents 401 for a wrong current password");
        assert_eq!(r.json()["error_code"], "INVALID_OLD_PASSWORD");
        let r = app.json("POST", "/api/auth/change-password", json!({"current_password": "Secret123!", "new_password": "weak"}), Some(&a1)).await;
        assert_eq!(r.status, 422);
        let r = app.json("POST", "/api/auth/change-password", json!({"new_password": "Better123!"}), Some(&a1)).await;
        assert_eq!(r.status, 422);

        let r = app.json("POST", "/api/auth/change-password", json!({"current_password": "Secret123!", "new_password": "Better123!"}), Some(&a1)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json(), json!({"success": true, "message": "密码修改成功，请重新登录"}));
        assert_eq!(app.call("GET", "/api/auth/profile", Some(&a1)).await.status, 401, "the session ended");
        assert_eq!(app.call("GET", "/api/auth/profile", Some(&a2)).await.status, 200, "other users are untouched");
        let r = app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "Better123!"}), None).await;
        assert_eq!(r.status, 200);
        let r = app.json("POST", "/api/auth/change-password", json!({"old_password": "Better123!", "new_password": "Best1234!"}), None).await;
        assert_eq!(r.status, 401);
    }
}
