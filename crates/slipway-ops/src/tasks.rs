//! Scheduled commands: a cron expression, a shell command, a timeout and a target, run by the engine's `command`
//! executor. Each task is an engine schedule of kind `command`; each run is a job of that schedule. With the
//! node's sandbox anyone may have tasks (users see their own; their commands run sandboxed, see the engine's
//! `command` executor); without it, tasks are an administrator's right, checked here for every operation.
//! A task whose `target` names a server (a server's name, `server:<id>`, `tag:<tag>`) runs there over SSH
//! ([`crate::remote`]); such tasks are for administrators and granted server operators, checked here when the
//! task is written and again, with the owner's rights, each time it runs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use slipway_core::{Error, FieldError, Principal};
use slipway_engine::{
    CommandInput, Engine, EnqueueOptions, Job, JobFilter, JobStatus, LOCAL_TARGET, Page, Schedule, ScheduleRequest,
    ScheduleUpdate,
};

use crate::servers::Servers;

/// The job kind tasks run as.
const KIND: &str = "command";
/// The longest a task may be given to run.
const MAX_TIMEOUT_SECS: i64 = 7 * 86_400;
/// The longest stored text fields, in characters: name, command, target, cron expression, time zone.
const TEXT_LIMITS: [(&str, usize); 5] =
    [("name", 100), ("command", 10_000), ("target", 100), ("cron", 100), ("timezone", 64)];

/// Every text field longer than its limit ([`TEXT_LIMITS`]), as one validation error naming each.
fn check_lengths(fields: [(&str, Option<&str>); 5]) -> Result<(), Error> {
    let problems: Vec<FieldError> = TEXT_LIMITS
        .iter()
        .filter_map(|(field, max)| {
            let value = fields.iter().find(|(f, _)| f == field).and_then(|(_, v)| *v)?;
            let chars = value.chars().count();
            (chars > *max).then(|| {
                FieldError::body(field, "value_error", format!("{field} must be at most {max} characters, got {chars}"))
            })
        })
        .collect();
    if problems.is_empty() { Ok(()) } else { Err(Error::Validation(problems)) }
}

/// A task to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSpec {
    /// A name for people.
    pub name: String,
    /// Cron expression (5 fields, or 6 with seconds first).
    pub cron: String,
    /// IANA time zone of the expression (UTC by default).
    pub timezone: Option<String>,
    /// What `sh -c` runs.
    pub command: String,
    /// Seconds a run may take; `None` or 0 for no limit.
    pub timeout_secs: Option<i64>,
    /// Whether it fires on its schedule.
    pub enabled: bool,
    /// Where it runs (`local`, the default).
    pub target: Option<String>,
}

