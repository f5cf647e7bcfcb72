//! Organizations: created by administrators (with their quota rows), listed for their members, read, changed
//! by their owners (the tier and the active switch by administrators only: they set rate limits and quotas).

use slipway_core::{Error, FieldError, Principal};
use slipway_store::StoreError;
use slipway_store::identity::{NewOrganization, OrganizationChanges, OrganizationFilter, OrganizationRecord};

use super::input::{self, MAX_DESCRIPTION, MAX_NAME, Problems};
use super::{Need, Organizations, SLUG_TAKEN, Standing, Tier};
use crate::service::Page;

/// Organizations a page lists unless asked otherwise.
pub const DEFAULT_PAGE: i64 = 20;
/// The most organizations one page lists.
pub const MAX_PAGE: i64 = 100;

/// An organization to create, as a client sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationRequest {
    /// Name (required).
    pub name: String,
    /// Slug (required, URL-safe, unique).
    pub slug: String,
    /// `free` (default), `professional` or `enterprise`.
    pub tier: Option<String>,
    /// Contact address.
    pub contact_email: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// Changes to an organization; `None` leaves a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationUpdate {
    /// New name.
    pub name: Option<String>,
    /// New tier (administrators only).
    pub tier: Option<String>,
    /// Switch single sign-on.
    pub sso_enabled: Option<bool>,
    /// New contact address.
    pub contact_email: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// Switch the organization on or off (administrators only).
    pub is_active: Option<bool>,
}

/// Which organizations to list, as the client asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationQuery {
    /// Only of this tier.
    pub tier: Option<String>,
    /// Only active (or inactive) ones.
    pub is_active: Option<bool>,
    /// Rows to skip.
    pub skip: Option<i64>,
    /// Rows to return.
    pub limit: Option<i64>,
}

fn optional(field: &str, value: Option<&str>, max: usize, p: &mut Problems) -> Option<String> {
    value.and_then(|v| p.keep(input::text(field, v, max, false))).filter(|v| !v.is_empty())
}

fn slug_taken(e: StoreError) -> Error {
    match e {
        StoreError::Duplicate(_) => Error::Conflict(SLUG_TAKEN.into()),
        other => other.into(),
    }
}

impl Organizations {
    /// Creates an organization with the quotas of its tier (administrators only).
    pub async fn create_organization(
        &self,
        principal: &Principal,
        req: OrganizationRequest,
    ) -> Result<OrganizationRecord, Error> {
        principal.require_admin()?;
        let mut p = Problems::default();
        let name = p.keep(input::text("name", &req.name, MAX_NAME, true));
        let slug = p.keep(input::slug(&req.slug));
        let tier = match req.tier.as_deref() {
            Some(t) => p.keep(input::tier(t)),
            None => Some(Tier::Free),
        };
        let contact_email = req.contact_email.as_deref().and_then(|e| p.keep(input::email(e)));
        let description = optional("description", req.description.as_deref(), MAX_DESCRIPTION, &mut p);
        let (Some(name), Some(slug), Some(tier), true) = (name, slug, tier, p.0.is_empty()) else {
            return Err(Error::Validation(p.0));
        };
        let now = slipway_core::time::now();
        let new = NewOrganization {
            name: &name,
            slug: &slug,
            tier: tier.as_str(),
            contact_email: contact_email.as_deref(),
            description: description.as_deref(),
            created_by: principal.user_id,
        };
        self.db.insert_organization(&new, &tier.default_quotas(now), now).await.map_err(slug_taken)
    }

    /// A page of organizations by id: an administrator's are all of them, anyone else's those they belong to;
    /// `tier` and `is_active` filter, `skip` ≥ 0 and `limit` 1–100 (default 20) page.
    pub async fn organizations(
        &self,
        principal: &Principal,
        q: OrganizationQuery,
    ) -> Result<Page<OrganizationRecord>, Error> {
        let mut problems = Vec::new();
        let (skip, limit) = (q.skip.unwrap_or(0), q.limit.unwrap_or(DEFAULT_PAGE));
        if skip < 0 {
            problems.push(FieldError::query("skip", "value_error.number.not_ge", "ensure this value is >= 0"));
        }
        if !(1..=MAX_PAGE).contains(&limit) {
            let msg = format!("ensure this value is between 1 and {MAX_PAGE}");
            problems.push(FieldError::query("limit", "value_error.number.range", msg));
        }
        let tier = match q.tier.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => match t.parse::<Tier>() {
                Ok(t) => Some(t.as_str().to_owned()),
                Err(_) => {
                    problems.push(FieldError::query(
                        "tier",
                        "enum",
                        "tier must be one of free, professional, enterprise",
                    ));
                    None
                }
            },
            None => None,
        };
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        let member = (!principal.is_admin()).then_some(principal.user_id);
        let filter = OrganizationFilter { member, tier, is_active: q.is_active, offset: skip, limit };
        let (items, total) = self.db.list_organizations(&filter).await?;
        Ok(Page { items, total })
    }

    /// One organization the caller may see.
    pub async fn organization(&self, principal: &Principal, id: i64) -> Result<OrganizationRecord, Error> {
        Ok(self.organization_for(principal, id, Need::See).await?.0)
    }

    /// Changes an organization (its owners and administrators; the tier and `is_active` administrators only).
    pub async fn update_organization(
        &self,
        principal: &Principal,
        id: i64,
        u: OrganizationUpdate,
    ) -> Result<OrganizationRecord, Error> {
        let (_, standing) = self.organization_for(principal, id, Need::Manage).await?;
        let mut p = Problems::default();
        let changes = OrganizationChanges {
            name: u.name.as_deref().and_then(|n| p.keep(input::text("name", n, MAX_NAME, true))),
            tier: u.tier.as_deref().and_then(|t| p.keep(input::tier(t))).map(|t| t.as_str().to_owned()),
            contact_email: u.contact_email.as_deref().and_then(|e| p.keep(input::email(e))),
            description: u
                .description
                .as_deref()
                .and_then(|d| p.keep(input::text("description", d, MAX_DESCRIPTION, false))),
            sso_enabled: u.sso_enabled,
            is_active: u.is_active,
        };
        if !p.0.is_empty() {
            return Err(Error::Validation(p.0));
        }
        if changes.is_empty() {
            return Err(Error::NoUpdateData);
        }
        if standing != Standing::Admin && (changes.tier.is_some() || changes.is_active.is_some()) {
            return Err(Error::Forbidden("only administrators may change an organization's tier or switch it".into()));
        }
        let updated = self.db.update_organization(id, &changes, slipway_core::time::now()).await?;
        self.tiers.clear();
        updated.ok_or_else(super::org_missing)
    }
}
