//! Every identity route that takes a body, fed garbage: wrong content type, broken JSON, wrong field types, the
//! wrong JSON kind, oversized bodies. Each answer is a 4xx in the route's own shape; nothing is a 5xx.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use common::{Setup, TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_http::HttpSettings;
use slipway_store::{Db, backend_tests};

/// Who calls a route.
#[derive(Clone, Copy)]
enum Caller {
    Anonymous,
    User,
    Admin,
}

fn routes(user_id: i64) -> Vec<(&'static str, String, Caller, Value)> {
    vec![
        (
            "POST",
            "/api/auth/register".into(),
            Caller::Anonymous,
            json!({"username": "zed", "email": "zed@example.com", "password": "Secret123!"}),
        ),
        ("POST", "/api/auth/login".into(), Caller::Anonymous, json!({"identifier": "ann", "password": "Secret123!"})),
        ("POST", "/api/auth/refresh".into(), Caller::Anonymous, json!({"refresh_token": "abc"})),
        (
            "POST",
            "/api/auth/change-password".into(),
            Caller::User,
            json!({"old_password": "Secret123!", "new_password": "Another123!"}),
        ),
        ("POST", "/api/auth/verify-email".into(), Caller::Anonymous, json!({"token": "abc"})),
        ("PUT", "/api/auth/profile".into(), Caller::User, json!({"username": "zed2"})),
        ("PUT", "/api/auth/me".into(), Caller::User, json!({"full_name": "Zed"})),
        ("POST", "/api/auth/login/".into(), Caller::Anonymous, json!({"username": "ann", "password": "Secret123!"})),
        ("POST", "/api/auth/refresh/".into(), Caller::Anonymous, json!({"refresh": "abc"})),
        (
            "POST",
            "/api/users".into(),
            Caller::Admin,
            json!({"username": "zed3", "email": "zed3@example.com", "password": "abcdef", "role": "user"}),
        ),
        ("PUT", format!("/api/users/{user_id}"), Caller::Admin, json!({"username": "zed4"})),
        (
            "POST",
            "/api/v1/auth/register".into(),
            Caller::Anonymous,
            json!({"username": "zed5", "email": "zed5@example.com", "password": "abcdef"}),
        ),
        ("POST", "/api/v1/auth/login".into(), Caller::Anonymous, json!({"username": "ann", "password": "Secret123!"})),
        ("POST", "/api/v1/auth/refresh".into(), Caller::Anonymous, json!({"refresh_token": "abc"})),
        (
            "PUT",
            "/api/v1/auth/password".into(),
            Caller::User,
            json!({"old_password": "Secret123!", "new_password": "abcdefg"}),
        ),
        (
            "POST",
            "/api/v1/auth/send-code".into(),
            Caller::Anonymous,
            json!({"email": "zed6@example.com", "code_type": "register"}),
        ),
        (
            "POST",
            "/api/v1/auth/verify-code".into(),
            Caller::Anonymous,
            json!({"email": "zed6@example.com", "code": "123456", "code_type": "register"}),
        ),
        (
            "POST",
            "/api/v1/auth/verify-register".into(),
            Caller::Anonymous,
            json!({"username": "zed7", "email": "zed7@example.com", "password": "abcdef", "code": "123456"}),
        ),
        ("POST", "/api/v1/auth/password/send-code".into(), Caller::Anonymous, json!({"email": "zed8@example.com"})),
        (
            "POST",
            "/api/v1/auth/password/reset".into(),
            Caller::Anonymous,
            json!({"email": "zed8@example.com", "code": "123456", "new_password": "abcdefg"}),
        ),
    ]
}

fn raw(method: &str, uri: &str, content_type: &str, body: impl Into<Body>, token: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(uri).header("content-type", content_type);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(body.into()).unwrap()
}

fn refused(method: &str, path: &str, what: &str, r: &common::Reply) {
    assert!(r.status.is_client_error(), "{method} {path} ({what}) answered {}: {}", r.status, r.text);
    assert_error_shape(method, path, r);
}

backend_tests! {
    async fn every_bad_body_is_a_client_error_in_the_routes_shape(db: Db) {
        let setup = Setup { http: HttpSettings { body_limit: 2048, request_timeout: Duration::from_secs(30), ..HttpSettings::default() }, ..Setup::default() };
        let app = TestApp::new(db, setup).await;
        let admin = app.admin("root").await;
        let (user, _) = app.user("ann").await;
        let user_id = app.id_of(&user).await;
        for (method, path, caller, valid) in routes(user_id) {
            let token = match caller {
                Caller::Anonymous => None,
                Caller::User => Some(user.as_str()),
                Caller::Admin => Some(admin.as_str()),
            };
            let r = app.send(raw(method, &path, "text/plain", valid.to_string(), token)).await;
            assert_eq!(r.status, 415, "{method} {path}: {}", r.text);
            refused(method, &path, "text/plain", &r);

            let r = app.send(raw(method, &path, "application/json", "{\"username\": ", token)).await;
            refused(method, &path, "broken JSON", &r);

            let r = app.send(raw(method, &path, "application/json", "[1, 2, 3]", token)).await;
            refused(method, &path, "an array", &r);

            for field in valid.as_object().unwrap().keys() {
                let mut wrong = valid.clone();
                wrong[field] = json!(12345);
                let r = app.json(method, &path, wrong, token).await;
                refused(method, &path, &format!("{field} as a number"), &r);
            }

            let huge = json!({"padding": "x".repeat(4096)});
            let r = app.json(method, &path, huge, token).await;
            assert_eq!(r.status, 413, "{method} {path}: {}", r.text);
            refused(method, &path, "oversized", &r);
        }
        // Nothing above reached a handler that changed anything.
        let me = app.call("GET", "/api/auth/profile", Some(&user)).await.json();
        assert_eq!(me["username"], "ann");
    }
}
