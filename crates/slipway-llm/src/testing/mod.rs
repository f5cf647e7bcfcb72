//! Test helpers (feature `testing`): [`MockProvider`], a real HTTP server on `127.0.0.1:0` that speaks the three
//! protocols (OpenAI chat completions, Anthropic messages, Gemini `generateContent`/`streamGenerateContent`),
//! whole and streamed, answers from a per-test script of [`MockReply`]s, and records every request it gets.
//!
//! Routing is by path: `…/chat/completions` is OpenAI, `…/messages` is Anthropic, `…:generateContent` and
//! `…:streamGenerateContent` are Gemini; anything else is a 404. A request streams when its body says
//! `"stream": true` (or it is Gemini's streaming path). When the script is empty the mock answers
//! `echo: <the last user message>`, or whatever [`MockProvider::set_default`] set. Replies queued with
//! [`MockProvider::push_for`] go only to requests whose system prompt contains their needle, before the shared
//! queue, so agents working at the same time each get their own script. Usage not scripted is
//! (request body characters / 4) prompt tokens and one completion token per word.
//!
//! The mock honours tool choice: each request's choice (and offered tools) is parsed from the protocol's own
//! form into [`RecordedRequest::tool_choice`]; a step built with [`MockReply::when_forced`] answers its
//! alternative when a call is forced; an answer the choice forbids (text under `required` or a named tool,
//! another tool, a call under `none`) is refused with HTTP 400 instead of being sent.

mod choice;
mod render;
mod reply;
mod routed;

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::Notify;

pub use reply::MockReply;

use crate::provider::{Protocol, Provider, ProviderConfig};
use crate::retry::RetryPolicy;
use crate::types::ToolChoice;
use reply::Kind;

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The protocol its path selected.
    pub protocol: Protocol,
    /// `POST`, usually.
    pub method: String,
    /// The path.
    pub path: String,
    /// The query string.
    pub query: Option<String>,
    /// Headers, names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The JSON body.
    pub body: Value,
    /// Whether it asked for a stream.
    pub stream: bool,
    /// The tool choice it carried, in provider-neutral form (`Auto` when it sent none).
    pub tool_choice: ToolChoice,
    /// The names of the tools it offered.
    pub tools: Vec<String>,
    /// Time from receiving it to having the answer ready (to the stream's headers), scripted delay included.
    pub service_time: Duration,
    seq: u64,
}

impl RecordedRequest {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

struct Shared {
    script: Mutex<VecDeque<MockReply>>,
    routed: Mutex<routed::Routed>,
    fallback: Mutex<Option<MockReply>>,
    requests: Mutex<Vec<RecordedRequest>>,
    seq: AtomicU64,
    disconnects: AtomicUsize,
    disconnected: Notify,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A scripted LLM provider on a loopback port. Clones share the server, which stops with the last clone.
#[derive(Clone)]
pub struct MockProvider {
    server: Arc<Server>,
}

impl MockProvider {
    /// Starts a mock on `127.0.0.1:0`.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind mock: {e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("mock address: {e}"));
        let shared = Arc::new(Shared {
            script: Mutex::new(VecDeque::new()),
            routed: Mutex::new(routed::Routed::default()),
            fallback: Mutex::new(None),
            requests: Mutex::new(Vec::new()),
            seq: AtomicU64::new(0),
            disconnects: AtomicUsize::new(0),
            disconnected: Notify::new(),
        });
        let app = Router::new().fallback(handle).with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { server: Arc::new(Server { addr, shared, task }) }
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// Queues one reply (replies are used in order, across protocols).
    pub fn push(&self, reply: MockReply) {
        lock(&self.server.shared.script).push_back(reply);
    }

    /// Queues several replies.
    pub fn push_all(&self, replies: impl IntoIterator<Item = MockReply>) {
        lock(&self.server.shared.script).extend(replies);
    }

    /// Queues one reply for the next request whose system prompt contains `needle` (an agent's name, say).
    /// Such replies are used, in order per needle, before the shared queue.
    pub fn push_for(&self, needle: impl Into<String>, reply: MockReply) {
        lock(&self.server.shared.routed).push(needle.into(), reply);
    }

    /// Queues several replies for requests whose system prompt contains `needle`.
    pub fn push_all_for(&self, needle: impl Into<String>, replies: impl IntoIterator<Item = MockReply>) {
        let needle = needle.into();
        let mut routed = lock(&self.server.shared.routed);
        for reply in replies {
            routed.push(needle.clone(), reply);
        }
    }

    /// Replies still queued for requests whose system prompt contains `needle`.
    pub fn pending_for(&self, needle: &str) -> usize {
        lock(&self.server.shared.routed).pending(needle)
    }

    /// The reply used when the script is empty (instead of the echo).
    pub fn set_default(&self, reply: MockReply) {
        *lock(&self.server.shared.fallback) = Some(reply);
    }

