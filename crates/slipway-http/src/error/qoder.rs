//! qoder (`003`): `{code, message}` where `code` equals the HTTP status.

use serde_json::json;
use slipway_core::Error;

use super::Body;

pub(super) fn status(err: &Error) -> u16 {
    match err {
        // gin's binding errors are 400s; qoder answers a taken name with 400 too.
        Error::Validation(_) | Error::UserExists { .. } => 400,
        other => other.default_status(),
    }
}

pub(super) fn body(err: &Error, status: u16) -> Body {
    let mut b = Body::new();
    b.insert("code".into(), json!(status));
    b.insert("message".into(), json!(err.public_message()));
    b
}