/// Changes to a task; `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskChanges {
    /// New name.
    pub name: Option<String>,
    /// New cron expression.
    pub cron: Option<String>,
    /// New time zone.
    pub timezone: Option<String>,
    /// New command.
    pub command: Option<String>,
    /// New timeout in seconds (0 for none).
    pub timeout_secs: Option<i64>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// New target.
    pub target: Option<String>,
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Its id (the schedule's).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Cron expression.
    pub cron: String,
    /// Time zone of the expression.
    pub timezone: String,
    /// The command.
    pub command: String,
    /// Where it runs.
    pub target: String,
    /// Seconds a run may take.
    pub timeout_secs: Option<i64>,
    /// Whether it fires on its schedule.
    pub enabled: bool,
    /// The next due time, when enabled.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The last time it fired.
    pub last_run_at: Option<DateTime<Utc>>,
    /// The job of its last run.
    pub last_run_id: Option<i64>,
    /// Who created it.
    pub owner_id: Option<i64>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Task {
    fn from_schedule(s: Schedule) -> Result<Self, Error> {
        let input: CommandInput = serde_json::from_value(s.input.clone())
            .map_err(|e| Error::Internal(format!("schedule {} has no command input: {e}", s.id)))?;
        Ok(Self {
            id: s.id,
            name: s.name,
            cron: s.cron,
            timezone: s.timezone,
            command: input.command,
            target: input.target.unwrap_or_else(|| LOCAL_TARGET.to_owned()),
            timeout_secs: s.timeout_ms.map(|ms| ms / 1000),
            enabled: s.enabled,
            next_run_at: s.next_run_at,
            last_run_at: s.last_run_at,
            last_run_id: s.last_job_id,
            owner_id: s.owner_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
        })
    }
}

/// One run of a task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRun {
    /// The job that ran it (its events stream live while it runs).
    pub job_id: i64,
    /// Where the run is.
    pub status: JobStatus,
    /// The command's exit code, once it exited.
    pub exit_code: Option<i64>,
    /// How long the command ran, in milliseconds.
    pub duration_ms: Option<i64>,
    /// The last 64 KiB of standard output.
    pub stdout: String,
    /// The last 64 KiB of standard error.
    pub stderr: String,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When it was due (`None` for "run now").
    pub due_at: Option<DateTime<Utc>>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

impl TaskRun {
    fn from_job(j: Job) -> Self {
        let out = j.output.clone().unwrap_or(Value::Null);
        let text = |k: &str| out.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        Self {
            job_id: j.id,
            status: j.status,
            exit_code: out.get("exit_code").and_then(Value::as_i64),
            duration_ms: out.get("duration_ms").and_then(Value::as_i64),
            stdout: text("stdout"),
            stderr: text("stderr"),
            error: j.error,
            due_at: j.due_at,
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
        }
    }
}

fn timeout(field_value: Option<i64>) -> Result<Option<Duration>, Error> {
    match field_value {
        None | Some(0) => Ok(None),
        Some(s) if (1..=MAX_TIMEOUT_SECS).contains(&s) => Ok(Some(Duration::from_secs(s.unsigned_abs()))),
        Some(s) => Err(Error::Validation(vec![FieldError::body(
            "timeout",
            "value_error",
            format!("timeout must be between 0 (none) and {MAX_TIMEOUT_SECS} seconds, got {s}"),
        )])),
    }
}

fn input(command: &str, target: Option<&str>) -> Value {
    json!({"command": command, "target": target.unwrap_or(LOCAL_TARGET)})
}

/// Scheduled commands on top of the engine.
#[derive(Clone)]
pub struct Tasks {
    engine: Engine,
    servers: Option<Servers>,
}

impl Tasks {
    /// Tasks run by `engine`, on this host only.
    pub fn new(engine: Engine) -> Self {
        Self { engine, servers: None }
    }

    /// Tasks that may also target `servers` (the engine's `command` executor runs them through
    /// [`crate::RemoteCommands`] on the same servers).
    pub fn with_servers(mut self, servers: Servers) -> Self {
        self.servers = Some(servers);
        self
    }

    /// Anyone where commands are sandboxed; only administrators where they are not, saying why.
    fn require_command_right(&self, caller: &Principal) -> Result<(), Error> {
        let sandbox = self.engine.sandbox();
        if caller.is_admin() || sandbox.is_available() { Ok(()) } else { Err(Error::Forbidden(sandbox.refusal())) }
    }

    /// Who may see and manage tasks at all: those with the command right, or server operators.
    async fn require_task_right(&self, caller: &Principal) -> Result<(), Error> {
        let refused = match self.require_command_right(caller) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        match &self.servers {
            Some(servers) if servers.require_operator(caller).await.is_ok() => Ok(()),
            _ => Err(refused),
        }
    }

    /// The right to run a command on `target`: a server target needs an operator and a server it names; this
    /// host needs the command right.
    async fn require_target_right(&self, caller: &Principal, target: Option<&str>) -> Result<(), Error> {
        match (target.filter(|t| *t != LOCAL_TARGET), &self.servers) {
            (Some(target), Some(servers)) => servers.resolve_target(caller, target).await.map(|_| ()),
            _ => self.require_command_right(caller),
        }
    }

    async fn schedule(&self, caller: &Principal, id: i64) -> Result<Schedule, Error> {
        let s = self.engine.get_schedule(caller, id).await.map_err(|_| Error::NotFound(format!("task {id}")))?;
        if s.kind == KIND { Ok(s) } else { Err(Error::NotFound(format!("task {id}"))) }
    }

    /// Creates a task (administrators, or anyone with the sandbox).
    pub async fn create(&self, caller: &Principal, spec: TaskSpec) -> Result<Task, Error> {
        self.require_task_right(caller).await?;
        check_lengths([
            ("name", Some(&spec.name)),
            ("command", Some(&spec.command)),
            ("target", spec.target.as_deref()),
            ("cron", Some(&spec.cron)),
            ("timezone", spec.timezone.as_deref()),
        ])?;
        self.require_target_right(caller, spec.target.as_deref()).await?;
        let request = ScheduleRequest {
            name: spec.name,
            cron: spec.cron,
            timezone: spec.timezone,
            kind: KIND.to_owned(),
            input: input(&spec.command, spec.target.as_deref()),
            enabled: spec.enabled,
            missed_runs: None,
            options: EnqueueOptions {
                timeout: timeout(spec.timeout_secs)?,
                max_attempts: 1,
                ..EnqueueOptions::default()
            },
        };
        Task::from_schedule(self.engine.create_schedule(caller, request).await?)
    }

    /// A page of tasks, optionally only enabled or disabled ones (administrators, or anyone with the sandbox).
    pub async fn list(
        &self,
        caller: &Principal,
        enabled: Option<bool>,
        offset: i64,
        limit: i64,
    ) -> Result<Page<Task>, Error> {
        self.require_task_right(caller).await?;
        let page = self.engine.list_schedules(caller, Some(KIND), enabled, offset, limit).await?;
        Ok(Page {
            items: page.items.into_iter().map(Task::from_schedule).collect::<Result<_, _>>()?,
            total: page.total,
        })
    }

    /// One task (administrators, or anyone with the sandbox).
    pub async fn get(&self, caller: &Principal, id: i64) -> Result<Task, Error> {
        self.require_task_right(caller).await?;
        Task::from_schedule(self.schedule(caller, id).await?)
    }

    /// Changes a task (administrators, or anyone with the sandbox).
    pub async fn update(&self, caller: &Principal, id: i64, c: TaskChanges) -> Result<Task, Error> {
        self.require_task_right(caller).await?;
        check_lengths([
            ("name", c.name.as_deref()),
            ("command", c.command.as_deref()),
            ("target", c.target.as_deref()),
            ("cron", c.cron.as_deref()),
            ("timezone", c.timezone.as_deref()),
        ])?;
        let schedule = self.schedule(caller, id).await?;
        let mut stored = schedule.input.clone();
        let current = Task::from_schedule(schedule)?;
        self.require_target_right(caller, Some(c.target.as_deref().unwrap_or(&current.target))).await?;
        let new_input = (c.command.is_some() || c.target.is_some()).then(|| {
            // The stored input keeps how it is isolated (settled for its owner), whoever edits it.
            if let (Some(fields), Value::Object(new)) = (
                stored.as_object_mut(),
                input(
                    c.command.as_deref().unwrap_or(&current.command),
                    Some(c.target.as_deref().unwrap_or(&current.target)),
                ),
            ) {
                fields.extend(new);
            }
            stored
        });
        let update = ScheduleUpdate {
            name: c.name,
            cron: c.cron,
            timezone: c.timezone,
            input: new_input,
            enabled: c.enabled,
            timeout: match c.timeout_secs {
                Some(t) => Some(timeout(Some(t))?),
                None => None,
            },
            ..ScheduleUpdate::default()
        };
        Task::from_schedule(self.engine.update_schedule(caller, id, update).await?)
    }

    /// Deletes a task; its runs stay in the history of jobs (administrators, or anyone with the sandbox).
    pub async fn delete(&self, caller: &Principal, id: i64) -> Result<(), Error> {
        self.require_task_right(caller).await?;
        self.schedule(caller, id).await?;
        self.engine.delete_schedule(caller, id).await
    }

    /// Runs a task now, outside its timetable (administrators, or anyone with the sandbox); returns the queued run.
    pub async fn run_now(&self, caller: &Principal, id: i64) -> Result<TaskRun, Error> {
        self.require_task_right(caller).await?;
        let task = Task::from_schedule(self.schedule(caller, id).await?)?;
        self.require_target_right(caller, Some(&task.target)).await?;
        Ok(TaskRun::from_job(self.engine.run_schedule_now(caller, id).await?))
    }

    /// A task's runs, newest first (administrators, or anyone with the sandbox).
    pub async fn runs(&self, caller: &Principal, id: i64, offset: i64, limit: i64) -> Result<Page<TaskRun>, Error> {
        self.require_task_right(caller).await?;
        self.schedule(caller, id).await?;
        let filter =
            JobFilter { schedule_id: Some(id), kind: Some(KIND.to_owned()), offset, limit, ..JobFilter::default() };
        let page = self.engine.list(caller, filter).await?;
        Ok(Page { items: page.items.into_iter().map(TaskRun::from_job).collect(), total: page.total })
    }
}
