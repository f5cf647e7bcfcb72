//! The runtime's settings: the server default provider and the limits every call shares.

use std::time::Duration;

use slipway_core::config::LlmConfig;
use slipway_outbound::OutboundPolicy;

use crate::prices::PriceTable;
use crate::provider::ProviderConfig;
use crate::retry::RetryPolicy;

/// The label of the server default in error messages.
pub const SERVER_DEFAULT_LABEL: &str = "the server default (SLIPWAY_LLM_*)";

/// How the LLM runtime behaves.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    /// The provider every user falls back to; `None` when the server has none.
    pub server_default: Option<ProviderConfig>,
    /// How long one provider request may take (for a stream: to its first event, then between events).
    pub timeout: Duration,
    /// How long connecting to a provider may take.
    pub connect_timeout: Duration,
    /// Retries of one provider within a call.
    pub retry: RetryPolicy,
    /// Whether calls that ask for the response cache may use it (`llm_cache`; off: no call is cached).
    pub cache_allowed: bool,
    /// Entries of the response cache; 0 switches it off.
    pub cache_entries: usize,
    /// How long a cached answer is reused.
    pub cache_ttl: Duration,
    /// Prices per model.
    pub prices: PriceTable,
    /// Where users' own configurations may connect (`outbound_allow`); the server default is trusted.
    pub outbound: OutboundPolicy,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            server_default: None,
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            cache_allowed: true,
            cache_entries: 1000,
            cache_ttl: Duration::from_secs(3600),
            prices: PriceTable::built_in(),
            outbound: OutboundPolicy::default(),
        }
    }
}

impl LlmSettings {
    /// The settings a node's configuration asks for; a server default that cannot work (unknown provider, a
    /// cloud provider without a key, an unreadable price table) is an error naming the key.
    pub fn from_config(c: &LlmConfig) -> Result<Self, String> {
        let retry = RetryPolicy { attempts: c.retries.max(1), ..RetryPolicy::default() };
        let timeout = Duration::from_secs(c.timeout.max(1));
        let prices = match &c.prices {
            Some(spec) => PriceTable::load(spec)?,
            None => PriceTable::built_in(),
        };
        let server_default = match &c.provider {
            None => {
                let stray = [("llm_base_url", c.base_url.is_some()), ("llm_api_key", c.api_key.is_some())]
                    .into_iter()
                    .chain([("llm_model", c.model.is_some())])
                    .find(|(_, set)| *set);
                if let Some((key, _)) = stray {
                    return Err(format!("{key} is set but llm_provider is not; set SLIPWAY_LLM_PROVIDER too"));
                }
                None
            }
            Some(provider) => Some(
                ProviderConfig::new(provider, c.model.as_deref(), c.base_url.as_deref(), c.api_key.as_deref())
                    .map_err(|e| match e {
                        // The messages start with the field: `provider: …`, `api_base: …`; name the config key.
                        crate::LlmError::InvalidConfig(m) => match m.strip_prefix("api_base") {
                            Some(rest) => format!("llm_base_url{rest}"),
                            None => format!("llm_{m}"),
                        },
                        other => other.to_string(),
                    })?
                    .with_timeout(timeout)
                    .with_retry(retry)
                    .with_label(SERVER_DEFAULT_LABEL),
            ),
        };
        Ok(Self {
            server_default,
            timeout,
            retry,
            cache_allowed: c.cache,
            cache_entries: c.cache_entries,
            prices,
            ..Self::default()
        })
    }

    /// A user's stored configuration turned into a link with this server's timeout and retries.
    pub(crate) fn shape(&self, link: ProviderConfig) -> ProviderConfig {
        link.with_timeout(self.timeout).with_retry(self.retry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_default_comes_from_the_llm_keys() {
        let none = LlmSettings::from_config(&LlmConfig::default()).unwrap();
        assert!(none.server_default.is_none());
        assert_eq!((none.cache_entries, none.retry.attempts, none.timeout), (1000, 3, Duration::from_secs(120)));
        assert!(none.cache_allowed && none.outbound.is_strict());
        let off = LlmSettings::from_config(&LlmConfig { cache: false, cache_entries: 7, ..LlmConfig::default() });
        let off = off.unwrap();
        assert_eq!((off.cache_allowed, off.cache_entries), (false, 7));
        let c = LlmConfig {
            provider: Some("deepseek".into()),
            api_key: Some("sk-1".into()),
            retries: 5,
            timeout: 30,
            ..LlmConfig::default()
        };
        let s = LlmSettings::from_config(&c).unwrap();
        let d = s.server_default.unwrap();
        assert_eq!((d.model.as_str(), d.base_url.as_str()), ("deepseek-chat", "https://api.deepseek.com"));
        assert_eq!((d.retry.attempts, d.timeout), (5, Duration::from_secs(30)));
        assert_eq!(d.label, SERVER_DEFAULT_LABEL);
    }

    #[test]
    fn unusable_defaults_name_the_key() {
        let err = |c: LlmConfig| LlmSettings::from_config(&c).unwrap_err();
        let e = err(LlmConfig { provider: Some("deepseek".into()), ..LlmConfig::default() });
        assert!(e.contains("llm_api_key"), "{e}");
        let e = err(LlmConfig { provider: Some("nope".into()), ..LlmConfig::default() });
        assert!(e.contains("llm_provider") && e.contains("nope"), "{e}");
        let e = err(LlmConfig { api_key: Some("k".into()), ..LlmConfig::default() });
        assert!(e.contains("llm_api_key") && e.contains("SLIPWAY_LLM_PROVIDER"), "{e}");
        let e = err(LlmConfig { prices: Some("/nope.json".into()), ..LlmConfig::default() });
        assert!(e.contains("llm_prices"), "{e}");
    }
}
