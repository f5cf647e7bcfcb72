//! Hostile input at the edge, on every operation of the OpenAPI document and on both backends: NUL characters
//! (which PostgreSQL refuses in text) in bodies, forms, query strings and path segments are 4xx answers in the
//! route's shape, never 5xx, for anonymous callers and for signed-in users alike.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use common::{Setup, TestApp, assert_error_shape};
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};
use slipway_llm::testing::MockProvider;
use slipway_store::{Db, backend_tests};
use tower::ServiceExt;

const NUL_TEXT: &str = "x\u{0}y";
const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// A schema with its `$ref` followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r.strip_prefix("#/components/schemas/").map_or(schema, |name| &doc["components"]["schemas"][name]),
        None => schema,
    }
}

/// The first non-null type a schema names.
fn type_of(schema: &Value) -> &str {
    match &schema["type"] {
        Value::String(t) => t,
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "",
    }
}

/// A value for `schema` that is valid where it can be, with NUL characters in every free text.
fn sample(doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(doc, schema);
    if depth > 6 {
        return Value::Null;
    }
    for combinator in ["allOf", "oneOf", "anyOf"] {
        if let Some(first) = schema[combinator]
            .as_array()
            .and_then(|all| all.iter().find(|s| type_of(resolve(doc, s)) != "null").or(all.first()))
        {
            return sample(doc, first, depth + 1);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    match type_of(schema) {
        "string" => match schema["format"].as_str() {
            Some("date-time") => json!("2026-01-01T00:00:00Z"),
            Some("date") => json!("2026-01-01"),
            Some("email") => json!(format!("{NUL_TEXT}@example.com")),
            _ => json!(NUL_TEXT),
        },
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "array" => json!([sample(doc, &schema["items"], depth + 1)]),
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (name, prop) in props {
                    out.insert(name.clone(), sample(doc, prop, depth + 1));
                }
            }
            if out.is_empty() {
                out.insert(NUL_TEXT.into(), json!(NUL_TEXT));
            }
            Value::Object(out)
        }
        _ => json!(NUL_TEXT),
    }
}

/// A form (`a=b&c=d`) of an object's scalar fields.
fn form_of(body: &Value) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in body.as_object().into_iter().flatten() {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => v.to_string(),
            _ => continue,
        };
        form.append_pair(k, &text);
    }
    form.finish()
}

fn percent(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// One request to send, described.
struct Probe {
    method: String,
    uri: String,
    content_type: Option<&'static str>,
    body: String,
    what: &'static str,
}

/// The requests that carry NUL characters to one operation: in its path, its query and its body.
fn probes(doc: &Value, method: &str, template: &str, op: &Value) -> Vec<Probe> {
    let params: Vec<&Value> = op["parameters"].as_array().map(|p| p.iter().collect()).unwrap_or_default();
    let path_with = |nul: bool| {
        let mut path = template.to_owned();
        for p in params.iter().filter(|p| p["in"] == "path") {
            let name = p["name"].as_str().unwrap();
            let value = if nul { percent(&format!("1{NUL_TEXT}")) } else { "1".to_owned() };
            path = path.replace(&format!("{{{name}}}"), &value);
        }
        path
    };
    let query: Vec<String> = params
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| {
            let value = match sample(doc, &p["schema"], 0) {
                Value::String(s) => s,
                other => other.to_string(),
            };
            format!("{}={}", percent(p["name"].as_str().unwrap()), percent(&value))
        })
        .collect();
    let content = &op["requestBody"]["content"];
    let json_schema = content.get("application/json").map(|c| &c["schema"]);
    let body = json_schema.map(|s| sample(doc, s, 0));
    let base = |uri: String, what| Probe {
        method: method.to_uppercase(),
        uri,
        content_type: body.as_ref().map(|_| "application/json"),
        body: body.as_ref().map(|b| b.to_string()).unwrap_or_default(),
        what,
    };
    let mut out = vec![base(path_with(true), "path")];
    if !query.is_empty() {
        out.push(base(format!("{}?{}", path_with(false), query.join("&")), "query"));
        // The same parameters again, with a NUL in the names too.
        out.push(base(format!("{}?{}&{}=1", path_with(false), query.join("&"), percent(NUL_TEXT)), "query name"));
    }
    if let Some(b) = &body {
        out.push(base(path_with(false), "body"));
        let mut with_key = b.clone();
        if let Some(map) = with_key.as_object_mut() {
            map.insert(NUL_TEXT.into(), json!(1));
            out.push(Probe { body: with_key.to_string(), ..base(path_with(false), "body key") });
        }
        if content.get("application/x-www-form-urlencoded").is_some() {
            out.push(Probe {
                content_type: Some("application/x-www-form-urlencoded"),
                body: form_of(b),
                ..base(path_with(false), "form")
            });
        }
    }
    out
}

