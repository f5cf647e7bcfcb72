//! ResoftAI's response bodies: users (integer ids, `full_name`, `is_admin`, `role`) and LLM configurations.

use serde::Serialize;
use slipway_core::Role;
use slipway_core::time::rfc3339;
use slipway_identity::User;
use slipway_llm::{LlmConfigView, Params, TestOutcome};
use utoipa::ToSchema;

/// A user as ResoftAI shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiUser {
    /// The user's id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub full_name: String,
    /// Whether the account may sign in.
    pub is_active: bool,
    /// Whether the user is an administrator.
    pub is_admin: bool,
    /// `user` or `admin`.
    #[schema(value_type = String)]
    pub role: Role,
    /// When the account was created (RFC 3339).
    pub created_at: String,
    /// When the account last changed (RFC 3339).
    pub updated_at: String,
}

impl From<&User> for ResoftAiUser {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            full_name: u.full_name.clone(),
            is_active: u.is_active,
            is_admin: u.role == Role::Admin,
            role: u.role,
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

/// Sampling parameters of a configuration; the ones not set are left out.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiLlmParams {
    /// Sampling temperature, 0–2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Most tokens to generate, 1–200,000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Nucleus sampling, 0–1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
}

impl From<Params> for ResoftAiLlmParams {
    fn from(p: Params) -> Self {
        Self { temperature: p.temperature, max_tokens: p.max_tokens, top_p: p.top_p }
    }
}

/// An LLM configuration as ResoftAI shows it: the documented fields, plus `api_base`, `has_api_key`, `config`
/// and `updated_at`. The API key itself never leaves the server.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiLlmConfig {
    /// Its id.
    pub id: i64,
    /// The owner's id.
    pub user_id: i64,
    /// A name for people.
    pub name: String,
    /// Provider name (`deepseek`, `openai`, `ollama` …).
    pub provider: String,
    /// Model name.
    pub model: String,
    /// Base URL, when not the provider's public one.
    pub api_base: Option<String>,
    /// Whether this is the owner's default.
    pub is_default: bool,
    /// Whether it may be used.
    pub is_active: bool,
    /// Whether an API key is stored.
    pub has_api_key: bool,
    /// Sampling parameters.
    pub config: ResoftAiLlmParams,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl From<LlmConfigView> for ResoftAiLlmConfig {
    fn from(v: LlmConfigView) -> Self {
        Self {
            id: v.id,
            user_id: v.user_id,
            name: v.name,
            provider: v.provider,
            model: v.model,
            api_base: v.api_base,
            is_default: v.is_default,
            is_active: v.is_active,
            has_api_key: v.has_api_key,
            config: v.config.into(),
            created_at: rfc3339(v.created_at),
            updated_at: rfc3339(v.updated_at),
        }
    }
}

/// What a test call of a configuration found.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiLlmTestResult {
    /// Always `true` (a failed test is an error answer).
    pub success: bool,
    /// The model that answered.
    pub model: String,
    /// How long the call took, in milliseconds.
    pub response_time_ms: u64,
    /// What the model said.
    pub test_output: String,
}

impl From<TestOutcome> for ResoftAiLlmTestResult {
    fn from(o: TestOutcome) -> Self {
        Self { success: o.success, model: o.model, response_time_ms: o.response_time_ms, test_output: o.test_output }
    }
}
