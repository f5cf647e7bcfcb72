//! AnsFlow (`002`): Django REST framework style, trailing slashes, `{error: {code, message, details}}` errors;
//! its FastAPI side (`/api/v1/…`, the live run view `/ws/pipeline-runs/{run_id}`) answers in the same shape.

mod auth;
mod jenkins;
pub mod jenkins_views;
mod links;
pub mod messages;
mod pipeline_run_socket;
pub mod pipeline_run_socket_views;
pub mod pipeline_run_views;
mod pipeline_runs;
pub mod pipeline_views;
mod pipelines;
mod step_types;
mod system_status;
pub mod views;
pub mod webhook_views;
mod webhooks;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// AnsFlow's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::me))
        .routes(routes!(auth::list_users))
        .routes(routes!(jenkins::trigger))
        .routes(routes!(jenkins::list_servers, jenkins::create_server))
        .routes(routes!(jenkins::get_server, jenkins::update_server, jenkins::delete_server))
        .routes(routes!(jenkins::build))
        .routes(routes!(pipelines::list, pipelines::create))
        .routes(routes!(pipelines::get, pipelines::put, pipelines::patch, pipelines::delete))
        .routes(routes!(pipeline_runs::run))
        .routes(routes!(pipeline_runs::list))
        .routes(routes!(pipeline_runs::detail))
        .routes(routes!(pipeline_runs::cancel))
        .routes(routes!(pipeline_runs::restart))
        .routes(routes!(pipeline_runs::artifacts))
        .routes(routes!(pipeline_runs::download))
        .routes(routes!(pipeline_run_socket::socket))
        .routes(routes!(step_types::list))
        .routes(routes!(system_status::status))
        .routes(routes!(webhooks::github))
        .routes(routes!(webhooks::gitlab))
        .routes(routes!(webhooks::deliveries))
}
