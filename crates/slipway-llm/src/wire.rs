//! What the three protocol modules share: the decoded answer, the streaming decoder, tool-argument parsing,
//! and the request checks every protocol needs.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::LlmError;
use crate::provider::{Protocol, ProviderConfig};
use crate::types::{ChatRequest, Role, ToolCall, ToolChoice, Usage};
use crate::{anthropic, gemini, openai};

/// A provider's answer, decoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Answer {
    /// Its text.
    pub content: String,
    /// Tools it called.
    pub tool_calls: Vec<ToolCall>,
    /// Why it stopped.
    pub finish_reason: Option<String>,
    /// Tokens used.
    pub usage: Usage,
}

/// Builds the HTTP request of a call in the link's protocol.
pub(crate) fn build(
    client: &reqwest::Client,
    link: &ProviderConfig,
    request: &ChatRequest,
    stream: bool,
) -> Result<reqwest::RequestBuilder, LlmError> {
    match link.provider.protocol() {
        Protocol::OpenAi => Ok(openai::build(client, link, request, stream)),
        Protocol::Anthropic => Ok(anthropic::build(client, link, request, stream)),
        Protocol::Gemini => gemini::build(client, link, request, stream),
    }
}

/// Decodes a whole (non-streaming) answer body.
pub(crate) fn decode(link: &ProviderConfig, body: &[u8]) -> Result<Answer, LlmError> {
    match link.provider.protocol() {
        Protocol::OpenAi => openai::decode(body),
        Protocol::Anthropic => anthropic::decode(body),
        Protocol::Gemini => gemini::decode(&link.label, body),
    }
}

/// Assembles a streamed answer from its server-sent events.
pub(crate) enum StreamDecoder {
    /// OpenAI chat completion chunks.
    OpenAi(openai::Stream),
    /// Anthropic message events.
    Anthropic(anthropic::Stream),
    /// Gemini response chunks.
    Gemini(gemini::Stream),
}

impl StreamDecoder {
    /// A decoder for the link's protocol.
    pub fn new(link: &ProviderConfig) -> Self {
        match link.provider.protocol() {
            Protocol::OpenAi => Self::OpenAi(openai::Stream::new(&link.label)),
            Protocol::Anthropic => Self::Anthropic(anthropic::Stream::new(&link.label)),
            Protocol::Gemini => Self::Gemini(gemini::Stream::new(&link.label)),
        }
    }

    /// Feeds one event (its `event:` name and `data:`), appending text deltas; `true` once the stream says it
    /// is complete.
    pub fn feed(&mut self, event: &str, data: &str, deltas: &mut Vec<String>) -> Result<bool, LlmError> {
        match self {
            Self::OpenAi(s) => s.feed(data, deltas),
            Self::Anthropic(s) => s.feed(event, data, deltas),
            Self::Gemini(s) => s.feed(data, deltas),
        }
    }

    /// Whether what arrived so far is a whole answer (a finish reason came) should the stream simply end.
    pub fn complete(&self) -> bool {
        match self {
            Self::OpenAi(s) => s.complete(),
            Self::Anthropic(s) => s.complete(),
            Self::Gemini(s) => s.complete(),
        }
    }

    /// The assembled answer.
    pub fn finish(self) -> Result<Answer, LlmError> {
        match self {
            Self::OpenAi(s) => s.finish(),
            Self::Anthropic(s) => s.finish(),
            Self::Gemini(s) => s.finish(),
        }
    }
}

/// Parses a tool call's JSON arguments (an empty string is `{}`); anything else unparseable is malformed.
pub(crate) fn parse_arguments(tool: &str, raw: &str) -> Result<Value, LlmError> {
    if raw.trim().is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_str(raw)
        .map_err(|e| LlmError::Malformed(format!("the arguments of tool call {tool:?} are not valid JSON ({e})")))
}

/// A fresh tool call id, for providers that give none (Gemini).
pub(crate) fn new_call_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("call_{}", &id[..24])
}

/// Parses a JSON body into `T`, naming what was being read when it does not fit (where, not what: the body
/// itself is never echoed).
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, LlmError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let problem = match e.classify() {
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Eof => "cut short",
            serde_json::error::Category::Data | serde_json::error::Category::Io => "not the expected shape",
        };
        let (line, column, size) = (e.line(), e.column(), bytes.len());
        LlmError::Malformed(format!("{what} is {problem} (at line {line} column {column} of {size} bytes)"))
    })
}

