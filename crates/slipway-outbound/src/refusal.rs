//! Why a URL was refused, as an error that survives reqwest's error chain and becomes a domain error.

use std::error::Error as StdError;
use std::fmt;

use slipway_core::{Error, FieldError};

/// The setting (and environment variable) administrators allow internal destinations with.
pub const ALLOW_SETTING: &str = "SLIPWAY_OUTBOUND_ALLOW";

/// A URL or resolved address the outbound policy refuses; its text says why and what would allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    message: String,
}

impl Refusal {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }

    /// Why, for people ("localhost resolves to a loopback address 127.0.0.1; …").
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The refusal as the problem of request-body field `field` (`api_base`, `url`).
    pub fn field_error(&self, field: &str) -> FieldError {
        FieldError::body(field, "value_error.url", format!("{field} {}", self.message))
    }

    /// The refusal as a validation error on request-body field `field`.
    pub fn into_field_error(self, field: &str) -> Error {
        Error::Validation(vec![self.field_error(field)])
    }

    /// The refusal inside an error's source chain (a reqwest error whose resolver or redirect policy refused).
    pub fn find<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a Refusal> {
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(r) = e.downcast_ref::<Refusal>() {
                return Some(r);
            }
            current = e.source();
        }
        None
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Refusal {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(Box<dyn StdError + Send + Sync>);
    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("dns error")
        }
    }
    impl StdError for Wrapper {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&*self.0)
        }
    }

    #[test]
    fn refusals_are_found_in_chains_and_become_field_errors() {
        let wrapped = Wrapper(Box::new(Refusal::new("10.0.0.1 is a private address")));
        assert_eq!(Refusal::find(&wrapped).map(Refusal::message), Some("10.0.0.1 is a private address"));
        assert!(Refusal::find(&Wrapper(Box::new(std::io::Error::other("x")))).is_none());
        let e = Refusal::new("10.0.0.1 is a private address").into_field_error("api_base");
        assert_eq!(e.default_status(), 422);
        assert_eq!(e.field_errors()[0].field(), "api_base");
    }
}
