//! OpenAI-compatible chat completions (OpenAI, DeepSeek, Moonshot, Zhipu, MiniMax, Ollama, vLLM, llama.cpp):
//! `POST …/chat/completions` with `Authorization: Bearer`; streaming as SSE `data:` chunks ending in `[DONE]`,
//! usage in the last chunk (`stream_options.include_usage`); tool calls with JSON-string arguments, streamed as
//! fragments keyed by `index`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::LlmError;
use crate::provider::ProviderConfig;
use crate::transport::error_message;
use crate::types::{ChatRequest, Message, Role, ToolCall, ToolChoice, Usage};
use crate::wire::{Answer, new_call_id, parse_arguments, parse_json, status_of_error_type};

/// The request of a call.
pub(crate) fn build(
    client: &reqwest::Client,
    link: &ProviderConfig,
    request: &ChatRequest,
    stream: bool,
) -> reqwest::RequestBuilder {
    let url = link.provider.endpoint(&link.base_url, "/chat/completions");
    let mut builder = client.post(url).json(&body(link, request, stream));
    if let Some(key) = &link.api_key {
        builder = builder.bearer_auth(key.expose());
    }
    builder
}

/// The JSON body of a call.
pub(crate) fn body(link: &ProviderConfig, request: &ChatRequest, stream: bool) -> Value {
    let params = link.params.under(request);
    let mut o = Map::new();
    o.insert("model".into(), json!(link.model));
    o.insert("messages".into(), Value::Array(request.messages.iter().map(message).collect()));
    if let Some(t) = params.temperature {
        o.insert("temperature".into(), json!(t));
    }
    if let Some(m) = params.max_tokens {
        o.insert("max_tokens".into(), json!(m));
    }
    if let Some(p) = params.top_p {
        o.insert("top_p".into(), json!(p));
    }
    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters,
                }})
            })
            .collect();
        o.insert("tools".into(), Value::Array(tools));
        o.insert("tool_choice".into(), tool_choice(&request.tool_choice));
    }
    if stream {
        o.insert("stream".into(), json!(true));
        o.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Value::Object(o)
}

/// `tool_choice`: `"auto"`, `"none"`, `"required"`, or the function to call.
fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Tool(name) => json!({"type": "function", "function": {"name": name}}),
    }
}

fn message(m: &Message) -> Value {
    match m.role {
        Role::System => json!({"role": "system", "content": m.content}),
        Role::User => json!({"role": "user", "content": m.content}),
        Role::Tool => json!({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content}),
        Role::Assistant if m.tool_calls.is_empty() => json!({"role": "assistant", "content": m.content}),
        Role::Assistant => {
            let calls: Vec<Value> = m
                .tool_calls
                .iter()
                .map(|c| {
                    json!({"id": c.id, "type": "function", "function": {
                        "name": c.name, "arguments": c.arguments.to_string(),
                    }})
                })
                .collect();
            let content = if m.content.is_empty() { Value::Null } else { json!(m.content) };
            json!({"role": "assistant", "content": content, "tool_calls": calls})
        }
    }
}

#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<UsageOut>,
}

#[derive(Deserialize)]
struct Choice {
    message: Option<MessageOut>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct MessageOut {
    content: Option<String>,
    tool_calls: Option<Vec<ToolCallOut>>,
}

#[derive(Deserialize)]
struct ToolCallOut {
    id: Option<String>,
    function: FunctionOut,
}

#[derive(Deserialize)]
struct FunctionOut {
    name: String,
    /// A JSON string by the protocol; some servers send the object itself.
    arguments: Option<Value>,
}

#[derive(Deserialize, Clone, Copy)]
struct UsageOut {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

impl From<UsageOut> for Usage {
    fn from(u: UsageOut) -> Self {
        Usage { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens }
    }
}

fn arguments(name: &str, raw: Option<Value>) -> Result<Value, LlmError> {
    match raw {
        None | Some(Value::Null) => Ok(json!({})),
        Some(Value::String(s)) => parse_arguments(name, &s),
        Some(v @ Value::Object(_)) => Ok(v),
        Some(other) => {
            Err(LlmError::Malformed(format!("the arguments of tool call {name:?} are {other}, not an object")))
        }
    }
}

/// Decodes a whole chat completion.
pub(crate) fn decode(body: &[u8]) -> Result<Answer, LlmError> {
    let c: Completion = parse_json("the chat completion", body)?;
    let choice =
        c.choices.into_iter().next().ok_or_else(|| LlmError::Malformed("the completion has no choices".into()))?;
    let message = choice.message.ok_or_else(|| LlmError::Malformed("the completion's choice has no message".into()))?;
    let tool_calls = message
        .tool_calls
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            let arguments = arguments(&t.function.name, t.function.arguments)?;
            Ok(ToolCall {
                id: t.id.filter(|i| !i.is_empty()).unwrap_or_else(new_call_id),
                name: t.function.name,
                arguments,
            })
        })
        .collect::<Result<_, LlmError>>()?;
    Ok(Answer {
        content: message.content.unwrap_or_default(),
        tool_calls,
        finish_reason: choice.finish_reason,
        usage: c.usage.map(Usage::from).unwrap_or_default(),
    })
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    usage: Option<UsageOut>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    delta: Option<Delta>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    content: Option<String>,
    tool_calls: Option<Vec<ToolDelta>>,
}

