//! The `llm_configs` table. Every query is scoped to the owning user, so another user's row is never found.
//! A user has at most one default: making a row the default clears the previous one in the same transaction,
//! and the partial unique index `llm_configs_one_default` holds the line against concurrent writers.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::{Db, StoreError, on_pool};

/// A stored configuration. The API key is only ever held sealed.
#[derive(Clone, PartialEq, sqlx::FromRow)]
pub struct LlmConfigRecord {
    /// Database id.
    pub id: i64,
    /// The owner.
    pub user_id: i64,
    /// A name for people.
    pub name: String,
    /// Provider name (`deepseek`, `anthropic`, …).
    pub provider: String,
    /// Model name.
    pub model: String,
    /// The API key, sealed (see `Sealer`); `None` when the provider needs none.
    pub api_key_sealed: Option<String>,
    /// Base URL when not the provider's public one.
    pub api_base: Option<String>,
    /// Whether this is the owner's default configuration.
    pub is_default: bool,
    /// Whether it may be used.
    pub is_active: bool,
    /// Sampling parameters (`temperature`, `max_tokens`, `top_p`).
    pub params: Json<Value>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for LlmConfigRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfigRecord")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("has_api_key", &self.api_key_sealed.is_some())
            .field("api_base", &self.api_base)
            .field("is_default", &self.is_default)
            .field("is_active", &self.is_active)
            .field("params", &self.params.0)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// The writable columns of a configuration: what an insert stores, and what an update replaces.
#[derive(Clone, PartialEq)]
pub struct LlmConfigRow<'a> {
    /// A name for people.
    pub name: &'a str,
    /// Provider name.
    pub provider: &'a str,
    /// Model name.
    pub model: &'a str,
    /// The sealed API key.
    pub api_key_sealed: Option<&'a str>,
    /// Base URL.
    pub api_base: Option<&'a str>,
    /// Whether it becomes (or stays) the owner's default.
    pub is_default: bool,
    /// Whether it may be used.
    pub is_active: bool,
    /// Sampling parameters.
    pub params: &'a Value,
}

impl fmt::Debug for LlmConfigRow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfigRow")
            .field("name", &self.name)
            .field("provider", &self.provider)
            .field("model", &self.model)
            .field("has_api_key", &self.api_key_sealed.is_some())
            .field("api_base", &self.api_base)
            .field("is_default", &self.is_default)
            .field("is_active", &self.is_active)
            .field("params", &self.params)
            .finish()
    }
}

const CLEAR_DEFAULT: &str =
    "UPDATE llm_configs SET is_default = FALSE, updated_at = $3 WHERE user_id = $1 AND is_default AND id <> $2";

impl Db {
    /// Stores a new configuration of `user_id`; when it is the default, the previous default stops being one.
    pub async fn insert_llm_config(
        &self,
        user_id: i64,
        row: &LlmConfigRow<'_>,
        now: DateTime<Utc>,
    ) -> Result<LlmConfigRecord, StoreError> {
        let insert = "INSERT INTO llm_configs (user_id, name, provider, model, api_key_sealed, api_base, is_default, \
                      is_active, params, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
                      RETURNING *";
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            if row.is_default {
                sqlx::query(CLEAR_DEFAULT).bind(user_id).bind(0i64).bind(now).execute(&mut *tx).await?;
            }
            let record: LlmConfigRecord = sqlx::query_as(insert)
                .bind(user_id)
                .bind(row.name)
                .bind(row.provider)
                .bind(row.model)
                .bind(row.api_key_sealed)
                .bind(row.api_base)
                .bind(row.is_default)
                .bind(row.is_active)
                .bind(Json(row.params))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await.map(|()| record)
        })?)
    }

    /// The configurations of `user_id`, newest first.
    pub async fn llm_configs_of(&self, user_id: i64) -> Result<Vec<LlmConfigRecord>, StoreError> {
        let sql = "SELECT * FROM llm_configs WHERE user_id = $1 ORDER BY created_at DESC, id DESC";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(user_id).fetch_all(p).await)?)
    }

    /// Configuration `id` if it belongs to `user_id`.
    pub async fn llm_config(&self, user_id: i64, id: i64) -> Result<Option<LlmConfigRecord>, StoreError> {
        let sql = "SELECT * FROM llm_configs WHERE id = $1 AND user_id = $2";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(id).bind(user_id).fetch_optional(p).await)?)
    }

    /// The default configuration of `user_id`, if it has one and it is active.
    pub async fn default_llm_config(&self, user_id: i64) -> Result<Option<LlmConfigRecord>, StoreError> {
        let sql = "SELECT * FROM llm_configs WHERE user_id = $1 AND is_default AND is_active";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(user_id).fetch_optional(p).await)?)
    }

    /// Replaces the writable columns of configuration `id` of `user_id`; `None` when the user has no such row.
    /// When it becomes the default, the previous default stops being one in the same transaction.
    pub async fn update_llm_config(
        &self,
        user_id: i64,
        id: i64,
        row: &LlmConfigRow<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<LlmConfigRecord>, StoreError> {
        let update = "UPDATE llm_configs SET name = $3, provider = $4, model = $5, api_key_sealed = $6, \
                      api_base = $7, is_default = $8, is_active = $9, params = $10, updated_at = $11 \
                      WHERE id = $1 AND user_id = $2 RETURNING *";
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            // The write that may find nothing comes first, so a foreign id changes nobody's default.
            let record: Option<LlmConfigRecord> = sqlx::query_as(update)
                .bind(id)
                .bind(user_id)
                .bind(row.name)
                .bind(row.provider)
                .bind(row.model)
                .bind(row.api_key_sealed)
                .bind(row.api_base)
                .bind(false)
                .bind(row.is_active)
                .bind(Json(row.params))
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let record = match record {
                Some(r) if row.is_default => {
                    sqlx::query(CLEAR_DEFAULT).bind(user_id).bind(id).bind(now).execute(&mut *tx).await?;
                    let set = "UPDATE llm_configs SET is_default = TRUE WHERE id = $1 RETURNING *";
                    let updated: LlmConfigRecord = sqlx::query_as(set).bind(r.id).fetch_one(&mut *tx).await?;
                    Some(updated)
                }
                other => other,
            };
            tx.commit().await.map(|()| record)
        })?)
    }

    /// Deletes configuration `id` of `user_id`; `false` when the user has no such row.
    pub async fn delete_llm_config(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let sql = "DELETE FROM llm_configs WHERE id = $1 AND user_id = $2";
        let n =
            on_pool!(self, |p| sqlx::query(sql).bind(id).bind(user_id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
