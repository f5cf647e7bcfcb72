//! The live transports with real clients of each protocol, on both backends: an SSE client that disconnects and
//! resumes with `Last-Event-ID` sees every event once and in order; a WebSocket client and Socket.IO clients
//! (python-socketio, over WebSocket and over long-polling) receive exactly the events of the log.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use common::{TestApp, assert_error_shape};
use eventsource_stream::Eventsource;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use slipway_engine::EnqueueOptions;
use slipway_store::{Db, backend_tests};
use tokio_tungstenite::tungstenite::Message;

/// A command that prints `n` lines, a little apart, so a client can join in the middle.
fn script(n: u32) -> String {
    format!("for i in $(seq 1 {n}); do echo line$i; sleep 0.005; done")
}

async fn setup(db: Db) -> (TestApp, SocketAddr, String, i64) {
    setup_lines(db, 40).await
}

async fn setup_lines(db: Db, lines: u32) -> (TestApp, SocketAddr, String, i64) {
    common::install_crypto();
    let app = TestApp::on(db).await;
    let root = app.admin("root").await;
    let addr = common::serve(app.router.clone()).await;
    let principal = app.state.identity.authenticate(&root).await.unwrap().principal();
    let job = app
        .state
        .engine
        .enqueue(&principal, "command", json!({"command": script(lines)}), EnqueueOptions::default())
        .await
        .unwrap();
    (app, addr, root, job.id)
}

/// The whole log of the job once it finished, as the transports render it.
async fn full_log(app: &TestApp, token: &str, job: i64) -> Vec<Value> {
    let principal = app.state.identity.authenticate(token).await.unwrap().principal();
    let events = app.state.engine.subscribe(&principal, job, 0).await.unwrap();
    events.map(|e| slipway_http::realtime::event_json(&e.unwrap())).collect().await
}

fn is_final(e: &Value) -> bool {
    e["type"] == "status"
        && ["succeeded", "failed", "cancelled", "timed_out"].contains(&e["payload"]["status"].as_str().unwrap_or(""))
}

async fn sse(addr: SocketAddr, token: &str, job: i64, last_event_id: Option<i64>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("http://{addr}/api/jobs/{job}/events")).bearer_auth(token);
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id.to_string());
    }
    req.send().await.unwrap()
}

