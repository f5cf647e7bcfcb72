//! The `users` table.

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// A user row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRecord {
    /// Database id.
    pub id: i64,
    /// Unique (case-insensitively) login name.
    pub username: String,
    /// Unique (case-insensitively) e-mail address.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `user` or `admin`.
    pub role: String,
    /// Display name; may be empty.
    pub full_name: String,
    /// `false` once disabled; a disabled user cannot sign in.
    pub is_active: bool,
    /// Whether the e-mail address has been confirmed.
    pub email_verified: bool,
    /// Failed logins in the current window.
    pub failed_logins: i32,
    /// When the current window of failures began.
    pub first_failed_at: Option<DateTime<Utc>>,
    /// The account is locked until then.
    pub locked_until: Option<DateTime<Utc>>,
    /// The last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Soft-deletion time; deleted users are invisible to every query here.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name.
    pub username: &'a str,
    /// E-mail address.
    pub email: &'a str,
    /// argon2id PHC string.
    pub password_hash: &'a str,
    /// `user` or `admin`.
    pub role: &'a str,
    /// Display name.
    pub full_name: &'a str,
    /// Whether the address is already confirmed (registration by code).
    pub email_verified: bool,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// New login name.
    pub username: Option<String>,
    /// New e-mail address (marks it unverified).
    pub email: Option<String>,
    /// New display name.
    pub full_name: Option<String>,
    /// New role.
    pub role: Option<String>,
    /// Enable or disable.
    pub is_active: Option<bool>,
    /// Mark the e-mail address confirmed.
    pub email_verified: Option<bool>,
}

/// Which users to list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only this role.
    pub role: Option<String>,
    /// Only active (`true`) or disabled (`false`) users.
    pub is_active: Option<bool>,
    /// Substring of the username or e-mail address, case-insensitive.
    pub search: Option<String>,
}

const LIVE_USER_BY_ID: &str = "SELECT * FROM users WHERE id = $1 AND deleted_at IS NULL";

