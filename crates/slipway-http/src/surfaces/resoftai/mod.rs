//! ResoftAI (`001`): `http://localhost:8000/api`, FastAPI-style bodies.

mod auth;
pub mod docs;
pub mod file_views;
pub mod files;
mod llm_configs;
pub mod messages;
mod project_download;
pub mod views;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// ResoftAI's routes (the ones it shares with other documents are in `shared`; `/docs` is mounted separately).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::me, auth::update_me))
        .routes(routes!(llm_configs::create, llm_configs::list))
        .routes(routes!(llm_configs::update, llm_configs::delete))
        .routes(routes!(llm_configs::test))
        .routes(routes!(files::upload, files::list))
        .routes(routes!(files::get, files::update, files::delete))
        .routes(routes!(files::download))
        .routes(routes!(files::versions))
        .routes(routes!(files::restore))
        .routes(routes!(project_download::download))
}
