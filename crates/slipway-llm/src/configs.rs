//! Each user's provider configurations (ResoftAI's `/api/llm-configs`): create, list, update, delete and test,
//! checked here: a user sees and changes only their own (another user's id is "not found"). API keys are sealed
//! before they are stored and never leave the service; views say only `has_api_key`.
//!
//! `config` holds the sampling parameters `temperature` (0–2), `max_tokens` (1–200,000) and `top_p` (0–1);
//! other keys are rejected. An update sets the keys it names (`null` removes one) and keeps the others.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use slipway_core::{Error, FieldError, Principal, Role};
use slipway_outbound::OutboundPolicy;
use slipway_store::llm::{LlmConfigRecord, LlmConfigRow};
use slipway_store::{Db, Sealer};
use tokio_util::sync::CancellationToken;

use crate::chain::Chain;
use crate::error::{LlmError, NOT_CONFIGURED};
use crate::provider::{Params, Provider, ProviderConfig, Reach, Secret, normalize_base_url};
use crate::retry::RetryPolicy;
use crate::runtime::{CallInfo, Runtime};
use crate::types::{ChatRequest, Message};

/// Longest configuration name.
const NAME_MAX: usize = 100;
/// Longest model name accepted, in characters.
const MODEL_MAX: usize = 200;
/// Longest base URL accepted, in characters.
const BASE_MAX: usize = 2048;
/// Longest API key accepted, in characters.
const KEY_MAX: usize = 4096;
/// The question a test asks.
pub const TEST_PROMPT: &str = "Say hello";
/// Tokens a test answer may use.
const TEST_MAX_TOKENS: u32 = 64;
/// The longest a test call waits, whatever the runtime's timeout (the HTTP request must not time out first).
const TEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A configuration as its owner sees it. It never holds the API key, only whether there is one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlmConfigView {
    /// Its id.
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// A name for people.
    pub name: String,
    /// Provider name.
    pub provider: String,
    /// Model name.
    pub model: String,
    /// Base URL, when not the provider's public one.
    pub api_base: Option<String>,
    /// Whether this is the owner's default (the first provider of their calls).
    pub is_default: bool,
    /// Whether it may be used.
    pub is_active: bool,
    /// Whether an API key is stored.
    pub has_api_key: bool,
    /// Sampling parameters.
    pub config: Params,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A configuration to create.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewLlmConfig {
    /// A name for people, 1–100 characters.
    pub name: String,
    /// Provider name.
    pub provider: String,
    /// Model (the provider's default when unset).
    pub model: Option<String>,
    /// API key (required except for Ollama, vLLM and llama.cpp).
    pub api_key: Option<Secret>,
    /// Base URL (the provider's public one when unset; required for vLLM and llama.cpp).
    pub api_base: Option<String>,
    /// Whether it becomes the owner's default.
    #[serde(default)]
    pub is_default: bool,
    /// Sampling parameters.
    pub config: Option<Params>,
}

/// Sampling parameters to change: a key given sets it, `null` removes it, a key left out stays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamsPatch {
    /// New temperature (`null` removes it).
    #[serde(default, deserialize_with = "present")]
    pub temperature: Option<Option<f64>>,
    /// New token limit (`null` removes it).
    #[serde(default, deserialize_with = "present")]
    pub max_tokens: Option<Option<u32>>,
    /// New top-p (`null` removes it).
    #[serde(default, deserialize_with = "present")]
    pub top_p: Option<Option<f64>>,
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl ParamsPatch {
    fn apply(self, mut p: Params) -> Params {
        if let Some(v) = self.temperature {
            p.temperature = v;
        }
        if let Some(v) = self.max_tokens {
            p.max_tokens = v;
        }
        if let Some(v) = self.top_p {
            p.top_p = v;
        }
        p
    }
}

/// Fields to change; `None` leaves a field as it is. An empty `api_key` or `api_base` removes it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LlmConfigChanges {
    /// New name.
    pub name: Option<String>,
    /// New provider (the model follows to the new provider's default unless `model` is given too).
    pub provider: Option<String>,
    /// New model.
    pub model: Option<String>,
    /// New API key.
    pub api_key: Option<Secret>,
    /// New base URL.
    pub api_base: Option<String>,
    /// Make it the default (`true`) or not.
    pub is_default: Option<bool>,
    /// Enable or disable it.
    pub is_active: Option<bool>,
    /// Sampling parameters to change.
    pub config: Option<ParamsPatch>,
}

