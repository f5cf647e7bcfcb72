//! The engine job `delivery.jenkins_build`: triggers a job on one of its owner's Jenkins servers and follows it
//! to its end. The input names the server, the job and the parameters; the credential is opened from the store
//! here, never put into the input, the events or the output. Events: `jenkins_queued` (`queue_item`),
//! `jenkins_started` (`build`), one `console` per line (`line`), `jenkins_finished` (`result`). `SUCCESS` is
//! success; any other result fails the job with the result in its reason. A failure's output carries
//! `error.kind` (`credentials`, `forbidden`, `no_such_job`, …) so the service can answer with the right status.
//! One attempt only: a retry would start a second build.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slipway_core::{Error, Role};
use slipway_engine::{Executor, JobContext, JobFailure};
use slipway_outbound::OutboundPolicy;
use slipway_store::{Db, Sealer};
use tokio::sync::mpsc;

use super::client::{Credential, JenkinsClient, JenkinsEvent, Polling, ServerAccess};
use super::error::JenkinsError;
use super::path::{JobPath, form_parameters};

/// The job kind.
pub const KIND: &str = "delivery.jenkins_build";
/// The event naming the queue item.
pub const QUEUED_EVENT: &str = "jenkins_queued";
/// The event naming the build.
pub const STARTED_EVENT: &str = "jenkins_started";
/// One console line.
pub const CONSOLE_EVENT: &str = "console";
/// The event naming the result.
pub const FINISHED_EVENT: &str = "jenkins_finished";

/// What a `delivery.jenkins_build` job is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildInput {
    /// The Jenkins server (a row of `jenkins_servers`).
    pub server_id: i64,
    /// The job, `folder/job`.
    pub job_name: String,
    /// Flat scalar parameters.
    #[serde(default)]
    pub parameters: serde_json::Map<String, Value>,
}

/// The sealing context of a server's credential.
pub(crate) fn credential_context(owner_id: i64) -> String {
    format!("jenkins_servers.credential:owner={owner_id}")
}

/// Runs Jenkins builds for their owners.
#[derive(Clone)]
pub struct JenkinsBuildExecutor {
    db: Db,
    sealer: Sealer,
    policy: OutboundPolicy,
    polling: Polling,
}

impl JenkinsBuildExecutor {
    /// An executor reading servers from `db`, opening credentials with `sealer`, calling out under `policy`.
    pub fn new(db: Db, sealer: Sealer, policy: OutboundPolicy) -> Self {
        Self { db, sealer, policy, polling: Polling::default() }
    }

    /// The same, polling Jenkins as `polling` says (tests poll fast).
    #[must_use]
    pub fn with_polling(mut self, polling: Polling) -> Self {
        self.polling = polling;
        self
    }

    /// The client for `server_id` as the job's owner may use it; "not found" when it is not theirs.
    async fn client(&self, owner: Option<i64>, server_id: i64) -> Result<JenkinsClient, JobFailure> {
        let not_found = || {
            let message = format!("Jenkins server {server_id} not found");
            JobFailure::fatal(message.clone())
                .with_output(json!({ "error": { "kind": "not_found", "message": message } }))
        };
        let owner = owner.ok_or_else(not_found)?;
        let user = self.db.user_by_id(owner).await.map_err(|e| JobFailure::fatal(e.to_string()))?;
        let Some(user) = user.filter(|u| u.is_active) else { return Err(not_found()) };
        let is_admin = user.role.parse::<Role>().is_ok_and(|r| r == Role::Admin);
        let server = self.db.jenkins_server(server_id).await.map_err(|e| JobFailure::fatal(e.to_string()))?;
        let Some(server) = server.filter(|s| is_admin || s.owner_id == owner) else { return Err(not_found()) };
        let secret =
            self.sealer.open(&credential_context(server.owner_id), &server.credential_sealed).map_err(|e| {
                JobFailure::fatal(format!("cannot open the credential of Jenkins server {:?}: {e}", server.name))
            })?;
        let credential = if server.credential_kind == "password" {
            Credential::Password(secret)
        } else {
            Credential::ApiToken(secret)
        };
        let access = ServerAccess { url: server.url, username: server.username, credential };
        JenkinsClient::new(&self.policy, is_admin, access, self.polling).map_err(|e| failure(&e, kind_of(&e)))
    }
}

