//! The `security_events` and `audit_logs` tables.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use crate::{Db, StoreError, on_pool};

/// A security-relevant happening: a failed login, a lockout, a replayed refresh token.
#[derive(Debug, Clone)]
pub struct SecurityEvent<'a> {
    /// `login_failed`, `account_locked`, `refresh_token_reused`, …
    pub kind: &'a str,
    /// The user concerned, when known.
    pub user_id: Option<i64>,
    /// What the client presented (a username or address), when no user is known.
    pub identifier: Option<&'a str>,
    /// Client address.
    pub ip_address: Option<&'a str>,
    /// Anything else worth keeping.
    pub detail: Option<Value>,
}

/// One row of the audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry<'a> {
    /// `CREATE`, `READ`, `UPDATE`, `DELETE`, `LOGIN` or `LOGOUT`.
    pub action: &'a str,
    /// What kind of thing changed (`user`, `session`, …).
    pub resource_type: &'a str,
    /// Which one.
    pub resource_id: Option<i64>,
    /// Who did it.
    pub user_id: Option<i64>,
    /// Their organization, when there is one.
    pub organization_id: Option<i64>,
    /// What happened, for people.
    pub description: String,
    /// The changed fields (never secrets).
    pub changes: Option<Value>,
    /// Client address.
    pub ip_address: Option<&'a str>,
    /// Client software.
    pub user_agent: Option<&'a str>,
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AuditRecord {
    /// Database id.
    pub id: i64,
    /// The action.
    pub action: String,
    /// The kind of resource.
    pub resource_type: String,
    /// The resource.
    pub resource_id: Option<i64>,
    /// The actor.
    pub user_id: Option<i64>,
    /// The actor's organization.
    pub organization_id: Option<i64>,
    /// What happened.
    pub description: String,
    /// The changed fields.
    pub changes: Option<Json<Value>>,
    /// Client address.
    pub ip_address: Option<String>,
    /// Client software.
    pub user_agent: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl Db {
    /// Records a security event.
    pub async fn insert_security_event(&self, e: &SecurityEvent<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
        let sql = "INSERT INTO security_events (kind, user_id, identifier, ip_address, detail, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(e.kind)
            .bind(e.user_id)
            .bind(e.identifier)
            .bind(e.ip_address)
            .bind(e.detail.clone().map(Json))
            .bind(now)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Security events since `since` (all of them when `None`).
    pub async fn count_security_events(&self, since: Option<DateTime<Utc>>) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM security_events WHERE $1 IS NULL OR created_at > $1";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(since).fetch_one(p).await)?)
    }

    /// Security events of one kind for a user since `since`.
    pub async fn count_user_security_events(
        &self,
        user_id: i64,
        kind: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM security_events WHERE user_id = $1 AND kind = $2 AND created_at > $3";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(user_id).bind(kind).bind(since).fetch_one(p).await)?)
    }

    /// Appends a row to the audit trail.
    pub async fn insert_audit(&self, e: &AuditEntry<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
        let sql = "INSERT INTO audit_logs (action, resource_type, resource_id, user_id, organization_id, description, \
                   changes, ip_address, user_agent, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        on_pool!(self, |p| sqlx::query(sql)
            .bind(e.action)
            .bind(e.resource_type)
            .bind(e.resource_id)
            .bind(e.user_id)
            .bind(e.organization_id)
            .bind(&e.description)
            .bind(e.changes.clone().map(Json))
            .bind(e.ip_address)
            .bind(e.user_agent)
            .bind(now)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The newest audit rows, newest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let sql = "SELECT * FROM audit_logs ORDER BY id DESC LIMIT $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(limit).fetch_all(p).await)?)
    }
}
