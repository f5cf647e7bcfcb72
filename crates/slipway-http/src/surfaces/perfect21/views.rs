//! Perfect21's view of users: string ids, `last_login`.

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_identity::User;
use utoipa::ToSchema;

/// A user as Perfect21's login and profile responses show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21User {
    /// The user's id.
    pub id: String,
    /// The username.
    pub username: String,
    /// The e-mail address.
    pub email: String,
    /// `user` or `admin`.
    #[schema(value_type = String)]
    pub role: slipway_core::Role,
    /// When the user registered.
    pub created_at: String,
    /// The last sign-in, if any.
    pub last_login: Option<String>,
    /// Whether the user may sign in.
    pub is_active: bool,
    /// Whether the address is confirmed.
    pub email_verified: bool,
}

impl From<&User> for P21User {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            username: u.username.clone(),
            email: u.email.clone(),
            role: u.role,
            created_at: rfc3339(u.created_at),
            last_login: u.last_login_at.map(rfc3339),
            is_active: u.is_active,
            email_verified: u.email_verified,
        }
    }
}

/// The short form of a user in Perfect21's refresh response.
#[derive(Debug, Serialize, ToSchema)]
pub struct P21UserBrief {
    /// The user's id.
    pub id: String,
    /// The username.
    pub username: String,
    /// The e-mail address.
    pub email: String,
    /// `user` or `admin`.
    #[schema(value_type = String)]
    pub role: slipway_core::Role,
}

impl From<&User> for P21UserBrief {
    fn from(u: &User) -> Self {
        Self { id: u.id.to_string(), username: u.username.clone(), email: u.email.clone(), role: u.role }
    }
}
