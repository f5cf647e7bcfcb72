//! [`Jenkins`]: users' Jenkins servers and the builds they trigger. A server is its owner's (administrators
//! reach every one; anyone else's is "not found"); its URL passes the outbound policy as the caller when it is
//! saved (non-administrators cannot target loopback or private addresses) and again when it is called. The
//! credential is sealed before it is stored and never leaves the service: views say `has_credential`.
//!
//! A trigger checks the job path and parameters, enqueues a `delivery.jenkins_build` job, and waits a bounded
//! time for Jenkins to queue it and start the build, so the answer names the queue item and the build when they
//! come quickly. A build that fails to start (credentials, permission, no such job, an unreachable Jenkins) is
//! answered as that error.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::Value;
use slipway_core::{Error, FieldError, Principal};
use slipway_engine::{Engine, EnqueueOptions, Job, JobStatus, STATUS_EVENT};
use slipway_outbound::OutboundPolicy;
use slipway_store::delivery::{JenkinsServerRecord, JenkinsServerRow};
use slipway_store::{Db, Sealer};

use super::access::{JenkinsAccess, credential_context};
use super::client::{BuildRef, QueueRef};
use super::executor::{BuildInput, CONSOLE_EVENT, FINISHED_EVENT, KIND, QUEUED_EVENT, STARTED_EVENT, error_of};
use super::path::{JobPath, form_parameters};

/// Longest server name, characters.
const NAME_MAX: usize = 100;
/// Longest URL, characters.
const URL_MAX: usize = 2048;
/// Longest Jenkins user name, characters.
const USERNAME_MAX: usize = 200;
/// Longest token or password, characters.
const CREDENTIAL_MAX: usize = 4096;
/// How long a trigger waits for the build to start, unless told otherwise.
pub const DEFAULT_TRIGGER_WAIT: Duration = Duration::from_secs(15);
/// The most events a build view reads (its console lines beyond are left out).
const EVENTS_MAX: i64 = 20_000;

/// How a server's user signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CredentialKind {
    /// An API token.
    #[default]
    ApiToken,
    /// A password (Slipway fetches a crumb for every build).
    Password,
}

impl CredentialKind {
    /// As stored and rendered.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiToken => "api_token",
            Self::Password => "password",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "api_token" => Some(Self::ApiToken),
            "password" => Some(Self::Password),
            _ => None,
        }
    }
}

/// A server as its owner sees it: never the credential, only whether there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct JenkinsServerView {
    /// Its id.
    pub id: i64,
    /// The owner.
    pub owner_id: i64,
    /// A name for people.
    pub name: String,
    /// The base URL.
    pub url: String,
    /// The Jenkins user.
    pub username: String,
    /// `api_token` or `password`.
    pub credential_kind: String,
    /// Always `true`: a server cannot be saved without a credential.
    pub has_credential: bool,
    /// Whether triggers without a `server_id` use it.
    pub is_default: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<JenkinsServerRecord> for JenkinsServerView {
    fn from(r: JenkinsServerRecord) -> Self {
        Self {
            id: r.id,
            owner_id: r.owner_id,
            name: r.name,
            url: r.url,
            username: r.username,
            credential_kind: r.credential_kind,
            has_credential: !r.credential_sealed.is_empty(),
            is_default: r.is_default,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A server to create.
#[derive(Clone, Default)]
pub struct NewJenkinsServer {
    /// A name for people, 1–100 characters, unique among the owner's servers.
    pub name: String,
    /// The base URL.
    pub url: String,
    /// The Jenkins user.
    pub username: String,
    /// Its API token or password.
    pub credential: String,
    /// Which of the two `credential` is (default: an API token).
    pub credential_kind: Option<String>,
    /// Whether it becomes the owner's default.
    pub is_default: bool,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Clone, Default)]
pub struct JenkinsServerChanges {
    /// New name.
    pub name: Option<String>,
    /// New URL.
    pub url: Option<String>,
    /// New Jenkins user.
    pub username: Option<String>,
    /// New token or password.
    pub credential: Option<String>,
    /// New credential kind.
    pub credential_kind: Option<String>,
    /// Make it the default (`true`) or not.
    pub is_default: Option<bool>,
}

/// A build to trigger.
#[derive(Debug, Clone, Default)]
pub struct TriggerRequest {
    /// The server (the caller's default when absent).
    pub server_id: Option<i64>,
    /// The job, `folder/job`.
    pub job_name: String,
    /// A flat map of scalars (`null` or absent: none).
    pub parameters: Option<Value>,
}

/// The server a build runs on, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRef {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

/// What a trigger answers.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerOutcome {
    /// The engine job following the build.
    pub job_id: i64,
    /// The job's status (`queued`, `running`, `succeeded`, `failed`, …).
    pub status: String,
    /// The server.
    pub server: ServerRef,
    /// The job path.
    pub job_name: String,
    /// Jenkins' queue item, once it made one.
    pub queue_item: Option<QueueRef>,
    /// The build, once it started.
    pub build: Option<BuildRef>,
}

/// A build as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildView {
    /// The engine job following it.
    pub job_id: i64,
    /// The job's status.
    pub status: String,
    /// The server's id.
    pub server_id: i64,
    /// The job path.
    pub job_name: String,
    /// The queue item, once made.
    pub queue_item: Option<QueueRef>,
    /// The build, once started.
    pub build: Option<BuildRef>,
    /// Jenkins' result, once finished.
    pub result: Option<String>,
    /// The console so far, one entry per line.
    pub console: Vec<String>,
    /// Why the job failed, when it did.
    pub error: Option<String>,
    /// When it was triggered.
    pub created_at: DateTime<Utc>,
}

