//! AnsFlow (`002`): `{error: {code, message, details}, timestamp, path}`.

use serde_json::{Map, Value, json};
use slipway_core::Error;

use super::Body;

pub(super) fn status(err: &Error) -> u16 {
    match err {
        // Django REST framework answers field validation with 400.
        Error::Validation(_) => 400,
        other => other.default_status(),
    }
}

fn code(err: &Error) -> &'static str {
    match err {
        Error::Validation(_) | Error::MalformedRequest(_) | Error::UnsupportedMediaType(_) => "VALIDATION_ERROR",
        Error::NoUpdateData => "VALIDATION_ERROR",
        Error::Unauthenticated
        | Error::InvalidToken
        | Error::InvalidCredentials
        | Error::InvalidRefreshToken
        | Error::InvalidOldPassword
        | Error::AccountInactive
        | Error::UserInactive => "AUTHENTICATION_ERROR",
        Error::Forbidden(_) => "PERMISSION_DENIED",
        Error::NotFound(_) | Error::RouteNotFound | Error::UserNotFound => "RESOURCE_NOT_FOUND",
        Error::Conflict(_) | Error::UserExists { .. } => "RESOURCE_CONFLICT",
        Error::TooManyAttempts { .. } => "RATE_LIMIT_EXCEEDED",
        Error::Internal(_) => "INTERNAL_ERROR",
        other => other.code(),
    }
}

/// Field errors as DRF lists them: `{"name": ["This field may not be blank."]}`.
fn details(err: &Error) -> Value {
    let mut map: Map<String, Value> = Map::new();
    for f in err.field_errors() {
        let entry = map.entry(f.field()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(f.msg.clone()));
        }
    }
    Value::Object(map)
}

pub(super) fn body(err: &Error, path: &str) -> Body {
    let mut b = Body::new();
    b.insert("error".into(), json!({ "code": code(err), "message": err.public_message(), "details": details(err) }));
    b.insert("timestamp".into(), json!(slipway_core::time::now_rfc3339()));
    b.insert("path".into(), json!(path));
    b
}