impl LlmConfigChanges {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.provider.is_none()
            && self.model.is_none()
            && self.api_key.is_none()
            && self.api_base.is_none()
            && self.is_default.is_none()
            && self.is_active.is_none()
            && self.config.is_none()
    }
}

/// What a test call found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestOutcome {
    /// Always `true` (a failed test is an error).
    pub success: bool,
    /// The model that answered.
    pub model: String,
    /// How long the call took, milliseconds.
    pub response_time_ms: u64,
    /// What the model said.
    pub test_output: String,
}

/// The per-user configuration service.
#[derive(Clone)]
pub struct LlmConfigs {
    db: Db,
    sealer: Sealer,
    runtime: Arc<Runtime>,
}

/// The desired state of a row, validated, before it is stored.
struct Draft {
    name: String,
    provider: Provider,
    model: String,
    api_key_sealed: Option<String>,
    api_base: Option<String>,
    is_default: bool,
    is_active: bool,
    params: Params,
}

fn key_context(user_id: i64) -> String {
    format!("llm_configs.api_key:user={user_id}")
}

fn not_found() -> Error {
    Error::NotFound("LLM configuration".into())
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > NAME_MAX {
        errors.push(FieldError::body("name", "value_error", format!("must be 1 to {NAME_MAX} characters")));
    }
    name.to_owned()
}

/// Refuses a text field longer than `max` characters.
fn check_len(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    if value.chars().count() > max {
        errors.push(FieldError::body(field, "value_error", format!("must be at most {max} characters")));
    }
}

fn check_params(params: &Params, errors: &mut Vec<FieldError>) {
    for (field, msg) in params.problems() {
        errors.push(FieldError::body(&format!("config.{field}"), "value_error", msg));
    }
}

fn check_base(base: Option<&str>, provider: Option<Provider>, errors: &mut Vec<FieldError>) -> Option<String> {
    let base = base.map(str::trim).filter(|b| !b.is_empty());
    match base {
        Some(b) if b.chars().count() > BASE_MAX => {
            check_len("api_base", b, BASE_MAX, errors);
            None
        }
        Some(b) => match normalize_base_url(b) {
            Ok(url) => Some(url),
            Err(e) => {
                errors.push(FieldError::body("api_base", "value_error.url", e));
                None
            }
        },
        None => {
            if let Some(p) = provider.filter(|p| p.default_base_url().is_none()) {
                errors.push(FieldError::body(
                    "api_base",
                    "missing",
                    format!("provider {p} needs the server's base URL"),
                ));
            }
            None
        }
    }
}

/// The outbound policy's verdict on a base URL a user gives, as a validation error on `api_base`.
fn check_reach(base: Option<&str>, policy: &OutboundPolicy, admin: bool, errors: &mut Vec<FieldError>) {
    if let Some(Err(refusal)) = base.map(|b| policy.check_url_to_save(b, admin)) {
        errors.push(refusal.field_error("api_base"));
    }
}

impl LlmConfigs {
    pub(crate) fn new(db: Db, sealer: Sealer, runtime: Arc<Runtime>) -> Self {
        Self { db, sealer, runtime }
    }

