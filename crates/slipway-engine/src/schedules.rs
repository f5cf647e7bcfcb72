//! The schedule API: cron schedules that enqueue a job of one kind with one input at each due time.

use std::time::Duration;

use serde_json::Value;
use slipway_core::config::MissedRuns;
use slipway_core::{Error, Principal};
use slipway_store::jobs::{JobRecord, NewJob, NewSchedule, ScheduleRecord};

use crate::api::{EnqueueOptions, Page};
use crate::cron::CronSchedule;
use crate::engine::Engine;

/// A schedule to create.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleRequest {
    /// A name for people.
    pub name: String,
    /// Cron expression, 5 fields or 6 with seconds first.
    pub cron: String,
    /// IANA time zone (`UTC` when `None`).
    pub timezone: Option<String>,
    /// Job kind.
    pub kind: String,
    /// Job input.
    pub input: Value,
    /// Whether it fires.
    pub enabled: bool,
    /// Missed-run policy; `None` follows the node's configuration.
    pub missed_runs: Option<MissedRuns>,
    /// Priority, attempts and timeout of its jobs (`scheduled_for` is ignored).
    pub options: EnqueueOptions,
}

/// Changes to a schedule; `None` keeps a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScheduleUpdate {
    /// New name.
    pub name: Option<String>,
    /// New cron expression.
    pub cron: Option<String>,
    /// New time zone.
    pub timezone: Option<String>,
    /// New job input.
    pub input: Option<Value>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New missed-run policy (`Some(None)` follows the configuration again).
    pub missed_runs: Option<Option<MissedRuns>>,
    /// New job time limit (`Some(None)` removes it).
    pub timeout: Option<Option<Duration>>,
    /// New job attempts.
    pub max_attempts: Option<i32>,
    /// New job priority.
    pub priority: Option<i32>,
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("schedule {id}"))
}

fn may_see(principal: &Principal, s: &ScheduleRecord) -> bool {
    s.owner_id.map_or(principal.is_admin(), |owner| principal.may_access(owner))
}

fn validate_name(name: &str) -> Result<(), Error> {
    if name.trim().is_empty() {
        return Err(Error::invalid_field("name", "value_error", "name must not be empty"));
    }
    Ok(())
}

impl Engine {
    fn check_kind(&self, principal: &Principal, kind: &str, input: &mut Value) -> Result<(), Error> {
        let executor = self.inner.registry.require(kind)?;
        executor.admit(principal, &self.inner.sandbox, input)?;
        executor.validate(input)
    }

    /// Creates a schedule owned by the caller; its first due time is computed now.
    pub async fn create_schedule(
        &self,
        principal: &Principal,
        mut req: ScheduleRequest,
    ) -> Result<ScheduleRecord, Error> {
        validate_name(&req.name)?;
        req.options.validate()?;
        self.check_kind(principal, &req.kind, &mut req.input)?;
        let timezone = req.timezone.unwrap_or_else(|| "UTC".to_owned());
        let cron = CronSchedule::parse(&req.cron, &timezone)?;
        let next_run_at = if req.enabled { cron.next_after(slipway_core::time::now()) } else { None };
        let row = NewSchedule {
            name: req.name,
            owner_id: Some(principal.user_id),
            kind: req.kind,
            input: req.input,
            cron: req.cron.trim().to_owned(),
            timezone,
            enabled: req.enabled,
            missed_runs: req.missed_runs.map(|m| m.as_str().to_owned()),
            priority: req.options.priority,
            max_attempts: req.options.max_attempts,
            timeout_ms: req.options.timeout_ms(),
            next_run_at,
        };
        let schedule = self.inner.write.insert_schedule(&row).await?;
        self.inner.schedules_changed.notify_one();
        Ok(schedule)
    }

    /// One schedule, if the caller may see it.
    pub async fn get_schedule(&self, principal: &Principal, id: i64) -> Result<ScheduleRecord, Error> {
        match self.inner.db.schedule(id).await? {
            Some(s) if may_see(principal, &s) => Ok(s),
            _ => Err(not_found(id)),
        }
    }

