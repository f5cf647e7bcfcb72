//! The `verification_codes` table: e-mail codes and e-mail confirmation tokens, stored as keyed hashes.

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// A stored code.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CodeRecord {
    /// Database id.
    pub id: i64,
    /// The address it was sent to, lower-cased.
    pub email: String,
    /// `register`, `password_reset` or `email_token`.
    pub purpose: String,
    /// Keyed hash of the code.
    pub code_hash: String,
    /// The user it belongs to, when one exists.
    pub user_id: Option<i64>,
    /// Wrong tries so far.
    pub attempts: i32,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was used, if it was.
    pub used_at: Option<DateTime<Utc>>,
}

impl Db {
    /// Stores a new code.
    pub async fn insert_code(
        &self,
        email: &str,
        purpose: &str,
        code_hash: &str,
        user_id: Option<i64>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO verification_codes (email, purpose, code_hash, user_id, created_at, expires_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(email)
            .bind(purpose)
            .bind(code_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .fetch_one(p)
            .await)?)
    }

    /// The newest code for an address and purpose.
    pub async fn latest_code(&self, email: &str, purpose: &str) -> Result<Option<CodeRecord>, StoreError> {
        let sql = "SELECT * FROM verification_codes WHERE email = $1 AND purpose = $2 \
                   ORDER BY created_at DESC, id DESC LIMIT 1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(email).bind(purpose).fetch_optional(p).await)?)
    }

    /// Codes issued for an address and purpose since `since`.
    pub async fn count_codes_since(&self, email: &str, purpose: &str, since: DateTime<Utc>) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM verification_codes WHERE email = $1 AND purpose = $2 AND created_at > $3";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(email).bind(purpose).bind(since).fetch_one(p).await)?)
    }

    /// Counts one wrong try; returns the tries so far.
    pub async fn add_code_attempt(&self, id: i64) -> Result<i32, StoreError> {
        let sql = "UPDATE verification_codes SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(id).fetch_one(p).await)?)
    }

    /// Marks a code used; `false` when it already was (a code works once, even under races).
    pub async fn use_code(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE verification_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL";
        let n = on_pool!(self, |p| sqlx::query(sql).bind(id).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// A code by its hash (for long random tokens, which identify themselves).
    pub async fn code_by_hash(&self, purpose: &str, code_hash: &str) -> Result<Option<CodeRecord>, StoreError> {
        let sql = "SELECT * FROM verification_codes WHERE purpose = $1 AND code_hash = $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(purpose).bind(code_hash).fetch_optional(p).await)?)
    }
}
