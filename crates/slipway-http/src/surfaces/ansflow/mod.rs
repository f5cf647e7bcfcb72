//! AnsFlow (`002`): Django REST framework style, trailing slashes, `{error: {code, message, details}}` errors.

mod auth;
mod jenkins;
pub mod jenkins_views;
pub mod messages;
pub mod views;

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
}
