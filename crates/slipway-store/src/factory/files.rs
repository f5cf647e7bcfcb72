//! The `project_files` and `file_versions` tables: a file's current version on its row, every version below it.
//! Writing a version is one transaction: the version row and the file's current state change together.

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// A project file, at its current version.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FileRecord {
    /// Database id.
    pub id: i64,
    /// The project.
    pub project_id: i64,
    /// Its path in the project's workspace (`src/main.py`); ResoftAI calls it `filename`.
    pub path: String,
    /// `requirements`, `design`, `code`, `test` or `documentation`.
    pub category: String,
    /// Its media type.
    pub mime_type: String,
    /// The current version, from 1.
    pub version: i32,
    /// Size of the current version, bytes.
    pub size: i64,
    /// SHA-256 of the current version's content (hex).
    pub sha256: String,
    /// Who created the file (`None` once that user is gone).
    pub created_by: Option<i64>,
    /// When the first version was written.
    pub created_at: DateTime<Utc>,
    /// When the current version was written.
    pub updated_at: DateTime<Utc>,
}

/// One version of a file.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FileVersionRecord {
    /// The file.
    pub file_id: i64,
    /// From 1.
    pub version: i32,
    /// SHA-256 of its content.
    pub sha256: String,
    /// Bytes.
    pub size: i64,
    /// Who wrote it.
    pub created_by: Option<i64>,
    /// The version it is a copy of, when it was restored.
    pub restored_from: Option<i32>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// A version to write: a new file at `path`, or the next version of the file already there.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFileVersion {
    /// The project.
    pub project_id: i64,
    /// The path in the workspace.
    pub path: String,
    /// The category (a new file's; an existing file keeps its own unless `recategorize`).
    pub category: String,
    /// The media type.
    pub mime_type: String,
    /// SHA-256 of the stored content.
    pub sha256: String,
    /// Bytes.
    pub size: i64,
    /// The writer (`None` for the system).
    pub created_by: Option<i64>,
    /// The version copied, for a restore.
    pub restored_from: Option<i32>,
}

/// Which files to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileFilter {
    /// The project.
    pub project_id: i64,
    /// Only this category.
    pub category: Option<String>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return (1–1000).
    pub limit: i64,
}