/// Sends a request and reads its status, its headers and at most a few seconds of its body (streams do not end).
async fn send_briefly(app: &TestApp, probe: &Probe, token: Option<&str>) -> common::Reply {
    let mut b = Request::builder().method(probe.method.as_str()).uri(&probe.uri);
    if let Some(ct) = probe.content_type {
        b = b.header("content-type", ct);
    }
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let resp = app.router.clone().oneshot(b.body(Body::from(probe.body.clone())).unwrap()).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let rendered = resp.extensions().get::<slipway_http::RenderedError>().copied();
    let text = match tokio::time::timeout(Duration::from_secs(2), resp.into_body().collect()).await {
        Ok(Ok(body)) => String::from_utf8_lossy(&body.to_bytes()).into_owned(),
        _ => String::new(),
    };
    common::Reply { status, headers, text, rendered }
}

backend_tests! {
    async fn nul_characters_never_reach_the_store_on_any_route(db: Db) {
        // A provider answers, so routes that start agent work get past "no provider configured".
        let mock = MockProvider::start().await;
        let llm = slipway_llm::LlmSettings { server_default: Some(mock.config("anthropic")), ..Default::default() };
        let app = TestApp::new(db, Setup { llm, ..Setup::default() }).await;
        let doc = serde_json::to_value(slipway_http::openapi::document()).unwrap();
        let (mut user, _) = app.user("ann").await;
        let mut server_errors = Vec::new();
        let mut operations = 0;
        for (template, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap().iter().filter(|(m, _)| METHODS.contains(&m.as_str())) {
                operations += 1;
                for probe in probes(&doc, method, template, op) {
                    for caller in ["anonymous", "user"] {
                        let token = (caller == "user").then_some(user.as_str());
                        let r = send_briefly(&app, &probe, token).await;
                        if r.status.is_server_error() {
                            server_errors.push(format!("{} {} ({}, {caller}): {} {}", probe.method, probe.uri, probe.what, r.status, r.text));
                        } else if r.status.is_client_error() && !r.text.is_empty() {
                            let path = probe.uri.split('?').next().unwrap();
                            assert_error_shape(&probe.method, path, &r);
                        }
                    }
                    // A probe may have signed the user out (logout, password change): sign in again.
                    if app.state.identity.authenticate(&user).await.is_err() {
                        let r = app.json("POST", "/api/auth/login", json!({"identifier": "ann", "password": "Secret123!"}), None).await;
                        user = r.json()["access_token"].as_str().unwrap().to_owned();
                    }
                }
            }
        }
        assert!(operations > 50, "the document lists only {operations} operations");
        assert!(server_errors.is_empty(), "{} server errors:\n{}", server_errors.len(), server_errors.join("\n"));
    }
}

fn form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

backend_tests! {
    async fn nul_characters_are_refused_at_the_field_in_the_routes_shape(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;

        let r = app.json("POST", "/api/auth/login", json!({"identifier": "a\u{0}b", "password": "x"}), None).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_error_shape("POST", "/api/auth/login", &r);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "identifier"]), "{}", r.text);
        assert_eq!(r.json()["errors"][0]["type"], slipway_http::extract::NUL_KIND);

        let r = app.send(form("/api/auth/login", "username=a%00b&password=x")).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "username"]), "{}", r.text);

        let r = app.json("POST", "/api/v1/auth/login", json!({"username": "ann", "password": "x", "k\u{0}": 1}), None).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_error_shape("POST", "/api/v1/auth/login", &r);

        let r = app.call("GET", "/api/jobs?status=a%00b", Some(&ann)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["query", "status"]), "{}", r.text);

        let r = app.call("DELETE", "/api/llm-configs/1%00", Some(&ann)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["path", "config_id"]), "{}", r.text);
    }

    async fn bad_path_ids_keep_each_documents_answer(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        // ResoftAI (FastAPI): 422 located at the path parameter, not at the body.
        for path in ["/api/llm-configs/abc", "/api/llm-configs/0"] {
            let r = app.json("PUT", path, json!({"name": "x"}), Some(&root)).await;
            assert_eq!(r.status, 422, "{path}: {}", r.text);
            assert_eq!(r.json()["detail"][0]["loc"], json!(["path", "config_id"]), "{path}: {}", r.text);
            assert_error_shape("PUT", path, &r);
        }
        let r = app.call("GET", "/api/jobs/abc", Some(&root)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["path", "id"]), "{}", r.text);
        // qoder: 400 "ID无效".
        let r = app.call("GET", "/api/users/abc", Some(&root)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_error_shape("GET", "/api/users/abc", &r);
        // Perfect21 and the planner write ids as strings: a malformed one names nothing that exists.
        assert_eq!(app.call("GET", "/task/abc", Some(&root)).await.status, 404);
        assert_eq!(app.call("GET", "/api/v1/plans/abc", Some(&root)).await.status, 404);
    }
}
