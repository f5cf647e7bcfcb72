//! Test helpers: a fresh, migrated database per test on each backend.
//!
//! SQLite gets a temporary file; PostgreSQL gets a fresh schema in the database named by
//! `SLIPWAY_TEST_POSTGRES_URL`. Without that variable the PostgreSQL half of a test is skipped with a
//! message, except under CI (`CI=true`), where it fails: CI must never skip a backend silently.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use crate::{Backend, Db, PoolSettings};

/// Environment variable naming the PostgreSQL server the tests use.
pub const POSTGRES_URL_VAR: &str = "SLIPWAY_TEST_POSTGRES_URL";

/// A migrated database that belongs to one test and is removed when dropped.
pub struct TestDb {
    /// The pool, already migrated.
    pub db: Db,
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    /// The backend of this database.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// A URL that opens this same database from another pool or process.
    pub fn url(&self) -> &str {
        &self.url
    }
}

fn settings() -> PoolSettings {
    PoolSettings { max_connections: 8, acquire_timeout: Duration::from_secs(10), ..PoolSettings::default() }
}

/// A fresh SQLite database in a temporary directory, migrated.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("create temp dir for test database");
    let path = dir.path().join("test.db");
    let url = format!("sqlite://{}", path.display());
    let opts = SqliteConnectOptions::new().filename(&path).create_if_missing(true);
    let db = Db::connect_sqlite(opts, &settings()).await.expect("open test SQLite database");
    db.migrate().await.expect("migrate test SQLite database");
    TestDb { db, url, _dir: Some(dir), pg_schema: None }
}

/// Whether the PostgreSQL tests must run (under CI) rather than be skipped.
pub fn postgres_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The PostgreSQL URL for tests, or `None` when the tests may be skipped here. Panics under CI without one.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if postgres_required() => {
            panic!("CI=true but {POSTGRES_URL_VAR} is not set: the PostgreSQL tests must run in CI")
        }
        _ => {
            eprintln!("SKIPPED (PostgreSQL half): set {POSTGRES_URL_VAR} to run it");
            None
        }
    }
}

/// A fresh schema on the test PostgreSQL server, migrated; `None` when PostgreSQL tests are skipped here.
/// Panics (failing the test loudly) when the URL is set but the server cannot be reached.
pub async fn postgres() -> Option<TestDb> {
    let url = postgres_url()?;
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = Db::connect(&url, &PoolSettings { max_connections: 1, ..settings() })
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is unreachable: {e}"));
    let Db::Postgres(admin_pool) = &admin else { panic!("{POSTGRES_URL_VAR} must be a postgres:// URL") };
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(admin_pool)
        .await
        .expect("create test schema");
    admin.close().await;

    let opts = PgConnectOptions::from_str(&url).expect("parse test PostgreSQL URL").options([("search_path", &schema)]);
    let db = Db::connect_postgres(opts, &settings()).await.expect("open test PostgreSQL schema");
    db.migrate().await.expect("migrate test PostgreSQL schema");
    let separator = if url.contains('?') { '&' } else { '?' };
    let schema_url = format!("{url}{separator}options[search_path]={schema}");
    Some(TestDb { db, url: schema_url, _dir: None, pg_schema: Some((url, schema)) })
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((url, schema)) = self.pg_schema.take() else { return };
        let pool = self.db.clone();
        // Drop runs inside the test's runtime; clean up on a thread with a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                pool.close().await;
                if let Ok(Db::Postgres(admin)) =
                    Db::connect(&url, &PoolSettings { max_connections: 1, ..settings() }).await
                {
                    let drop_sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(drop_sql)).execute(&admin).await {
                        eprintln!("could not drop test schema {schema}: {e}");
                    }
                    admin.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Defines each `async fn name(db: Db) { … }` as two tests, `name::sqlite` and `name::postgres`, each on a
/// fresh migrated database. The test crate needs `tokio` (with `macros` and `rt-multi-thread`).
#[macro_export]
macro_rules! backend_tests {
    ($( $(#[$meta:meta])* async fn $name:ident($db:ident : $ty:ty) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($db: $ty) $body

                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let t = $crate::testing::sqlite().await;
                    run(t.db.clone()).await;
                }

                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(t) = $crate::testing::postgres().await else { return };
                    run(t.db.clone()).await;
                }
            }
        )*
    };
}
