//! A project's files: metadata and versions in the store, content as blobs in the file store. This core writes
//! versions (from bytes or a stream), copies a project's files into a run's workspace and back, and releases
//! blobs no version uses any more; the routes' rules (who may, which types, how big) are in [`service`].

mod paths;
mod project_files;

pub use paths::{CATEGORIES, is_category, normalize_path};
pub use project_files::{Captured, ProjectFiles, is_tool_output};
