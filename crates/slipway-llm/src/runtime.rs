//! One call through a chain: the cache, then each provider in turn with its retries and timeout, the usage row
//! of every provider tried, and cancellation that drops the in-flight request at once.

use std::time::{Duration, Instant};

use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::StreamExt;
use slipway_store::llm::NewLlmUsage;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::cache::{Key, ResponseCache, key_for, question_digest};
use crate::chain::Chain;
use crate::error::LlmError;
use crate::provider::{ProviderConfig, Reach};
use crate::settings::LlmSettings;
use crate::transport::{self, Failure, describe};
use crate::types::{ChatRequest, ChatResponse, Usage};
use crate::usage::UsageRecorder;
use crate::wire::{self, Answer, StreamDecoder};

/// Who a call is for, and whether it may be answered from the response cache. By default nothing is cached:
/// a caller opts in with `use_cache` (a plain chat turn), and for a request with tools also with
/// `cache_tool_turns`. The cache is per user: a call without `user_id` is never cached, and one user's answer
/// never answers another. The server's `llm_cache` switch can refuse every opt-in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallInfo {
    /// The user the call is made for (usage rows and cached answers are theirs).
    pub user_id: Option<i64>,
    /// The job the call serves.
    pub job_id: Option<i64>,
    /// Whether the response cache may answer (and keep the answer) of a request without tools.
    pub use_cache: bool,
    /// Whether a request with tools may be cached too (needs `use_cache` as well). Off by default: a replayed
    /// tool call would run the tool's effect again from a stale decision.
    pub cache_tool_turns: bool,
}

impl CallInfo {
    /// An uncached call for `user_id`.
    pub fn for_user(user_id: i64) -> Self {
        Self { user_id: Some(user_id), ..Self::default() }
    }

    /// The same call, allowed to use the cache for requests without tools.
    pub fn cached(self) -> Self {
        Self { use_cache: true, ..self }
    }

    /// The same call, allowed to use the cache for requests with tools as well.
    pub fn cached_with_tools(self) -> Self {
        Self { use_cache: true, cache_tool_turns: true, ..self }
    }

    /// The user whose cache may answer `request`, when the caller allowed it.
    fn cache_user(&self, request: &ChatRequest) -> Option<i64> {
        let allowed = self.use_cache && (request.tools.is_empty() || self.cache_tool_turns);
        self.user_id.filter(|_| allowed)
    }
}

