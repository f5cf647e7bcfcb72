//! The one domain error enum. Services return it; each HTTP surface renders it in its document's shape.

use std::fmt;

/// Result type of every service call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One invalid input field, located the way FastAPI locates it (`["body", "email"]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Where the bad value sits: the part of the request, then the field path.
    pub loc: Vec<String>,
    /// What is wrong with it, for people.
    pub msg: String,
    /// What is wrong with it, for programs (`value_error.email`, `missing`, `type_error`).
    #[serde(rename = "type")]
    pub kind: String,
}

impl FieldError {
    /// A field error in the request body at `field` (a dotted path is split into segments).
    pub fn body(field: &str, kind: &str, msg: impl Into<String>) -> Self {
        let mut loc = vec!["body".to_owned()];
        loc.extend(field.split('.').filter(|s| !s.is_empty()).map(str::to_owned));
        Self { loc, msg: msg.into(), kind: kind.to_owned() }
    }

    /// A field error in the query string.
    pub fn query(field: &str, kind: &str, msg: impl Into<String>) -> Self {
        Self { loc: vec!["query".to_owned(), field.to_owned()], msg: msg.into(), kind: kind.to_owned() }
    }

    /// A field error in a path parameter.
    pub fn path(field: &str, kind: &str, msg: impl Into<String>) -> Self {
        Self { loc: vec!["path".to_owned(), field.to_owned()], msg: msg.into(), kind: kind.to_owned() }
    }

    /// The field's name without the request part: `email` for `["body", "email"]`.
    pub fn field(&self) -> String {
        let parts: Vec<&str> = self.loc.iter().skip(1).map(String::as_str).collect();
        if parts.is_empty() { self.loc.join(".") } else { parts.join(".") }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field(), self.msg)
    }
}

/// What is wrong with a verification code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    /// No such code, a wrong one, or an expired one.
    Invalid,
    /// The code was already used.
    Used,
    /// Too many wrong tries: the code is dead.
    TooManyAttempts,
}

/// Why a project's workflow cannot do what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowProblem {
    /// A run is already going.
    AlreadyRunning,
    /// The project is running (it must be stopped first).
    Running,
    /// Only a project that never ran may be changed.
    NotPending,
    /// There is no run going to stop.
    NotRunning,
    /// There is no checkpoint to resume from, or the run already completed.
    NothingToResume,
}

/// Everything that can go wrong in Slipway, in domain terms. Surfaces decide status codes and shapes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// One or more input values are invalid.
    #[error("validation failed: {}", join_fields(.0))]
    Validation(Vec<FieldError>),
    /// The request body or query could not be parsed at all.
    #[error("malformed request: {0}")]
    MalformedRequest(String),
    /// The request body has a content type this route does not accept.
    #[error("unsupported content type: {0}")]
    UnsupportedMediaType(String),
    /// No credentials were presented where they are required.
    #[error("authentication required")]
    Unauthenticated,
    /// The presented access token is malformed, expired or revoked.
    #[error("invalid or expired token")]
    InvalidToken,
    /// The caller is known but may not do this.
    #[error("permission denied: {0}")]
    Forbidden(String),
    /// The username or e-mail address (`field`) is already registered.
    #[error("{} already registered", if *.field == "email" { "e-mail address" } else { "username" })]
    UserExists {
        /// `username` or `email`.
        field: &'static str,
    },
    /// Wrong identifier or password (never says which).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// The account exists but is disabled.
    #[error("account is disabled")]
    AccountInactive,
    /// Too many failed logins: the account is locked for a while.
    #[error("too many failed login attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts {
        /// Seconds until the lock lifts.
        retry_after_secs: u64,
    },
    /// A refresh token that is unknown, expired, revoked or already used.
    #[error("invalid or expired refresh token")]
    InvalidRefreshToken,
    /// The current password given for a change is wrong.
    #[error("current password is incorrect")]
    InvalidOldPassword,
    /// The user a valid token names no longer exists or is disabled.
    #[error("user does not exist or is disabled")]
    UserInactive,
    /// No such user.
    #[error("user not found")]
    UserNotFound,
    /// An update request carried nothing to change.
    #[error("no fields to update")]
    NoUpdateData,
    /// A verification code was refused.
    #[error("{}", match .0 {
        CodeProblem::Invalid => "verification code is wrong or expired",
        CodeProblem::Used => "verification code has already been used",
        CodeProblem::TooManyAttempts => "too many attempts; request a new code",
    })]
    VerificationCode(CodeProblem),
    /// A project's workflow cannot do this now.
    #[error("{}", match .0 {
        WorkflowProblem::AlreadyRunning => "the project is already running",
        WorkflowProblem::Running => "the project is running; stop it first",
        WorkflowProblem::NotPending => "only a pending project (one that never ran) can be changed",
        WorkflowProblem::NotRunning => "the project is not running",
        WorkflowProblem::NothingToResume => "there is no checkpoint to resume from",
    })]
    Workflow(WorkflowProblem),
    /// No such project (or not one the caller may see).
    #[error("project {0} not found")]
    ProjectNotFound(i64),
    /// A quota of the caller (or their organization) is used up.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// An uploaded file's type is not accepted.
    #[error("unsupported file type: {0}")]
    UnsupportedFileType(String),
    /// The named resource does not exist (or the caller may not know that it does).
    #[error("{0} not found")]
    NotFound(String),
    /// The change conflicts with existing state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// No route serves this path.
    #[error("no route for this path")]
    RouteNotFound,
    /// A route serves this path, but not with this method.
    #[error("method not allowed for this path")]
    MethodNotAllowed,
    /// The request body is larger than the configured limit.
    #[error("request body exceeds the limit of {limit_bytes} bytes")]
    PayloadTooLarge {
        /// The limit in force, in bytes.
        limit_bytes: u64,
    },
    /// The request line or a header field cannot be parsed (below the application: HTTP itself).
    #[error("malformed request head: {0}")]
    MalformedHead(String),
    /// The request target (path and query) is longer than the server reads.
    #[error("the request URI is too long")]
    UriTooLong,
    /// The request's header fields are larger, or more numerous, than the server reads.
    #[error("the request header fields are too large")]
    HeaderFieldsTooLarge,
    /// The caller exceeded a rate limit.
    #[error("rate limit exceeded; retry in {retry_after_secs} seconds")]
    RateLimited {
        /// Seconds until a request will be accepted again.
        retry_after_secs: u64,
    },
    /// The request did not finish within the configured time.
    #[error("request timed out")]
    Timeout,
    /// A stored configuration of an outside service (an LLM provider's key, model or URL) is unusable: the
    /// service refused it, or it cannot be used as stored. The text names the configuration.
    #[error("invalid configuration: {0}")]
    InvalidConfiguration(String),
    /// A dependency (database, provider) is not available right now.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// An outside server Slipway called on the caller's behalf (a Jenkins) could not be reached or answered
    /// what its protocol does not allow. The text names the server and what went wrong.
    #[error("bad gateway: {0}")]
    BadGateway(String),
    /// Our fault. The text is logged, never shown to the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

