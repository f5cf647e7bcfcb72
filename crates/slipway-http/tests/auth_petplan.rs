//! The pet planner's `/api/v1/auth`, with mail delivered over SMTP to a local sink; and one user base across
//! every surface.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Setup, TestApp, assert_error_shape};
use serde_json::json;
use slipway_identity::testing::SmtpSink;
use slipway_store::{Db, backend_tests};

async fn app_with_mail(db: Db) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await.unwrap();
    let app = TestApp::new(db, Setup { smtp_url: Some(sink.url()), ..Setup::default() }).await;
    (app, sink)
}

backend_tests! {
    async fn planner_register_login_refresh_me(db: Db) {
        let app = TestApp::on(db).await;
        let r = app.json("POST", "/api/v1/auth/register", json!({"username": "testuser", "email": "test@example.com", "password": "password123"}), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["code"].as_i64(), b["message"].as_str()), (Some(0), Some("注册成功")));
        let u = &b["data"]["user"];
        assert!(u["id"].is_string(), "the planner shows string ids");
        assert_eq!((u["is_active"].as_bool(), u["is_superuser"].as_bool()), (Some(true), Some(false)));
        let t = &b["data"]["tokens"];
        assert_eq!((t["token_type"].as_str(), t["expires_in"].as_i64()), (Some("bearer"), Some(1800)));

        for taken in [json!({"username": "testuser", "email": "new@example.com", "password": "password123"}), json!({"username": "other", "email": "test@example.com", "password": "password123"})] {
            let r = app.json("POST", "/api/v1/auth/register", taken, None).await;
            assert_eq!(r.status, 404, "the planner's documented answer to a taken name: {}", r.text);
            assert_error_shape("POST", "/api/v1/auth/register", &r);
        }
        // The username pattern is the request model's (FastAPI's 422); the password and address are the handler's (400).
        for (bad, status) in [(json!({"username": "te", "email": "x@example.com", "password": "password123"}), 422), (json!({"username": "test.user", "email": "x@example.com", "password": "password123"}), 422), (json!({"username": "tester", "email": "x@example.com", "password": "12345"}), 400), (json!({"username": "tester", "email": "nope", "password": "password123"}), 400), (json!({"username": "tester", "email": "x@example.com"}), 422), (json!({"username": 5, "email": "x@example.com", "password": "password123"}), 422)] {
            let r = app.json("POST", "/api/v1/auth/register", bad.clone(), None).await;
            assert_eq!(r.status, status, "{bad}: {}", r.text);
            assert_error_shape("POST", "/api/v1/auth/register", &r);
        }

        let r = app.json("POST", "/api/v1/auth/login", json!({"username": "test@example.com", "password": "password123"}), None).await;
        assert_eq!((r.status.as_u16(), r.json()["message"].as_str()), (200, Some("登录成功")));
        let refresh = r.json()["data"]["tokens"]["refresh_token"].as_str().unwrap().to_owned();
        let r = app.json("POST", "/api/v1/auth/login", json!({"username": "testuser", "password": "wrong"}), None).await;
        assert_eq!(r.status, 401);
        assert_error_shape("POST", "/api/v1/auth/login", &r);

        // Refresh with the bearer header, then with the body.
        let r = app.call("POST", "/api/v1/auth/refresh", Some(&refresh)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let next = r.json()["data"]["refresh_token"].as_str().unwrap().to_owned();
        let r = app.json("POST", "/api/v1/auth/refresh", json!({"refresh_token": next}), None).await;
        assert_eq!(r.status, 200);
        let access = r.json()["data"]["access_token"].as_str().unwrap().to_owned();
        let r = app.json("POST", "/api/v1/auth/refresh", json!({"refresh_token": "bogus"}), None).await;
        assert_eq!(r.status, 401);
        assert_eq!(r.json()["detail"], "Invalid or expired token");

        let r = app.call("GET", "/api/v1/auth/me", Some(&access)).await;
        assert_eq!((r.json()["code"].as_i64(), r.json()["data"]["username"].as_str()), (Some(0), Some("testuser")));
        assert_eq!(app.call("GET", "/api/v1/auth/me", None).await.status, 401);
    }

    async fn planner_password_change(db: Db) {
        let app = TestApp::on(db).await;
        let (access, _) = app.user("testuser").await;
        let r = app.json("PUT", "/api/v1/auth/password", json!({"old_password": "nope", "new_password": "newpassword456"}), Some(&access)).await;
        assert_eq!(r.status, 401);
        assert_error_shape("PUT", "/api/v1/auth/password", &r);
        let r = app.json("PUT", "/api/v1/auth/password", json!({"old_password": "Secret123!", "new_password": "short"}), Some(&access)).await;
        assert_eq!(r.status, 400);
        assert_eq!((r.json()["message"].as_str(), r.json()["detail"].as_str()), (Some("新密码必须至少 6 个字符"), Some("Password must be at least 6 characters")));
        let r = app.json("PUT", "/api/v1/auth/password", json!({"old_password": "Secret123!", "new_password": "newpassword456"}), Some(&access)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), json!({"code": 0, "message": "密码修改成功", "data": null}));
        assert_eq!(app.json("POST", "/api/v1/auth/login", json!({"username": "testuser", "password": "newpassword456"}), None).await.status, 200);
    }

    async fn planner_registration_by_emailed_code(db: Db) {
        let (app, sink) = app_with_mail(db).await;
        let r = app.json("POST", "/api/v1/auth/send-code", json!({"email": "test@example.com", "code_type": "register"}), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json(), json!({"code": 0, "message": "验证码已发送", "data": {"email": "test@example.com", "code_type": "register", "cooldown_seconds": 60, "remaining_daily_sends": 9, "expire_minutes": 10}}));
        let mail = sink.wait_for("test@example.com", Duration::from_secs(10)).await.expect("code mailed over SMTP");
        let code = mail.code().unwrap();

        let r = app.json("POST", "/api/v1/auth/send-code", json!({"email": "test@example.com", "code_type": "register"}), None).await;
        assert_eq!(r.status, 429, "the 60-second cooldown");
        assert!(r.header("retry-after").is_some());
        assert_error_shape("POST", "/api/v1/auth/send-code", &r);
        assert_eq!(app.json("POST", "/api/v1/auth/send-code", json!({"email": "not-an-address", "code_type": "register"}), None).await.status, 400);
        assert_eq!(app.json("POST", "/api/v1/auth/send-code", json!({"email": "a@example.com", "code_type": "login"}), None).await.status, 422);

        let wrong = if code == "000000" { "111111" } else { "000000" };
        let r = app.json("POST", "/api/v1/auth/verify-code", json!({"email": "test@example.com", "code": wrong, "code_type": "register"}), None).await;
        assert_eq!(r.status, 422);
        assert_error_shape("POST", "/api/v1/auth/verify-code", &r);
        let r = app.json("POST", "/api/v1/auth/verify-code", json!({"email": "test@example.com", "code": code, "code_type": "register"}), None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["data"], json!({"is_valid": true, "message": "验证码有效"}));

        let body = json!({"username": "testuser", "email": "test@example.com", "password": "password123", "code": code});
        let r = app.json("POST", "/api/v1/auth/verify-register", body.clone(), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["data"]["user"]["email_verified"], true);
        let again = app.json("POST", "/api/v1/auth/verify-register", json!({"username": "other", "email": "test@example.com", "password": "password123", "code": code}), None).await;
        assert_eq!(again.status, 422, "{}", again.text);
        assert_eq!(again.json()["detail"], "Verification code has been used");
        let r = app.json("POST", "/api/v1/auth/send-code", json!({"email": "test@example.com", "code_type": "register"}), None).await;
        assert_eq!(r.status, 404, "already registered");
    }

    async fn planner_codes_die_after_three_wrong_tries(db: Db) {
        let (app, sink) = app_with_mail(db).await;
        app.json("POST", "/api/v1/auth/send-code", json!({"email": "ann@example.com", "code_type": "register"}), None).await;
        let code = sink.wait_for("ann@example.com", Duration::from_secs(10)).await.unwrap().code().unwrap();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..3 {
            let r = app.json("POST", "/api/v1/auth/verify-register", json!({"username": "ann", "email": "ann@example.com", "password": "password123", "code": wrong}), None).await;
            assert_eq!(r.status, 422);
        }
        let r = app.json("POST", "/api/v1/auth/verify-register", json!({"username": "ann", "email": "ann@example.com", "password": "password123", "code": code}), None).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["detail"], "Too many attempts, please request a new code");
    }

    async fn planner_password_reset_does_not_reveal_accounts(db: Db) {
        let (app, sink) = app_with_mail(db).await;
        let (old, _) = app.user("ann").await;
        let known = app.json("POST", "/api/v1/auth/password/send-code", json!({"email": "ann@example.com"}), None).await;
        let unknown = app.json("POST", "/api/v1/auth/password/send-code", json!({"email": "ghost@example.com"}), None).await;
        assert_eq!((known.status, unknown.status), (unknown.status, axum::http::StatusCode::OK));
        let strip = |mut v: serde_json::Value| {
            v["data"]["email"] = json!(null);
            v
        };
        assert_eq!(strip(known.json()), strip(unknown.json()), "the same answer whether or not the address is registered");
        assert_eq!(known.json()["message"], "如果该邮箱已注册，您将收到验证码");
        assert_eq!(known.json()["data"]["code_type"], "password_reset");

        let code = sink.wait_for("ann@example.com", Duration::from_secs(10)).await.unwrap().code().unwrap();
        assert!(sink.wait_for("ghost@example.com", Duration::from_millis(500)).await.is_none(), "no mail to unknown addresses");
        let r = app.json("POST", "/api/v1/auth/password/reset", json!({"email": "ann@example.com", "code": "999999", "new_password": "resetpass1"}), None).await;
        assert_eq!(r.status, 422);
        let r = app.json("POST", "/api/v1/auth/password/reset", json!({"email": "ann@example.com", "code": code, "new_password": "resetpass1"}), None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json(), json!({"code": 0, "message": "密码重置成功，请使用新密码登录", "data": null}));
        assert_eq!(app.call("GET", "/api/v1/auth/me", Some(&old)).await.status, 401, "a reset ends every session");
        assert_eq!(app.json("POST", "/api/v1/auth/login", json!({"username": "ann", "password": "resetpass1"}), None).await.status, 200);
        // The send-code route with code_type password_reset behaves the same way.
        let r = app.json("POST", "/api/v1/auth/send-code", json!({"email": "ghost2@example.com", "code_type": "password_reset"}), None).await;
        assert_eq!(r.status, 200);
    }

    async fn one_user_base_and_one_token_across_every_surface(db: Db) {
        let app = TestApp::on(db).await;
        // Registered on the planner...
        let r = app.json("POST", "/api/v1/auth/register", json!({"username": "ann", "email": "ann@example.com", "password": "Secret123!"}), None).await;
        assert_eq!(r.status, 200);
        let id = r.json()["data"]["user"]["id"].as_str().unwrap().parse::<i64>().unwrap();
        // ...signed in on Perfect21...
        let r = app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "Secret123!"}), None).await;
        let token = r.json()["access_token"].as_str().unwrap().to_owned();
        // ...and the token works on qoder, AnsFlow, ResoftAI and the planner.
        let q = app.call("GET", &format!("/api/users/{id}"), Some(&token)).await;
        assert_eq!((q.status.as_u16(), q.json()["data"]["username"].as_str()), (200, Some("ann")));
        let a = app.call("GET", "/api/users/me/", Some(&token)).await;
        assert_eq!(a.json()["id"], id);
        assert_eq!(app.call("GET", "/api/auth/me", Some(&token)).await.json()["username"], "ann");
        assert_eq!(app.call("GET", "/api/v1/auth/me", Some(&token)).await.json()["data"]["id"], id.to_string());
        // Signing in through AnsFlow works with the same password, and its token works on Perfect21.
        let r = app.json("POST", "/api/auth/login/", json!({"username": "ann@example.com", "password": "Secret123!"}), None).await;
        let access = r.json()["access"].as_str().unwrap().to_owned();
        assert_eq!(app.call("GET", "/api/auth/verify", Some(&access)).await.status, 200);
    }
}