    /// Replies still queued.
    pub fn pending(&self) -> usize {
        lock(&self.server.shared.script).len()
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.server.shared.requests).clone()
    }

    /// The most recent request.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        lock(&self.server.shared.requests).last().cloned()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.server.shared.requests).clear();
    }

    /// Answers the client went away from before they were complete (a dropped stream or pending answer).
    pub fn disconnects(&self) -> usize {
        self.server.shared.disconnects.load(Ordering::SeqCst)
    }

    /// Waits up to `timeout` until at least `n` answers were cut off by their client; whether they were.
    pub async fn wait_for_disconnects(&self, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.server.shared.disconnected.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.disconnects() >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.disconnects() >= n;
            }
        }
    }

    /// A configuration of `provider` pointing at this mock: key `test-key`, the provider's default model (or
    /// `mock-model`), 5 s timeout, 3 attempts with millisecond backoff, labelled `mock <provider>`.
    pub fn config(&self, provider: &str) -> ProviderConfig {
        let model = Provider::parse(provider).and_then(Provider::default_model).unwrap_or("mock-model");
        ProviderConfig::new(provider, Some(model), Some(&self.url()), Some("test-key"))
            .unwrap_or_else(|e| panic!("mock configuration of {provider}: {e}"))
            .with_timeout(Duration::from_secs(5))
            .with_retry(RetryPolicy::quick(3))
            .with_label(format!("mock {provider}"))
    }
}

/// The outbound policy tests of users' configurations need: loopback (`127.0.0.1`, any port, where the mock
/// and [`unreachable_url`] listen) allowed, as an administrator would allow a local Ollama.
pub fn loopback_allowed() -> slipway_outbound::OutboundPolicy {
    slipway_outbound::OutboundPolicy::from_entries(["127.0.0.1"]).unwrap_or_else(|e| panic!("allow list: {e}"))
}

/// A base URL where nothing listens (a port just bound and released), for "unreachable" tests.
pub fn unreachable_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("address: {e}"));
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Counts an answer as cut off unless it was marked complete before being dropped.
struct DisconnectGuard {
    shared: Arc<Shared>,
    complete: bool,
}

impl DisconnectGuard {
    fn finish(&mut self) {
        self.complete = true;
    }
}

impl Drop for DisconnectGuard {
    fn drop(&mut self) {
        if !self.complete {
            self.shared.disconnects.fetch_add(1, Ordering::SeqCst);
            self.shared.disconnected.notify_waiters();
        }
    }
}

/// The protocol, whether the path itself asks for a stream, and the model a Gemini path names.
fn classify(path: &str) -> Option<(Protocol, bool, Option<String>)> {
    if path.ends_with("/chat/completions") {
        return Some((Protocol::OpenAi, false, None));
    }
    if path.ends_with("/messages") {
        return Some((Protocol::Anthropic, false, None));
    }
    let last = path.rsplit('/').next()?;
    let (model, action) = last.split_once(':')?;
    match action {
        "generateContent" => Some((Protocol::Gemini, false, Some(model.to_owned()))),
        "streamGenerateContent" => Some((Protocol::Gemini, true, Some(model.to_owned()))),
        _ => None,
    }
}

fn last_user_text(protocol: Protocol, body: &Value) -> String {
    let list = match protocol {
        Protocol::Gemini => body.get("contents"),
        _ => body.get("messages"),
    };
    let mut users = list.and_then(Value::as_array).into_iter().flatten().filter(|m| m["role"] == "user");
    let Some(last) = users.next_back() else { return String::new() };
    let text_of = |v: &Value| v.get("text").and_then(Value::as_str).map(str::to_owned);
    match protocol {
        Protocol::Gemini => last["parts"].as_array().into_iter().flatten().filter_map(text_of).collect(),
        _ => match &last["content"] {
            Value::String(s) => s.clone(),
            Value::Array(blocks) => blocks.iter().filter_map(text_of).collect(),
            _ => String::new(),
        },
    }
}

fn default_usage(body: &[u8], reply: &MockReply) -> (u32, u32) {
    let prompt = u32::try_from(body.len().div_ceil(4)).unwrap_or(u32::MAX);
    let completion = match &reply.kind {
        Kind::Answer { text, calls } => text.split_whitespace().count() + calls.len(),
        _ => 0,
    };
    (prompt, u32::try_from(completion).unwrap_or(u32::MAX))
}

