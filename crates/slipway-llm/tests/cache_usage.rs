//! The response cache (hits, misses, hit rate, switching it off, streamed hits) and the usage rows every call
//! leaves, with their cost, on both backends.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ask, llm_on, llm_sqlite};
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_llm::{CacheStats, CallInfo, Chain, LlmSettings, PriceTable};
use slipway_store::{Db, backend_tests};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A call of user 1 that asks for the cache.
fn me() -> CallInfo {
    CallInfo::for_user(1).cached()
}

#[tokio::test]
async fn the_same_question_is_answered_once_and_counted() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    let chain = Chain::single(mock.config("deepseek"));
    let cancel = CancellationToken::new();
    assert_eq!(llm.cache_stats().hit_rate(), 0.0, "no lookups yet");

    let first = llm.chat(&chain, ask("capital of France?"), me(), &cancel).await.unwrap();
    let second = llm.chat(&chain, ask("capital of France?"), me(), &cancel).await.unwrap();
    assert!(!first.cached && second.cached);
    assert_eq!((second.content, second.usage), (first.content, first.usage));
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(llm.cache_stats(), CacheStats { hits: 1, misses: 1 });
    assert_eq!(llm.cache_stats().hit_rate(), 50.0);

    // Another question, model or parameters is another key.
    llm.chat(&chain, ask("capital of Spain?"), me(), &cancel).await.unwrap();
    let hot = slipway_llm::ChatRequest { temperature: Some(1.2), ..ask("capital of France?") };
    llm.chat(&chain, hot, me(), &cancel).await.unwrap();
    let other_model =
        Chain::single(slipway_llm::ProviderConfig { model: "deepseek-reasoner".into(), ..mock.config("deepseek") });
    llm.chat(&other_model, ask("capital of France?"), me(), &cancel).await.unwrap();
    assert_eq!(mock.requests().len(), 4);
    assert_eq!(llm.cache_stats(), CacheStats { hits: 1, misses: 4 });

    // Switched off per call: no lookup, no count, the provider is asked.
    let off = CallInfo::for_user(1);
    let r = llm.chat(&chain, ask("capital of France?"), off, &cancel).await.unwrap();
    assert!(!r.cached);
    assert_eq!((mock.requests().len(), llm.cache_stats()), (5, CacheStats { hits: 1, misses: 4 }));

    // A streamed call may be answered from the cache: the whole text as one delta.
    let (tx, mut rx) = mpsc::channel(8);
    let r = llm.chat_stream(&chain, ask("capital of France?"), me(), &cancel, tx).await.unwrap();
    assert!(r.cached);
    assert_eq!(rx.recv().await.as_deref(), Some(r.content.as_str()));
    assert_eq!(llm.cache_stats().hits, 2);
}

#[tokio::test]
async fn a_fallbacks_answer_is_found_even_while_the_primary_is_down() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    let chain = Chain::new(vec![first.config("deepseek"), second.config("anthropic")]).unwrap();
    first.push_all((0..3).map(|_| MockReply::status(503, "{}")));
    let cancel = CancellationToken::new();
    let r = llm.chat(&chain, ask("hi"), me(), &cancel).await.unwrap();
    assert_eq!(r.provider, "anthropic");
    let again = llm.chat(&chain, ask("hi"), me(), &cancel).await.unwrap();
    assert!(again.cached && again.provider == "anthropic");
    assert_eq!(first.requests().len(), 3, "the hit asked nobody");
}

#[tokio::test]
async fn a_zero_sized_cache_is_off() {
    let (llm, _db) = llm_sqlite(LlmSettings { cache_entries: 0, ..LlmSettings::default() }).await;
    let mock = MockProvider::start().await;
    let chain = Chain::single(mock.config("google"));
    for _ in 0..2 {
        assert!(!llm.chat(&chain, ask("hi"), me(), &CancellationToken::new()).await.unwrap().cached);
    }
    assert_eq!((mock.requests().len(), llm.cache_stats()), (2, CacheStats::default()));
}

