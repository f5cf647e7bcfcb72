//! `GET /health`, `/status`, `/api/auth/health` on both backends: real database checks, 503 when it is down.
#![allow(clippy::unwrap_used)]

mod common;

use common::{get, send};
use slipway_http::HttpSettings;
use slipway_store::{Db, backend_tests};

backend_tests! {
    async fn health_routes_report_a_working_database(db: Db) {
        let backend = db.backend().name();
        let (state, _dir) = common::state(db, HttpSettings::default()).await;
        let app = slipway_http::router(state);

        let r = send(&app, get("/health")).await;
        assert_eq!(r.status, 200);
        let b = r.json();
        assert_eq!(b["success"], true);
        assert_eq!(b["perfect21_available"], true);
        assert_eq!(b["status"], "healthy");
        assert!(b["output"].as_str().unwrap().starts_with("healthy: database ok"), "{b}");
        assert_eq!(b["checks"]["database"]["ok"], true);
        assert!(b["checks"]["database"]["latency_ms"].as_f64().unwrap() > 0.0);

        let r = send(&app, get("/status")).await;
        assert_eq!(r.status, 200);
        let b = r.json();
        assert_eq!(b["success"], true);
        assert_eq!(b["error"], serde_json::Value::Null);
        assert!(b["output"].as_str().unwrap().contains(backend), "{b}");
        assert_eq!(b["status"]["instance_id"], "test-instance");
        assert_eq!(b["status"]["database_backend"], backend);

        let r = send(&app, get("/api/auth/health")).await;
        assert_eq!(r.status, 200);
        let b = r.json();
        assert_eq!(b["status"], "healthy");
        assert_eq!(b["service"], "auth");
        let ts = b["timestamp"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok() && ts.ends_with('Z'), "{ts}");
    }

    async fn health_routes_report_degraded_when_the_database_is_down(db: Db) {
        let (state, _dir) = common::state(db.clone(), HttpSettings::default()).await;
        let app = slipway_http::router(state);
        db.close().await;

        let r = send(&app, get("/health")).await;
        assert_eq!(r.status, 503);
        let b = r.json();
        assert_eq!(b["success"], false);
        assert_eq!(b["perfect21_available"], false);
        assert_eq!(b["status"], "degraded");
        assert!(b["output"].as_str().unwrap().starts_with("degraded: database failed"), "{b}");
        assert_eq!(b["checks"]["database"]["ok"], false);

        let r = send(&app, get("/status")).await;
        assert_eq!(r.status, 503);
        let b = r.json();
        assert_eq!(b["success"], false);
        assert!(b["error"].as_str().unwrap().starts_with("database:"), "{b}");

        let r = send(&app, get("/api/auth/health")).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.json()["status"], "degraded");
    }
}
