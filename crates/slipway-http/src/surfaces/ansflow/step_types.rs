//! AnsFlow's `GET /api/step-types/`: the step types this node runs, each with its config schema.

use axum::Json;
use axum::extract::State;

use super::pipeline_run_views::{AnsFlowStepType, AnsFlowStepTypes};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// The step types: `{results: [{id, name, description, category, icon, config_schema}]}`.
#[utoipa::path(
    get, path = "/api/step-types/", tag = "AnsFlow", security(("bearer" = [])),
    responses(
        (status = 200, description = "The step types", body = AnsFlowStepTypes),
        (status = 401, description = "AUTHENTICATION_ERROR"),
    )
)]
pub async fn list(State(state): State<AppState>, CurrentUser(_auth): CurrentUser) -> Json<AnsFlowStepTypes> {
    let results = state.pipelines.step_types().list().into_iter().map(AnsFlowStepType::from).collect();
    Json(AnsFlowStepTypes { results })
}
