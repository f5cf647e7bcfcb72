//! The rules of ResoftAI's `/api/files`: who may reach a file (its project's owner or an administrator, else
//! `NotFound`), listing with its bounds, details with the content of text files, downloads, versions, restores
//! and deletion. Uploads and replacements are in [`super::upload`].

use futures_util::stream::TryStreamExt;
use slipway_core::{Error, FieldError, Principal};
use slipway_files::BlobStream;
use slipway_store::factory::{FileFilter, FileRecord, FileVersionRecord};

use super::paths::{CATEGORIES, is_category};
use super::types::file_type;
use crate::Factory;
use crate::window::Window;

/// The largest text file whose content a file's details carry, bytes.
pub const CONTENT_LIMIT: u64 = 1024 * 1024;
/// Bytes read from a file too large to show to tell whether it is text.
const SNIFF_BYTES: usize = 8 * 1024;
/// Files a list answers unless asked otherwise.
pub const DEFAULT_LIMIT: i64 = 20;

/// Which files to list, as the client asked (checked by [`Factory::list_files`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileQuery {
    /// The project (required).
    pub project_id: Option<i64>,
    /// Only this category.
    pub category: Option<String>,
    /// Files to skip (≥ 0).
    pub skip: Option<i64>,
    /// Files to answer (1–100, default 20).
    pub limit: Option<i64>,
}

/// A file with what its details show of its content.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDetail {
    /// The file at its current version.
    pub file: FileRecord,
    /// The content, for a text file (UTF-8 without NUL) of at most [`CONTENT_LIMIT`] bytes.
    pub content: Option<String>,
    /// Whether the content is binary (an image, a PDF, bytes that are not UTF-8 text), so not shown.
    pub is_binary: bool,
    /// Whether the content is text but larger than [`CONTENT_LIMIT`], so not shown (download it instead).
    pub content_too_large: bool,
}

/// A file's current content, to stream to the client.
pub struct FileDownload {
    /// The file.
    pub file: FileRecord,
    /// Its length in bytes.
    pub size: u64,
    /// Its content.
    pub body: BlobStream,
}

impl std::fmt::Debug for FileDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileDownload").field("file", &self.file).field("size", &self.size).finish_non_exhaustive()
    }
}

/// What a restore wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Restored {
    /// The file at its new version.
    pub file: FileRecord,
    /// The version whose content it now holds.
    pub restored_from: i32,
}

/// The last segment of a file's path: the name a download is saved under.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether `bytes` read as text: UTF-8 without NUL; when `cut`, a character split at the end is allowed.
fn is_text(bytes: &[u8], cut: bool) -> bool {
    if bytes.contains(&0) {
        return false;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => cut && e.error_len().is_none(),
    }
}

/// Up to `n` bytes from the start of `body`.
async fn read_prefix(mut body: BlobStream, n: usize) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(n.min(64 * 1024));
    while out.len() < n {
        let Some(chunk) = body.try_next().await? else { break };
        let take = chunk.len().min(n - out.len());
        out.extend_from_slice(&chunk[..take]);
    }
    Ok(out)
}

impl Factory {
    /// The file, if the caller may reach its project; otherwise (and when there is none) `NotFound`.
    pub async fn file_for(&self, principal: &Principal, id: i64) -> Result<FileRecord, Error> {
        let not_found = || Error::NotFound(format!("file {id}"));
        let file = self.db.file(id).await?.ok_or_else(not_found)?;
        match self.project_for(principal, file.project_id).await {
            Ok(_) => Ok(file),
            Err(Error::ProjectNotFound(_)) => Err(not_found()),
            Err(e) => Err(e),
        }
    }

    /// A page of a project's files by path: `project_id` is required, `category` one of the five, `skip` ≥ 0,
    /// `limit` 1–100 (default 20); another user's project is `ProjectNotFound`.
    pub async fn list_files(&self, principal: &Principal, q: FileQuery) -> Result<Vec<FileRecord>, Error> {
        let mut problems = Vec::new();
        if q.project_id.is_none() {
            problems.push(FieldError::query("project_id", "missing", "field required"));
        }
        if let Some(c) = q.category.as_deref().filter(|c| !is_category(c)) {
            let allowed = CATEGORIES.join(", ");
            problems.push(FieldError::query("category", "type_error.enum", format!("{c:?} is not one of {allowed}")));
        }
        let window = Window::check(q.skip, q.limit, DEFAULT_LIMIT, &mut problems);
        let Some(project_id) = q.project_id.filter(|_| problems.is_empty()) else {
            return Err(Error::Validation(problems));
        };
        let project = self.project_for(principal, project_id).await?;
        let filter =
            FileFilter { project_id: project.id, category: q.category, offset: window.skip, limit: window.limit };
        Ok(self.db.list_files(&filter).await?.0)
    }

