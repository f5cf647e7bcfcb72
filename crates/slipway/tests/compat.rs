//! `docs/compat.md` tells the truth: one row per documented endpoint, "works" rows are served and name a real
//! test, and nothing served is still marked "missing".
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::Request;
use slipway_http::RenderedError;
use slipway_http::contract::endpoints;
use slipway_http::surface::sample_path;
use tower::ServiceExt;

struct Row {
    seed: String,
    method: String,
    path: String,
    state: String,
    test: String,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(workspace_root().join("docs/compat.md")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("| 0"))
        .map(|l| {
            let cols: Vec<String> =
                l.trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_owned()).collect();
            assert!(cols.len() >= 5, "malformed row: {l}");
            Row {
                seed: cols[0].clone(),
                method: cols[1].clone(),
                path: cols[2].clone(),
                state: cols[3].clone(),
                test: cols[4].clone(),
            }
        })
        .collect()
}

#[test]
fn every_documented_endpoint_has_exactly_one_row() {
    let rows = rows();
    let documented = endpoints();
    assert_eq!(rows.len(), documented.len(), "one row per line of endpoints.tsv");
    for (row, e) in rows.iter().zip(&documented) {
        assert_eq!(
            (row.seed.as_str(), row.method.as_str(), row.path.as_str()),
            (e.surface.seed(), e.method, e.path),
            "rows follow endpoints.tsv order"
        );
        assert!(["works", "partial", "missing"].contains(&row.state.as_str()), "state {:?} of {}", row.state, row.path);
    }
}

#[test]
fn every_claimed_route_names_a_test_that_exists() {
    for row in rows().iter().filter(|r| r.state != "missing") {
        let (file, name) = row
            .test
            .split_once("::")
            .unwrap_or_else(|| panic!("{} {}: test must be `path/to/file.rs::test_name`", row.method, row.path));
        let source = std::fs::read_to_string(workspace_root().join(file))
            .unwrap_or_else(|_| panic!("{} {}: no test file {file}", row.method, row.path));
        assert!(source.contains(&format!("fn {name}(")), "{} {}: no test {name} in {file}", row.method, row.path);
    }
}

fn probe_request(method: &str, template: &str) -> Request<Body> {
    let (method, uri) = match method {
        "WS" => ("GET", sample_path(template)),
        "SOCKETIO" => ("GET", format!("{}?EIO=4&transport=polling", sample_path(template))),
        m => (m, sample_path(template)),
    };
    Request::builder().method(method).uri(uri).body(Body::empty()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_means_served_and_served_means_not_missing() {
    let dir = tempfile::tempdir().unwrap();
    let config = slipway_core::Config { data_dir: dir.path().to_path_buf(), ..Default::default() };
    let db = slipway::wiring::open_database(&config).await.unwrap();
    let llm = slipway::wiring::llm(&config, &db).await.unwrap();
    let servers = slipway::wiring::servers(&config, &db).await.unwrap();
    let engine = slipway::wiring::start_engine(&config, db.clone(), &llm, &servers).await.unwrap();
    let app = slipway_http::router(slipway::wiring::app_state(&config, db, engine, llm, servers).await.unwrap());
    for row in rows() {
        let resp = app.clone().oneshot(probe_request(&row.method, &row.path)).await.unwrap();
        let code = resp.extensions().get::<RenderedError>().map(|e| e.code);
        let served = !matches!(code, Some("ROUTE_NOT_FOUND" | "METHOD_NOT_ALLOWED"));
        match row.state.as_str() {
            "missing" => assert!(!served, "{} {} is served: mark it works or partial", row.method, row.path),
            _ => assert!(served, "{} {} is marked {} but not served", row.method, row.path, row.state),
        }
    }
}
