//! ResoftAI's view of users: integer ids, `full_name`, `is_admin` and `role`.

use serde_json::{Value, json};
use slipway_core::Role;
use slipway_identity::User;

use crate::json::ts;

/// A user as ResoftAI shows it.
pub fn user(u: &User) -> Value {
    json!({
        "id": u.id,
        "username": u.username,
        "email": u.email,
        "full_name": u.full_name,
        "is_active": u.is_active,
        "is_admin": u.role == Role::Admin,
        "role": u.role,
        "created_at": ts(u.created_at),
        "updated_at": ts(u.updated_at),
    })
}