fn json_response(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    raw: Bytes,
) -> Response {
    let started = Instant::now();
    let path = uri.path().to_owned();
    let Some((protocol, stream_path, path_model)) = classify(&path) else {
        return json_response(404, json!({"error": {"message": format!("no such endpoint {path}")}}).to_string());
    };
    let body: Value = match serde_json::from_slice(&raw) {
        Ok(v) => v,
        Err(e) => {
            return json_response(400, json!({"error": {"message": format!("body is not JSON: {e}")}}).to_string());
        }
    };
    let (tool_choice, tools) = match choice::received(protocol, &body) {
        Ok(received) => received,
        Err(message) => return json_response(400, json!({"error": {"message": message}}).to_string()),
    };
    let stream = stream_path || body.get("stream") == Some(&Value::Bool(true));
    let model = path_model.or_else(|| body["model"].as_str().map(str::to_owned)).unwrap_or_else(|| "mock-model".into());
    let seq = shared.seq.fetch_add(1, Ordering::Relaxed);
    let recorded = RecordedRequest {
        protocol,
        method: method.to_string(),
        path,
        query: uri.query().map(str::to_owned),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body,
        stream,
        tool_choice,
        tools,
        service_time: Duration::ZERO,
        seq,
    };
    let system = routed::system_text(protocol, &recorded.body);
    let routed = lock(&shared.routed).pop(&system);
    let reply = routed
        .or_else(|| lock(&shared.script).pop_front())
        .or_else(|| lock(&shared.fallback).clone())
        .unwrap_or_else(|| MockReply::text(format!("echo: {}", last_user_text(protocol, &recorded.body))));
    let reply = choice::apply(&recorded.tool_choice, &recorded.tools, reply);
    lock(&shared.requests).push(recorded);
    let reply = match reply {
        Ok(reply) => reply,
        Err(message) => return json_response(400, json!({"error": {"message": message}}).to_string()),
    };
    let usage = reply.usage.unwrap_or_else(|| default_usage(&raw, &reply));
    let mut guard = DisconnectGuard { shared: Arc::clone(&shared), complete: false };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let response = match (&reply.kind, stream) {
        (Kind::Status { status, body, retry_after }, _) => {
            let mut r = json_response(*status, body.clone());
            if let Some(v) = retry_after.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            guard.complete = true;
            r
        }
        (_, false) if reply.stall_after.is_some() => std::future::pending::<Response>().await,
        (Kind::Malformed(raw), false) => {
            guard.complete = true;
            json_response(200, raw.clone())
        }
        (_, false) => {
            guard.complete = true;
            json_response(200, render::whole(protocol, &model, &reply, usage).to_string())
        }
        (_, true) => sse(render::frames(protocol, &model, &reply, usage), reply.stall_after, guard),
    };
    let service_time = started.elapsed();
    if let Some(r) = lock(&shared.requests).iter_mut().rev().find(|r| r.seq == seq) {
        r.service_time = service_time;
    }
    response
}

struct Streaming {
    frames: VecDeque<String>,
    stall: bool,
    guard: DisconnectGuard,
}

fn sse(frames: Vec<render::Frame>, stall_after: Option<usize>, guard: DisconnectGuard) -> Response {
    let (frames, stall) = match stall_after {
        None => (frames, false),
        Some(n) => {
            let mut texts = 0;
            let cut = frames
                .iter()
                .position(|f| {
                    if f.is_text {
                        texts += 1;
                    }
                    f.is_text && texts > n
                })
                .unwrap_or(frames.len());
            (frames.into_iter().take(cut).collect(), true)
        }
    };
    let state = Streaming { frames: frames.into_iter().map(|f| f.wire).collect(), stall, guard };
    let body = futures_util::stream::unfold(state, |mut st| async move {
        if let Some(frame) = st.frames.pop_front() {
            return Some((Ok::<_, Infallible>(Bytes::from(frame)), st));
        }
        if st.stall {
            // Silent for the client's parser, but each write probes the connection.
            tokio::time::sleep(Duration::from_millis(25)).await;
            return Some((Ok(Bytes::from_static(b": stalled\n\n")), st));
        }
        st.guard.finish();
        None
    });
    let mut r = Response::new(Body::from_stream(body));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_select_protocols() {
        assert_eq!(classify("/v1/chat/completions").map(|c| c.0), Some(Protocol::OpenAi));
        assert_eq!(classify("/api/paas/v4/chat/completions").map(|c| c.0), Some(Protocol::OpenAi));
        assert_eq!(classify("/v1/messages").map(|c| c.0), Some(Protocol::Anthropic));
        let g = classify("/v1beta/models/gemini-pro:streamGenerateContent").unwrap();
        assert_eq!((g.0, g.1, g.2.as_deref()), (Protocol::Gemini, true, Some("gemini-pro")));
        assert!(classify("/v1/embeddings").is_none());
    }

    #[test]
    fn the_echo_finds_the_last_user_text() {
        let openai = json!({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]});
        assert_eq!(last_user_text(Protocol::OpenAi, &openai), "c");
        let anthropic = json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]});
        assert_eq!(last_user_text(Protocol::Anthropic, &anthropic), "hi");
        let gemini = json!({"contents": [{"role": "user", "parts": [{"text": "yo"}]}]});
        assert_eq!(last_user_text(Protocol::Gemini, &gemini), "yo");
    }
}
