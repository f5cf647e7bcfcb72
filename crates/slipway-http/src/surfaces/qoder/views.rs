//! qoder's view of users and its `{code, message, data}` envelope.

use axum::Json;
use axum::http::StatusCode;
use serde_json::{Value, json};
use slipway_identity::User;

/// A user as qoder shows it: `status` 1 for active, 0 for disabled.
pub fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "email": u.email,
        "role": u.role,
        "status": i32::from(u.is_active),
        "created_at": crate::json::ts(u.created_at),
    })
}

/// A successful qoder answer: HTTP status and `code` agree.
pub fn ok(status: StatusCode, message: &str, data: Option<Value>) -> (StatusCode, Json<Value>) {
    let mut body = json!({"code": status.as_u16(), "message": message});
    if let Some(data) = data {
        body["data"] = data;
    }
    (status, Json(body))
}
