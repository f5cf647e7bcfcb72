//! The `git_repositories` table: the repositories Perfect21's git-flow works on, a registered local path or a
//! clone in the data dir, each with its owner; at most one per owner is the default (a partial unique index
//! keeps it so).

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// A repository to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGitRepository {
    /// Its owner.
    pub owner_id: i64,
    /// Its name, unique per owner.
    pub name: String,
    /// `local` or `clone`.
    pub kind: String,
    /// The work tree on disk (for a clone, filled in once the id is known: see [`Db::set_git_repository_path`]).
    pub path: String,
    /// Where a clone came from.
    pub origin_url: Option<String>,
}

/// A registered repository.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GitRepositoryRecord {
    /// Database id.
    pub id: i64,
    /// Its owner.
    pub owner_id: i64,
    /// Its name, unique per owner.
    pub name: String,
    /// `local` (a path an administrator registered) or `clone` (cloned into the data dir).
    pub kind: String,
    /// The work tree on disk.
    pub path: String,
    /// Where a clone came from.
    pub origin_url: Option<String>,
    /// Whether it is its owner's default.
    pub is_default: bool,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Db {
    /// Registers a repository; it becomes its owner's default when the owner has none. A taken name is
    /// [`StoreError::Duplicate`].
    pub async fn insert_git_repository(
        &self,
        r: &NewGitRepository,
        now: DateTime<Utc>,
    ) -> Result<GitRepositoryRecord, StoreError> {
        let sql = "INSERT INTO git_repositories (owner_id, name, kind, path, origin_url, is_default, created_at, \
                   updated_at) VALUES ($1, $2, $3, $4, $5, \
                   NOT EXISTS (SELECT 1 FROM git_repositories WHERE owner_id = $1 AND is_default), $6, $6) \
                   RETURNING *";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let row = sqlx::query_as(sql)
                .bind(r.owner_id)
                .bind(&r.name)
                .bind(&r.kind)
                .bind(&r.path)
                .bind(&r.origin_url)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(row)
        })?)
    }

    /// Sets where a repository's work tree is (a clone's path names its id, known only after the insert).
    pub async fn set_git_repository_path(&self, id: i64, path: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let sql = "UPDATE git_repositories SET path = $2, updated_at = $3 WHERE id = $1";
        let done = on_pool!(self, |pool| sqlx::query(sql)
            .bind(id)
            .bind(path)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// One repository.
    pub async fn git_repository(&self, id: i64) -> Result<Option<GitRepositoryRecord>, StoreError> {
        let sql = "SELECT * FROM git_repositories WHERE id = $1";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?)
    }

    /// An owner's repository by name.
    pub async fn git_repository_by_name(
        &self,
        owner_id: i64,
        name: &str,
    ) -> Result<Option<GitRepositoryRecord>, StoreError> {
        let sql = "SELECT * FROM git_repositories WHERE owner_id = $1 AND name = $2";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(owner_id).bind(name).fetch_optional(pool).await)?)
    }

    /// An owner's default repository.
    pub async fn default_git_repository(&self, owner_id: i64) -> Result<Option<GitRepositoryRecord>, StoreError> {
        let sql = "SELECT * FROM git_repositories WHERE owner_id = $1 AND is_default";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(owner_id).fetch_optional(pool).await)?)
    }

    /// Repositories by name then id: one owner's, or everyone's (`None`, for administrators).
    pub async fn list_git_repositories(&self, owner_id: Option<i64>) -> Result<Vec<GitRepositoryRecord>, StoreError> {
        let sql = "SELECT * FROM git_repositories WHERE ($1 IS NULL OR owner_id = $1) ORDER BY owner_id, name, id";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(owner_id).fetch_all(pool).await)?)
    }

    /// Makes a repository its owner's default (and no other of theirs); `false` when there is no such one.
    pub async fn set_default_git_repository(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let clear = "UPDATE git_repositories SET is_default = FALSE, updated_at = $2 \
                     WHERE is_default AND id <> $1 AND owner_id = (SELECT owner_id FROM git_repositories WHERE id = $1)";
        let set = "UPDATE git_repositories SET is_default = TRUE, updated_at = $2 WHERE id = $1";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            sqlx::query(clear).bind(id).bind(now).execute(&mut *tx).await?;
            let done = sqlx::query(set).bind(id).bind(now).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            Ok::<_, sqlx::Error>(done == 1)
        })?)
    }

    /// Unregisters a repository; when it was its owner's default, their oldest other one becomes the default.
    /// `false` when there is no such one.
    pub async fn delete_git_repository(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let delete = "DELETE FROM git_repositories WHERE id = $1 RETURNING owner_id, is_default";
        let promote = "UPDATE git_repositories SET is_default = TRUE, updated_at = $2 WHERE id = \
                       (SELECT MIN(id) FROM git_repositories WHERE owner_id = $1)";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let gone: Option<(i64, bool)> = sqlx::query_as(delete).bind(id).fetch_optional(&mut *tx).await?;
            if let Some((owner, true)) = gone {
                sqlx::query(promote).bind(owner).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(gone.is_some())
        })?)
    }
}
