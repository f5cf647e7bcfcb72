//! qoder's scheduled tasks over HTTP: the whole resource in the `{code, message, data}` envelope, errors that
//! name the field, administrators only, and runs with exit code, duration and output; a task whose target is
//! a server runs there over SSH (a real sshd on loopback), for administrators and granted operators.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../slipway-ops/tests/common/sshd.rs"]
mod sshd;

use std::time::Duration;

use common::{TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_store::{Db, backend_tests};

fn task(command: &str) -> Value {
    json!({"name": "nightly backup", "cron": "0 3 * * *", "command": command, "timeout": 60})
}

/// Waits for a run of the task to finish and returns it.
async fn finished_run(app: &TestApp, token: &str, id: i64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = app.call("GET", &format!("/api/tasks/{id}/runs"), Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let done =
            r.json()["data"]["list"].as_array().unwrap().iter().find(|run| run["finished_at"].is_string()).cloned();
        if let Some(run) = done {
            return run;
        }
        assert!(tokio::time::Instant::now() < deadline, "no run finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

backend_tests! {
    async fn tasks_are_a_whole_resource_in_the_envelope(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let r = app.json("POST", "/api/tasks", task("tar czf /tmp/backup.tgz /etc"), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["code"].as_i64(), b["message"].as_str()), (Some(200), Some("create task")), "the document's text");
        let t = &b["data"];
        assert_eq!((t["cron"].as_str(), t["timeout"].as_i64(), t["enabled"].as_bool(), t["target"].as_str()), (Some("0 3 * * *"), Some(60), Some(true), Some("local")));
        assert!(t["next_run_at"].as_str().unwrap().ends_with("03:00:00Z"));
        let id = t["id"].as_i64().unwrap();

        let off = json!({"name": "off", "cron": "*/5 * * * *", "command": "true", "enabled": false, "colour": "red"});
        assert_eq!(app.json("POST", "/api/tasks", off, Some(&root)).await.status, 200);
        let list = app.call("GET", "/api/tasks?page=1&page_size=1", Some(&root)).await.json();
        assert_eq!((list["data"]["total"].as_i64(), list["data"]["list"].as_array().unwrap().len()), (Some(2), 1));
        assert_eq!(list["message"], "tasks list", "the document's text");
        let disabled = app.call("GET", "/api/tasks?enabled=false", Some(&root)).await.json();
        assert_eq!(disabled["data"]["list"][0]["name"], "off");

        let r = app.call("GET", &format!("/api/tasks/{id}"), Some(&root)).await;
        assert_eq!(r.json()["data"]["name"], "nightly backup");
        let r = app.json("PUT", &format!("/api/tasks/{id}"), json!({"cron": "30 2 * * 1", "timeout": 0, "colour": "red"}), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["data"]["cron"].as_str(), r.json()["data"]["timeout"].as_i64()), (Some("30 2 * * 1"), Some(0)));

        let r = app.call("DELETE", &format!("/api/tasks/{id}"), Some(&root)).await;
        assert_eq!(r.json(), json!({"code": 200, "message": "删除成功"}));
        let r = app.call("GET", &format!("/api/tasks/{id}"), Some(&root)).await;
        assert_eq!(r.status, 404);
        assert_error_shape("GET", &format!("/api/tasks/{id}"), &r);
    }

    async fn run_now_and_the_run_history(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let body = json!({"name": "hello", "cron": "0 0 1 1 *", "command": "echo hello; echo oops >&2", "enabled": false});
        let id = app.json("POST", "/api/tasks", body, Some(&root)).await.json()["data"]["id"].as_i64().unwrap();
        let r = app.call("POST", &format!("/api/tasks/{id}/run"), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let queued = r.json()["data"].clone();
        assert_eq!(queued["events_url"], format!("/api/jobs/{}/events", queued["id"]));
        let run = finished_run(&app, &root, id).await;
        assert_eq!(run["id"], queued["id"]);
        assert_eq!((run["status"].as_str(), run["exit_code"].as_i64()), (Some("succeeded"), Some(0)));
        assert_eq!((run["output"].as_str(), run["stderr"].as_str()), (Some("hello\n"), Some("oops\n")));
        assert!(run["duration_ms"].as_i64().is_some());
        let job = app.call("GET", &format!("/api/jobs/{}", run["id"]), Some(&root)).await.json();
        assert_eq!(job["schedule_id"], id);
    }

    async fn bad_tasks_get_400_naming_the_field(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        for (body, field) in [
            (json!({"name": "x", "cron": "every night", "command": "true"}), "cron"),
            (json!({"name": "x", "cron": "0 3 * * *", "command": ""}), "command"),
            (json!({"name": "x", "cron": "0 3 * * *", "command": "true", "timeout": -1}), "timeout"),
            (json!({"name": "x", "cron": "0 3 * * *", "command": "true", "target": "web-1"}), "target"),
            (json!({"name": "x", "cron": "0 3 * * *", "command": "true", "timeout": "soon"}), "timeout"),
            (json!({"name": "x", "cron": "0 3 * * *"}), "command"),
        ] {
            let r = app.json("POST", "/api/tasks", body.clone(), Some(&root)).await;
            assert_eq!(r.status, 400, "{body}: {}", r.text);
            assert_error_shape("POST", "/api/tasks", &r);
            assert!(r.json()["message"].as_str().unwrap().contains(field), "{body}: {}", r.text);
        }
        let long = json!({"name": "n".repeat(101), "cron": "0 3 * * *", "command": "x".repeat(10_001)});
        let r = app.json("POST", "/api/tasks", long, Some(&root)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        let m = r.json()["message"].as_str().unwrap().to_owned();
        assert!(m.contains("name must be at most 100 characters") && m.contains("command must be at most 10000"), "{m}");
        let ok = app.json("POST", "/api/tasks", json!({"name": "n".repeat(100), "cron": "0 3 * * *", "command": "true"}), Some(&root)).await;
        assert_eq!(ok.status, 200, "{}", ok.text);
        let id = ok.json()["data"]["id"].as_i64().unwrap();
        let r = app.json("PUT", &format!("/api/tasks/{id}"), json!({"target": "t".repeat(101)}), Some(&root)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.json()["message"].as_str().unwrap().contains("target must be at most 100"), "{}", r.text);
        for path in ["/api/tasks/abc", "/api/tasks/0/runs"] {
            let r = app.call("GET", path, Some(&root)).await;
            assert_eq!(r.status, 400, "{path}");
        }
        assert_eq!(app.call("GET", "/api/tasks?page_size=500", Some(&root)).await.status, 400);
        assert_eq!(app.call("POST", "/api/tasks/999/run", Some(&root)).await.status, 404);
    }

    async fn without_the_sandbox_only_administrators_may_schedule_commands(db: Db) {
        let none = slipway_engine::SandboxAvailability::Unavailable("no bwrap in this test".into());
        let app = TestApp::new(db, common::Setup { sandbox: Some(none), ..common::Setup::default() }).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        let id = app.json("POST", "/api/tasks", task("true"), Some(&root)).await.json()["data"]["id"].as_i64().unwrap();
        for (m, p) in [("GET", "/api/tasks".to_owned()), ("GET", format!("/api/tasks/{id}")), ("POST", format!("/api/tasks/{id}/run")), ("GET", format!("/api/tasks/{id}/runs")), ("DELETE", format!("/api/tasks/{id}"))] {
            let r = app.call(m, &p, Some(&ann)).await;
            assert_eq!(r.status, 403, "{m} {p}");
            assert_error_shape(m, &p, &r);
            let r = app.call(m, &p, None).await;
            assert_eq!(r.status, 401, "{m} {p}");
        }
        let r = app.json("POST", "/api/tasks", task("rm -rf /"), Some(&ann)).await;
        assert_eq!(r.status, 403);
        assert_eq!(app.call("GET", "/api/tasks", Some(&root)).await.json()["data"]["total"], 1, "nothing was created");
    }

    async fn a_task_targets_a_server_for_operators(db: Db) {
        let sshd = sshd::Sshd::start();
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let server = json!({
            "name": "web-1", "host": "127.0.0.1", "port": sshd.port, "username": sshd::current_user(),
            "private_key": sshd.user_key(), "tags": ["web"],
        });
        assert_eq!(app.json("POST", "/api/servers", server, Some(&root)).await.status, 200);
        let (ops, _) = app.user("ops").await;
        let ops_id = app.id_of(&ops).await;
        let (ann, _) = app.user("ann").await;
        let remote = json!({"name": "uptime", "cron": "0 3 * * *", "command": "echo on $(uname -s)", "target": "web-1", "enabled": false});

        let r = app.json("POST", "/api/tasks", remote.clone(), Some(&ann)).await;
        assert_eq!(r.status, 403, "a plain user may not target a server: {}", r.text);
        assert_error_shape("POST", "/api/tasks", &r);
        assert_eq!(app.call("PUT", &format!("/api/servers/operators/{ops_id}"), Some(&root)).await.status, 200);
        let r = app.json("POST", "/api/tasks", remote, Some(&ops)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["data"]["target"], "web-1");
        let id = r.json()["data"]["id"].as_i64().unwrap();
        assert_eq!(app.call("POST", &format!("/api/tasks/{id}/run"), Some(&ops)).await.status, 200);
        let run = finished_run(&app, &ops, id).await;
        assert_eq!((run["status"].as_str(), run["exit_code"].as_i64()), (Some("succeeded"), Some(0)), "{run}");
        assert_eq!(run["output"], "on Linux\n");

        let r = app.json("PUT", &format!("/api/tasks/{id}"), json!({"target": "tag:nowhere"}), Some(&ops)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.json()["message"].as_str().unwrap().contains("names no server"), "{}", r.text);
        let r = app.json("PUT", &format!("/api/tasks/{id}"), json!({"target": "tag:web"}), Some(&ops)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.call("POST", &format!("/api/tasks/{id}/run"), Some(&ann)).await;
        assert_eq!(r.status, 404, "another user's task is not found: {}", r.text);
    }
}