impl Db {
    /// Creates a user; a taken username or e-mail address is [`StoreError::Duplicate`] naming its index.
    pub async fn insert_user(&self, u: &NewUser<'_>, now: DateTime<Utc>) -> Result<UserRecord, StoreError> {
        let sql = "INSERT INTO users (username, email, password_hash, role, full_name, email_verified, created_at, \
                   updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(u.username)
            .bind(u.email)
            .bind(u.password_hash)
            .bind(u.role)
            .bind(u.full_name)
            .bind(u.email_verified)
            .bind(now)
            .fetch_one(p)
            .await)?)
    }

    /// A live (not deleted) user by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        Ok(on_pool!(self, |p| sqlx::query_as(LIVE_USER_BY_ID).bind(id).fetch_optional(p).await)?)
    }

    /// A live user whose username or e-mail address is `identifier`, case-insensitively.
    pub async fn user_by_login(&self, identifier: &str) -> Result<Option<UserRecord>, StoreError> {
        let sql = "SELECT * FROM users WHERE deleted_at IS NULL \
                   AND (lower(username) = lower($1) OR lower(email) = lower($1)) ORDER BY id LIMIT 1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(identifier).fetch_optional(p).await)?)
    }

    /// A live user by e-mail address, case-insensitively.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let sql = "SELECT * FROM users WHERE deleted_at IS NULL AND lower(email) = lower($1)";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(email).fetch_optional(p).await)?)
    }

    /// A page of live users, by id, and the total matching the filter.
    pub async fn list_users(
        &self,
        f: &UserFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<UserRecord>, i64), StoreError> {
        let filter = "deleted_at IS NULL AND ($1 IS NULL OR role = $1) AND ($2 IS NULL OR is_active = $2) \
                      AND ($3 IS NULL OR lower(username) LIKE $3 OR lower(email) LIKE $3)";
        let pattern = f.search.as_ref().map(|s| format!("%{}%", s.to_lowercase().replace(['%', '_'], "")));
        let page_sql = format!("SELECT * FROM users WHERE {filter} ORDER BY id LIMIT $4 OFFSET $5");
        let count_sql = format!("SELECT COUNT(*) FROM users WHERE {filter}");
        let rows = on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(page_sql.clone()))
            .bind(&f.role)
            .bind(f.is_active)
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await)?;
        let total: i64 = on_pool!(self, |p| sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.clone()))
            .bind(&f.role)
            .bind(f.is_active)
            .bind(&pattern)
            .fetch_one(p)
            .await)?;
        Ok((rows, total))
    }

    /// Applies `changes` to a live user; `None` when there is no such user.
    pub async fn update_user(
        &self,
        id: i64,
        c: &UserChanges,
        now: DateTime<Utc>,
    ) -> Result<Option<UserRecord>, StoreError> {
        // A new e-mail address is unconfirmed until proven otherwise.
        let verified = c.email_verified.or(c.email.as_ref().map(|_| false));
        let sql = "UPDATE users SET username = COALESCE($2, username), email = COALESCE($3, email), \
                   full_name = COALESCE($4, full_name), role = COALESCE($5, role), \
                   is_active = COALESCE($6, is_active), email_verified = COALESCE($7, email_verified), \
                   updated_at = $8 WHERE id = $1 AND deleted_at IS NULL RETURNING *";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .bind(&c.username)
            .bind(&c.email)
            .bind(&c.full_name)
            .bind(&c.role)
            .bind(c.is_active)
            .bind(verified)
            .bind(now)
            .fetch_optional(p)
            .await)?)
    }

    /// Replaces a live user's password hash; `false` when there is no such user.
    pub async fn set_password_hash(&self, id: i64, hash: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE users SET password_hash = $2, updated_at = $3, failed_logins = 0, first_failed_at = NULL, \
                   locked_until = NULL WHERE id = $1 AND deleted_at IS NULL";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(id)
            .bind(hash)
            .bind(now)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Soft-deletes a live user (and disables them); `false` when there is no such user.
    pub async fn soft_delete_user(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE users SET deleted_at = $2, is_active = FALSE, updated_at = $2 \
                   WHERE id = $1 AND deleted_at IS NULL";
        let n = on_pool!(self, |p| sqlx::query(sql).bind(id).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Counts a failed login in the window starting at `window_start`, locking the account until `lock_until`
    /// when the count reaches `threshold`; returns the new count and lock.
    pub async fn record_login_failure(
        &self,
        id: i64,
        now: DateTime<Utc>,
        window_start: DateTime<Utc>,
        threshold: u32,
        lock_until: DateTime<Utc>,
    ) -> Result<(i32, Option<DateTime<Utc>>), StoreError> {
        // Right-hand sides see the row as it was, so the new count is spelled out where the lock needs it.
        let sql = "UPDATE users SET \
            failed_logins = CASE WHEN first_failed_at IS NULL OR first_failed_at < $3 THEN 1 \
                                 ELSE failed_logins + 1 END, \
            first_failed_at = CASE WHEN first_failed_at IS NULL OR first_failed_at < $3 THEN $2 \
                                   ELSE first_failed_at END, \
            locked_until = CASE WHEN (CASE WHEN first_failed_at IS NULL OR first_failed_at < $3 THEN 1 \
                                           ELSE failed_logins + 1 END) >= $4 THEN $5 ELSE locked_until END \
            WHERE id = $1 RETURNING failed_logins, locked_until";
        let threshold = i32::try_from(threshold).unwrap_or(i32::MAX);
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .bind(now)
            .bind(window_start)
            .bind(threshold)
            .bind(lock_until)
            .fetch_one(p)
            .await)?)
    }

    /// Clears the failure count and records a successful login.
    pub async fn record_login_success(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        let sql = "UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL, \
                   last_login_at = $2 WHERE id = $1";
        on_pool!(self, |p| sqlx::query(sql).bind(id).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Live accounts locked at `now`.
    pub async fn count_locked_users(&self, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let sql =
            "SELECT COUNT(*) FROM users WHERE deleted_at IS NULL AND locked_until IS NOT NULL AND locked_until > $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(now).fetch_one(p).await)?)
    }

    /// Live, active administrators.
    pub async fn count_admins(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM users WHERE deleted_at IS NULL AND is_active = TRUE AND role = 'admin'";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).fetch_one(p).await)?)
    }
}
