//! The middleware stack every route runs behind.

pub mod body_limit;
pub mod errors;
pub mod rate_limit;
pub mod request_id;
pub mod stats;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

pub use body_limit::{FORM_ALLOWANCE, StreamedUploads};
pub use errors::{BodyLimit, ErrorLayerSettings, LimitHeaders};
pub use request_id::{RequestId, X_REQUEST_ID};
pub use stats::{HttpFigures, HttpStats};

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest accepted request body, in bytes.
    pub body_limit: u64,
    /// Time a handler gets to produce response headers.
    pub request_timeout: Duration,
    /// Origins allowed by CORS; empty allows none, `*` any.
    pub cors_origins: Vec<String>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self { body_limit: 10 * 1024 * 1024, request_timeout: Duration::from_secs(30), cors_origins: Vec::new() }
    }
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let expose: Vec<HeaderName> =
        ["x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"]
            .into_iter()
            .map(HeaderName::from_static)
            .collect();
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT, X_REQUEST_ID.clone()])
            .expose_headers(expose)
            .max_age(Duration::from_secs(3600)),
    )
}

fn request_span(req: &Request) -> Span {
    let id = req.extensions().get::<RequestId>().map_or("", RequestId::as_str);
    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
}

fn log_response(resp: &Response, latency: Duration, stats: &HttpStats) {
    stats.record(resp.status().as_u16(), latency);
    tracing::debug!(target: "slipway::access", status = resp.status().as_u16(), latency_us = latency.as_micros() as u64, "served");
}

/// Refuses request bodies over `body_limit` bytes (413, rendered by the error layer). Applied inside the rate
/// limit, so an oversized request counts and its refusal carries the rate-limit headers.
pub fn limit_bodies<S: Clone + Send + Sync + 'static>(router: Router<S>, body_limit: u64) -> Router<S> {
    limit_bodies_streaming(router, body_limit, StreamedUploads::default())
}

/// Like [`limit_bodies`], with the upload routes of `uploads` reading up to their file limit instead (their
/// extractors read the body themselves, past axum's default limit, which the others keep).
pub fn limit_bodies_streaming<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    body_limit: u64,
    uploads: StreamedUploads,
) -> Router<S> {
    let limit = usize::try_from(body_limit).unwrap_or(usize::MAX);
    let limits = Arc::new(body_limit::BodyLimits { body_limit, uploads });
    router.layer(DefaultBodyLimit::max(limit)).layer(from_fn_with_state(limits, body_limit::limit_body))
}

/// Wraps a router in the stack: request id, tracing (which also feeds `stats`), CORS, error shaping (panics,
/// timeouts). Body limits are [`limit_bodies`], inside the rate limit.
pub fn apply(router: Router, settings: &HttpSettings, stats: HttpStats) -> Router {
    let error_settings =
        Arc::new(ErrorLayerSettings { request_timeout: settings.request_timeout, body_limit: settings.body_limit });
    let stack = ServiceBuilder::new()
        .layer(from_fn(request_id::assign_request_id))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(move |resp: &Response, latency: Duration, _: &Span| log_response(resp, latency, &stats))
                .on_failure(()),
        )
        .option_layer(cors(&settings.cors_origins))
        .layer(from_fn_with_state(error_settings, errors::shape_errors));
    router.layer(stack)
}
