//! Google Gemini: `POST …/v1beta/models/{model}:generateContent?key=…` (the key also as `x-goog-api-key`) and
//! `:streamGenerateContent?alt=sse`, whose SSE events each carry a partial response. Roles are `user` and
//! `model`; the system prompt is `systemInstruction`; tools are `functionDeclarations`. Gemini gives function
//! calls no ids: Slipway makes them, and maps a tool result back to its call by the call's name.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::LlmError;
use crate::provider::ProviderConfig;
use crate::types::{ChatRequest, Role, ToolCall, ToolChoice, Usage};
use crate::wire::{Answer, call_names, new_call_id, parse_json};

/// The request of a call.
pub(crate) fn build(
    client: &reqwest::Client,
    link: &ProviderConfig,
    request: &ChatRequest,
    stream: bool,
) -> Result<reqwest::RequestBuilder, LlmError> {
    let model = link.model.strip_prefix("models/").unwrap_or(&link.model);
    let action = if stream { "streamGenerateContent" } else { "generateContent" };
    let endpoint = link.provider.endpoint(&link.base_url, &format!("/models/{model}:{action}"));
    let mut url = reqwest::Url::parse(&endpoint)
        .map_err(|e| LlmError::InvalidConfig(format!("{}: api_base: cannot form a URL ({e})", link.label)))?;
    {
        let mut query = url.query_pairs_mut();
        if stream {
            query.append_pair("alt", "sse");
        }
        if let Some(key) = &link.api_key {
            query.append_pair("key", key.expose());
        }
    }
    let mut builder = client.post(url).json(&body(link, request)?);
    if let Some(key) = &link.api_key {
        builder = builder.header("x-goog-api-key", key.expose());
    }
    Ok(builder)
}

/// The JSON body of a call.
pub(crate) fn body(link: &ProviderConfig, request: &ChatRequest) -> Result<Value, LlmError> {
    let params = link.params.under(request);
    let mut o = Map::new();
    o.insert("contents".into(), Value::Array(contents(request)?));
    let system: Vec<&str> =
        request.messages.iter().filter(|m| m.role == Role::System).map(|m| m.content.as_str()).collect();
    if !system.is_empty() {
        o.insert("systemInstruction".into(), json!({"parts": [{"text": system.join("\n\n")}]}));
    }
    if !request.tools.is_empty() {
        let declarations: Vec<Value> = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "parameters": schema(&t.parameters)}))
            .collect();
        o.insert("tools".into(), json!([{ "functionDeclarations": declarations }]));
        o.insert("toolConfig".into(), json!({"functionCallingConfig": function_calling(&request.tool_choice)}));
    }
    let mut generation = Map::new();
    if let Some(t) = params.temperature {
        generation.insert("temperature".into(), json!(t));
    }
    if let Some(m) = params.max_tokens {
        generation.insert("maxOutputTokens".into(), json!(m));
    }
    if let Some(p) = params.top_p {
        generation.insert("topP".into(), json!(p));
    }
    if !generation.is_empty() {
        o.insert("generationConfig".into(), Value::Object(generation));
    }
    Ok(Value::Object(o))
}

/// `functionCallingConfig`: mode `AUTO`, `NONE` or `ANY`, the latter with the one allowed function for a
/// named tool.
fn function_calling(choice: &ToolChoice) -> Value {
    match choice {
        ToolChoice::Auto => json!({"mode": "AUTO"}),
        ToolChoice::None => json!({"mode": "NONE"}),
        ToolChoice::Required => json!({"mode": "ANY"}),
        ToolChoice::Tool(name) => json!({"mode": "ANY", "allowedFunctionNames": [name]}),
    }
}

/// A JSON Schema without the keywords Gemini's OpenAPI-subset schemas refuse (`$schema`, `additionalProperties`…).
fn schema(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "$schema" | "$id" | "$comment" | "additionalProperties"))
                .map(|(k, v)| (k.clone(), schema(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(schema).collect()),
        other => other.clone(),
    }
}

