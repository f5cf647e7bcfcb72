//! Slipway's store: connection pools, migrations and repositories on SQLite (default) and PostgreSQL.
//!
//! Queries are written once in portable SQL (`$1` placeholders work on both) and run through [`on_pool!`];
//! backend-specific SQL stays small and next to its portable twin.

pub mod agents;
mod db;
pub mod delivery;
mod error;
pub mod factory;
pub mod identity;
pub mod jobs;
pub mod llm;
mod migrate;
pub mod node_secret;
pub mod ops;
mod probe;
pub mod process_groups;
mod sealed;
mod settings;
#[cfg(feature = "testing")]
pub mod testing;

pub use db::{Backend, Db, PING_TIMEOUT, PoolSettings};
pub use error::StoreError;
pub use migrate::MigrationInfo;
pub use sealed::{SECRET_KEY_FILE, SealError, Sealer};
