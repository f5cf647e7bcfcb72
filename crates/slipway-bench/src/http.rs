//! `slipway-bench http`: for each scenario a fresh server (or `--url`), then one run per connection count.

use std::time::Duration;

use anyhow::Context;

use crate::child::ChildServer;
use crate::cli::{HttpArgs, Scenario, dedup};
use crate::load::{self, Outcome, Plan};
use crate::prepare;
use crate::report::{self, Row};
use crate::rss;
use crate::stats::{LatencyMs, rate, round};
use crate::target::Target;

/// Idle time between the server announcing itself and the "before" memory reading.
const SETTLE: Duration = Duration::from_millis(200);

/// Runs every (scenario, connections) combination and prints the table, or JSON with `--json`.
pub async fn run(args: HttpArgs, command: &str) -> anyhow::Result<()> {
    let scenarios = dedup(&args.scenario);
    let counts = dedup(&args.connections);
    let mut rows = Vec::with_capacity(scenarios.len() * counts.len());
    for scenario in scenarios {
        let mut child = None;
        let base = match &args.url {
            Some(base) => Target::resolve(base, "/").await?,
            None => {
                let server = ChildServer::start(scenario.server()).await?;
                let target = Target::local(server.addr(), "/")?;
                child = Some(server);
                target
            }
        };
        if child.is_some() {
            tokio::time::sleep(SETTLE).await;
        }
        let pid = child.as_ref().and_then(ChildServer::pid);
        let rss_before_kib = pid.and_then(rss::read_kib);
        let prepared = prepare::prepare(scenario, &base).await?;
        let target = prepared.main;
        let (status, _) = load::once(&target).await?;
        if !status.is_success() {
            eprintln!("slipway-bench: warning: {} answered {status}; every such answer counts as an error", target.url);
        }
        for &connections in &counts {
            let plan = Plan { connections, warmup: args.warmup, duration: args.duration };
            eprintln!(
                "slipway-bench: {} with {connections} connections on {} ({} s warmup, {} s recorded)",
                scenario.name(),
                target.url,
                plan.warmup.as_secs_f64(),
                plan.duration.as_secs_f64()
            );
            let beside = prepared.background.as_ref().map(|bg| {
                let plan = Plan { connections: prepare::BACKGROUND_CONNECTIONS, ..plan };
                let bg = bg.clone();
                tokio::spawn(async move { load::run(&bg, plan, None).await })
            });
            let outcome = load::run(&target, plan, pid).await?;
            if let Some(task) = beside {
                let bg = task.await.context("the background load failed")??;
                eprintln!(
                    "slipway-bench: beside it, {} requests/s of background load with {} errors",
                    round(rate(bg.tally.requests(), plan.duration), 1),
                    bg.tally.errors
                );
            }
            if let Some(server) = child.as_mut() {
                server.ensure_running()?;
            }
            rows.push(row(scenario, plan, &outcome, rss_before_kib));
        }
        if let Some(mut server) = child {
            server.stop().await?;
        }
    }
    report::fill_ratios(&mut rows);
    if args.json {
        println!("{}", report::json(command, &rows)?);
    } else {
        print!("{}", report::table(&rows));
    }
    Ok(())
}

fn row(scenario: Scenario, plan: Plan, outcome: &Outcome, rss_before_kib: Option<u64>) -> Row {
    let requests = outcome.tally.requests();
    let latency = outcome.tally.latency_ms();
    let ms = |v: Option<f64>| v.map(|v| round(v, 3));
    let mb = |v: Option<u64>| v.map(|kib| round(rss::kib_to_mb(kib), 2));
    Row {
        scenario: scenario.name().to_owned(),
        connections: plan.connections,
        duration_secs: plan.duration.as_secs_f64(),
        requests,
        requests_per_sec: round(rate(requests, plan.duration), 2),
        latency_ms: LatencyMs {
            p50: ms(latency.p50),
            p90: ms(latency.p90),
            p99: ms(latency.p99),
            max: ms(latency.max),
        },
        errors: outcome.tally.errors,
        rss_before_mb: mb(rss_before_kib),
        rss_under_load_mb: mb(outcome.rss_max_kib),
        ratio_to_baseline: None,
    }
}
