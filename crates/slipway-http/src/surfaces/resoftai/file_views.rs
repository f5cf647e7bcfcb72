//! ResoftAI's file bodies: a file (`filename` is its path in the project), its details with the content of
//! text files, its versions, a restore; and the multipart forms and binary downloads the routes document.

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_factory::files::{FileDetail, Restored};
use slipway_factory::{FileRecord, FileVersionRecord};
use utoipa::ToSchema;

/// A project file at its current version (the upload, update and list answers).
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiFile {
    /// The file's id.
    pub id: i64,
    /// Its project.
    pub project_id: i64,
    /// Its path in the project (`src/main.py`).
    pub filename: String,
    /// `requirements`, `design`, `code`, `test` or `documentation`.
    pub category: String,
    /// Bytes of the current version.
    pub size: i64,
    /// Its media type.
    pub mime_type: String,
    /// The current version, from 1.
    pub version: i32,
    /// Who created it (`null` once that user is gone, or for the agents).
    pub created_by: Option<i64>,
    /// When its first version was written (RFC 3339).
    pub created_at: String,
    /// When its current version was written (RFC 3339).
    pub updated_at: String,
}

impl From<FileRecord> for ResoftAiFile {
    fn from(f: FileRecord) -> Self {
        Self {
            id: f.id,
            project_id: f.project_id,
            filename: f.path,
            category: f.category,
            size: f.size,
            mime_type: f.mime_type,
            version: f.version,
            created_by: f.created_by,
            created_at: rfc3339(f.created_at),
            updated_at: rfc3339(f.updated_at),
        }
    }
}

/// A file with its content: text files (UTF-8, at most 1 MiB) carry it; binary files say so instead.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiFileDetail {
    /// The file's id.
    pub id: i64,
    /// Its project.
    pub project_id: i64,
    /// Its path in the project.
    pub filename: String,
    /// Its category.
    pub category: String,
    /// Bytes of the current version.
    pub size: i64,
    /// Its media type.
    pub mime_type: String,
    /// The current version's text; `null` for a binary file or a text file larger than 1 MiB.
    pub content: Option<String>,
    /// Whether the content is binary (not shown as text).
    pub is_binary: bool,
    /// Whether the content is text too large to show (download it instead).
    pub content_too_large: bool,
    /// The current version.
    pub version: i32,
    /// Who created it.
    pub created_by: Option<i64>,
    /// When its first version was written (RFC 3339).
    pub created_at: String,
    /// When its current version was written (RFC 3339).
    pub updated_at: String,
}

impl From<FileDetail> for ResoftAiFileDetail {
    fn from(d: FileDetail) -> Self {
        let f = d.file;
        Self {
            id: f.id,
            project_id: f.project_id,
            filename: f.path,
            category: f.category,
            size: f.size,
            mime_type: f.mime_type,
            content: d.content,
            is_binary: d.is_binary,
            content_too_large: d.content_too_large,
            version: f.version,
            created_by: f.created_by,
            created_at: rfc3339(f.created_at),
            updated_at: rfc3339(f.updated_at),
        }
    }
}

/// One version of a file.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiFileVersion {
    /// The version, from 1.
    pub version: i32,
    /// Its bytes.
    pub size: i64,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// Who wrote it (`null` for the agents or a user who is gone).
    pub created_by: Option<i64>,
    /// The version it copies, when it was written by a restore.
    pub restored_from_version: Option<i32>,
}

impl From<FileVersionRecord> for ResoftAiFileVersion {
    fn from(v: FileVersionRecord) -> Self {
        Self {
            version: v.version,
            size: v.size,
            created_at: rfc3339(v.created_at),
            created_by: v.created_by,
            restored_from_version: v.restored_from,
        }
    }
}

/// What a restore wrote: the file's new version, equal to the one restored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiFileRestored {
    /// The file's id.
    pub id: i64,
    /// Its path in the project.
    pub filename: String,
    /// The new version.
    pub version: i32,
    /// The version whose content it holds.
    pub restored_from_version: i32,
    /// Its bytes.
    pub size: i64,
    /// When the new version was written (RFC 3339).
    pub updated_at: String,
}

impl From<Restored> for ResoftAiFileRestored {
    fn from(r: Restored) -> Self {
        Self {
            id: r.file.id,
            filename: r.file.path,
            version: r.file.version,
            restored_from_version: r.restored_from,
            size: r.file.size,
            updated_at: rfc3339(r.file.updated_at),
        }
    }
}

/// `POST /api/files`'s form (`multipart/form-data`); other fields are ignored.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ResoftAiFileUpload {
    /// The file; its name (a relative path such as `src/app.py` is kept) is its path in the project.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// The project.
    pub project_id: i64,
    /// `requirements`, `design`, `code`, `test` or `documentation` (read from the path when left out).
    pub category: Option<String>,
}

/// `PUT /api/files/{file_id}`'s form (`multipart/form-data`): the new content.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ResoftAiFileReplacement {
    /// The file's new content.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A download's bytes.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct ResoftAiBinary(Vec<u8>);
