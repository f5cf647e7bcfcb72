//! When providers misbehave: timeouts, 429 with `Retry-After`, 5xx until the retries run out and the chain falls
//! back, refusals that must not be retried, unreachable servers, malformed answers, and cancellation mid-stream.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{ask, llm_sqlite};
use slipway_llm::testing::{MockProvider, MockReply, unreachable_url};
use slipway_llm::{CallInfo, Chain, LlmError, LlmSettings, RetryPolicy};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn no_cache() -> CallInfo {
    CallInfo::default()
}

#[tokio::test]
async fn a_slow_provider_times_out_whole_and_mid_stream() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    for provider in ["deepseek", "anthropic", "google"] {
        let link = mock.config(provider).with_timeout(Duration::from_millis(300)).with_retry(RetryPolicy::none());
        let chain = Chain::single(link);
        mock.push(MockReply::text("late").delay(Duration::from_secs(3)));
        let started = Instant::now();
        let err = llm.chat(&chain, ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap_err();
        assert_eq!(err, LlmError::Timeout, "{provider}");
        assert!(started.elapsed() < Duration::from_secs(2), "{provider}: {:?}", started.elapsed());

        mock.push(MockReply::text("one two three").stall_after(1));
        let (tx, mut rx) = mpsc::channel(8);
        let started = Instant::now();
        let err = llm.chat_stream(&chain, ask("hi"), no_cache(), &CancellationToken::new(), tx).await.unwrap_err();
        assert_eq!(err, LlmError::Timeout, "{provider}: a stream that goes silent times out");
        assert!(started.elapsed() < Duration::from_secs(2), "{provider}");
        assert_eq!(rx.recv().await.as_deref(), Some("one "), "{provider}: what arrived was delivered");
    }
}

