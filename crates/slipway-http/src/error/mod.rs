//! Domain errors rendered in each seed document's error shape.
//!
//! Handlers return [`ApiError`]; it leaves a [`PendingError`] on the response, and the error middleware renders
//! it in the shape of the document that owns the route ([`crate::surface::shape_for`]). One place decides shapes.

mod ansflow;
mod perfect21;
mod petplan;
mod qoder;
mod resoftai;

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use slipway_core::Error;

use crate::json::merge_first_wins;
use crate::surface::{Shape, Surface};

/// A JSON object under construction.
pub(crate) type Body = Map<String, Value>;

/// The error type every handler returns.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

/// A domain error waiting on a response for the error middleware to render.
#[derive(Debug, Clone)]
pub struct PendingError(pub Arc<Error>);

/// Marks a response whose body is a rendered error; tests and logs read the domain code from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderedError {
    /// The generic domain code (`ROUTE_NOT_FOUND`, `VALIDATION_ERROR`, …).
    pub code: &'static str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.default_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = status.into_response();
        resp.extensions_mut().insert(PendingError(Arc::new(self.0)));
        resp
    }
}

/// What a renderer knows about the request besides the error.
#[derive(Debug, Clone, Copy)]
pub struct ErrorContext<'a> {
    /// The shape the route answers in.
    pub shape: Shape,
    /// The request method (qoder's texts differ by route).
    pub method: &'a str,
    /// The request path (AnsFlow echoes it).
    pub path: &'a str,
    /// The request id, echoed in every error body.
    pub request_id: &'a str,
    /// The language of the message texts.
    pub lang: crate::lang::Lang,
}

/// The HTTP status a surface uses for an error.
pub(crate) fn status_for(surface: Surface, err: &Error) -> u16 {
    match surface {
        Surface::Perfect21 => perfect21::status(err),
        Surface::Resoft => resoftai::status(err),
        Surface::AnsFlow => ansflow::status(err),
        Surface::Qoder => qoder::status(err),
        Surface::PetPlan => petplan::status(err),
    }
}

fn body_for(surface: Surface, err: &Error, status: u16, ctx: &ErrorContext<'_>) -> Body {
    let mut body = match surface {
        Surface::Perfect21 => perfect21::body(err, ctx),
        Surface::Resoft => resoftai::body(err, status, ctx),
        Surface::AnsFlow => ansflow::body(err, ctx),
        Surface::Qoder => qoder::body(err, status, ctx),
        Surface::PetPlan => petplan::body(err, status, ctx),
    };
    body.insert("request_id".into(), Value::String(ctx.request_id.to_owned()));
    body
}

/// Renders `err` as the route's document shapes it, with `Retry-After` and `WWW-Authenticate` where they apply.
pub fn render(ctx: &ErrorContext<'_>, err: &Error) -> Response {
    let (status, body) = match ctx.shape {
        Shape::One(surface) => {
            let status = status_for(surface, err);
            (status, body_for(surface, err, status, ctx))
        }
        Shape::Union(surfaces) => {
            let status = surfaces.first().map_or(err.default_status(), |s| status_for(*s, err));
            let mut body = Body::new();
            for s in surfaces {
                merge_first_wins(&mut body, body_for(*s, err, status, ctx));
            }
            (status, body)
        }
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, Json(Value::Object(body))).into_response();
    let headers = resp.headers_mut();
    if let Some(secs) = err.retry_after_secs() {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp.extensions_mut().insert(RenderedError { code: err.code() });
    resp
}

/// The domain error behind a bare error status produced outside our handlers (a layer, an extractor).
pub fn error_for_bare_status(status: StatusCode, body_limit: u64) -> Error {
    match status {
        StatusCode::NOT_FOUND => Error::NotFound("resource".into()),
        StatusCode::METHOD_NOT_ALLOWED => Error::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge { limit_bytes: body_limit },
        StatusCode::URI_TOO_LONG => Error::UriTooLong,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => Error::HeaderFieldsTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType("this route accepts application/json".into()),
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => Error::Timeout,
        StatusCode::UNAUTHORIZED => Error::Unauthenticated,
        StatusCode::FORBIDDEN => Error::Forbidden("not allowed".into()),
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited { retry_after_secs: 1 },
        StatusCode::SERVICE_UNAVAILABLE => Error::Unavailable("try again later".into()),
        s if s.is_client_error() => Error::MalformedRequest(s.canonical_reason().unwrap_or("bad request").into()),
        _ => Error::Internal(format!("bare {status} response from a layer")),
    }
}
