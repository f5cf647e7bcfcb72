//! The OpenAPI 3.1 document: every served route, grouped by seed document, with its error answers.

mod error_bodies;
mod error_responses;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

pub use error_bodies::{
    AnsFlowError, AnsFlowErrorInfo, ErrorField, Perfect21Error, PetPlanError, QoderError, ResoftAiError,
    ResoftAiErrorDetail,
};

use crate::state::AppState;
use crate::surfaces;

/// Declares the bearer scheme the `security(("bearer" = []))` routes refer to.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some("An access token from any of the login routes"))
            .build();
        api.components.get_or_insert_with(Default::default).add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The document's frame: title and one tag per seed.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Slipway",
        description = "One server for five API contracts: Perfect21 (000), ResoftAI (001), AnsFlow (002), \
                       qoder (003) and the pet diet planner (004). Each route answers in its own document's shape; \
                       routes several documents claim answer with the union of their shapes."
    ),
    modifiers(&BearerScheme),
    components(schemas(
        ErrorField, Perfect21Error, ResoftAiErrorDetail, ResoftAiError, AnsFlowErrorInfo, AnsFlowError, QoderError,
        PetPlanError,
    )),
    tags(
        (name = "Perfect21", description = "Seed 000: AI development platform (auth, dev tasks, git-flow, metrics)"),
        (name = "ResoftAI", description = "Seed 001: multi-agent software factory (projects, files, LLM configs, enterprise)"),
        (name = "AnsFlow", description = "Seed 002: CI/CD pipelines, webhooks, Jenkins"),
        (name = "qoder", description = "Seed 003: ops platform (users, servers, deployments, scheduled tasks, monitoring)"),
        (name = "Pet planner", description = "Seed 004: auth with e-mail codes, AI diet plans and tasks over SSE"),
        (name = "Slipway", description = "Slipway's own API: jobs and their live events (SSE, WebSocket; Socket.IO at /socket.io/)"),
    )
)]
struct ApiDoc;

/// Every documented route, collected with its OpenAPI description.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(surfaces::routes())
}

/// Completes the collected document: the documentation routes themselves and every operation's errors.
pub fn finish(api: &mut utoipa::openapi::OpenApi) {
    surfaces::resoftai::docs::describe_docs_routes(api);
    error_responses::describe_errors(api);
}

/// The complete OpenAPI document, as served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = api_router().split_for_parts();
    finish(&mut api);
    api
}
