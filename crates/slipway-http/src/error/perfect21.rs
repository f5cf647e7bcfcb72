//! Perfect21 (`000`): `{success: false, message, error_code}`.

use serde_json::json;
use slipway_core::Error;

use super::{Body, ErrorContext};
use crate::surfaces::perfect21::messages;

pub(super) fn status(err: &Error) -> u16 {
    match err {
        // Registration is shared with ResoftAI, which documents 400 for a taken name.
        Error::UserExists { .. } => 400,
        // Perfect21's e-mail confirmation token is a token, not a planner code.
        Error::VerificationCode(_) => 400,
        other => other.default_status(),
    }
}

fn code(err: &Error) -> &'static str {
    match err {
        Error::MalformedRequest(_) | Error::UnsupportedMediaType(_) => "VALIDATION_ERROR",
        Error::Unauthenticated | Error::VerificationCode(_) => "INVALID_TOKEN",
        other => other.code(),
    }
}

pub(super) fn body(err: &Error, ctx: &ErrorContext<'_>) -> Body {
    let message = messages::for_error(err).map_or_else(|| err.public_message(), |m| m.text(ctx.lang).to_owned());
    let mut b = Body::new();
    b.insert("success".into(), json!(false));
    b.insert("message".into(), json!(message));
    b.insert("error_code".into(), json!(code(err)));
    if !err.field_errors().is_empty() {
        b.insert("errors".into(), json!(err.field_errors()));
    }
    b
}
