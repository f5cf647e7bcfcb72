//! Slipway's LLM runtime: clients for the OpenAI-compatible, Anthropic and Gemini wire protocols (streaming and
//! tool calls included), retries with backoff, fallback chains, an in-memory response cache, usage and cost
//! rows written off the call's path, and each user's provider configurations with sealed API keys.
//!
//! A user's own configuration reaches only what the outbound policy ([`LlmSettings::outbound`], from
//! `outbound_allow`) allows: its base URL is checked when saved, and again on every call, on the resolved address
//! at connect time (administrators may reach internal addresses). The server default is the operator's and is
//! trusted.
//!
//! Callers build or look up a [`Chain`] ([`Llm::chain_for`]) and call [`Llm::chat`] or [`Llm::chat_stream`]
//! with a [`CancellationToken`]; failures are [`LlmError`]s that convert into `slipway_core::Error`.

mod anthropic;
mod cache;
mod chain;
mod configs;
mod error;
mod gemini;
mod openai;
mod prices;
mod provider;
mod retry;
mod runtime;
mod settings;
mod transport;
mod types;
mod usage;
mod wire;

#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;
use std::time::Duration;

use slipway_core::Error;
use slipway_store::llm::{LlmUsageFilter, LlmUsageRecord};
use slipway_store::{Db, Sealer};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use cache::CacheStats;
pub use chain::Chain;
pub use configs::{LlmConfigChanges, LlmConfigView, LlmConfigs, NewLlmConfig, ParamsPatch, TEST_PROMPT, TestOutcome};
pub use error::{LlmError, NOT_CONFIGURED, is_llm_failure};
pub use prices::{Price, PriceTable};
pub use provider::{Params, Protocol, Provider, ProviderConfig, Reach, Secret, normalize_base_url};
pub use retry::RetryPolicy;
pub use runtime::CallInfo;
pub use settings::{LlmSettings, SERVER_DEFAULT_LABEL};
pub use types::*;

use crate::cache::ResponseCache;
use crate::runtime::Runtime;
use crate::usage::UsageRecorder;

/// The LLM runtime and the per-user configuration service. Cheap to clone.
#[derive(Clone)]
pub struct Llm {
    runtime: Arc<Runtime>,
    configs: LlmConfigs,
    db: Db,
}

impl Llm {
    /// Starts the runtime on a migrated database: the HTTP client, the cache, and the usage writer task.
    pub async fn new(db: Db, settings: LlmSettings, sealer: Sealer) -> Result<Self, Error> {
        // reqwest is built without a crypto provider of its own; make sure ring is installed (a no-op when the
        // binary or a test already did).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let build = |builder: reqwest::ClientBuilder| {
            builder
                .connect_timeout(settings.connect_timeout)
                .pool_idle_timeout(Duration::from_secs(60))
                .user_agent(concat!("slipway/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| Error::Internal(format!("cannot build the HTTP client for LLM providers: {e}")))
        };
        let client = build(reqwest::Client::builder())?;
        let policed = build(settings.outbound.client_builder(false))?;
        let runtime = Arc::new(Runtime {
            client,
            policed,
            cache: ResponseCache::new(settings.cache_entries, settings.cache_ttl),
            usage: UsageRecorder::start(db.clone()),
            settings,
        });
        let configs = LlmConfigs::new(db.clone(), sealer, Arc::clone(&runtime));
        Ok(Self { runtime, configs, db })
    }

    /// The chain for a user: their default active configuration, then the server default as fallback. Fails at
    /// once with `Error::Unavailable` (saying what to set) when there is neither.
    pub async fn chain_for(&self, user_id: i64) -> Result<Chain, Error> {
        self.configs.chain_for(user_id).await
    }

    /// Asks the chain for a whole answer.
    pub async fn chat(
        &self,
        chain: &Chain,
        request: ChatRequest,
        call: CallInfo,
        cancel: &CancellationToken,
    ) -> Result<ChatResponse, LlmError> {
        self.runtime.call(chain, &request, call, cancel, None).await
    }

    /// Asks the chain for a streamed answer: each text delta is sent to `deltas` as it arrives (a cache hit
    /// sends the whole text as one delta), and the assembled response is returned. Retries and fallback happen
    /// only while no delta has been sent. A closed receiver does not stop the call.
    pub async fn chat_stream(
        &self,
        chain: &Chain,
        request: ChatRequest,
        call: CallInfo,
        cancel: &CancellationToken,
        deltas: mpsc::Sender<String>,
    ) -> Result<ChatResponse, LlmError> {
        self.runtime.call(chain, &request, call, cancel, Some(&deltas)).await
    }

    /// Response cache hits and misses since start.
    pub fn cache_stats(&self) -> CacheStats {
        self.runtime.cache.stats()
    }

    /// The per-user configuration service.
    pub fn configs(&self) -> &LlmConfigs {
        &self.configs
    }

    /// The runtime's settings.
    pub fn settings(&self) -> &LlmSettings {
        &self.runtime.settings
    }

    /// Waits until every usage row recorded so far is written.
    pub async fn flush_usage(&self) {
        self.runtime.usage.flush().await;
    }

    /// Usage rows recorded for a user and/or a job (`None`: any), newest first. Flush first to see recent calls.
    pub async fn usage_for(&self, user_id: Option<i64>, job_id: Option<i64>) -> Result<Vec<LlmUsageRecord>, Error> {
        let filter = LlmUsageFilter { user_id, job_id, ..LlmUsageFilter::default() };
        Ok(self.db.llm_usage(&filter).await?)
    }

    /// Usage rows dropped because the writer's queue was full.
    pub fn dropped_usage_rows(&self) -> u64 {
        self.runtime.usage.dropped()
    }
}
