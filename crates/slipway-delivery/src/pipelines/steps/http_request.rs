//! `http_request`: one HTTP call (`method`, `url`, `headers`, `body`) that must answer `expected_status`.
//! The URL goes through the outbound policy as the pipeline's owner (no loopback or private addresses for
//! ordinary users; every redirect and resolved address checked too).

use std::time::Duration;

use serde_json::{Value, json};

use super::{StepContext, StepFuture, StepKind, StepOutcome, StepStatus};

/// The time a call may take when the config says nothing (seconds).
const DEFAULT_TIMEOUT_SECS: u64 = 30;
/// The most of the response body logged.
const LOGGED_BODY_BYTES: usize = 4096;

/// Makes an HTTP call.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest;

fn expected(config: &Value) -> Vec<u16> {
    match config.get("expected_status") {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()).into_iter().collect(),
        Some(Value::Array(list)) => {
            list.iter().filter_map(Value::as_u64).filter_map(|n| u16::try_from(n).ok()).collect()
        }
        _ => vec![200],
    }
}

async fn call(step: &StepContext<'_>) -> Result<StepOutcome, String> {
    let config = step.config;
    let url = config.get("url").and_then(Value::as_str).unwrap_or_default();
    let policy = &step.services.outbound;
    policy.check_str(url, step.owner_is_admin).map_err(|r| r.message().to_owned())?;
    let method = config.get("method").and_then(Value::as_str).unwrap_or("GET");
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| format!("invalid method: {e}"))?;
    let secs = config.get("timeout").and_then(Value::as_u64).unwrap_or(DEFAULT_TIMEOUT_SECS);
    let client = policy
        .client_builder(step.owner_is_admin)
        .timeout(Duration::from_secs(secs))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let mut request = client.request(method.clone(), url);
    if let Some(headers) = config.get("headers").and_then(Value::as_object) {
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str().unwrap_or_default());
        }
    }
    request = match config.get("body") {
        None | Some(Value::Null) => request,
        Some(Value::String(s)) => request.body(s.clone()),
        Some(other) => request.json(other),
    };
    step.log(&format!("{method} {url}")).await;
    let response = tokio::select! {
        r = request.send() => r.map_err(|e| format!("the request failed: {e}"))?,
        () = step.job.cancellation().cancelled() => {
            return Ok(StepOutcome { status: StepStatus::Cancelled, ..StepOutcome::failed("cancelled") });
        }
    };
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let mut cut = body.len().min(LOGGED_BODY_BYTES);
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    step.log(&format!("HTTP {status}")).await;
    for line in body[..cut].lines() {
        step.log(line).await;
    }
    let wanted = expected(config);
    if wanted.contains(&status) {
        Ok(StepOutcome::success())
    } else {
        Ok(StepOutcome::failed(format!("step '{}' got HTTP {status}, expected {wanted:?}", step.name)))
    }
}

impl StepKind for HttpRequest {
    fn id(&self) -> &'static str {
        "http_request"
    }

    fn name(&self) -> &'static str {
        "HTTP Request"
    }

    fn description(&self) -> &'static str {
        "发送 HTTP 请求并检查状态码"
    }

    fn category(&self) -> &'static str {
        "integration"
    }

    fn icon(&self) -> &'static str {
        "globe"
    }

    fn config_schema(&self) -> Value {
        let status = json!({"type": "integer", "minimum": 100, "maximum": 599});
        json!({
            "type": "object",
            "properties": {
                "url": {"type": "string", "title": "URL", "minLength": 1, "maxLength": 4096,
                        "pattern": "^[hH][tT][tT][pP][sS]?://"},
                "method": {"type": "string", "title": "方法", "default": "GET",
                           "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]},
                "headers": {"type": "object", "title": "请求头",
                            "additionalProperties": {"type": "string", "maxLength": 8192}},
                "body": {"title": "请求体"},
                "expected_status": {"title": "期望状态码", "default": 200,
                                    "oneOf": [status, {"type": "array", "items": status, "minItems": 1}]},
                "timeout": {"type": "integer", "title": "超时时间（秒）", "minimum": 1, "maximum": 3600,
                            "default": DEFAULT_TIMEOUT_SECS}
            },
            "required": ["url"]
        })
    }

    fn run<'a>(&'a self, step: &'a StepContext<'a>) -> StepFuture<'a> {
        Box::pin(async move { call(step).await.unwrap_or_else(StepOutcome::failed) })
    }
}
