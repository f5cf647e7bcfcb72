//! Jenkins over its HTTP API: users' servers ([`Jenkins`], credentials sealed), the client that triggers a job
//! and follows its queue item, build and console ([`JenkinsClient`]), and the engine job that runs a build
//! (`delivery.jenkins_build`, [`JenkinsBuildExecutor`]).

mod client;
mod error;
mod path;

pub use client::{
    BuildOutcome, BuildRef, Credential, JenkinsClient, JenkinsEvent, Polling, QueueRef, ServerAccess,
};
pub use error::JenkinsError;
pub use path::{JobPath, form_parameters};
