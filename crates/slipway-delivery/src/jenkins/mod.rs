//! Jenkins over its HTTP API: users' servers ([`Jenkins`], credentials sealed), the client that triggers a job
//! and follows its queue item, build and console ([`JenkinsClient`]), and the engine job that runs a build
//! (`delivery.jenkins_build`, [`JenkinsBuildExecutor`]).

mod access;
mod client;
mod error;
mod executor;
mod path;
mod service;
mod stream;

pub use access::{JenkinsAccess, OpenError};
pub use client::{BuildOutcome, BuildRef, Credential, JenkinsClient, JenkinsEvent, Polling, QueueRef, ServerAccess};
pub use error::JenkinsError;
pub use executor::{
    BuildInput, CONSOLE_EVENT, FINISHED_EVENT, JenkinsBuildExecutor, KIND, QUEUED_EVENT, STARTED_EVENT,
};
pub use path::{JobPath, form_parameters};
pub use service::{
    BuildView, CredentialKind, DEFAULT_TRIGGER_WAIT, Jenkins, JenkinsServerChanges, JenkinsServerView,
    NewJenkinsServer, ServerRef, TriggerOutcome, TriggerRequest,
};