fn contents(request: &ChatRequest) -> Result<Vec<Value>, LlmError> {
    let names = call_names(request);
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for m in &request.messages {
        let (role, parts) = match m.role {
            Role::System => continue,
            Role::User => ("user", vec![json!({"text": m.content})]),
            Role::Assistant => {
                let mut parts: Vec<Value> =
                    if m.content.is_empty() { Vec::new() } else { vec![json!({"text": m.content})] };
                parts.extend(
                    m.tool_calls.iter().map(|c| json!({"functionCall": {"name": c.name, "args": c.arguments}})),
                );
                ("model", parts)
            }
            Role::Tool => {
                let id = m.tool_call_id.as_deref().unwrap_or("");
                let name = names.get(id).ok_or_else(|| {
                    LlmError::InvalidRequest(format!("tool result {id:?} answers no tool call of the conversation"))
                })?;
                let response = match serde_json::from_str::<Value>(&m.content) {
                    Ok(obj @ Value::Object(_)) => obj,
                    Ok(other) => json!({"content": other}),
                    Err(_) => json!({"content": m.content}),
                };
                ("user", vec![json!({"functionResponse": {"name": name, "response": response}})])
            }
        };
        if parts.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(parts),
            _ => turns.push((role, parts)),
        }
    }
    Ok(turns.into_iter().map(|(role, parts)| json!({"role": role, "parts": parts})).collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    candidates: Option<Vec<Candidate>>,
    usage_metadata: Option<UsageMetadata>,
    prompt_feedback: Option<PromptFeedback>,
    error: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Part {
    text: Option<String>,
    function_call: Option<FunctionCall>,
    #[serde(default)]
    thought: bool,
}

#[derive(Deserialize)]
struct FunctionCall {
    name: String,
    #[serde(default)]
    args: Value,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u32,
    #[serde(default)]
    candidates_token_count: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
}

/// Assembles one or many (streamed) responses.
#[derive(Default)]
pub(crate) struct Stream {
    label: String,
    content: String,
    tool_calls: Vec<ToolCall>,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    seen_candidate: bool,
}

impl Stream {
    /// A decoder for the configuration labelled `label`.
    pub fn new(label: &str) -> Self {
        Self { label: label.to_owned(), ..Self::default() }
    }

    fn absorb(&mut self, r: Response, deltas: &mut Vec<String>) -> Result<(), LlmError> {
        if let Some(error) = r.error {
            let message = error.get("message").and_then(Value::as_str).unwrap_or("error").to_owned();
            let status = error.get("code").and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok()).unwrap_or(500);
            return Err(LlmError::Status { provider: self.label.clone(), status, message });
        }
        if let Some(u) = r.usage_metadata {
            self.usage =
                Some(Usage { prompt_tokens: u.prompt_token_count, completion_tokens: u.candidates_token_count });
        }
        if let Some(reason) = r.prompt_feedback.and_then(|f| f.block_reason) {
            self.finish_reason = Some(format!("blocked: {reason}"));
        }
        let Some(candidate) = r.candidates.and_then(|c| c.into_iter().next()) else { return Ok(()) };
        self.seen_candidate = true;
        if let Some(reason) = candidate.finish_reason {
            self.finish_reason = Some(reason);
        }
        for part in candidate.content.map(|c| c.parts).unwrap_or_default() {
            if let Some(call) = part.function_call {
                let arguments = if call.args.is_null() { json!({}) } else { call.args };
                self.tool_calls.push(ToolCall { id: new_call_id(), name: call.name, arguments });
            } else if let Some(text) = part.text.filter(|t| !t.is_empty() && !part.thought) {
                self.content.push_str(&text);
                deltas.push(text);
            }
        }
        Ok(())
    }

    /// Feeds one `data:` payload (a partial response).
    pub fn feed(&mut self, data: &str, deltas: &mut Vec<String>) -> Result<bool, LlmError> {
        if data.trim().is_empty() {
            return Ok(false);
        }
        let r: Response = parse_json("a Gemini response chunk", data.as_bytes())?;
        self.absorb(r, deltas)?;
        Ok(false)
    }

    /// Whether a finish reason arrived (Gemini's stream has no end marker but the connection's end).
    pub fn complete(&self) -> bool {
        self.finish_reason.is_some()
    }

    /// The assembled answer.
    pub fn finish(self) -> Result<Answer, LlmError> {
        if !self.seen_candidate && self.finish_reason.is_none() {
            return Err(LlmError::Malformed("the response has no candidates".into()));
        }
        Ok(Answer {
            content: self.content,
            tool_calls: self.tool_calls,
            finish_reason: self.finish_reason,
            usage: self.usage.unwrap_or_default(),
        })
    }
}

