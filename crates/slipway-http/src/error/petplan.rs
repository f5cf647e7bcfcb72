//! Pet planner (`004`): `{code, message, detail}` where `code` equals the HTTP status.
//!
//! The planner is a FastAPI application: what its request models refuse (a missing field, a wrong type, a
//! username off its pattern, broken JSON) is a 422; the checks its handlers make, which the document shows as
//! 400s, stay 400.

use serde_json::{Value, json};
use slipway_core::{Error, FieldError};

use super::{Body, ErrorContext};
use crate::lang::Lang;
use crate::surfaces::petplan::messages;

/// Whether every invalid field is one the handlers check (a 400), rather than the request model (a 422).
fn handler_checked(fields: &[FieldError]) -> bool {
    !fields.is_empty() && fields.iter().all(messages::handler_checked)
}

pub(super) fn status(err: &Error) -> u16 {
    match err {
        Error::Validation(fields) if handler_checked(fields) => 400,
        Error::Validation(_) | Error::MalformedRequest(_) => 422,
        // Its documented answer to a taken username or e-mail is 404, and to a disabled user 401.
        Error::UserExists { .. } => 404,
        Error::AccountInactive => 401,
        other => other.default_status(),
    }
}

fn joined(fields: &[FieldError]) -> Value {
    json!(fields.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
}

/// `message` and `detail` of a validation error: the document's texts for the fields it gives them for.
fn validation(err: &Error, fields: &[FieldError], lang: Lang) -> (String, Value) {
    let said: Vec<_> = fields.iter().filter_map(messages::for_field).collect();
    match said.first() {
        Some((message, _)) if handler_checked(fields) && said.len() == fields.len() => {
            let details: Vec<&str> = said.iter().map(|(_, d)| d.text(lang)).collect();
            (message.text(lang).to_owned(), json!(details.join("; ")))
        }
        _ => (err.public_message(), joined(fields)),
    }
}

pub(super) fn body(err: &Error, status: u16, ctx: &ErrorContext<'_>) -> Body {
    let (message, detail) = match err {
        Error::Validation(fields) => validation(err, fields, ctx.lang),
        Error::MalformedRequest(msg) | Error::UnsupportedMediaType(msg) => (err.public_message(), json!(msg)),
        other => match messages::for_error(other) {
            Some((m, d)) => (m.text(ctx.lang).to_owned(), d.map_or(Value::Null, |d| json!(d.text(ctx.lang)))),
            None => (other.public_message(), Value::Null),
        },
    };
    let mut b = Body::new();
    b.insert("code".into(), json!(status));
    b.insert("message".into(), json!(message));
    b.insert("detail".into(), detail);
    b
}