    fn view(r: LlmConfigRecord) -> LlmConfigView {
        let config = serde_json::from_value(r.params.0).unwrap_or_default();
        LlmConfigView {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            provider: r.provider,
            model: r.model,
            api_base: r.api_base,
            is_default: r.is_default,
            is_active: r.is_active,
            has_api_key: r.api_key_sealed.is_some(),
            config,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    fn seal(&self, user_id: i64, key: &Secret) -> Result<String, Error> {
        self.sealer
            .seal(&key_context(user_id), key.expose())
            .map_err(|e| Error::Internal(format!("sealing an API key: {e}")))
    }

    async fn store(&self, user_id: i64, id: Option<i64>, d: Draft) -> Result<LlmConfigView, Error> {
        let params = serde_json::to_value(d.params).map_err(|e| Error::Internal(e.to_string()))?;
        let row = LlmConfigRow {
            name: &d.name,
            provider: d.provider.name(),
            model: &d.model,
            api_key_sealed: d.api_key_sealed.as_deref(),
            api_base: d.api_base.as_deref(),
            is_default: d.is_default,
            is_active: d.is_active,
            params: &params,
        };
        let now = slipway_core::time::now();
        let record = match id {
            None => self.db.insert_llm_config(user_id, &row, now).await?,
            Some(id) => self.db.update_llm_config(user_id, id, &row, now).await?.ok_or_else(not_found)?,
        };
        Ok(Self::view(record))
    }

    /// Creates a configuration of the caller; when it is the default, their previous default stops being one.
    pub async fn create(&self, who: &Principal, input: NewLlmConfig) -> Result<LlmConfigView, Error> {
        let mut errors = Vec::new();
        let name = check_name(&input.name, &mut errors);
        let provider = match Provider::parse_or_err(&input.provider) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(FieldError::body("provider", "value_error", e));
                None
            }
        };
        let model = input.model.as_deref().map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned);
        let model = model.or_else(|| provider.and_then(Provider::default_model).map(str::to_owned));
        if let Some(m) = &model {
            check_len("model", m, MODEL_MAX, &mut errors);
        }
        if model.is_none() && provider.is_some() {
            errors.push(FieldError::body("model", "missing", "this provider has no default model; name one"));
        }
        let api_key = input.api_key.filter(|k| !k.expose().trim().is_empty());
        if let Some(k) = &api_key {
            check_len("api_key", k.expose().trim(), KEY_MAX, &mut errors);
        }
        if api_key.is_none() && provider.is_some_and(Provider::needs_api_key) {
            errors.push(FieldError::body("api_key", "missing", "this provider needs an API key"));
        }
        let api_base = check_base(input.api_base.as_deref(), provider, &mut errors);
        check_reach(api_base.as_deref(), &self.runtime.settings.outbound, who.is_admin(), &mut errors);
        let params = input.config.unwrap_or_default();
        check_params(&params, &mut errors);
        let (Some(provider), Some(model), true) = (provider, model, errors.is_empty()) else {
            return Err(Error::Validation(errors));
        };
        let api_key_sealed = api_key.map(|k| self.seal(who.user_id, &Secret::new(k.expose().trim()))).transpose()?;
        let draft = Draft {
            name,
            provider,
            model,
            api_key_sealed,
            api_base,
            is_default: input.is_default,
            is_active: true,
            params,
        };
        self.store(who.user_id, None, draft).await
    }

    /// The caller's configurations, newest first.
    pub async fn list(&self, who: &Principal) -> Result<Vec<LlmConfigView>, Error> {
        Ok(self.db.llm_configs_of(who.user_id).await?.into_iter().map(Self::view).collect())
    }

    /// One configuration of the caller.
    pub async fn get(&self, who: &Principal, id: i64) -> Result<LlmConfigView, Error> {
        self.db.llm_config(who.user_id, id).await?.map(Self::view).ok_or_else(not_found)
    }

    /// Changes a configuration of the caller.
    pub async fn update(&self, who: &Principal, id: i64, c: LlmConfigChanges) -> Result<LlmConfigView, Error> {
        let current = self.db.llm_config(who.user_id, id).await?.ok_or_else(not_found)?;
        if c.is_empty() {
            return Err(Error::NoUpdateData);
        }
        let mut errors = Vec::new();
        let name = match &c.name {
            Some(n) => check_name(n, &mut errors),
            None => current.name.clone(),
        };
        let old_provider = Provider::parse(&current.provider);
        let provider = match &c.provider {
            Some(p) => match Provider::parse_or_err(p) {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.push(FieldError::body("provider", "value_error", e));
                    None
                }
            },
            None => old_provider,
        };
        let provider_changed = provider != old_provider;
        let model = match c.model.as_deref().map(str::trim) {
            Some("") => {
                errors.push(FieldError::body("model", "value_error", "must not be empty"));
                None
            }
            Some(m) => {
                check_len("model", m, MODEL_MAX, &mut errors);
                Some(m.to_owned())
            }
            None if provider_changed => provider.and_then(Provider::default_model).map(str::to_owned),
            None => Some(current.model.clone()),
        };
        if model.is_none() && provider.is_some() && c.model.is_none() {
            errors.push(FieldError::body("model", "missing", "the new provider has no default model; name one"));
        }
        if let Some(k) = &c.api_key {
            check_len("api_key", k.expose().trim(), KEY_MAX, &mut errors);
        }
        let api_key_sealed = match &c.api_key {
            Some(k) if k.expose().trim().is_empty() => None,
            Some(k) => Some(self.seal(who.user_id, &Secret::new(k.expose().trim()))?),
            None => current.api_key_sealed.clone(),
        };
        if api_key_sealed.is_none() && provider.is_some_and(Provider::needs_api_key) {
            errors.push(FieldError::body("api_key", "missing", "this provider needs an API key"));
        }
        let api_base = match &c.api_base {
            Some(b) => {
                let base = check_base(Some(b), provider, &mut errors);
                check_reach(base.as_deref(), &self.runtime.settings.outbound, who.is_admin(), &mut errors);
                base
            }
            // Another provider's URL would be wrong for the new one.
            None if provider_changed => check_base(None, provider, &mut errors),
            None => {
                let kept = current.api_base.clone();
                check_base(kept.as_deref(), provider, &mut errors)
            }
        };
        let stored: Params = serde_json::from_value(current.params.0.clone()).unwrap_or_default();
        let params = c.config.map_or(stored, |patch| patch.apply(stored));
        check_params(&params, &mut errors);
        let (Some(provider), Some(model), true) = (provider, model, errors.is_empty()) else {
            return Err(Error::Validation(errors));
        };
        let draft = Draft {
            name,
            provider,
            model,
            api_key_sealed,
            api_base,
            is_default: c.is_default.unwrap_or(current.is_default),
            is_active: c.is_active.unwrap_or(current.is_active),
            params,
        };
        self.store(who.user_id, Some(id), draft).await
    }

    /// Deletes a configuration of the caller.
    pub async fn delete(&self, who: &Principal, id: i64) -> Result<(), Error> {
        if self.db.delete_llm_config(who.user_id, id).await? { Ok(()) } else { Err(not_found()) }
    }

    /// Calls the configuration alone (no fallback, no cache, no retry) with a tiny question. A base URL the
    /// outbound policy refuses (checked again on the resolved address) is [`Error::Validation`] on `api_base`,
    /// and nothing is sent; a configuration the provider refuses is [`Error::InvalidConfiguration`]; an
    /// unreachable or failing provider is [`Error::Unavailable`].
    pub async fn test(&self, who: &Principal, id: i64, cancel: &CancellationToken) -> Result<TestOutcome, Error> {
        let record = self.db.llm_config(who.user_id, id).await?.ok_or_else(not_found)?;
        let link = self.link(&record, who.is_admin())?;
        let link = ProviderConfig { timeout: link.timeout.min(TEST_TIMEOUT), retry: RetryPolicy::none(), ..link };
        let request = ChatRequest {
            messages: vec![Message::user(TEST_PROMPT)],
            max_tokens: Some(TEST_MAX_TOKENS),
            ..ChatRequest::default()
        };
        let call = CallInfo::for_user(who.user_id);
        let started = Instant::now();
        let response =
            self.runtime.call(&Chain::single(link), &request, call, cancel, None).await.map_err(|e| match e {
                LlmError::Refused { reason, .. } => reason.into_field_error("api_base"),
                other => Error::from(other),
            })?;
        Ok(TestOutcome {
            success: true,
            model: response.model,
            response_time_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            test_output: response.content,
        })
    }

    /// The runtime's link for a stored configuration: key opened, defaults and server limits applied, policed
    /// as its owner's (`admin`: an administrator's).
    fn link(&self, r: &LlmConfigRecord, admin: bool) -> Result<ProviderConfig, Error> {
        let label = format!("LLM configuration {:?}", r.name);
        let key = match &r.api_key_sealed {
            Some(sealed) => Some(self.sealer.open(&key_context(r.user_id), sealed).map_err(|e| {
                Error::InvalidConfiguration(format!("{label}: its API key cannot be used ({e}); set the key again"))
            })?),
            None => None,
        };
        let params: Params = serde_json::from_value(r.params.0.clone())
            .map_err(|e| Error::InvalidConfiguration(format!("{label}: stored parameters are unreadable: {e}")))?;
        let link = ProviderConfig::new(&r.provider, Some(&r.model), r.api_base.as_deref(), key.as_deref())
            .map_err(|e| match e {
                LlmError::InvalidConfig(m) => Error::InvalidConfiguration(format!("{label}: {m}")),
                other => Error::from(other),
            })?
            .with_params(params)
            .with_label(label)
            .with_reach(Reach::User { admin });
        Ok(self.runtime.settings.shape(link))
    }

    /// The chain of a user: their default active configuration, then the server default.
    pub async fn chain_for(&self, user_id: i64) -> Result<Chain, Error> {
        let mut links = Vec::with_capacity(2);
        if let Some(record) = self.db.default_llm_config(user_id).await? {
            let admin = self.db.user_by_id(user_id).await?.is_some_and(|u| u.role == Role::Admin.as_str());
            links.push(self.link(&record, admin)?);
        }
        if let Some(server) = &self.runtime.settings.server_default {
            links.push(server.clone());
        }
        Chain::new(links).map_err(|_| Error::Unavailable(NOT_CONFIGURED.to_owned()))
    }
}
