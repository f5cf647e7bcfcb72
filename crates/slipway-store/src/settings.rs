//! Installation-wide settings, one row per key.

use crate::{Db, error::StoreError, on_pool};

const INSTANCE_ID: &str = "instance_id";

impl Db {
    /// Reads a setting.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT value FROM settings WHERE key = $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(key).fetch_optional(p).await)?)
    }

    /// Stores `value` under `key` unless the key already has one; returns the value in force.
    /// Many nodes racing to set the same key all end up with the first writer's value.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
        let now = slipway_core::time::now();
        let insert = "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING";
        on_pool!(self, |p| sqlx::query(insert)
            .bind(key)
            .bind(value)
            .bind(now)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        self.setting(key).await?.ok_or_else(|| StoreError::Unavailable(format!("setting {key} vanished after insert")))
    }

    /// The installation's identity, created on first use and the same on every node.
    pub async fn instance_id(&self, candidate: &str) -> Result<String, StoreError> {
        self.setting_or_insert(INSTANCE_ID, candidate).await
    }
}
