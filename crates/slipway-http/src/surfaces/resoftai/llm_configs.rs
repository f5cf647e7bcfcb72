//! ResoftAI's `/api/llm-configs`: each user's LLM provider configurations. The service checks ownership
//! (another user's id is a 404) and seals the API key; no answer ever carries it, only `has_api_key`.
//! Errors leave in ResoftAI's shape: bad fields 422, a configuration the provider refuses 400 (`LLM_002`),
//! a provider that cannot be reached or fails 503 (`LLM_001`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use slipway_llm::{LlmConfigChanges, NewLlmConfig, Params, ParamsPatch, Secret};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use super::views::{ResoftAiLlmConfig, ResoftAiLlmTestResult};
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser, PathId};
use crate::state::AppState;

/// A configuration to add. Unknown fields are ignored, as FastAPI does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = LlmConfigCreate)]
pub struct CreateBody {
    /// A name, 1–100 characters.
    pub name: String,
    /// `deepseek`, `anthropic`, `google`, `moonshot`, `zhipu`, `minimax`, `openai`, `ollama`, `vllm`, `llamacpp`.
    pub provider: String,
    /// Model (the provider's default when left out); ResoftAI's clients also send it as `model_name`.
    #[serde(alias = "model_name")]
    pub model: Option<String>,
    /// API key (required except for `ollama`, `vllm`, `llamacpp`); stored encrypted, never returned.
    #[schema(value_type = Option<String>)]
    pub api_key: Option<Secret>,
    /// Base URL (http/https; the provider's public one when left out).
    pub api_base: Option<String>,
    /// Make it the default (the previous default stops being one).
    pub is_default: Option<bool>,
    /// `temperature` (0–2), `max_tokens` (1–200000), `top_p` (0–1); other keys are refused.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Params>,
    /// `config.temperature` as ResoftAI's clients also send it, at the top (`config` wins when both are given).
    pub temperature: Option<f64>,
    /// `config.max_tokens` as ResoftAI's clients also send it, at the top (`config` wins when both are given).
    pub max_tokens: Option<u32>,
}

/// `config` with the top-level aliases filled in where `config` leaves them out.
fn params_with_aliases(config: Option<Params>, temperature: Option<f64>, max_tokens: Option<u32>) -> Option<Params> {
    if temperature.is_none() && max_tokens.is_none() {
        return config;
    }
    let p = config.unwrap_or_default();
    Some(Params { temperature: p.temperature.or(temperature), max_tokens: p.max_tokens.or(max_tokens), ..p })
}

/// `config` changes with the top-level aliases filled in where `config` leaves them out.
fn patch_with_aliases(
    config: Option<ParamsPatch>,
    temperature: Option<f64>,
    max_tokens: Option<u32>,
) -> Option<ParamsPatch> {
    if temperature.is_none() && max_tokens.is_none() {
        return config;
    }
    let p = config.unwrap_or_default();
    Some(ParamsPatch {
        temperature: p.temperature.or(temperature.map(Some)),
        max_tokens: p.max_tokens.or(max_tokens.map(Some)),
        ..p
    })
}

