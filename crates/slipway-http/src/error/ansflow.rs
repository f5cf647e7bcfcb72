//! AnsFlow (`002`): `{error: {code, message, details}, timestamp, path}`.

use serde_json::{Map, Value, json};
use slipway_core::Error;

use super::{Body, ErrorContext};
use crate::lang::Lang;
use crate::surfaces::ansflow::messages;

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
fn details(err: &Error, lang: Lang) -> Value {
    let mut map: Map<String, Value> = Map::new();
    for f in err.field_errors() {
        let entry = map.entry(f.field()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            let text = messages::for_field(f).map_or_else(|| f.msg.clone(), |m| m.text(lang).to_owned());
            list.push(Value::String(text));
        }
    }
    Value::Object(map)
}

pub(super) fn body(err: &Error, ctx: &ErrorContext<'_>) -> Body {
    let code = code(err);
    let message = messages::for_error(err, code).map_or_else(|| err.public_message(), |m| m.text(ctx.lang).to_owned());
    let mut b = Body::new();
    b.insert("error".into(), json!({ "code": code, "message": message, "details": details(err, ctx.lang) }));
    b.insert("timestamp".into(), json!(slipway_core::time::now_rfc3339()));
    b.insert("path".into(), json!(ctx.path));
    b
}
