//! Store failures and how they become domain errors.

/// A database operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no supported backend or is malformed.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// The database could not be reached or the pool timed out.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A unique constraint rejected the write; the text names the constraint or column.
    #[error("duplicate value: {0}")]
    Duplicate(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Other(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                Self::Unavailable(e.to_string())
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Duplicate(db.message().to_owned()),
            _ => Self::Other(e),
        }
    }
}

impl From<StoreError> for slipway_core::Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(msg) => Self::Unavailable(format!("database: {msg}")),
            StoreError::Duplicate(msg) => Self::Conflict(msg),
            other => Self::Internal(other.to_string()),
        }
    }
}
