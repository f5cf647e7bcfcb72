//! Who is asking: the principal established from a verified access token, and the roles that grant rights.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A user's role. Anonymous registration can only ever create [`Role::User`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An ordinary user: sees and changes only their own data, unless a team grants more.
    User,
    /// An administrator: manages users, runs commands on hosts, sees everything.
    Admin,
}

impl Role {
    /// The role's name as stored and rendered (`user`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "user" => Ok(Self::User),
            "admin" => Ok(Self::Admin),
            other => Err(Error::invalid_field(
                "role",
                "value_error",
                format!("unknown role {other:?}; expected user or admin"),
            )),
        }
    }
}

/// The authenticated caller of a service method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's database id.
    pub user_id: i64,
    /// The user's name.
    pub username: String,
    /// The user's role when the token was checked.
    pub role: Role,
}

impl Principal {
    /// Whether the caller is an administrator.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Fails with `Forbidden` unless the caller is an administrator.
    pub fn require_admin(&self) -> Result<(), Error> {
        if self.is_admin() { Ok(()) } else { Err(Error::Forbidden("administrator role required".into())) }
    }

    /// Whether the caller may see or change something owned by `owner_id` (its owner, or an administrator).
    pub fn may_access(&self, owner_id: i64) -> bool {
        self.is_admin() || self.user_id == owner_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal { user_id: 7, username: "ann".into(), role }
    }

    #[test]
    fn admins_may_access_everything_users_only_their_own() {
        assert!(principal(Role::User).may_access(7));
        assert!(!principal(Role::User).may_access(8));
        assert!(principal(Role::Admin).may_access(8));
        assert!(principal(Role::User).require_admin().is_err());
        assert!(principal(Role::Admin).require_admin().is_ok());
    }

    #[test]
    fn roles_parse_and_render() {
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert_eq!(Role::User.to_string(), "user");
        assert!("root".parse::<Role>().is_err());
    }
}
