//! ResoftAI's template bodies: the catalog entry, the detail with files and preview, and what applying did.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use slipway_core::time::rfc3339;
use slipway_factory::templates::{AppliedTemplate, Kind, Template, TemplateDetail, Variable, literal_json};
use utoipa::ToSchema;

/// One variable a template declares.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiTemplateVariable {
    /// `string`, `boolean`, `integer` or `enum`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What it is for.
    pub description: &'static str,
    /// Whether `apply` must be given it.
    pub required: bool,
    /// The value when it is left out (none for required variables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// A value a required variable could take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
    /// The values an `enum` takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<&'static str>>,
    /// The longest `string`, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// The smallest `integer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum: Option<i64>,
    /// The largest `integer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum: Option<i64>,
}

impl From<&Variable> for ResoftAiTemplateVariable {
    fn from(v: &Variable) -> Self {
        let (choices, max_length, bounds) = match v.kind {
            Kind::Enum { choices } => (Some(choices.to_vec()), None, None),
            Kind::String { max_len, .. } => (None, Some(max_len), None),
            Kind::Integer { min, max } => (None, None, Some((min, max))),
            Kind::Boolean => (None, None, None),
        };
        Self {
            kind: v.kind.type_name(),
            description: v.description,
            required: v.required,
            default: v.default.map(literal_json),
            example: v.example.map(literal_json),
            choices,
            max_length,
            minimum: bounds.map(|b| b.0),
            maximum: bounds.map(|b| b.1),
        }
    }
}

fn variables(t: &Template) -> BTreeMap<&'static str, ResoftAiTemplateVariable> {
    t.variables.iter().map(|v| (v.name, v.into())).collect()
}

/// A template in the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiTemplate {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: &'static str,
    /// What it makes.
    pub description: &'static str,
    /// `backend`, `frontend`, `fullstack`, `cli` or `mobile`.
    pub category: &'static str,
    /// Its version.
    pub version: &'static str,
    /// The variables `apply` takes, by name.
    pub variables: BTreeMap<&'static str, ResoftAiTemplateVariable>,
    /// When it was released (RFC 3339).
    pub created_at: String,
}

impl From<&Template> for ResoftAiTemplate {
    fn from(t: &Template) -> Self {
        Self {
            id: t.id,
            name: t.name,
            description: t.description,
            category: t.category,
            version: t.version,
            variables: variables(t),
            created_at: rfc3339(t.created_at()),
        }
    }
}

/// A template with what it makes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiTemplateDetail {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: &'static str,
    /// What it makes.
    pub description: &'static str,
    /// `backend`, `frontend`, `fullstack`, `cli` or `mobile`.
    pub category: &'static str,
    /// Its version.
    pub version: &'static str,
    /// The variables `apply` takes, by name.
    pub variables: BTreeMap<&'static str, ResoftAiTemplateVariable>,
    /// The files applying it with the defaults (and the examples of required variables) writes.
    pub files: Vec<String>,
    /// The file tree, the optional files, the variables and the rendered README, as text.
    pub preview: String,
    /// When it was released (RFC 3339).
    pub created_at: String,
}

impl From<TemplateDetail> for ResoftAiTemplateDetail {
    fn from(d: TemplateDetail) -> Self {
        let t = d.template;
        Self {
            id: t.id,
            name: t.name,
            description: t.description,
            category: t.category,
            version: t.version,
            variables: variables(t),
            files: d.files,
            preview: d.preview,
            created_at: rfc3339(t.created_at()),
        }
    }
}

/// What applying a template did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResoftAiTemplateApplied {
    /// The project.
    pub project_id: i64,
    /// The template.
    pub template_id: i64,
    /// When it was applied (RFC 3339).
    pub applied_at: String,
    /// The project files written, by path.
    pub generated_files: Vec<String>,
}

impl From<AppliedTemplate> for ResoftAiTemplateApplied {
    fn from(a: AppliedTemplate) -> Self {
        Self {
            project_id: a.project_id,
            template_id: a.template_id,
            applied_at: rfc3339(a.applied_at),
            generated_files: a.generated_files,
        }
    }
}
