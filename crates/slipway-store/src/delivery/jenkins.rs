//! The `jenkins_servers` table: each user's Jenkins servers, the credential held only sealed. Reads by id are
//! not scoped to an owner (administrators reach every server); the service decides who may see a row. A user
//! has at most one default: making a row the default clears the previous one in the same transaction, and the
//! partial unique index `jenkins_servers_one_default` holds the line against concurrent writers.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// A stored Jenkins server. The credential is only ever held sealed.
#[derive(Clone, PartialEq, sqlx::FromRow)]
pub struct JenkinsServerRecord {
    /// Database id.
    pub id: i64,
    /// The owner.
    pub owner_id: i64,
    /// A name for people, unique per owner.
    pub name: String,
    /// The server's base URL (`https://ci.example.com/jenkins`).
    pub url: String,
    /// The Jenkins user Slipway signs in as.
    pub username: String,
    /// The API token or password, sealed (see `Sealer`).
    pub credential_sealed: String,
    /// `api_token` or `password`.
    pub credential_kind: String,
    /// Whether this is the owner's default server.
    pub is_default: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl fmt::Debug for JenkinsServerRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JenkinsServerRecord")
            .field("id", &self.id)
            .field("owner_id", &self.owner_id)
            .field("name", &self.name)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("credential_kind", &self.credential_kind)
            .field("is_default", &self.is_default)
            .finish_non_exhaustive()
    }
}

/// The writable columns of a server: what an insert stores, and what an update replaces.
#[derive(Clone, PartialEq)]
pub struct JenkinsServerRow<'a> {
    /// A name for people.
    pub name: &'a str,
    /// Base URL.
    pub url: &'a str,
    /// Jenkins user.
    pub username: &'a str,
    /// The sealed credential.
    pub credential_sealed: &'a str,
    /// `api_token` or `password`.
    pub credential_kind: &'a str,
    /// Whether it becomes (or stays) the owner's default.
    pub is_default: bool,
}

impl fmt::Debug for JenkinsServerRow<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JenkinsServerRow")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("credential_kind", &self.credential_kind)
            .field("is_default", &self.is_default)
            .finish_non_exhaustive()
    }
}

const CLEAR_DEFAULT: &str = "UPDATE jenkins_servers SET is_default = FALSE, updated_at = $3 \
                             WHERE owner_id = $1 AND is_default AND id <> $2";

impl Db {
    /// Stores a new server of `owner_id`; when it is the default, the previous default stops being one. A name
    /// the owner already uses is `StoreError::Duplicate`.
    pub async fn insert_jenkins_server(
        &self,
        owner_id: i64,
        row: &JenkinsServerRow<'_>,
        now: DateTime<Utc>,
    ) -> Result<JenkinsServerRecord, StoreError> {
        let insert = "INSERT INTO jenkins_servers (owner_id, name, url, username, credential_sealed, \
                      credential_kind, is_default, created_at, updated_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING *";
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            if row.is_default {
                sqlx::query(CLEAR_DEFAULT).bind(owner_id).bind(0i64).bind(now).execute(&mut *tx).await?;
            }
            let record: JenkinsServerRecord = sqlx::query_as(insert)
                .bind(owner_id)
                .bind(row.name)
                .bind(row.url)
                .bind(row.username)
                .bind(row.credential_sealed)
                .bind(row.credential_kind)
                .bind(row.is_default)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await.map(|()| record)
        })?)
    }

    /// The servers of `owner_id`, by name.
    pub async fn jenkins_servers_of(&self, owner_id: i64) -> Result<Vec<JenkinsServerRecord>, StoreError> {
        let sql = "SELECT * FROM jenkins_servers WHERE owner_id = $1 ORDER BY name, id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(owner_id).fetch_all(p).await)?)
    }

    /// Server `id`, whoever owns it.
    pub async fn jenkins_server(&self, id: i64) -> Result<Option<JenkinsServerRecord>, StoreError> {
        let sql = "SELECT * FROM jenkins_servers WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?)
    }

    /// The default server of `owner_id`, if it has one.
    pub async fn default_jenkins_server(&self, owner_id: i64) -> Result<Option<JenkinsServerRecord>, StoreError> {
        let sql = "SELECT * FROM jenkins_servers WHERE owner_id = $1 AND is_default";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(owner_id).fetch_optional(p).await)?)
    }

    /// Replaces the writable columns of server `id`; `None` when there is no such row. When it becomes the
    /// default, its owner's previous default stops being one in the same transaction.
    pub async fn update_jenkins_server(
        &self,
        id: i64,
        row: &JenkinsServerRow<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<JenkinsServerRecord>, StoreError> {
        let update = "UPDATE jenkins_servers SET name = $2, url = $3, username = $4, credential_sealed = $5, \
                      credential_kind = $6, is_default = FALSE, updated_at = $7 WHERE id = $1 RETURNING *";
        Ok(on_pool!(self, |p| {
            let mut tx = p.begin().await?;
            let record: Option<JenkinsServerRecord> = sqlx::query_as(update)
                .bind(id)
                .bind(row.name)
                .bind(row.url)
                .bind(row.username)
                .bind(row.credential_sealed)
                .bind(row.credential_kind)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            let record = match record {
                Some(r) if row.is_default => {
                    sqlx::query(CLEAR_DEFAULT).bind(r.owner_id).bind(id).bind(now).execute(&mut *tx).await?;
                    let set = "UPDATE jenkins_servers SET is_default = TRUE WHERE id = $1 RETURNING *";
                    let updated: JenkinsServerRecord = sqlx::query_as(set).bind(r.id).fetch_one(&mut *tx).await?;
                    Some(updated)
                }
                other => other,
            };
            tx.commit().await.map(|()| record)
        })?)
    }

    /// Deletes server `id`; `false` when there is no such row.
    pub async fn delete_jenkins_server(&self, id: i64) -> Result<bool, StoreError> {
        let sql = "DELETE FROM jenkins_servers WHERE id = $1";
        let n = on_pool!(self, |p| sqlx::query(sql).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
