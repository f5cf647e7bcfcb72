//! A user's own account: reading it, changing it, changing the password.

use serde_json::{Map, Value, json};
use slipway_core::{Error, FieldError};
use slipway_store::identity::UserChanges;

use super::{Identity, taken};
use crate::context::RequestMeta;
use crate::rules::{PasswordRule, UsernameRule, check_email, check_password, check_username};
use crate::service::Authenticated;
use crate::user::User;

/// Changes a user may make to their own account; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    /// New login name.
    pub username: Option<String>,
    /// New e-mail address.
    pub email: Option<String>,
    /// New display name.
    pub full_name: Option<String>,
}

impl ProfileChanges {
    fn is_empty(&self) -> bool {
        self.username.is_none() && self.email.is_none() && self.full_name.is_none()
    }
}

/// The fields that differ between two versions of a user (never secrets).
pub(crate) fn diff(before: &User, after: &User) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, old: Value, new: Value| {
        if old != new {
            m.insert(k.to_owned(), json!({"from": old, "to": new}));
        }
    };
    put("username", json!(before.username), json!(after.username));
    put("email", json!(before.email), json!(after.email));
    put("full_name", json!(before.full_name), json!(after.full_name));
    put("role", json!(before.role), json!(after.role));
    put("is_active", json!(before.is_active), json!(after.is_active));
    Value::Object(m)
}

impl Identity {
    /// A live user by id.
    pub async fn user(&self, id: i64) -> Result<User, Error> {
        self.live_user(id).await
    }

    /// Validates changes to username, e-mail address and display name.
    pub(crate) fn validate_changes(
        &self,
        username: Option<&str>,
        email: Option<&str>,
        full_name: Option<&str>,
        rule: UsernameRule,
    ) -> Result<Option<String>, Error> {
        let mut problems: Vec<FieldError> = Vec::new();
        if let Some(Err(e)) = username.map(|u| check_username(rule, u)) {
            problems.push(e);
        }
        let email = match email.map(|e| check_email("email", e)) {
            Some(Ok(e)) => Some(e),
            Some(Err(e)) => {
                problems.push(e);
                None
            }
            None => None,
        };
        if full_name.is_some_and(|n| n.chars().count() > 200) {
            problems.push(FieldError::body("full_name", "value_error", "full_name must be at most 200 characters"));
        }
        if problems.is_empty() { Ok(email) } else { Err(Error::Validation(problems)) }
    }

    /// Changes the caller's own username, e-mail address or display name.
    pub async fn update_profile(
        &self,
        auth: &Authenticated,
        changes: &ProfileChanges,
        rule: UsernameRule,
        meta: &RequestMeta,
    ) -> Result<User, Error> {
        if changes.is_empty() {
            return Err(Error::NoUpdateData);
        }
        let email = self.validate_changes(
            changes.username.as_deref(),
            changes.email.as_deref(),
            changes.full_name.as_deref(),
            rule,
        )?;
        let before = &auth.user;
        // Re-submitting the current address must not mark it unconfirmed.
        let email = email.filter(|e| !e.eq_ignore_ascii_case(&before.email));
        let update = UserChanges {
            username: changes.username.clone(),
            email,
            full_name: changes.full_name.as_ref().map(|n| n.trim().to_owned()),
            ..UserChanges::default()
        };
        let after: User = self
            .db()
            .update_user(before.id, &update, slipway_core::time::now())
            .await
            .map_err(taken)?
            .ok_or(Error::UserNotFound)?
            .try_into()?;
        let description = format!("{} updated their profile", after.username);
        self.audit(meta, Some(after.id), "UPDATE", ("user", Some(after.id)), description, Some(diff(before, &after)))
            .await?;
        Ok(after)
    }

    /// Changes the caller's password after checking the current one; every session of the user ends.
    pub async fn change_password(
        &self,
        auth: &Authenticated,
        current: &str,
        new: &str,
        rule: PasswordRule,
        meta: &RequestMeta,
    ) -> Result<(), Error> {
        let record = self.db().user_by_id(auth.user.id).await?.ok_or(Error::UserNotFound)?;
        if !self.0.hasher.verify(current, Some(&record.password_hash)).await? {
            self.security_event(meta, "password_change_failed", Some(record.id), None, None).await?;
            return Err(Error::InvalidOldPassword);
        }
        check_password(rule, self.config().password_min_length, "new_password", new)
            .map_err(|e| Error::Validation(vec![e]))?;
        self.set_password(record.id, new, "password changed", meta).await
    }

    /// Stores a new password hash and ends every session of the user.
    pub(crate) async fn set_password(
        &self,
        user_id: i64,
        new: &str,
        why: &str,
        meta: &RequestMeta,
    ) -> Result<(), Error> {
        let hash = self.0.hasher.hash(new).await?;
        if !self.db().set_password_hash(user_id, &hash, slipway_core::time::now()).await? {
            return Err(Error::UserNotFound);
        }
        let ended = self.end_all_sessions(user_id, why).await?;
        let changes = json!({"fields": ["password"], "sessions_ended": ended});
        self.audit(meta, Some(user_id), "UPDATE", ("user", Some(user_id)), why.to_owned(), Some(changes)).await
    }
}
