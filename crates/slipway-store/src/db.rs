//! The database handle: one pool on SQLite or PostgreSQL, chosen by URL.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::error::StoreError;

/// How long a health ping waits for the database.
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file under the data directory.
    Sqlite,
    /// The multi-node backend.
    Postgres,
}

impl Backend {
    /// The backend's name in reports and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Pool settings shared by both backends.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Largest number of open connections.
    pub max_connections: u32,
    /// How long a caller waits for a free connection before the database counts as unavailable.
    pub acquire_timeout: Duration,
    /// How long SQLite waits on a locked database before giving up.
    pub busy_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_connections: 16, acquire_timeout: Duration::from_secs(5), busy_timeout: Duration::from_secs(5) }
    }
}

/// A connection pool on one of the two backends. Cheap to clone.
///
/// Pools do not ping a connection before lending it (sqlx's `test_before_acquire`): that ping doubled the round
/// trips of every query (engine step latency, /health). A connection that died since its last use fails one
/// query with `Unavailable` and is then discarded.
#[derive(Debug, Clone)]
pub enum Db {
    /// SQLite in WAL mode with foreign keys on.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// Runs the same body against whichever pool a [`Db`] holds; the SQL in it must be portable.
#[macro_export]
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

impl Db {
    /// Opens a pool for `url` (`sqlite://path`, `sqlite::memory:`, `postgres://…`); SQLite files are created.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
                .create_if_missing(true);
            Self::connect_sqlite(opts, settings).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::InvalidUrl(e.to_string()))?;
            Self::connect_postgres(opts, settings).await
        } else {
            Err(StoreError::InvalidUrl("expected a sqlite: or postgres:// URL".into()))
        }
    }

    /// Opens a SQLite pool with WAL, `synchronous=NORMAL`, foreign keys and a busy timeout.
    pub async fn connect_sqlite(opts: SqliteConnectOptions, settings: &PoolSettings) -> Result<Self, StoreError> {
        let opts = opts
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(settings.busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        Ok(Self::Sqlite(pool))
    }

    /// Opens a PostgreSQL pool.
    pub async fn connect_postgres(opts: PgConnectOptions, settings: &PoolSettings) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(false)
            .connect_with(opts)
            .await?;
        Ok(Self::Postgres(pool))
    }

    /// A pool for a writer that wants its writes queued in-process rather than retried on SQLite's busy lock:
    /// on SQLite a second pool of one connection to the same file (a fresh in-memory database cannot be
    /// shared, so it gets this pool back); on PostgreSQL this same pool, which takes concurrent writers well.
    pub async fn dedicated_writer(&self) -> Result<Self, StoreError> {
        match self {
            Self::Sqlite(pool) => {
                let opts = (*pool.connect_options()).clone();
                if opts.get_filename().as_os_str().is_empty() || opts.get_filename() == std::path::Path::new(":memory:")
                {
                    return Ok(self.clone());
                }
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .test_before_acquire(false)
                    .min_connections(1)
                    .acquire_timeout(pool.options().get_acquire_timeout())
                    .connect_with(opts)
                    .await?;
                Ok(Self::Sqlite(writer))
            }
            Self::Postgres(_) => Ok(self.clone()),
        }
    }

    /// A pool of one connection of its own, with this pool's options, opened on the calling runtime (so a
    /// writer on a runtime of its own drives its socket there); on SQLite a second pool of one connection (as
    /// [`Db::dedicated_writer`]).
    pub async fn own_connection(&self) -> Result<Self, StoreError> {
        match self {
            Self::Sqlite(_) => self.dedicated_writer().await,
            Self::Postgres(pool) => {
                let own = PgPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .test_before_acquire(false)
                    .acquire_timeout(pool.options().get_acquire_timeout())
                    .connect_with((*pool.connect_options()).clone())
                    .await?;
                Ok(Self::Postgres(own))
            }
        }
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// One real round trip (`SELECT 1`), timed; gives up after [`PING_TIMEOUT`].
    pub async fn ping(&self) -> Result<Duration, StoreError> {
        let started = Instant::now();
        let query = async { on_pool!(self, |p| sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(p).await) };
        let one = tokio::time::timeout(PING_TIMEOUT, query)
            .await
            .map_err(|_| StoreError::Unavailable(format!("no answer within {PING_TIMEOUT:?}")))??;
        if one != 1 {
            return Err(StoreError::Unavailable(format!("SELECT 1 returned {one}")));
        }
        Ok(started.elapsed())
    }

    /// Closes every connection; later calls fail as unavailable.
    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }
}
