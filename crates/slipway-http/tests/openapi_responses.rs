//! The OpenAPI document's responses: every operation documents its success body and its error answers, and
//! the error schemas describe what the renderer really writes, on every surface.
#![allow(clippy::unwrap_used)]

mod common;

use common::{method, send};
use serde_json::{Value, json};
use slipway_core::{CodeProblem, Error, FieldError};
use slipway_http::error::{ErrorContext, render};
use slipway_http::lang::Lang;
use slipway_http::surface::{Shape, Surface};

fn document() -> Value {
    serde_json::to_value(slipway_http::openapi::document()).unwrap()
}

/// A response, or the component it refers to.
fn resolve<'a>(doc: &'a Value, resp: &'a Value) -> &'a Value {
    match resp["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/responses/")) {
        Some(name) => &doc["components"]["responses"][name],
        None => resp,
    }
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            all.push((verb.to_uppercase(), path.clone(), op.clone()));
        }
    }
    all
}

#[test]
fn every_operation_documents_a_success_body_with_a_schema() {
    let doc = document();
    for (verb, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        let success: Vec<(&String, &Value)> =
            responses.iter().filter(|(code, _)| code.starts_with('2') || code.as_str() == "101").collect();
        assert!(!success.is_empty(), "{verb} {path} documents no success");
        for (code, resp) in success {
            if code == "204" || code == "101" {
                continue;
            }
            let content = resp["content"].as_object();
            assert!(content.is_some_and(|c| !c.is_empty()), "{verb} {path} {code} documents no body");
            for (media, c) in content.unwrap() {
                assert!(c.get("schema").is_some() || c.get("itemSchema").is_some(), "{verb} {path} {code} {media}");
            }
        }
    }
}

#[test]
fn every_operation_documents_its_errors_in_its_routes_shape() {
    let doc = document();
    for (verb, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        assert!(responses.contains_key("default"), "{verb} {path}: no default error answer");
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty() && s.iter().all(|r| r != &json!({})));
        if secured {
            assert!(responses.contains_key("401"), "{verb} {path} needs a token but documents no 401");
        }
        let with_input = op.get("requestBody").is_some() || op["parameters"].as_array().is_some_and(|p| !p.is_empty());
        if with_input {
            assert!(
                responses.contains_key("400") || responses.contains_key("422"),
                "{verb} {path} takes input but documents no validation error"
            );
        }
        for (code, resp) in responses.iter().filter(|(c, _)| c.starts_with(['4', '5'])) {
            let body = &resolve(&doc, resp)["content"]["application/json"]["schema"];
            assert!(body.is_object(), "{verb} {path} {code} documents no error body");
        }
        let schema = &resolve(&doc, &responses["default"])["content"]["application/json"]["schema"];
        assert!(schema.get("$ref").is_some() || schema.get("allOf").is_some(), "{verb} {path}: {schema}");
    }
    let limited = &doc["paths"]["/api/auth/login"]["post"]["responses"];
    assert!(resolve(&doc, &limited["429"])["headers"]["Retry-After"].is_object(), "{limited}");
    assert!(limited["401"]["content"]["application/json"]["schema"]["allOf"].is_array(), "{limited}");
    let limited_422 = resolve(&doc, &doc["paths"]["/api/llm-configs"]["post"]["responses"]["422"]);
    assert!(limited_422["headers"]["X-RateLimit-Reset"].is_object(), "{limited_422}");
    assert!(limited["200"]["headers"]["X-RateLimit-Remaining"].is_object(), "{limited}");
}

#[tokio::test]
async fn every_operation_that_refuses_anonymous_callers_says_it_needs_a_token() {
    let (app, _db, _dir) = common::app().await;
    let doc = document();
    for (verb, path, op) in operations(&doc) {
        let sample = slipway_http::surface::sample_path(&path);
        let r = send(&app, method(&verb, &sample)).await;
        if r.status == 401 {
            assert!(op["responses"].get("401").is_some(), "{verb} {path} answers 401 but does not document it");
            assert!(op.get("security").is_some(), "{verb} {path} answers 401 but declares no security");
        }
    }
}

/// A JSON Schema validator for one component, resolving references inside the document.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let root = json!({ "allOf": [schema], "components": doc["components"] });
    jsonschema::draft202012::new(&root).unwrap()
}

fn sample_errors() -> Vec<Error> {
    vec![
        Error::Validation(vec![FieldError::body("name", "missing", "field required")]),
        Error::MalformedRequest("expected value at line 1".into()),
        Error::MalformedHead("cannot be parsed".into()),
        Error::UnsupportedMediaType("json".into()),
        Error::Unauthenticated,
        Error::InvalidToken,
        Error::Forbidden("admins only".into()),
        Error::UserExists { field: "email" },
        Error::InvalidCredentials,
        Error::VerificationCode(CodeProblem::Used),
        Error::NotFound("task".into()),
        Error::Conflict("taken".into()),
        Error::RouteNotFound,
        Error::MethodNotAllowed,
        Error::PayloadTooLarge { limit_bytes: 10 },
        Error::UriTooLong,
        Error::HeaderFieldsTooLarge,
        Error::RateLimited { retry_after_secs: 3 },
        Error::Timeout,
        Error::InvalidConfiguration("bad key".into()),
        Error::Unavailable("db".into()),
        Error::Internal("boom".into()),
    ]
}

#[tokio::test]
async fn the_error_schemas_describe_what_every_surface_renders() {
    let doc = document();
    let routes: Vec<(&str, &str, Shape)> = vec![
        ("GET", "/api/quality/gates", Shape::One(Surface::Perfect21)),
        ("GET", "/api/llm-configs", Shape::One(Surface::Resoft)),
        ("GET", "/api/users/me/", Shape::One(Surface::AnsFlow)),
        ("GET", "/api/tasks", Shape::One(Surface::Qoder)),
        ("GET", "/api/v1/tasks/", Shape::One(Surface::PetPlan)),
        ("POST", "/api/auth/login", slipway_http::surface::shape_for("POST", "/api/auth/login")),
    ];
    for (verb, path, shape) in routes {
        let op = &doc["paths"][path][verb.to_lowercase()];
        let schema = &resolve(&doc, &op["responses"]["default"])["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{verb} {path} is not documented");
        let check = validator(&doc, schema);
        for lang in [Lang::Doc, Lang::En] {
            for err in sample_errors() {
                let ctx = ErrorContext { shape, method: verb, path, request_id: "r-1", lang };
                let resp = render(&ctx, &err);
                let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
                let body: Value = serde_json::from_slice(&body).unwrap();
                let problems: Vec<String> = check.iter_errors(&body).map(|e| e.to_string()).collect();
                assert!(problems.is_empty(), "{verb} {path} {err:?}: {body} breaks its schema: {problems:?}");
            }
        }
    }
}
