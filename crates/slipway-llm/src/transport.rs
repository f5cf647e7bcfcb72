//! Sending one request to a provider: status classification, error messages out of error bodies, `Retry-After`,
//! refusals of the outbound policy, and transport errors that never show the request URL (Gemini's carries the
//! key). Error bodies are summarized, never echoed: only the message field of a provider's JSON error shape,
//! short and without control characters, else just the status, so a URL pointing at some other service cannot
//! read that service's answer through our errors.

use std::time::Duration;

use serde_json::Value;

use crate::error::LlmError;
use crate::provider::ProviderConfig;
use crate::retry::parse_retry_after;

/// A failed attempt, with the wait the provider asked for.
#[derive(Debug)]
pub(crate) struct Failure {
    /// What went wrong.
    pub error: LlmError,
    /// The provider's `Retry-After`, when it sent one.
    pub retry_after: Option<Duration>,
}

impl From<LlmError> for Failure {
    fn from(error: LlmError) -> Self {
        Self { error, retry_after: None }
    }
}

/// Longest provider error text kept in messages.
const MAX_MESSAGE: usize = 200;

/// Sends the request; a non-2xx answer becomes [`LlmError::Status`] with the provider's message.
pub(crate) async fn send(
    link: &ProviderConfig,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, Failure> {
    let response = request.send().await.map_err(|e| transport_error(link, &e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after =
        response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
    let body = response.text().await.unwrap_or_default();
    let message = error_message(&body).unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    Err(Failure {
        error: LlmError::Status { provider: link.label.clone(), status: status.as_u16(), message },
        retry_after,
    })
}

/// A failed send: the outbound policy's refusal (from the resolver or a redirect) when it was one, else
/// the provider is unreachable.
pub(crate) fn transport_error(link: &ProviderConfig, e: &reqwest::Error) -> LlmError {
    match slipway_outbound::Refusal::find(e) {
        Some(reason) => LlmError::Refused { provider: link.label.clone(), reason: reason.clone() },
        None => LlmError::Unreachable(describe(link, e)),
    }
}

/// A transport error for people: which configuration, and what happened, without the URL.
pub(crate) fn describe(link: &ProviderConfig, e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    let mut detail = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    let host = host_of(&link.base_url);
    if detail.is_empty() {
        format!("{}: {kind} ({host})", link.label)
    } else {
        format!("{}: {kind} ({host}): {detail}", link.label)
    }
}

fn host_of(base: &str) -> String {
    reqwest::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(|h| u.port().map_or_else(|| h.to_owned(), |p| format!("{h}:{p}"))))
        .unwrap_or_else(|| "?".to_owned())
}

/// The message inside a provider's JSON error body: OpenAI's and Gemini's `{error: {message}}`, Anthropic's
/// `{type: error, error: {message}}`, `{message}`, `{detail}`, `{error: "…"}`; anything else (HTML, plain
/// text, other JSON) gives `None`, so the caller says only the status.
pub(crate) fn error_message(body: &str) -> Option<String> {
    let v = serde_json::from_str::<Value>(body.trim()).ok()?;
    let pick = |v: &Value| v.as_str().map(str::to_owned);
    let message = v
        .pointer("/error/message")
        .and_then(pick)
        .or_else(|| v.get("error").and_then(pick))
        .or_else(|| v.get("message").and_then(pick))
        .or_else(|| v.get("detail").and_then(pick))?;
    let clean: String = message.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    (!clean.is_empty()).then(|| truncate(&clean))
}

/// At most [`MAX_MESSAGE`] characters, on a character boundary.
pub(crate) fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_out_of_every_error_shape() {
        let m = |b: &str| error_message(b).unwrap();
        assert_eq!(
            m(r#"{"error":{"message":"Incorrect API key","type":"invalid_request_error"}}"#),
            "Incorrect API key"
        );
        assert_eq!(m(r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#), "Overloaded");
        assert_eq!(
            m(r#"{"error":{"code":400,"message":"API key not valid","status":"INVALID_ARGUMENT"}}"#),
            "API key not valid"
        );
        assert_eq!(m(r#"{"detail":"nope"}"#), "nope");
        assert_eq!(m(r#"{"error":"model not found"}"#), "model not found");
        assert_eq!(error_message("Bad Gateway"), None, "plain text is not echoed");
        assert_eq!(error_message("<html><body>db password: hunter2</body></html>"), None);
        assert_eq!(error_message(r#"{"rows":[{"secret":"x"}]}"#), None, "JSON of another shape is not echoed");
        assert_eq!(error_message("  "), None);
        assert_eq!(m(&format!("{{\"message\":\"{}\"}}", "é".repeat(400))).chars().count(), 201);
        assert_eq!(m(r#"{"error":{"message":"line1\nline2\u0007"}}"#), "line1 line2");
    }
}
