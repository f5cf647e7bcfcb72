//! qoder (`003`): `{code, message}` where `code` equals the HTTP status.

use serde_json::json;
use slipway_core::Error;

use super::{Body, ErrorContext};
use crate::surfaces::qoder::messages;

pub(super) fn status(err: &Error) -> u16 {
    match err {
        // gin's binding errors are 400s; qoder answers a taken name with 400 too.
        Error::Validation(_) | Error::UserExists { .. } => 400,
        other => other.default_status(),
    }
}

pub(super) fn body(err: &Error, status: u16, ctx: &ErrorContext<'_>) -> Body {
    let message = messages::for_error(ctx.method, ctx.path, err)
        .map_or_else(|| err.public_message(), |m| m.text(ctx.lang).to_owned());
    let mut b = Body::new();
    b.insert("code".into(), json!(status));
    b.insert("message".into(), json!(message));
    b
}
