//! Creating accounts: open registration (never an administrator) and administrators creating users.

use serde_json::json;
use slipway_core::{Error, FieldError, Principal, Role};
use slipway_store::identity::NewUser;

use super::login::SignedIn;
use super::{Identity, taken};
use crate::context::RequestMeta;
use crate::rules::{Rules, check_email, check_password, check_username};
use crate::user::User;

/// A new account's details.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    /// Login name.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Password, in the clear until hashed here.
    pub password: String,
    /// Display name.
    pub full_name: String,
    /// Requested role; only an administrator may ask for `admin`.
    pub role: Option<Role>,
}

impl Identity {
    /// Validates a registration against a document's rules, collecting every bad field.
    pub(crate) fn validate_registration(&self, r: &Registration, rules: Rules) -> Result<String, Error> {
        let mut problems: Vec<FieldError> = Vec::new();
        if let Err(e) = check_username(rules.username, &r.username) {
            problems.push(e);
        }
        let email = check_email("email", &r.email).map_err(|e| problems.push(e)).ok();
        if let Err(e) = check_password(rules.password, self.config().password_min_length, "password", &r.password) {
            problems.push(e);
        }
        if r.full_name.chars().count() > 200 {
            problems.push(FieldError::body("full_name", "value_error", "full_name must be at most 200 characters"));
        }
        match email {
            Some(email) if problems.is_empty() => Ok(email),
            _ => Err(Error::Validation(problems)),
        }
    }

    /// Creates an account. Anonymous callers and non-administrators can only create users; an administrator
    /// caller may create administrators.
    pub async fn register(
        &self,
        r: &Registration,
        rules: Rules,
        caller: Option<&Principal>,
        meta: &RequestMeta,
    ) -> Result<User, Error> {
        let role = r.role.unwrap_or(Role::User);
        if role == Role::Admin && !caller.is_some_and(Principal::is_admin) {
            return Err(Error::Forbidden("only an administrator can create administrators".into()));
        }
        self.create_account(r, rules, role, false, caller.map(|c| c.user_id), meta).await
    }

    /// Creates a user account and signs it in at once (the planner answers registration with tokens).
    pub async fn register_and_sign_in(
        &self,
        r: &Registration,
        rules: Rules,
        meta: &RequestMeta,
    ) -> Result<SignedIn, Error> {
        let user = self.register(r, rules, None, meta).await?;
        self.sign_in(user, false, meta).await
    }

    /// Creates an account without a caller: the command line and first-start bootstrap.
    pub async fn create_user_as_system(&self, r: &Registration, rules: Rules) -> Result<User, Error> {
        let role = r.role.unwrap_or(Role::User);
        self.create_account(r, rules, role, false, None, &RequestMeta::default()).await
    }

    pub(crate) async fn create_account(
        &self,
        r: &Registration,
        rules: Rules,
        role: Role,
        email_verified: bool,
        actor: Option<i64>,
        meta: &RequestMeta,
    ) -> Result<User, Error> {
        let email = self.validate_registration(r, rules)?;
        let hash = self.0.hasher.hash(&r.password).await?;
        let new = NewUser {
            username: &r.username,
            email: &email,
            password_hash: &hash,
            role: role.as_str(),
            full_name: r.full_name.trim(),
            email_verified,
        };
        let user: User = self.db().insert_user(&new, slipway_core::time::now()).await.map_err(taken)?.try_into()?;
        let changes =
            json!({"username": user.username, "email": user.email, "role": user.role, "full_name": user.full_name});
        let description = format!("created user {}", user.username);
        self.audit(meta, actor.or(Some(user.id)), "CREATE", ("user", Some(user.id)), description, Some(changes))
            .await?;
        Ok(user)
    }
}
