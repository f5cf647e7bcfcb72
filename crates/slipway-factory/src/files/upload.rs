//! Uploads (`POST /api/files`) and replacements (`PUT /api/files/{id}`): the file part streams to the file
//! store as it arrives, whatever the order of the fields, so its blob may be stored before the project is
//! known; an upload refused after that releases it. A path that exists already gets its next version.

use bytes::Bytes;
use futures_util::stream::BoxStream;
use slipway_core::{Error, FieldError, Principal};
use slipway_files::{FileError, StoredBlob};
use slipway_store::factory::{FileRecord, NewFileVersion, ProjectRecord};

use super::category::infer_category;
use super::form::{FormPart, UploadForm};
use super::paths::{CATEGORIES, is_category, normalize_path};
use super::types::{FileType, file_type};
use crate::Factory;

fn body_field(field: &str, kind: &str, msg: impl Into<String>) -> Error {
    Error::Validation(vec![FieldError::body(field, kind, msg)])
}

fn missing(field: &str) -> Error {
    body_field(field, "missing", "field required")
}

/// A stored upload's failure as the domain reads it: the form's own error (a body too large, a broken
/// multipart stream) as it was, the rest as the file store maps them.
fn upload_error(e: FileError) -> Error {
    match e {
        FileError::Upload(source) => match source.downcast::<Error>() {
            Ok(own) => *own,
            Err(other) => Error::MalformedRequest(format!("upload interrupted: {other}")),
        },
        other => other.into(),
    }
}

/// A file uploaded into the file store, not yet a version.
struct Received {
    path: String,
    kind: FileType,
    blob: StoredBlob,
}

impl Factory {
    /// Uploads a file into a project from a form with `file` (its file name, normalized, is the path),
    /// `project_id` and an optional `category` (inferred from the path when absent). The path must be of an
    /// allowed type (`UnsupportedFileType`) and the content within the size limit (`PayloadTooLarge`);
    /// another user's project is `ProjectNotFound`. Nothing of a refused upload is kept.
    pub async fn upload_file<F: UploadForm>(&self, principal: &Principal, mut form: F) -> Result<FileRecord, Error> {
        let mut stored = None;
        let outcome = self.receive_upload(principal, &mut form, &mut stored).await;
        if outcome.is_err()
            && let Some(sha) = stored
        {
            self.files.release(&[sha]).await;
        }
        outcome
    }

    /// Writes the form's `file` as the next version of file `id` (its path, category and type stay); other
    /// fields are ignored. Another user's file, or one deleted meanwhile, is `NotFound`.
    pub async fn replace_file<F: UploadForm>(
        &self,
        principal: &Principal,
        id: i64,
        mut form: F,
    ) -> Result<FileRecord, Error> {
        let file = self.file_for(principal, id).await?;
        let kind = file_type(&file.path).ok_or_else(|| Error::UnsupportedFileType(file.path.clone()))?;
        let mut stored = None;
        let outcome = self.receive_replacement(principal, &file, kind, &mut form, &mut stored).await;
        if outcome.is_err()
            && let Some(sha) = stored
        {
            self.files.release(&[sha]).await;
        }
        outcome
    }

    /// Reads the upload's parts; `stored` names the blob once one is in the file store (and is cleared again
    /// when the version that uses it is written).
    async fn receive_upload<F: UploadForm>(
        &self,
        principal: &Principal,
        form: &mut F,
        stored: &mut Option<String>,
    ) -> Result<FileRecord, Error> {
        let mut project: Option<ProjectRecord> = None;
        let mut category: Option<String> = None;
        let mut received: Option<Received> = None;
        while let Some(part) = form.next_part().await? {
            match part {
                FormPart::Text { name, value } => match name.as_str() {
                    "project_id" => project = Some(self.project_for(principal, project_id(&value)?).await?),
                    "category" => category = category_of(&value)?,
                    "file" => return Err(body_field("file", "type_error", "file must be a file upload")),
                    _ => {}
                },
                FormPart::File { name, filename, body } => match name.as_str() {
                    "file" if received.is_some() => {
                        return Err(body_field("file", "value_error", "only one file per upload"));
                    }
                    "file" => {
                        let path = normalize_path(&filename, "file")?;
                        let kind = file_type(&path).ok_or_else(|| Error::UnsupportedFileType(path.clone()))?;
                        let blob = self.store(body, stored).await?;
                        received = Some(Received { path, kind, blob });
                    }
                    "project_id" | "category" => {
                        return Err(body_field(&name, "type_error", format!("{name} must be a plain field")));
                    }
                    _ => {}
                },
            }
        }
        let project = project.ok_or_else(|| missing("project_id"))?;
        let Received { path, kind, blob } = received.ok_or_else(|| missing("file"))?;
        let category = category.unwrap_or_else(|| infer_category(&path).to_owned());
        let version = NewFileVersion {
            project_id: project.id,
            path,
            category,
            mime_type: kind.mime.to_owned(),
            sha256: blob.sha256,
            size: i64::try_from(blob.size).unwrap_or(i64::MAX),
            created_by: Some(principal.user_id),
            restored_from: None,
        };
        let (file, _) = self.db.write_file_version(&version, false, slipway_core::time::now()).await?;
        *stored = None;
        Ok(file)
    }

