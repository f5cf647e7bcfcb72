//! Pipeline CRUD: create, list (search, status, creator, paging), read, PUT (every field; secrets and
//! variables not sent are kept), PATCH (only what is sent), delete (with its runs' jobs and schedule).

use slipway_core::{Error, FieldError, Principal};
use slipway_engine::{EnqueueOptions, ScheduleRequest};
use slipway_store::delivery::{PipelineFilter, PipelineRecord};

use super::Pipelines;
use super::executor::{KIND, RunInput};
use super::model::{Listed, PipelineInput, PipelineQuery};
use super::validate::Checker;

/// Whether a full (PUT) or partial (PATCH) update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateMode {
    /// Every field; missing ones take their defaults (secrets and variables are kept).
    Full,
    /// Only the fields sent.
    Partial,
}

impl Pipelines {
    fn checker(&self, owner_is_admin: bool) -> Checker<'_> {
        Checker {
            types: &self.shared.types,
            outbound: &self.shared.services.outbound,
            sealer: &self.shared.sealer,
            owner_is_admin,
        }
    }

    fn check_network(&self, owner: &Principal, network: bool) -> Result<(), Error> {
        if network && !owner.is_admin() && !self.shared.user_network {
            return Err(Error::Forbidden("only administrators may give pipeline steps network access".into()));
        }
        Ok(())
    }

    /// Creates a pipeline owned by the caller.
    pub async fn create(&self, principal: &Principal, input: PipelineInput) -> Result<PipelineRecord, Error> {
        let fields = self.checker(principal.is_admin()).fields(&input, None, None)?;
        self.check_network(principal, fields.network)?;
        let id = self.shared.db.insert_pipeline(principal.user_id, &fields, slipway_core::time::now()).await?;
        let created = self.read(id).await?;
        self.sync_schedule(&created, None).await?;
        self.read(id).await
    }

    async fn read(&self, id: i64) -> Result<PipelineRecord, Error> {
        self.shared.db.pipeline(id).await?.ok_or_else(|| Error::NotFound(format!("pipeline {id}")))
    }

    /// A page of the pipelines the caller may see: their own (administrators: everyone's), newest first.
    pub async fn list(&self, principal: &Principal, q: PipelineQuery) -> Result<Listed<PipelineRecord>, Error> {
        let is_active = match q.status.as_deref() {
            None | Some("") => None,
            Some("active") => Some(true),
            Some("inactive") => Some(false),
            Some(other) => {
                return Err(Error::Validation(vec![FieldError::query(
                    "status",
                    "value_error",
                    format!("\"{other}\" is not a valid choice (active, inactive)"),
                )]));
            }
        };
        let user_id = match (principal.is_admin(), q.created_by) {
            (true, created_by) => created_by,
            (false, Some(other)) if other != principal.user_id => return Ok(Listed { items: vec![], total: 0 }),
            (false, _) => Some(principal.user_id),
        };
        let filter = PipelineFilter { user_id, is_active, search: q.search, offset: q.offset, limit: q.limit };
        let (items, total) = self.shared.db.list_pipelines(&filter).await?;
        Ok(Listed { items, total })
    }

    /// One pipeline.
    pub async fn get(&self, principal: &Principal, id: i64) -> Result<PipelineRecord, Error> {
        self.pipeline_for(principal, id).await
    }

    /// Changes a pipeline (PUT or PATCH); checked with its owner's rights.
    pub async fn update(
        &self,
        principal: &Principal,
        id: i64,
        input: PipelineInput,
        mode: UpdateMode,
    ) -> Result<PipelineRecord, Error> {
        let current = self.pipeline_for(principal, id).await?;
        let owner = self.shared.owner(&current).await?;
        let fields = match mode {
            UpdateMode::Full => self.checker(owner.is_admin()).fields(&input, None, Some(&current))?,
            UpdateMode::Partial => self.checker(owner.is_admin()).fields(&input, Some(&current), None)?,
        };
        self.check_network(&owner, fields.network)?;
        if !self.shared.db.update_pipeline(id, &fields, slipway_core::time::now()).await? {
            return Err(Error::NotFound(format!("pipeline {id}")));
        }
        let updated = self.read(id).await?;
        self.sync_schedule(&updated, Some(&current)).await?;
        self.read(id).await
    }

    /// Deletes a pipeline with its runs (their jobs and events), its schedule and its artifacts' rows.
    pub async fn delete(&self, principal: &Principal, id: i64) -> Result<(), Error> {
        let current = self.pipeline_for(principal, id).await?;
        if let Some(schedule) = current.schedule_id {
            let owner = self.shared.owner(&current).await?;
            let _ = self.engine.delete_schedule(&owner, schedule).await;
        }
        match self.shared.db.delete_pipeline(id).await? {
            Some(_digests) => Ok(()),
            None => Err(Error::NotFound(format!("pipeline {id}"))),
        }
    }

    /// Makes the engine schedule match the pipeline's `schedule`: one schedule of kind [`KIND`] per pipeline
    /// with a cron expression, enabled while the pipeline is active; each due time is exactly one run.
    async fn sync_schedule(&self, p: &PipelineRecord, before: Option<&PipelineRecord>) -> Result<(), Error> {
        let unchanged = before.is_some_and(|b| b.schedule == p.schedule && b.is_active == p.is_active);
        if unchanged && (p.schedule.is_none() == p.schedule_id.is_none()) {
            return Ok(());
        }
        let owner = self.shared.owner(p).await?;
        if let Some(old) = p.schedule_id {
            let _ = self.engine.delete_schedule(&owner, old).await;
            self.shared.db.set_pipeline_schedule(p.id, None).await?;
        }
        let Some(cron) = &p.schedule else { return Ok(()) };
        let request = ScheduleRequest {
            name: format!("pipeline {} ({})", p.id, p.name),
            cron: cron.clone(),
            timezone: None,
            kind: KIND.to_owned(),
            input: serde_json::to_value(RunInput::scheduled(p.id))
                .map_err(|e| Error::Internal(format!("a run input: {e}")))?,
            enabled: p.is_active,
            missed_runs: None,
            options: EnqueueOptions { max_attempts: 1, ..EnqueueOptions::default() },
        };
        let schedule = self.engine.create_schedule(&owner, request).await?;
        self.shared.db.set_pipeline_schedule(p.id, Some(schedule.id)).await?;
        Ok(())
    }
}
