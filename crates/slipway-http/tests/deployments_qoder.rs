//! qoder's deployments over HTTP against a real sshd on loopback: a git release deployed and read back with
//! every step's status, exit code, duration and log in the `{code, message, data}` envelope, pagination and
//! filters, rollback, cancel mid-step (and of a finished one, refused); who may deploy (anonymous 401, others
//! 403, granted operators, the outbound policy for their repositories); bad input 400 naming the field; unknown
//! ids 404.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "../../slipway-ops/tests/common/sshd.rs"]
mod sshd;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Setup, TestApp, assert_error_shape, raw_req};
use serde_json::{Value, json};
use slipway_store::{Db, backend_tests};
use sshd::Sshd;

fn server(sshd: &Sshd, name: &str) -> Value {
    json!({
        "name": name, "host": "127.0.0.1", "port": sshd.port, "username": sshd::current_user(),
        "private_key": sshd.user_key(),
    })
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn repo(dir: &Path, text: &str) {
    if !dir.join(".git").exists() {
        std::fs::create_dir_all(dir).unwrap();
        git(dir, &["init", "-q", "-b", "main"]);
    }
    std::fs::write(dir.join("index.html"), text).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", text]);
}

async fn create_server(app: &TestApp, sshd: &Sshd, name: &str, token: &str) -> i64 {
    let r = app.json("POST", "/api/servers", server(sshd, name), Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["data"]["id"].as_i64().unwrap()
}

/// Polls a deployment until it has finished; returns its `data`.
async fn finished(app: &TestApp, id: i64, token: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let r = app.call("GET", &format!("/api/deployments/{id}"), Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = r.json()["data"].clone();
        if matches!(d["status"].as_str(), Some("success" | "failed" | "cancelled")) {
            return d;
        }
        assert!(Instant::now() < deadline, "deployment {id} did not finish: {d}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

backend_tests! {
    async fn a_deployment_runs_over_real_ssh_and_shows_every_step(db: Db) {
        let sshd = Sshd::start();
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let web = create_server(&app, &sshd, "web-1", &root).await;
        let other = create_server(&app, &sshd, "web-2", &root).await;
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("repo");
        repo(&source, "v1");
        let path = dir.path().join("app");
        let body = json!({
            "name": "site", "server_id": web, "colour": "ignored",
            "source": {"type": "git", "repository": source.to_string_lossy(), "ref": "main"},
            "deploy_path": path.to_string_lossy(),
            "deploy": "cp index.html deployed.txt && echo deployed",
            "health_check": {"command": "grep -q v1 deployed.txt && echo healthy"},
            "rollback": "echo rolled back", "keep_releases": 3, "timeout": 120,
        });
        let r = app.json("POST", "/api/deployments", body.clone(), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["code"].as_i64(), b["message"].as_str()), (Some(200), Some("create deployment")), "the document's text");
        let d = &b["data"];
        assert_eq!((d["name"].as_str(), d["kind"].as_str(), d["strategy"].as_str()), (Some("site"), Some("deploy"), Some("sequential")));
        assert_eq!((d["timeout"].as_i64(), d["keep_releases"].as_i64(), d["deploy_path"].as_str()), (Some(120), Some(3), path.to_str()));
        assert_eq!(d["source"], json!({"type": "git", "repository": source.to_string_lossy(), "ref": "main"}));
        assert_eq!(d["health_check"], json!({"command": "grep -q v1 deployed.txt && echo healthy"}));
        assert_eq!(d["servers"][0]["server_id"].as_i64(), Some(web));
        assert!(d["job_id"].is_i64());
        let id = d["id"].as_i64().unwrap();

        let d = finished(&app, id, &root).await;
        assert_eq!(d["status"], "success", "{d}");
        let s = &d["servers"][0];
        assert_eq!(s["status"], "success");
        let release = s["release"].as_str().unwrap().to_owned();
        assert_eq!(std::fs::read_link(path.join("current")).unwrap().to_string_lossy(), format!("releases/{release}"));
        let steps = s["steps"].as_array().unwrap();
        let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["upload", "deploy", "switch", "health_check", "prune"]);
        for step in steps {
            assert_eq!((step["status"].as_str(), step["exit_code"].as_i64()), (Some("success"), Some(0)), "{step}");
            assert!(step["duration_ms"].is_i64() && step["started_at"].is_string() && step["finished_at"].is_string(), "{step}");
        }
        assert!(steps[0]["log"].as_str().unwrap().contains("unpacked 1 files"), "{}", steps[0]["log"]);
        assert!(steps[1]["log"].as_str().unwrap().contains("deployed"));
        assert!(steps[3]["log"].as_str().unwrap().contains("healthy"));
        let r = app.call("GET", &format!("/api/deployments/{id}"), Some(&root)).await;
        assert_eq!(r.json()["message"], "获取成功");

        // The job is the deployment's: its events carry every line.
        let job = d["job_id"].as_i64().unwrap();
        let admin = slipway_core::Principal { user_id: app.id_of(&root).await, username: "root".into(), role: slipway_core::Role::Admin };
        let events = app.state.engine.subscribe(&admin, job, 0).await.unwrap();
        use futures_util::StreamExt;
        let events: Vec<_> = events.collect().await;
        let lines: Vec<String> = events.into_iter().filter_map(Result::ok).filter(|e| e.kind == "log").map(|e| e.payload["line"].as_str().unwrap_or_default().to_owned()).collect();
        assert!(lines.iter().any(|l| l == "healthy"), "{lines:?}");

        // A second deployment (to both servers), then the list: newest first, paged, filtered.
        repo(&source, "v2");
        let mut second = body.clone();
        second["server_ids"] = json!([other]);
        second["health_check"] = json!({"command": "true"});
        second["deploy_path"] = json!(dir.path().join("app2").to_string_lossy());
        let id2 = app.json("POST", "/api/deployments", second, Some(&root)).await.json()["data"]["id"].as_i64().unwrap();
        let d2 = finished(&app, id2, &root).await;
        assert_eq!(d2["servers"].as_array().unwrap().len(), 2, "server_id and server_ids together");
        let l = app.call("GET", "/api/deployments?page=1&page_size=1", Some(&root)).await;
        assert_eq!(l.status, 200);
        let lb = l.json();
        assert_eq!(lb["message"], "deployments list");
        assert_eq!((lb["data"]["total"].as_i64(), lb["data"]["page"].as_i64(), lb["data"]["page_size"].as_i64()), (Some(2), Some(1), Some(1)));
        assert_eq!(lb["data"]["list"][0]["id"].as_i64(), Some(id2), "newest first");
        assert_eq!(lb["data"]["list"][0]["servers"][0]["steps"], json!([]), "lists carry no steps");
        let only = |q: &str| { let app = &app; let root = root.clone(); let q = q.to_owned(); async move { app.call("GET", &format!("/api/deployments?{q}"), Some(&root)).await.json()["data"]["total"].as_i64() } };
        assert_eq!(only(&format!("server_id={other}")).await, Some(1));
        assert_eq!(only(&format!("server_id={web}&status=success")).await, Some(2));
        assert_eq!(only("status=failed").await, Some(0));

        // Roll the first one back: there was no release before it, and the rollback says so.
        let r = app.call("POST", &format!("/api/deployments/{id}/rollback"), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["message"], "操作成功");
        let rb = r.json()["data"].clone();
        assert_eq!((rb["kind"].as_str(), rb["rollback_of"].as_i64(), rb["source"]["type"].as_str()), (Some("rollback"), Some(id), Some("rollback")));
        let rb = finished(&app, rb["id"].as_i64().unwrap(), &root).await;
        assert_eq!(rb["status"], "failed");
        assert!(rb["servers"][0]["error"].as_str().unwrap().contains("no release before"), "{rb}");
        // Cancel mid-step: the remote command is killed, the deployment ends cancelled, saying who.
        let mut slow = body.clone();
        slow["deploy"] = json!("sleep 29.5");
        slow["deploy_path"] = json!(dir.path().join("slow").to_string_lossy());
        let slow_id = app.json("POST", "/api/deployments", slow, Some(&root)).await.json()["data"]["id"].as_i64().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let d = app.call("GET", &format!("/api/deployments/{slow_id}"), Some(&root)).await.json()["data"].clone();
            if d["servers"][0]["steps"][1]["status"] == "running" { break; }
            assert!(Instant::now() < deadline, "the deploy step never started: {d}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let r = app.call("POST", &format!("/api/deployments/{slow_id}/cancel"), Some(&root)).await;
        assert_eq!((r.status.as_u16(), r.json()["message"].as_str()), (200, Some("操作成功")), "{}", r.text);
        let d = finished(&app, slow_id, &root).await;
        assert_eq!((d["status"].as_str(), d["cancelled_by"].as_i64()), (Some("cancelled"), Some(app.id_of(&root).await)));
        assert_eq!(d["servers"][0]["steps"][1]["status"], "cancelled");

        // Finished: cancel is a conflict.
        let r = app.call("POST", &format!("/api/deployments/{id}/cancel"), Some(&root)).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(r.json()["code"], 409);
        for (m, p) in [("GET", "/api/deployments/999999"), ("POST", "/api/deployments/999999/cancel"), ("POST", "/api/deployments/999999/rollback")] {
            let r = app.call(m, p, Some(&root)).await;
            assert_eq!(r.status, 404, "{m} {p}: {}", r.text);
            assert_error_shape(m, p, &r);
        }
    }

    async fn only_administrators_and_granted_operators_deploy(db: Db) {
        let sshd = Sshd::start();
        // Operators' repositories pass the outbound policy: here it allows loopback.
        let outbound = slipway_outbound::OutboundPolicy::from_entries(["127.0.0.1"]).unwrap();
        let app = TestApp::new(db, Setup { outbound, ..Setup::default() }).await;
        let root = app.admin("root").await;
        let web = create_server(&app, &sshd, "web-1", &root).await;
        let dir = tempfile::tempdir().unwrap();
        let body = json!({
            "name": "site", "server_id": web, "deploy_path": dir.path().join("app").to_string_lossy(),
            "source": {"type": "git", "repository": "http://127.0.0.1:9/nothing-listens.git", "ref": "main"},
        });
        let paths = [("GET", "/api/deployments".to_owned()), ("POST", "/api/deployments".to_owned()), ("GET", "/api/deployments/1".to_owned()), ("POST", "/api/deployments/1/cancel".to_owned()), ("POST", "/api/deployments/1/rollback".to_owned())];
        for (m, p) in &paths {
            let r = app.json(m, p, body.clone(), None).await;
            assert_eq!(r.status, 401, "{m} {p}: {}", r.text);
            assert_error_shape(m, p, &r);
        }
        let (bob, _) = app.user("bob").await;
        for (m, p) in &paths {
            let r = app.json(m, p, body.clone(), Some(&bob)).await;
            assert_eq!(r.status, 403, "{m} {p}: {}", r.text);
            assert_error_shape(m, p, &r);
        }
        let bob_id = app.id_of(&bob).await;
        assert_eq!(app.call("PUT", &format!("/api/servers/operators/{bob_id}"), Some(&root)).await.status, 200);

        // The operator may deploy from a repository the policy allows; this one is not there, and the job says so.
        let r = app.json("POST", "/api/deployments", body.clone(), Some(&bob)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let id = r.json()["data"]["id"].as_i64().unwrap();
        let d = finished(&app, id, &bob).await;
        assert_eq!(d["status"], "failed");
        assert!(d["error"].as_str().unwrap().contains("source: git fetch failed"), "{d}");
        assert_eq!(d["servers"][0]["status"], "skipped");
        assert_eq!(d["created_by"].as_i64(), Some(bob_id));
        // … but not from a local path, nor from an address the policy refuses.
        let mut local = body.clone();
        local["source"]["repository"] = json!(dir.path().to_string_lossy());
        let r = app.json("POST", "/api/deployments", local, Some(&bob)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains("only administrators may deploy from local paths"), "{}", r.text);
        let mut private = body.clone();
        private["source"]["repository"] = json!("http://10.1.2.3/x.git");
        assert_eq!(app.json("POST", "/api/deployments", private, Some(&bob)).await.status, 400);
        assert_eq!(app.call("GET", "/api/deployments", Some(&bob)).await.json()["data"]["total"], 1);
        let r = app.call("POST", &format!("/api/deployments/{id}/rollback"), Some(&bob)).await;
        assert_eq!(r.status, 409, "nothing to roll back: {}", r.text);
    }

    async fn bad_input_gets_qoders_400(db: Db) {
        let sshd = Sshd::start();
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let web = create_server(&app, &sshd, "web-1", &root).await;
        let good = json!({
            "name": "site", "server_id": web, "deploy_path": "/srv/app",
            "source": {"type": "git", "repository": "/srv/repo", "ref": "main"},
        });
        let with = |k: &str, v: Value| { let mut b = good.clone(); b[k] = v; b };
        let cases = [
            ("no servers", with("server_id", Value::Null), "server_ids"),
            ("empty servers", with("server_ids", json!([])).as_object().map(|o| { let mut o = o.clone(); o.remove("server_id"); Value::Object(o) }).unwrap(), "server_ids"),
            ("unknown server", with("server_ids", json!([424_242])), "server 424242 does not exist"),
            ("relative path", with("deploy_path", json!("srv/app")), "deploy_path"),
            ("dot-dot path", with("deploy_path", json!("/srv/../etc")), "deploy_path"),
            ("quoted path", with("deploy_path", json!("/srv/a'b")), "deploy_path"),
            ("newline path", with("deploy_path", json!("/srv/a\nb")), "deploy_path"),
            ("no source", with("source", Value::Null), "source"),
            ("unknown source", with("source", json!({"type": "svn"})), "source.type"),
            ("git without repository", with("source", json!({"type": "git"})), "source.repository"),
            ("an option as ref", with("source", json!({"type": "git", "repository": "/srv/repo", "ref": "--upload-pack=x"})), "source.ref"),
            ("artifacts without a run", with("source", json!({"type": "artifacts"})), "source.pipeline_run_id"),
            ("batch without a size", with("strategy", json!("batch")), "batch_size"),
            ("unknown strategy", with("strategy", json!("random")), "strategy"),
            ("zero timeout", with("timeout", json!(0)), "timeout"),
            ("zero releases kept", with("keep_releases", json!(0)), "keep_releases"),
            ("two health checks", with("health_check", json!({"url": "http://x/", "command": "true"})), "health_check"),
            ("a health URL that is not HTTP", with("health_check", json!({"url": "ftp://x/"})), "health_check.url"),
            ("blank name", with("name", json!("  ")), "name"),
        ];
        for (what, body, named) in cases {
            let r = app.json("POST", "/api/deployments", body, Some(&root)).await;
            assert_eq!(r.status, 400, "{what}: {}", r.text);
            assert_eq!(r.json()["code"], 400, "{what}");
            assert!(r.text.contains(named), "{what}: {}", r.text);
            assert_error_shape("POST", "/api/deployments", &r);
        }
        let r = app.send(raw_req("POST", "/api/deployments", "{not json", Some(&root))).await;
        assert_eq!(r.status, 400, "{}", r.text);
        let r = app.json("POST", "/api/deployments", with("name", json!(5)), Some(&root)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        let r = app.json("POST", "/api/deployments", with("deploy", json!("echo a\u{0}b")), Some(&root)).await;
        assert_eq!(r.status, 400, "NUL refused at the edge: {}", r.text);
        for q in ["status=done", "server_id=abc", "page=0"] {
            let r = app.call("GET", &format!("/api/deployments?{q}"), Some(&root)).await;
            assert_eq!(r.status, 400, "{q}: {}", r.text);
        }
        let r = app.call("GET", "/api/deployments/abc", Some(&root)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(app.call("GET", "/api/deployments", Some(&root)).await.json()["data"]["total"], 0, "nothing half-written");
    }
}
