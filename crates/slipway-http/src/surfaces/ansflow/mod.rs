//! AnsFlow (`002`): Django REST framework style, trailing slashes, `{error: {code, message, details}}` errors.

mod auth;
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
}
