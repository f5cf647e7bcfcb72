//! Recognizes the bare refusals hyper writes itself and renders the route's shaped error in their place.

use axum::body::to_bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use futures_util::FutureExt;
use slipway_core::Error;

use crate::error::{ErrorContext, error_for_bare_status, render};
use crate::lang::Lang;
use crate::middleware::request_id::acceptable;
use crate::surface::shape_for;

/// The request line and headers that could be read from the start of a refused request.
struct Head<'a> {
    method: &'a str,
    path: &'a str,
    headers: HeaderMap,
}

/// Reads what it can of a request head; a refused head may be cut off anywhere.
fn parse_head(head: &[u8]) -> Head<'_> {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()));
    let target = request_line.next().unwrap_or("/");
    let target = target.find("://").map_or(target, |i| target[i + 3..].find('/').map_or("/", |j| &target[i + 3 + j..]));
    let path = target.split(['?', '#']).next().filter(|p| p.starts_with('/')).unwrap_or("/");
    let mut headers = HeaderMap::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else { continue };
        let name = name.trim().to_ascii_lowercase();
        if (name == "accept-language" || name == "x-request-id")
            && let (Ok(name), Ok(value)) = (name.parse::<header::HeaderName>(), HeaderValue::from_str(value.trim()))
        {
            headers.insert(name, value);
        }
    }
    Head { method: method.unwrap_or("GET"), path, headers }
}

/// The status of `out` when it is a whole bare refusal by hyper: a 4xx head with no body and none of the
/// headers our middleware puts on every answer of the application.
fn bare_refusal(out: &[u8]) -> Option<StatusCode> {
    let rest = out.strip_prefix(b"HTTP/1.1 ").or_else(|| out.strip_prefix(b"HTTP/1.0 "))?;
    // Only a 4xx head is looked at further: every other write passes after this cheap check.
    let code = std::str::from_utf8(rest.get(..3)?).ok()?.parse::<u16>().ok()?;
    let status = StatusCode::from_u16(code).ok().filter(StatusCode::is_client_error)?;
    let end = out.windows(4).position(|w| w == b"\r\n\r\n")?;
    if end + 4 != out.len() {
        return None;
    }
    let head = String::from_utf8_lossy(&out[..end]).to_ascii_lowercase();
    let bare = head.contains("\r\ncontent-length: 0") && !head.contains("\r\nx-request-id:");
    bare.then_some(status)
}

fn error_for(status: StatusCode) -> Error {
    match status {
        StatusCode::BAD_REQUEST => {
            Error::MalformedHead("the request line or a header field cannot be parsed".to_owned())
        }
        other => error_for_bare_status(other, 0),
    }
}

/// The shaped answer to write instead of `out`, when `out` is hyper's own refusal of the request whose head
/// began with `head`; `None` leaves `out` as it is.
pub fn reshape(head: &[u8], out: &[u8]) -> Option<Vec<u8>> {
    let status = bare_refusal(out)?;
    let head = parse_head(head);
    let request_id = match head.headers.get("x-request-id").and_then(|v| v.to_str().ok()) {
        Some(id) if acceptable(id) => id.to_owned(),
        _ => uuid::Uuid::new_v4().to_string(),
    };
    let lang = Lang::from_headers(&head.headers);
    let ctx = ErrorContext {
        shape: shape_for(head.method, head.path),
        method: head.method,
        path: head.path,
        request_id: &request_id,
        lang,
    };
    let resp = render(&ctx, &error_for(status));
    let (parts, body) = resp.into_parts();
    let body = to_bytes(body, usize::MAX).now_or_never()?.ok()?;
    let reason = parts.status.canonical_reason().unwrap_or("");
    let mut bytes = format!("HTTP/1.1 {} {reason}\r\n", parts.status.as_u16()).into_bytes();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH {
            bytes.extend_from_slice(format!("{name}: ").as_bytes());
            bytes.extend_from_slice(value.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
    }
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
    let tail = format!(
        "x-request-id: {request_id}\r\ncontent-length: {}\r\nconnection: close\r\ndate: {date}\r\n\r\n",
        body.len()
    );
    bytes.extend_from_slice(tail.as_bytes());
    bytes.extend_from_slice(&body);
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYPER_414: &[u8] =
        b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: Thu, 03 Dec 2026 06:31:44 GMT\r\n\r\n";

    fn split(answer: &[u8]) -> (String, serde_json::Value) {
        let text = String::from_utf8(answer.to_vec()).expect("utf-8");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head");
        (head.to_owned(), serde_json::from_str(body).expect("a JSON body"))
    }

    #[test]
    fn a_bare_refusal_gets_the_route_shape() {
        let answer = reshape(b"GET /api/llm-configs?a=1&a=2&a=3", HYPER_414).expect("reshaped");
        let (head, body) = split(&answer);
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.contains("connection: close"), "{head}");
        assert_eq!(body["status_code"], 414, "ResoftAI's shape: {body}");
        assert_eq!(body["error_code"], "URI_TOO_LONG", "{body}");
    }

    #[test]
    fn the_client_request_id_and_language_are_kept_when_they_were_read() {
        let head = b"GET /api/v1/tasks HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\nX-Request-ID: abc-1\r\nAuthorization: Bearer a";
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let (head, body) = split(&reshape(head, hyper_400).expect("reshaped"));
        assert!(head.contains("x-request-id: abc-1"), "{head}");
        assert_eq!(body["code"], 400, "the planner's shape: {body}");
    }

    #[test]
    fn application_answers_and_bodies_are_left_alone() {
        let app = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nx-request-id: 1\r\n\r\n";
        assert!(reshape(b"GET / HTTP/1.1", app).is_none());
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert!(reshape(b"GET / HTTP/1.1", with_body).is_none());
        assert!(reshape(b"GET / HTTP/1.1", b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(reshape(b"GET / HTTP/1.1", b"\x81\x05hello").is_none());
    }

    #[test]
    fn a_head_that_cannot_be_read_falls_back_to_the_root() {
        let head = parse_head(b"\xff\xfe garbage");
        assert_eq!((head.method, head.path), ("GET", "/"));
        let head = parse_head(b"POST http://example.com/api/auth/login?x HTTP/1.1\r\n");
        assert_eq!((head.method, head.path), ("POST", "/api/auth/login"));
    }
}