/// The Jenkins service.
#[derive(Clone)]
pub struct Jenkins {
    db: Db,
    sealer: Sealer,
    policy: OutboundPolicy,
    access: JenkinsAccess,
    engine: Engine,
    wait: Duration,
}

fn not_found(id: i64) -> Error {
    Error::NotFound(format!("Jenkins server {id}"))
}

fn text_field(value: &str, field: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::body(field, "missing", format!("{field} may not be blank")));
    } else if value.chars().count() > max {
        errors.push(FieldError::body(field, "value_error", format!("{field} is longer than {max} characters")));
    }
    value.to_owned()
}

fn queue_of(payload: &Value) -> Option<QueueRef> {
    let q = &payload["queue_item"];
    Some(QueueRef { id: q["id"].as_u64()?, url: q["url"].as_str()?.to_owned() })
}

fn build_of(payload: &Value) -> Option<BuildRef> {
    let b = &payload["build"];
    Some(BuildRef { number: b["number"].as_u64()?, url: b["url"].as_str()?.to_owned() })
}

impl Jenkins {
    /// The service on `db`, sealing credentials with `sealer`, policing URLs with `policy`, running builds on
    /// `engine` (which must have [`super::JenkinsBuildExecutor`] registered).
    pub fn new(db: Db, sealer: Sealer, policy: OutboundPolicy, engine: Engine) -> Self {
        let access = JenkinsAccess::new(db.clone(), sealer.clone(), policy.clone());
        Self { db, sealer, policy, access, engine, wait: DEFAULT_TRIGGER_WAIT }
    }

    /// The same, with triggers waiting at most `wait` for the build to start.
    #[must_use]
    pub fn with_trigger_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The server, if the caller may reach it (its owner or an administrator); otherwise "not found".
    async fn server_for(&self, principal: &Principal, id: i64) -> Result<JenkinsServerRecord, Error> {
        self.access.server_for(principal, id).await
    }

    fn check_url(&self, principal: &Principal, url: &str, errors: &mut Vec<FieldError>) -> String {
        let url = text_field(url, "url", URL_MAX, errors);
        if !url.is_empty()
            && url.chars().count() <= URL_MAX
            && let Err(refusal) = self.policy.check_url_to_save(&url, principal.is_admin())
        {
            errors.push(refusal.field_error("url"));
        }
        url
    }

    fn seal(&self, owner_id: i64, credential: &str) -> Result<String, Error> {
        self.sealer
            .seal(&credential_context(owner_id), credential)
            .map_err(|e| Error::Internal(format!("cannot seal a Jenkins credential: {e}")))
    }

    fn conflict(e: Error, name: &str) -> Error {
        match e {
            Error::Conflict(_) => Error::Conflict(format!("you already have a Jenkins server named {name:?}")),
            other => other,
        }
    }

    /// The caller's servers, by name.
    pub async fn list(&self, principal: &Principal) -> Result<Vec<JenkinsServerView>, Error> {
        Ok(self.db.jenkins_servers_of(principal.user_id).await?.into_iter().map(Into::into).collect())
    }

