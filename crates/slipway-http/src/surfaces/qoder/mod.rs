//! qoder (`003`): `:8080`, `{code, message, data}` with HTTP status = code: users, scheduled tasks, servers and
//! deployments and their monitoring.

mod alert_views;
mod deployment_views;
mod deployments;
pub mod messages;
mod monitor;
mod monitor_alerts;
mod monitor_views;
mod server_views;
mod servers;
mod task_views;
mod tasks;
mod users;
pub mod views;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// qoder's routes (its login, refresh, profile and logout are shared ones).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(tasks::list, tasks::create))
        .routes(routes!(tasks::get, tasks::update, tasks::delete))
        .routes(routes!(tasks::run))
        .routes(routes!(tasks::runs))
        .routes(routes!(servers::list, servers::create))
        .routes(routes!(servers::operators))
        .routes(routes!(servers::grant, servers::revoke))
        .routes(routes!(servers::get, servers::update, servers::delete))
        .routes(routes!(servers::test))
        .routes(routes!(servers::accept_host_key))
        .routes(routes!(deployments::list, deployments::create))
        .routes(routes!(deployments::get))
        .routes(routes!(deployments::cancel))
        .routes(routes!(deployments::rollback))
        .routes(routes!(monitor::add))
        .routes(routes!(monitor::remove))
        .routes(routes!(monitor::metrics))
        .routes(routes!(monitor::status))
        .routes(routes!(monitor::history))
        .routes(routes!(monitor::stats))
        .routes(routes!(monitor::dashboard))
        .routes(routes!(monitor_alerts::list_rules, monitor_alerts::create_rule))
        .routes(routes!(monitor_alerts::update_rule, monitor_alerts::delete_rule))
        .routes(routes!(monitor_alerts::alerts))
}
