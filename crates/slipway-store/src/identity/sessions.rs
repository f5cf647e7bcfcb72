//! The `sessions` and `refresh_tokens` tables: one login, its rotation family of refresh tokens.

use chrono::{DateTime, Utc};

use super::UserRecord;
use crate::{Db, StoreError, on_pool};

/// A session to open, with its first refresh token.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// Session id (the access tokens' `sid`).
    pub id: &'a str,
    /// Whose session.
    pub user_id: i64,
    /// Whether the session has the longer lifetime.
    pub remember_me: bool,
    /// Client address at login.
    pub ip_address: Option<&'a str>,
    /// Client software at login.
    pub user_agent: Option<&'a str>,
    /// When the session, and every refresh token of it, expires.
    pub expires_at: DateTime<Utc>,
}

/// A user with the state of one of their sessions, for checking an access token in one round trip.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionAuth {
    /// The user.
    #[sqlx(flatten)]
    pub user: UserRecord,
    /// When the session expires.
    pub session_expires_at: DateTime<Utc>,
    /// When the session was revoked, if it was.
    pub session_revoked_at: Option<DateTime<Utc>>,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// It was current: it is now used, and `new` replaces it in the same session.
    Rotated {
        /// The session's user.
        user_id: i64,
        /// The session.
        session_id: String,
    },
    /// It had already been used: someone replayed it. The session must be revoked.
    Reused {
        /// The session's user.
        user_id: i64,
        /// The session.
        session_id: String,
    },
    /// Unknown, expired, or its session is revoked or expired.
    Invalid,
}

#[derive(sqlx::FromRow)]
struct TokenState {
    session_id: String,
    user_id: i64,
    token_expires_at: DateTime<Utc>,
    session_expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_STATE: &str = "SELECT rt.session_id, s.user_id, rt.expires_at AS token_expires_at, \
     s.expires_at AS session_expires_at, s.revoked_at FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id \
     WHERE rt.token_hash = $1";

impl Db {
    /// Opens a session and stores its first refresh token (by hash), atomically.
    pub async fn insert_session(
        &self,
        s: &NewSession<'_>,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let session = "INSERT INTO sessions (id, user_id, remember_me, ip_address, user_agent, created_at, \
                       last_used_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)";
        let token =
            "INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)";
        on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            sqlx::query(session)
                .bind(s.id)
                .bind(s.user_id)
                .bind(s.remember_me)
                .bind(s.ip_address)
                .bind(s.user_agent)
                .bind(now)
                .bind(s.expires_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query(token).bind(s.id).bind(token_hash).bind(now).bind(s.expires_at).execute(&mut *tx).await?;
            tx.commit().await
        })?;
        Ok(())
    }

    /// The user and the state of session `session_id`, if the session is theirs and they are not deleted.
    pub async fn session_auth(&self, user_id: i64, session_id: &str) -> Result<Option<SessionAuth>, StoreError> {
        let sql = "SELECT u.*, s.expires_at AS session_expires_at, s.revoked_at AS session_revoked_at \
                   FROM users u JOIN sessions s ON s.user_id = u.id \
                   WHERE u.id = $1 AND s.id = $2 AND u.deleted_at IS NULL";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(user_id).bind(session_id).fetch_optional(p).await)?)
    }

    /// Uses the refresh token with hash `old_hash` and, if it was current, stores `new_hash` as its successor.
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StoreError> {
        // The write comes first, so SQLite takes its write lock at once instead of upgrading a read.
        let mark = "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL";
        let insert =
            "INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)";
        let touch = "UPDATE sessions SET last_used_at = $2 WHERE id = $1";
        let outcome = on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let marked = sqlx::query(mark).bind(old_hash).bind(now).execute(&mut *tx).await?.rows_affected() == 1;
            let state: Option<TokenState> = sqlx::query_as(TOKEN_STATE).bind(old_hash).fetch_optional(&mut *tx).await?;
            let outcome = match state {
                None => Rotation::Invalid,
                Some(t) if t.token_expires_at <= now || t.session_expires_at <= now || t.revoked_at.is_some() => {
                    Rotation::Invalid
                }
                Some(t) if !marked => Rotation::Reused { user_id: t.user_id, session_id: t.session_id },
                Some(t) => {
                    sqlx::query(insert)
                        .bind(&t.session_id)
                        .bind(new_hash)
                        .bind(now)
                        .bind(t.session_expires_at)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(touch).bind(&t.session_id).bind(now).execute(&mut *tx).await?;
                    Rotation::Rotated { user_id: t.user_id, session_id: t.session_id }
                }
            };
            tx.commit().await.map(|()| outcome)
        })?;
        Ok(outcome)
    }

    /// Revokes one session (and so its access and refresh tokens); `false` when it was already revoked.
    pub async fn revoke_session(&self, session_id: &str, reason: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL";
        let n = on_pool!(self, |p| sqlx::query(sql)
            .bind(session_id)
            .bind(now)
            .bind(reason)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Revokes every open session of a user; returns how many there were.
    pub async fn revoke_user_sessions(
        &self,
        user_id: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let sql = "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL";
        Ok(on_pool!(self, |p| sqlx::query(sql)
            .bind(user_id)
            .bind(now)
            .bind(reason)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }
}