    /// One server.
    pub async fn get(&self, principal: &Principal, id: i64) -> Result<JenkinsServerView, Error> {
        self.server_for(principal, id).await.map(Into::into)
    }

    /// Creates a server of the caller.
    pub async fn create(&self, principal: &Principal, new: NewJenkinsServer) -> Result<JenkinsServerView, Error> {
        let mut errors = Vec::new();
        let name = text_field(&new.name, "name", NAME_MAX, &mut errors);
        let url = self.check_url(principal, &new.url, &mut errors);
        let username = text_field(&new.username, "username", USERNAME_MAX, &mut errors);
        let credential = text_field(&new.credential, "credential", CREDENTIAL_MAX, &mut errors);
        let kind = match new.credential_kind.as_deref().map(str::trim) {
            None | Some("") => Some(CredentialKind::ApiToken),
            Some(k) => CredentialKind::parse(k),
        };
        if kind.is_none() {
            errors.push(FieldError::body("credential_kind", "value_error", "credential_kind is api_token or password"));
        }
        let Some(kind) = kind.filter(|_| errors.is_empty()) else { return Err(Error::Validation(errors)) };
        let sealed = self.seal(principal.user_id, &credential)?;
        let row = JenkinsServerRow {
            name: &name,
            url: &url,
            username: &username,
            credential_sealed: &sealed,
            credential_kind: kind.as_str(),
            is_default: new.is_default,
        };
        let now = slipway_core::time::now();
        let record = self.db.insert_jenkins_server(principal.user_id, &row, now).await;
        record.map(Into::into).map_err(|e| Self::conflict(e.into(), &name))
    }

    /// Changes a server (its owner or an administrator).
    pub async fn update(
        &self,
        principal: &Principal,
        id: i64,
        changes: JenkinsServerChanges,
    ) -> Result<JenkinsServerView, Error> {
        let current = self.server_for(principal, id).await?;
        let mut errors = Vec::new();
        let name = changes.name.map_or(current.name.clone(), |n| text_field(&n, "name", NAME_MAX, &mut errors));
        let url = changes.url.map_or(current.url.clone(), |u| self.check_url(principal, &u, &mut errors));
        let username = changes
            .username
            .map_or(current.username.clone(), |u| text_field(&u, "username", USERNAME_MAX, &mut errors));
        let credential = changes.credential.map(|c| text_field(&c, "credential", CREDENTIAL_MAX, &mut errors));
        let kind = match changes.credential_kind.as_deref().map(str::trim) {
            None => Some(current.credential_kind.clone()),
            Some(k) => CredentialKind::parse(k).map(|k| k.as_str().to_owned()),
        };
        if kind.is_none() {
            errors.push(FieldError::body("credential_kind", "value_error", "credential_kind is api_token or password"));
        }
        let Some(kind) = kind.filter(|_| errors.is_empty()) else { return Err(Error::Validation(errors)) };
        let sealed = match credential {
            Some(c) => self.seal(current.owner_id, &c)?,
            None => current.credential_sealed.clone(),
        };
        let row = JenkinsServerRow {
            name: &name,
            url: &url,
            username: &username,
            credential_sealed: &sealed,
            credential_kind: &kind,
            is_default: changes.is_default.unwrap_or(current.is_default),
        };
        let now = slipway_core::time::now();
        match self.db.update_jenkins_server(id, &row, now).await {
            Ok(Some(r)) => Ok(r.into()),
            Ok(None) => Err(not_found(id)),
            Err(e) => Err(Self::conflict(e.into(), &name)),
        }
    }

    /// Deletes a server (its owner or an administrator). Builds it ran keep their jobs.
    pub async fn delete(&self, principal: &Principal, id: i64) -> Result<(), Error> {
        self.server_for(principal, id).await?;
        if self.db.delete_jenkins_server(id).await? { Ok(()) } else { Err(not_found(id)) }
    }

