//! The user as services see it.

use chrono::{DateTime, Utc};
use slipway_core::{Error, Principal, Role};
use slipway_store::identity::UserRecord;

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Display name; may be empty.
    pub full_name: String,
    /// Whether the account may sign in.
    pub is_active: bool,
    /// Whether the address was confirmed.
    pub email_verified: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
}

impl User {
    /// The caller this user is, once authenticated.
    pub fn principal(&self) -> Principal {
        Principal { user_id: self.id, username: self.username.clone(), role: self.role }
    }

    /// The first word of the display name (AnsFlow's `first_name`).
    pub fn first_name(&self) -> &str {
        self.full_name.split_once(' ').map_or(self.full_name.as_str(), |(first, _)| first)
    }

    /// The rest of the display name (AnsFlow's `last_name`).
    pub fn last_name(&self) -> &str {
        self.full_name.split_once(' ').map_or("", |(_, rest)| rest.trim())
    }
}

impl TryFrom<UserRecord> for User {
    type Error = Error;
    fn try_from(r: UserRecord) -> Result<Self, Error> {
        let role =
            r.role.parse().map_err(|_| Error::Internal(format!("user {} has unknown role {:?}", r.id, r.role)))?;
        Ok(Self {
            id: r.id,
            username: r.username,
            email: r.email,
            role,
            full_name: r.full_name,
            is_active: r.is_active,
            email_verified: r.email_verified,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_login_at: r.last_login_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_for_ansflow() {
        let now = Utc::now();
        let mut u = User {
            id: 1,
            username: "ann".into(),
            email: "a@b.co".into(),
            role: Role::User,
            full_name: "Ann Mary Lee".into(),
            is_active: true,
            email_verified: false,
            created_at: now,
            updated_at: now,
            last_login_at: None,
        };
        assert_eq!((u.first_name(), u.last_name()), ("Ann", "Mary Lee"));
        u.full_name = "Ann".into();
        assert_eq!((u.first_name(), u.last_name()), ("Ann", ""));
        u.full_name.clear();
        assert_eq!((u.first_name(), u.last_name()), ("", ""));
    }
}
