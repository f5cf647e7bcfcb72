//! The interactive documentation ResoftAI documents at `/docs`, and the OpenAPI document behind it.

use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{Content, OpenApi, ResponseBuilder};
use utoipa_swagger_ui::SwaggerUi;

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

/// The Swagger UI page and the OpenAPI document, with every asset embedded in the binary.
pub fn docs_ui(api: OpenApi) -> SwaggerUi {
    SwaggerUi::new(DOCS_PATH).url(OPENAPI_PATH, api)
}