#[tokio::test]
async fn rows_reach_the_database_on_their_own_and_when_the_runtime_goes() {
    let t = slipway_store::testing::sqlite().await;
    let llm = llm_on(t.db.clone(), LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    let chain = Chain::single(mock.config("deepseek"));
    let call = CallInfo { user_id: Some(5), job_id: None, ..CallInfo::default() };
    let count = |db: Db| async move {
        let filter = slipway_store::llm::LlmUsageFilter { user_id: Some(5), ..Default::default() };
        db.llm_usage(&filter).await.unwrap().len()
    };
    llm.chat(&chain, ask("one"), call, &CancellationToken::new()).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while count(t.db.clone()).await < 1 {
        assert!(std::time::Instant::now() < deadline, "the writer never wrote the row");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    llm.chat(&chain, ask("two"), call, &CancellationToken::new()).await.unwrap();
    drop(llm);
    while count(t.db.clone()).await < 2 {
        assert!(std::time::Instant::now() < deadline, "the last row was lost with the runtime");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

backend_tests! {
    async fn every_call_leaves_a_usage_row_with_its_cost(db: Db) {
        let llm = llm_on(db.clone(), LlmSettings::default()).await;
        let (first, second) = (MockProvider::start().await, MockProvider::start().await);
        let cancel = CancellationToken::new();
        let call = CallInfo { user_id: Some(7), job_id: Some(42), use_cache: true, ..CallInfo::default() };

        first.push(MockReply::text("Paris.").usage(1_000_000, 500_000));
        let chain = Chain::single(first.config("deepseek"));
        llm.chat(&chain, ask("capital?"), call, &cancel).await.unwrap();
        llm.chat(&chain, ask("capital?"), call, &cancel).await.unwrap();
        first.push_all((0..3).map(|_| MockReply::status(503, r#"{"error":{"message":"overloaded"}}"#)));
        second.push(MockReply::text("Oslo.").usage(2_000, 10));
        let fallback = Chain::new(vec![first.config("deepseek"), second.config("anthropic")]).unwrap();
        let other = CallInfo { user_id: Some(7), job_id: Some(43), use_cache: true, ..CallInfo::default() };
        llm.chat(&fallback, ask("capital of Norway?"), other, &cancel).await.unwrap();
        llm.chat(&chain, ask("for someone else"), CallInfo::for_user(8), &cancel).await.unwrap();
        llm.flush_usage().await;

        let rows = llm.usage_for(Some(7), Some(42)).await.unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        let (hit, miss) = (&rows[0], &rows[1]);
        assert_eq!((miss.provider.as_str(), miss.model.as_str(), miss.status.as_str()), ("deepseek", "deepseek-chat", "ok"));
        assert_eq!((miss.prompt_tokens, miss.completion_tokens, miss.cached), (1_000_000, 500_000, false));
        assert!((miss.cost - (0.27 + 0.55)).abs() < 1e-9, "{}", miss.cost);
        assert!(hit.cached && hit.cost == 0.0 && hit.status == "ok" && hit.prompt_tokens == 1_000_000);
        assert!(hit.created_at >= miss.created_at);

        let rows = llm.usage_for(Some(7), Some(43)).await.unwrap();
        assert_eq!(rows.len(), 2, "one row per provider tried: {rows:?}");
        let (ok, failed) = (&rows[0], &rows[1]);
        assert_eq!((failed.provider.as_str(), failed.status.as_str()), ("deepseek", "error"));
        assert!(failed.error.as_deref().unwrap().contains("overloaded"), "{failed:?}");
        assert_eq!((failed.prompt_tokens, failed.cost), (0, 0.0));
        assert_eq!((ok.provider.as_str(), ok.model.as_str(), ok.status.as_str()), ("anthropic", "claude-3-sonnet", "ok"));
        assert!((ok.cost - (2_000.0 * 3.0 + 10.0 * 15.0) / 1e6).abs() < 1e-12, "{}", ok.cost);
        assert!(ok.error.is_none());

        assert_eq!(llm.usage_for(Some(7), None).await.unwrap().len(), 4);
        assert_eq!(llm.usage_for(Some(8), None).await.unwrap().len(), 1);
        assert_eq!(llm.usage_for(None, None).await.unwrap().len(), 5);
        assert_eq!(llm.dropped_usage_rows(), 0);
    }

    async fn the_price_table_can_be_overridden(db: Db) {
        let prices = PriceTable::load(r#"{"deepseek-chat": {"prompt": 10, "completion": 20}}"#).unwrap();
        let llm = llm_on(db, LlmSettings { prices, ..LlmSettings::default() }).await;
        let mock = MockProvider::start().await;
        mock.push(MockReply::text("x").usage(100_000, 50_000));
        let call = CallInfo { user_id: Some(1), job_id: None, ..CallInfo::default() };
        llm.chat(&Chain::single(mock.config("deepseek")), ask("q"), call, &CancellationToken::new()).await.unwrap();
        let local = slipway_llm::ProviderConfig::new("ollama", Some("deepseek-chat"), Some(&mock.url()), None).unwrap();
        llm.chat(&Chain::single(local), ask("q"), call, &CancellationToken::new()).await.unwrap();
        llm.flush_usage().await;
        let rows = llm.usage_for(Some(1), None).await.unwrap();
        assert_eq!(rows[0].provider, "ollama");
        assert_eq!(rows[0].cost, 0.0, "self-hosted models cost nothing");
        assert!((rows[1].cost - 2.0).abs() < 1e-9, "{}", rows[1].cost);
    }

    async fn many_rows_are_written_in_batches(db: Db) {
        let llm = llm_on(db.clone(), LlmSettings { cache_entries: 0, ..LlmSettings::default() }).await;
        let mock = MockProvider::start().await;
        let chain = Chain::single(mock.config("moonshot"));
        let calls = (0..120).map(|i| {
            let (llm, chain) = (llm.clone(), chain.clone());
            tokio::spawn(async move {
                let call = CallInfo { user_id: Some(3), job_id: Some(i % 4), ..CallInfo::default() };
                llm.chat(&chain, ask(&format!("q{i}")), call, &CancellationToken::new()).await.unwrap();
            })
        });
        for c in calls.collect::<Vec<_>>() {
            c.await.unwrap();
        }
        llm.flush_usage().await;
        assert_eq!(llm.usage_for(Some(3), None).await.unwrap().len(), 120);
        assert_eq!(llm.usage_for(Some(3), Some(2)).await.unwrap().len(), 30);
    }
}

#[tokio::test]
async fn users_do_not_share_answers_and_anonymous_calls_are_never_cached() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    let chain = Chain::single(mock.config("deepseek"));
    let cancel = CancellationToken::new();
    mock.push_all([MockReply::text("Plan A: oats"), MockReply::text("Plan B: rice"), MockReply::text("Plan C")]);
    let ann = llm.chat(&chain, ask("a diet plan"), CallInfo::for_user(1).cached(), &cancel).await.unwrap();
    let bob = llm.chat(&chain, ask("a diet plan"), CallInfo::for_user(2).cached(), &cancel).await.unwrap();
    assert!(!bob.cached, "another user's answer is not reused");
    assert_eq!((ann.content.as_str(), bob.content.as_str()), ("Plan A: oats", "Plan B: rice"));
    let ann_again = llm.chat(&chain, ask("a diet plan"), CallInfo::for_user(1).cached(), &cancel).await.unwrap();
    assert!(ann_again.cached && ann_again.content == "Plan A: oats", "but the same user's is");
    assert_eq!(llm.cache_stats(), CacheStats { hits: 1, misses: 2 });

    let anonymous = CallInfo { use_cache: true, ..CallInfo::default() };
    for _ in 0..2 {
        assert!(!llm.chat(&chain, ask("a diet plan"), anonymous, &cancel).await.unwrap().cached);
    }
    assert_eq!(
        (mock.requests().len(), llm.cache_stats()),
        (4, CacheStats { hits: 1, misses: 2 }),
        "not even looked up"
    );
}

#[tokio::test]
async fn calls_are_not_cached_unless_the_caller_asks() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    let chain = Chain::single(mock.config("anthropic"));
    let cancel = CancellationToken::new();
    assert_eq!(
        CallInfo::default(),
        CallInfo { user_id: None, job_id: None, use_cache: false, cache_tool_turns: false }
    );
    for _ in 0..2 {
        let r = llm.chat(&chain, ask("a diet plan"), CallInfo::for_user(1), &cancel).await.unwrap();
        assert!(!r.cached);
    }
    assert_eq!((mock.requests().len(), llm.cache_stats()), (2, CacheStats::default()));
}

#[tokio::test]
async fn the_server_switch_refuses_every_opt_in() {
    let (llm, _db) = llm_sqlite(LlmSettings { cache_allowed: false, ..LlmSettings::default() }).await;
    let mock = MockProvider::start().await;
    let chain = Chain::single(mock.config("deepseek"));
    for _ in 0..2 {
        let call = CallInfo::for_user(1).cached_with_tools();
        assert!(!llm.chat(&chain, ask("hi"), call, &CancellationToken::new()).await.unwrap().cached);
    }
    assert_eq!((mock.requests().len(), llm.cache_stats()), (2, CacheStats::default()));
}

#[tokio::test]
async fn tool_turns_are_cached_only_when_the_caller_says_so() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    let chain = Chain::single(mock.config("google"));
    let cancel = CancellationToken::new();
    let with_tools = || slipway_llm::ChatRequest { tools: vec![common::weather()], ..ask("Weather in Paris?") };
    mock.set_default(MockReply::tool_call("get_weather", serde_json::json!({"city": "Paris"})));
    for _ in 0..2 {
        let r = llm.chat(&chain, with_tools(), CallInfo::for_user(1).cached(), &cancel).await.unwrap();
        assert!(!r.cached, "use_cache alone does not replay tool calls");
    }
    assert_eq!((mock.requests().len(), llm.cache_stats()), (2, CacheStats::default()));
    let explicit = CallInfo::for_user(1).cached_with_tools();
    let first = llm.chat(&chain, with_tools(), explicit, &cancel).await.unwrap();
    let second = llm.chat(&chain, with_tools(), explicit, &cancel).await.unwrap();
    assert!(!first.cached && second.cached && second.tool_calls == first.tool_calls);
    assert_eq!((mock.requests().len(), llm.cache_stats()), (3, CacheStats { hits: 1, misses: 1 }));
}
