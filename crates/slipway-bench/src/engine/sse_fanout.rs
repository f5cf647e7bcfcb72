//! `sse-fanout`: the `fanout` scenario through the whole HTTP application. The job's events are read by real
//! SSE clients on `/api/jobs/{id}/events` (token checked, middleware stack, `text/event-stream` framing), all in
//! this process, so delivery is measured from the emitter's clock to the moment a client has parsed the event.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::{Value, json};
use slipway_core::Role;
use slipway_core::config::{Config, RateLimitConfig};
use slipway_engine::EnqueueOptions;
use slipway_identity::{Registration, RequestMeta, Rules};
use slipway_store::Db;

use super::{EngineRow, executors};
use crate::cli::EngineArgs;
use crate::stats::{Tally, round};

/// Time the subscribers get to connect before the job starts emitting.
const ATTACH: Duration = Duration::from_secs(10);

pub async fn run(db: &Db, args: &EngineArgs) -> anyhow::Result<EngineRow> {
    slipway::install_crypto_provider();
    let dir = tempfile::tempdir()?;
    let engine =
        super::start(db, super::settings(args, dir.path(), usize::from(args.workers)), executors::Probe(None)).await?;
    executors::epoch();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        rate_limits: RateLimitConfig { enabled: false, ..RateLimitConfig::default() },
        ..Config::default()
    };
    let llm = slipway::wiring::llm(&config, db).await?;
    let servers = slipway::wiring::servers(&config, db).await?;
    let state = slipway::wiring::app_state(&config, db.clone(), engine.clone(), llm, servers).await?;
    let admin = Registration {
        username: "bench-admin".into(),
        email: "bench-admin@example.com".into(),
        password: "Bench-Pass-123!".into(),
        full_name: String::new(),
        role: Some(Role::Admin),
    };
    state.identity.create_user_as_system(&admin, Rules::QODER).await?;
    let token = state
        .identity
        .login("bench-admin", "Bench-Pass-123!", false, &RequestMeta::default())
        .await?
        .tokens
        .access_token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(slipway_http::connection::serve(listener, slipway_http::router(state)).into_future());

    let count = (args.duration.as_secs_f64() * f64::from(args.events_per_sec)).round() as u64;
    let input = json!({ "count": count, "per_sec": args.events_per_sec });
    let start_at = slipway_core::time::now() + chrono::Duration::from_std(ATTACH)?;
    let options = EnqueueOptions { scheduled_for: Some(start_at), ..EnqueueOptions::default() };
    let job = engine.enqueue_system(None, "bench.emit", input, options).await?;

    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
    let url = format!("http://{addr}/api/jobs/{}/events", job.id);
    let attached = Arc::new(AtomicUsize::new(0));
    let mut subscribers = Vec::with_capacity(args.subscribers as usize);
    for _ in 0..args.subscribers {
        let response = client.get(&url).bearer_auth(&token).send().await.context("an SSE client could not connect")?;
        anyhow::ensure!(response.status().is_success(), "SSE answered {}", response.status());
        let attached = Arc::clone(&attached);
        subscribers.push(tokio::spawn(async move {
            let mut events = response.bytes_stream().eventsource();
            let mut delays_us: Vec<u32> = Vec::new();
            attached.fetch_add(1, Ordering::Relaxed);
            while let Some(Ok(e)) = events.next().await {
                let Ok(data) = serde_json::from_str::<Value>(&e.data) else { break };
                if let Some(t) = data["payload"]["t_us"].as_u64() {
                    delays_us.push(u32::try_from(executors::micros().saturating_sub(t)).unwrap_or(u32::MAX));
                }
            }
            delays_us
        }));
    }
    while attached.load(Ordering::Relaxed) < args.subscribers as usize {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::ensure!(slipway_core::time::now() < start_at, "SSE clients took longer than {ATTACH:?} to connect");

    let begun = Instant::now();
    let mut tally = Tally::new()?;
    let mut short = 0;
    for s in subscribers {
        let delays = s.await?;
        if (delays.len() as u64) < count {
            short += 1;
        }
        for us in delays {
            tally.success(Duration::from_micros(u64::from(us)));
        }
    }
    let elapsed = begun.elapsed();
    server.abort();
    super::stop(engine).await;
    anyhow::ensure!(short == 0, "{short} SSE clients missed events");
    let mut row = EngineRow::new("sse-fanout", "deliveries", tally.requests(), elapsed.as_secs_f64(), "p99 < 50 ms");
    row.latency_ms = tally.latency_ms();
    row.mean_ms = Some(round(tally.latency_us.mean() / 1000.0, 3));
    row.met = row.latency_ms.p99.is_some_and(|v| v < 50.0);
    Ok(row)
}