/// The machine name of what went wrong, kept in a failed job's output.
fn kind_of(e: &JenkinsError) -> &'static str {
    match e {
        JenkinsError::Credentials(_) => "credentials",
        JenkinsError::Forbidden { .. } => "forbidden",
        JenkinsError::NoSuchJob(_) => "no_such_job",
        JenkinsError::QueueCancelled(_) => "queue_cancelled",
        JenkinsError::Refused(_) => "refused",
        JenkinsError::Unreachable { .. } => "unreachable",
        JenkinsError::Protocol(_) => "protocol",
        JenkinsError::Cancelled => "cancelled",
        JenkinsError::Client(_) => "internal",
    }
}

fn failure(e: &JenkinsError, kind: &str) -> JobFailure {
    JobFailure::fatal(e.to_string()).with_output(json!({ "error": { "kind": kind, "message": e.to_string() } }))
}

/// The domain error a failed job's output describes (what the trigger answers when a build fails to start).
pub(crate) fn error_of(output: Option<&Value>, fallback: &str) -> Error {
    let kind = output.and_then(|o| o["error"]["kind"].as_str()).unwrap_or("");
    let message = output.and_then(|o| o["error"]["message"].as_str()).unwrap_or(fallback).to_owned();
    match kind {
        "credentials" | "refused" => Error::InvalidConfiguration(message),
        "forbidden" => Error::Forbidden(message),
        "no_such_job" => Error::NotFound(message.trim_start_matches("no such ").to_owned()),
        "not_found" => Error::NotFound(message.trim_end_matches(" not found").to_owned()),
        "queue_cancelled" => Error::Conflict(message),
        "unreachable" | "protocol" => Error::BadGateway(message),
        _ => Error::Internal(message),
    }
}

fn event_of(e: &JenkinsEvent) -> (&'static str, Value) {
    match e {
        JenkinsEvent::Queued(q) => (QUEUED_EVENT, json!({ "queue_item": { "id": q.id, "url": q.url } })),
        JenkinsEvent::Started(b) => (STARTED_EVENT, json!({ "build": { "number": b.number, "url": b.url } })),
        JenkinsEvent::Console(line) => (CONSOLE_EVENT, json!({ "line": line })),
        JenkinsEvent::Finished(result) => (FINISHED_EVENT, json!({ "result": result })),
    }
}

/// A job's input, checked: the input, its job path and its parameters as form fields.
struct Checked {
    input: BuildInput,
    job: JobPath,
    form: Vec<(String, String)>,
}

fn check_input(input: &Value) -> Result<Checked, Error> {
    let parsed: BuildInput =
        serde_json::from_value(input.clone()).map_err(|e| Error::MalformedRequest(e.to_string()))?;
    let job = JobPath::parse(&parsed.job_name).map_err(|m| Error::invalid_field("job_name", "value_error", m))?;
    let params = Value::Object(parsed.parameters.clone());
    let form = form_parameters(Some(&params), "parameters").map_err(|f| Error::Validation(vec![f]))?;
    Ok(Checked { input: parsed, job, form })
}

impl Executor for JenkinsBuildExecutor {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn validate(&self, input: &Value) -> Result<(), Error> {
        check_input(input).map(|_| ())
    }

    async fn run(&self, ctx: JobContext) -> Result<Value, JobFailure> {
        let Checked { input, job, form } = check_input(ctx.input()).map_err(|e| JobFailure::fatal(e.to_string()))?;
        let client = self.client(ctx.owner_id(), input.server_id).await?;
        let (tx, mut rx) = mpsc::unbounded_channel::<JenkinsEvent>();
        let cancel = ctx.cancellation().clone();
        let build = client.run_build(&job, &form, &cancel, move |e| {
            let _ = tx.send(e);
        });
        let emit = async {
            while let Some(e) = rx.recv().await {
                let (kind, payload) = event_of(&e);
                // A lost attempt's events are refused; the build goes on until the token fires.
                let _ = ctx.emit(kind, payload).await;
            }
        };
        let (outcome, ()) = tokio::join!(build, emit);
        let outcome = outcome.map_err(|e| failure(&e, kind_of(&e)))?;
        let output = json!({
            "server_id": input.server_id,
            "job_name": job.to_string(),
            "queue_item": { "id": outcome.queue.id, "url": outcome.queue.url },
            "build": { "number": outcome.build.number, "url": outcome.build.url },
            "result": outcome.result,
        });
        if outcome.result == "SUCCESS" {
            Ok(output)
        } else {
            let reason = format!("Jenkins build {job} #{} finished {}", outcome.build.number, outcome.result);
            Err(JobFailure::fatal(reason).with_output(output))
        }
    }
}
