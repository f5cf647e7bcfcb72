//! qoder's monitoring over HTTP with a real collector against a real sshd on loopback, on both backends: every
//! route in the `{code, message, data}` envelope with the document's messages (and English), the Slipway host
//! as server 0 with metrics of its own, alert rules that open and resolve alerts seen on the dashboard, who may
//! use monitoring (anonymous 401, plain users 403, granted operators), and malformed input (bad ids, unknown
//! servers, bad time_range and metric, bad rules) answered 400 or 404, never 500.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../slipway-ops/tests/common/sshd.rs"]
mod sshd;

use std::time::{Duration, Instant};

use common::{TestApp, assert_error_shape, bare_req, raw_req};
use serde_json::{Value, json};
use slipway_ops::{Collector, MonitorSettings, Notifier};
use slipway_store::{Db, backend_tests};
use sshd::Sshd;
use tokio_util::sync::CancellationToken;

/// Starts a collector at a 1 s interval on the app's servers; cancel the token to stop it.
fn collect(app: &TestApp, db: &Db) -> CancellationToken {
    let stop = CancellationToken::new();
    let settings = MonitorSettings {
        node: "http-test".into(),
        interval: Duration::from_secs(1),
        maintenance_every: Duration::from_secs(3600),
        ..MonitorSettings::default()
    };
    let notifier = Notifier::new(slipway_outbound::OutboundPolicy::default());
    Collector::new(db.clone(), app.state.servers.clone(), notifier, settings).spawn(stop.clone());
    stop
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn message(r: &common::Reply) -> String {
    r.json()["message"].as_str().unwrap_or_default().to_owned()
}

backend_tests! {
    async fn monitoring_routes_answer_in_the_envelope_with_real_samples(db: Db) {
        let sshd = Sshd::start();
        let app = TestApp::on(db.clone()).await;
        let root = app.admin("root").await;
        let body = json!({"name": "web-1", "host": "127.0.0.1", "port": sshd.port, "username": sshd::current_user(), "private_key": sshd.user_key()});
        let r = app.json("POST", "/api/servers", body, Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let id = r.json()["data"]["id"].as_i64().unwrap();

        let r = app.json("POST", "/api/monitor/servers", json!({"server_id": id, "colour": "red"}), Some(&root)).await;
        assert_eq!(r.json(), json!({"code": 200, "message": "添加监控成功"}), "{}", r.text);
        let mut en = raw_req("POST", "/api/monitor/servers", &json!({"server_id": id}).to_string(), Some(&root));
        en.headers_mut().insert("accept-language", "en".parse().unwrap());
        assert_eq!(app.send(en).await.json()["message"], "Server added to monitoring", "again: nothing changes");
        let status = app.call("GET", &format!("/api/monitor/servers/{id}/status"), Some(&root)).await;
        assert_eq!(status.status, 200, "{}", status.text);
        assert_eq!((status.json()["data"]["server_id"].as_i64(), status.json()["data"]["status"].as_str()), (Some(id), Some("unknown")));
        let none = app.call("GET", &format!("/api/monitor/servers/{id}/metrics"), Some(&root)).await;
        assert_eq!((none.status.as_u16(), message(&none)), (404, "获取失败".to_owned()), "no sample yet: {}", none.text);
        assert_error_shape("GET", &format!("/api/monitor/servers/{id}/metrics"), &none);

        let stop = collect(&app, &db);
        for server in [id, 0] {
            eventually("metrics with a CPU figure", async || {
                let r = app.call("GET", &format!("/api/monitor/servers/{server}/metrics"), Some(&root)).await;
                r.status == 200 && r.json()["data"]["cpu_usage"].is_number()
            })
            .await;
        }
        let r = app.call("GET", &format!("/api/monitor/servers/{id}/metrics"), Some(&root)).await;
        let b = r.json();
        assert_eq!((b["code"].as_i64(), b["message"].as_str(), b["data"]["server_id"].as_i64()), (Some(200), Some("获取成功"), Some(id)));
        let m = &b["data"];
        assert!(m["time"].as_str().unwrap().ends_with('Z'), "{m}");
        assert!(m["memory"]["total"].as_i64().unwrap() > 1 << 20 && m["memory"]["usage"].as_f64().unwrap() > 0.0, "{m}");
        assert!(m["load"]["load1"].as_f64().unwrap() >= 0.0 && m["uptime_seconds"].as_i64().unwrap() > 0, "{m}");
        assert!(m["network"]["rx_bytes_per_sec"].as_f64().unwrap() >= 0.0, "{m}");
        assert!(m["disk"]["total"].as_i64().unwrap() > 0 && m["disks"][0]["mount"].is_string(), "{m}");
        let host = app.call("GET", "/api/monitor/servers/0/metrics", Some(&root)).await;
        assert_eq!((host.status.as_u16(), host.json()["data"]["server_id"].as_i64()), (200, Some(0)), "the Slipway host: {}", host.text);

        let s = app.call("GET", &format!("/api/monitor/servers/{id}/status"), Some(&root)).await.json()["data"].clone();
        assert_eq!((s["status"].as_str(), s["consecutive_failures"].as_i64()), (Some("online"), Some(0)), "{s}");
        assert!(s["last_seen_at"].is_string() && s["last_error"].is_null(), "{s}");
        for range in ["1h", "6h", "24h", "7d"] {
            for metric in ["cpu", "memory", "disk", "network"] {
                let r = app.call("GET", &format!("/api/monitor/servers/{id}/history?time_range={range}&metric={metric}"), Some(&root)).await;
                assert_eq!(r.status, 200, "{range} {metric}: {}", r.text);
                let d = r.json()["data"].clone();
                assert_eq!((d["server_id"].as_i64(), d["metric"].as_str(), d["time_range"].as_str()), (Some(id), Some(metric), Some(range)));
                assert!(d["data"].as_array().unwrap().len() <= 360, "{d}");
            }
        }
        let h = app.call("GET", &format!("/api/monitor/servers/{id}/history?time_range=1h&metric=memory"), Some(&root)).await.json()["data"].clone();
        let points = h["data"].as_array().unwrap();
        assert!(!points.is_empty() && points.iter().all(|p| p["time"].is_string() && p["avg"].as_f64() <= p["max"].as_f64()), "{h}");
        assert_eq!(app.call("GET", &format!("/api/monitor/servers/{id}/history"), Some(&root)).await.json()["data"]["metric"], "cpu", "defaults");

        let stats = app.call("GET", "/api/monitor/stats", Some(&root)).await;
        assert_eq!((stats.status.as_u16(), message(&stats)), (200, "获取成功".to_owned()));
        let st = stats.json()["data"].clone();
        assert_eq!((st["servers_total"].as_i64(), st["monitored"].as_i64(), st["servers_online"].as_i64()), (Some(2), Some(2), Some(2)), "{st}");
        assert_eq!((st["task_runs_today"].as_i64(), st["alerts_open"].as_i64()), (Some(0), Some(0)));
        assert_eq!(st["deployments_today"], 0, "no deployment yet: {st}");
        let task = json!({"name": "nightly", "cron": "0 3 * * *", "command": "true", "enabled": false});
        let task_id = app.json("POST", "/api/tasks", task, Some(&root)).await.json()["data"]["id"].as_i64().unwrap();
        assert_eq!(app.call("POST", &format!("/api/tasks/{task_id}/run"), Some(&root)).await.status, 200);
        let st = app.call("GET", "/api/monitor/stats", Some(&root)).await.json()["data"].clone();
        assert_eq!(st["task_runs_today"], 1, "{st}");

        // A rule that holds at once opens an alert; raised above what memory can reach, it resolves.
        let rule = json!({"name": "memory in use", "metric": "memory", "comparison": ">=", "threshold": 0, "server_id": id, "webhook_url": "https://hooks.example.com/services/T0/secret"});
        let r = app.json("POST", "/api/monitor/alert-rules", rule, Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (200, "创建告警规则成功".to_owned()), "{}", r.text);
        let rule = r.json()["data"].clone();
        assert_eq!(rule["webhook_url"], "https://hooks.example.com/…", "the token in the path is never returned");
        assert!(!r.text.contains("secret"));
        let rule_id = rule["id"].as_i64().unwrap();
        eventually("an open alert", async || app.call("GET", "/api/monitor/alerts?status=open", Some(&root)).await.json()["data"]["total"] == 1).await;
        let d = app.call("GET", "/api/monitor/dashboard", Some(&root)).await;
        assert_eq!((d.status.as_u16(), message(&d)), (200, "获取成功".to_owned()));
        let d = d.json()["data"].clone();
        assert_eq!((d["stats"]["alerts_open"].as_i64(), d["alerts"][0]["rule_id"].as_i64(), d["alerts"][0]["status"].as_str()), (Some(1), Some(rule_id), Some("open")), "{d}");
        assert_eq!(d["recent_activities"][0]["type"], "alert_opened", "{d}");
        let kinds: Vec<&str> = d["recent_activities"].as_array().unwrap().iter().filter_map(|a| a["type"].as_str()).collect();
        assert_eq!(kinds, ["alert_opened", "task_run"], "newest first: {d}");
        assert!(d["recent_activities"][1]["title"].as_str().unwrap().contains("nightly"), "{d}");
        let r = app.json("PUT", &format!("/api/monitor/alert-rules/{rule_id}"), json!({"comparison": ">", "threshold": 100}), Some(&root)).await;
        assert_eq!((r.status.as_u16(), r.json()["data"]["threshold"].as_f64()), (200, Some(100.0)), "{}", r.text);
        eventually("the alert resolved", async || app.call("GET", "/api/monitor/alerts?status=resolved", Some(&root)).await.json()["data"]["total"] == 1).await;
        let all = app.call("GET", "/api/monitor/alerts?page=1&page_size=5", Some(&root)).await.json()["data"].clone();
        assert_eq!((all["total"].as_i64(), all["page_size"].as_i64(), all["list"][0]["resolved_at"].is_string()), (Some(1), Some(5), true), "{all}");
        let rules = app.call("GET", "/api/monitor/alert-rules", Some(&root)).await.json()["data"].clone();
        assert_eq!((rules["total"].as_i64(), rules["list"][0]["id"].as_i64()), (Some(1), Some(rule_id)));
        let r = app.call("DELETE", &format!("/api/monitor/alert-rules/{rule_id}"), Some(&root)).await;
        assert_eq!(r.json(), json!({"code": 200, "message": "删除成功"}));
        assert_eq!(app.call("DELETE", &format!("/api/monitor/alert-rules/{rule_id}"), Some(&root)).await.status, 404);

        let r = app.call("DELETE", &format!("/api/monitor/servers/{id}"), Some(&root)).await;
        assert_eq!(r.json(), json!({"code": 200, "message": "移除监控成功"}));
        assert_eq!(app.call("GET", &format!("/api/monitor/servers/{id}/metrics"), Some(&root)).await.status, 404, "its history went");
        assert_eq!(app.call("DELETE", &format!("/api/monitor/servers/{id}"), Some(&root)).await.status, 404);
        let r = app.call("DELETE", "/api/monitor/servers/0", Some(&root)).await;
        assert_eq!(r.status, 409, "the Slipway host stays: {}", r.text);
        stop.cancel();
    }

    async fn monitoring_refuses_strangers_and_bad_input(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let root = app.admin("root").await;
        let (bob, _) = app.user("bob").await;
        let routes: [(&str, &str, Option<Value>); 11] = [
            ("POST", "/api/monitor/servers", Some(json!({"server_id": 0}))),
            ("DELETE", "/api/monitor/servers/1", None),
            ("GET", "/api/monitor/servers/0/metrics", None),
            ("GET", "/api/monitor/servers/0/status", None),
            ("GET", "/api/monitor/servers/0/history?time_range=1h&metric=cpu", None),
            ("GET", "/api/monitor/stats", None),
            ("GET", "/api/monitor/dashboard", None),
            ("GET", "/api/monitor/alert-rules", None),
            ("POST", "/api/monitor/alert-rules", Some(json!({"name": "x", "metric": "cpu", "threshold": 90}))),
            ("PUT", "/api/monitor/alert-rules/1", Some(json!({"threshold": 80}))),
            ("GET", "/api/monitor/alerts", None),
        ];
        for (method, uri, body) in &routes {
            for (token, want) in [(None, 401), (Some(bob.as_str()), 403)] {
                let r = match body {
                    Some(b) => app.json(method, uri, b.clone(), token).await,
                    None => app.call(method, uri, token).await,
                };
                assert_eq!(r.status.as_u16(), want, "{method} {uri}: {}", r.text);
                assert_error_shape(method, uri.split('?').next().unwrap(), &r);
            }
        }
        assert_eq!(app.call("DELETE", "/api/monitor/alert-rules/1", None).await.status, 401);
        assert_eq!(app.call("DELETE", "/api/monitor/alert-rules/1", Some(&bob)).await.status, 403);

        // An operator granted by an administrator may.
        let bob_id = app.id_of(&bob).await;
        assert_eq!(app.call("PUT", &format!("/api/servers/operators/{bob_id}"), Some(&root)).await.status, 200);
        let r = app.json("POST", "/api/monitor/servers", json!({"server_id": 0}), Some(&bob)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.call("GET", "/api/monitor/stats", Some(&bob)).await.status, 200);
        assert_eq!(app.call("GET", "/api/monitor/servers/0/status", Some(&bob)).await.json()["data"]["status"], "unknown", "no collector runs here");
        let r = app.json("POST", "/api/monitor/alert-rules", json!({"name": "cpu", "metric": "cpu", "threshold": 90, "duration_secs": 300}), Some(&bob)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let rule_id = r.json()["data"]["id"].as_i64().unwrap();

        // Bad ids, unknown servers.
        for (method, uri) in [("GET", "/api/monitor/servers/abc/metrics"), ("GET", "/api/monitor/servers/-1/status"), ("DELETE", "/api/monitor/servers/x1")] {
            let r = app.call(method, uri, Some(&bob)).await;
            assert_eq!((r.status.as_u16(), message(&r)), (400, "ID无效".to_owned()), "{method} {uri}: {}", r.text);
            assert_error_shape(method, uri, &r);
        }
        let r = app.call("GET", "/api/monitor/servers/999/metrics", Some(&bob)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (404, "获取失败".to_owned()));
        assert_eq!(app.call("GET", "/api/monitor/servers/999/status", Some(&bob)).await.status, 404);
        assert_eq!(app.call("GET", "/api/monitor/servers/999/history", Some(&bob)).await.status, 404);
        assert_eq!(app.call("DELETE", "/api/monitor/servers/999", Some(&bob)).await.status, 404);
        for body in [r#"{}"#, r#"{"server_id": "one"}"#, r#"{"server_id": 999}"#, r#"{"server_id": -3}"#, r#"{"server_id": 1"#, "{\"server_id\": 0, \"x\": \"a\\u0000b\"}"] {
            let r = app.send(raw_req("POST", "/api/monitor/servers", body, Some(&bob))).await;
            assert_eq!((r.status.as_u16(), message(&r)), (400, "参数错误".to_owned()), "{body}: {}", r.text);
        }
        let r = app.call("GET", "/api/monitor/servers/0/history?time_range=2h&metric=cpu", Some(&bob)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(message(&r).contains("time_range") && message(&r).contains("1h"), "{}", r.text);
        let r = app.call("GET", "/api/monitor/servers/0/history?metric=gpu", Some(&bob)).await;
        assert!(r.status == 400 && message(&r).contains("metric"), "{}", r.text);
        let r = app.send(bare_req("GET", "/api/monitor/servers/0/history?metric=c%00pu", Some(&bob))).await;
        assert_eq!(r.status, 400, "NUL refused at the edge: {}", r.text);

        // Bad rules: every problem named, nothing stored.
        let bad_rules = [
            (json!({"metric": "cpu", "threshold": 90}), "name"),
            (json!({"name": "x", "threshold": 90}), "metric"),
            (json!({"name": "x", "metric": "cpu", "threshold": 150}), "threshold"),
            (json!({"name": "x", "metric": "cpu", "threshold": 90, "comparison": "!="}), "comparison"),
            (json!({"name": "x", "metric": "unreachable", "threshold": 1.5}), "threshold"),
            (json!({"name": "x", "metric": "cpu", "threshold": 90, "duration_secs": -1}), "duration_secs"),
            (json!({"name": "x", "metric": "cpu", "threshold": 90, "server_id": 999}), "server_id"),
            (json!({"name": "x", "metric": "cpu", "threshold": 90, "notify_email": "nobody"}), "notify_email"),
            (json!({"name": "x", "metric": "cpu", "threshold": 90, "webhook_url": "http://127.0.0.1:9/hook"}), "webhook_url"),
            (json!({"name": "x", "metric": "cpu", "threshold": "high"}), ""),
        ];
        for (body, field) in bad_rules {
            let r = app.json("POST", "/api/monitor/alert-rules", body.clone(), Some(&bob)).await;
            assert_eq!(r.status, 400, "{body}: {}", r.text);
            assert!(message(&r).contains(field), "{body} names {field}: {}", r.text);
        }
        let r = app.json("POST", "/api/monitor/alert-rules", json!({"name": "loop", "metric": "cpu", "threshold": 90, "webhook_url": "http://127.0.0.1:9/hook"}), Some(&root)).await;
        assert_eq!(r.status, 200, "an administrator may name an internal webhook: {}", r.text);
        assert_eq!(app.call("GET", "/api/monitor/alert-rules", Some(&bob)).await.json()["data"]["total"], 2, "nothing half-written");
        let r = app.json("PUT", &format!("/api/monitor/alert-rules/{rule_id}"), json!({"threshold": -5}), Some(&bob)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(app.json("PUT", "/api/monitor/alert-rules/999", json!({"threshold": 5}), Some(&bob)).await.status, 404);
        assert_eq!(app.call("PUT", "/api/monitor/alert-rules/abc", Some(&bob)).await.status, 400);
        let r = app.call("GET", "/api/monitor/alerts?status=bogus", Some(&bob)).await;
        assert!(r.status == 400 && message(&r).contains("status"), "{}", r.text);
        assert_eq!(app.call("GET", "/api/monitor/alerts?page=0", Some(&bob)).await.status, 400);
    }
}
