//! What can go wrong in an LLM call, and how it becomes a domain error.

use slipway_core::Error;

/// The message of [`LlmError::NotConfigured`]: what to set.
pub const NOT_CONFIGURED: &str = "no LLM provider is configured: set SLIPWAY_LLM_PROVIDER, SLIPWAY_LLM_BASE_URL, \
                                  SLIPWAY_LLM_API_KEY and SLIPWAY_LLM_MODEL, or add one with POST /api/llm-configs";

/// A failed LLM call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// Neither the user nor the server has a provider configured.
    #[error("{NOT_CONFIGURED}")]
    NotConfigured,
    /// A configuration is unusable as it stands (the text names it and the field).
    #[error("invalid LLM configuration: {0}")]
    InvalidConfig(String),
    /// The request itself cannot be sent (no messages, a tool result answering no call): a caller's bug.
    #[error("invalid LLM request: {0}")]
    InvalidRequest(String),
    /// The outbound policy refused the address a user's configuration points at (before any connection).
    #[error("{provider}: api_base {reason}")]
    Refused {
        /// Which configuration was called (its label).
        provider: String,
        /// Why.
        reason: slipway_outbound::Refusal,
    },
    /// The provider could not be reached (connection refused, DNS, TLS, a connection cut mid-answer).
    #[error("LLM provider unreachable: {0}")]
    Unreachable(String),
    /// The provider answered with an error status.
    #[error("LLM provider {provider} answered HTTP {status}: {message}")]
    Status {
        /// Which configuration was called (its label).
        provider: String,
        /// The HTTP status (or, for an error inside a stream, the status it stands for).
        status: u16,
        /// The provider's error message.
        message: String,
    },
    /// The provider did not answer (or went silent mid-stream) within the configured time.
    #[error("LLM provider did not answer in time")]
    Timeout,
    /// The provider's answer is not what its protocol promises (bad JSON, missing fields, bad tool arguments).
    #[error("LLM provider sent a malformed answer: {0}")]
    Malformed(String),
    /// The caller cancelled the call.
    #[error("LLM call cancelled")]
    Cancelled,
}

impl LlmError {
    /// Whether the same provider may be asked again after a backoff: 429, 5xx, connection errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unreachable(_) => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// Whether the next provider of a chain should be tried: the provider is failing (after its retries),
    /// silent, or talking nonsense. Configuration, request and authorization problems and cancellation end
    /// the call.
    pub fn falls_back(&self) -> bool {
        self.is_retryable() || matches!(self, Self::Timeout | Self::Malformed(_))
    }

    /// Whether the fault lies with the configuration (bad key, model, URL, or a request the provider refused).
    pub fn is_config_problem(&self) -> bool {
        match self {
            Self::InvalidConfig(_) | Self::Refused { .. } => true,
            Self::Status { status, .. } => (400..500).contains(status) && *status != 429,
            _ => false,
        }
    }
}

/// Whether a domain error is an LLM call that failed (it came from an [`LlmError`] that made it
/// `Error::Unavailable`), so surfaces can give it their LLM error code (ResoftAI's `LLM_001`).
pub fn is_llm_failure(err: &Error) -> bool {
    matches!(err, Error::Unavailable(m) if m.starts_with("LLM ") || m == NOT_CONFIGURED)
}

impl From<LlmError> for Error {
    fn from(e: LlmError) -> Self {
        match e {
            LlmError::NotConfigured => Error::Unavailable(NOT_CONFIGURED.to_owned()),
            LlmError::InvalidConfig(msg) => Error::InvalidConfiguration(msg),
            refused @ LlmError::Refused { .. } => Error::InvalidConfiguration(refused.to_string()),
            LlmError::InvalidRequest(msg) => Error::Internal(format!("invalid LLM request: {msg}")),
            LlmError::Status { provider, status: status @ (401 | 403), message } => Error::InvalidConfiguration(
                format!("{provider}: the provider rejected the API key (HTTP {status}): {message}"),
            ),
            LlmError::Status { provider, status, message } if status != 429 && (400..500).contains(&status) => {
                Error::InvalidConfiguration(format!(
                    "{provider}: the provider refused the request (HTTP {status}; check the model and base URL): \
                     {message}"
                ))
            }
            other @ (LlmError::Status { .. }
            | LlmError::Unreachable(_)
            | LlmError::Timeout
            | LlmError::Malformed(_)
            | LlmError::Cancelled) => Error::Unavailable(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> LlmError {
        LlmError::Status { provider: "LLM configuration \"mine\"".into(), status, message: "nope".into() }
    }

    #[test]
    fn retry_and_fallback_classes() {
        assert!(status(429).is_retryable() && status(503).is_retryable());
        assert!(!status(400).is_retryable() && !status(401).falls_back());
        assert!(LlmError::Unreachable("refused".into()).is_retryable());
        assert!(!LlmError::Timeout.is_retryable() && LlmError::Timeout.falls_back());
        assert!(LlmError::Malformed("x".into()).falls_back());
        assert!(!LlmError::Cancelled.falls_back() && !LlmError::InvalidConfig("x".into()).falls_back());
    }

    #[test]
    fn domain_errors_name_the_configuration() {
        let e: Error = status(401).into();
        assert_eq!(e.default_status(), 400);
        assert!(e.public_message().contains("\"mine\"") && e.public_message().contains("API key"), "{e}");
        let e: Error = status(404).into();
        assert_eq!(e.default_status(), 400);
        for unavailable in [status(503), status(429), LlmError::Timeout, LlmError::Malformed("x".into())] {
            let e: Error = unavailable.into();
            assert_eq!(e.default_status(), 503, "{e}");
            assert!(e.public_message().contains("LLM "), "{e}");
        }
        let e: Error = LlmError::NotConfigured.into();
        assert!(
            matches!(&e, Error::Unavailable(m) if m.starts_with("no LLM provider is configured: set SLIPWAY_LLM_PROVIDER"))
        );
        let e: Error = LlmError::Cancelled.into();
        assert!(matches!(&e, Error::Unavailable(m) if m.contains("cancelled")));
        for e in [LlmError::Timeout, LlmError::NotConfigured, LlmError::Unreachable("x".into()), LlmError::Cancelled] {
            assert!(is_llm_failure(&e.into()));
        }
        assert!(!is_llm_failure(&Error::Unavailable("database: pool timed out".into())));
        assert!(!is_llm_failure(&status(401).into()));
    }
}
