//! `X-Request-ID`: honoured when the client sends a sane one, generated otherwise, echoed on every response.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The request id header.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served, as a request extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub Arc<str>);

impl RequestId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Client ids are kept only when short and made of characters safe to log and echo.
pub(crate) fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/' | b'+' | b'='))
}

/// Assigns the request id and echoes it back.
pub async fn assign_request_id(mut req: Request, next: Next) -> Response {
    let id: Arc<str> = match req.headers().get(&X_REQUEST_ID).and_then(|v| v.to_str().ok()) {
        Some(id) if acceptable(id) => id.into(),
        _ => uuid::Uuid::new_v4().to_string().into(),
    };
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn only_sane_ids_are_kept() {
        assert!(acceptable("4f1c2a9e-1b2c-4d5e-8f90-123456789abc"));
        assert!(acceptable("req:42/a+b="));
        assert!(!acceptable(""));
        assert!(!acceptable("has space"));
        assert!(!acceptable("line\nbreak"));
        assert!(!acceptable(&"x".repeat(129)));
    }
}
