//! A Slipway node for the delivery figures: a child process on a fresh SQLite data directory or a fresh
//! PostgreSQL schema, with an administrator signed in (whose pipelines may run where the sandbox is missing).

use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::Method;
use serde_json::{Value, json};
use slipway_store::{Db, PoolSettings};

use crate::child::{ChildServer, NodeOptions};
use crate::cli::BackendName;

const ADMIN_PASSWORD: &str = "Bench-Admin-Password-1";

/// A running node and its administrator's client.
pub struct Node {
    /// The child process.
    pub server: ChildServer,
    /// `http://addr`.
    pub base: String,
    /// The administrator's access token.
    pub token: String,
    http: reqwest::Client,
    schema: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Node {
    /// Starts a node on `backend` with `workers` worker slots and signs the administrator in.
    pub async fn start(backend: BackendName, url: Option<&str>, workers: usize) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("slipway-bench-").tempdir()?;
        let (database_url, schema) = match backend {
            BackendName::Sqlite => (None, None),
            BackendName::Postgres => {
                let url = url.context("--backend postgres needs --database-url or SLIPWAY_DATABASE_URL")?;
                let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
                run_sql(url, &format!("CREATE SCHEMA {schema}")).await?;
                let sep = if url.contains('?') { '&' } else { '?' };
                (Some(format!("{url}{sep}options=-csearch_path%3D{schema}")), Some((url.to_owned(), schema)))
            }
        };
        let options = NodeOptions { database_url, admin_password: ADMIN_PASSWORD.to_owned(), workers };
        let server = ChildServer::start_node(dir.path(), &options).await?;
        let base = format!("http://{}", server.addr());
        let http = reqwest::Client::builder().pool_max_idle_per_host(256).timeout(Duration::from_secs(120)).build()?;
        let body = json!({"username": "admin", "password": ADMIN_PASSWORD});
        let r: Value = http.post(format!("{base}/api/auth/login/")).json(&body).send().await?.json().await?;
        let token = r["access"].as_str().with_context(|| format!("no access token in {r}"))?.to_owned();
        Ok(Self { server, base, token, http, schema, _dir: dir })
    }

    /// Sends `body` (or nothing) as the administrator and answers the JSON reply, failing on any other status.
    pub async fn json(&self, method: Method, path: &str, body: Option<Value>, want: u16) -> anyhow::Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await?;
        let status = r.status().as_u16();
        let text = r.text().await?;
        if status != want {
            bail!("{path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A request builder without credentials (for the webhooks).
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base))
    }

    /// Creates a pipeline and answers its id.
    pub async fn pipeline(&self, body: Value) -> anyhow::Result<i64> {
        let p = self.json(Method::POST, "/api/pipelines/", Some(body), 201).await?;
        p["id"].as_i64().context("no pipeline id")
    }

    /// Waits until the run has finished and answers its detail; fails unless it succeeded.
    pub async fn finished(&self, run_id: i64) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
        loop {
            let d = self.json(Method::GET, &format!("/api/pipeline-runs/{run_id}/"), None, 200).await?;
            match d["status"].as_str() {
                Some("success") => return Ok(d),
                Some("failed" | "cancelled") => bail!("run {run_id} ended {}: {}", d["status"], d["error"]),
                _ if tokio::time::Instant::now() > deadline => bail!("run {run_id} did not finish"),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Stops the node and drops its schema.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.server.stop().await?;
        if let Some((url, schema)) = &self.schema {
            run_sql(url, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
        }
        Ok(())
    }
}

async fn run_sql(url: &str, sql: &str) -> anyhow::Result<()> {
    let db = Db::connect(url, &PoolSettings { max_connections: 1, ..PoolSettings::default() }).await?;
    let Db::Postgres(p) = &db else { bail!("the database URL must be postgres://") };
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(p).await?;
    db.close().await;
    Ok(())
}

/// Nanoseconds since the Unix epoch on this machine's clock (which the node's steps read too).
pub fn now_ns() -> i128 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i128::try_from(since.as_nanos()).unwrap_or(i128::MAX)
}

/// The `date +%s%N` stamps a step printed, one per line.
pub fn stamps(log: &str) -> Vec<i128> {
    log.lines().filter_map(|l| l.trim().parse().ok()).collect()
}
