//! The pet planner's view of users and tokens, and its `{code: 0, message, data}` envelope.

use axum::Json;
use serde_json::{Value, json};
use slipway_identity::{TokenPair, User};

use crate::json::ts;

/// A user as the planner shows it (string ids).
pub fn user(u: &User) -> Value {
    json!({
        "id": u.id.to_string(),
        "username": u.username,
        "email": u.email,
        "is_active": u.is_active,
        "is_superuser": u.role == slipway_core::Role::Admin,
        "email_verified": u.email_verified,
        "created_at": ts(u.created_at),
    })
}

/// The planner's token object.
pub fn tokens(t: &TokenPair) -> Value {
    json!({
        "access_token": t.access_token,
        "refresh_token": t.refresh_token,
        "token_type": "bearer",
        "expires_in": t.expires_in,
    })
}

/// A successful planner answer.
pub fn ok(message: &str, data: Value) -> Json<Value> {
    Json(json!({"code": 0, "message": message, "data": data}))
}
