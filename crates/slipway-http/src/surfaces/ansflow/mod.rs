//! AnsFlow (`002`): Django REST framework style, trailing slashes, `{error: {code, message, details}}` errors.

mod auth;
mod jenkins;
pub mod jenkins_views;
mod links;
pub mod messages;
pub mod pipeline_run_views;
mod pipeline_runs;
pub mod pipeline_views;
mod pipelines;
mod step_types;
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
        .routes(routes!(step_types::list))
        .routes(routes!(webhooks::github))
        .routes(routes!(webhooks::gitlab))
        .routes(routes!(webhooks::deliveries))
}
