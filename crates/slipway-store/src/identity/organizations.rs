//! The `organizations` table, and who belongs to one (through the members of its teams). Reads are not scoped
//! to a caller: the organizations service decides who may see what.

use chrono::{DateTime, Utc};

use super::quotas::NewQuota;
use crate::{Db, StoreError, on_pool};

/// A stored organization.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrganizationRecord {
    /// Database id.
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
    /// Whether it is in use (an inactive one grants no tier and counts no quota).
    pub is_active: bool,
    /// Whether single sign-on is switched on.
    pub sso_enabled: bool,
    /// The administrator who created it.
    pub created_by: Option<i64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// An organization to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization<'a> {
    /// Name.
    pub name: &'a str,
    /// Slug (checked by the service).
    pub slug: &'a str,
    /// Tier.
    pub tier: &'a str,
    /// Contact address.
    pub contact_email: Option<&'a str>,
    /// Description.
    pub description: Option<&'a str>,
    /// The creator.
    pub created_by: i64,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationChanges {
    /// New name.
    pub name: Option<String>,
    /// New tier.
    pub tier: Option<String>,
    /// New contact address.
    pub contact_email: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// Switch single sign-on.
    pub sso_enabled: Option<bool>,
    /// Switch the organization on or off.
    pub is_active: Option<bool>,
}

impl OrganizationChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Which organizations to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationFilter {
    /// Only those this user belongs to (`None`: all, for administrators).
    pub member: Option<i64>,
    /// Only of this tier.
    pub tier: Option<String>,
    /// Only active (or inactive) ones.
    pub is_active: Option<bool>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return (1–100).
    pub limit: i64,
}

/// The filtered organizations, to page or to count.
macro_rules! filtered {
    () => {
        "SELECT o.* FROM organizations o WHERE ($1 IS NULL OR o.id IN (SELECT t.organization_id FROM teams t \
         JOIN team_members m ON m.team_id = t.id WHERE m.user_id = $1)) \
         AND ($2 IS NULL OR o.tier = $2) AND ($3 IS NULL OR o.is_active = $3)"
    };
}

impl Db {
    /// Creates an organization with its quota rows, in one transaction; `Duplicate` when the slug is taken.
    pub async fn insert_organization(
        &self,
        o: &NewOrganization<'_>,
        quotas: &[NewQuota],
        now: DateTime<Utc>,
    ) -> Result<OrganizationRecord, StoreError> {
        let org = "INSERT INTO organizations (name, slug, tier, contact_email, description, created_by, created_at, \
                   updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *";
        let quota = "INSERT INTO quotas (organization_id, resource_type, quota_limit, used, reset_at, updated_at) \
                     VALUES ($1, $2, $3, 0, $4, $5)";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let record: OrganizationRecord = sqlx::query_as(org)
                .bind(o.name)
                .bind(o.slug)
                .bind(o.tier)
                .bind(o.contact_email)
                .bind(o.description)
                .bind(o.created_by)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            for q in quotas {
                sqlx::query(quota)
                    .bind(record.id)
                    .bind(q.resource_type)
                    .bind(q.limit)
                    .bind(q.reset_at)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(record)
        })?)
    }

    /// One organization.
    pub async fn organization(&self, id: i64) -> Result<Option<OrganizationRecord>, StoreError> {
        let sql = "SELECT * FROM organizations WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?)
    }

    /// A page of organizations by id, and how many match in all.
    pub async fn list_organizations(
        &self,
        f: &OrganizationFilter,
    ) -> Result<(Vec<OrganizationRecord>, i64), StoreError> {
        let page = concat!(filtered!(), " ORDER BY o.id LIMIT $4 OFFSET $5");
        let count = concat!("SELECT COUNT(*) FROM (", filtered!(), ") c");
        let (limit, offset) = (f.limit.clamp(1, 100), f.offset.max(0));
        Ok(on_pool!(self, |p| {
            let rows = sqlx::query_as(page)
                .bind(f.member)
                .bind(&f.tier)
                .bind(f.is_active)
                .bind(limit)
                .bind(offset)
                .fetch_all(p)
                .await?;
            let total: i64 =
                sqlx::query_scalar(count).bind(f.member).bind(&f.tier).bind(f.is_active).fetch_one(p).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// Changes an organization; `None` when there is no such organization.
    pub async fn update_organization(
        &self,
        id: i64,
        c: &OrganizationChanges,
        now: DateTime<Utc>,
    ) -> Result<Option<OrganizationRecord>, StoreError> {
        let sql = "UPDATE organizations SET name = COALESCE($2, name), tier = COALESCE($3, tier), \
                   contact_email = COALESCE($4, contact_email), description = COALESCE($5, description), \
                   sso_enabled = COALESCE($6, sso_enabled), is_active = COALESCE($7, is_active), updated_at = $8 \
                   WHERE id = $1 RETURNING *";
        Ok(on_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .bind(&c.name)
            .bind(&c.tier)
            .bind(&c.contact_email)
            .bind(&c.description)
            .bind(c.sso_enabled)
            .bind(c.is_active)
            .bind(now)
            .fetch_optional(p)
            .await)?)
    }

    /// The roles `user_id` holds in the teams of organization `org_id` (empty: not a member).
    pub async fn organization_roles(&self, org_id: i64, user_id: i64) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT m.role FROM team_members m JOIN teams t ON t.id = m.team_id \
                   WHERE t.organization_id = $1 AND m.user_id = $2";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(org_id).bind(user_id).fetch_all(p).await)?)
    }

    /// The tiers of the active organizations `user_id` belongs to.
    pub async fn member_tiers(&self, user_id: i64) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT DISTINCT o.tier FROM organizations o JOIN teams t ON t.organization_id = o.id \
                   JOIN team_members m ON m.team_id = t.id WHERE m.user_id = $1 AND o.is_active";
        Ok(on_pool!(self, |p| sqlx::query_scalar(sql).bind(user_id).fetch_all(p).await)?)
    }
}
