//! The template services: the catalog, one template with its preview, and applying one to a project.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json};
use slipway_core::{Error, FieldError, Principal, WorkflowProblem};
use slipway_store::factory::ProjectStatus;

use super::catalog::{ALL, CATEGORIES, Template, by_id};
use super::preview::preview;
use super::render::render_files;
use super::variables::check;
use crate::Factory;
use crate::files::infer_category;

/// A template with what it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateDetail {
    /// The template.
    pub template: &'static Template,
    /// The files applying it with the defaults (and the examples of required variables) writes.
    pub files: Vec<String>,
    /// The preview text.
    pub preview: String,
}

/// What applying a template did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedTemplate {
    /// The project.
    pub project_id: i64,
    /// The template.
    pub template_id: i64,
    /// When it was applied.
    pub applied_at: DateTime<Utc>,
    /// The paths written, in the template's order (a file whose content was already that stays as it is).
    pub generated_files: Vec<String>,
}

fn template_or_404(id: i64) -> Result<&'static Template, Error> {
    by_id(id).ok_or_else(|| Error::NotFound(format!("template {id}")))
}

impl Factory {
    /// The templates, by id; only those of `category` when one is given (an unknown one is a 422 at
    /// `query.category`).
    pub fn templates(&self, category: Option<&str>) -> Result<Vec<&'static Template>, Error> {
        match category.filter(|c| !c.is_empty()) {
            None => Ok(ALL.to_vec()),
            Some(c) if CATEGORIES.contains(&c) => Ok(ALL.iter().copied().filter(|t| t.category == c).collect()),
            Some(c) => {
                let permitted: Vec<String> = CATEGORIES.iter().map(|c| format!("'{c}'")).collect();
                Err(Error::Validation(vec![FieldError::query(
                    "category",
                    "type_error.enum",
                    format!("unknown category {c:?}; permitted: {}", permitted.join(", ")),
                )]))
            }
        }
    }

    /// One template with its files and preview; `NotFound` when there is none.
    pub fn template(&self, id: i64) -> Result<TemplateDetail, Error> {
        let template = template_or_404(id)?;
        let p = preview(template)?;
        Ok(TemplateDetail { template, files: p.files, preview: p.text })
    }

    /// Renders template `template_id` with `variables` and writes every file into project `project_id` as a
    /// project file by the caller. The template must exist (404), the caller must reach the project (404
    /// `PROJ_001`), the values must fit the declarations (422 at `variables.<name>`), and the project must not
    /// be running (its agents write the same files).
    pub async fn apply_template(
        &self,
        principal: &Principal,
        template_id: i64,
        project_id: i64,
        variables: &Map<String, Json>,
    ) -> Result<AppliedTemplate, Error> {
        let template = template_or_404(template_id)?;
        let project = self.project_for(principal, project_id).await?;
        let values = check(template.variables, variables)?;
        if project.status == ProjectStatus::Running {
            return Err(Error::Workflow(WorkflowProblem::Running));
        }
        let files = render_files(template, &values, false)?;
        let mut generated_files = Vec::with_capacity(files.len());
        for f in files {
            let category = infer_category(&f.path);
            self.files
                .write_bytes(project.id, &f.path, category, Bytes::from(f.content), Some(principal.user_id))
                .await?;
            generated_files.push(f.path);
        }
        Ok(AppliedTemplate {
            project_id: project.id,
            template_id,
            applied_at: slipway_core::time::now(),
            generated_files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_categorized_by_path() {
        for (path, want) in [
            ("tests/test_items.py", "test"),
            ("backend/tests/conftest.py", "test"),
            ("src/App.test.jsx", "test"),
            ("__tests__/api.test.js", "test"),
            ("pkg/test_x.py", "test"),
            ("README.md", "documentation"),
            ("backend/README.md", "documentation"),
            ("docs/guide.txt", "documentation"),
            ("app/main.py", "code"),
            ("Dockerfile", "code"),
            ("src/latest.js", "code"),
            ("contest.py", "code"),
        ] {
            assert_eq!(infer_category(path), want, "{path}");
            assert!(crate::files::is_category(want));
        }
    }
}
