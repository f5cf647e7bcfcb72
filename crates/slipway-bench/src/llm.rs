//! `slipway-bench llm --scenario overhead`: what the LLM runtime adds to a call beyond the provider's own time.
//!
//! A mock provider on loopback answers every call after a fixed delay and records, per request, the time from
//! receiving it to having the answer ready (its "own time"). Each call's overhead is its time at the caller
//! minus that own time, measured for three callers, sequentially and with concurrent callers:
//!
//! - `raw-http`: a bare reqwest POST of a prepared body (the loopback and HTTP client share, for reference);
//! - `llm-miss`: `Llm::chat` with a fresh question each time (cache lookup and insert, request building,
//!   response decoding, the usage row queued);
//! - `llm-hit`: `Llm::chat` answered from the cache (no provider: the whole call is overhead).
//!
//! Everything runs in this process on a temporary SQLite database.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::json;
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_llm::{CallInfo, Chain, ChatRequest, Llm, LlmSettings, Message, RetryPolicy};
use slipway_store::{Db, PoolSettings, Sealer};
use tokio_util::sync::CancellationToken;

use crate::cli::{LlmArgs, LlmScenario, dedup};

/// Unrecorded calls before each run.
const WARMUP: u32 = 100;
/// The goal for the runtime's own share of a call.
const GOAL_US: f64 = 1000.0;

/// One run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct LlmRow {
    /// `raw-http`, `llm-miss` or `llm-hit`.
    pub caller: String,
    /// Concurrent callers.
    pub concurrency: u32,
    /// Calls measured.
    pub calls: u64,
    /// The provider's own time per call, mean, milliseconds.
    pub provider_ms: f64,
    /// Call time minus provider time, microseconds: median.
    pub overhead_p50_us: u64,
    /// 99th percentile.
    pub overhead_p99_us: u64,
    /// Mean.
    pub overhead_mean_us: f64,
    /// Worst.
    pub overhead_max_us: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    Raw,
    Miss,
    Hit,
}

impl Caller {
    fn name(self) -> &'static str {
        match self {
            Self::Raw => "raw-http",
            Self::Miss => "llm-miss",
            Self::Hit => "llm-hit",
        }
    }
}

struct Rig {
    mock: MockProvider,
    llm: Llm,
    chain: Chain,
    http: reqwest::Client,
}

/// Runs the scenarios and prints a table, or JSON with `--json`.
pub async fn run(args: LlmArgs, command: &str) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&url, &PoolSettings::default()).await?;
    db.migrate().await?;
    let mock = MockProvider::start().await;
    mock.set_default(MockReply::text("The answer is 42.").usage(20, 5).delay(Duration::from_millis(args.latency_ms)));
    let settings = LlmSettings { cache_entries: 10_000, ..LlmSettings::default() };
    let llm = Llm::new(db.clone(), settings, Sealer::from_secret("slipway-bench sealing secret, 32+ chars"))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let link = mock.config("deepseek").with_timeout(Duration::from_secs(30)).with_retry(RetryPolicy::none());
    let rig = Arc::new(Rig { chain: Chain::single(link), http: reqwest::Client::new(), mock, llm });

    let mut rows = Vec::new();
    let mut llm_calls = 0u64;
    for scenario in dedup(&args.scenario) {
        match scenario {
            LlmScenario::Overhead => {
                for concurrency in dedup(&args.concurrency) {
                    for caller in [Caller::Raw, Caller::Miss, Caller::Hit] {
                        eprintln!("slipway-bench: llm overhead, {} at concurrency {concurrency}", caller.name());
                        let row = measure(&rig, caller, concurrency, args.calls).await?;
                        if caller != Caller::Raw {
                            llm_calls += u64::from(args.calls + WARMUP);
                        }
                        rows.push(row);
                    }
                }
            }
        }
    }
    rig.llm.flush_usage().await;
    let recorded = rig.llm.usage_for(None, None).await.map_err(|e| anyhow::anyhow!("{e}"))?.len() as u64;
    // Hit runs warm their key with one provider call first.
    let expected = llm_calls + rows.iter().filter(|r| r.caller == "llm-hit").count() as u64;
    if recorded != expected || rig.llm.dropped_usage_rows() > 0 {
        anyhow::bail!("usage rows: {recorded} written, {expected} expected, {} dropped", rig.llm.dropped_usage_rows());
    }
    if args.json {
        let out = json!({"command": command, "latency_ms": args.latency_ms, "goal_us": GOAL_US, "usage_rows": recorded, "rows": rows});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", table(&rows, args.latency_ms));
    }
    Ok(())
}

/// The question of call `i` of a run: unique per call, except for cache hits, which all ask the same.
fn question(caller: Caller, concurrency: u32, i: u32) -> String {
    match caller {
        Caller::Hit => format!("hit-{concurrency}"),
        other => format!("{}-{concurrency}-{i}", other.name()),
    }
}

