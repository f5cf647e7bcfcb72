//! Tool choice end to end on the three protocols: the exact JSON each sends, a mock that answers in text under
//! `auto` and calls the tool when forced, and a forced tool that is not offered refused before any call.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ask, llm_sqlite, weather};
use serde_json::{Value, json};
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_llm::{CallInfo, Chain, ChatRequest, LlmError, LlmSettings, ToolChoice};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const CHOICES: [fn() -> ToolChoice; 4] =
    [|| ToolChoice::Auto, || ToolChoice::None, || ToolChoice::Required, || ToolChoice::Tool("get_weather".into())];

/// Where each protocol puts the choice, and the form it must take.
fn sent(provider: &str, body: &Value) -> Value {
    match provider {
        "deepseek" | "anthropic" => body["tool_choice"].clone(),
        _ => body["toolConfig"].clone(),
    }
}

fn expected(provider: &str, choice: &ToolChoice) -> Value {
    match (provider, choice) {
        ("deepseek", ToolChoice::Auto) => json!("auto"),
        ("deepseek", ToolChoice::None) => json!("none"),
        ("deepseek", ToolChoice::Required) => json!("required"),
        ("deepseek", ToolChoice::Tool(n)) => json!({"type": "function", "function": {"name": n}}),
        ("anthropic", ToolChoice::Auto) => json!({"type": "auto"}),
        ("anthropic", ToolChoice::None) => json!({"type": "none"}),
        ("anthropic", ToolChoice::Required) => json!({"type": "any"}),
        ("anthropic", ToolChoice::Tool(n)) => json!({"type": "tool", "name": n}),
        (_, ToolChoice::Auto) => json!({"functionCallingConfig": {"mode": "AUTO"}}),
        (_, ToolChoice::None) => json!({"functionCallingConfig": {"mode": "NONE"}}),
        (_, ToolChoice::Required) => json!({"functionCallingConfig": {"mode": "ANY"}}),
        (_, ToolChoice::Tool(n)) => json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [n]}}),
    }
}

fn weather_question(tool_choice: ToolChoice) -> ChatRequest {
    ChatRequest { tools: vec![weather()], tool_choice, ..ask("Weather in Paris?") }
}

fn step() -> MockReply {
    MockReply::text("Probably sunny.").when_forced(MockReply::tool_call("get_weather", json!({"city": "Paris"})))
}

#[tokio::test]
async fn every_choice_goes_over_every_wire_and_forced_calls_call_the_tool() {
    let mock = MockProvider::start().await;
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let cancel = CancellationToken::new();
    for provider in ["deepseek", "anthropic", "google"] {
        let chain = Chain::single(mock.config(provider));
        for (streamed, choice) in [false, true].into_iter().flat_map(|s| CHOICES.map(|c| (s, c()))) {
            mock.clear_requests();
            mock.push(step());
            let request = weather_question(choice.clone());
            let answer = if streamed {
                let (tx, _rx) = mpsc::channel(64);
                llm.chat_stream(&chain, request, CallInfo::default(), &cancel, tx).await
            } else {
                llm.chat(&chain, request, CallInfo::default(), &cancel).await
            };
            let answer = answer.unwrap_or_else(|e| panic!("{provider} {choice:?} streamed={streamed}: {e}"));
            let received = mock.last_request().unwrap();
            assert_eq!(sent(provider, &received.body), expected(provider, &choice), "{provider} {choice:?}");
            assert_eq!(
                (received.tool_choice.clone(), received.tools.clone()),
                (choice.clone(), vec!["get_weather".to_owned()])
            );
            match choice {
                ToolChoice::Auto | ToolChoice::None => {
                    assert_eq!((answer.content.as_str(), answer.tool_calls.len()), ("Probably sunny.", 0));
                }
                ToolChoice::Required | ToolChoice::Tool(_) => {
                    assert_eq!(answer.tool_calls.len(), 1, "{provider} {choice:?}");
                    assert_eq!(answer.tool_calls[0].name, "get_weather");
                    assert_eq!(answer.tool_calls[0].arguments, json!({"city": "Paris"}));
                }
            }
        }
    }
}

#[tokio::test]
async fn no_choice_is_sent_without_tools_and_the_mock_refuses_text_when_a_call_is_forced() {
    let mock = MockProvider::start().await;
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let cancel = CancellationToken::new();
    for provider in ["deepseek", "anthropic", "google"] {
        let chain = Chain::single(mock.config(provider));
        let plain = ChatRequest { tool_choice: ToolChoice::None, ..ask("hi") };
        llm.chat(&chain, plain, CallInfo::default(), &cancel).await.unwrap();
        let body = mock.last_request().unwrap().body;
        assert!(body.get("tool_choice").is_none() && body.get("toolConfig").is_none(), "{provider}: {body}");

        mock.push(MockReply::text("I will not call anything."));
        let err = llm.chat(&chain, weather_question(ToolChoice::Required), CallInfo::default(), &cancel).await;
        assert!(
            matches!(&err, Err(LlmError::Status { status: 400, message, .. }) if message.contains("forbids a text answer")),
            "{provider}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_forced_tool_that_is_not_offered_fails_before_any_call() {
    let mock = MockProvider::start().await;
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let chain = Chain::single(mock.config("deepseek"));
    let request = weather_question(ToolChoice::Tool("book_flight".into()));
    let err = llm.chat(&chain, request, CallInfo::default(), &CancellationToken::new()).await.unwrap_err();
    assert!(
        matches!(&err, LlmError::InvalidRequest(m) if m.contains("book_flight") && m.contains("get_weather")),
        "{err}"
    );
    assert!(mock.requests().is_empty());
}
