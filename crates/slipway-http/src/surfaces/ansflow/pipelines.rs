//! AnsFlow's `/api/pipelines/`: list (search, status, creator, DRF pages), create, read, PUT, PATCH, delete.
//! The pipeline service decides everything (access, validation of every step's config against its type's
//! schema); these handlers translate.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use slipway_delivery::pipelines::secrets::VariableInput;
use slipway_delivery::{PipelineInput, PipelineQuery, StepInput, UpdateMode};
use utoipa::{IntoParams, ToSchema};

use super::links::base_url;
use super::pipeline_views::AnsFlowPipeline;
use super::views::AnsFlowPage;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, PathId};
use crate::state::AppState;
use crate::surfaces::paging::Paging;

/// A step as sent.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AnsFlowStepInput)]
pub struct StepBody {
    /// Its name.
    pub name: String,
    /// Its step type's id (see `GET /api/step-types/`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its configuration, checked against the type's `config_schema`.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub config: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// A variable as sent.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AnsFlowVariableInput)]
pub struct VariableBody {
    /// An environment variable name.
    pub name: String,
    /// Its value; a secret sent without one keeps the stored value.
    pub value: Option<String>,
    /// Whether it is secret (stored sealed, shown as `***`, masked in logs).
    #[serde(default)]
    pub secret: bool,
}

/// `null` and absent told apart: absent is `None`, `null` is `Some(None)`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A pipeline's fields. On create and PUT `name` is required and missing fields take their defaults (stored
/// secrets and variables are kept); PATCH changes only what is sent. Unknown fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AnsFlowPipelineInput)]
pub struct PipelineBody {
    /// Name, 1–255 characters.
    pub name: Option<String>,
    /// Description, up to 5,000 characters.
    pub description: Option<String>,
    /// The repository's URL (ordinary users: an `http(s)` URL the outbound policy allows).
    pub repository_url: Option<String>,
    /// The default branch (`main`).
    pub branch: Option<String>,
    /// `push`, `pull_request`, `tag`, `manual`, `schedule` (default `["manual"]`).
    pub trigger_events: Option<Vec<String>>,
    /// Steps, run in order.
    pub steps: Option<Vec<StepBody>>,
    /// Variables exported to every step.
    pub variables: Option<Vec<VariableBody>>,
    /// A token or `user:password` for the repository (stored sealed, never shown); `null` or `""` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub repository_credential: Option<Option<String>>,
    /// The secret webhook deliveries are verified with (stored sealed); `null` or `""` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub webhook_secret: Option<Option<String>>,
    /// A cron expression (5 fields, UTC) it runs on; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub schedule: Option<Option<String>>,
    /// Whether steps may use the network (ordinary users: only where the installation allows it).
    pub network: Option<bool>,
    /// `active` or `inactive`.
    pub status: Option<String>,
    /// The same as `status`, as a boolean.
    pub is_active: Option<bool>,
}

impl PipelineBody {
    fn input(self) -> Result<PipelineInput, ApiError> {
        let is_active = match self.status.as_deref() {
            None => self.is_active,
            Some("active") => Some(true),
            Some("inactive") => Some(false),
            Some(other) => {
                return Err(slipway_core::Error::invalid_field(
                    "status",
                    "value_error",
                    format!("\"{other}\" is not a valid choice (active, inactive)"),
                )
                .into());
            }
        };
        Ok(PipelineInput {
            name: self.name,
            description: self.description,
            repository_url: self.repository_url,
            branch: self.branch,
            trigger_events: self.trigger_events,
            steps: self
                .steps
                .map(|s| s.into_iter().map(|s| StepInput { name: s.name, kind: s.kind, config: s.config }).collect()),
            variables: self.variables.map(|v| {
                v.into_iter().map(|v| VariableInput { name: v.name, value: v.value, secret: v.secret }).collect()
            }),
            repository_credential: self.repository_credential,
            webhook_secret: self.webhook_secret,
            schedule: self.schedule,
            network: self.network,
            is_active,
        })
    }
}

/// The query of the pipeline list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PipelineListQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1–100 (default 20).
    pub page_size: Option<i64>,
    /// A substring of the name or description.
    pub search: Option<String>,
    /// `active` or `inactive`.
    pub status: Option<String>,
    /// The creator's id.
    pub created_by: Option<i64>,
}