/// Adds an LLM configuration.
#[utoipa::path(
    post, path = "/api/llm-configs", tag = "ResoftAI", security(("bearer" = [])), request_body = CreateBody,
    responses(
        (status = 201, description = "The new configuration", body = ResoftAiLlmConfig),
        (status = 401, description = "Not signed in"),
        (status = 422, description = "Invalid fields"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<ResoftAiLlmConfig>), ApiError> {
    let input = NewLlmConfig {
        name: b.name,
        provider: b.provider,
        model: b.model,
        api_key: b.api_key,
        api_base: b.api_base,
        is_default: b.is_default.unwrap_or(false),
        config: params_with_aliases(b.config, b.temperature, b.max_tokens),
    };
    let created = state.llm.configs().create(&auth.principal(), input).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// The signed-in user's LLM configurations, newest first.
#[utoipa::path(
    get, path = "/api/llm-configs", tag = "ResoftAI", security(("bearer" = [])),
    responses((status = 200, description = "The configurations", body = Vec<ResoftAiLlmConfig>), (status = 401, description = "Not signed in"))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
) -> Result<Json<Vec<ResoftAiLlmConfig>>, ApiError> {
    let all = state.llm.configs().list(&auth.principal()).await?;
    Ok(Json(all.into_iter().map(ResoftAiLlmConfig::from).collect()))
}

/// Fields to change; the ones left out stay. Unknown fields are ignored, as FastAPI does.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = LlmConfigUpdate)]
pub struct UpdateBody {
    /// New name.
    pub name: Option<String>,
    /// New provider (the model follows to its default unless `model` is given).
    pub provider: Option<String>,
    /// New model (also as `model_name`).
    #[serde(alias = "model_name")]
    pub model: Option<String>,
    /// New API key (`""` removes it where the provider needs none).
    #[schema(value_type = Option<String>)]
    pub api_key: Option<Secret>,
    /// New base URL (`""`: the provider's public one).
    pub api_base: Option<String>,
    /// Make it the default.
    pub is_default: Option<bool>,
    /// Enable or disable it.
    pub is_active: Option<bool>,
    /// Parameters to change: a key given sets it, `null` removes it, others stay.
    #[schema(value_type = Option<Object>)]
    pub config: Option<ParamsPatch>,
    /// New `config.temperature`, at the top (`config` wins when both are given).
    pub temperature: Option<f64>,
    /// New `config.max_tokens`, at the top (`config` wins when both are given).
    pub max_tokens: Option<u32>,
}

/// Changes an LLM configuration.
#[utoipa::path(
    put, path = "/api/llm-configs/{config_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("config_id" = i64, Path, description = "Configuration id")), request_body = UpdateBody,
    responses(
        (status = 200, description = "The changed configuration", body = ResoftAiLlmConfig),
        (status = 400, description = "Nothing to change"),
        (status = 404, description = "No such configuration of yours"),
        (status = 422, description = "Invalid fields"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<UpdateBody>,
) -> Result<Json<ResoftAiLlmConfig>, ApiError> {
    let changes = LlmConfigChanges {
        name: b.name,
        provider: b.provider,
        model: b.model,
        api_key: b.api_key,
        api_base: b.api_base,
        is_default: b.is_default,
        is_active: b.is_active,
        config: patch_with_aliases(b.config, b.temperature, b.max_tokens),
    };
    let updated = state.llm.configs().update(&auth.principal(), id, changes).await?;
    Ok(Json(updated.into()))
}

/// Tests an LLM configuration with one tiny call ("Say hello"): no fallback, no cache.
#[utoipa::path(
    post, path = "/api/llm-configs/{config_id}/test", tag = "ResoftAI", security(("bearer" = [])),
    params(("config_id" = i64, Path, description = "Configuration id")),
    responses(
        (status = 200, description = "The provider answered", body = ResoftAiLlmTestResult),
        (status = 400, description = "The configuration is invalid (the provider refused it): LLM_002"),
        (status = 404, description = "No such configuration of yours"),
        (status = 503, description = "The provider is unreachable or failing: LLM_001"),
    )
)]
pub async fn test(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<ResoftAiLlmTestResult>, ApiError> {
    // A client that hangs up drops this handler, and with it the provider request.
    let outcome = state.llm.configs().test(&auth.principal(), id, &CancellationToken::new()).await?;
    Ok(Json(outcome.into()))
}

/// Deletes an LLM configuration.
#[utoipa::path(
    delete, path = "/api/llm-configs/{config_id}", tag = "ResoftAI", security(("bearer" = [])),
    params(("config_id" = i64, Path, description = "Configuration id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such configuration of yours"))
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    state.llm.configs().delete(&auth.principal(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
