//! `plan-streams`: many pet-planner clients at once, each creating a diet plan with `Accept: text/event-stream`
//! through the whole HTTP application and reading the plan's events until `task_completed`. The provider is the
//! local test provider with a fixed latency (response cache off, so every plan really calls it). Delivery is
//! measured from an event's commit time in the job log to the moment its client parsed it; the server's resident
//! memory is sampled while the streams run.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::json;
use slipway_core::Role;
use slipway_core::config::{Config, RateLimitConfig};
use slipway_engine::Engine;
use slipway_identity::{Registration, RequestMeta, Rules};
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_llm::{Llm, LlmSettings};
use slipway_store::{Db, Sealer};

use super::EngineRow;
use crate::cli::EngineArgs;
use crate::stats::{Tally, round};

/// The provider's own time per answer.
const PROVIDER_LATENCY: Duration = Duration::from_millis(200);

fn plan_reply() -> MockReply {
    let week = |n: i64| json!({"week": n, "meals": [{"time": "08:00", "food": "kibble", "amount_g": 150}]});
    MockReply::tool_call(
        "write_plan",
        json!({
            "ai_suggestions": "Two meals a day.",
            "pet_information": {"pet_type": "dog", "daily_calories_kcal": 1100},
            "pet_diet_plan": {"daily_calories_kcal": 1100, "meals_per_day": 2, "weeks": [week(1), week(2), week(3), week(4)]}
        }),
    )
    .with_text("正在规划任务...")
    .delay(PROVIDER_LATENCY)
}

/// One stream as its client saw it: the events by sequence number with the wall-clock time each was parsed, and
/// whether it ended with `task_completed`.
struct Seen {
    job_id: i64,
    received: Vec<(i64, chrono::DateTime<chrono::Utc>)>,
    completed: bool,
}

pub async fn run(db: &Db, args: &EngineArgs) -> anyhow::Result<EngineRow> {
    slipway::install_crypto_provider();
    let dir = tempfile::tempdir()?;
    let mock = MockProvider::start().await;
    mock.set_default(plan_reply());
    let settings =
        LlmSettings { server_default: Some(mock.config("deepseek")), cache_entries: 0, ..LlmSettings::default() };
    let llm = Llm::new(db.clone(), settings, Sealer::from_secret("the bench's secret key, 32 chars or more")).await?;
    let streams = args.subscribers as usize;
    let runtime = slipway_agents::Runtime { llm: llm.clone(), db: db.clone() };
    let engine_settings = super::settings(args, dir.path(), streams.max(usize::from(args.workers)));
    let engine = slipway_agents::register(Engine::builder(db.clone(), engine_settings), &runtime).start().await?;
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        rate_limits: RateLimitConfig { enabled: false, ..RateLimitConfig::default() },
        ..Config::default()
    };
    let servers = slipway::wiring::servers(&config, db).await?;
    let state = slipway::wiring::app_state(&config, db.clone(), engine.clone(), llm, servers).await?;
    let owner = Registration {
        username: "bench-owner".into(),
        email: "bench-owner@example.com".into(),
        password: "Bench-Pass-123!".into(),
        full_name: String::new(),
        role: Some(Role::User),
    };
    let user = state.identity.create_user_as_system(&owner, Rules::QODER).await?;
    let token = state
        .identity
        .login("bench-owner", "Bench-Pass-123!", false, &RequestMeta::default())
        .await?
        .tokens
        .access_token;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(slipway_http::connection::serve(listener, slipway_http::router(state)).into_future());

    let peak_kib = Arc::new(AtomicU64::new(crate::rss::read_kib(std::process::id()).unwrap_or(0)));
    let sampler = {
        let peak = Arc::clone(&peak_kib);
        tokio::spawn(async move {
            loop {
                if let Some(kib) = crate::rss::read_kib(std::process::id()) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
    let url = format!("http://{addr}/api/v1/plans/create");
    let begun = Instant::now();
    let mut clients = Vec::with_capacity(streams);
    for i in 0..streams {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        clients.push(tokio::spawn(async move {
            let body = json!({"pet_type": "dog", "age": 3, "pet_weight": 10 + i});
            let response =
                client.post(&url).bearer_auth(&token).header("accept", "text/event-stream").json(&body).send().await?;
            anyhow::ensure!(response.status().is_success(), "plan stream answered {}", response.status());
            let mut events = response.bytes_stream().eventsource();
            let mut seen = Seen { job_id: 0, received: Vec::new(), completed: false };
            while let Some(Ok(e)) = events.next().await {
                let at = slipway_core::time::now();
                if e.event == "task_started" {
                    let data: serde_json::Value = serde_json::from_str(&e.data)?;
                    seen.job_id = data["task_id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
                }
                if let Ok(seq) = e.id.parse::<i64>() {
                    seen.received.push((seq, at));
                }
                seen.completed |= e.event == "task_completed";
            }
            Ok(seen)
        }));
    }
    let mut seen = Vec::with_capacity(streams);
    for c in clients {
        seen.push(c.await.context("a plan client panicked")??);
    }
    let elapsed = begun.elapsed();
    sampler.abort();
    server.abort();

    let incomplete = seen.iter().filter(|s| !s.completed).count();
    let mut tally = Tally::new()?;
    let principal = slipway_core::Principal { user_id: user.id, username: user.username.clone(), role: Role::User };
    for s in &seen {
        let log: Vec<_> = engine.subscribe(&principal, s.job_id, 0).await?.collect().await;
        let committed: HashMap<i64, chrono::DateTime<chrono::Utc>> =
            log.into_iter().filter_map(Result::ok).map(|e| (e.seq, e.at)).collect();
        for (seq, at) in &s.received {
            if let Some(c) = committed.get(seq) {
                tally.success((*at - *c).to_std().unwrap_or_default());
            }
        }
    }
    super::stop(engine).await;
    anyhow::ensure!(incomplete == 0, "{incomplete} of {streams} plan streams did not complete");
    let mut row =
        EngineRow::new("plan-streams", "events", tally.requests(), elapsed.as_secs_f64(), "all complete; p99 < 50 ms");
    row.latency_ms = tally.latency_ms();
    row.mean_ms = Some(round(tally.latency_us.mean() / 1000.0, 3));
    row.rss_mb = Some(round(crate::rss::kib_to_mb(peak_kib.load(Ordering::Relaxed)), 1));
    row.met = row.latency_ms.p99.is_some_and(|v| v < 50.0);
    Ok(row)
}