/// The caller's pipelines (administrators: everyone's), newest first, DRF-paginated.
#[utoipa::path(
    get, path = "/api/pipelines/", tag = "AnsFlow", security(("bearer" = [])), params(PipelineListQuery),
    responses(
        (status = 200, description = "A page of pipelines", body = AnsFlowPage<AnsFlowPipeline>),
        (status = 400, description = "VALIDATION_ERROR: a bad page, page_size or status"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PipelineListQuery>,
) -> Result<Json<AnsFlowPage<AnsFlowPipeline>>, ApiError> {
    let paging = Paging::new(q.page, q.page_size, 20, 100)?;
    let query = PipelineQuery {
        search: q.search,
        status: q.status,
        created_by: q.created_by,
        offset: paging.offset(),
        limit: paging.page_size,
    };
    let page = state.pipelines.list(&auth.principal(), query).await?;
    let results = page.items.iter().map(AnsFlowPipeline::from).collect();
    let base = base_url(&headers, "/api/pipelines/");
    Ok(Json(AnsFlowPage::new(&base, paging.page, paging.page_size, page.total, results)))
}

/// Creates a pipeline owned by the caller.
#[utoipa::path(
    post, path = "/api/pipelines/", tag = "AnsFlow", security(("bearer" = [])), request_body = PipelineBody,
    responses(
        (status = 201, description = "The new pipeline", body = AnsFlowPipeline),
        (status = 400, description = "VALIDATION_ERROR with per-field details (`steps.1.config.command`)"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 403, description = "PERMISSION_DENIED: network access for an ordinary user's steps"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(body): ApiJson<PipelineBody>,
) -> Result<(StatusCode, Json<AnsFlowPipeline>), ApiError> {
    let created = state.pipelines.create(&auth.principal(), body.input()?).await?;
    Ok((StatusCode::CREATED, Json((&created).into())))
}

/// One pipeline.
#[utoipa::path(
    get, path = "/api/pipelines/{id}/", tag = "AnsFlow", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Pipeline id")),
    responses(
        (status = 200, description = "The pipeline", body = AnsFlowPipeline),
        (status = 400, description = "VALIDATION_ERROR: a bad id"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such pipeline of yours"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<AnsFlowPipeline>, ApiError> {
    Ok(Json((&state.pipelines.get(&auth.principal(), id).await?).into()))
}

/// Replaces a pipeline's fields (`name` required; secrets and variables not sent are kept).
#[utoipa::path(
    put, path = "/api/pipelines/{id}/", tag = "AnsFlow", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Pipeline id")), request_body = PipelineBody,
    responses(
        (status = 200, description = "The pipeline", body = AnsFlowPipeline),
        (status = 400, description = "VALIDATION_ERROR with per-field details"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 403, description = "PERMISSION_DENIED: network access for an ordinary user's steps"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such pipeline of yours"),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<PipelineBody>,
) -> Result<Json<AnsFlowPipeline>, ApiError> {
    let updated = state.pipelines.update(&auth.principal(), id, body.input()?, UpdateMode::Full).await?;
    Ok(Json((&updated).into()))
}

/// Changes the fields sent.
#[utoipa::path(
    patch, path = "/api/pipelines/{id}/", tag = "AnsFlow", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Pipeline id")), request_body = PipelineBody,
    responses(
        (status = 200, description = "The pipeline", body = AnsFlowPipeline),
        (status = 400, description = "VALIDATION_ERROR with per-field details"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 403, description = "PERMISSION_DENIED: network access for an ordinary user's steps"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such pipeline of yours"),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    ApiJson(body): ApiJson<PipelineBody>,
) -> Result<Json<AnsFlowPipeline>, ApiError> {
    let updated = state.pipelines.update(&auth.principal(), id, body.input()?, UpdateMode::Partial).await?;
    Ok(Json((&updated).into()))
}

/// Deletes a pipeline with its runs and schedule.
#[utoipa::path(
    delete, path = "/api/pipelines/{id}/", tag = "AnsFlow", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Pipeline id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "VALIDATION_ERROR: a bad id"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such pipeline of yours"),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    state.pipelines.delete(&auth.principal(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
