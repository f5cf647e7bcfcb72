//! Every error, in every document's shape: the five seed renderers, the union for shared routes, 404 and 405 by
//! path owner, panics, timeouts, body limits, malformed bodies, request ids and CORS.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Query, Request};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use common::{Reply, get, method, post_json, send};
use serde_json::{Value, json};
use slipway_core::{Error, FieldError};
use slipway_http::extract::ApiJson;
use slipway_http::{ApiError, HttpSettings};

#[derive(serde::Deserialize)]
struct Mode {
    error: String,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Login {
    username: String,
    password: String,
}

fn two_field_errors() -> Error {
    Error::Validation(vec![
        FieldError::body("email", "value_error.email", "value is not a valid email address"),
        FieldError::query("page", "type_error.integer", "must be an integer"),
    ])
}

/// Raises the error named in `?error=` at whatever path it is mounted on, so each owner's shape can be tested.
async fn raise(Query(mode): Query<Mode>, req: Request) -> Response {
    let err = match mode.error.as_str() {
        "validation" => two_field_errors(),
        "unauthenticated" => Error::Unauthenticated,
        "invalid_token" => Error::InvalidToken,
        "forbidden" => Error::Forbidden("admins only".into()),
        "not_found" => Error::NotFound("pipeline 7".into()),
        "conflict" => Error::Conflict("name already taken".into()),
        "rate_limited" => Error::RateLimited { retry_after_secs: 30 },
        "unavailable" => Error::Unavailable("database: pool timed out".into()),
        "internal" => Error::Internal("secret detail: password=hunter2".into()),
        "panic" => panic!("handler bug"),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            return "too late".into_response();
        }
        "with_headers" => {
            let mut resp = ApiError(Error::RateLimited { retry_after_secs: 7 }).into_response();
            resp.headers_mut().insert("x-ratelimit-limit", HeaderValue::from_static("10"));
            return resp;
        }
        "json" => {
            return match ApiJson::<Login>::from_request(req, &()).await {
                Ok(ApiJson(login)) => format!("hello {}", login.username).into_response(),
                Err(e) => e.into_response(),
            };
        }
        other => panic!("unknown test mode {other}"),
    };
    ApiError(err).into_response()
}

fn settings() -> HttpSettings {
    HttpSettings { body_limit: 1024, request_timeout: Duration::from_millis(300), cors_origins: vec![] }
}

fn raising_app(settings: &HttpSettings) -> Router {
    let routes =
        slipway_http::middleware::limit_bodies(Router::new().route("/{*rest}", any(raise)), settings.body_limit);
    slipway_http::middleware::apply(routes, settings, Default::default())
}

async fn raised(path: &str, mode: &str) -> Reply {
    send(&raising_app(&settings()), get(&format!("{path}?error={mode}"))).await
}

#[tokio::test]
async fn perfect21_errors_have_success_false_message_and_error_code() {
    let r = raised("/task/x", "conflict").await;
    assert_eq!(r.status, 409);
    let b = r.json();
    assert_eq!(b["success"], false);
    assert_eq!(b["error_code"], "CONFLICT");
    assert_eq!(b["message"], "conflict: name already taken");
    assert_eq!(b["request_id"], r.header("x-request-id").unwrap());

    let b = raised("/api/workflows/x", "validation").await.json();
    assert_eq!(b["error_code"], "VALIDATION_ERROR");
    assert_eq!(b["errors"][0]["loc"], json!(["body", "email"]));
}

