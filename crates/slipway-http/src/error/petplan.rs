//! Pet planner (`004`): `{code, message, detail}` where `code` equals the HTTP status.

use serde_json::{Value, json};
use slipway_core::{CodeProblem, Error};

use super::Body;

pub(super) fn status(err: &Error) -> u16 {
    match err {
        // The planner keeps 422 for verification-code errors; bad fields are 400 ("邮箱格式不正确").
        Error::Validation(_) => 400,
        // Its documented answer to a taken username or e-mail is 404, and to a disabled user 401.
        Error::UserExists { .. } => 404,
        Error::AccountInactive => 401,
        other => other.default_status(),
    }
}

fn detail(err: &Error) -> Value {
    match err {
        Error::Validation(fields) => {
            json!(fields.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
        }
        Error::Unauthenticated | Error::InvalidToken | Error::InvalidRefreshToken => json!("Invalid or expired token"),
        Error::RateLimited { .. } => json!("Too many requests, please try again later"),
        Error::VerificationCode(CodeProblem::Used) => json!("Verification code has been used"),
        Error::VerificationCode(CodeProblem::TooManyAttempts) => json!("Too many attempts, please request a new code"),
        Error::MalformedRequest(msg) | Error::UnsupportedMediaType(msg) => json!(msg),
        _ => Value::Null,
    }
}

pub(super) fn body(err: &Error, status: u16) -> Body {
    let mut b = Body::new();
    b.insert("code".into(), json!(status));
    b.insert("message".into(), json!(err.public_message()));
    b.insert("detail".into(), detail(err));
    b
}
