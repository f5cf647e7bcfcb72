//! ResoftAI (`001`): FastAPI's `{detail, status_code, error_code, timestamp}`; validation as
//! `detail: [{loc, msg, type}]` with 422.

use serde_json::json;
use slipway_core::{Error, FieldError};

use super::Body;

pub(super) fn status(err: &Error) -> u16 {
    match err {
        // FastAPI answers an unparseable body with 422, like any other validation failure.
        Error::MalformedRequest(_) => 422,
        Error::UserExists { .. } => 400,
        other => other.default_status(),
    }
}

fn code(err: &Error) -> &'static str {
    match err {
        Error::MalformedRequest(_) => "VALIDATION_ERROR",
        Error::Unauthenticated | Error::InvalidCredentials | Error::UserInactive => "AUTH_001",
        Error::InvalidToken | Error::InvalidRefreshToken => "AUTH_002",
        Error::Forbidden(_) => "AUTH_003",
        Error::RouteNotFound | Error::NotFound(_) => "NOT_FOUND",
        // Appendix D: LLM_001 "LLM API调用失败", LLM_002 "LLM配置无效".
        Error::InvalidConfiguration(_) => "LLM_002",
        e if slipway_llm::is_llm_failure(e) => "LLM_001",
        other => other.code(),
    }
}

fn detail(err: &Error) -> serde_json::Value {
    match err {
        Error::Validation(fields) => json!(fields),
        Error::MalformedRequest(msg) => {
            json!([FieldError { loc: vec!["body".into()], msg: msg.clone(), kind: "json_invalid".into() }])
        }
        Error::RateLimited { retry_after_secs } => {
            json!(format!("Rate limit exceeded. Try again in {retry_after_secs} seconds."))
        }
        other => json!(other.public_message()),
    }
}

pub(super) fn body(err: &Error, status: u16) -> Body {
    let mut b = Body::new();
    b.insert("detail".into(), detail(err));
    b.insert("status_code".into(), json!(status));
    b.insert("error_code".into(), json!(code(err)));
    b.insert("timestamp".into(), json!(slipway_core::time::now_rfc3339()));
    b
}
