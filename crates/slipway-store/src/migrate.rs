//! Schema migrations, kept in lockstep in `migrations/sqlite` and `migrations/postgres`.

use sqlx::migrate::Migrator;

use crate::{Db, error::StoreError, on_pool};

static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// One migration known to the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    /// Version number (the file name's prefix).
    pub version: i64,
    /// Description (the file name's rest).
    pub description: String,
}

impl Db {
    /// Applies every pending migration; safe to run on many nodes at once (PostgreSQL takes an advisory lock).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Db::Sqlite(p) => SQLITE.run(p).await?,
            Db::Postgres(p) => POSTGRES.run(p).await?,
        }
        Ok(())
    }

    /// The migrations this binary carries for this backend.
    pub fn known_migrations(&self) -> Vec<MigrationInfo> {
        let m = match self {
            Db::Sqlite(_) => &SQLITE,
            Db::Postgres(_) => &POSTGRES,
        };
        m.iter().map(|m| MigrationInfo { version: m.version, description: m.description.to_string() }).collect()
    }

    /// Versions already applied to the database, in order.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>, StoreError> {
        let sql = "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version";
        Ok(on_pool!(self, |p| sqlx::query_scalar::<_, i64>(sql).fetch_all(p).await)?)
    }
}
