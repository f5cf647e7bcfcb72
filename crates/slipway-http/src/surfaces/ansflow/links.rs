//! Absolute links of this request, for DRF's `next`/`previous` and download URLs.

use axum::http::{HeaderMap, header};

/// `http://host/path` of this request.
pub fn base_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}{path}")
}
