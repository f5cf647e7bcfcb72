//! `concurrent`: trivial steps that print `date +%s%N` as they start. One run alone first: the gap between two
//! steps' stamps, minus the same command's own time spawned bare on the host, is what a step costs beyond its
//! process (the sandbox's start where there is one, events, the step's rows, the next step's start). Then
//! `--runs` runs at once: every one completes, the wall time, the server's own CPU time per step (its threads,
//! not the step processes) and its memory.

use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::future::try_join_all;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::node::{Node, now_ns, stamps};
use super::percentile_ms;
use crate::factory::Figure;
use crate::rss;

/// The median time of `sh -c 'date +%s%N'` spawned bare, ns: the steps' own time.
async fn bare_process_ns() -> anyhow::Result<u64> {
    let mut times = Vec::new();
    for _ in 0..21 {
        let t = std::time::Instant::now();
        let out = tokio::process::Command::new("/bin/sh").arg("-c").arg("date +%s%N").output().await?;
        if !out.status.success() {
            bail!("date +%s%N failed on this host");
        }
        times.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    times.sort_unstable();
    Ok(times[times.len() / 2])
}

/// The server's own CPU time so far (user + system of its threads, not of the step processes it reaped), ns.
fn cpu_ns(pid: u32, tick_ns: u64) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks * tick_ns)
}

/// Nanoseconds per clock tick (`getconf CLK_TCK`).
async fn tick_ns() -> anyhow::Result<u64> {
    let out = tokio::process::Command::new("getconf").arg("CLK_TCK").output().await?;
    let hz: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().context("getconf CLK_TCK")?;
    Ok(1_000_000_000 / hz.max(1))
}

/// The step stamps of one finished run, in order.
async fn run_stamps(node: &Node, id: i64, steps: u32) -> anyhow::Result<Vec<i128>> {
    let d = node.json(Method::GET, &format!("/api/pipeline-runs/{id}/"), None, 200).await?;
    let times: Vec<i128> = d["steps"].as_array().into_iter().flatten().filter_map(first_stamp).collect();
    if times.len() != steps as usize {
        bail!("run {id} printed {} stamps for {steps} steps", times.len());
    }
    Ok(times)
}

/// Per-step latency of one run alone, the server's CPU per step and its memory for `runs` runs at once.
pub async fn runs_at_once(node: &Node, backend: &str, runs: u32, steps: u32) -> anyhow::Result<Vec<Figure>> {
    let step = json!({"name": "stamp", "type": "shell_command", "config": {"command": "date +%s%N"}});
    let pipeline = node.pipeline(json!({"name": "concurrent bench", "steps": vec![step; steps as usize]})).await?;
    let own = bare_process_ns().await?;
    let tick = tick_ns().await?;
    let pid = node.server.pid().context("the server has no pid")?;
    let run_path = format!("/api/pipelines/{pipeline}/run/");

    let alone = node.json(Method::POST, &run_path, None, 201).await?["id"].as_i64().context("no run id")?;
    node.finished(alone).await?;
    let times = run_stamps(node, alone, steps).await?;
    let mut gaps: Vec<u64> =
        times.windows(2).map(|w| u64::try_from((w[1] - w[0]).max(0)).unwrap_or(u64::MAX).saturating_sub(own)).collect();
    gaps.sort_unstable();

    let idle = rss::read_kib(pid).unwrap_or(0);
    let cpu_before = cpu_ns(pid, tick).context("cannot read the server's CPU time")?;
    let stop = CancellationToken::new();
    let peak = rss::sample_peak(pid, stop.clone());
    let started = now_ns();
    let created = try_join_all((0..runs).map(|_| node.json(Method::POST, &run_path, None, 201))).await?;
    let ids: Vec<i64> = created.iter().filter_map(|r| r["id"].as_i64()).collect();
    wait_all(node, pipeline, runs + 1).await?;
    let cpu = cpu_ns(pid, tick).unwrap_or(cpu_before).saturating_sub(cpu_before);
    stop.cancel();
    let peak = peak.await.unwrap_or(0);
    let mut last = started;
    for id in ids {
        last = last.max(*run_stamps(node, id, steps).await?.last().unwrap_or(&started));
    }
    let wall_s = (last - started) as f64 / 1e9;
    let cpu_per_step_ms = cpu as f64 / 1e6 / f64::from(runs * steps);
    let batch = |what: &str| format!("{what}, {runs} runs × {steps} steps at once ({backend})");
    let one = |what: &str| format!("{what}, one run of {steps} steps alone ({backend})");
    let figure = |name: String, value: f64, unit: &'static str, goal: &'static str| Figure {
        scenario: "concurrent",
        name,
        value,
        unit,
        goal,
    };
    Ok(vec![
        figure(one("step-to-step overhead p50"), percentile_ms(&gaps, 50.0), "ms", "< 10"),
        figure(one("step-to-step overhead max"), percentile_ms(&gaps, 100.0), "ms", "-"),
        figure(format!("the step's own time, spawned bare ({backend})"), own as f64 / 1e6, "ms", "-"),
        figure(batch("wall time"), wall_s, "s", "all complete"),
        figure(batch("server CPU per step"), cpu_per_step_ms, "ms", "< 10"),
        figure(batch("server RSS idle"), rss::kib_to_mb(idle), "MB", "-"),
        figure(batch("server RSS peak"), rss::kib_to_mb(peak), "MB", "-"),
    ])
}

fn first_stamp(step: &Value) -> Option<i128> {
    stamps(step["log"].as_str()?).first().copied()
}

/// Polls the pipeline's run list (one request every 250 ms) until `runs` runs have ended; fails on any failure.
async fn wait_all(node: &Node, pipeline: i64, runs: u32) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(900);
    let path = format!("/api/pipelines/{pipeline}/runs/?page_size=100");
    loop {
        let mut done = 0;
        let mut page = Some(path.clone());
        while let Some(p) = page {
            let list = node.json(Method::GET, &p, None, 200).await?;
            for r in list["results"].as_array().into_iter().flatten() {
                match r["status"].as_str() {
                    Some("success") => done += 1,
                    Some("failed" | "cancelled") => bail!("run {} ended {}: {}", r["id"], r["status"], r["error"]),
                    _ => {}
                }
            }
            page = list["next"].as_str().and_then(|n| n.find("/api/").map(|i| n[i..].to_owned()));
        }
        if done >= runs {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("only {done} of {runs} runs finished");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
