//! The error layer: renders every error in the route's document shape, turns handler panics into 500s and
//! slow requests into timeouts, so a client always gets an answer in the shape it expects.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::FutureExt;
use slipway_core::Error;

use super::request_id::RequestId;
use crate::error::{ErrorContext, PendingError, RenderedError, error_for_bare_status, render};
use crate::lang::Lang;
use crate::surface::shape_for;

/// Paths whose responses may take longer than the request timeout to start: Socket.IO's long-polls wait for
/// messages up to its ping interval.
const UNTIMED_PREFIXES: &[&str] = &["/socket.io/"];
/// Routes that wait for work with a timeout of their own: Perfect21's `POST /task` waits for its task.
const UNTIMED_PATHS: &[&str] = &["/task"];

/// The body limit in force, as a request extension (extractors quote it in 413 errors).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub u64);

/// Headers the rate limit wants on the answer, as a request extension: the error layer sets them on whatever
/// leaves (a handler's response, a rendered error, a timeout, a panic), so no answer of a limited route lacks
/// them.
#[derive(Debug, Clone, Default)]
pub struct LimitHeaders(Arc<OnceLock<HeaderMap>>);

impl LimitHeaders {
    /// Records the headers (the first call wins: one decision per request).
    pub fn set(&self, headers: HeaderMap) {
        let _ = self.0.set(headers);
    }

    fn apply(&self, resp: &mut Response) {
        if let Some(headers) = self.0.get() {
            for (name, value) in headers {
                resp.headers_mut().insert(name.clone(), value.clone());
            }
        }
    }
}

/// Settings of the error layer.
#[derive(Debug, Clone)]
pub struct ErrorLayerSettings {
    /// Time a handler gets to produce response headers.
    pub request_timeout: Duration,
    /// Largest accepted request body, in bytes.
    pub body_limit: u64,
}

struct Origin {
    method: Method,
    uri: Uri,
    request_id: Option<RequestId>,
    lang: Lang,
}

impl Origin {
    fn render(&self, err: &Error) -> Response {
        let path = self.uri.path();
        let request_id = self.request_id.as_ref().map_or("", RequestId::as_str);
        let method = self.method.as_str();
        let ctx = ErrorContext { shape: shape_for(method, path), method, path, request_id, lang: self.lang };
        if err.is_server_fault() {
            tracing::error!(error = %err, "request failed");
        } else if err.default_status() >= 500 {
            tracing::warn!(error = %err, "request could not be served");
        }
        render(&ctx, err)
    }
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_owned())
}

/// Runs the rest of the stack and shapes whatever error comes out of it.
pub async fn shape_errors(State(settings): State<Arc<ErrorLayerSettings>>, mut req: Request, next: Next) -> Response {
    let origin = Origin {
        method: req.method().clone(),
        uri: req.uri().clone(),
        request_id: req.extensions().get::<RequestId>().cloned(),
        lang: Lang::from_headers(req.headers()),
    };
    req.extensions_mut().insert(BodyLimit(settings.body_limit));
    let limit_headers = LimitHeaders::default();
    req.extensions_mut().insert(limit_headers.clone());
    let path = origin.uri.path();
    let untimed = UNTIMED_PREFIXES.iter().any(|p| path.starts_with(p)) || UNTIMED_PATHS.contains(&path);
    let limit = if untimed { Duration::MAX } else { settings.request_timeout };
    let run = AssertUnwindSafe(next.run(req)).catch_unwind();
    let mut resp = match tokio::time::timeout(limit, run).await {
        Err(_) => origin.render(&Error::Timeout),
        Ok(Err(panic)) => origin.render(&Error::Internal(format!("handler panicked: {}", panic_text(&*panic)))),
        Ok(Ok(resp)) => finish(&origin, resp, settings.body_limit).await,
    };
    limit_headers.apply(&mut resp);
    resp
}

/// Keeps the headers a handler or layer set (`Allow`, rate-limit headers) on the rendered error.
fn carry_headers(from: &HeaderMap, to: &mut Response) {
    for (name, value) in from {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH && !to.headers().contains_key(name) {
            to.headers_mut().insert(name.clone(), value.clone());
        }
    }
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"))
}

async fn finish(origin: &Origin, mut resp: Response, body_limit: u64) -> Response {
    if let Some(PendingError(err)) = resp.extensions_mut().remove::<PendingError>() {
        let mut rendered = origin.render(&err);
        carry_headers(resp.headers(), &mut rendered);
        return rendered;
    }
    let status = resp.status();
    let bare_error = (status.is_client_error() || status.is_server_error())
        && resp.extensions().get::<RenderedError>().is_none()
        && !is_json(&resp);
    if !bare_error {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let mut err = error_for_bare_status(status, body_limit);
    if let Error::MalformedRequest(msg) = &mut err {
        // Extractor rejections explain themselves in a short text body; keep the explanation.
        if let Ok(text) = to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            && !text.is_empty()
        {
            *msg = text;
        }
    } else {
        drop(body);
    }
    let mut rendered = origin.render(&err);
    carry_headers(&parts.headers, &mut rendered);
    rendered
}
