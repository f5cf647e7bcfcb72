//! Perfect21 (`000`): `http://localhost:8000`, `{success, …}` bodies.

mod auth;
mod git_flow;
mod git_flow_views;
mod health;
mod hooks;
mod hooks_views;
pub mod messages;
mod metrics;
mod repositories;
mod repositories_views;
pub mod tasks;
pub mod views;
mod workflow_views;
mod workflows;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Perfect21's routes (the ones it shares with other documents are in `shared`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(health::status))
        .routes(routes!(health::auth_health))
        .routes(routes!(auth::verify))
        .routes(routes!(auth::verify_email))
        .routes(routes!(auth::update_profile))
        .routes(routes!(auth::admin_users))
        .routes(routes!(auth::security_stats))
        .routes(routes!(tasks::run))
        .routes(routes!(tasks::run_async))
        .routes(routes!(tasks::get))
        .routes(routes!(tasks::socket))
        .routes(routes!(workflows::templates))
        .routes(routes!(workflows::execute))
        .routes(routes!(workflows::status))
        .routes(routes!(metrics::metrics))
        .routes(routes!(metrics::gates))
        .routes(routes!(git_flow::run))
        .routes(routes!(hooks::install))
        .routes(routes!(repositories::list, repositories::register))
        .routes(routes!(repositories::get, repositories::delete))
        .routes(routes!(repositories::set_default))
}
