//! The interactive documentation ResoftAI documents at `/docs`, and the OpenAPI document behind it.

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::get;
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{Content, OpenApi, ResponseBuilder};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// Where the interactive documentation lives (ResoftAI documents `/docs`).
pub const DOCS_PATH: &str = "/docs";
/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";

/// Lists the documentation routes themselves in the document, under ResoftAI.
pub fn describe_docs_routes(api: &mut OpenApi) {
    let docs = OperationBuilder::new()
        .tag("ResoftAI")
        .summary(Some("Interactive API documentation (Swagger UI, served offline)"))
        .response(
            "200",
            ResponseBuilder::new()
                .description("HTML page")
                .content("text/html", Content::new(Some(Object::with_type(Type::String)))),
        )
        .build();
    api.paths.add_path_operation(DOCS_PATH, vec![HttpMethod::Get], docs);
    let spec = OperationBuilder::new()
        .tag("ResoftAI")
        .summary(Some("This OpenAPI 3.1 document"))
        .response(
            "200",
            ResponseBuilder::new()
                .description("OpenAPI document")
                .content("application/json", Content::new(Some(Object::with_type(Type::Object)))),
        )
        .build();
    api.paths.add_path_operation(OPENAPI_PATH, vec![HttpMethod::Get], spec);
}

/// The Swagger UI page (every asset embedded in the binary) and the OpenAPI document. The document is
/// serialized once and served from those bytes: the typed document it came from (several times their size in
/// memory) is dropped.
pub fn docs_routes<S: Clone + Send + Sync + 'static>(api: OpenApi) -> Router<S> {
    let spec = Bytes::from(serde_json::to_vec(&api).unwrap_or_default());
    drop(api);
    let serve = move || {
        let spec = spec.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], spec) }
    };
    Router::new().route(OPENAPI_PATH, get(serve)).merge(SwaggerUi::new(DOCS_PATH).config(Config::from(OPENAPI_PATH)))
}
