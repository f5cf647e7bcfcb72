//! AnsFlow's live run view, `WS /ws/pipeline-runs/{run_id}`: the run's job log replayed, then live, as
//! `pipeline_status_update` and `step_log` messages; the socket closes normally after the run's final status.
//! Who may follow a run is the pipelines service's rule, checked before the upgrade.

use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use serde::Deserialize;
use slipway_core::FieldError;
use utoipa::IntoParams;

use super::pipeline_run_socket_views::{AnsFlowRunMessage, RunFeed};
use crate::error::ApiError;
use crate::extract::{ApiQuery, PathId, StreamUser};
use crate::realtime::ws;
use crate::state::AppState;

/// Where to resume (the token, `?token=` or `?access_token=`, is read by [`StreamUser`]).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunSocketQuery {
    /// Resume after this event sequence number (the `seq` of the last message seen); messages of later events
    /// follow, computed from the whole log so `current_step` and `progress` are right from the first one.
    pub after: Option<i64>,
}

/// Follows a run live: every `pipeline_status_update` (a step started or ended, the progress moved, the run's
/// status changed) and every `step_log` line in order, from the start of the run (or after `?after=`), then
/// live; the socket closes with 1000 after the final status.
#[utoipa::path(
    get, path = "/ws/pipeline-runs/{run_id}", tag = "AnsFlow", security(("bearer" = [])),
    params(
        ("run_id" = i64, Path, description = "Run id"),
        ("token" = Option<String>, Query,
         description = "The access token, for browsers' `WebSocket`, which cannot send `Authorization: Bearer`"),
        RunSocketQuery,
    ),
    responses(
        (status = 101, description = "Switching to WebSocket: each text message is one `AnsFlowRunMessage` \
                                      (`current_step.id` is the step's position, from 0)",
         body = AnsFlowRunMessage),
        (status = 400, description = "VALIDATION_ERROR: a bad run id or `after`"),
        (status = 401, description = "AUTHENTICATION_ERROR: no valid token in `Authorization` or `?token=`"),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such run of yours"),
    )
)]
pub async fn socket(
    State(state): State<AppState>,
    StreamUser(auth): StreamUser,
    PathId(run_id): PathId,
    ApiQuery(q): ApiQuery<RunSocketQuery>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let after = match q.after {
        Some(n) if n < 0 => {
            return Err(slipway_core::Error::Validation(vec![FieldError::query(
                "after",
                "value_error",
                "must be a sequence number, 0 or more",
            )])
            .into());
        }
        other => other.unwrap_or(0),
    };
    // From the start: the fold needs the whole log to know the current step; it stays silent up to `after`.
    let events = state.pipelines.follow(&auth.principal(), run_id, 0).await?;
    let mut feed = RunFeed::new(run_id, after);
    Ok(upgrade.on_upgrade(move |socket| {
        ws::pump(socket, events, move |e| feed.message(e).and_then(|m| serde_json::to_value(m).ok()))
    }))
}
