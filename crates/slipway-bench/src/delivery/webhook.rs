//! `webhook`: a signed GitHub push to the first step's process running, one delivery at a time on an idle node.
//! The step prints `date +%s%N` as its first act, so the figure includes the whole path: HTTP, signature,
//! recording, enqueueing, the engine claiming the job, the step starting and its (sandboxed) process spawning.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use slipway_delivery::webhooks::github_signature;

use super::node::{Node, now_ns, stamps};
use super::percentile_ms;
use crate::factory::Figure;

const SECRET: &str = "bench webhook secret";
const REPOSITORY: &str = "https://github.com/bench/app.git";
const WARMUP: u32 = 10;

/// Receipt-to-first-step percentiles over `samples` deliveries.
pub async fn receipt_to_first_step(node: &Node, backend: &str, samples: u32) -> anyhow::Result<Vec<Figure>> {
    let pipeline = json!({
        "name": "webhook bench", "repository_url": REPOSITORY, "branch": "main", "trigger_events": ["push"],
        "webhook_secret": SECRET,
        "steps": [{"name": "stamp", "type": "shell_command", "config": {"command": "date +%s%N"}}]
    });
    node.pipeline(pipeline).await?;
    let mut latencies = Vec::with_capacity(samples as usize);
    for i in 0..WARMUP + samples {
        let sha = format!("{:040x}", u128::from(i) + 1);
        let body = json!({
            "ref": "refs/heads/main", "after": sha, "repository": {"clone_url": REPOSITORY},
            "pusher": {"name": "bench"}, "head_commit": {"id": sha, "message": "bench"}
        })
        .to_string();
        let signature = github_signature(SECRET.as_bytes(), body.as_bytes());
        let sent = now_ns();
        let r = node
            .post("/api/v1/webhooks/github")
            .header("content-type", "application/json")
            .header("X-GitHub-Event", "push")
            .header("X-GitHub-Delivery", format!("bench-{i}"))
            .header("X-Hub-Signature-256", signature)
            .body(body)
            .send()
            .await?;
        let receipt: Value = r.json().await?;
        let run_id = receipt["runs"][0]["run_id"].as_i64().with_context(|| format!("no run started: {receipt}"))?;
        let detail = node.finished(run_id).await?;
        let log = detail["steps"][0]["log"].as_str().unwrap_or_default();
        let Some(&started) = stamps(log).first() else { bail!("the step printed no time: {log:?}") };
        if i >= WARMUP {
            latencies.push(u64::try_from((started - sent).max(0)).unwrap_or(u64::MAX));
        }
    }
    latencies.sort_unstable();
    let name = |p: &str| format!("{p} receipt → first step running ({backend})");
    Ok(vec![
        Figure {
            scenario: "webhook",
            name: name("p50"),
            value: percentile_ms(&latencies, 50.0),
            unit: "ms",
            goal: "< 50",
        },
        Figure {
            scenario: "webhook",
            name: name("p99"),
            value: percentile_ms(&latencies, 99.0),
            unit: "ms",
            goal: "< 200",
        },
    ])
}
