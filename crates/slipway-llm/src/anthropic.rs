//! Anthropic Messages: `POST …/v1/messages` with `x-api-key` and `anthropic-version: 2023-06-01`; the system
//! prompt is the top-level `system`; `max_tokens` is mandatory (4096 when neither request nor configuration
//! says); tool calls are `tool_use` blocks and their results `tool_result` blocks in the next user turn.
//! Streaming events: `message_start`, `content_block_start`, `content_block_delta` (`text_delta`,
//! `input_json_delta`), `content_block_stop`, `message_delta` (stop reason, output tokens), `message_stop`,
//! `ping`, `error`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::LlmError;
use crate::provider::ProviderConfig;
use crate::types::{ChatRequest, Role, ToolCall, ToolChoice, Usage};
use crate::wire::{Answer, parse_arguments, parse_json, status_of_error_type};

/// The API version sent with every request.
pub(crate) const VERSION: &str = "2023-06-01";
/// `max_tokens` when neither the request nor the configuration sets it.
pub(crate) const DEFAULT_MAX_TOKENS: u32 = 4096;

/// The request of a call.
pub(crate) fn build(
    client: &reqwest::Client,
    link: &ProviderConfig,
    request: &ChatRequest,
    stream: bool,
) -> reqwest::RequestBuilder {
    let url = link.provider.endpoint(&link.base_url, "/messages");
    let mut builder = client.post(url).header("anthropic-version", VERSION).json(&body(link, request, stream));
    if let Some(key) = &link.api_key {
        builder = builder.header("x-api-key", key.expose());
    }
    builder
}

/// The JSON body of a call.
pub(crate) fn body(link: &ProviderConfig, request: &ChatRequest, stream: bool) -> Value {
    let params = link.params.under(request);
    let mut o = Map::new();
    o.insert("model".into(), json!(link.model));
    o.insert("max_tokens".into(), json!(params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)));
    let system: Vec<&str> =
        request.messages.iter().filter(|m| m.role == Role::System).map(|m| m.content.as_str()).collect();
    if !system.is_empty() {
        o.insert("system".into(), json!(system.join("\n\n")));
    }
    o.insert("messages".into(), Value::Array(messages(request)));
    if let Some(t) = params.temperature {
        o.insert("temperature".into(), json!(t));
    }
    if let Some(p) = params.top_p {
        o.insert("top_p".into(), json!(p));
    }
    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
        o.insert("tools".into(), Value::Array(tools));
        o.insert("tool_choice".into(), tool_choice(&request.tool_choice));
    }
    if stream {
        o.insert("stream".into(), json!(true));
    }
    Value::Object(o)
}

/// `tool_choice`: `{"type": "auto" | "none" | "any"}`, or `{"type": "tool", "name": …}`.
fn tool_choice(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => json!({"type": "auto"}),
        ToolChoice::None => json!({"type": "none"}),
        ToolChoice::Required => json!({"type": "any"}),
        ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
    }
}

