//! What can go wrong talking to Jenkins, and how each becomes a domain error: what the user got wrong (the
//! credentials, a job that does not exist, a permission the Jenkins user lacks) is a 4xx; a Jenkins that cannot
//! be reached or answers what Jenkins would not is a bad gateway (502).

use slipway_core::Error;

/// A failed conversation with Jenkins. The texts never carry the credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JenkinsError {
    /// `401`: the user name and token or password were refused.
    #[error("Jenkins refused the credentials of user {0:?}")]
    Credentials(String),
    /// `403`: the user may not do this, or the request's crumb (CSRF protection) was refused.
    #[error("Jenkins refused permission to {what}: {detail}")]
    Forbidden {
        /// What was refused (`build job a/b`).
        what: String,
        /// Which refusal it was (a crumb refused, or a permission the user lacks); Jenkins' page is not echoed.
        detail: String,
    },
    /// `404` for a job path.
    #[error("no such Jenkins job {0}")]
    NoSuchJob(String),
    /// The queue item was cancelled in Jenkins before a build started.
    #[error("Jenkins cancelled queue item {0} before a build started")]
    QueueCancelled(String),
    /// The server's URL is refused by the outbound policy.
    #[error("the Jenkins URL is refused: {0}")]
    Refused(String),
    /// Jenkins could not be reached (connection refused, timed out, TLS).
    #[error("Jenkins at {url} cannot be reached: {reason}")]
    Unreachable {
        /// The server.
        url: String,
        /// Why.
        reason: String,
    },
    /// Jenkins answered something Jenkins would not (a 5xx, a missing header, JSON of another shape).
    #[error("Jenkins misbehaved: {0}")]
    Protocol(String),
    /// The caller's cancellation fired (the queue item was cancelled or the build stopped).
    #[error("cancelled")]
    Cancelled,
    /// The HTTP client could not be built (our side).
    #[error("cannot build the Jenkins HTTP client: {0}")]
    Client(String),
}

impl From<JenkinsError> for Error {
    fn from(e: JenkinsError) -> Self {
        match e {
            JenkinsError::Credentials(_) | JenkinsError::Refused(_) => Self::InvalidConfiguration(e.to_string()),
            JenkinsError::Forbidden { .. } => Self::Forbidden(e.to_string()),
            JenkinsError::NoSuchJob(job) => Self::NotFound(format!("Jenkins job {job}")),
            JenkinsError::QueueCancelled(_) => Self::Conflict(e.to_string()),
            JenkinsError::Unreachable { .. } | JenkinsError::Protocol(_) => Self::BadGateway(e.to_string()),
            JenkinsError::Cancelled => Self::Unavailable("the Jenkins build was cancelled".into()),
            JenkinsError::Client(m) => Self::Internal(m),
        }
    }
}
