//! Quotas of an organization: its members read them, administrators set their limits. Only `projects` is
//! enforced so far (reserved with the project, see the factory); the others are stored and returned.

use slipway_core::{Error, FieldError, Principal};
use slipway_store::identity::QuotaRecord;

use super::{Need, Organizations};

impl Organizations {
    /// The quotas of an organization the caller belongs to (`organization_id` is required).
    pub async fn quotas(&self, principal: &Principal, org_id: Option<i64>) -> Result<Vec<QuotaRecord>, Error> {
        let org_id = org_id.ok_or_else(|| {
            Error::Validation(vec![FieldError::query("organization_id", "value_error.missing", "field required")])
        })?;
        self.organization_for(principal, org_id, Need::See).await?;
        Ok(self.db.quotas_of(org_id).await?)
    }

    /// Sets a quota's limit, ≥ 0 (administrators only).
    pub async fn set_quota_limit(&self, principal: &Principal, id: i64, limit: i64) -> Result<QuotaRecord, Error> {
        principal.require_admin()?;
        if limit < 0 {
            return Err(Error::invalid_field("limit", "value_error.number.not_ge", "ensure this value is >= 0"));
        }
        self.db
            .set_quota_limit(id, limit, slipway_core::time::now())
            .await?
            .ok_or_else(|| Error::NotFound("quota".into()))
    }
}