fn request(text: &str) -> ChatRequest {
    ChatRequest { messages: vec![Message::system("Answer briefly."), Message::user(text)], ..ChatRequest::default() }
}

/// One call; returns its time at the caller.
async fn call(rig: &Rig, caller: Caller, text: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    match caller {
        Caller::Raw => {
            let body = json!({"model": "deepseek-chat", "messages": [
                {"role": "system", "content": "Answer briefly."}, {"role": "user", "content": text}]});
            let response = rig
                .http
                .post(format!("{}/v1/chat/completions", rig.mock.url()))
                .bearer_auth("test-key")
                .json(&body)
                .send()
                .await?
                .error_for_status()?;
            response.bytes().await?;
        }
        Caller::Miss | Caller::Hit => {
            let info = CallInfo::for_user(1).cached();
            let r = rig.llm.chat(&rig.chain, request(text), info, &CancellationToken::new()).await?;
            if r.cached != (caller == Caller::Hit) {
                anyhow::bail!("{}: call {text:?} was {}cached", caller.name(), if r.cached { "" } else { "not " });
            }
        }
    }
    Ok(started.elapsed())
}

async fn measure(rig: &Arc<Rig>, caller: Caller, concurrency: u32, calls: u32) -> anyhow::Result<LlmRow> {
    if caller == Caller::Hit {
        // One provider call puts the answer in the cache.
        let info = CallInfo::for_user(1).cached();
        let text = question(caller, concurrency, 0);
        rig.llm.chat(&rig.chain, request(&text), info, &CancellationToken::new()).await?;
    }
    for i in 0..WARMUP {
        let text = match caller {
            Caller::Hit => question(caller, concurrency, i),
            other => format!("warmup-{}-{concurrency}-{i}", other.name()),
        };
        call(rig, caller, &text).await?;
    }
    rig.mock.clear_requests();
    let per_worker = calls.div_ceil(concurrency);
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let rig = Arc::clone(rig);
        let range = (w * per_worker)..((w + 1) * per_worker).min(calls);
        workers.push(tokio::spawn(async move {
            let mut timed = Vec::with_capacity(range.len());
            for i in range {
                let text = question(caller, concurrency, i);
                timed.push((text.clone(), call(&rig, caller, &text).await?));
            }
            anyhow::Ok(timed)
        }));
    }
    let mut timed = Vec::with_capacity(calls as usize);
    for w in workers {
        timed.extend(w.await??);
    }
    let own: HashMap<String, Duration> = rig
        .mock
        .requests()
        .into_iter()
        .filter_map(|r| {
            let text = r.body["messages"].as_array()?.last()?["content"].as_str()?.to_owned();
            Some((text, r.service_time))
        })
        .collect();
    let mut overhead = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut provider_total = Duration::ZERO;
    for (text, elapsed) in &timed {
        let provider = match caller {
            Caller::Hit => Duration::ZERO,
            _ => *own.get(text).ok_or_else(|| anyhow::anyhow!("the provider never saw {text:?}"))?,
        };
        provider_total += provider;
        let us = u64::try_from(elapsed.saturating_sub(provider).as_micros()).unwrap_or(u64::MAX).max(1);
        overhead.saturating_record(us);
    }
    if caller == Caller::Hit && !own.is_empty() {
        anyhow::bail!("{} cache hits reached the provider", own.len());
    }
    let n = timed.len() as u64;
    Ok(LlmRow {
        caller: caller.name().to_owned(),
        concurrency,
        calls: n,
        provider_ms: provider_total.as_secs_f64() * 1000.0 / n.max(1) as f64,
        overhead_p50_us: overhead.value_at_quantile(0.50),
        overhead_p99_us: overhead.value_at_quantile(0.99),
        overhead_mean_us: overhead.mean(),
        overhead_max_us: overhead.max(),
    })
}

fn table(rows: &[LlmRow], latency_ms: u64) -> String {
    let mut out = format!(
        "LLM runtime overhead (call time minus the mock provider's own time; provider latency {latency_ms} ms)\n\
         {:<10} {:>5} {:>7} {:>12} {:>9} {:>9} {:>10} {:>9}  goal: runtime p50 < {GOAL_US} us\n",
        "caller", "conc", "calls", "provider ms", "p50 us", "p99 us", "mean us", "max us"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<10} {:>5} {:>7} {:>12.2} {:>9} {:>9} {:>10.1} {:>9}\n",
            r.caller,
            r.concurrency,
            r.calls,
            r.provider_ms,
            r.overhead_p50_us,
            r.overhead_p99_us,
            r.overhead_mean_us,
            r.overhead_max_us
        ));
    }
    out
}
