//! A project's files: metadata and versions in the store, content as blobs in the file store. This core writes
//! versions (from bytes or a stream), copies a project's files into a run's workspace and back, and releases
//! blobs no version uses any more; the routes' rules (who may, which types, how big) are in [`service`] and
//! [`upload`].

mod category;
mod form;
mod paths;
mod project_files;
pub mod service;
mod types;
pub mod upload;

pub use category::infer_category;
pub use form::{FormPart, UploadForm};
pub use paths::{CATEGORIES, is_category, normalize_path};
pub use project_files::{Captured, ProjectFiles, hex_sha256, is_tool_output};
pub use service::{CONTENT_LIMIT, FileDetail, FileDownload, FileQuery, Restored, file_name};
pub use types::{FileType, file_type};
