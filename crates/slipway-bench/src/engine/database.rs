//! A fresh database per run: a SQLite file in a temporary directory, or a new schema on PostgreSQL.

use std::str::FromStr;

use anyhow::Context;
use slipway_store::{Db, PoolSettings};
use sqlx::postgres::PgConnectOptions;

use crate::cli::BackendName;

/// A migrated database that is removed by [`Fresh::remove`].
pub struct Fresh {
    /// The pool.
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
    schema: Option<(String, String)>,
}

fn pool() -> PoolSettings {
    PoolSettings { max_connections: 16, ..PoolSettings::default() }
}

/// Makes and migrates a fresh database on `backend`.
pub async fn fresh(backend: BackendName, url: Option<&str>) -> anyhow::Result<Fresh> {
    match backend {
        BackendName::Sqlite => {
            let dir = tempfile::Builder::new().prefix("slipway-bench-").tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            let db = Db::connect(&url, &pool()).await?;
            db.migrate().await?;
            Ok(Fresh { db, _dir: Some(dir), schema: None })
        }
        BackendName::Postgres => {
            let url = url.context("--backend postgres needs --database-url or SLIPWAY_DATABASE_URL")?;
            let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
            let admin = Db::connect(url, &PoolSettings { max_connections: 1, ..pool() }).await?;
            let Db::Postgres(p) = &admin else { anyhow::bail!("the database URL must be postgres://") };
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(p).await?;
            admin.close().await;
            let opts = PgConnectOptions::from_str(url)?.options([("search_path", &schema)]);
            let db = Db::connect_postgres(opts, &pool()).await?;
            db.migrate().await?;
            Ok(Fresh { db, _dir: None, schema: Some((url.to_owned(), schema)) })
        }
    }
}

impl Fresh {
    /// Closes the pool and drops the schema (PostgreSQL); the SQLite directory goes when dropped.
    pub async fn remove(self) {
        self.db.close().await;
        if let Some((url, schema)) = &self.schema
            && let Ok(Db::Postgres(p)) = Db::connect(url, &PoolSettings { max_connections: 1, ..pool() }).await
        {
            let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
            if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&p).await {
                eprintln!("slipway-bench: could not drop schema {schema}: {e}");
            }
            p.close().await;
        }
    }
}
