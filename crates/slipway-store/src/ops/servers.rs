//! The `servers` and `server_tags` tables. The credential is only ever held sealed; reads are not scoped to a
//! user (the service decides who may see the inventory). Host keys: `pin_server_host_key` records the first
//! key, `offer_server_host_key` a different one seen since (refused until accepted), and
//! `accept_server_host_key` makes the offered key the pinned one.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// A stored server.
#[derive(Clone, PartialEq, sqlx::FromRow)]
pub struct ServerRecord {
    /// Database id.
    pub id: i64,
    /// Who created it (`None` once that user is deleted).
    pub owner_id: Option<i64>,
    /// A name for people, unique.
    pub name: String,
    /// Host name or address.
    pub host: String,
    /// SSH port.
    pub port: i32,
    /// Remote user.
    pub username: String,
    /// `private_key` or `password`.
    pub auth_kind: String,
    /// The private key or password, sealed.
    pub credential_sealed: String,
    /// `[user@]host[:port]` to hop through.
    pub jump_host: Option<String>,
    /// Whether an administrator saved the address (internal addresses are then reachable to every operator).
    pub address_by_admin: bool,
    /// Free text.
    pub description: String,
    /// `unknown`, `online`, `offline` or `host_key_changed`.
    pub status: String,
    /// Why the last connection failed.
    pub last_error: Option<String>,
    /// When it was last connected to.
    pub last_checked_at: Option<DateTime<Utc>>,
    /// Remote operating system (from the last test).
    pub os: Option<String>,
    /// Remote kernel release.
    pub kernel: Option<String>,
    /// Remote CPU count.
    pub cpu_count: Option<i32>,
    /// Remote memory, bytes.
    pub memory_total_bytes: Option<i64>,
    /// The pinned host key (`<type> <base64>`).
    pub host_key: Option<String>,
    /// Its SHA-256 fingerprint.
    pub host_key_fingerprint: Option<String>,
    /// A different key the server offered since, awaiting an administrator.
    pub pending_host_key: Option<String>,
    /// Its fingerprint.
    pub pending_host_key_fingerprint: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Its tags, sorted.
    #[sqlx(skip)]
    pub tags: Vec<String>,
}

impl fmt::Debug for ServerRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("auth_kind", &self.auth_kind)
            .field("status", &self.status)
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

/// The writable columns of a server.
#[derive(Clone, PartialEq)]
pub struct ServerRow<'a> {
    /// Name.
    pub name: &'a str,
    /// Host.
    pub host: &'a str,
    /// Port.
    pub port: i32,
    /// Remote user.
    pub username: &'a str,
    /// `private_key` or `password`.
    pub auth_kind: &'a str,
    /// The sealed credential.
    pub credential_sealed: &'a str,
    /// Jump host.
    pub jump_host: Option<&'a str>,
    /// Whether an administrator saved the address.
    pub address_by_admin: bool,
    /// Description.
    pub description: &'a str,
    /// Tags (duplicates ignored).
    pub tags: &'a [String],
}

impl fmt::Debug for ServerRow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerRow").field("name", &self.name).field("host", &self.host).finish_non_exhaustive()
    }
}

/// Which servers a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only servers with this tag.
    pub tag: Option<String>,
    /// A substring of name, host or description (case-insensitive).
    pub search: Option<String>,
}

/// The result of a connection test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCheck<'a> {
    /// The new status.
    pub status: &'a str,
    /// Why it failed, if it did.
    pub error: Option<&'a str>,
    /// Remote OS, kernel, CPU count and memory, when it succeeded.
    pub facts: Option<(&'a str, &'a str, i32, i64)>,
}

const FILTERED: &str = "FROM servers s WHERE ($1 IS NULL OR s.status = $1) \
     AND ($2 IS NULL OR EXISTS (SELECT 1 FROM server_tags t WHERE t.server_id = s.id AND t.tag = $2)) \
     AND ($3 IS NULL OR LOWER(s.name) LIKE $3 ESCAPE '\\' OR LOWER(s.host) LIKE $3 ESCAPE '\\' \
          OR LOWER(s.description) LIKE $3 ESCAPE '\\')";

