//! The error bodies of the five documents, as OpenAPI schemas: what `crate::error` renders for each surface
//! (a test renders every kind of error and checks it against these).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::surface::Surface;

/// One invalid field: where it is and what is wrong with it.
#[derive(Serialize, ToSchema)]
pub struct ErrorField {
    /// The part of the request (`body`, `query`, `path`), then the field's path.
    pub loc: Vec<String>,
    /// What is wrong, for people.
    pub msg: String,
    /// What is wrong, for programs (`missing`, `value_error`, `type_error` …).
    #[serde(rename = "type")]
    pub kind: String,
}

/// Perfect21's (`000`) error body.
#[derive(Serialize, ToSchema)]
pub struct Perfect21Error {
    /// Always `false`.
    pub success: bool,
    /// What went wrong.
    pub message: String,
    /// The machine code (`VALIDATION_ERROR`, `INVALID_TOKEN` …).
    pub error_code: String,
    /// The invalid fields, on validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ErrorField>>,
    /// The request's id.
    pub request_id: String,
}

/// ResoftAI's `detail`: a text, or FastAPI's list of invalid fields.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ResoftAiErrorDetail {
    /// What went wrong.
    Text(String),
    /// The invalid fields.
    Fields(Vec<ErrorField>),
}

/// ResoftAI's (`001`) error body, FastAPI's shape.
#[derive(Serialize, ToSchema)]
pub struct ResoftAiError {
    /// What went wrong.
    pub detail: ResoftAiErrorDetail,
    /// The HTTP status.
    pub status_code: u16,
    /// The document's code (`AUTH_001`, `LLM_002`, `VALIDATION_ERROR` …).
    pub error_code: String,
    /// When it happened (RFC 3339).
    pub timestamp: String,
    /// The request's id.
    pub request_id: String,
}

/// The inner object of AnsFlow's error body.
#[derive(Serialize, ToSchema)]
pub struct AnsFlowErrorInfo {
    /// The machine code (`VALIDATION_ERROR`, `AUTHENTICATION_ERROR` …).
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// The messages of each invalid field, by field name (DRF's shape).
    pub details: BTreeMap<String, Vec<String>>,
}

/// AnsFlow's (`002`) error body.
#[derive(Serialize, ToSchema)]
pub struct AnsFlowError {
    /// The error.
    pub error: AnsFlowErrorInfo,
    /// When it happened (RFC 3339).
    pub timestamp: String,
    /// The request path.
    pub path: String,
    /// The request's id.
    pub request_id: String,
}

/// qoder's (`003`) error body.
#[derive(Serialize, ToSchema)]
pub struct QoderError {
    /// The HTTP status.
    pub code: u16,
    /// What went wrong.
    pub message: String,
    /// The request's id.
    pub request_id: String,
}

/// The pet planner's (`004`) error body.
#[derive(Serialize, ToSchema)]
pub struct PetPlanError {
    /// The HTTP status.
    pub code: u16,
    /// What went wrong.
    pub message: String,
    /// More about it: a text, the invalid fields, or `null`.
    pub detail: serde_json::Value,
    /// The request's id.
    pub request_id: String,
}

/// The component name of a surface's error body.
pub fn schema_name(surface: Surface) -> &'static str {
    match surface {
        Surface::Perfect21 => "Perfect21Error",
        Surface::Resoft => "ResoftAiError",
        Surface::AnsFlow => "AnsFlowError",
        Surface::Qoder => "QoderError",
        Surface::PetPlan => "PetPlanError",
    }
}
