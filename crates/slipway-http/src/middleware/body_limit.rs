//! Request body limits, per route: every route reads at most the configured body limit, except the routes
//! whose body streams to the file store (uploads), which read a file of the upload limit and a little more
//! for the form around it. A declared `Content-Length` past the limit is refused before anything is read;
//! a body that grows past it fails its reader, which the extractors answer with 413.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;
use slipway_core::Error;

use super::errors::BodyLimit;
use crate::error::ApiError;

/// Bytes an upload's form may carry besides its file: boundaries, part headers, the other fields.
pub const FORM_ALLOWANCE: u64 = 1024 * 1024;

/// The routes whose bodies stream to the file store, and the largest file they take.
#[derive(Debug, Clone, Default)]
pub struct StreamedUploads {
    /// `(method, route template)` of each, as registered (`/api/files/{file_id}`).
    pub routes: &'static [(Method, &'static str)],
    /// The largest file, bytes.
    pub file_limit: u64,
}

/// The limits in force.
#[derive(Debug, Clone)]
pub(super) struct BodyLimits {
    /// Every other route's limit, bytes.
    pub(super) body_limit: u64,
    /// The upload routes.
    pub(super) uploads: StreamedUploads,
}

impl BodyLimits {
    /// The bytes the request may carry and the limit an error quotes to the client.
    fn for_request(&self, req: &Request) -> (u64, u64) {
        let route = req.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
        let streamed = route.is_some_and(|r| self.uploads.routes.iter().any(|(m, p)| m == req.method() && *p == r));
        if streamed {
            (self.uploads.file_limit.saturating_add(FORM_ALLOWANCE), self.uploads.file_limit)
        } else {
            (self.body_limit, self.body_limit)
        }
    }
}

/// Refuses or limits the request's body by its route.
pub(super) async fn limit_body(State(limits): State<Arc<BodyLimits>>, mut req: Request, next: Next) -> Response {
    let (limit, quoted) = limits.for_request(&req);
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return ApiError(Error::PayloadTooLarge { limit_bytes: quoted }).into_response();
    }
    req.extensions_mut().insert(BodyLimit(quoted));
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    next.run(req.map(|body| Body::new(Limited::new(body, limit)))).await
}