/// `%text%` for LIKE, with LIKE's wildcards taken literally.
fn like_pattern(text: &str) -> String {
    let lowered = text.to_lowercase();
    let escaped = lowered.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Db {
    async fn with_tags(&self, mut servers: Vec<ServerRecord>) -> Result<Vec<ServerRecord>, StoreError> {
        for s in &mut servers {
            let sql = "SELECT tag FROM server_tags WHERE server_id = $1 ORDER BY tag";
            s.tags = on_pool!(self, |p| sqlx::query_scalar(sql).bind(s.id).fetch_all(p).await)?;
        }
        Ok(servers)
    }

    /// Stores a new server created by `owner_id`; a taken name is `StoreError::Duplicate`.
    pub async fn insert_server(
        &self,
        owner_id: i64,
        row: &ServerRow<'_>,
        now: DateTime<Utc>,
    ) -> Result<ServerRecord, StoreError> {
        let insert = "INSERT INTO servers (owner_id, name, host, port, username, auth_kind, credential_sealed, \
                      jump_host, description, created_at, updated_at, address_by_admin) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id";
        let id: i64 = on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let id: i64 = sqlx::query_scalar(insert)
                .bind(owner_id)
                .bind(row.name)
                .bind(row.host)
                .bind(row.port)
                .bind(row.username)
                .bind(row.auth_kind)
                .bind(row.credential_sealed)
                .bind(row.jump_host)
                .bind(row.description)
                .bind(now)
                .bind(row.address_by_admin)
                .fetch_one(&mut *tx)
                .await?;
            for tag in row.tags {
                sqlx::query("INSERT INTO server_tags (server_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(tag)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await.map(|()| id)
        })?;
        self.server(id).await?.ok_or_else(|| StoreError::Other(sqlx::Error::RowNotFound))
    }

    /// Server `id`, with its tags.
    pub async fn server(&self, id: i64) -> Result<Option<ServerRecord>, StoreError> {
        let sql = "SELECT * FROM servers WHERE id = $1";
        let found: Option<ServerRecord> = on_pool!(self, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?;
        Ok(self.with_tags(found.into_iter().collect()).await?.pop())
    }

    /// The server named `name` (names are unique).
    pub async fn server_by_name(&self, name: &str) -> Result<Option<ServerRecord>, StoreError> {
        let sql = "SELECT * FROM servers WHERE name = $1";
        let found: Option<ServerRecord> = on_pool!(self, |p| sqlx::query_as(sql).bind(name).fetch_optional(p).await)?;
        Ok(self.with_tags(found.into_iter().collect()).await?.pop())
    }

    /// A page of servers matching `filter`, by name, and how many match in all.
    pub async fn list_servers(
        &self,
        filter: &ServerFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ServerRecord>, i64), StoreError> {
        let search = filter.search.as_deref().map(like_pattern);
        let page = format!("SELECT s.* {FILTERED} ORDER BY s.name, s.id LIMIT $4 OFFSET $5");
        let count = format!("SELECT COUNT(*) {FILTERED}");
        let (items, total): (Vec<ServerRecord>, i64) = on_pool!(self, |p| {
            let items = sqlx::query_as(sqlx::AssertSqlSafe(page.as_str()))
                .bind(filter.status.as_deref())
                .bind(filter.tag.as_deref())
                .bind(search.as_deref())
                .bind(limit)
                .bind(offset)
                .fetch_all(p)
                .await?;
            let total = sqlx::query_scalar(sqlx::AssertSqlSafe(count.as_str()))
                .bind(filter.status.as_deref())
                .bind(filter.tag.as_deref())
                .bind(search.as_deref())
                .fetch_one(p)
                .await?;
            Ok::<_, sqlx::Error>((items, total))
        })?;
        Ok((self.with_tags(items).await?, total))
    }

    /// Replaces the writable columns and tags of server `id`; with `forget_host_key` (its address changed) the
    /// pinned and offered keys go too, and the status starts over. `None` when there is no such row.
    pub async fn update_server(
        &self,
        id: i64,
        row: &ServerRow<'_>,
        forget_host_key: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<ServerRecord>, StoreError> {
        let update = "UPDATE servers SET name = $2, host = $3, port = $4, username = $5, auth_kind = $6, \
                      credential_sealed = $7, jump_host = $8, description = $9, updated_at = $10, \
                      host_key = CASE WHEN $11 THEN NULL ELSE host_key END, \
                      host_key_fingerprint = CASE WHEN $11 THEN NULL ELSE host_key_fingerprint END, \
                      pending_host_key = CASE WHEN $11 THEN NULL ELSE pending_host_key END, \
                      pending_host_key_fingerprint = CASE WHEN $11 THEN NULL ELSE pending_host_key_fingerprint END, \
                      status = CASE WHEN $11 THEN 'unknown' ELSE status END, address_by_admin = $12 WHERE id = $1";
        let found: bool = on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let n = sqlx::query(update)
                .bind(id)
                .bind(row.name)
                .bind(row.host)
                .bind(row.port)
                .bind(row.username)
                .bind(row.auth_kind)
                .bind(row.credential_sealed)
                .bind(row.jump_host)
                .bind(row.description)
                .bind(now)
                .bind(forget_host_key)
                .bind(row.address_by_admin)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM server_tags WHERE server_id = $1").bind(id).execute(&mut *tx).await?;
                for tag in row.tags {
                    sqlx::query("INSERT INTO server_tags (server_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id)
                        .bind(tag)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await.map(|()| n == 1)
        })?;
        if found { self.server(id).await } else { Ok(None) }
    }

    /// Deletes server `id`; `false` when there is no such row.
    pub async fn delete_server(&self, id: i64) -> Result<bool, StoreError> {
        let sql = "DELETE FROM servers WHERE id = $1";
        let n = on_pool!(self, |p| sqlx::query(sql).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Pins `key` as server `id`'s host key when none is pinned yet; `false` when one already was (a
    /// concurrent first contact won: the caller reads the row again).
    pub async fn pin_server_host_key(
        &self,
        id: i64,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE servers SET host_key = $2, host_key_fingerprint = $3, updated_at = $4 \
                   WHERE id = $1 AND host_key IS NULL";
        let n = on_pool!(self, |p| {
            sqlx::query(sql).bind(id).bind(key).bind(fingerprint).bind(now).execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Records a host key server `id` offered that is not its pinned one, and why the connection was refused.
    pub async fn offer_server_host_key(
        &self,
        id: i64,
        key: &str,
        fingerprint: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE servers SET pending_host_key = $2, pending_host_key_fingerprint = $3, \
                   status = 'host_key_changed', last_error = $4, last_checked_at = $5 WHERE id = $1";
        on_pool!(self, |p| {
            sqlx::query(sql).bind(id).bind(key).bind(fingerprint).bind(error).bind(now).execute(p).await.map(|_| ())
        })?;
        Ok(())
    }

    /// Makes the offered host key of server `id` its pinned one; `None` when there is no such server or it
    /// offered no other key (or another one than `fingerprint`, when given).
    pub async fn accept_server_host_key(
        &self,
        id: i64,
        fingerprint: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<ServerRecord>, StoreError> {
        let sql = "UPDATE servers SET host_key = pending_host_key, host_key_fingerprint = pending_host_key_fingerprint, \
                   pending_host_key = NULL, pending_host_key_fingerprint = NULL, status = 'unknown', \
                   last_error = NULL, updated_at = $3 \
                   WHERE id = $1 AND pending_host_key IS NOT NULL AND ($2 IS NULL OR pending_host_key_fingerprint = $2)";
        let n = on_pool!(self, |p| {
            sqlx::query(sql).bind(id).bind(fingerprint).bind(now).execute(p).await.map(|r| r.rows_affected())
        })?;
        if n == 1 { self.server(id).await } else { Ok(None) }
    }

    /// Records the outcome of a connection to server `id`.
    pub async fn record_server_check(
        &self,
        id: i64,
        check: &ServerCheck<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (os, kernel, cpus, memory) = match check.facts {
            Some((os, kernel, cpus, memory)) => (Some(os), Some(kernel), Some(cpus), Some(memory)),
            None => (None, None, None, None),
        };
        let sql = "UPDATE servers SET status = $2, last_error = $3, last_checked_at = $4, \
                   os = COALESCE($5, os), kernel = COALESCE($6, kernel), cpu_count = COALESCE($7, cpu_count), \
                   memory_total_bytes = COALESCE($8, memory_total_bytes) WHERE id = $1";
        on_pool!(self, |p| {
            sqlx::query(sql)
                .bind(id)
                .bind(check.status)
                .bind(check.error)
                .bind(now)
                .bind(os)
                .bind(kernel)
                .bind(cpus)
                .bind(memory)
                .execute(p)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}
