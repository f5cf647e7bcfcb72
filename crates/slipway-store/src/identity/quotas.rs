//! The `quotas` table: one row per organization and resource type. A project is counted in the same
//! transaction that inserts it (see [`Db::insert_project_reserving`](crate::Db::insert_project_reserving)),
//! with a conditional `UPDATE … WHERE used < quota_limit`, so `used` is exact however many create at once.

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// A stored quota.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QuotaRecord {
    /// Database id.
    pub id: i64,
    /// Its organization.
    pub organization_id: i64,
    /// `projects`, `api_calls`, `llm_tokens`, `storage_bytes` or `concurrent_runs`.
    pub resource_type: String,
    /// The most that may be used.
    #[sqlx(rename = "quota_limit")]
    pub limit: i64,
    /// How much is used.
    pub used: i64,
    /// When a monthly quota's `used` starts again from zero.
    pub reset_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A quota row to create with its organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewQuota {
    /// The resource type.
    pub resource_type: &'static str,
    /// The limit.
    pub limit: i64,
    /// The next reset, for a monthly quota.
    pub reset_at: Option<DateTime<Utc>>,
}

impl Db {
    /// An organization's quotas in a fixed order (by id, which is creation order).
    pub async fn quotas_of(&self, org_id: i64) -> Result<Vec<QuotaRecord>, StoreError> {
        let sql = "SELECT * FROM quotas WHERE organization_id = $1 ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(org_id).fetch_all(p).await)?)
    }

    /// One quota.
    pub async fn quota(&self, id: i64) -> Result<Option<QuotaRecord>, StoreError> {
        let sql = "SELECT * FROM quotas WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?)
    }

    /// Sets a quota's limit; `None` when there is no such quota.
    pub async fn set_quota_limit(
        &self,
        id: i64,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<QuotaRecord>, StoreError> {
        let sql = "UPDATE quotas SET quota_limit = $2, updated_at = $3 WHERE id = $1 RETURNING *";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(id).bind(limit).bind(now).fetch_optional(p).await)?)
    }

    /// The `projects` quota a project created by `user_id` counts against: that of the active organization of
    /// the user's earliest team membership; `None` for a user in no active organization (unlimited).
    pub async fn project_quota_of(&self, user_id: i64) -> Result<Option<i64>, StoreError> {
        let sql = "SELECT q.id FROM team_members m JOIN teams t ON t.id = m.team_id \
                   JOIN organizations o ON o.id = t.organization_id AND o.is_active \
                   JOIN quotas q ON q.organization_id = o.id AND q.resource_type = 'projects' \
                   WHERE m.user_id = $1 ORDER BY m.id LIMIT 1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(user_id).fetch_optional(p).await)?)
    }
}