/// Checks what every protocol needs of a request: messages, tool results that answer a call, tool names.
pub(crate) fn validate(request: &ChatRequest) -> Result<(), LlmError> {
    if request.messages.iter().all(|m| m.role == Role::System) {
        return Err(LlmError::InvalidRequest("the conversation needs at least one non-system message".into()));
    }
    for m in &request.messages {
        if m.role == Role::Tool && m.tool_call_id.as_deref().is_none_or(str::is_empty) {
            return Err(LlmError::InvalidRequest("a tool message needs the id of the call it answers".into()));
        }
    }
    for t in &request.tools {
        let valid = !t.name.is_empty()
            && t.name.len() <= 64
            && t.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return Err(LlmError::InvalidRequest(format!("tool name {:?} must match [a-zA-Z0-9_-]{{1,64}}", t.name)));
        }
    }
    match &request.tool_choice {
        ToolChoice::Tool(name) if !request.tools.iter().any(|t| &t.name == name) => {
            let offered: Vec<&str> = request.tools.iter().map(|t| t.name.as_str()).collect();
            Err(LlmError::InvalidRequest(format!(
                "tool_choice names tool {name:?}, which is not among the request's tools [{}]",
                offered.join(", ")
            )))
        }
        ToolChoice::Required if request.tools.is_empty() => {
            Err(LlmError::InvalidRequest("tool_choice required needs at least one tool".into()))
        }
        _ => Ok(()),
    }
}

/// The tool name of every call id the assistant made in the conversation (Gemini answers by name).
pub(crate) fn call_names(request: &ChatRequest) -> HashMap<&str, &str> {
    request.messages.iter().flat_map(|m| m.tool_calls.iter()).map(|c| (c.id.as_str(), c.name.as_str())).collect()
}

/// The status an error type inside a stream stands for (Anthropic's and OpenAI's error types).
pub(crate) fn status_of_error_type(kind: &str) -> u16 {
    match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" | "rate_limit_exceeded" => 429,
        "overloaded_error" => 529,
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Message, ToolSpec};

    #[test]
    fn arguments_parse_or_are_malformed() {
        assert_eq!(parse_arguments("t", "").unwrap(), serde_json::json!({}));
        assert_eq!(parse_arguments("t", r#"{"a":1}"#).unwrap(), serde_json::json!({"a": 1}));
        let err = parse_arguments("get_weather", "{\"a\":").unwrap_err();
        assert!(matches!(&err, LlmError::Malformed(m) if m.contains("get_weather")), "{err}");
    }

    #[test]
    fn unparseable_bodies_are_described_not_echoed() {
        let err = parse_json::<Vec<u32>>("the answer", br#"{"secret":"hunter2"}"#).unwrap_err();
        assert_eq!(
            err,
            LlmError::Malformed("the answer is not the expected shape (at line 1 column 0 of 20 bytes)".into())
        );
        let err = parse_json::<Value>("the answer", b"<html>hunter2</html>").unwrap_err();
        assert!(!err.to_string().contains("hunter2") && err.to_string().contains("not JSON"), "{err}");
    }

    #[test]
    fn requests_are_checked() {
        let ok = ChatRequest { messages: vec![Message::user("hi")], ..ChatRequest::default() };
        assert!(validate(&ok).is_ok());
        assert!(validate(&ChatRequest { messages: vec![Message::system("x")], ..ChatRequest::default() }).is_err());
        let mut orphan = Message::tool_result("c1", "42");
        orphan.tool_call_id = None;
        assert!(
            validate(&ChatRequest { messages: vec![Message::user("q"), orphan], ..ChatRequest::default() }).is_err()
        );
        let bad_tool =
            ToolSpec { name: "has space".into(), description: String::new(), parameters: serde_json::json!({}) };
        assert!(validate(&ChatRequest { tools: vec![bad_tool], ..ok.clone() }).is_err());
        assert!(new_call_id().starts_with("call_") && new_call_id().len() == 29);
    }

    #[test]
    fn a_forced_tool_must_be_offered() {
        let tool = ToolSpec { name: "add".into(), description: String::new(), parameters: serde_json::json!({}) };
        let req = |tools: Vec<ToolSpec>, tool_choice| ChatRequest {
            messages: vec![Message::user("q")],
            tools,
            tool_choice,
            ..ChatRequest::default()
        };
        assert!(validate(&req(vec![tool.clone()], ToolChoice::Tool("add".into()))).is_ok());
        let err = validate(&req(vec![tool.clone()], ToolChoice::Tool("mul".into()))).unwrap_err();
        assert_eq!(
            err,
            LlmError::InvalidRequest(
                "tool_choice names tool \"mul\", which is not among the request's tools [add]".into()
            )
        );
        assert!(validate(&req(vec![], ToolChoice::Tool("add".into()))).is_err());
        assert!(validate(&req(vec![], ToolChoice::Required)).is_err());
        assert!(
            validate(&req(vec![], ToolChoice::None)).is_ok()
                && validate(&req(vec![tool], ToolChoice::Required)).is_ok()
        );
    }
}
