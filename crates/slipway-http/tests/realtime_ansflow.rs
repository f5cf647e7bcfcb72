//! AnsFlow's live run view and system status on both backends, with a real WebSocket client: a run of two
//! shell steps followed from the start (status updates in the documented shape, log lines in order, a normal
//! close after success), the same messages on a replay and the rest on a resume, 5,000 lines complete and in
//! order, the token in the query, refusals before the upgrade in AnsFlow's shape; the status route's checks
//! and counts, `unhealthy` with a closed database and `degraded` when Redis goes away.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{Setup, TestApp};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use slipway_core::config::RateLimitConfig;
use slipway_engine::EnqueueOptions;
use slipway_store::{Db, backend_tests};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// An administrator's pipeline (steps run on the host where the sandbox is missing) and one started run.
async fn started(app: &TestApp, token: &str, steps: Value) -> i64 {
    let body = json!({"name": format!("live {}", uuid::Uuid::new_v4()), "steps": steps});
    let r = app.json("POST", "/api/pipelines/", body, Some(token)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_i64().unwrap();
    let r = app.call("POST", &format!("/api/pipelines/{id}/run/"), Some(token)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

/// Every message until the server closes, and the close code.
async fn follow(request: impl IntoClientRequest + Unpin) -> (Vec<Value>, Option<u16>) {
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut seen = Vec::new();
    let read = async {
        while let Some(msg) = ws.next().await {
            match msg.unwrap() {
                Message::Text(t) => seen.push(serde_json::from_str::<Value>(&t).unwrap()),
                Message::Close(frame) => return frame.map(|f| u16::from(f.code)),
                Message::Ping(p) => ws.send(Message::Pong(p)).await.unwrap(),
                _ => {}
            }
        }
        None
    };
    let code = tokio::time::timeout(Duration::from_secs(120), read).await.expect("the socket closes");
    (seen, code)
}

/// The URL with the token in the query.
fn url(addr: SocketAddr, run: i64, query: &str) -> String {
    format!("ws://{addr}/ws/pipeline-runs/{run}{query}")
}

/// A request with `Authorization: Bearer`.
fn with_bearer(addr: SocketAddr, run: i64, token: &str) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut req = url(addr, run, "").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    req
}

/// The HTTP answer to an upgrade the server refused: status and body.
async fn refused(request: impl IntoClientRequest + Unpin) -> (u16, Value) {
    match tokio_tungstenite::connect_async(request).await {
        Err(WsError::Http(resp)) => {
            let body = resp.body().as_deref().map(|b| serde_json::from_slice(b).unwrap()).unwrap_or(Value::Null);
            (resp.status().as_u16(), body)
        }
        Err(other) => panic!("not an HTTP refusal: {other}"),
        Ok(_) => panic!("the upgrade was accepted"),
    }
}

fn updates(seen: &[Value]) -> Vec<&Value> {
    seen.iter().filter(|m| m["type"] == "pipeline_status_update").map(|m| &m["data"]).collect()
}

fn lines(seen: &[Value], step: i64) -> Vec<(String, String)> {
    seen.iter()
        .filter(|m| m["type"] == "step_log" && m["data"]["step"] == step)
        .map(|m| (m["data"]["stream"].as_str().unwrap().to_owned(), m["data"]["line"].as_str().unwrap().to_owned()))
        .collect()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

backend_tests! {
    async fn a_run_is_followed_live_with_its_steps_and_lines_then_the_socket_closes(db: Db) {
        common::install_crypto();
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let addr = common::serve(app.router.clone()).await;
        let steps = json!([
            {"name": "Build", "type": "shell_command", "config": {"command": "echo one; sleep 0.2; echo two; echo three"}},
            {"name": "Test", "type": "shell_command", "config": {"command": "echo four >&2"}}
        ]);
        let run = started(&app, &root, steps).await;
        let (seen, code) = follow(with_bearer(addr, run, &root)).await;
        assert_eq!(code, Some(1000), "a normal close after the final status");

        let seqs: Vec<i64> = seen.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in log order: {seqs:?}");
        for m in &seen {
            assert!(["pipeline_status_update", "step_log"].contains(&m["type"].as_str().unwrap()), "{m}");
            assert_eq!(keys(m), ["data", "seq", "type"], "{m}");
            assert_eq!(m["data"]["run_id"], run, "{m}");
        }
        let out = |l: &[&str]| l.iter().map(|s| ("stdout".to_owned(), (*s).to_owned())).collect::<Vec<_>>();
        assert_eq!(lines(&seen, 0), out(&["one", "two", "three"]));
        assert_eq!(lines(&seen, 1), vec![("stderr".to_owned(), "four".to_owned())]);
        assert_eq!(keys(&seen.iter().find(|m| m["type"] == "step_log").unwrap()["data"]), ["line", "run_id", "step", "stream"]);

        let ups = updates(&seen);
        for u in &ups {
            assert_eq!(keys(u), ["current_step", "progress", "run_id", "status"], "{u}");
            if !u["current_step"].is_null() {
                assert_eq!(keys(&u["current_step"]), ["id", "name", "started_at", "status"], "{u}");
                let at = u["current_step"]["started_at"].as_str().unwrap();
                assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok() && at.ends_with('Z'), "{at}");
            }
        }
        let step = |u: &Value| (u["current_step"]["id"].as_i64(), u["current_step"]["name"].as_str().map(str::to_owned), u["current_step"]["status"].as_str().map(str::to_owned));
        let at = |id: i64, name: &str, status: &str| (Some(id), Some(name.to_owned()), Some(status.to_owned()));
        let story: Vec<_> = ups.iter().map(|u| (u["status"].as_str().unwrap().to_owned(), step(u), u["progress"].as_i64().unwrap())).collect();
        let expected = [
            ("running", at(0, "Build", "running"), 0),
            ("running", at(0, "Build", "success"), 0),
            ("running", at(0, "Build", "success"), 50),
            ("running", at(1, "Test", "running"), 50),
            ("running", at(1, "Test", "success"), 50),
            ("running", at(1, "Test", "success"), 100),
            ("success", at(1, "Test", "success"), 100),
        ];
        let tail: Vec<_> = expected.iter().map(|(s, c, p)| ((*s).to_owned(), c.clone(), *p)).collect();
        assert!(story.ends_with(&tail), "the updates tell the run's story: {story:?}");
        assert!(story[..story.len() - tail.len()].iter().all(|(s, c, _)| ["pending", "running"].contains(&s.as_str()) && c.0.is_none()), "{story:?}");
        let pos = |pred: &dyn Fn(&Value) -> bool| seen.iter().position(pred).unwrap();
        let build_started = pos(&|m| m["data"]["current_step"]["name"] == "Build");
        let first_line = pos(&|m| m["type"] == "step_log");
        let build_done = pos(&|m| m["data"]["current_step"]["status"] == "success");
        assert!(build_started < first_line && first_line < build_done, "lines come between the step's start and end");
        let started_at = ups.iter().find(|u| u["current_step"]["id"] == 1).unwrap()["current_step"]["started_at"].clone();
        assert!(ups.iter().filter(|u| u["current_step"]["id"] == 1).all(|u| u["current_step"]["started_at"] == started_at));

        // A replay of the finished run says the same; a resume after any message says the rest, state included.
        let (again, code) = follow(url(addr, run, &format!("?token={root}"))).await;
        assert_eq!((again.clone(), code), (seen.clone(), Some(1000)), "a replay is the same story");
        for cut in [first_line, build_done, seen.len() - 2] {
            let after = seen[cut]["seq"].as_i64().unwrap();
            let (rest, code) = follow(url(addr, run, &format!("?token={root}&after={after}"))).await;
            assert_eq!((rest.as_slice(), code), (&seen[cut + 1..], Some(1000)), "resumed after seq {after}");
        }
        let last = seen.last().unwrap()["seq"].as_i64().unwrap();
        let (rest, code) = follow(url(addr, run, &format!("?access_token={root}&after={last}"))).await;
        assert_eq!((rest.len(), code), (0, Some(1000)), "nothing after the final status");
    }

    async fn five_thousand_lines_arrive_complete_and_in_order(db: Db) {
        common::install_crypto();
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let addr = common::serve(app.router.clone()).await;
        let steps = json!([{"name": "Loud", "type": "shell_command", "config": {"command": "seq 1 5000"}}]);
        let run = started(&app, &root, steps).await;
        let (seen, code) = follow(url(addr, run, &format!("?token={root}"))).await;
        assert_eq!(code, Some(1000));
        let got: Vec<String> = lines(&seen, 0).into_iter().map(|(_, l)| l).collect();
        let want: Vec<String> = (1..=5000).map(|i| i.to_string()).collect();
        assert_eq!(got.len(), 5000, "no line lost");
        assert_eq!(got, want, "in order");
        let last = updates(&seen).last().cloned().unwrap().clone();
        assert_eq!((last["status"].as_str(), last["progress"].as_i64()), (Some("success"), Some(100)));
    }

    async fn strangers_are_refused_before_the_upgrade_in_ansflows_shape(db: Db) {
        common::install_crypto();
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        let addr = common::serve(app.router.clone()).await;
        let steps = json!([{"name": "Hi", "type": "shell_command", "config": {"command": "echo hi"}}]);
        let run = started(&app, &root, steps).await;
        let path = format!("/ws/pipeline-runs/{run}");
        let shaped = |b: &Value, code: &str, path: &str| {
            assert_eq!(b["error"]["code"], code, "{b}");
            assert!(b["error"]["message"].is_string() && b["timestamp"].is_string(), "{b}");
            assert_eq!(b["path"], path, "{b}");
        };

        let (status, b) = refused(url(addr, run, "")).await;
        assert_eq!(status, 401, "anonymous: {b}");
        shaped(&b, "AUTHENTICATION_ERROR", &path);
        let (status, b) = refused(url(addr, run, "?token=not-a-token")).await;
        assert_eq!(status, 401, "a bad token: {b}");
        shaped(&b, "AUTHENTICATION_ERROR", &path);
        let (status, b) = refused(with_bearer(addr, run, &ann)).await;
        assert_eq!(status, 404, "another user's run: {b}");
        shaped(&b, "RESOURCE_NOT_FOUND", &path);
        let (status, b) = refused(url(addr, 999_999, &format!("?token={root}"))).await;
        assert_eq!(status, 404, "an unknown run: {b}");
        shaped(&b, "RESOURCE_NOT_FOUND", "/ws/pipeline-runs/999999");
        let (status, b) = refused(format!("ws://{addr}/ws/pipeline-runs/abc?token={root}")).await;
        assert_eq!(status, 400, "a bad id: {b}");
        shaped(&b, "VALIDATION_ERROR", "/ws/pipeline-runs/abc");
        for bad in ["-1", "soon"] {
            let (status, b) = refused(url(addr, run, &format!("?token={root}&after={bad}"))).await;
            assert_eq!(status, 400, "after={bad}: {b}");
            shaped(&b, "VALIDATION_ERROR", &path);
        }
        let r = app.call("GET", &path, Some(&root)).await;
        assert!(r.status.is_client_error(), "a plain GET is no upgrade: {} {}", r.status, r.text);
        common::assert_error_shape("GET", &path, &r);

        let (seen, code) = follow(with_bearer(addr, run, &root)).await;
        assert_eq!((lines(&seen, 0), code), (vec![("stdout".to_owned(), "hi".to_owned())], Some(1000)), "the owner follows it");
    }

    async fn system_status_checks_the_dependencies_and_counts(db: Db) {
        common::install_crypto();
        let app = TestApp::on(db.clone()).await;
        let root = app.admin("root").await;
        let r = app.call("GET", "/api/v1/system/status", None).await;
        assert_eq!(r.status, 200, "public, like /health: {}", r.text);
        let b = r.json();
        assert_eq!(keys(&b), ["metrics", "services", "status", "version"]);
        assert_eq!(b["status"], "healthy");
        assert_eq!(b["version"], "test", "the node's version");
        assert_eq!(b["services"], json!({"database": "healthy", "engine": "healthy"}), "no redis unless configured, never rabbitmq");
        assert_eq!(b["metrics"], json!({"active_pipelines": 0, "running_jobs": 0, "queue_size": 0}));

        for (name, active) in [("a", true), ("b", true), ("c", false)] {
            let body = json!({"name": name, "status": if active { "active" } else { "inactive" }, "steps": []});
            assert_eq!(app.json("POST", "/api/pipelines/", body, Some(&root)).await.status, 201);
        }
        let (ann, _) = app.user("ann").await;
        assert_eq!(app.json("POST", "/api/pipelines/", json!({"name": "ann's", "steps": []}), Some(&ann)).await.status, 201);
        let principal = app.state.identity.authenticate(&root).await.unwrap().principal();
        let enqueue = |command: &str, later: bool| {
            let options = EnqueueOptions { scheduled_for: later.then(|| chrono::Utc::now() + chrono::Duration::hours(1)), ..EnqueueOptions::default() };
            app.state.engine.enqueue(&principal, "command", json!({"command": command}), options)
        };
        let running = enqueue("sleep 30", false).await.unwrap();
        let queued = [enqueue("true", true).await.unwrap(), enqueue("true", true).await.unwrap()];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while app.state.engine.get(&principal, running.id).await.unwrap().status != slipway_engine::JobStatus::Running {
            assert!(tokio::time::Instant::now() < deadline, "the job did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let b = app.call("GET", "/api/v1/system/status", Some(&ann)).await.json();
        assert_eq!(b["metrics"], json!({"active_pipelines": 3, "running_jobs": 1, "queue_size": 2}), "the installation's counts: {b}");
        assert_eq!(b["status"], "healthy");
        for job in [running.id, queued[0].id, queued[1].id] {
            app.state.engine.cancel(&principal, job).await.unwrap();
        }

        db.close().await;
        let r = app.call("GET", "/api/v1/system/status", None).await;
        assert_eq!(r.status, 503, "{}", r.text);
        let b = r.json();
        assert_eq!(b["status"], "unhealthy");
        assert_eq!(b["services"]["database"], "unhealthy");
        assert_eq!(b["metrics"], Value::Null, "no counts rather than made-up ones");
        assert!(!r.text.contains("closed") && !r.text.contains("error"), "no error text leaks: {}", r.text);
    }
}

/// The Redis of the tests; required under CI.
fn redis_url() -> Option<String> {
    match std::env::var("SLIPWAY_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if slipway_store::testing::postgres_required() => panic!("CI=true but SLIPWAY_TEST_REDIS_URL is not set"),
        _ => {
            eprintln!("SKIPPED: set SLIPWAY_TEST_REDIS_URL to test the status route's Redis check");
            None
        }
    }
}

/// A TCP relay to the real Redis that can be cut, so the check sees Redis go away.
struct Relay {
    addr: SocketAddr,
    tasks: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn to(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tasks = tokio::spawn(async move {
            let mut links = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                links.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self { addr, tasks }
    }

    /// Stops accepting and drops every relayed connection.
    fn cut(&self) {
        self.tasks.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_status_checks_redis_only_where_it_is_configured() {
    let Some(url) = redis_url() else { return };
    let target = url.trim_start_matches("redis://").split(['/', '?']).next().unwrap().to_owned();
    let relay = Relay::to(target).await;
    let t = slipway_store::testing::sqlite().await;
    let rates = RateLimitConfig {
        enabled: true,
        redis_url: Some(format!("redis://{}", relay.addr)),
        ..RateLimitConfig::default()
    };
    let app = TestApp::new(t.db.clone(), Setup { rates, ..Setup::default() }).await;
    let r = app.call("GET", "/api/v1/system/status", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let b = r.json();
    assert_eq!(
        (b["status"].as_str(), b["services"].clone()),
        (Some("healthy"), json!({"database": "healthy", "engine": "healthy", "redis": "healthy"}))
    );

    relay.cut();
    let r = app.call("GET", "/api/v1/system/status", None).await;
    assert_eq!(r.status, 200, "the node still works without the shared counters: {}", r.text);
    let b = r.json();
    assert_eq!((b["status"].as_str(), b["services"]["redis"].as_str()), (Some("degraded"), Some("unhealthy")), "{b}");
    assert_eq!(b["services"]["database"], "healthy");
    assert!(b["metrics"].is_object(), "{b}");
}