#[tokio::test]
async fn resoftai_validation_is_fastapi_style_422() {
    let r = raised("/api/projects/1", "validation").await;
    assert_eq!(r.status, 422);
    let b = r.json();
    assert_eq!(
        b["detail"][0],
        json!({"loc": ["body", "email"], "msg": "value is not a valid email address", "type": "value_error.email"})
    );
    assert_eq!(b["detail"][1]["loc"], json!(["query", "page"]));
    assert_eq!(b["status_code"], 422);
    assert_eq!(b["error_code"], "VALIDATION_ERROR");
    assert!(b["timestamp"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn resoftai_errors_carry_detail_status_code_error_code_timestamp() {
    let r = raised("/api/llm-configs/3", "forbidden").await;
    assert_eq!(r.status, 403);
    let b = r.json();
    assert_eq!(b["detail"], "权限不足", "appendix D's text for AUTH_003");
    assert_eq!(b["status_code"], 403);
    assert_eq!(b["error_code"], "AUTH_003");

    let r = raised("/api/projects", "rate_limited").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("30"));
    assert_eq!(r.json()["detail"], "Rate limit exceeded. Try again in 30 seconds.");
}

#[tokio::test]
async fn ansflow_errors_nest_code_message_details_with_path() {
    let r = raised("/api/pipelines/7/", "validation").await;
    assert_eq!(r.status, 400);
    let b = r.json();
    assert_eq!(b["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(b["error"]["details"], json!({"email": ["请输入有效的邮箱地址"], "page": ["must be an integer"]}));
    assert_eq!(b["path"], "/api/pipelines/7/");
    assert!(b["timestamp"].is_string());

    let b = raised("/api/pipelines/7/", "not_found").await.json();
    assert_eq!(b["error"]["code"], "RESOURCE_NOT_FOUND");
    assert_eq!(b["error"]["details"], json!({}));
    let b = raised("/api/v1/webhooks/github", "unauthenticated").await.json();
    assert_eq!(b["error"]["code"], "AUTHENTICATION_ERROR");
}

#[tokio::test]
async fn qoder_errors_put_the_status_in_code() {
    for (mode, status) in [("not_found", 404), ("validation", 400), ("unauthenticated", 401), ("conflict", 409)] {
        let r = raised("/api/servers/1", mode).await;
        assert_eq!(r.status, status, "{mode}");
        let b = r.json();
        assert_eq!(b["code"], status, "{mode}");
        assert!(b["message"].is_string());
        assert!(b.get("success").is_none(), "no other document's fields leak in");
    }
}

#[tokio::test]
async fn petplan_errors_have_code_message_detail() {
    let r = raised("/api/v1/plans/abc", "unauthenticated").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let b = r.json();
    assert_eq!(b["code"], 401);
    assert_eq!(b["detail"], "Invalid or expired token");

    // A field the request model refuses makes the whole answer FastAPI's 422, naming every field.
    let r = raised("/api/v1/auth/send-code", "validation").await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["code"], 422);
    assert_eq!(r.json()["detail"], "email: value is not a valid email address; page: must be an integer");
}

#[tokio::test]
async fn shared_routes_answer_with_the_union_of_their_documents() {
    // /api/auth/login is claimed by Perfect21, ResoftAI and qoder: Perfect21 wins colliding keys and the status.
    let r = raised("/api/auth/login", "invalid_token").await;
    assert_eq!(r.status, 401);
    let b = r.json();
    assert_eq!(b["success"], false);
    assert_eq!(b["error_code"], "INVALID_TOKEN", "Perfect21's code beats ResoftAI's AUTH_002");
    assert_eq!(b["message"], "访问令牌无效或已过期", "Perfect21's text");
    assert_eq!(b["detail"], "Token 无效或过期", "ResoftAI's text");
    assert_eq!(b["status_code"], 401);
    assert_eq!(b["code"], 401);
    assert!(b["timestamp"].is_string());

    let r = raised("/api/auth/register", "validation").await;
    assert_eq!(r.status, 422);
    let b = r.json();
    assert!(b["detail"].is_array(), "ResoftAI's FastAPI detail list is part of the union");
    assert!(b.get("code").is_none(), "qoder does not claim /api/auth/register");
}

#[tokio::test]
async fn internal_errors_hide_details_and_keep_the_request_id() {
    let app = raising_app(&settings());
    let req =
        Request::get("/api/servers?error=internal").header("x-request-id", "trace-123").body(Body::empty()).unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.status, 500);
    assert!(!r.text.contains("hunter2"), "{}", r.text);
    assert_eq!(r.json()["request_id"], "trace-123");
    assert_eq!(r.header("x-request-id"), Some("trace-123"));
}

#[tokio::test]
async fn a_panicking_handler_gets_a_500_in_shape_and_the_server_keeps_serving() {
    let app = raising_app(&settings());
    let req = Request::get("/api/v1/tasks/?error=panic").header("x-request-id", "boom-1").body(Body::empty()).unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.status, 500);
    let b = r.json();
    assert_eq!(b["code"], 500);
    assert_eq!(b["message"], "internal server error");
    assert_eq!(b["request_id"], "boom-1");
    let again = send(&app, get("/api/v1/tasks/?error=not_found")).await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn slow_handlers_time_out_in_shape() {
    let r = raised("/api/monitoring/alerts", "slow").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["error_code"], "TIMEOUT");
}

#[tokio::test]
async fn error_responses_keep_headers_the_handler_set() {
    let r = raised("/api/projects", "with_headers").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("x-ratelimit-limit"), Some("10"));
    assert_eq!(r.header("retry-after"), Some("7"));
}