/// Decodes a whole response.
pub(crate) fn decode(label: &str, body: &[u8]) -> Result<Answer, LlmError> {
    let r: Response = parse_json("the Gemini response", body)?;
    let mut s = Stream::new(label);
    s.absorb(r, &mut Vec::new())?;
    s.finish()
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
    fn tool_choice_is_sent_as_function_calling_config_only_with_tools() {
        let link = ProviderConfig::new("google", None, None, Some("k")).unwrap();
        let b = |c: ToolChoice| body(&link, &with_choice(c, true)).unwrap()["toolConfig"].clone();
        let mode = |m: &str| json!({"functionCallingConfig": {"mode": m}});
        assert_eq!(b(ToolChoice::Auto), mode("AUTO"));
        assert_eq!(b(ToolChoice::None), mode("NONE"));
        assert_eq!(b(ToolChoice::Required), mode("ANY"));
        assert_eq!(
            b(ToolChoice::Tool("add".into())),
            json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["add"]}})
        );
        assert!(body(&link, &with_choice(ToolChoice::Required, false)).unwrap().get("toolConfig").is_none());
    }

    #[test]
    fn roles_system_tools_and_function_responses_by_name() {
        let link = ProviderConfig::new("google", None, None, Some("k")).unwrap();
        let call = ToolCall { id: "call_x".into(), name: "add".into(), arguments: json!({"a": 1}) };
        let req = ChatRequest {
            messages: vec![
                Message::system("be brief"),
                Message::user("1+1?"),
                Message::assistant("", vec![call]),
                Message::tool_result("call_x", "2"),
            ],
            tools: vec![ToolSpec {
                name: "add".into(),
                description: "adds".into(),
                parameters: json!({"type": "object", "additionalProperties": false, "properties": {"a": {"type": "integer"}}}),
            }],
            temperature: Some(0.2),
            ..ChatRequest::default()
        };
        let b = body(&link, &req).unwrap();
        assert_eq!(b["systemInstruction"], json!({"parts": [{"text": "be brief"}]}));
        assert_eq!(
            b["contents"][1],
            json!({"role": "model", "parts": [{"functionCall": {"name": "add", "args": {"a": 1}}}]})
        );
        assert_eq!(
            b["contents"][2]["parts"][0]["functionResponse"],
            json!({"name": "add", "response": {"content": 2}})
        );
        let decl = &b["tools"][0]["functionDeclarations"][0];
        assert!(decl["parameters"].get("additionalProperties").is_none());
        assert_eq!(b["generationConfig"], json!({"temperature": 0.2}));
        let orphan = ChatRequest {
            messages: vec![Message::user("q"), Message::tool_result("nope", "1")],
            ..ChatRequest::default()
        };
        assert!(matches!(body(&link, &orphan), Err(LlmError::InvalidRequest(_))));
    }

    #[test]
    fn responses_decode_with_generated_call_ids() {
        let body = br#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Adding."},{"functionCall":{"name":"add","args":{"a":1}}}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":4,"totalTokenCount":12}}"#;
        let a = decode("g", body).unwrap();
        assert_eq!(a.content, "Adding.");
        assert!(a.tool_calls[0].id.starts_with("call_"));
        assert_eq!((a.usage.prompt_tokens, a.usage.completion_tokens), (8, 4));
        assert!(matches!(decode("g", b"{}"), Err(LlmError::Malformed(_))));
        let blocked = decode("g", br#"{"promptFeedback":{"blockReason":"SAFETY"}}"#).unwrap();
        assert_eq!(blocked.finish_reason.as_deref(), Some("blocked: SAFETY"));
    }

    #[test]
    fn streamed_chunks_accumulate() {
        let mut s = Stream::default();
        let mut d = Vec::new();
        s.feed(r#"{"candidates":[{"content":{"parts":[{"text":"Hel"}]}}]}"#, &mut d).unwrap();
        assert!(!s.complete());
        s.feed(r#"{"candidates":[{"content":{"parts":[{"text":"lo"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2}}"#, &mut d).unwrap();
        assert!(s.complete());
        assert_eq!(d, ["Hel", "lo"]);
        assert_eq!(s.finish().unwrap().usage.completion_tokens, 2);
    }
}
