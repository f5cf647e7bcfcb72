//! Slipway's HTTP application: the middleware stack, the error shapes of the five seed documents, the
//! surfaces that translate them, and the OpenAPI document.
//!
//! Surfaces translate; services decide. A handler extracts, calls one service, and renders.

pub mod connection;
pub mod contract;
pub mod error;
pub mod extract;
pub mod json;
pub mod lang;
pub mod middleware;
pub mod openapi;
pub mod realtime;
pub mod state;
pub mod surface;
pub mod surfaces;

use axum::Router;

pub use error::{ApiError, RenderedError};
pub use middleware::HttpSettings;
pub use state::{AppParts, AppState, Limits, NodeInfo};

async fn route_not_found() -> ApiError {
    ApiError(slipway_core::Error::RouteNotFound)
}

/// The whole application with its middleware; the server and the in-process tests use the same one.
pub fn router(state: AppState) -> Router {
    let (routes, mut api) = openapi::api_router().split_for_parts();
    openapi::finish(&mut api);
    let app = routes
        .merge(surfaces::resoftai::docs::docs_routes(api))
        .fallback(route_not_found)
        .layer(realtime::socketio::layer(state.clone()));
    let uploads = middleware::StreamedUploads {
        routes: surfaces::resoftai::files::STREAMED_UPLOADS,
        file_limit: state.factory.files().max_bytes(),
    };
    let app = middleware::limit_bodies_streaming(app, state.http.body_limit, uploads)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::rate_limit::rate_limit))
        .with_state(state.clone());
    middleware::apply(app, &state.http, state.http_stats.clone())
}
