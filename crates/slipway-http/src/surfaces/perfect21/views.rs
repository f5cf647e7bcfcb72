//! Perfect21's view of users: string ids, `last_login`.

use serde_json::{Value, json};
use slipway_identity::User;

use crate::json::{ts, ts_opt};

/// A user as Perfect21's login and profile responses show it.
pub fn user(u: &User) -> Value {
    json!({
        "id": u.id.to_string(),
        "username": u.username,
        "email": u.email,
        "role": u.role,
        "created_at": ts(u.created_at),
        "last_login": ts_opt(u.last_login_at),
        "is_active": u.is_active,
        "email_verified": u.email_verified,
    })
}

/// The short form in Perfect21's refresh response.
pub fn user_brief(u: &User) -> Value {
    json!({"id": u.id.to_string(), "username": u.username, "email": u.email, "role": u.role})
}