/// What every call shares: the HTTP clients, the cache, the usage writer and the settings.
pub(crate) struct Runtime {
    /// For trusted links (the server default) and administrators' configurations.
    pub client: reqwest::Client,
    /// For users' configurations: every resolved address checked by the outbound policy.
    pub policed: reqwest::Client,
    pub cache: ResponseCache,
    pub usage: UsageRecorder,
    pub settings: LlmSettings,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Runtime {
    /// Runs a call through `chain`; with `deltas`, streaming, each text delta sent as it arrives.
    pub async fn call(
        &self,
        chain: &Chain,
        request: &ChatRequest,
        call: CallInfo,
        cancel: &CancellationToken,
        deltas: Option<&mpsc::Sender<String>>,
    ) -> Result<ChatResponse, LlmError> {
        let started = Instant::now();
        wire::validate(request)?;
        if cancel.is_cancelled() {
            return Err(LlmError::Cancelled);
        }
        let cache_user = call.cache_user(request).filter(|_| self.settings.cache_allowed && self.cache.enabled());
        let keys: Vec<Key> = match cache_user {
            Some(user) => {
                let question = question_digest(request);
                chain.links().iter().map(|link| key_for(user, link, request, &question)).collect()
            }
            None => Vec::new(),
        };
        if cache_user.is_some() {
            let hit = self.cache.get(&keys);
            self.cache.count(hit.is_some());
            if let Some(mut response) = hit {
                response.cached = true;
                response.latency_ms = millis(started.elapsed());
                if let Some(tx) = deltas.filter(|_| !response.content.is_empty()) {
                    tokio::select! {
                        biased;
                        () = cancel.cancelled() => return Err(LlmError::Cancelled),
                        _ = tx.send(response.content.clone()) => {}
                    }
                }
                self.record(&call, &response.provider, &response.model, response.usage, 0.0, started, true, None);
                return Ok(response);
            }
        }

        let mut delivered = false;
        let links = chain.links();
        for (i, link) in links.iter().enumerate() {
            let link_started = Instant::now();
            let outcome = tokio::select! {
                biased;
                () = cancel.cancelled() => Err(LlmError::Cancelled),
                r = self.call_link(link, request, deltas, &mut delivered) => r,
            };
            match outcome {
                Ok(answer) => {
                    let cost = self.settings.prices.cost(link.provider, &link.model, answer.usage);
                    self.record(
                        &call,
                        link.provider.name(),
                        &link.model,
                        answer.usage,
                        cost,
                        link_started,
                        false,
                        None,
                    );
                    let response = ChatResponse {
                        content: answer.content,
                        tool_calls: answer.tool_calls,
                        finish_reason: answer.finish_reason,
                        usage: answer.usage,
                        provider: link.provider.name().to_owned(),
                        model: link.model.clone(),
                        cached: false,
                        latency_ms: millis(started.elapsed()),
                    };
                    if let Some(key) = keys.get(i) {
                        self.cache.put(*key, response.clone());
                    }
                    return Ok(response);
                }
                Err(e) => {
                    let usage = Usage::default();
                    self.record(&call, link.provider.name(), &link.model, usage, 0.0, link_started, false, Some(&e));
                    let next = links.get(i + 1);
                    match next {
                        Some(next) if e.falls_back() && !delivered => {
                            tracing::warn!(failed = %link.label, next = %next.label, error = %e, "LLM provider failed; falling back");
                        }
                        _ => return Err(e),
                    }
                }
            }
        }
        Err(LlmError::NotConfigured)
    }

    /// One provider with its retries.
    async fn call_link(
        &self,
        link: &ProviderConfig,
        request: &ChatRequest,
        deltas: Option<&mpsc::Sender<String>>,
        delivered: &mut bool,
    ) -> Result<Answer, LlmError> {
        let mut attempt = 1;
        loop {
            let result = match deltas {
                None => self.once(link, request).await,
                Some(tx) => self.once_streaming(link, request, tx, delivered).await,
            };
            match result {
                Ok(answer) => return Ok(answer),
                Err(f) if f.error.is_retryable() && attempt < link.retry.attempts && !*delivered => {
                    let wait = link.retry.delay(attempt, f.retry_after);
                    tracing::debug!(provider = %link.label, attempt, ?wait, error = %f.error, "retrying LLM provider");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(f) => return Err(f.error),
            }
        }
    }

    /// The client for a link, after the outbound policy's check of a user's base URL (scheme, IP literals,
    /// ports); the policed client then checks every address the name resolves to when it connects.
    fn client_for(&self, link: &ProviderConfig) -> Result<&reqwest::Client, LlmError> {
        match link.reach {
            Reach::Trusted => Ok(&self.client),
            Reach::User { admin } => {
                self.settings
                    .outbound
                    .check_str(&link.base_url, admin)
                    .map_err(|reason| LlmError::Refused { provider: link.label.clone(), reason })?;
                Ok(if admin { &self.client } else { &self.policed })
            }
        }
    }

    /// One request for a whole answer, within the link's timeout.
    async fn once(&self, link: &ProviderConfig, request: &ChatRequest) -> Result<Answer, Failure> {
        let builder = wire::build(self.client_for(link)?, link, request, false)?;
        let exchange = async {
            let response = transport::send(link, builder).await?;
            let body = response.bytes().await.map_err(|e| LlmError::Unreachable(describe(link, &e)))?;
            Ok(wire::decode(link, &body)?)
        };
        tokio::time::timeout(link.timeout, exchange).await.map_err(|_| Failure::from(LlmError::Timeout))?
    }

    /// One streaming request: the timeout bounds the wait for the answer to start and then each silence.
    async fn once_streaming(
        &self,
        link: &ProviderConfig,
        request: &ChatRequest,
        tx: &mpsc::Sender<String>,
        delivered: &mut bool,
    ) -> Result<Answer, Failure> {
        let builder = wire::build(self.client_for(link)?, link, request, true)?;
        let response = tokio::time::timeout(link.timeout, transport::send(link, builder))
            .await
            .map_err(|_| Failure::from(LlmError::Timeout))??;
        let is_sse = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !is_sse {
            // A server that does not stream answers with the whole completion: pass it on as one delta.
            let body = tokio::time::timeout(link.timeout, response.bytes())
                .await
                .map_err(|_| Failure::from(LlmError::Timeout))?
                .map_err(|e| LlmError::Unreachable(describe(link, &e)))?;
            let answer = wire::decode(link, &body)?;
            if !answer.content.is_empty() {
                *delivered = true;
                let _ = tx.send(answer.content.clone()).await;
            }
            return Ok(answer);
        }
        let mut events = response.bytes_stream().eventsource();
        let mut decoder = StreamDecoder::new(link);
        let mut pending = Vec::new();
        loop {
            let next = tokio::time::timeout(link.timeout, events.next()).await.map_err(|_| LlmError::Timeout)?;
            let done = match next {
                None if decoder.complete() => break,
                None => {
                    return Err(LlmError::Unreachable(format!(
                        "{}: the stream ended before the answer was complete",
                        link.label
                    ))
                    .into());
                }
                Some(Err(EventStreamError::Transport(e))) => {
                    return Err(LlmError::Unreachable(describe(link, &e)).into());
                }
                Some(Err(e)) => {
                    return Err(LlmError::Malformed(format!("the event stream is not valid SSE: {e}")).into());
                }
                Some(Ok(event)) => decoder.feed(&event.event, &event.data, &mut pending)?,
            };
            for delta in pending.drain(..) {
                *delivered = true;
                // A caller that stopped listening still gets the assembled answer.
                let _ = tx.send(delta).await;
            }
            if done {
                break;
            }
        }
        Ok(decoder.finish()?)
    }

    /// Queues the usage row of one provider call (or cache hit).
    #[allow(clippy::too_many_arguments)]
    fn record(
        &self,
        call: &CallInfo,
        provider: &str,
        model: &str,
        usage: Usage,
        cost: f64,
        started: Instant,
        cached: bool,
        error: Option<&LlmError>,
    ) {
        self.usage.record(NewLlmUsage {
            user_id: call.user_id,
            job_id: call.job_id,
            provider: provider.to_owned(),
            model: model.to_owned(),
            prompt_tokens: i64::from(usage.prompt_tokens),
            completion_tokens: i64::from(usage.completion_tokens),
            cost,
            latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            cached,
            status: if error.is_some() { "error" } else { "ok" }.to_owned(),
            error: error.map(ToString::to_string),
            created_at: slipway_core::time::now(),
        });
    }
}
