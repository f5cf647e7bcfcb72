//! What a project delivered so far, for `GET /api/projects/{id}`: its documents (read from its files), its file
//! lists by category, and what the testing and review stages measured (from the run's checkpoint).

use futures_util::TryStreamExt;
use serde_json::Value;
use slipway_core::Error;
use slipway_store::factory::{FileRecord, ProjectRecord};

use crate::Factory;
use crate::run::{Checkpoint, StageResult};
use crate::stages::Stage;

/// The most bytes of one document shown in a project's detail.
pub const DOCUMENT_BYTES: usize = 64 * 1024;

/// A project's deliverables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deliverables {
    /// The SRS (the requirements stage's document).
    pub srs_document: Option<String>,
    /// The architecture document.
    pub architecture_design: Option<String>,
    /// The UI design document.
    pub ui_design: Option<String>,
    /// The delivery summary (`DELIVERY.md`).
    pub delivery_summary: Option<String>,
    /// Paths of the source files.
    pub code_files: Vec<String>,
    /// Paths of the test files.
    pub test_files: Vec<String>,
    /// Paths of the documentation files.
    pub documentation_files: Vec<String>,
    /// What the testing stage ran and measured.
    pub test_results: Option<Value>,
    /// The quality review's score and findings.
    pub qa_review: Option<Value>,
    /// The stages the latest run completed.
    pub stages: Vec<StageResult>,
}

fn is_markdown(f: &FileRecord) -> bool {
    f.path.ends_with(".md") || f.path.ends_with(".markdown") || f.path.ends_with(".txt")
}

/// The markdown file of `category` whose upper-cased path contains one of `hints`, else the first of it.
fn document<'a>(files: &'a [FileRecord], category: &str, hints: &[&str]) -> Option<&'a FileRecord> {
    let mut docs = files.iter().filter(|f| f.category == category && is_markdown(f));
    let all: Vec<&FileRecord> = docs.by_ref().collect();
    all.iter().find(|f| hints.iter().any(|h| f.path.to_uppercase().contains(h))).or(all.first()).copied()
}

fn paths(files: &[FileRecord], category: &str) -> Vec<String> {
    files.iter().filter(|f| f.category == category).map(|f| f.path.clone()).collect()
}

impl Factory {
    /// Reads up to [`DOCUMENT_BYTES`] of a file as text (`None` when it is not UTF-8).
    async fn excerpt(&self, file: &FileRecord) -> Result<Option<String>, Error> {
        let (_, mut body) = self.files.blobs().get_stream(&file.sha256).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = body.try_next().await? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() >= DOCUMENT_BYTES {
                bytes.truncate(DOCUMENT_BYTES);
                break;
            }
        }
        // A cut may split a character: drop the partial tail rather than refuse the text.
        Ok(match String::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                (bytes.len() - valid < 4).then(|| String::from_utf8_lossy(&bytes[..valid]).into_owned())
            }
        })
    }

    pub(crate) async fn deliverables(&self, project: &ProjectRecord) -> Result<Deliverables, Error> {
        let files = self.db.project_files(project.id).await?;
        let checkpoint = Checkpoint::from_stored(project.checkpoint.as_ref());
        let read = |f: Option<&FileRecord>| {
            let f = f.cloned();
            async move {
                match f {
                    Some(f) => self.excerpt(&f).await,
                    None => Ok(None),
                }
            }
        };
        let delivery = files.iter().find(|f| f.path.eq_ignore_ascii_case("DELIVERY.md"));
        let (srs_document, architecture_design, ui_design, delivery_summary) = tokio::try_join!(
            read(document(&files, "requirements", &["SRS", "REQUIREMENT"])),
            read(document(&files, "design", &["ARCHITECTURE", "ARCH"])),
            read(document(&files, "design", &["UI", "UX", "DESIGN"])),
            read(delivery),
        )?;
        let data = |stage: Stage| checkpoint.result(stage).map(|r| r.data.clone()).filter(|d| !d.is_null());
        Ok(Deliverables {
            srs_document,
            architecture_design,
            ui_design,
            delivery_summary,
            code_files: paths(&files, "code"),
            test_files: paths(&files, "test"),
            documentation_files: paths(&files, "documentation"),
            test_results: data(Stage::Testing),
            qa_review: data(Stage::QaReview),
            stages: checkpoint.completed,
        })
    }
}