backend_tests! {
    async fn sse_clients_resume_with_last_event_id_losing_nothing(db: Db) {
        let (app, addr, token, job) = setup(db).await;
        let first = sse(addr, &token, job, None).await;
        assert_eq!(first.status(), 200);
        assert!(first.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        let mut seen: Vec<Value> = Vec::new();
        let mut stream = first.bytes_stream().eventsource();
        while let Some(ev) = stream.next().await {
            let ev = ev.unwrap();
            let data: Value = serde_json::from_str(&ev.data).unwrap();
            assert_eq!(ev.id, data["seq"].to_string(), "id: is the sequence number");
            assert_eq!(ev.event, data["type"].as_str().unwrap());
            seen.push(data);
            if seen.len() == 12 {
                break;
            }
        }
        drop(stream);

        let last = seen.last().unwrap()["seq"].as_i64().unwrap();
        let second = sse(addr, &token, job, Some(last)).await;
        let mut stream = second.bytes_stream().eventsource();
        while let Some(ev) = stream.next().await {
            let ev = ev.unwrap();
            seen.push(serde_json::from_str(&ev.data).unwrap());
        }
        assert!(is_final(seen.last().unwrap()), "the stream ends after the final status");
        let seqs: Vec<i64> = seen.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "every event once, in order");
        assert_eq!(seen, full_log(&app, &token, job).await);
        let lines = seen.iter().filter(|e| e["type"] == "stdout").count();
        assert_eq!(lines, 40);
    }

    async fn sse_and_websocket_refuse_strangers_in_shape(db: Db) {
        let (app, addr, token, job) = setup(db).await;
        let r = app.call("GET", &format!("/api/jobs/{job}/events"), None).await;
        assert_eq!(r.status, 401);
        assert_error_shape("GET", &format!("/api/jobs/{job}/events"), &r);
        let (ann, _) = app.user("ann").await;
        let r = app.call("GET", &format!("/api/jobs/{job}/events"), Some(&ann)).await;
        assert_eq!(r.status, 404, "someone else's job does not exist for you");
        let r = app.send(axum::http::Request::get(format!("/api/jobs/{job}/events")).header("authorization", format!("Bearer {token}")).header("last-event-id", "yesterday").body(axum::body::Body::empty()).unwrap()).await;
        assert_eq!(r.status, 422);
        let r = app.call("GET", "/api/jobs/999999/events", Some(&token)).await;
        assert_eq!(r.status, 404);
        let err = tokio_tungstenite::connect_async(format!("ws://{addr}/api/jobs/{job}/ws")).await.unwrap_err();
        assert!(err.to_string().contains("401"), "{err}");
        // Token in the query, for browsers' EventSource.
        let r = reqwest::get(format!("http://{addr}/api/jobs/{job}/events?access_token={token}")).await.unwrap();
        assert_eq!(r.status(), 200);
    }

    async fn websocket_clients_get_the_log_then_close(db: Db) {
        let (app, addr, token, job) = setup(db).await;
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/jobs/{job}/ws?access_token={token}")).await.unwrap();
        let mut seen = Vec::new();
        while let Some(msg) = ws.next().await {
            match msg.unwrap() {
                Message::Text(t) => seen.push(serde_json::from_str::<Value>(&t).unwrap()),
                Message::Close(frame) => {
                    assert_eq!(frame.map(|f| u16::from(f.code)), Some(1000));
                    break;
                }
                Message::Ping(p) => ws.send(Message::Pong(p)).await.unwrap(),
                _ => {}
            }
        }
        assert!(is_final(seen.last().unwrap()));
        assert_eq!(seen, full_log(&app, &token, job).await);
    }

    async fn socketio_clients_get_the_same_events_on_both_transports(db: Db) {
        let Some(python) = socketio_python() else { return };
        let (app, addr, token, job) = setup_lines(db, 300).await;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/socketio_client.py");
        let url = format!("http://{addr}");
        let run = |transports: &'static str, token: String| {
            let (python, script, url) = (python.clone(), script.clone(), url.clone());
            tokio::task::spawn_blocking(move || Command::new(python).arg(script).arg(url).arg(token).arg(job.to_string()).arg(transports).output().unwrap())
        };
        // Subscribing after the job finished replays all 302 events in one burst: more than a socket buffers
        // (128), so the slow long-polling transport exercises back pressure.
        let log = {
            let principal = app.state.identity.authenticate(&token).await.unwrap().principal();
            app.state.engine.wait(&principal, job, std::time::Duration::from_secs(60)).await.unwrap();
            full_log(&app, &token, job).await
        };
        let over_ws = run("websocket", token.clone());
        let over_polling = run("polling", token.clone());
        for out in [over_ws.await.unwrap(), over_polling.await.unwrap()] {
            assert!(out.status.success(), "{:?}\n{}\n{}", out.status, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            let events: Vec<Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            assert_eq!(events.len(), 302, "a start, 300 lines, an end");
            assert_eq!(events, log, "a Socket.IO client sees exactly the log");
        }
        let refused = run("websocket", "not-a-token".into()).await.unwrap();
        assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stdout));
        assert!(String::from_utf8_lossy(&refused.stdout).contains("connect_error"));
    }
}

/// The Python with python-socketio installed; required under CI.
fn socketio_python() -> Option<String> {
    let python = std::env::var("SLIPWAY_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python).args(["-c", "import socketio, websocket"]).status().is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    assert!(!slipway_store::testing::postgres_required(), "CI=true but python-socketio is not installed for {python}");
    eprintln!("SKIPPED: pip install 'python-socketio[client]' to test Socket.IO with a real client");
    None
}