impl Db {
    /// Writes a version: creates the file at version 1, or adds the next version of the file at that path. When
    /// `skip_unchanged` and the content equals the current version's, nothing is written and the file is
    /// answered as it is. The flag says whether a version was written.
    pub async fn write_file_version(
        &self,
        v: &NewFileVersion,
        skip_unchanged: bool,
        now: DateTime<Utc>,
    ) -> Result<(FileRecord, bool), StoreError> {
        let find = "SELECT * FROM project_files WHERE project_id = $1 AND path = $2";
        let create = "INSERT INTO project_files (project_id, path, category, mime_type, version, size, sha256, \
                      created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $8) \
                      ON CONFLICT (project_id, path) DO NOTHING RETURNING *";
        let bump = "UPDATE project_files SET version = version + 1, size = $2, sha256 = $3, mime_type = $4, \
                    updated_at = $5 WHERE id = $1 AND version = $6 RETURNING *";
        let version = "INSERT INTO file_versions (file_id, version, sha256, size, created_by, restored_from, \
                       created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            // Two writers of one path at once: the loser of the insert or of the version check tries again.
            loop {
                let mut tx = pool.begin_with(begin).await?;
                let current: Option<FileRecord> =
                    sqlx::query_as(find).bind(v.project_id).bind(&v.path).fetch_optional(&mut *tx).await?;
                let written: Option<FileRecord> = match &current {
                    Some(f) if skip_unchanged && f.sha256 == v.sha256 => {
                        tx.rollback().await?;
                        break Ok::<_, sqlx::Error>((f.clone(), false));
                    }
                    Some(f) => {
                        sqlx::query_as(bump)
                            .bind(f.id)
                            .bind(v.size)
                            .bind(&v.sha256)
                            .bind(&v.mime_type)
                            .bind(now)
                            .bind(f.version)
                            .fetch_optional(&mut *tx)
                            .await?
                    }
                    None => {
                        sqlx::query_as(create)
                            .bind(v.project_id)
                            .bind(&v.path)
                            .bind(&v.category)
                            .bind(&v.mime_type)
                            .bind(v.size)
                            .bind(&v.sha256)
                            .bind(v.created_by)
                            .bind(now)
                            .fetch_optional(&mut *tx)
                            .await?
                    }
                };
                let Some(file) = written else {
                    tx.rollback().await?;
                    continue;
                };
                sqlx::query(version)
                    .bind(file.id)
                    .bind(file.version)
                    .bind(&v.sha256)
                    .bind(v.size)
                    .bind(v.created_by)
                    .bind(v.restored_from)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                break Ok((file, true));
            }
        })?)
    }

    /// Adds the next version of the existing file `file_id` (its path, category and creator stay; the media type
    /// becomes `mime_type`). `None` when the file is gone (deleted meanwhile): unlike [`Db::write_file_version`],
    /// this never creates a file, so an update racing a delete cannot bring the file back.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_file_version(
        &self,
        file_id: i64,
        sha256: &str,
        size: i64,
        mime_type: &str,
        created_by: Option<i64>,
        restored_from: Option<i32>,
        now: DateTime<Utc>,
    ) -> Result<Option<FileRecord>, StoreError> {
        let find = "SELECT * FROM project_files WHERE id = $1";
        let bump = "UPDATE project_files SET version = version + 1, size = $2, sha256 = $3, mime_type = $4, \
                    updated_at = $5 WHERE id = $1 AND version = $6 RETURNING *";
        let version = "INSERT INTO file_versions (file_id, version, sha256, size, created_by, restored_from, \
                       created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            // A concurrent writer of the same file moves its version on: the loser reads it again and retries.
            loop {
                let mut tx = pool.begin_with(begin).await?;
                let current: Option<FileRecord> = sqlx::query_as(find).bind(file_id).fetch_optional(&mut *tx).await?;
                let Some(current) = current else {
                    tx.rollback().await?;
                    break Ok::<_, sqlx::Error>(None);
                };
                let bumped: Option<FileRecord> = sqlx::query_as(bump)
                    .bind(file_id)
                    .bind(size)
                    .bind(sha256)
                    .bind(mime_type)
                    .bind(now)
                    .bind(current.version)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(file) = bumped else {
                    tx.rollback().await?;
                    continue;
                };
                sqlx::query(version)
                    .bind(file.id)
                    .bind(file.version)
                    .bind(sha256)
                    .bind(size)
                    .bind(created_by)
                    .bind(restored_from)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                break Ok(Some(file));
            }
        })?)
    }

    /// One file.
    pub async fn file(&self, id: i64) -> Result<Option<FileRecord>, StoreError> {
        let sql = "SELECT * FROM project_files WHERE id = $1";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(id).fetch_optional(pool).await)?)
    }

    /// A page of a project's files by path, and how many match in all.
    pub async fn list_files(&self, f: &FileFilter) -> Result<(Vec<FileRecord>, i64), StoreError> {
        macro_rules! base {
            () => {
                "FROM project_files WHERE project_id = $1 AND ($2 IS NULL OR category = $2)"
            };
        }
        let page = concat!("SELECT * ", base!(), " ORDER BY path LIMIT $3 OFFSET $4");
        let count = concat!("SELECT COUNT(*) ", base!());
        let (limit, offset) = (f.limit.clamp(1, 1000), f.offset.max(0));
        Ok(on_pool!(self, |pool| {
            let rows = sqlx::query_as(page)
                .bind(f.project_id)
                .bind(&f.category)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total: i64 = sqlx::query_scalar(count).bind(f.project_id).bind(&f.category).fetch_one(pool).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// Every file of a project, by path (for a workspace or a ZIP).
    pub async fn project_files(&self, project_id: i64) -> Result<Vec<FileRecord>, StoreError> {
        let sql = "SELECT * FROM project_files WHERE project_id = $1 ORDER BY path";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(project_id).fetch_all(pool).await)?)
    }

    /// A file's versions, newest first.
    pub async fn file_versions(&self, file_id: i64) -> Result<Vec<FileVersionRecord>, StoreError> {
        let sql = "SELECT * FROM file_versions WHERE file_id = $1 ORDER BY version DESC";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(file_id).fetch_all(pool).await)?)
    }

    /// One version of a file.
    pub async fn file_version(&self, file_id: i64, version: i32) -> Result<Option<FileVersionRecord>, StoreError> {
        let sql = "SELECT * FROM file_versions WHERE file_id = $1 AND version = $2";
        Ok(on_pool!(self, |pool| sqlx::query_as(sql).bind(file_id).bind(version).fetch_optional(pool).await)?)
    }

    /// Deletes a file with every version; answers the digests its versions used (`None`: no such file).
    pub async fn delete_file(&self, id: i64) -> Result<Option<Vec<String>>, StoreError> {
        let shas = "SELECT DISTINCT sha256 FROM file_versions WHERE file_id = $1";
        let delete = "DELETE FROM project_files WHERE id = $1";
        let begin = self.write_begin();
        Ok(on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let digests: Vec<String> = sqlx::query_scalar(shas).bind(id).fetch_all(&mut *tx).await?;
            let gone = sqlx::query(delete).bind(id).execute(&mut *tx).await?.rows_affected() == 1;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(gone.then_some(digests))
        })?)
    }

    /// Of `digests`, the ones no file version uses any more (their blobs may be removed); one query.
    pub async fn unused_blobs(&self, digests: &[String]) -> Result<Vec<String>, StoreError> {
        if digests.is_empty() {
            return Ok(Vec::new());
        }
        let used: Vec<String> = on_pool!(self, |pool| {
            let mut qb = sqlx::QueryBuilder::new("SELECT DISTINCT sha256 FROM file_versions WHERE sha256 IN (");
            let mut list = qb.separated(", ");
            for d in digests {
                list.push_bind(d);
            }
            qb.push(")");
            qb.build_query_scalar().fetch_all(pool).await
        })?;
        Ok(digests.iter().filter(|d| !used.contains(d)).cloned().collect())
    }
}
