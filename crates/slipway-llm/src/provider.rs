//! Providers: which wire protocol each speaks, its default model and base URL (ResoftAI appendix C), and one
//! provider configuration as the runtime uses it.
//!
//! **Base URL rule.** A base URL whose path already ends in a version segment (`/v1`, `/v4`, `/v1beta`, as in
//! `https://open.bigmodel.cn/api/paas/v4`) is used as it is, and the protocol's path is appended
//! (`/chat/completions`, `/messages`, `/models/{model}:generateContent`). Any other base URL gets the provider's
//! API root inserted first: `/v1` (OpenAI-compatible and Anthropic), `/v1beta` (Gemini), `/api/paas/v4` (Zhipu).
//! So `https://api.deepseek.com` and `https://api.deepseek.com/v1` both reach
//! `https://api.deepseek.com/v1/chat/completions`, and Zhipu's appendix-C URL `https://open.bigmodel.cn` reaches
//! `https://open.bigmodel.cn/api/paas/v4/chat/completions`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::LlmError;
use crate::retry::RetryPolicy;
use crate::types::ChatRequest;

/// The wire protocols Slipway speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// OpenAI chat completions (`POST …/chat/completions`, `Authorization: Bearer`).
    OpenAi,
    /// Anthropic Messages (`POST …/v1/messages`, `x-api-key`).
    Anthropic,
    /// Google Gemini (`POST …/v1beta/models/{model}:generateContent`).
    Gemini,
}

/// A provider Slipway knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// OpenAI.
    OpenAi,
    /// DeepSeek.
    DeepSeek,
    /// Anthropic.
    Anthropic,
    /// Google Gemini.
    Google,
    /// Moonshot (Kimi).
    Moonshot,
    /// Zhipu (GLM).
    Zhipu,
    /// MiniMax.
    MiniMax,
    /// A local Ollama server.
    Ollama,
    /// A vLLM server.
    Vllm,
    /// A llama.cpp server.
    LlamaCpp,
}

impl Provider {
    /// Every provider, in the order error messages list them.
    pub const ALL: [Provider; 10] = [
        Self::DeepSeek,
        Self::Anthropic,
        Self::Google,
        Self::Moonshot,
        Self::Zhipu,
        Self::MiniMax,
        Self::OpenAi,
        Self::Ollama,
        Self::Vllm,
        Self::LlamaCpp,
    ];

