//! Rate limits: documented buckets, headers on every limited answer, 429 in the route's shape, callers keyed by
//! user or by address (trusting `X-Forwarded-For` only from configured proxies), and counters shared through
//! Redis between nodes.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use common::{Reply, Setup, TestApp, assert_error_shape};
use serde_json::json;
use slipway_core::config::{Rate, RateLimitConfig};
use slipway_store::{Db, backend_tests};

fn from(ip: &str, req: Request<Body>) -> Request<Body> {
    let mut req = req;
    req.extensions_mut().insert(ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 40000)));
    req
}

fn login_req(ip: &str) -> Request<Body> {
    from(ip, common::json_req("POST", "/api/auth/login", &json!({"identifier": "ann", "password": "Secret123!"}), None))
}

fn limited(rates: RateLimitConfig) -> Setup {
    Setup { rates: RateLimitConfig { enabled: true, ..rates }, ..Setup::default() }
}

fn remaining(r: &Reply) -> Option<u32> {
    r.header("x-ratelimit-remaining").map(|v| v.parse().unwrap())
}

backend_tests! {
    async fn logins_are_limited_per_address_with_headers(db: Db) {
        let app = TestApp::new(db, limited(RateLimitConfig { login: Rate::new(3, 600), ..RateLimitConfig::default() })).await;
        app.user("ann").await;
        let mut seen = Vec::new();
        for _ in 0..3 {
            let r = app.send(login_req("198.51.100.1")).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
            let reset: i64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
            assert!(reset > chrono::Utc::now().timestamp());
            seen.push(remaining(&r).unwrap());
        }
        assert_eq!(seen, [2, 1, 0]);
        let r = app.send(login_req("198.51.100.1")).await;
        assert_eq!(r.status, 429);
        let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=600).contains(&retry));
        assert_eq!(remaining(&r), Some(0));
        assert_eq!(r.json()["error_code"], "RATE_LIMIT_EXCEEDED");
        assert!(r.json()["detail"].as_str().unwrap().starts_with("Rate limit exceeded. Try again in"));
        assert_error_shape("POST", "/api/auth/login", &r);
        assert_eq!(app.send(login_req("198.51.100.2")).await.status, 200, "another address has its own window");
    }

    async fn perfect21_routes_are_limited_per_user_and_health_never(db: Db) {
        let app = TestApp::new(db, limited(RateLimitConfig { perfect21: Rate::new(2, 3600), ..RateLimitConfig::default() })).await;
        let (ann, _) = app.user("ann").await;
        let (bob, _) = app.user("bob").await;
        for _ in 0..2 {
            assert_eq!(app.call("GET", "/api/auth/verify", Some(&ann)).await.status, 200);
        }
        let r = app.call("GET", "/api/auth/verify", Some(&ann)).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.json()["error_code"], "RATE_LIMIT_EXCEEDED");
        assert_eq!(app.call("GET", "/api/auth/verify", Some(&bob)).await.status, 200, "users are counted apart");
        for _ in 0..5 {
            let r = app.call("GET", "/health", None).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.header("x-ratelimit-limit"), None);
        }
        assert_eq!(app.call("GET", "/api/v1/auth/me", Some(&ann)).await.header("x-ratelimit-limit"), None, "the planner documents no limit");
    }

    async fn registrations_share_one_bucket_across_surfaces(db: Db) {
        let app = TestApp::new(db, limited(RateLimitConfig { register: Rate::new(2, 3600), ..RateLimitConfig::default() })).await;
        let reg = |path: &str, name: &str| from("203.0.113.9", common::json_req("POST", path, &json!({"username": name, "email": format!("{name}@example.com"), "password": "Secret123!"}), None));
        assert_eq!(app.send(reg("/api/v1/auth/register", "one")).await.status, 200);
        assert_eq!(app.send(reg("/api/auth/register", "two")).await.status, 201);
        let r = app.send(reg("/api/v1/auth/register", "three")).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.json()["code"], 429);
        assert_error_shape("POST", "/api/v1/auth/register", &r);
    }

    async fn resoftai_limits_follow_the_callers_tier(db: Db) {
        let rates = RateLimitConfig { resoftai_free: Rate::new(2, 60), resoftai_enterprise: Rate::new(100, 60), ..RateLimitConfig::default() };
        let app = TestApp::new(db, limited(rates)).await;
        let (ann, _) = app.user("ann").await;
        let root = app.admin("root").await;
        for _ in 0..2 {
            assert_eq!(app.call("GET", "/api/auth/me", Some(&ann)).await.status, 200);
        }
        let r = app.call("GET", "/api/auth/me", Some(&ann)).await;
        assert_eq!(r.status, 429);
        assert_error_shape("GET", "/api/auth/me", &r);
        for _ in 0..3 {
            let r = app.call("GET", "/api/auth/me", Some(&root)).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.header("x-ratelimit-limit"), Some("100"));
        }
    }

    async fn forwarded_addresses_count_only_from_trusted_proxies(db: Db) {
        let setup = Setup { trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()], ..limited(RateLimitConfig { login: Rate::new(1, 600), ..RateLimitConfig::default() }) };
        let app = TestApp::new(db, setup).await;
        app.user("ann").await;
        let via = |peer: &str, client: &str| {
            let mut req = login_req(peer);
            req.headers_mut().insert("x-forwarded-for", client.parse().unwrap());
            req
        };
        assert_eq!(app.send(via("10.0.0.1", "198.51.100.1")).await.status, 200);
        assert_eq!(app.send(via("10.0.0.1", "198.51.100.2")).await.status, 200, "behind the proxy, clients are told apart");
        assert_eq!(app.send(via("10.0.0.1", "198.51.100.1")).await.status, 429);
        assert_eq!(app.send(via("192.0.2.5", "198.51.100.3")).await.status, 200);
        assert_eq!(app.send(via("192.0.2.5", "198.51.100.4")).await.status, 429, "an untrusted peer cannot dodge its limit");
    }

    async fn switched_off_there_are_no_limits(db: Db) {
        let app = TestApp::on(db).await;
        app.user("ann").await;
        for _ in 0..15 {
            let r = app.send(login_req("198.51.100.1")).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.header("x-ratelimit-limit"), None);
        }
    }
}