    /// A page of schedules, oldest first: the caller's own, or everyone's for an administrator; optionally only
    /// those of one job kind, and only enabled or only disabled ones.
    pub async fn list_schedules(
        &self,
        principal: &Principal,
        kind: Option<&str>,
        enabled: Option<bool>,
        offset: i64,
        limit: i64,
    ) -> Result<Page<ScheduleRecord>, Error> {
        let owner = (!principal.is_admin()).then_some(principal.user_id);
        let (items, total) = self.inner.db.list_schedules(owner, kind, enabled, offset, limit).await?;
        Ok(Page { items, total })
    }

    /// Changes a schedule. A new expression or time zone, or enabling it, computes the next due time from now;
    /// disabling clears it.
    pub async fn update_schedule(
        &self,
        principal: &Principal,
        id: i64,
        update: ScheduleUpdate,
    ) -> Result<ScheduleRecord, Error> {
        let current = self.get_schedule(principal, id).await?;
        let mut row = NewSchedule {
            name: update.name.unwrap_or(current.name),
            owner_id: current.owner_id,
            kind: current.kind,
            input: update.input.unwrap_or(current.input),
            cron: update.cron.map(|c| c.trim().to_owned()).unwrap_or(current.cron.clone()),
            timezone: update.timezone.unwrap_or(current.timezone.clone()),
            enabled: update.enabled.unwrap_or(current.enabled),
            missed_runs: match update.missed_runs {
                Some(m) => m.map(|m| m.as_str().to_owned()),
                None => current.missed_runs,
            },
            priority: update.priority.unwrap_or(current.priority),
            max_attempts: update.max_attempts.unwrap_or(current.max_attempts),
            timeout_ms: match update.timeout {
                Some(t) => EnqueueOptions { timeout: t, ..EnqueueOptions::default() }.timeout_ms(),
                None => current.timeout_ms,
            },
            next_run_at: current.next_run_at,
        };
        validate_name(&row.name)?;
        let timeout = row.timeout_ms.map(|ms| Duration::from_millis(u64::try_from(ms).unwrap_or(0)));
        EnqueueOptions { priority: row.priority, max_attempts: row.max_attempts, timeout, scheduled_for: None }
            .validate()?;
        self.check_kind(principal, &row.kind, &mut row.input)?;
        let cron = CronSchedule::parse(&row.cron, &row.timezone)?;
        let retimed = row.cron != current.cron || row.timezone != current.timezone;
        if !row.enabled {
            row.next_run_at = None;
        } else if retimed || !current.enabled || row.next_run_at.is_none() {
            row.next_run_at = cron.next_after(slipway_core::time::now());
        }
        let schedule = self.inner.write.update_schedule(id, &row).await?.ok_or_else(|| not_found(id))?;
        self.inner.schedules_changed.notify_one();
        Ok(schedule)
    }

    /// Enables or disables a schedule.
    pub async fn set_schedule_enabled(
        &self,
        principal: &Principal,
        id: i64,
        enabled: bool,
    ) -> Result<ScheduleRecord, Error> {
        self.update_schedule(principal, id, ScheduleUpdate { enabled: Some(enabled), ..ScheduleUpdate::default() })
            .await
    }

    /// Deletes a schedule; the jobs it created stay.
    pub async fn delete_schedule(&self, principal: &Principal, id: i64) -> Result<(), Error> {
        let mut schedule = self.get_schedule(principal, id).await?;
        self.check_kind(principal, &schedule.kind, &mut schedule.input)?;
        if self.inner.write.delete_schedule(id).await? { Ok(()) } else { Err(not_found(id)) }
    }

    /// Enqueues the schedule's job now, outside its timetable (the next due time is unchanged).
    pub async fn run_schedule_now(&self, principal: &Principal, id: i64) -> Result<JobRecord, Error> {
        let mut s = self.get_schedule(principal, id).await?;
        self.check_kind(principal, &s.kind, &mut s.input)?;
        let job = NewJob {
            kind: s.kind,
            owner_id: s.owner_id,
            priority: s.priority,
            input: s.input,
            max_attempts: s.max_attempts,
            timeout_ms: s.timeout_ms,
            scheduled_for: slipway_core::time::now(),
            schedule_id: Some(s.id),
            due_at: None,
        };
        let row = self.inner.write.insert_job(&job).await?;
        self.inner.wake.notify_one();
        Ok(row)
    }
}
