//! ResoftAI's Socket.IO project events with real clients (python-socketio, and socket.io-client v4 from npm):
//! a follower gets the project's current state first, then the run's events as they happen (workflow_started,
//! project_update, agent_activity); a late follower starts from the current state; stopping the run reaches
//! every follower; another user's subscription is refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::TestApp;
use serde_json::{Value, json};
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_store::{Db, backend_tests};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// A Socket.IO client process following one project.
struct Follower {
    child: Child,
    lines: mpsc::UnboundedReceiver<Value>,
    seen: Vec<Value>,
}

impl Follower {
    fn start(mut cmd: Command) -> Self {
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).kill_on_drop(true).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let _ = tx.send(serde_json::from_str(&line).unwrap_or_else(|_| json!({"event": "raw", "data": line})));
            }
        });
        Self { child, lines, seen: Vec::new() }
    }

    /// The first message (from now on) named `event` whose data satisfies `pred`.
    async fn until(&mut self, event: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let found = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(m) = self.lines.recv().await {
                self.seen.push(m.clone());
                if m["event"] == event && pred(&m["data"]) {
                    return Some(m["data"].clone());
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(data)) => data,
            _ => panic!("no {event} came; saw {:#?}", self.seen),
        }
    }

    async fn close(mut self) -> std::process::ExitStatus {
        drop(self.child.stdin.take());
        tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await.unwrap().unwrap()
    }
}

fn clients_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// python-socketio's client, when installed (required under CI).
fn python(url: &str, token: &str, project: i64) -> Option<Follower> {
    let python = std::env::var("SLIPWAY_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = std::process::Command::new(&python)
        .args(["-c", "import socketio, websocket"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(!slipway_store::testing::postgres_required(), "CI=true but python-socketio is not installed");
        eprintln!("SKIPPED: pip install 'python-socketio[client]'");
        return None;
    }
    let mut cmd = Command::new(python);
    cmd.arg(clients_dir().join("socketio_project.py")).arg(url).arg(token).arg(project.to_string());
    Some(Follower::start(cmd))
}

/// socket.io-client v4 from npm under Node.js, when installed (`SLIPWAY_TEST_NODE_MODULES`, required under CI).
fn node(url: &str, token: &str, project: i64) -> Option<Follower> {
    let modules = std::env::var("SLIPWAY_TEST_NODE_MODULES")
        .unwrap_or_else(|_| format!("{}/.cache/slipway/node/node_modules", std::env::var("HOME").unwrap_or_default()));
    if !Path::new(&modules).join("socket.io-client").exists() {
        assert!(
            !slipway_store::testing::postgres_required(),
            "CI=true but socket.io-client is not installed in {modules}"
        );
        eprintln!("SKIPPED: npm install socket.io-client@4 into {modules}");
        return None;
    }
    let mut cmd = Command::new("node");
    cmd.env("NODE_PATH", modules)
        .arg(clients_dir().join("socketio_project.cjs"))
        .arg(url)
        .arg(token)
        .arg(project.to_string());
    Some(Follower::start(cmd))
}

backend_tests! {
    async fn followers_see_the_run_as_it_happens(db: Db) {
        let mock = MockProvider::start().await;
        let app = TestApp::on(db).await;
        let addr = common::serve(app.router.clone()).await;
        let url = format!("http://{addr}");
        let (ann, _) = app.user("ann").await;
        let (bob, _) = app.user("bob").await;
        mock.set_default(MockReply::text("still thinking").delay(Duration::from_secs(30)));
        let config = json!({"name": "mock", "provider": "deepseek", "api_key": "sk-test", "api_base": mock.url(), "is_default": true});
        assert_eq!(app.json("POST", "/api/llm-configs", config, Some(&ann)).await.status, 201);
        let r = app.json("POST", "/api/projects", json!({"name": "live", "requirements": "一个待办事项应用"}), Some(&ann)).await;
        let id = r.json()["id"].as_i64().unwrap();

        let Some(mut early) = python(&url, &ann, id) else { return };
        let state = early.until("project_update", |_| true).await;
        assert_eq!(state, json!({"project_id": id, "status": "pending", "progress": 0, "current_stage": null, "workflow_id": null}));

        let started = app.call("POST", &format!("/api/projects/{id}/execute"), Some(&ann)).await.json();
        let wf = started["workflow_id"].clone();
        let begun = early.until("workflow_started", |_| true).await;
        assert_eq!((begun["project_id"].as_i64(), &begun["workflow_id"]), (Some(id), &wf), "{begun}");
        early.until("project_update", |d| d["status"] == "running" && d["current_stage"] == "requirements_analysis").await;
        let working = early.until("agent_activity", |_| true).await;
        assert_eq!((working["agent_name"].as_str(), working["stage"].as_str(), working["status"].as_str()), (Some("RequirementsAnalystAgent"), Some("requirements_analysis"), Some("running")), "{working}");
        assert!(working["message"].is_string());

        // A late follower starts from the state as it is now, on the npm client.
        let Some(mut late) = node(&url, &ann, id) else { return };
        let now = late.until("project_update", |_| true).await;
        assert_eq!((now["status"].as_str(), now["current_stage"].as_str(), &now["workflow_id"]), (Some("running"), Some("requirements_analysis"), &wf), "{now}");

        // Another user is refused; nothing of the project reaches them.
        let Some(mut intruder) = python(&url, &bob, id) else { return };
        let refused = intruder.until("error", |_| true).await;
        assert_eq!(refused["project_id"], id);
        assert_eq!(refused["message"], "project ".to_owned() + &id.to_string() + " not found");

        assert_eq!(app.call("POST", &format!("/api/projects/{id}/stop"), Some(&ann)).await.status, 200);
        for f in [&mut early, &mut late] {
            let stopped = f.until("agent_activity", |d| d["status"] == "cancelled").await;
            assert_eq!(stopped["agent_name"], "RequirementsAnalystAgent");
            f.until("project_update", |d| d["status"] == "cancelled").await;
        }
        // A new run reaches followers that stayed.
        assert_eq!(app.call("POST", &format!("/api/projects/{id}/resume"), Some(&ann)).await.status, 200);
        early.until("workflow_started", |d| d["workflow_id"] != wf).await;
        late.until("project_update", |d| d["status"] == "running").await;
        assert_eq!(app.call("POST", &format!("/api/projects/{id}/stop"), Some(&ann)).await.status, 200);
        early.until("project_update", |d| d["status"] == "cancelled").await;
        assert!(intruder.seen.iter().all(|m| m["event"] == "error"), "{:?}", intruder.seen);
        for f in [early, late, intruder] {
            assert!(f.close().await.success());
        }
    }
}
