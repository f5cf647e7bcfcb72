//! AnsFlow's Jenkins response bodies: servers (never the credential, only `has_credential`), a trigger's answer
//! and a build as it stands.

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_delivery::jenkins::{BuildRef, BuildView, JenkinsServerView, QueueRef, TriggerOutcome};
use utoipa::ToSchema;

/// A Jenkins server as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowJenkinsServer {
    /// Its id.
    pub id: i64,
    /// The owner's user id.
    pub owner_id: i64,
    /// A name, unique among the owner's servers.
    pub name: String,
    /// The base URL.
    pub url: String,
    /// The Jenkins user builds are triggered as.
    pub username: String,
    /// `api_token` or `password`.
    pub credential_kind: String,
    /// Whether a credential is stored (it is never returned).
    pub has_credential: bool,
    /// Whether triggers without `server_id` use it.
    pub is_default: bool,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl From<JenkinsServerView> for AnsFlowJenkinsServer {
    fn from(s: JenkinsServerView) -> Self {
        Self {
            id: s.id,
            owner_id: s.owner_id,
            name: s.name,
            url: s.url,
            username: s.username,
            credential_kind: s.credential_kind,
            has_credential: s.has_credential,
            is_default: s.is_default,
            created_at: rfc3339(s.created_at),
            updated_at: rfc3339(s.updated_at),
        }
    }
}

/// A Jenkins queue item.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowJenkinsQueueItem {
    /// Its id in Jenkins' queue.
    pub id: u64,
    /// Its URL (`…/queue/item/7/`).
    pub url: String,
}

impl From<QueueRef> for AnsFlowJenkinsQueueItem {
    fn from(q: QueueRef) -> Self {
        Self { id: q.id, url: q.url }
    }
}

/// A Jenkins build.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowJenkinsBuildRef {
    /// Its number.
    pub number: u64,
    /// Its URL (`…/job/a/job/b/12/`).
    pub url: String,
}

impl From<BuildRef> for AnsFlowJenkinsBuildRef {
    fn from(b: BuildRef) -> Self {
        Self { number: b.number, url: b.url }
    }
}

/// The server a build runs on.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowJenkinsServerRef {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

/// What a trigger answers: the engine job following the build, and Jenkins' queue item and build when they
/// came within the wait.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowJenkinsTrigger {
    /// The job following the build (`GET /api/v1/integrations/jenkins/builds/{job_id}`).
    pub job_id: i64,
    /// The job's status: `queued`, `running`, `succeeded`, `failed`, `cancelled`.
    pub status: String,
    /// The server.
    pub server: AnsFlowJenkinsServerRef,
    /// The job path, `folder/job`.
    pub job_name: String,
    /// Jenkins' queue item.
    pub queue_item: Option<AnsFlowJenkinsQueueItem>,
    /// The build, once it started.
    pub build: Option<AnsFlowJenkinsBuildRef>,
}

impl From<TriggerOutcome> for AnsFlowJenkinsTrigger {
    fn from(t: TriggerOutcome) -> Self {
        Self {
            job_id: t.job_id,
            status: t.status,
            server: AnsFlowJenkinsServerRef { id: t.server.id, name: t.server.name, url: t.server.url },
            job_name: t.job_name,
            queue_item: t.queue_item.map(Into::into),
            build: t.build.map(Into::into),
        }
    }
}

/// A build as it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnsFlowJenkinsBuild {
    /// The job following it.
    pub job_id: i64,
    /// The job's status.
    pub status: String,
    /// The server's id.
    pub server_id: i64,
    /// The job path.
    pub job_name: String,
    /// Jenkins' queue item.
    pub queue_item: Option<AnsFlowJenkinsQueueItem>,
    /// The build, once started.
    pub build: Option<AnsFlowJenkinsBuildRef>,
    /// Jenkins' result once finished: `SUCCESS`, `UNSTABLE`, `FAILURE`, `ABORTED`.
    pub result: Option<String>,
    /// The console so far, one entry per line.
    pub console: Vec<String>,
    /// Why the job failed, when it did.
    pub error: Option<String>,
    /// When it was triggered (RFC 3339).
    pub created_at: String,
}

impl From<BuildView> for AnsFlowJenkinsBuild {
    fn from(b: BuildView) -> Self {
        Self {
            job_id: b.job_id,
            status: b.status,
            server_id: b.server_id,
            job_name: b.job_name,
            queue_item: b.queue_item.map(Into::into),
            build: b.build.map(Into::into),
            result: b.result,
            console: b.console,
            error: b.error,
            created_at: rfc3339(b.created_at),
        }
    }
}
