//! The `slipway` command line as a user runs it: version, configuration, migrations, serving and stopping.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Node, client, slipway};
use nix::sys::signal::Signal;

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn version_prints_the_package_version() {
    let out = slipway().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(text(&out.stdout).trim(), format!("slipway {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn config_merges_defaults_file_environment_and_flags_in_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("slipway.toml"),
        "bind = [\"127.0.0.1:7001\"]\nlog = \"warn\"\ndata_dir = \"/from/file\"\nrequest_timeout = 9\n",
    )
    .unwrap();
    let out = slipway()
        .current_dir(dir.path())
        .env_clear()
        .env("SLIPWAY_DATA_DIR", "/from/env")
        .env("SLIPWAY_BIND", "127.0.0.1:7002,127.0.0.1:7003")
        .env("SLIPWAY_DATABASE_URL", "postgres://app:hunter2@db.internal/slipway")
        .args(["config", "--bind", "127.0.0.1:7004"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cfg: toml::Table = text(&out.stdout).parse().unwrap();
    assert_eq!(cfg["bind"].as_array().unwrap().len(), 1);
    assert_eq!(cfg["bind"][0].as_str(), Some("127.0.0.1:7004"), "flags beat the environment");
    assert_eq!(cfg["data_dir"].as_str(), Some("/from/env"), "the environment beats the file");
    assert_eq!(cfg["log"].as_str(), Some("warn"), "the file beats the defaults");
    assert_eq!(cfg["request_timeout"].as_str(), Some("9s"));
    assert_eq!(cfg["database_url"].as_str(), Some("postgres://app:***@db.internal/slipway"));
    assert!(!text(&out.stdout).contains("hunter2"));
}

#[test]
fn config_with_no_configuration_shows_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let out = slipway().current_dir(dir.path()).env_clear().arg("config").output().unwrap();
    assert!(out.status.success());
    let cfg: toml::Table = text(&out.stdout).parse().unwrap();
    assert_eq!(cfg["bind"][0].as_str(), Some("0.0.0.0:8000"));
    assert_eq!(cfg["data_dir"].as_str(), Some("./slipway-data"));
    assert_eq!(cfg["database_url"].as_str(), Some("sqlite://./slipway-data/slipway.db"));
}

#[test]
fn bad_configuration_is_refused_naming_its_source() {
    let out = slipway().env_clear().env("SLIPWAY_BIND", "localhost:80").arg("config").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("SLIPWAY_BIND") && err.contains("IP:PORT"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("custom.toml"), "listen = 1\n").unwrap();
    let out =
        slipway().current_dir(dir.path()).env_clear().args(["--config", "custom.toml", "config"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("listen"), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_brings_both_backends_to_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = slipway().env_clear().args(["migrate", "--data-dir"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("sqlite database is at migration"), "{}", text(&out.stdout));
    assert!(dir.path().join("slipway.db").is_file());

    if let Some(pg) = slipway_store::testing::postgres().await {
        let out = slipway().env_clear().env("SLIPWAY_DATABASE_URL", pg.url()).arg("migrate").output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with("postgres database is at migration"), "{}", text(&out.stdout));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_on_every_bind_address_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = slipway();
    cmd.env_clear().args(["serve", "--bind", "127.0.0.1:0", "--bind", "127.0.0.1:0", "--data-dir"]).arg(dir.path());
    let mut node = Node::start(cmd, 2);
    let http = client();
    for n in 0..2 {
        let r = http.get(node.url(n, "/health")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["success"], true);
    }
    node.signal(Signal::SIGTERM);
    let status = node.wait(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
    assert!(http.get(node.url(0, "/health")).send().await.is_err(), "no longer listening");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_on_postgres_from_the_environment() {
    let Some(pg) = slipway_store::testing::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = slipway();
    cmd.env_clear()
        .env("SLIPWAY_DATABASE_URL", pg.url())
        .env("SLIPWAY_BIND", "127.0.0.1:0")
        .env("SLIPWAY_DATA_DIR", dir.path())
        .arg("serve");
    let mut node = Node::start(cmd, 1);
    let body: serde_json::Value = client().get(node.url(0, "/status")).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["status"]["database_backend"], "postgres");
    assert_eq!(body["success"], true);
    node.signal(Signal::SIGINT);
    assert!(node.wait(Duration::from_secs(10)).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_log_line_of_a_request_carries_its_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = slipway();
    cmd.env_clear()
        .env("SLIPWAY_LOG", "info,slipway::access=debug")
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path());
    let node = Node::start(cmd, 1);
    let r = client().get(node.url(0, "/nothing")).header("x-request-id", "trace-me-42").send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-request-id"], "trace-me-42");
    let line = (0..50)
        .filter_map(|_| node.log.recv_timeout(Duration::from_secs(5)).ok())
        .find(|l| l.contains("\"served\""))
        .expect("an access log line");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["span"]["request_id"], "trace-me-42", "{line}");
    assert_eq!(v["span"]["path"], "/nothing");
    assert_eq!(v["fields"]["status"], 404);
}

#[test]
fn serve_reports_a_taken_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = slipway().env_clear().args(["serve", "--bind", &addr, "--data-dir"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains(&format!("cannot listen on {addr}")), "{}", text(&out.stderr));
}

#[test]
fn serve_refuses_an_unreachable_database() {
    let out = slipway()
        .env_clear()
        .env("SLIPWAY_DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")
        .args(["serve", "--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cannot open database postgres://nobody:***@127.0.0.1:1/none"), "{err}");
    assert!(!err.contains("secret"));
}
