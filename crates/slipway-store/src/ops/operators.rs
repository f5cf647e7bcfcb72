//! The `server_operators` table: users an administrator allowed to manage servers and run commands on them.

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// One grant.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OperatorRecord {
    /// The user allowed.
    pub user_id: i64,
    /// Their username.
    pub username: String,
    /// The administrator who allowed them.
    pub granted_by: Option<i64>,
    /// When.
    pub granted_at: DateTime<Utc>,
}

impl Db {
    /// Allows `user_id` to operate servers (again: a repeated grant keeps the first one's record).
    pub async fn grant_server_operator(
        &self,
        user_id: i64,
        granted_by: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO server_operators (user_id, granted_by, granted_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (user_id) DO NOTHING";
        on_pool!(self, |p| sqlx::query(sql).bind(user_id).bind(granted_by).bind(now).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Withdraws the grant of `user_id`; `false` when there was none.
    pub async fn revoke_server_operator(&self, user_id: i64) -> Result<bool, StoreError> {
        let sql = "DELETE FROM server_operators WHERE user_id = $1";
        let n = on_pool!(self, |p| sqlx::query(sql).bind(user_id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Whether `user_id` may operate servers by grant.
    pub async fn is_server_operator(&self, user_id: i64) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) FROM server_operators WHERE user_id = $1";
        let n: i64 = on_pool!(self, |p| sqlx::query_scalar(sql).bind(user_id).fetch_one(p).await)?;
        Ok(n > 0)
    }

    /// Every grant, by username.
    pub async fn server_operators(&self) -> Result<Vec<OperatorRecord>, StoreError> {
        let sql = "SELECT o.user_id, u.username, o.granted_by, o.granted_at FROM server_operators o \
                   JOIN users u ON u.id = o.user_id ORDER BY u.username";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await)?)
    }
}
