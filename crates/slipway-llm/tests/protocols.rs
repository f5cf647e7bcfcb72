//! The three wire protocols against the mock provider: whole and streamed answers, text and tool calls, usage,
//! and what goes over the wire (paths, headers, bodies).
#![allow(clippy::unwrap_used)]

mod common;

use common::{ask, llm_sqlite, weather};
use serde_json::json;
use slipway_llm::testing::{MockProvider, MockReply, RecordedRequest};
use slipway_llm::{CallInfo, Chain, ChatRequest, ChatResponse, LlmSettings, Message, ToolCall};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const PROVIDERS: [&str; 3] = ["deepseek", "anthropic", "google"];

fn no_cache() -> CallInfo {
    CallInfo::default()
}

/// Checks the protocol-specific parts of a request: path, authentication, where the system prompt went.
fn assert_wire(provider: &str, req: &RecordedRequest, stream: bool) {
    match provider {
        "deepseek" => {
            assert_eq!(req.path, "/v1/chat/completions");
            assert_eq!(req.header("authorization"), Some("Bearer test-key"));
            assert_eq!(req.body["model"], "deepseek-chat");
            assert_eq!(req.body["messages"][0], json!({"role": "system", "content": "You are terse."}));
            assert_eq!(req.body["stream"].as_bool().unwrap_or(false), stream);
            if stream {
                assert_eq!(req.body["stream_options"], json!({"include_usage": true}));
            }
        }
        "anthropic" => {
            assert_eq!(req.path, "/v1/messages");
            assert_eq!(req.header("x-api-key"), Some("test-key"));
            assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
            assert_eq!(req.body["system"], "You are terse.");
            assert_eq!(req.body["max_tokens"], 4096);
            assert_eq!(req.body["messages"][0]["role"], "user");
            assert_eq!(req.body["stream"].as_bool().unwrap_or(false), stream);
        }
        "google" => {
            let action = if stream { "streamGenerateContent" } else { "generateContent" };
            assert_eq!(req.path, format!("/v1beta/models/gemini-pro:{action}"));
            let query = req.query.clone().unwrap_or_default();
            assert!(query.contains("key=test-key"), "{query}");
            assert_eq!(query.contains("alt=sse"), stream, "{query}");
            assert_eq!(req.header("x-goog-api-key"), Some("test-key"));
            assert_eq!(req.body["systemInstruction"], json!({"parts": [{"text": "You are terse."}]}));
            assert_eq!(req.body["contents"][0]["role"], "user");
        }
        other => panic!("unknown provider {other}"),
    }
}

async fn stream(
    llm: &slipway_llm::Llm,
    chain: &Chain,
    request: ChatRequest,
) -> (Result<ChatResponse, slipway_llm::LlmError>, Vec<String>) {
    let (tx, mut rx) = mpsc::channel(64);
    let result = llm.chat_stream(chain, request, no_cache(), &CancellationToken::new(), tx).await;
    let mut deltas = Vec::new();
    while let Ok(d) = rx.try_recv() {
        deltas.push(d);
    }
    (result, deltas)
}

#[tokio::test]
async fn every_protocol_answers_text_whole_and_streamed_with_usage() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    for provider in PROVIDERS {
        let chain = Chain::single(mock.config(provider));
        mock.push(MockReply::text("Hello there, friend").usage(21, 4));
        let r = llm.chat(&chain, ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap();
        assert_eq!(r.content, "Hello there, friend", "{provider}");
        assert_eq!((r.usage.prompt_tokens, r.usage.completion_tokens), (21, 4), "{provider}");
        assert_eq!((r.provider.as_str(), r.cached), (provider, false));
        assert!(r.finish_reason.is_some(), "{provider}");
        assert_wire(provider, &mock.last_request().unwrap(), false);

        mock.push(MockReply::text("Hello there, friend").usage(30, 3));
        let (r, deltas) = stream(&llm, &chain, ask("hi")).await;
        let r = r.unwrap();
        assert_eq!(deltas, ["Hello ", "there, ", "friend"], "{provider}");
        assert_eq!(r.content, "Hello there, friend", "{provider}");
        assert_eq!((r.usage.prompt_tokens, r.usage.completion_tokens), (30, 3), "{provider}");
        assert_wire(provider, &mock.last_request().unwrap(), true);
    }
}

