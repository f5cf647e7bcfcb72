//! AnsFlow's Jenkins integration: `POST /api/v1/integrations/jenkins/trigger` as the document gives it (plus an
//! optional `server_id`), and Slipway's additions for the servers it triggers on and the builds it follows. The
//! service checks ownership (another user's server or build is a 404) and seals the credential; no answer
//! carries it. Errors leave in AnsFlow's envelope: bad fields 400 `VALIDATION_ERROR`, credentials Jenkins
//! refuses 400, a permission Jenkins refuses 403, an unknown job 404, a Jenkins that cannot be reached 502.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use slipway_delivery::jenkins::{JenkinsServerChanges, NewJenkinsServer, TriggerRequest};
use utoipa::ToSchema;

use super::jenkins_views::{AnsFlowJenkinsBuild, AnsFlowJenkinsServer, AnsFlowJenkinsTrigger};
use crate::error::ApiError;
use crate::extract::{ApiJson, CurrentUser, PathId};
use crate::state::AppState;

/// A build to trigger.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = AnsFlowJenkinsTriggerBody)]
pub struct TriggerBody {
    /// The job, folders as `folder/job`.
    pub job_name: String,
    /// Build parameters: a flat object of strings, numbers and booleans.
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<Value>,
    /// The server (your default server when left out).
    pub server_id: Option<i64>,
}

/// Triggers a Jenkins job and answers once Jenkins queued it and (within a bounded wait) started the build.
#[utoipa::path(
    post, path = "/api/v1/integrations/jenkins/trigger", tag = "AnsFlow", security(("bearer" = [])),
    request_body = TriggerBody,
    responses(
        (status = 200, description = "The job following the build, its queue item and build", body = AnsFlowJenkinsTrigger),
        (status = 400, description = "VALIDATION_ERROR (bad fields, no default server) or CONFIGURATION_INVALID (Jenkins refused the credentials)"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 403, description = "PERMISSION_DENIED: Jenkins refused the build"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such server of yours, or no such Jenkins job"),
        (status = 502, description = "BAD_GATEWAY: Jenkins cannot be reached or misbehaved"),
    )
)]
pub async fn trigger(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(b): ApiJson<TriggerBody>,
) -> Result<Json<AnsFlowJenkinsTrigger>, ApiError> {
    let req = TriggerRequest { server_id: b.server_id, job_name: b.job_name, parameters: b.parameters };
    Ok(Json(state.jenkins.trigger(&auth.principal(), req).await?.into()))
}

/// A Jenkins server to add.
#[derive(Deserialize, ToSchema)]
#[schema(as = AnsFlowJenkinsServerCreate)]
pub struct CreateBody {
    /// A name, 1–100 characters, unique among your servers.
    pub name: String,
    /// The base URL (http/https).
    pub url: String,
    /// The Jenkins user.
    pub username: String,
    /// Its API token or password; stored encrypted, never returned.
    pub credential: String,
    /// `api_token` (default) or `password`.
    pub credential_kind: Option<String>,
    /// Make it your default server.
    pub is_default: Option<bool>,
}

/// Adds a Jenkins server.
#[utoipa::path(
    post, path = "/api/v1/integrations/jenkins/servers", tag = "AnsFlow", security(("bearer" = [])),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The new server", body = AnsFlowJenkinsServer),
        (status = 400, description = "VALIDATION_ERROR (a URL on a loopback or private address needs an administrator)"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 409, description = "RESOURCE_CONFLICT: you have a server of that name"),
    )
)]
pub async fn create_server(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    ApiJson(b): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<AnsFlowJenkinsServer>), ApiError> {
    let new = NewJenkinsServer {
        name: b.name,
        url: b.url,
        username: b.username,
        credential: b.credential,
        credential_kind: b.credential_kind,
        is_default: b.is_default.unwrap_or(false),
    };
    let created = state.jenkins.create(&auth.principal(), new).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Your Jenkins servers, by name.
#[utoipa::path(
    get, path = "/api/v1/integrations/jenkins/servers", tag = "AnsFlow", security(("bearer" = [])),
    responses(
        (status = 200, description = "The servers", body = Vec<AnsFlowJenkinsServer>),
        (status = 401, description = "AUTHENTICATION_ERROR"),
    )
)]
pub async fn list_servers(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
) -> Result<Json<Vec<AnsFlowJenkinsServer>>, ApiError> {
    let all = state.jenkins.list(&auth.principal()).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// One Jenkins server.
#[utoipa::path(
    get, path = "/api/v1/integrations/jenkins/servers/{id}", tag = "AnsFlow", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Server id")),
    responses(
        (status = 200, description = "The server", body = AnsFlowJenkinsServer),
        (status = 400, description = "VALIDATION_ERROR: the id is not a positive integer"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such server of yours"),
    )
)]
pub async fn get_server(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<AnsFlowJenkinsServer>, ApiError> {
    Ok(Json(state.jenkins.get(&auth.principal(), id).await?.into()))
}

/// Fields to change; the ones left out stay.
#[derive(Deserialize, ToSchema)]
#[schema(as = AnsFlowJenkinsServerUpdate)]
pub struct UpdateBody {
    /// New name.
    pub name: Option<String>,
    /// New base URL.
    pub url: Option<String>,
    /// New Jenkins user.
    pub username: Option<String>,
    /// New API token or password.
    pub credential: Option<String>,
    /// New credential kind.
    pub credential_kind: Option<String>,
    /// Make it your default (`true`) or not.
    pub is_default: Option<bool>,
}

/// Changes a Jenkins server.
#[utoipa::path(
    put, path = "/api/v1/integrations/jenkins/servers/{id}", tag = "AnsFlow", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Server id")), request_body = UpdateBody,
    responses(
        (status = 200, description = "The changed server", body = AnsFlowJenkinsServer),
        (status = 400, description = "VALIDATION_ERROR"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such server of yours"),
        (status = 409, description = "RESOURCE_CONFLICT: you have a server of that name"),
    )
)]
pub async fn update_server(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<UpdateBody>,
) -> Result<Json<AnsFlowJenkinsServer>, ApiError> {
    let changes = JenkinsServerChanges {
        name: b.name,
        url: b.url,
        username: b.username,
        credential: b.credential,
        credential_kind: b.credential_kind,
        is_default: b.is_default,
    };
    Ok(Json(state.jenkins.update(&auth.principal(), id, changes).await?.into()))
}

/// Deletes a Jenkins server (the builds it ran keep their jobs).
#[utoipa::path(
    delete, path = "/api/v1/integrations/jenkins/servers/{id}", tag = "AnsFlow", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Server id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such server of yours"),
    )
)]
pub async fn delete_server(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    state.jenkins.delete(&auth.principal(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A build as it stands: queue item, number, result and console so far.
#[utoipa::path(
    get, path = "/api/v1/integrations/jenkins/builds/{job_id}", tag = "AnsFlow", security(("bearer" = [])),
    params(("job_id" = i64, Path, description = "The job a trigger answered")),
    responses(
        (status = 200, description = "The build", body = AnsFlowJenkinsBuild),
        (status = 400, description = "VALIDATION_ERROR: the id is not a positive integer"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such build of yours"),
    )
)]
pub async fn build(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    PathId(id): PathId,
) -> Result<Json<AnsFlowJenkinsBuild>, ApiError> {
    Ok(Json(state.jenkins.build(&auth.principal(), id).await?.into()))
}
