//! Documents every operation's error answers: the statuses its route can give (from the same rules the error
//! renderer applies), each with the route's error body, plus the rate-limit headers of limited routes. Each
//! kind of answer is one response component per shape, which operations refer to.

use std::collections::BTreeMap;

use axum::http::Method;
use slipway_core::{Error, FieldError};
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::schema::{AllOf, Object, Schema, Type};
use utoipa::openapi::{Content, Header, OpenApi, Ref, RefOr, Response};

use super::error_bodies::schema_name;
use crate::error::status_for;
use crate::middleware::rate_limit::is_limited;
use crate::surface::{Shape, Surface, shape_for};

const RATE_HEADERS: &[(&str, &str)] = &[
    ("X-RateLimit-Limit", "Requests allowed in the current window"),
    ("X-RateLimit-Remaining", "Requests left in the current window"),
    ("X-RateLimit-Reset", "When the window resets (epoch seconds)"),
];

/// A shape's name in component names: its document's error schema, or its claimants' joined.
fn shape_name(shape: Shape) -> String {
    match shape {
        Shape::One(s) => schema_name(s).to_owned(),
        Shape::Union(all) => all.iter().map(|s| schema_name(*s)).collect::<Vec<_>>().join("-"),
    }
}

/// The error body schema of a route: its document's, or for shared routes every claimant's at once.
fn body_schema(shape: Shape) -> RefOr<Schema> {
    let reference = |s: Surface| RefOr::Ref(Ref::from_schema_name(schema_name(s)));
    match shape {
        Shape::One(s) => reference(s),
        Shape::Union(all) => {
            let mut union = AllOf::new();
            union.items = all.iter().copied().map(reference).collect();
            RefOr::T(Schema::AllOf(union))
        }
    }
}

/// Whether calling the operation needs a token (a requirement list without an empty, anonymous entry).
fn secured(op: &Operation) -> bool {
    op.security.as_ref().is_some_and(|reqs| {
        !reqs.is_empty()
            && reqs.iter().all(|r| serde_json::to_value(r).is_ok_and(|v| v.as_object().is_some_and(|o| !o.is_empty())))
    })
}

fn has_parameters_in(op: &Operation, place: ParameterIn) -> bool {
    op.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.parameter_in == place,
        RefOr::Ref(_) => false,
    })
}

/// The errors an operation can answer with, each with its kind's name and when it happens.
fn errors_of(op: &Operation) -> Vec<(Error, &'static str, &'static str)> {
    let with_body = op.request_body.is_some();
    let with_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut errors = Vec::new();
    if with_body || with_params {
        let field = FieldError::body("field", "value_error", "invalid");
        errors.push((Error::Validation(vec![field]), "validation", "A parameter or a field of the body is invalid"));
    }
    if with_body {
        errors.push((Error::MalformedRequest("syntax".into()), "malformed", "The body cannot be parsed"));
        errors.push((
            Error::PayloadTooLarge { limit_bytes: 0 },
            "too_large",
            "The body is larger than the server accepts",
        ));
        errors.push((
            Error::UnsupportedMediaType("json".into()),
            "media_type",
            "The body is not of a type this route reads",
        ));
    }
    if secured(op) {
        errors.push((Error::Unauthenticated, "unauthenticated", "No token, or the token is invalid or expired"));
    }
    if has_parameters_in(op, ParameterIn::Path) {
        errors.push((Error::NotFound("resource".into()), "not_found", "No such resource, or not the caller's"));
    }
    errors
}

fn error_response(description: &str, schema: &RefOr<Schema>) -> Response {
    let mut resp = Response::new(description);
    resp.content.insert("application/json".into(), Content::new(Some(schema.clone())).into());
    resp
}

fn integer_header(description: &str) -> RefOr<Header> {
    let mut header = Header::new(Object::with_type(Type::Integer));
    header.description = Some(description.to_owned());
    RefOr::T(header)
}

fn with_rate_headers(resp: &mut Response) {
    for (name, description) in RATE_HEADERS {
        resp.headers.entry((*name).to_owned()).or_insert_with(|| integer_header(description));
    }
}

/// Documents one operation's errors as references to `components` (adding the components it needs).
fn describe(method: &Method, path: &str, op: &mut Operation, components: &mut BTreeMap<String, RefOr<Response>>) {
    let shape = shape_for(method.as_str(), path);
    let first = match shape {
        Shape::One(s) => s,
        Shape::Union(all) => all.first().copied().unwrap_or(Surface::Perfect21),
    };
    let limited = is_limited(method, path);
    let mut errors = errors_of(op);
    if limited {
        let err = Error::RateLimited { retry_after_secs: 1 };
        errors.push((err, "rate_limited", "Too many requests; `Retry-After` says when to retry"));
    }
    let default = "Any other error (a server fault, an unavailable dependency …), in the route's shape";
    let answers = errors
        .into_iter()
        .map(|(err, kind, description)| (status_for(first, &err).to_string(), kind, description))
        .chain([("default".to_owned(), "other", default)]);
    for (status, kind, description) in answers {
        if op.responses.responses.contains_key(&status) {
            continue;
        }
        let name = format!("{}.{kind}{}", shape_name(shape), if limited { ".limited" } else { "" });
        components.entry(name.clone()).or_insert_with(|| {
            let mut resp = error_response(description, &body_schema(shape));
            if limited {
                with_rate_headers(&mut resp);
            }
            if kind == "rate_limited" {
                resp.headers.insert("Retry-After".into(), integer_header("Seconds to wait"));
            }
            resp.into()
        });
        op.responses.responses.insert(status, RefOr::Ref(Ref::from_response_name(name)));
    }
    // Statuses an annotation documents itself keep its description and get the route's error body.
    let schema = body_schema(shape);
    for (status, resp) in &mut op.responses.responses {
        let RefOr::T(resp) = resp else { continue };
        if limited {
            with_rate_headers(resp);
        }
        if status.starts_with(['4', '5']) && resp.content.is_empty() {
            resp.content.insert("application/json".into(), Content::new(Some(schema.clone())).into());
        }
        if status == "429" {
            resp.headers.entry("Retry-After".into()).or_insert_with(|| integer_header("Seconds to wait"));
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (Method, &mut Operation)> {
    [
        (Method::GET, item.get.as_mut()),
        (Method::PUT, item.put.as_mut()),
        (Method::POST, item.post.as_mut()),
        (Method::DELETE, item.delete.as_mut()),
        (Method::PATCH, item.patch.as_mut()),
        (Method::HEAD, item.head.as_mut()),
        (Method::OPTIONS, item.options.as_mut()),
        (Method::TRACE, item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
}

/// Adds every operation's error answers (kept where an annotation already documents a status).
pub fn describe_errors(api: &mut OpenApi) {
    let components = &mut api.components.get_or_insert_with(Default::default).responses;
    for (path, item) in &mut api.paths.paths {
        for (method, op) in operations(item) {
            describe(&method, path, op, components);
        }
    }
}
