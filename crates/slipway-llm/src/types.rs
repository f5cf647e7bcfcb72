//! The provider-neutral shapes of a chat call: messages, tools, tool calls, the response and its usage.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The user (or the agent runtime speaking for the user).
    User,
    /// The model.
    Assistant,
    /// The result of a tool call, answering the assistant message that made it.
    Tool,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its text (empty for an assistant message that only calls tools).
    pub content: String,
    /// Tool calls the assistant made in this message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a `Tool` message: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self { role: Role::System, content: content.into(), tool_calls: Vec::new(), tool_call_id: None }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self { role: Role::User, content: content.into(), tool_calls: Vec::new(), tool_call_id: None }
    }

    /// An assistant message, with the tool calls it made.
    pub fn assistant(content: impl Into<String>, tool_calls: Vec<ToolCall>) -> Self {
        Self { role: Role::Assistant, content: content.into(), tool_calls, tool_call_id: None }
    }

    /// The result of tool call `call_id`.
    pub fn tool_result(call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self { role: Role::Tool, content: content.into(), tool_calls: Vec::new(), tool_call_id: Some(call_id.into()) }
    }
}

/// A tool the model may call: its name, what it does, and a JSON Schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// `[a-zA-Z0-9_-]{1,64}`, as every provider accepts.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// JSON Schema (an object schema) of its arguments.
    pub parameters: Value,
}

/// A call of a tool by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id of the call (generated when the provider has none, as Gemini).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// Its arguments, parsed.
    pub arguments: Value,
}

/// Whether the model may, must or must not call a tool, or which one it must call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolChoice {
    /// The model decides (every provider's default).
    #[default]
    Auto,
    /// The model must answer in text.
    None,
    /// The model must call one of the tools.
    Required,
    /// The model must call the named tool.
    Tool(String),
}

/// What to ask the model. The model and provider come from the provider configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    /// Whether and which tool the model must call (only sent when `tools` is not empty).
    #[serde(default)]
    pub tool_choice: ToolChoice,
    /// Sampling temperature (the configuration's when `None`).
    pub temperature: Option<f64>,
    /// Most tokens to generate (the configuration's when `None`).
    pub max_tokens: Option<u32>,
    /// Nucleus sampling (the configuration's when `None`).
    pub top_p: Option<f64>,
}

/// Tokens a call consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the prompt.
    pub prompt_tokens: u32,
    /// Tokens generated.
    pub completion_tokens: u32,
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// Its text.
    pub content: String,
    /// Tools it called.
    pub tool_calls: Vec<ToolCall>,
    /// Why it stopped, as the provider said (`stop`, `tool_calls`, `end_turn`, `length`, …).
    pub finish_reason: Option<String>,
    /// Tokens used.
    pub usage: Usage,
    /// The provider name that answered (`deepseek`, `anthropic`, …; after a fallback, the fallback's).
    pub provider: String,
    /// The model that answered.
    pub model: String,
    /// Whether the answer came from the response cache.
    pub cached: bool,
    /// Time the call took, milliseconds (provider latency included; retries included).
    pub latency_ms: u64,
}
