//! A fallback chain: provider configurations in the order they are tried.

use crate::error::LlmError;
use crate::provider::ProviderConfig;

/// Provider configurations in order: a call goes to the first; when it fails with a retryable or
/// unreachable error after its retries (or times out, or answers nonsense), the next one is tried.
#[derive(Debug, Clone)]
pub struct Chain {
    links: Vec<ProviderConfig>,
}

impl Chain {
    /// A chain of `links`, tried in order; an empty list is [`LlmError::NotConfigured`].
    pub fn new(links: Vec<ProviderConfig>) -> Result<Self, LlmError> {
        if links.is_empty() { Err(LlmError::NotConfigured) } else { Ok(Self { links }) }
    }

    /// A chain of one configuration, without fallback.
    pub fn single(link: ProviderConfig) -> Self {
        Self { links: vec![link] }
    }

    /// The configurations in the order they are tried.
    pub fn links(&self) -> &[ProviderConfig] {
        &self.links
    }

    /// The first configuration (the one that answers when all is well).
    pub fn primary(&self) -> &ProviderConfig {
        // `new` and `single` never build an empty chain.
        &self.links[0]
    }
}
