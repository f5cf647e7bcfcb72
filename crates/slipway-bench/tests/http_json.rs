//! Runs the built bench end to end: a Slipway node and the baseline as child processes, JSON out.

use std::process::Command;

use serde_json::Value;

#[test]
fn health_and_baseline_produce_json_results() {
    let out = Command::new(env!("CARGO_BIN_EXE_slipway-bench"))
        .args([
            "http",
            "--scenario",
            "health,baseline",
            "--connections",
            "4",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed: {stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["command"].as_str().unwrap().contains("--scenario health,baseline"), "{doc}");
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{doc}");
    for (r, scenario) in results.iter().zip(["health", "baseline"]) {
        assert_eq!(r["scenario"], scenario, "{doc}");
        assert_eq!(r["connections"], 4, "{doc}");
        assert!(r["requests"].as_u64().unwrap() > 0, "{doc}");
        assert_eq!(r["errors"], 0, "{doc}");
        assert!(r["requests_per_sec"].as_f64().unwrap() > 0.0, "{doc}");
        assert!(r["latency_ms"]["p99"].as_f64().unwrap() > 0.0, "{doc}");
        assert!(r["rss_before_mb"].as_f64().unwrap() > 0.0, "{doc}");
        assert!(r["rss_under_load_mb"].as_f64().unwrap() > 0.0, "{doc}");
    }
    assert!(results[0]["ratio_to_baseline"].as_f64().unwrap() > 0.0, "{doc}");
    assert_eq!(results[1]["ratio_to_baseline"], 1.0, "{doc}");
}

#[test]
fn unknown_scenario_is_refused() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_slipway-bench")).args(["http", "--scenario", "health,nope"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

#[test]
fn unreachable_url_is_an_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_slipway-bench"))
        .args(["http", "--scenario", "baseline", "--url", &format!("http://127.0.0.1:{port}"), "--duration", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot reach"), "{stderr}");
}

#[test]
fn identity_scenarios_sign_in_and_succeed_on_every_request() {
    let out = Command::new(env!("CARGO_BIN_EXE_slipway-bench"))
        .args([
            "http",
            "--scenario",
            "profile,login,profile-under-login",
            "--connections",
            "2",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed: {stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{doc}");
    for r in results {
        assert!(r["requests"].as_u64().unwrap() > 0, "{doc}");
        assert_eq!(r["errors"], 0, "{doc}");
    }
    assert!(stderr.contains("of background load with 0 errors"), "{stderr}");
}