#[derive(Deserialize)]
struct ToolDelta {
    index: Option<usize>,
    id: Option<String>,
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    name: Option<String>,
    arguments: Option<String>,
}

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// Assembles a streamed chat completion.
pub(crate) struct Stream {
    label: String,
    content: String,
    calls: BTreeMap<usize, PartialCall>,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    done: bool,
}

impl Stream {
    /// A decoder for the configuration labelled `label`.
    pub fn new(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            content: String::new(),
            calls: BTreeMap::new(),
            finish_reason: None,
            usage: None,
            done: false,
        }
    }

    /// Feeds one `data:` payload.
    pub fn feed(&mut self, data: &str, deltas: &mut Vec<String>) -> Result<bool, LlmError> {
        let data = data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(true);
        }
        if data.is_empty() {
            return Ok(false);
        }
        let chunk: Chunk = parse_json("a chat completion chunk", data.as_bytes())?;
        if let Some(error) = chunk.error {
            let message = error_message(&json!({ "error": error }).to_string()).unwrap_or_default();
            let status = error
                .get("code")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .filter(|c| (400..600).contains(c))
                .unwrap_or_else(|| status_of_error_type(error.get("type").and_then(Value::as_str).unwrap_or("")));
            return Err(LlmError::Status { provider: self.label.clone(), status, message });
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(u.into());
        }
        for choice in chunk.choices {
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
            }
            let Some(delta) = choice.delta else { continue };
            if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                self.content.push_str(&text);
                deltas.push(text);
            }
            for (position, call) in delta.tool_calls.unwrap_or_default().into_iter().enumerate() {
                let entry = self.calls.entry(call.index.unwrap_or(position)).or_default();
                if let Some(id) = call.id.filter(|i| !i.is_empty()) {
                    entry.id = id;
                }
                if let Some(f) = call.function {
                    if let Some(name) = f.name {
                        entry.name.push_str(&name);
                    }
                    if let Some(args) = f.arguments {
                        entry.arguments.push_str(&args);
                    }
                }
            }
        }
        Ok(false)
    }

    /// Whether a finish reason or `[DONE]` arrived.
    pub fn complete(&self) -> bool {
        self.done || self.finish_reason.is_some()
    }

    /// The assembled answer; tool arguments are parsed here.
    pub fn finish(self) -> Result<Answer, LlmError> {
        let tool_calls = self
            .calls
            .into_values()
            .map(|c| {
                if c.name.is_empty() {
                    return Err(LlmError::Malformed("a streamed tool call has no name".into()));
                }
                let arguments = parse_arguments(&c.name, &c.arguments)?;
                Ok(ToolCall { id: if c.id.is_empty() { new_call_id() } else { c.id }, name: c.name, arguments })
            })
            .collect::<Result<_, _>>()?;
        Ok(Answer {
            content: self.content,
            tool_calls,
            finish_reason: self.finish_reason,
            usage: self.usage.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ToolSpec;

    fn link() -> ProviderConfig {
        ProviderConfig::new("deepseek", None, Some("http://127.0.0.1:9"), Some("k")).unwrap()
    }

    fn with_choice(tool_choice: ToolChoice, tools: bool) -> ChatRequest {
        let add = ToolSpec { name: "add".into(), description: "adds".into(), parameters: json!({"type": "object"}) };
        ChatRequest {
            messages: vec![Message::user("1+1?")],
            tools: if tools { vec![add] } else { vec![] },
            tool_choice,
            ..ChatRequest::default()
        }
    }

    #[test]
    fn tool_choice_is_sent_in_openai_form_only_with_tools() {
        let b = |c: ToolChoice| body(&link(), &with_choice(c, true), false)["tool_choice"].clone();
        assert_eq!(b(ToolChoice::Auto), json!("auto"));
        assert_eq!(b(ToolChoice::None), json!("none"));
        assert_eq!(b(ToolChoice::Required), json!("required"));
        assert_eq!(b(ToolChoice::Tool("add".into())), json!({"type": "function", "function": {"name": "add"}}));
        assert!(body(&link(), &with_choice(ToolChoice::None, false), false).get("tool_choice").is_none());
    }

    #[test]
    fn the_body_carries_messages_tools_params_and_stream_options() {
        let call = ToolCall { id: "c1".into(), name: "add".into(), arguments: json!({"a": 1}) };
        let req = ChatRequest {
            messages: vec![
                Message::system("be brief"),
                Message::user("1+1?"),
                Message::assistant("", vec![call]),
                Message::tool_result("c1", "2"),
            ],
            tools: vec![ToolSpec {
                name: "add".into(),
                description: "adds".into(),
                parameters: json!({"type": "object"}),
            }],
            max_tokens: Some(10),
            ..ChatRequest::default()
        };
        let b = body(&link(), &req, true);
        assert_eq!(b["model"], "deepseek-chat");
        assert_eq!(b["messages"][0], json!({"role": "system", "content": "be brief"}));
        assert_eq!(b["messages"][2]["content"], Value::Null);
        assert_eq!(b["messages"][2]["tool_calls"][0]["function"]["arguments"], "{\"a\":1}");
        assert_eq!(b["messages"][3], json!({"role": "tool", "tool_call_id": "c1", "content": "2"}));
        assert_eq!(b["tools"][0]["function"]["name"], "add");
        assert_eq!((b["max_tokens"].as_u64(), b.get("temperature")), (Some(10), None));
        assert_eq!(b["stream_options"], json!({"include_usage": true}));
    }

    #[test]
    fn whole_answers_decode_with_tool_calls_and_usage() {
        let body = br#"{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"add","arguments":"{\"a\":1,\"b\":2}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}"#;
        let a = decode(body).unwrap();
        assert_eq!(
            a.tool_calls,
            vec![ToolCall { id: "call_1".into(), name: "add".into(), arguments: json!({"a": 1, "b": 2}) }]
        );
        assert_eq!((a.usage.prompt_tokens, a.usage.completion_tokens), (12, 7));
        assert_eq!(a.finish_reason.as_deref(), Some("tool_calls"));
        assert!(matches!(decode(b"{\"choices\":[]}"), Err(LlmError::Malformed(m)) if m.contains("no choices")));
        assert!(matches!(decode(b"<html>"), Err(LlmError::Malformed(_))));
        let bad_args =
            br#"{"choices":[{"message":{"tool_calls":[{"id":"x","function":{"name":"add","arguments":"{oops"}}]}}]}"#;
        assert!(matches!(decode(bad_args), Err(LlmError::Malformed(m)) if m.contains("add")));
    }

    #[test]
    fn streamed_tool_calls_accumulate_by_index() {
        let mut s = Stream::new("x");
        let mut d = Vec::new();
        for chunk in [
            r#"{"choices":[{"delta":{"role":"assistant","content":"Let me "}}]}"#,
            r#"{"choices":[{"delta":{"content":"add."}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c0","type":"function","function":{"name":"add","arguments":""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"id":"c1","function":{"name":"mul","arguments":"{\"a\""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":1}"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":":2}"}}]},"finish_reason":"tool_calls"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9}}"#,
        ] {
            assert!(!s.feed(chunk, &mut d).unwrap());
        }
        assert!(s.feed("[DONE]", &mut d).unwrap());
        assert_eq!(d, ["Let me ", "add."]);
        let a = s.finish().unwrap();
        assert_eq!(a.content, "Let me add.");
        assert_eq!(
            a.tool_calls.iter().map(|c| (c.id.as_str(), c.arguments.clone())).collect::<Vec<_>>(),
            [("c0", json!({"a": 1})), ("c1", json!({"a": 2}))]
        );
        assert_eq!(a.usage.completion_tokens, 9);
    }

    #[test]
    fn errors_inside_a_stream_keep_their_status() {
        let mut s = Stream::new("cfg");
        let err =
            s.feed(r#"{"error":{"message":"slow down","type":"rate_limit_exceeded"}}"#, &mut Vec::new()).unwrap_err();
        assert_eq!(err, LlmError::Status { provider: "cfg".into(), status: 429, message: "slow down".into() });
        assert!(matches!(Stream::new("x").feed("{nope", &mut Vec::new()), Err(LlmError::Malformed(_))));
    }
}