/// The Redis to share counters through in tests; required under CI.
fn redis_url() -> Option<String> {
    match std::env::var("SLIPWAY_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if slipway_store::testing::postgres_required() => panic!("CI=true but SLIPWAY_TEST_REDIS_URL is not set"),
        _ => {
            eprintln!("SKIPPED: set SLIPWAY_TEST_REDIS_URL to test rate limits shared through Redis");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_counters_through_redis() {
    let Some(url) = redis_url() else { return };
    let t = slipway_store::testing::sqlite().await;
    let rates = RateLimitConfig { redis_url: Some(url), login: Rate::new(3, 600), ..RateLimitConfig::default() };
    let node_a = TestApp::new(t.db.clone(), limited(rates.clone())).await;
    let node_b = TestApp::new(t.db.clone(), limited(rates)).await;
    node_a.user("ann").await;
    // A fresh address per run, so counters left in Redis by earlier runs do not interfere.
    let ip = format!("2001:db8::{:x}", uuid::Uuid::new_v4().as_u128() as u16);
    assert_eq!(node_a.send(login_req(&ip)).await.status, 200);
    assert_eq!(node_b.send(login_req(&ip)).await.status, 200);
    let r = node_a.send(login_req(&ip)).await;
    assert_eq!((r.status.as_u16(), remaining(&r)), (200, Some(0)));
    assert_eq!(node_b.send(login_req(&ip)).await.status, 429, "the other node saw the first three");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_is_a_health_probe_only_where_counters_live_in_it() {
    use slipway_identity::RateLimiter;
    let memory = RateLimiter::from_config(&RateLimitConfig { enabled: true, ..RateLimitConfig::default() }).await;
    assert!(memory.unwrap().probe().is_none(), "no redis is configured, so none is reported");
    let Some(url) = redis_url() else { return };
    let rates = RateLimitConfig { enabled: true, redis_url: Some(url), ..RateLimitConfig::default() };
    let probe = RateLimiter::from_config(&rates).await.unwrap().probe().unwrap();
    assert_eq!(probe.name(), "redis");
    assert!(probe.check().await.is_ok(), "a PING round trip");
}

/// The request with its `Content-Length`, as real clients send it (the body limit refuses it before reading).
fn sized(mut req: Request<Body>) -> Request<Body> {
    use axum::body::HttpBody;
    let len = req.body().size_hint().exact().unwrap();
    req.headers_mut().insert("content-length", len.into());
    req
}

/// Checks the three rate-limit headers: a limit, what is left of it, and the window's end in epoch seconds.
fn assert_limit_headers(what: &str, r: &Reply, limit: &str) {
    assert_eq!(r.header("x-ratelimit-limit"), Some(limit), "{what} ({}): {:?}", r.status, r.headers);
    assert!(remaining(r).is_some(), "{what}: {:?}", r.headers);
    let reset: i64 = r.header("x-ratelimit-reset").unwrap_or_else(|| panic!("{what}: no reset")).parse().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(reset >= now && reset <= now + 3600, "{what}: reset {reset} is not an epoch second in the window");
}

backend_tests! {
    async fn every_answer_of_a_limited_route_carries_the_headers(db: Db) {
        let rates = RateLimitConfig { perfect21: Rate::new(100, 3600), resoftai_free: Rate::new(50, 60), ..RateLimitConfig::default() };
        let http = slipway_http::HttpSettings { body_limit: 1024, ..slipway_http::HttpSettings::default() };
        let app = TestApp::new(db, Setup { http, ..limited(rates) }).await;
        let (ann, _) = app.user("ann").await;
        let huge = json!({"token": "x".repeat(4096)});
        let answers = [
            ("Perfect21 200", app.call("GET", "/api/auth/verify", Some(&ann)).await, "100", 200),
            ("Perfect21 401", app.call("GET", "/api/auth/verify", None).await, "100", 401),
            ("Perfect21 404", app.call("GET", "/api/workflows/nothing/here", Some(&ann)).await, "100", 404),
            ("Perfect21 405", app.call("DELETE", "/api/auth/verify", Some(&ann)).await, "100", 405),
            ("Perfect21 413", app.send(sized(common::json_req("POST", "/api/auth/verify-email", &huge, None))).await, "100", 413),
            ("Perfect21 422", app.json("POST", "/api/auth/verify-email", json!({"token": 1}), None).await, "100", 422),
            ("ResoftAI 200", app.call("GET", "/api/auth/me", Some(&ann)).await, "50", 200),
            ("ResoftAI 404", app.call("GET", "/api/nothing", Some(&ann)).await, "50", 404),
            ("ResoftAI 405", app.call("GET", "/api/llm-configs/abc/test", Some(&ann)).await, "50", 405),
            ("ResoftAI 422", app.call("DELETE", "/api/llm-configs/abc", Some(&ann)).await, "50", 422),
        ];
        for (what, r, limit, status) in &answers {
            assert_eq!(r.status.as_u16(), *status, "{what}: {}", r.text);
            assert_limit_headers(what, r, limit);
        }
    }

    async fn timeouts_of_a_limited_route_carry_the_headers_too(db: Db) {
        let http = slipway_http::HttpSettings { request_timeout: std::time::Duration::from_millis(1), ..slipway_http::HttpSettings::default() };
        let app = TestApp::new(db, Setup { http, ..limited(RateLimitConfig { login: Rate::new(5, 600), ..RateLimitConfig::default() }) }).await;
        let r = app.send(login_req("198.51.100.7")).await;
        assert_eq!(r.status, 503, "{}", r.text);
        assert_eq!(r.json()["error_code"], "TIMEOUT");
        assert_limit_headers("a timed-out login", &r, "5");
    }
}