    /// A file with its content when it is text of at most [`CONTENT_LIMIT`] bytes; binary files say so.
    pub async fn file_detail(&self, principal: &Principal, id: i64) -> Result<FileDetail, Error> {
        let file = self.file_for(principal, id).await?;
        let declared_binary = file_type(&file.path).is_some_and(|t| !t.textual);
        if declared_binary {
            return Ok(FileDetail { file, content: None, is_binary: true, content_too_large: false });
        }
        let size = u64::try_from(file.size).unwrap_or(0);
        let too_large = size > CONTENT_LIMIT;
        let want = if too_large { SNIFF_BYTES } else { usize::try_from(size).unwrap_or(usize::MAX) };
        let (_, body) = self.files.blobs().get_stream(&file.sha256).await?;
        let head = read_prefix(body, want).await?;
        if !is_text(&head, too_large) {
            return Ok(FileDetail { file, content: None, is_binary: true, content_too_large: false });
        }
        if too_large {
            return Ok(FileDetail { file, content: None, is_binary: false, content_too_large: true });
        }
        let content = String::from_utf8(head).map_err(|e| Error::Internal(format!("checked text: {e}")))?;
        Ok(FileDetail { file, content: Some(content), is_binary: false, content_too_large: false })
    }

    /// The file's current content as a stream.
    pub async fn download_file(&self, principal: &Principal, id: i64) -> Result<FileDownload, Error> {
        let file = self.file_for(principal, id).await?;
        let (size, body) = self.files.blobs().get_stream(&file.sha256).await?;
        Ok(FileDownload { file, size, body })
    }

    /// The file's versions, newest first.
    pub async fn file_versions(&self, principal: &Principal, id: i64) -> Result<Vec<FileVersionRecord>, Error> {
        let file = self.file_for(principal, id).await?;
        Ok(self.db.file_versions(file.id).await?)
    }

    /// Writes version `version`'s content as the file's next version (no upload: the blob is the same); an
    /// unknown version is `NotFound`.
    pub async fn restore_file_version(&self, principal: &Principal, id: i64, version: i64) -> Result<Restored, Error> {
        let file = self.file_for(principal, id).await?;
        let unknown = || Error::NotFound(format!("version {version} of file {id}"));
        let number = i32::try_from(version).map_err(|_| unknown())?;
        let old = self.db.file_version(file.id, number).await?.ok_or_else(unknown)?;
        let now = slipway_core::time::now();
        let by = Some(principal.user_id);
        let file = self
            .db
            .add_file_version(file.id, &old.sha256, old.size, &file.mime_type, by, Some(old.version), now)
            .await?
            .ok_or_else(|| Error::NotFound(format!("file {id}")))?;
        Ok(Restored { file, restored_from: old.version })
    }

    /// Deletes the file with every version and removes the blobs no other version uses.
    pub async fn delete_file(&self, principal: &Principal, id: i64) -> Result<(), Error> {
        let file = self.file_for(principal, id).await?;
        let digests = self.db.delete_file(file.id).await?.ok_or_else(|| Error::NotFound(format!("file {id}")))?;
        self.files.release(&digests).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_utf8_without_nul() {
        assert!(is_text("print('héllo')\n".as_bytes(), false));
        assert!(is_text(b"", false));
        assert!(!is_text(b"PK\x03\x04\0\0", false));
        assert!(!is_text(&[0xff, 0xfe, b'a'], false));
        let cut = &"é".as_bytes()[..1];
        assert!(!is_text(cut, false));
        assert!(is_text(cut, true), "a character split by the sniff window is still text");
    }

    #[test]
    fn downloads_are_named_by_the_last_segment() {
        assert_eq!(file_name("src/app/main.py"), "main.py");
        assert_eq!(file_name("README.md"), "README.md");
    }
}