#[tokio::test]
async fn every_protocol_carries_tool_calls_both_ways() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    for provider in PROVIDERS {
        let chain = Chain::single(mock.config(provider));
        let question = ChatRequest { tools: vec![weather()], ..ask("Weather in Paris and Oslo?") };
        let calls = || {
            MockReply::tool_calls(vec![
                ("get_weather".into(), json!({"city": "Paris"})),
                ("get_weather".into(), json!({"city": "Oslo", "units": {"temp": "C"}})),
            ])
            .with_text("Checking.")
        };
        mock.push(calls());
        let whole = llm.chat(&chain, question.clone(), no_cache(), &CancellationToken::new()).await.unwrap();
        mock.push(calls());
        let (streamed, deltas) = stream(&llm, &chain, question.clone()).await;
        let streamed = streamed.unwrap();
        assert_eq!(deltas, ["Checking."], "{provider}");
        for r in [&whole, &streamed] {
            assert_eq!(r.content, "Checking.", "{provider}");
            let args: Vec<_> = r.tool_calls.iter().map(|c| (c.name.as_str(), c.arguments.clone())).collect();
            assert_eq!(
                args,
                [
                    ("get_weather", json!({"city": "Paris"})),
                    ("get_weather", json!({"city": "Oslo", "units": {"temp": "C"}}))
                ],
                "{provider}"
            );
            assert!(r.tool_calls.iter().all(|c| !c.id.is_empty()), "{provider}");
            assert_ne!(r.tool_calls[0].id, r.tool_calls[1].id, "{provider}");
        }
        let sent = mock.last_request().unwrap();
        match provider {
            "deepseek" => assert_eq!(sent.body["tools"][0]["function"]["name"], "get_weather"),
            "anthropic" => assert_eq!(sent.body["tools"][0]["input_schema"]["required"], json!(["city"])),
            _ => assert_eq!(sent.body["tools"][0]["functionDeclarations"][0]["name"], "get_weather"),
        }

        // The next turn sends the calls and their results back in the provider's own form.
        let call = ToolCall {
            id: streamed.tool_calls[0].id.clone(),
            name: "get_weather".into(),
            arguments: json!({"city": "Paris"}),
        };
        let mut follow_up = question.clone();
        follow_up.messages.push(Message::assistant("Checking.", vec![call.clone()]));
        follow_up.messages.push(Message::tool_result(&call.id, r#"{"temp": 21}"#));
        mock.push(MockReply::text("21 degrees."));
        let r = llm.chat(&chain, follow_up, no_cache(), &CancellationToken::new()).await.unwrap();
        assert_eq!(r.content, "21 degrees.");
        let b = mock.last_request().unwrap().body;
        match provider {
            "deepseek" => {
                assert_eq!(b["messages"][2]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Paris\"}");
                assert_eq!(
                    b["messages"][3],
                    json!({"role": "tool", "tool_call_id": call.id, "content": "{\"temp\": 21}"})
                );
            }
            "anthropic" => {
                assert_eq!(b["messages"][1]["content"][1]["type"], "tool_use");
                assert_eq!(
                    b["messages"][2]["content"][0],
                    json!({"type": "tool_result", "tool_use_id": call.id, "content": "{\"temp\": 21}"})
                );
            }
            _ => {
                assert_eq!(
                    b["contents"][1]["parts"][1],
                    json!({"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}})
                );
                assert_eq!(
                    b["contents"][2]["parts"][0],
                    json!({"functionResponse": {"name": "get_weather", "response": {"temp": 21}}})
                );
            }
        }
    }
}

#[tokio::test]
async fn request_parameters_override_the_configuration() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    let params = slipway_llm::Params { temperature: Some(0.7), max_tokens: Some(800), top_p: Some(0.9) };
    for provider in PROVIDERS {
        let chain = Chain::single(mock.config(provider).with_params(params));
        let q = ChatRequest { temperature: Some(0.1), ..ask("hi") };
        llm.chat(&chain, q, no_cache(), &CancellationToken::new()).await.unwrap();
        let b = mock.last_request().unwrap().body;
        let (t, m, p) = match provider {
            "google" => (
                &b["generationConfig"]["temperature"],
                &b["generationConfig"]["maxOutputTokens"],
                &b["generationConfig"]["topP"],
            ),
            _ => (&b["temperature"], &b["max_tokens"], &b["top_p"]),
        };
        assert_eq!((t.as_f64(), m.as_u64(), p.as_f64()), (Some(0.1), Some(800), Some(0.9)), "{provider}");
    }
}

#[tokio::test]
async fn openai_compatible_providers_follow_the_base_url_rule() {
    let (llm, _db) = llm_sqlite(LlmSettings::default()).await;
    let mock = MockProvider::start().await;
    for (provider, base_suffix, path) in [
        ("zhipu", "", "/api/paas/v4/chat/completions"),
        ("zhipu", "/api/paas/v4", "/api/paas/v4/chat/completions"),
        ("moonshot", "/v1", "/v1/chat/completions"),
        ("vllm", "", "/v1/chat/completions"),
    ] {
        let mut link = mock.config(provider);
        link.base_url = format!("{}{base_suffix}", mock.url());
        llm.chat(&Chain::single(link), ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap();
        assert_eq!(mock.last_request().unwrap().path, path, "{provider} {base_suffix:?}");
    }
    let ollama = slipway_llm::ProviderConfig::new("ollama", None, Some(&mock.url()), None).unwrap();
    let r = llm.chat(&Chain::single(ollama), ask("hi"), no_cache(), &CancellationToken::new()).await.unwrap();
    assert_eq!(r.content, "echo: hi", "the mock's default answer echoes the question");
    assert_eq!(mock.last_request().unwrap().header("authorization"), None, "no key, no header");
}
