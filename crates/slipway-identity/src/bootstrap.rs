//! The first administrator: created on first start from configuration, or with a generated password that is
//! shown once.

use slipway_core::config::AdminBootstrap;
use slipway_core::{Error, Role};

use crate::rules::Rules;
use crate::service::{Identity, Registration};
use crate::tokens::generate_password;

/// An administrator created at start, and the password to show when it was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedAdmin {
    /// The administrator's username.
    pub username: String,
    /// The generated password, when none was configured.
    pub generated_password: Option<String>,
}

impl Identity {
    /// Creates the first administrator when there is none; `None` when one already exists.
    pub async fn ensure_admin(&self, cfg: &AdminBootstrap) -> Result<Option<CreatedAdmin>, Error> {
        if self.db().count_admins().await? > 0 {
            return Ok(None);
        }
        let generated = cfg.password.is_none().then(generate_password);
        let registration = Registration {
            username: cfg.username.clone().unwrap_or_else(|| "admin".to_owned()),
            email: cfg.email.clone().unwrap_or_else(|| "admin@slipway.localhost".to_owned()),
            password: cfg.password.clone().or_else(|| generated.clone()).unwrap_or_default(),
            full_name: "Administrator".to_owned(),
            role: Some(Role::Admin),
        };
        match self.create_user_as_system(&registration, Rules::QODER).await {
            Ok(user) => Ok(Some(CreatedAdmin { username: user.username, generated_password: generated })),
            // Another node created it first.
            Err(Error::UserExists { .. }) if self.db().count_admins().await? > 0 => Ok(None),
            Err(e) => Err(e),
        }
    }
}
