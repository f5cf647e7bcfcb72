//! What can go wrong in the file store, and how it reads as a domain error.

/// A file store failure.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// No blob has this digest (or the digest is not a SHA-256 hex string).
    #[error("blob {0} not found")]
    NotFound(String),
    /// The upload grew past the limit; nothing of it was kept.
    #[error("upload exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The upload's own stream failed (the client went away, a body error).
    #[error("upload interrupted: {0}")]
    Upload(Box<dyn std::error::Error + Send + Sync>),
    /// The configured location cannot be used.
    #[error("file store location {location:?}: {message}")]
    Location {
        /// The URL or path as configured.
        location: String,
        /// What is wrong with it.
        message: String,
    },
    /// The underlying object store failed.
    #[error("file store: {0}")]
    Store(#[from] object_store::Error),
}

impl From<FileError> for slipway_core::Error {
    fn from(e: FileError) -> Self {
        use slipway_core::Error;
        match e {
            FileError::NotFound(_) => Error::NotFound("file".to_owned()),
            FileError::TooLarge { limit } => Error::PayloadTooLarge { limit_bytes: limit },
            FileError::Upload(source) => Error::MalformedRequest(format!("upload interrupted: {source}")),
            // The location is the operator's setting, checked at start: a caller can do nothing about either.
            e @ (FileError::Location { .. } | FileError::Store(_)) => Error::Internal(e.to_string()),
        }
    }
}
