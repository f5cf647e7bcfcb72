//! Administrators managing users, and the security statistics.

use std::collections::BTreeMap;

use chrono::Duration;
use slipway_core::{Error, Principal, Role};
use slipway_store::identity::{UserChanges, UserFilter};

use super::profile::diff;
use super::register::Registration;
use super::{Identity, taken};
use crate::context::RequestMeta;
use crate::rules::{PasswordRule, Rules, UsernameRule};
use crate::user::User;

/// Changes an administrator may make to any account.
#[derive(Debug, Clone, Default)]
pub struct AdminChanges {
    /// New login name.
    pub username: Option<String>,
    /// New e-mail address.
    pub email: Option<String>,
    /// New display name.
    pub full_name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// Enable or disable; disabling ends every session at once.
    pub is_active: Option<bool>,
}

/// One page of a list and the number of matching items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// All matching items.
    pub total: i64,
}

/// The password rules in force, for the statistics.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PasswordPolicy {
    /// The configured floor on length for every surface.
    pub min_length_floor: usize,
    /// Each document's rule, in words.
    pub rules: BTreeMap<&'static str, String>,
    /// Failed logins that lock an account.
    pub lockout_threshold: u32,
    /// The window they are counted in, seconds.
    pub lockout_window_seconds: u64,
    /// How long the lock lasts, seconds.
    pub lockout_duration_seconds: u64,
}

/// Counts over the security events and accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityStats {
    /// Every event ever recorded.
    pub total_events: i64,
    /// Events in the last hour.
    pub events_last_hour: i64,
    /// Events in the last 24 hours.
    pub events_last_day: i64,
    /// Accounts locked now.
    pub locked_accounts: i64,
    /// The rules in force.
    pub password_policy: PasswordPolicy,
}

impl Identity {
    /// A page of users (administrators only).
    pub async fn list_users(
        &self,
        caller: &Principal,
        filter: &UserFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Page<User>, Error> {
        caller.require_admin()?;
        let (rows, total) = self.db().list_users(filter, offset, limit).await?;
        Ok(Page { items: rows.into_iter().map(User::try_from).collect::<Result<_, _>>()?, total })
    }

    /// One user: administrators see anyone, users only themselves.
    pub async fn user_for(&self, caller: &Principal, id: i64) -> Result<User, Error> {
        if !caller.may_access(id) {
            return Err(Error::Forbidden("users may only see their own account".into()));
        }
        self.live_user(id).await
    }

    /// Creates a user of any role (administrators only).
    pub async fn create_user(
        &self,
        caller: &Principal,
        r: &Registration,
        rules: Rules,
        meta: &RequestMeta,
    ) -> Result<User, Error> {
        caller.require_admin()?;
        self.create_account(r, rules, r.role.unwrap_or(Role::User), false, Some(caller.user_id), meta).await
    }

    /// Changes any user (administrators only). Disabling a user ends their sessions at once; an administrator
    /// cannot disable or demote themselves.
    pub async fn update_user(
        &self,
        caller: &Principal,
        id: i64,
        changes: &AdminChanges,
        rule: UsernameRule,
        meta: &RequestMeta,
    ) -> Result<User, Error> {
        caller.require_admin()?;
        let demotes_self = changes.role.is_some_and(|r| r != Role::Admin) || changes.is_active == Some(false);
        if id == caller.user_id && demotes_self {
            return Err(Error::Forbidden("administrators cannot disable or demote their own account".into()));
        }
        let before = self.live_user(id).await?;
        let email = self.validate_changes(
            changes.username.as_deref(),
            changes.email.as_deref(),
            changes.full_name.as_deref(),
            rule,
        )?;
        let update = UserChanges {
            username: changes.username.clone(),
            email: email.filter(|e| !e.eq_ignore_ascii_case(&before.email)),
            full_name: changes.full_name.clone(),
            role: changes.role.map(|r| r.as_str().to_owned()),
            is_active: changes.is_active,
            email_verified: None,
        };
        let after: User = self
            .db()
            .update_user(id, &update, slipway_core::time::now())
            .await
            .map_err(taken)?
            .ok_or(Error::UserNotFound)?
            .try_into()?;
        if before.is_active && !after.is_active {
            self.end_all_sessions(id, "user disabled").await?;
        }
        let description = format!("{} updated user {}", caller.username, after.username);
        self.audit(meta, Some(caller.user_id), "UPDATE", ("user", Some(id)), description, Some(diff(&before, &after)))
            .await?;
        Ok(after)
    }

    /// Soft-deletes a user and ends their sessions (administrators only; not themselves).
    pub async fn delete_user(&self, caller: &Principal, id: i64, meta: &RequestMeta) -> Result<(), Error> {
        caller.require_admin()?;
        if id == caller.user_id {
            return Err(Error::Forbidden("administrators cannot delete their own account".into()));
        }
        let user = self.live_user(id).await?;
        if !self.db().soft_delete_user(id, slipway_core::time::now()).await? {
            return Err(Error::UserNotFound);
        }
        self.end_all_sessions(id, "user deleted").await?;
        let description = format!("{} deleted user {}", caller.username, user.username);
        self.audit(meta, Some(caller.user_id), "DELETE", ("user", Some(id)), description, None).await
    }

    /// Security statistics (administrators only): real counts from the event log and the accounts.
    pub async fn security_stats(&self, caller: &Principal) -> Result<SecurityStats, Error> {
        caller.require_admin()?;
        let now = slipway_core::time::now();
        let db = self.db();
        let cfg = self.config();
        let floor = cfg.password_min_length;
        let rules = BTreeMap::from([
            ("perfect21", PasswordRule::Strong.describe(floor)),
            ("resoftai", PasswordRule::Mixed.describe(floor)),
            ("qoder", PasswordRule::Min6.describe(floor)),
            ("pet_planner", PasswordRule::Min6.describe(floor)),
        ]);
        Ok(SecurityStats {
            total_events: db.count_security_events(None).await?,
            events_last_hour: db.count_security_events(Some(now - Duration::hours(1))).await?,
            events_last_day: db.count_security_events(Some(now - Duration::days(1))).await?,
            locked_accounts: db.count_locked_users(now).await?,
            password_policy: PasswordPolicy {
                min_length_floor: floor,
                rules,
                lockout_threshold: cfg.lockout_threshold,
                lockout_window_seconds: cfg.lockout_window,
                lockout_duration_seconds: cfg.lockout_duration,
            },
        })
    }
}
