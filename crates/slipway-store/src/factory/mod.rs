//! ResoftAI's software factory: projects (status read from their latest run's job), their runs, and their
//! versioned files (metadata here; the content is in the file store, addressed by SHA-256).

mod activities;
mod files;
mod projects;

pub use activities::ProjectActivity;
pub use files::{FileFilter, FileRecord, FileVersionRecord, NewFileVersion};
pub use projects::{NewProject, ProjectChanges, ProjectFilter, ProjectRecord, ProjectStatus, RunRecord};