    /// Reads a replacement's parts: its one `file` becomes the next version of `file`.
    async fn receive_replacement<F: UploadForm>(
        &self,
        principal: &Principal,
        file: &FileRecord,
        kind: FileType,
        form: &mut F,
        stored: &mut Option<String>,
    ) -> Result<FileRecord, Error> {
        let mut blob: Option<StoredBlob> = None;
        while let Some(part) = form.next_part().await? {
            match part {
                FormPart::Text { name, .. } if name == "file" => {
                    return Err(body_field("file", "type_error", "file must be a file upload"));
                }
                FormPart::File { name, .. } if name == "file" && blob.is_some() => {
                    return Err(body_field("file", "value_error", "only one file per upload"));
                }
                FormPart::File { name, body, .. } if name == "file" => blob = Some(self.store(body, stored).await?),
                _ => {}
            }
        }
        let blob = blob.ok_or_else(|| missing("file"))?;
        let size = i64::try_from(blob.size).unwrap_or(i64::MAX);
        let now = slipway_core::time::now();
        let by = Some(principal.user_id);
        // A file deleted while its replacement streamed in stays deleted (and the blob is released).
        let written = self
            .db
            .add_file_version(file.id, &blob.sha256, size, kind.mime, by, None, now)
            .await?
            .ok_or_else(|| Error::NotFound(format!("file {}", file.id)))?;
        *stored = None;
        Ok(written)
    }

    /// Streams a file part to the file store within the size limit; records its digest in `stored`.
    async fn store(
        &self,
        body: BoxStream<'_, Result<Bytes, Error>>,
        stored: &mut Option<String>,
    ) -> Result<StoredBlob, Error> {
        let blob = self.files.blobs().put_stream(body, self.files.max_bytes()).await.map_err(upload_error)?;
        *stored = Some(blob.sha256.clone());
        Ok(blob)
    }
}

/// `project_id` as an integer.
fn project_id(value: &str) -> Result<i64, Error> {
    value.trim().parse().map_err(|_| body_field("project_id", "type_error.integer", "value is not a valid integer"))
}

/// `category`: one of the five, or (empty) none.
fn category_of(value: &str) -> Result<Option<String>, Error> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if !is_category(value) {
        let msg = format!("{value:?} is not one of {}", CATEGORIES.join(", "));
        return Err(body_field("category", "type_error.enum", msg));
    }
    Ok(Some(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_or_refused_at_their_name() {
        assert_eq!(project_id(" 42 ").unwrap(), 42);
        assert_eq!(project_id("x").unwrap_err().field_errors()[0].loc, ["body", "project_id"]);
        assert_eq!(category_of("code").unwrap().as_deref(), Some("code"));
        assert_eq!(category_of("").unwrap(), None);
        assert_eq!(category_of("binaries").unwrap_err().field_errors()[0].loc, ["body", "category"]);
    }

    #[test]
    fn the_forms_own_errors_pass_through_the_file_store() {
        let too_large = FileError::Upload(Box::new(Error::PayloadTooLarge { limit_bytes: 5 }));
        assert!(matches!(upload_error(too_large), Error::PayloadTooLarge { limit_bytes: 5 }));
        let io = FileError::Upload(Box::new(std::io::Error::other("reset")));
        assert!(matches!(upload_error(io), Error::MalformedRequest(_)));
        assert!(matches!(upload_error(FileError::TooLarge { limit: 7 }), Error::PayloadTooLarge { limit_bytes: 7 }));
    }
}
