//! The pet diet planner (`004`): `http://localhost:8000/api/v1`, `{code: 0, message, data}`.

mod auth;
pub mod messages;
mod plan_views;
pub mod plans;
pub mod views;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The planner's routes.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::send_code))
        .routes(routes!(auth::verify_code))
        .routes(routes!(auth::verify_register))
        .routes(routes!(auth::password_send_code))
        .routes(routes!(auth::password_reset))
        .routes(routes!(plans::create_plan))
        .routes(routes!(plans::history))
        .routes(routes!(plans::get_plan))
        .routes(routes!(plans::create_task, plans::list_tasks))
        .routes(routes!(plans::get_task))
        .routes(routes!(plans::cancel_task))
        .routes(routes!(plans::stream_task))
}
