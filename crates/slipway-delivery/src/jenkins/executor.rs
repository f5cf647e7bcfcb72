//! The engine job `delivery.jenkins_build`: triggers a job on one of its owner's Jenkins servers and follows it
//! to its end. The input names the server, the job and the parameters; the credential is opened from the store
//! here, never put into the input, the events or the output. Events: `jenkins_queued` (`queue_item`),
//! `jenkins_started` (`build`), one `console` per line (`line`), `jenkins_finished` (`result`). `SUCCESS` is
//! success; any other result fails the job with the result in its reason. A failure's output carries
//! `error.kind` (`credentials`, `forbidden`, `no_such_job`, …) so the service can answer with the right status.
//! One attempt only: a retry would start a second build.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use slipway_core::Error;
use slipway_engine::{Executor, JobContext, JobFailure};
use slipway_outbound::OutboundPolicy;
use slipway_store::{Db, Sealer};

use super::access::{JenkinsAccess, OpenError};
use super::client::{JenkinsClient, JenkinsEvent, Polling};
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

/// Runs Jenkins builds for their owners.
#[derive(Clone)]
pub struct JenkinsBuildExecutor {
    access: JenkinsAccess,
}

impl JenkinsBuildExecutor {
    /// An executor reading servers from `db`, opening credentials with `sealer`, calling out under `policy`.
    pub fn new(db: Db, sealer: Sealer, policy: OutboundPolicy) -> Self {
        Self { access: JenkinsAccess::new(db, sealer, policy) }
    }

    /// The same, polling Jenkins as `polling` says (tests poll fast).
    #[must_use]
    pub fn with_polling(mut self, polling: Polling) -> Self {
        self.access = self.access.with_polling(polling);
        self
    }

    /// The client for `server_id` as the job's owner may use it; "not found" when it is not theirs.
    async fn client(&self, owner: Option<i64>, server_id: i64) -> Result<JenkinsClient, JobFailure> {
        self.access.client_for_owner(owner, server_id).await.map_err(|e| match e {
            OpenError::NotFound(_) => JobFailure::fatal(e.to_string())
                .with_output(json!({ "error": { "kind": "not_found", "message": e.to_string() } })),
            OpenError::Internal(m) => JobFailure::fatal(m),
            OpenError::Jenkins(e) => failure(&e, kind_of(&e)),
        })
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
        let cancel = ctx.cancellation().clone();
        let outcome = client
            .run_build_streamed(&job, &form, &cancel, |e| {
                let (kind, payload) = event_of(&e);
                let ctx = &ctx;
                // A lost attempt's events are refused; the build goes on until the token fires.
                async move {
                    let _ = ctx.emit(kind, payload).await;
                }
            })
            .await;
        let outcome = outcome.map_err(|e| failure(&e, kind_of(&e)))?;
        let output = json!({
            "server_id": input.server_id,
            "job_name": job.to_string(),
            "queue_item": { "id": outcome.queue.id, "url": outcome.queue.url },
            "build": { "number": outcome.build.number, "url": outcome.build.url },
            "result": outcome.result,
        });
        if outcome.succeeded() {
            Ok(output)
        } else {
            Err(JobFailure::fatal(outcome.failure_reason(&job)).with_output(output))
        }
    }
}
