//! `logs`: one step prints `--lines` numbered lines; a client follows the run over `WS /ws/pipeline-runs/{id}`
//! from the moment it is queued and checks that every line arrives, in order, before the socket closes.

use std::time::Instant;

use anyhow::{Context, bail};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::node::Node;
use crate::factory::Figure;

/// Lines received, their order, and the rate.
pub async fn long_log(node: &Node, backend: &str, lines: u32) -> anyhow::Result<Vec<Figure>> {
    let step = json!({"name": "print", "type": "shell_command", "config": {"command": format!("seq 1 {lines}")}});
    let pipeline = node.pipeline(json!({"name": "log bench", "steps": [step]})).await?;
    let run = node.json(Method::POST, &format!("/api/pipelines/{pipeline}/run/"), None, 201).await?;
    let run_id = run["id"].as_i64().context("no run id")?;
    let url = format!("{}/ws/pipeline-runs/{run_id}?token={}", node.base.replacen("http", "ws", 1), node.token);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.context("cannot open the WebSocket")?;
    let mut expected: u64 = 1;
    let (mut first, mut last) = (None, Instant::now());
    while let Some(message) = socket.next().await {
        let text = match message? {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        let m: Value = serde_json::from_str(&text)?;
        if m["type"] != "step_log" {
            continue;
        }
        let line = m["data"]["line"].as_str().unwrap_or_default();
        if line.parse::<u64>().ok() != Some(expected) {
            bail!("line {expected} expected, got {line:?}");
        }
        first.get_or_insert_with(Instant::now);
        last = Instant::now();
        expected += 1;
    }
    let received = expected - 1;
    if received != u64::from(lines) {
        bail!("{received} of {lines} lines arrived before the socket closed");
    }
    let secs = first.map_or(0.0, |f| last.duration_since(f).as_secs_f64());
    let name = |what: &str| format!("{what}, {lines} lines over WS ({backend})");
    Ok(vec![
        Figure { scenario: "logs", name: name("lines in order"), value: received as f64, unit: "lines", goal: "all" },
        Figure { scenario: "logs", name: name("first to last line"), value: secs, unit: "s", goal: "-" },
        Figure {
            scenario: "logs",
            name: name("rate"),
            value: if secs > 0.0 { received as f64 / secs } else { 0.0 },
            unit: "/s",
            goal: "-",
        },
    ])
}