#[tokio::test]
async fn a_429_is_retried_after_the_providers_retry_after() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    mock.push(
        MockReply::status(429, r#"{"error":{"message":"Rate limit reached","type":"requests"}}"#).retry_after("1"),
    );
    mock.push(MockReply::text("finally"));
    let started = Instant::now();
    let r = llm
        .chat(&Chain::single(mock.config("deepseek")), ask("hi"), no_cache(), &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(r.content, "finally");
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was honoured: {:?}", started.elapsed());
    assert_eq!(mock.requests().len(), 2);

    // Without Retry-After the backoff is the policy's (milliseconds here).
    mock.push(MockReply::status(429, "{}"));
    mock.push(MockReply::text("again"));
    let started = Instant::now();
    llm.chat(&Chain::single(mock.config("deepseek")), ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn exhausted_5xx_retries_fall_back_to_the_next_provider() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    for _ in 0..3 {
        first.push(MockReply::status(503, r#"{"error":{"message":"overloaded"}}"#));
    }
    let chain = Chain::new(vec![first.config("deepseek"), second.config("anthropic")]).unwrap();
    let r = llm.chat(&chain, ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap();
    assert_eq!(
        (r.provider.as_str(), r.model.as_str(), r.content.as_str()),
        ("anthropic", "claude-3-sonnet", "echo: hi")
    );
    assert_eq!(first.requests().len(), 3, "three attempts at the first provider");
    assert_eq!(second.requests().len(), 1);

    // The last provider's failure is the call's.
    for _ in 0..3 {
        first.push(MockReply::status(502, "Bad Gateway"));
    }
    second.push(MockReply::status(500, r#"{"type":"error","error":{"type":"api_error","message":"boom"}}"#));
    second.push(MockReply::status(500, "{}"));
    second.push(MockReply::status(500, "{}"));
    let err = llm.chat(&chain, ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap_err();
    assert!(matches!(&err, LlmError::Status { status: 500, provider, .. } if provider == "mock anthropic"), "{err:?}");
    let domain: slipway_core::Error = err.into();
    assert_eq!(domain.default_status(), 503);
}

#[tokio::test]
async fn refusals_are_neither_retried_nor_passed_on() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let (first, second) = (MockProvider::start().await, MockProvider::start().await);
    let chain = Chain::new(vec![first.config("deepseek"), second.config("deepseek")]).unwrap();
    first.push(MockReply::status(
        401,
        r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#,
    ));
    let err = llm.chat(&chain, ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap_err();
    assert_eq!(
        err,
        LlmError::Status {
            provider: "mock deepseek".into(),
            status: 401,
            message: "Incorrect API key provided".into()
        }
    );
    assert_eq!((first.requests().len(), second.requests().len()), (1, 0));
    let domain: slipway_core::Error = err.into();
    assert_eq!(domain.default_status(), 400);
    assert!(domain.public_message().contains("mock deepseek") && domain.public_message().contains("API key"));
}

#[tokio::test]
async fn an_unreachable_provider_is_retried_then_skipped() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    let mut dead = mock.config("moonshot");
    dead.base_url = unreachable_url();
    dead.label = "dead moonshot".into();
    let err =
        llm.chat(&Chain::single(dead.clone()), ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap_err();
    assert!(
        matches!(&err, LlmError::Unreachable(m) if m.contains("dead moonshot") && m.contains("cannot connect")),
        "{err}"
    );
    let chain = Chain::new(vec![dead, mock.config("google")]).unwrap();
    let r = llm.chat(&chain, ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap();
    assert_eq!(r.provider, "google");
}

#[tokio::test]
async fn malformed_answers_are_clear_errors() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    for provider in ["deepseek", "anthropic", "google"] {
        let chain = Chain::single(mock.config(provider));
        mock.push(MockReply::malformed("{\"choices\": [oops"));
        let err = llm.chat(&chain, ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap_err();
        assert!(
            matches!(&err, LlmError::Malformed(m) if m.contains("is not JSON") && !m.contains("oops")),
            "{provider}: {err}"
        );
        mock.push(MockReply::malformed("this is not JSON"));
        let (tx, _rx) = mpsc::channel(8);
        let err = llm.chat_stream(&chain, ask("hi"), no_cache(), &CancellationToken::new(), tx).await.unwrap_err();
        assert!(matches!(err, LlmError::Malformed(_)), "{provider}: {err}");
    }
    let chain = Chain::single(mock.config("deepseek"));
    mock.push(MockReply::malformed(r#"{"choices":[{"message":{"tool_calls":[{"id":"c","function":{"name":"get_weather","arguments":"{\"city\": "}}]}}]}"#));
    let err = llm.chat(&chain, ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap_err();
    assert!(matches!(&err, LlmError::Malformed(m) if m.contains("get_weather")), "{err}");
    mock.push(MockReply::malformed(r#"{"object": "chat.completion", "choices": []}"#));
    let err = llm.chat(&chain, ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap_err();
    assert!(matches!(&err, LlmError::Malformed(m) if m.contains("no choices")), "{err}");
    let domain: slipway_core::Error = err.into();
    assert!(matches!(domain, slipway_core::Error::Unavailable(_)));
}

#[tokio::test]
async fn cancelling_mid_stream_returns_at_once_and_drops_the_connection() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    for (i, provider) in ["deepseek", "anthropic", "google"].into_iter().enumerate() {
        mock.push(MockReply::text("first second third").stall_after(1));
        let chain = Chain::single(mock.config(provider).with_timeout(Duration::from_secs(30)));
        let cancel = CancellationToken::new();
        let (tx, mut rx) = mpsc::channel(8);
        let call = {
            let (llm, cancel) = (llm.clone(), cancel.clone());
            tokio::spawn(async move { llm.chat_stream(&chain, ask("hi"), no_cache(), &cancel, tx).await })
        };
        assert_eq!(rx.recv().await.as_deref(), Some("first "), "{provider}");
        let cancelled_at = Instant::now();
        cancel.cancel();
        let result = call.await.unwrap();
        let took = cancelled_at.elapsed();
        assert_eq!(result.unwrap_err(), LlmError::Cancelled, "{provider}");
        assert!(took < Duration::from_millis(200), "{provider}: cancel took {took:?}");
        assert!(mock.wait_for_disconnects(i + 1, Duration::from_secs(3)).await, "{provider}: the server saw the drop");
    }
    // A call cancelled before it starts never reaches the provider.
    let before = mock.requests().len();
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = llm.chat(&Chain::single(mock.config("deepseek")), ask("hi"), no_cache(), &cancel).await.unwrap_err();
    assert_eq!((err, mock.requests().len()), (LlmError::Cancelled, before));
}

#[tokio::test]
async fn a_cancelled_whole_answer_drops_the_pending_request() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    mock.push(MockReply::text("never").stall_after(0));
    let cancel = CancellationToken::new();
    let call = {
        let (llm, cancel, chain) = (llm.clone(), cancel.clone(), Chain::single(mock.config("anthropic")));
        tokio::spawn(async move { llm.chat(&chain, ask("hi"), no_cache(), &cancel).await })
    };
    while mock.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cancel.cancel();
    assert_eq!(call.await.unwrap().unwrap_err(), LlmError::Cancelled);
    assert!(mock.wait_for_disconnects(1, Duration::from_secs(3)).await);
}

#[tokio::test]
async fn invalid_requests_never_reach_a_provider() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    let only_system =
        slipway_llm::ChatRequest { messages: vec![slipway_llm::Message::system("x")], ..Default::default() };
    let err =
        llm.chat(&Chain::single(mock.config("deepseek")), only_system, no_cache(), &CancellationToken::new()).await;
    assert!(matches!(err, Err(LlmError::InvalidRequest(_))));
    let mut q = ask("hi");
    q.messages.push(slipway_llm::Message::tool_result("call_unknown", "{}"));
    let err = llm.chat(&Chain::single(mock.config("google")), q, no_cache(), &CancellationToken::new()).await;
    assert!(matches!(err, Err(LlmError::InvalidRequest(m)) if m.contains("call_unknown")));
    assert!(mock.requests().is_empty());
}
