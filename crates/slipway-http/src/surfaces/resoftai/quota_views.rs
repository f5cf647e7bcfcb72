//! ResoftAI's quota body (the list and the update return the same shape).

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_identity::organizations::QuotaRecord;
use utoipa::ToSchema;

/// A quota of an organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiQuota {
    /// Its id.
    pub id: i64,
    /// Its organization.
    pub organization_id: i64,
    /// `projects`, `api_calls`, `llm_tokens`, `storage_bytes` or `concurrent_runs`.
    pub resource_type: String,
    /// The most that may be used.
    pub limit: i64,
    /// How much is used.
    pub used: i64,
    /// When a monthly quota starts again from zero (RFC 3339; `null` for the others).
    pub reset_at: Option<String>,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl From<&QuotaRecord> for ResoftAiQuota {
    fn from(q: &QuotaRecord) -> Self {
        Self {
            id: q.id,
            organization_id: q.organization_id,
            resource_type: q.resource_type.clone(),
            limit: q.limit,
            used: q.used,
            reset_at: q.reset_at.map(rfc3339),
            updated_at: rfc3339(q.updated_at),
        }
    }
}