#[tokio::test]
async fn oversized_bodies_get_413_in_shape() {
    let app = raising_app(&settings());
    let big = format!(r#"{{"username":"{}","password":"x"}}"#, "a".repeat(4096));
    let r = send(&app, post_json("/api/projects/1?error=json", &big)).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error_code"], "PAYLOAD_TOO_LARGE");

    // Without Content-Length the limit trips while reading; the answer is the same.
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(big.clone().into_bytes())]);
    let req = Request::post("/api/v1/tasks/?error=json")
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["code"], 413);
}

#[tokio::test]
async fn malformed_json_is_a_client_error_in_shape() {
    let app = raising_app(&settings());
    let r = send(&app, post_json("/api/v1/auth/login?error=json", "{\"username\": ")).await;
    assert_eq!(r.status, 422, "the planner is FastAPI: broken JSON is a 422");
    assert_eq!(r.json()["code"], 422);

    let r = send(&app, post_json("/api/projects?error=json", "{\"username\": ")).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["detail"][0]["type"], "json_invalid");

    let r = send(&app, post_json("/api/pipelines/?error=json", r#"{"username": 5, "password": "x"}"#)).await;
    assert_eq!(r.status, 400);
    let b = r.json();
    assert!(b["error"]["details"]["username"][0].as_str().unwrap().contains("invalid type"), "{b}");

    let ok = send(&app, post_json("/api/pipelines/?error=json", r#"{"username": "ann", "password": "x"}"#)).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.text, "hello ann");
}

#[tokio::test]
async fn wrong_content_type_gets_415_in_shape() {
    let app = raising_app(&settings());
    let req = Request::post("/api/servers?error=json")
        .header("content-type", "text/plain")
        .body(Body::from("username=a"))
        .unwrap();
    let r = send(&app, req).await;
    assert_eq!(r.status, 415);
    assert_eq!(r.json()["code"], 415);
}

#[tokio::test]
async fn request_ids_are_honoured_or_generated() {
    let app = raising_app(&settings());
    let r = send(&app, Request::get("/x?error=not_found").header("x-request-id", "abc-1").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.header("x-request-id"), Some("abc-1"));

    let r = send(&app, get("/x?error=not_found")).await;
    let generated = r.header("x-request-id").unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID");
    assert_eq!(r.json()["request_id"], generated.as_str());

    let unsafe_id =
        Request::get("/x?error=not_found").header("x-request-id", "a b<script>").body(Body::empty()).unwrap();
    let r = send(&app, unsafe_id).await;
    assert_ne!(r.header("x-request-id"), Some("a b<script>"));
}

#[tokio::test]
async fn cors_follows_configuration() {
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/api/projects")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .body(Body::empty())
            .unwrap()
    };
    let closed = raising_app(&settings());
    let r = send(&closed, preflight("https://app.example")).await;
    assert_eq!(r.header("access-control-allow-origin"), None, "no CORS unless configured");

    let open = raising_app(&HttpSettings { cors_origins: vec!["https://app.example".into()], ..settings() });
    let r = send(&open, preflight("https://app.example")).await;
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example"));
    let r = send(&open, preflight("https://evil.example")).await;
    assert_eq!(r.header("access-control-allow-origin"), None);

    let req = Request::get("/api/projects?error=not_found")
        .header("origin", "https://app.example")
        .body(Body::empty())
        .unwrap();
    let r = send(&open, req).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://app.example"), "errors carry CORS headers too");
}

#[tokio::test]
async fn unknown_routes_get_404_in_the_prefix_owners_shape() {
    let (app, _db, _dir) = common::app().await;
    type ShapeCheck = fn(&Value) -> bool;
    let cases: [(&str, ShapeCheck); 6] = [
        ("/api/pipelines/9/nothing/", |b| b["error"]["code"] == "RESOURCE_NOT_FOUND"),
        ("/api/v1/nothing", |b| b["code"] == 404 && b.get("detail").is_some()),
        ("/api/servers/1/nothing", |b| b["code"] == 404 && b.get("detail").is_none()),
        ("/api/nothing", |b| b["status_code"] == 404 && b["error_code"] == "NOT_FOUND"),
        ("/nothing", |b| b["success"] == false && b["error_code"] == "ROUTE_NOT_FOUND"),
        ("/api/auth/nothing", |b| b["success"] == false && b["status_code"] == 404 && b["code"] == 404),
    ];
    for (path, shape_ok) in cases {
        let r = send(&app, get(path)).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.rendered.map(|e| e.code), Some("ROUTE_NOT_FOUND"), "{path}");
        assert!(shape_ok(&r.json()), "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow_in_shape() {
    let (app, _db, _dir) = common::app().await;
    let r = send(&app, method("DELETE", "/health")).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET,HEAD"));
    let b = r.json();
    assert_eq!(b["success"], false);
    assert_eq!(b["error_code"], "METHOD_NOT_ALLOWED");
}
