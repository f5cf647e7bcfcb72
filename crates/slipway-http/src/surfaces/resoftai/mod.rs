//! ResoftAI (`001`): `http://localhost:8000/api`, FastAPI-style bodies.

mod activities;
mod activity_views;
mod auth;
pub mod docs;
pub mod file_views;
pub mod files;
mod llm_configs;
pub mod messages;
mod organization_views;
mod organizations;
mod project_download;
mod project_views;
mod projects;
mod quota_views;
mod quotas;
mod team_views;
mod teams;
mod template_views;
mod templates;
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
        .routes(routes!(projects::create, projects::list))
        .routes(routes!(projects::get, projects::update, projects::delete))
        .routes(routes!(projects::execute))
        .routes(routes!(projects::stop))
        .routes(routes!(projects::resume))
        .routes(routes!(activities::list))
        .routes(routes!(activities::get))
        .routes(routes!(templates::list))
        .routes(routes!(templates::get))
        .routes(routes!(templates::apply))
        .routes(routes!(files::upload, files::list))
        .routes(routes!(files::get, files::update, files::delete))
        .routes(routes!(files::download))
        .routes(routes!(files::versions))
        .routes(routes!(files::restore))
        .routes(routes!(project_download::download))
        .routes(routes!(organizations::create, organizations::list))
        .routes(routes!(organizations::get, organizations::update))
        .routes(routes!(organizations::teams))
        .routes(routes!(teams::create))
        .routes(routes!(teams::get))
        .routes(routes!(teams::add_member))
        .routes(routes!(teams::change_role))
        .routes(routes!(teams::remove_member))
        .routes(routes!(quotas::list))
        .routes(routes!(quotas::update))
}