/// The conversation as alternating user/assistant turns of content blocks: tool results ride in a user turn,
/// and consecutive messages of one side merge into one turn.
fn messages(request: &ChatRequest) -> Vec<Value> {
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for m in &request.messages {
        let (role, blocks) = match m.role {
            Role::System => continue,
            Role::User => ("user", text_block(&m.content).into_iter().collect::<Vec<_>>()),
            Role::Tool => {
                ("user", vec![json!({"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content})])
            }
            Role::Assistant => {
                let mut blocks: Vec<Value> = text_block(&m.content).into_iter().collect();
                blocks.extend(
                    m.tool_calls
                        .iter()
                        .map(|c| json!({"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments})),
                );
                ("assistant", blocks)
            }
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    turns.into_iter().map(|(role, content)| json!({"role": role, "content": content})).collect()
}

fn text_block(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| json!({"type": "text", "text": text}))
}

#[derive(Deserialize)]
struct MessageOut {
    #[serde(default)]
    content: Vec<Block>,
    stop_reason: Option<String>,
    usage: Option<UsageOut>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct UsageOut {
    input_tokens: Option<u32>,
    output_tokens: Option<u32>,
    cache_creation_input_tokens: Option<u32>,
    cache_read_input_tokens: Option<u32>,
}

impl UsageOut {
    fn prompt(&self) -> Option<u32> {
        let parts = [self.input_tokens, self.cache_creation_input_tokens, self.cache_read_input_tokens];
        parts.iter().any(Option::is_some).then(|| parts.iter().flatten().sum())
    }
}

/// Decodes a whole message.
pub(crate) fn decode(body: &[u8]) -> Result<Answer, LlmError> {
    let m: MessageOut = parse_json("the message", body)?;
    let mut answer = Answer { finish_reason: m.stop_reason, ..Answer::default() };
    for block in m.content {
        match block {
            Block::Text { text } => answer.content.push_str(&text),
            Block::ToolUse { id, name, input } => {
                let arguments = if input.is_null() { json!({}) } else { input };
                answer.tool_calls.push(ToolCall { id, name, arguments });
            }
            Block::Other => {}
        }
    }
    let usage = m.usage.unwrap_or_default();
    answer.usage =
        Usage { prompt_tokens: usage.prompt().unwrap_or(0), completion_tokens: usage.output_tokens.unwrap_or(0) };
    Ok(answer)
}

enum BlockState {
    Text,
    Tool { id: String, name: String, json: String },
    Other,
}

/// Assembles a streamed message.
pub(crate) struct Stream {
    label: String,
    content: String,
    blocks: BTreeMap<u64, BlockState>,
    stop_reason: Option<String>,
    usage: Usage,
    done: bool,
}

impl Stream {
    /// A decoder for the configuration labelled `label`.
    pub fn new(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            content: String::new(),
            blocks: BTreeMap::new(),
            stop_reason: None,
            usage: Usage::default(),
            done: false,
        }
    }

    /// Feeds one event; the payload's `type` decides, the `event:` name is only a fallback.
    pub fn feed(&mut self, event: &str, data: &str, deltas: &mut Vec<String>) -> Result<bool, LlmError> {
        if data.trim().is_empty() {
            return Ok(false);
        }
        let v: Value = parse_json("a message stream event", data.as_bytes())?;
        let kind = v.get("type").and_then(Value::as_str).unwrap_or(event);
        let malformed = |what: &str| LlmError::Malformed(format!("{kind} event without {what}"));
        match kind {
            "message_start" => {
                if let Some(u) = v.pointer("/message/usage").and_then(|u| UsageOut::deserialize(u).ok()) {
                    self.usage.prompt_tokens = u.prompt().unwrap_or(0);
                    self.usage.completion_tokens = u.output_tokens.unwrap_or(0);
                }
            }
            "content_block_start" => {
                let index = v.get("index").and_then(Value::as_u64).ok_or_else(|| malformed("index"))?;
                let block = v.get("content_block").ok_or_else(|| malformed("content_block"))?;
                let state = match block.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        if let Some(text) = block.get("text").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                            self.content.push_str(text);
                            deltas.push(text.to_owned());
                        }
                        BlockState::Text
                    }
                    Some("tool_use") => BlockState::Tool {
                        id: block.get("id").and_then(Value::as_str).ok_or_else(|| malformed("a tool id"))?.to_owned(),
                        name: block
                            .get("name")
                            .and_then(Value::as_str)
                            .ok_or_else(|| malformed("a tool name"))?
                            .to_owned(),
                        json: String::new(),
                    },
                    _ => BlockState::Other,
                };
                self.blocks.insert(index, state);
            }
            "content_block_delta" => {
                let index = v.get("index").and_then(Value::as_u64).ok_or_else(|| malformed("index"))?;
                let delta = v.get("delta").ok_or_else(|| malformed("delta"))?;
                match (delta.get("type").and_then(Value::as_str), self.blocks.get_mut(&index)) {
                    (Some("text_delta"), _) => {
                        let text = delta.get("text").and_then(Value::as_str).ok_or_else(|| malformed("text"))?;
                        if !text.is_empty() {
                            self.content.push_str(text);
                            deltas.push(text.to_owned());
                        }
                    }
                    (Some("input_json_delta"), Some(BlockState::Tool { json, .. })) => {
                        json.push_str(delta.get("partial_json").and_then(Value::as_str).unwrap_or(""));
                    }
                    (Some("input_json_delta"), _) => {
                        return Err(LlmError::Malformed(format!("input_json_delta for block {index}, not a tool")));
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(reason) = v.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.stop_reason = Some(reason.to_owned());
                }
                if let Some(n) = v.pointer("/usage/output_tokens").and_then(Value::as_u64) {
                    self.usage.completion_tokens = u32::try_from(n).unwrap_or(u32::MAX);
                }
                if let Some(n) = v.pointer("/usage/input_tokens").and_then(Value::as_u64) {
                    self.usage.prompt_tokens = u32::try_from(n).unwrap_or(u32::MAX);
                }
            }
            "message_stop" => {
                self.done = true;
                return Ok(true);
            }
            "error" => {
                let kind = v.pointer("/error/type").and_then(Value::as_str).unwrap_or("api_error");
                let message = v.pointer("/error/message").and_then(Value::as_str).unwrap_or(kind).to_owned();
                return Err(LlmError::Status {
                    provider: self.label.clone(),
                    status: status_of_error_type(kind),
                    message,
                });
            }
            _ => {}
        }
        Ok(false)
    }

    /// Whether `message_stop` (or at least a stop reason) arrived.
    pub fn complete(&self) -> bool {
        self.done || self.stop_reason.is_some()
    }

    /// The assembled answer; tool inputs are parsed here.
    pub fn finish(self) -> Result<Answer, LlmError> {
        let mut tool_calls = Vec::new();
        for block in self.blocks.into_values() {
            if let BlockState::Tool { id, name, json } = block {
                let arguments = parse_arguments(&name, &json)?;
                tool_calls.push(ToolCall { id, name, arguments });
            }
        }
        Ok(Answer { content: self.content, tool_calls, finish_reason: self.stop_reason, usage: self.usage })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Message, ToolSpec};

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
    fn tool_choice_is_sent_in_anthropic_form_only_with_tools() {
        let link = ProviderConfig::new("anthropic", None, None, Some("k")).unwrap();
        let b = |c: ToolChoice| body(&link, &with_choice(c, true), false)["tool_choice"].clone();
        assert_eq!(b(ToolChoice::Auto), json!({"type": "auto"}));
        assert_eq!(b(ToolChoice::None), json!({"type": "none"}));
        assert_eq!(b(ToolChoice::Required), json!({"type": "any"}));
        assert_eq!(b(ToolChoice::Tool("add".into())), json!({"type": "tool", "name": "add"}));
        assert!(body(&link, &with_choice(ToolChoice::Required, false), false).get("tool_choice").is_none());
    }

    #[test]
    fn system_is_top_level_and_tool_results_ride_in_a_user_turn() {
        let link = ProviderConfig::new("anthropic", None, None, Some("k")).unwrap();
        let call = ToolCall { id: "toolu_1".into(), name: "add".into(), arguments: json!({"a": 1}) };
        let req = ChatRequest {
            messages: vec![
                Message::system("be brief"),
                Message::user("1+1?"),
                Message::assistant("Adding.", vec![call]),
                Message::tool_result("toolu_1", "2"),
                Message::user("and?"),
            ],
            tools: vec![ToolSpec {
                name: "add".into(),
                description: "adds".into(),
                parameters: json!({"type": "object"}),
            }],
            ..ChatRequest::default()
        };
        let b = body(&link, &req, false);
        assert_eq!((b["system"].as_str(), b["max_tokens"].as_u64()), (Some("be brief"), Some(4096)));
        let msgs = b["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 3, "{b}");
        assert_eq!(
            msgs[1]["content"][1],
            json!({"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 1}})
        );
        assert_eq!(msgs[2]["role"], "user");
        assert_eq!(msgs[2]["content"][0], json!({"type": "tool_result", "tool_use_id": "toolu_1", "content": "2"}));
        assert_eq!(msgs[2]["content"][1], json!({"type": "text", "text": "and?"}));
        assert_eq!(b["tools"][0]["input_schema"], json!({"type": "object"}));
    }

    #[test]
    fn whole_messages_decode() {
        let body = br#"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Sure."},{"type":"tool_use","id":"toolu_9","name":"add","input":{"a":2}}],"stop_reason":"tool_use","usage":{"input_tokens":20,"output_tokens":11}}"#;
        let a = decode(body).unwrap();
        assert_eq!(a.content, "Sure.");
        assert_eq!(a.tool_calls[0].id, "toolu_9");
        assert_eq!((a.usage.prompt_tokens, a.usage.completion_tokens), (20, 11));
        assert!(matches!(decode(br#"{"content":"nope"}"#), Err(LlmError::Malformed(_))));
    }

    #[test]
    fn streamed_events_assemble_text_tools_and_usage() {
        let mut s = Stream::new("x");
        let mut d = Vec::new();
        for data in [
            r#"{"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi "}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"there"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"add","input":{}}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\": "}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"3}"}}"#,
            r#"{"type":"content_block_stop","index":1}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":15}}"#,
        ] {
            assert!(!s.feed("", data, &mut d).unwrap(), "{data}");
        }
        assert!(s.feed("message_stop", r#"{"type":"message_stop"}"#, &mut d).unwrap());
        assert_eq!(d, ["Hi ", "there"]);
        let a = s.finish().unwrap();
        assert_eq!(
            a.tool_calls,
            vec![ToolCall { id: "toolu_1".into(), name: "add".into(), arguments: json!({"a": 3}) }]
        );
        assert_eq!((a.usage.prompt_tokens, a.usage.completion_tokens), (25, 15));
        assert_eq!(a.finish_reason.as_deref(), Some("tool_use"));
    }

    #[test]
    fn error_events_become_statuses() {
        let mut s = Stream::new("cfg");
        let err = s
            .feed(
                "error",
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                &mut Vec::new(),
            )
            .unwrap_err();
        assert_eq!(err, LlmError::Status { provider: "cfg".into(), status: 529, message: "Overloaded".into() });
    }
}