    /// Triggers a build and waits (bounded) for Jenkins to queue and start it.
    pub async fn trigger(&self, principal: &Principal, req: TriggerRequest) -> Result<TriggerOutcome, Error> {
        let mut errors = Vec::new();
        let job = JobPath::parse(&req.job_name)
            .map_err(|m| {
                errors.push(FieldError::body(
                    "job_name",
                    if req.job_name.trim().is_empty() { "missing" } else { "value_error" },
                    m,
                ))
            })
            .ok();
        let params = form_parameters(req.parameters.as_ref(), "parameters").map_err(|f| errors.push(f)).ok();
        let (Some(job), Some(_), true) = (job, params, errors.is_empty()) else {
            return Err(Error::Validation(errors));
        };
        let server = match req.server_id {
            Some(id) => self.server_for(principal, id).await?,
            None => self.db.default_jenkins_server(principal.user_id).await?.ok_or_else(|| {
                Error::invalid_field(
                    "server_id",
                    "missing",
                    "server_id is required: you have no default Jenkins server (create one with is_default: true)",
                )
            })?,
        };
        self.policy
            .check_str(&server.url, principal.is_admin())
            .map_err(|r| Error::InvalidConfiguration(format!("Jenkins server {:?}: {r}", server.name)))?;
        let parameters = match req.parameters {
            Some(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        let input = BuildInput { server_id: server.id, job_name: job.to_string(), parameters };
        let input = serde_json::to_value(&input).map_err(|e| Error::Internal(e.to_string()))?;
        let options = EnqueueOptions { max_attempts: 1, ..EnqueueOptions::default() };
        let queued = self.engine.enqueue(principal, KIND, input, options).await?;
        let (queue_item, build) = self.await_start(principal, queued.id).await?;
        let job_row = self.engine.get(principal, queued.id).await?;
        if job_row.status.is_final() && job_row.status != JobStatus::Succeeded && queue_item.is_none() {
            return Err(error_of(job_row.output.as_ref(), job_row.error.as_deref().unwrap_or("the build failed")));
        }
        Ok(TriggerOutcome {
            job_id: queued.id,
            status: job_row.status.as_str().to_owned(),
            server: ServerRef { id: server.id, name: server.name, url: server.url },
            job_name: job.to_string(),
            queue_item,
            build,
        })
    }

    /// The queue item and build the job's events name, waiting at most the trigger wait for the build.
    async fn await_start(
        &self,
        principal: &Principal,
        job_id: i64,
    ) -> Result<(Option<QueueRef>, Option<BuildRef>), Error> {
        let mut events = self.engine.subscribe(principal, job_id, 0).await?;
        let mut queue_item = None;
        let mut build = None;
        let _ = tokio::time::timeout(self.wait, async {
            while let Some(event) = events.next().await {
                let Ok(event) = event else { break };
                match event.kind.as_str() {
                    QUEUED_EVENT => queue_item = queue_of(&event.payload),
                    STARTED_EVENT => {
                        build = build_of(&event.payload);
                        break;
                    }
                    STATUS_EVENT
                        if event.payload["status"]
                            .as_str()
                            .is_some_and(|s| s.parse::<JobStatus>().is_ok_and(JobStatus::is_final)) =>
                    {
                        break;
                    }
                    _ => {}
                }
            }
        })
        .await;
        Ok((queue_item, build))
    }

    /// A build as it stands: its queue item, number, result and console so far.
    pub async fn build(&self, principal: &Principal, job_id: i64) -> Result<BuildView, Error> {
        let job: Job = self.engine.get(principal, job_id).await?;
        if job.kind != KIND {
            return Err(Error::NotFound(format!("Jenkins build {job_id}")));
        }
        let input: BuildInput = serde_json::from_value(job.input.clone())
            .map_err(|e| Error::Internal(format!("job {job_id} has no Jenkins build input: {e}")))?;
        let events = self.db.job_events(job_id, 0, EVENTS_MAX).await?;
        let mut view = BuildView {
            job_id,
            status: job.status.as_str().to_owned(),
            server_id: input.server_id,
            job_name: input.job_name,
            queue_item: None,
            build: None,
            result: None,
            console: Vec::new(),
            error: job.error.clone(),
            created_at: job.created_at,
        };
        for e in events {
            match e.kind.as_str() {
                QUEUED_EVENT => view.queue_item = queue_of(&e.payload),
                STARTED_EVENT => view.build = build_of(&e.payload),
                CONSOLE_EVENT => view.console.push(e.payload["line"].as_str().unwrap_or_default().to_owned()),
                FINISHED_EVENT => view.result = e.payload["result"].as_str().map(str::to_owned),
                _ => {}
            }
        }
        Ok(view)
    }
}