    /// The provider named `name` (case-insensitive), as configurations write it.
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        Self::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// The provider named `name`, or an error naming the known ones.
    pub fn parse_or_err(name: &str) -> Result<Self, String> {
        Self::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
            format!("unknown provider {name:?}; expected one of {}", known.join(", "))
        })
    }

    /// Its name in configurations (`deepseek`, `anthropic`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::DeepSeek => "deepseek",
            Self::Anthropic => "anthropic",
            Self::Google => "google",
            Self::Moonshot => "moonshot",
            Self::Zhipu => "zhipu",
            Self::MiniMax => "minimax",
            Self::Ollama => "ollama",
            Self::Vllm => "vllm",
            Self::LlamaCpp => "llamacpp",
        }
    }

    /// The wire protocol it speaks.
    pub fn protocol(self) -> Protocol {
        match self {
            Self::Anthropic => Protocol::Anthropic,
            Self::Google => Protocol::Gemini,
            _ => Protocol::OpenAi,
        }
    }

    /// Its default model (appendix C); `None` where a model must be named (vLLM, llama.cpp).
    pub fn default_model(self) -> Option<&'static str> {
        match self {
            Self::OpenAi => Some("gpt-4o-mini"),
            Self::DeepSeek => Some("deepseek-chat"),
            Self::Anthropic => Some("claude-3-sonnet"),
            Self::Google => Some("gemini-pro"),
            Self::Moonshot => Some("moonshot-v1"),
            Self::Zhipu => Some("glm-4"),
            Self::MiniMax => Some("abab5.5-chat"),
            Self::Ollama => Some("llama3.1"),
            Self::Vllm | Self::LlamaCpp => None,
        }
    }

    /// Its public base URL (appendix C); `None` where the server's URL must be given (vLLM, llama.cpp).
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Self::OpenAi => Some("https://api.openai.com"),
            Self::DeepSeek => Some("https://api.deepseek.com"),
            Self::Anthropic => Some("https://api.anthropic.com"),
            Self::Google => Some("https://generativelanguage.googleapis.com"),
            Self::Moonshot => Some("https://api.moonshot.cn"),
            Self::Zhipu => Some("https://open.bigmodel.cn"),
            Self::MiniMax => Some("https://api.minimax.chat"),
            Self::Ollama => Some("http://127.0.0.1:11434"),
            Self::Vllm | Self::LlamaCpp => None,
        }
    }

    /// Whether calls need an API key (self-hosted servers do not).
    pub fn needs_api_key(self) -> bool {
        !self.is_self_hosted()
    }

    /// Whether it is a server the installation runs itself (Ollama, vLLM, llama.cpp): no key, no price.
    pub fn is_self_hosted(self) -> bool {
        matches!(self, Self::Ollama | Self::Vllm | Self::LlamaCpp)
    }

    /// The path inserted after a base URL that does not end in a version segment.
    fn api_root(self) -> &'static str {
        match self {
            Self::Zhipu => "/api/paas/v4",
            Self::Google => "/v1beta",
            _ => "/v1",
        }
    }

    /// The URL of `path` (`/chat/completions`, `/messages`, `/models/…`) under `base` by the base URL rule.
    pub fn endpoint(self, base: &str, path: &str) -> String {
        let base = base.trim_end_matches('/');
        let last = base.rsplit('/').next().unwrap_or("");
        let has_path = base.split("://").nth(1).is_some_and(|rest| rest.contains('/'));
        if has_path && is_version_segment(last) {
            format!("{base}{path}")
        } else {
            format!("{base}{}{path}", self.api_root())
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `v` and digits, optionally followed by letters and digits: `v1`, `v4`, `v1beta`, `v2alpha1`.
fn is_version_segment(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else { return false };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && rest[digits..].chars().all(|c| c.is_ascii_alphanumeric())
}

/// Checks a base URL (`http`/`https`, a host, no query or fragment) and returns it without a trailing `/`.
pub fn normalize_base_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim();
    let parsed = reqwest::Url::parse(trimmed).map_err(|e| format!("{trimmed:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{trimmed:?} must be an http:// or https:// URL"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{trimmed:?} has no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!("{trimmed:?} must not have a query or fragment"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the base URL must not carry credentials; use api_key".to_owned());
    }
    Ok(trimmed.trim_end_matches('/').to_owned())
}

/// A secret string (an API key): usable, never printed by `Debug`, never serialized.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Sampling parameters of a configuration (`config` in ResoftAI's body). Unknown keys are rejected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Sampling temperature, 0–2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Most tokens to generate, 1–200,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Nucleus sampling, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
}

impl Params {
    /// Every out-of-range value, as `(field, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(t) = self.temperature
            && !(0.0..=2.0).contains(&t)
        {
            out.push(("temperature", format!("must be between 0 and 2, got {t}")));
        }
        if let Some(m) = self.max_tokens
            && !(1..=200_000).contains(&m)
        {
            out.push(("max_tokens", format!("must be between 1 and 200000, got {m}")));
        }
        if let Some(p) = self.top_p
            && !(0.0..=1.0).contains(&p)
        {
            out.push(("top_p", format!("must be between 0 and 1, got {p}")));
        }
        out
    }

    /// These parameters with the request's own values winning.
    pub fn under(&self, request: &ChatRequest) -> Params {
        Params {
            temperature: request.temperature.or(self.temperature),
            max_tokens: request.max_tokens.or(self.max_tokens),
            top_p: request.top_p.or(self.top_p),
        }
    }
}

/// Who chose a configuration's base URL, and so whether the outbound policy applies to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Reach {
    /// The operator (the server default, `SLIPWAY_LLM_*`) or code: trusted, any address.
    #[default]
    Trusted,
    /// A user (their own LLM configuration): the outbound policy applies, administrators excepted.
    User {
        /// Whether the user is an administrator (who may reach internal addresses).
        admin: bool,
    },
}

/// Everything needed to call one provider: what the runtime tries, one link of a [`crate::Chain`].
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The provider.
    pub provider: Provider,
    /// The model.
    pub model: String,
    /// Base URL (no trailing `/`).
    pub base_url: String,
    /// API key.
    pub api_key: Option<Secret>,
    /// Default sampling parameters (a request's own values win).
    pub params: Params,
    /// How long one request may take (for a stream: to its first event, then between events).
    pub timeout: Duration,
    /// Retries on 429, 5xx and connection errors.
    pub retry: RetryPolicy,
    /// Names the configuration in error messages (`LLM configuration "mine"`, `the server default`).
    pub label: String,
    /// Whether the outbound policy applies to its base URL (trusted unless it is a user's configuration).
    pub reach: Reach,
}

