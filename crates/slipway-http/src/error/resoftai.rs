//! ResoftAI (`001`): FastAPI's `{detail, status_code, error_code, timestamp}`; validation as
//! `detail: [{loc, msg, type}]` with 422.

use serde_json::json;
use slipway_core::{Error, FieldError, WorkflowProblem};

use super::{Body, ErrorContext};
use crate::lang::Lang;
use crate::surfaces::resoftai::messages;

pub(super) fn status(err: &Error) -> u16 {
    match err {
        // FastAPI answers an unparseable body with 422, like any other validation failure.
        Error::MalformedRequest(_) => 422,
        Error::UserExists { .. } => 400,
        other => other.default_status(),
    }
}

/// Whether the request is one of the file routes, where a body too large is the document's `FILE_001` (a JSON
/// body too large elsewhere is not a file).
fn is_file_route(path: &str) -> bool {
    path == "/api/files" || path.starts_with("/api/files/")
}

fn code(err: &Error, file_route: bool) -> &'static str {
    match err {
        Error::MalformedRequest(_) => "VALIDATION_ERROR",
        Error::Unauthenticated | Error::InvalidCredentials | Error::UserInactive => "AUTH_001",
        Error::InvalidToken | Error::InvalidRefreshToken => "AUTH_002",
        Error::Forbidden(_) => "AUTH_003",
        Error::RouteNotFound | Error::NotFound(_) => "NOT_FOUND",
        // Appendix D: LLM_001 "LLM API调用失败", LLM_002 "LLM配置无效".
        Error::InvalidConfiguration(_) => "LLM_002",
        // Appendix D: PROJ_001–003, FILE_001–002, WORKFLOW_001.
        Error::ProjectNotFound(_) => "PROJ_001",
        Error::Workflow(WorkflowProblem::AlreadyRunning) => "PROJ_002",
        Error::QuotaExceeded(_) => "PROJ_003",
        Error::PayloadTooLarge { .. } if file_route => "FILE_001",
        Error::UnsupportedFileType(_) => "FILE_002",
        Error::Workflow(_) => "WORKFLOW_001",
        e if slipway_llm::is_llm_failure(e) => "LLM_001",
        other => other.code(),
    }
}

/// A field error with the document's text where it gives one.
fn field(f: &FieldError, lang: Lang) -> FieldError {
    let msg = messages::for_field(f).map_or_else(|| f.msg.clone(), |m| m.text(lang).to_owned());
    FieldError { msg, ..f.clone() }
}

fn detail(err: &Error, lang: Lang, file_route: bool) -> serde_json::Value {
    match err {
        Error::Validation(fields) => json!(fields.iter().map(|f| field(f, lang)).collect::<Vec<_>>()),
        Error::MalformedRequest(msg) => {
            json!([FieldError { loc: vec!["body".into()], msg: msg.clone(), kind: "json_invalid".into() }])
        }
        Error::RateLimited { retry_after_secs } => {
            json!(messages::RATE_LIMITED.text(lang).replace("{secs}", &retry_after_secs.to_string()))
        }
        Error::PayloadTooLarge { .. } if !file_route => json!(err.public_message()),
        other => json!(messages::for_error(other).map_or_else(|| other.public_message(), |m| m.text(lang).to_owned())),
    }
}

pub(super) fn body(err: &Error, status: u16, ctx: &ErrorContext<'_>) -> Body {
    let mut b = Body::new();
    let file_route = is_file_route(ctx.path);
    b.insert("detail".into(), detail(err, ctx.lang, file_route));
    b.insert("status_code".into(), json!(status));
    b.insert("error_code".into(), json!(code(err, file_route)));
    b.insert("timestamp".into(), json!(slipway_core::time::now_rfc3339()));
    b
}