fn join_fields(fields: &[FieldError]) -> String {
    fields.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl Error {
    /// A validation error for a single body field.
    pub fn invalid_field(field: &str, kind: &str, msg: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::body(field, kind, msg)])
    }

    /// The HTTP status most surfaces use for this error; a surface may override it.
    pub fn default_status(&self) -> u16 {
        match self {
            Self::Validation(_) => 422,
            Self::MalformedRequest(_) => 400,
            Self::UnsupportedMediaType(_) => 415,
            Self::Unauthenticated
            | Self::InvalidToken
            | Self::InvalidCredentials
            | Self::InvalidRefreshToken
            | Self::InvalidOldPassword
            | Self::UserInactive => 401,
            Self::Forbidden(_) | Self::AccountInactive => 403,
            Self::UserExists { .. } => 409,
            Self::TooManyAttempts { .. } => 429,
            Self::UserNotFound => 404,
            Self::NoUpdateData | Self::InvalidConfiguration(_) => 400,
            Self::VerificationCode(_) => 422,
            Self::NotFound(_) | Self::RouteNotFound | Self::ProjectNotFound(_) => 404,
            Self::Workflow(_) | Self::UnsupportedFileType(_) => 400,
            Self::QuotaExceeded(_) => 403,
            Self::Conflict(_) => 409,
            Self::MethodNotAllowed => 405,
            Self::PayloadTooLarge { .. } => 413,
            Self::MalformedHead(_) => 400,
            Self::UriTooLong => 414,
            Self::HeaderFieldsTooLarge => 431,
            Self::RateLimited { .. } => 429,
            Self::Timeout | Self::Unavailable(_) => 503,
            Self::BadGateway(_) => 502,
            Self::Internal(_) => 500,
        }
    }

    /// The generic machine code of this error (`VALIDATION_ERROR`, `NOT_FOUND`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "VALIDATION_ERROR",
            Self::MalformedRequest(_) => "MALFORMED_REQUEST",
            Self::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            Self::Unauthenticated => "AUTHENTICATION_REQUIRED",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::Forbidden(_) => "PERMISSION_DENIED",
            Self::UserExists { .. } => "USER_EXISTS",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::AccountInactive => "ACCOUNT_INACTIVE",
            Self::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
            Self::InvalidRefreshToken => "INVALID_REFRESH_TOKEN",
            Self::InvalidOldPassword => "INVALID_OLD_PASSWORD",
            Self::UserInactive => "USER_INACTIVE",
            Self::UserNotFound => "USER_NOT_FOUND",
            Self::NoUpdateData => "NO_UPDATE_DATA",
            Self::VerificationCode(CodeProblem::Invalid) => "CODE_INVALID",
            Self::VerificationCode(CodeProblem::Used) => "CODE_USED",
            Self::VerificationCode(CodeProblem::TooManyAttempts) => "CODE_ATTEMPTS_EXCEEDED",
            Self::NotFound(_) => "NOT_FOUND",
            Self::ProjectNotFound(_) => "PROJECT_NOT_FOUND",
            Self::Workflow(WorkflowProblem::AlreadyRunning) => "ALREADY_RUNNING",
            Self::Workflow(_) => "WORKFLOW_STATE",
            Self::QuotaExceeded(_) => "QUOTA_EXCEEDED",
            Self::UnsupportedFileType(_) => "UNSUPPORTED_FILE_TYPE",
            Self::Conflict(_) => "CONFLICT",
            Self::RouteNotFound => "ROUTE_NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::MalformedHead(_) => "MALFORMED_REQUEST_HEAD",
            Self::UriTooLong => "URI_TOO_LONG",
            Self::HeaderFieldsTooLarge => "HEADER_FIELDS_TOO_LARGE",
            Self::RateLimited { .. } => "RATE_LIMIT_EXCEEDED",
            Self::InvalidConfiguration(_) => "CONFIGURATION_INVALID",
            Self::Timeout => "TIMEOUT",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::BadGateway(_) => "BAD_GATEWAY",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The message shown to the caller. Internal details never leave the server.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal(_) => "internal server error".to_owned(),
            other => other.to_string(),
        }
    }

    /// The invalid fields, when this is a validation error.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Validation(fields) => fields,
            _ => &[],
        }
    }

    /// Seconds the caller should wait before retrying, when the error says so.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } | Self::TooManyAttempts { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }

    /// Whether this error is the server's fault (logged at error level with the request id).
    pub fn is_server_fault(&self) -> bool {
        matches!(self, Self::Internal(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_error_locates_nested_body_fields() {
        let e = FieldError::body("config.temperature", "type_error", "must be a number");
        assert_eq!(e.loc, ["body", "config", "temperature"]);
        assert_eq!(e.field(), "config.temperature");
        assert_eq!(e.to_string(), "config.temperature: must be a number");
    }

    #[test]
    fn internal_details_are_not_public() {
        let e = Error::Internal("connection pool exhausted at db.rs:42".into());
        assert_eq!(e.public_message(), "internal server error");
        assert_eq!(e.default_status(), 500);
        assert!(e.is_server_fault());
    }

    #[test]
    fn validation_message_names_every_field() {
        let e = Error::Validation(vec![
            FieldError::body("email", "value_error.email", "not a valid e-mail address"),
            FieldError::query("page", "type_error.integer", "must be an integer"),
        ]);
        assert_eq!(
            e.public_message(),
            "validation failed: email: not a valid e-mail address; page: must be an integer"
        );
        assert_eq!(e.field_errors().len(), 2);
        assert_eq!(e.code(), "VALIDATION_ERROR");
    }

    #[test]
    fn identity_errors_say_what_happened() {
        assert_eq!(Error::UserExists { field: "email" }.public_message(), "e-mail address already registered");
        assert_eq!(Error::UserExists { field: "username" }.public_message(), "username already registered");
        assert_eq!(Error::TooManyAttempts { retry_after_secs: 900 }.retry_after_secs(), Some(900));
        assert_eq!(Error::VerificationCode(CodeProblem::Used).code(), "CODE_USED");
        assert_eq!(Error::InvalidCredentials.default_status(), 401);
    }

    #[test]
    fn an_unusable_configuration_is_a_400_naming_it() {
        let e = Error::InvalidConfiguration("LLM configuration \"mine\": the provider rejected the API key".into());
        assert_eq!(e.default_status(), 400);
        assert_eq!(e.code(), "CONFIGURATION_INVALID");
        assert!(e.public_message().contains("\"mine\""));
    }

    #[test]
    fn an_outside_server_that_misbehaves_is_a_bad_gateway() {
        let e = Error::BadGateway("Jenkins at http://ci/ cannot be reached: connection refused".into());
        assert_eq!((e.default_status(), e.code()), (502, "BAD_GATEWAY"));
        assert!(e.public_message().contains("connection refused"));
    }

    #[test]
    fn rate_limit_carries_retry_after() {
        let e = Error::RateLimited { retry_after_secs: 30 };
        assert_eq!(e.retry_after_secs(), Some(30));
        assert_eq!(e.default_status(), 429);
        assert_eq!(Error::Timeout.retry_after_secs(), None);
    }
}