impl ProviderConfig {
    /// A configuration of provider `provider`, its default model and base URL filled in where not given;
    /// invalid values are [`LlmError::InvalidConfig`] naming the field.
    pub fn new(
        provider: &str,
        model: Option<&str>,
        base_url: Option<&str>,
        api_key: Option<&str>,
    ) -> Result<Self, LlmError> {
        let p = Provider::parse_or_err(provider).map_err(|e| LlmError::InvalidConfig(format!("provider: {e}")))?;
        let model = match model.map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => m.to_owned(),
            None => p
                .default_model()
                .ok_or_else(|| LlmError::InvalidConfig(format!("model: provider {p} has no default model; name one")))?
                .to_owned(),
        };
        let base_url = match base_url.map(str::trim).filter(|b| !b.is_empty()) {
            Some(b) => normalize_base_url(b).map_err(|e| LlmError::InvalidConfig(format!("api_base: {e}")))?,
            None => p
                .default_base_url()
                .ok_or_else(|| LlmError::InvalidConfig(format!("api_base: provider {p} needs the server's base URL")))?
                .to_owned(),
        };
        let api_key = api_key.map(str::trim).filter(|k| !k.is_empty()).map(Secret::new);
        if api_key.is_none() && p.needs_api_key() {
            return Err(LlmError::InvalidConfig(format!("api_key: provider {p} needs an API key")));
        }
        Ok(Self {
            provider: p,
            model,
            base_url,
            api_key,
            params: Params::default(),
            timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            label: format!("provider {p}"),
            reach: Reach::Trusted,
        })
    }

    /// With default sampling parameters.
    pub fn with_params(mut self, params: Params) -> Self {
        self.params = params;
        self
    }

    /// With a request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// With a retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// With the reach of whoever chose its base URL.
    pub fn with_reach(mut self, reach: Reach) -> Self {
        self.reach = reach;
        self
    }

    /// With the name error messages use for it.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appendix_c_defaults() {
        let p = Provider::parse("DeepSeek").unwrap();
        assert_eq!(
            (p.default_model(), p.default_base_url()),
            (Some("deepseek-chat"), Some("https://api.deepseek.com"))
        );
        assert_eq!(Provider::parse("anthropic").unwrap().protocol(), Protocol::Anthropic);
        assert_eq!(Provider::parse("google").unwrap().default_model(), Some("gemini-pro"));
        assert_eq!(Provider::parse("minimax").unwrap().default_model(), Some("abab5.5-chat"));
        assert!(Provider::parse("ollama").is_some_and(|p| !p.needs_api_key()));
        let err = Provider::parse_or_err("openia").unwrap_err();
        assert!(err.contains("openia") && err.contains("deepseek"), "{err}");
    }

    #[test]
    fn the_base_url_rule() {
        let ds = Provider::DeepSeek;
        assert_eq!(
            ds.endpoint("https://api.deepseek.com", "/chat/completions"),
            "https://api.deepseek.com/v1/chat/completions"
        );
        assert_eq!(
            ds.endpoint("https://api.deepseek.com/v1/", "/chat/completions"),
            "https://api.deepseek.com/v1/chat/completions"
        );
        let zp = Provider::Zhipu;
        assert_eq!(
            zp.endpoint("https://open.bigmodel.cn", "/chat/completions"),
            "https://open.bigmodel.cn/api/paas/v4/chat/completions"
        );
        assert_eq!(
            zp.endpoint("https://open.bigmodel.cn/api/paas/v4", "/chat/completions"),
            "https://open.bigmodel.cn/api/paas/v4/chat/completions"
        );
        let g = Provider::Google;
        assert_eq!(
            g.endpoint("https://x.test", "/models/m:generateContent"),
            "https://x.test/v1beta/models/m:generateContent"
        );
        assert_eq!(g.endpoint("https://x.test/v1beta", "/models/m"), "https://x.test/v1beta/models/m");
        assert_eq!(
            Provider::Vllm.endpoint("http://gpu:8000/openai", "/chat/completions"),
            "http://gpu:8000/openai/v1/chat/completions"
        );
        // A host that looks like a version is not a path.
        assert_eq!(Provider::Vllm.endpoint("http://v1", "/chat/completions"), "http://v1/v1/chat/completions");
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(normalize_base_url(" https://a.test/v1/ ").unwrap(), "https://a.test/v1");
        assert!(normalize_base_url("ftp://a.test").is_err());
        assert!(normalize_base_url("not a url").is_err());
        assert!(normalize_base_url("https://a.test/?x=1").is_err());
        assert!(normalize_base_url("https://u:p@a.test").is_err());
    }

    #[test]
    fn configs_fill_defaults_and_name_bad_fields() {
        let c = ProviderConfig::new("moonshot", None, None, Some("sk-1")).unwrap();
        assert_eq!((c.model.as_str(), c.base_url.as_str()), ("moonshot-v1", "https://api.moonshot.cn"));
        assert!(!format!("{c:?}").contains("sk-1"));
        let err = |r: Result<ProviderConfig, LlmError>| r.unwrap_err().to_string();
        assert!(err(ProviderConfig::new("nope", None, None, Some("k"))).contains("provider"));
        assert!(err(ProviderConfig::new("deepseek", None, None, None)).contains("api_key"));
        assert!(err(ProviderConfig::new("vllm", None, Some("http://gpu:8000"), None)).contains("model"));
        assert!(err(ProviderConfig::new("vllm", Some("qwen"), None, None)).contains("api_base"));
        assert!(ProviderConfig::new("ollama", None, None, None).is_ok());
    }

    #[test]
    fn params_are_range_checked_and_requests_win() {
        let p = Params { temperature: Some(2.5), max_tokens: Some(0), top_p: Some(0.5) };
        let fields: Vec<&str> = p.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["temperature", "max_tokens"]);
        let req = ChatRequest { temperature: Some(0.1), ..ChatRequest::default() };
        let eff = Params { temperature: Some(0.7), max_tokens: Some(100), top_p: None }.under(&req);
        assert_eq!(eff, Params { temperature: Some(0.1), max_tokens: Some(100), top_p: None });
    }
}
