//! ResoftAI's organization body: the documented fields of every route's answer in one shape (create, list,
//! read and update return the same resource).

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_identity::organizations::OrganizationRecord;
use utoipa::ToSchema;

/// An organization as ResoftAI shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiOrganization {
    /// Its id.
    pub id: i64,
    /// A name for people.
    pub name: String,
    /// Unique, URL-safe.
    pub slug: String,
    /// `free`, `professional` or `enterprise`.
    pub tier: String,
    /// Who to write to.
    pub contact_email: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Whether it is in use.
    pub is_active: bool,
    /// Whether single sign-on is switched on.
    pub sso_enabled: bool,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl From<&OrganizationRecord> for ResoftAiOrganization {
    fn from(o: &OrganizationRecord) -> Self {
        Self {
            id: o.id,
            name: o.name.clone(),
            slug: o.slug.clone(),
            tier: o.tier.clone(),
            contact_email: o.contact_email.clone(),
            description: o.description.clone(),
            is_active: o.is_active,
            sso_enabled: o.sso_enabled,
            created_at: rfc3339(o.created_at),
            updated_at: rfc3339(o.updated_at),
        }
    }
}
