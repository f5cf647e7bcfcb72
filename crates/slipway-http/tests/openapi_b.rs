//! The OpenAPI document of the ResoftAI, AnsFlow, qoder and shared routes: every request schema has a name of
//! its own, so each operation documents the body its handler really reads.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

/// The properties of the schema an operation's JSON request body refers to.
fn body_properties(doc: &Value, method: &str, path: &str) -> Vec<String> {
    let op = &doc["paths"][path][method];
    let schema = &op["requestBody"]["content"]["application/json"]["schema"];
    let name = schema["$ref"].as_str().unwrap_or_else(|| panic!("{method} {path}: no schema reference: {op}"));
    let name = name.trim_start_matches("#/components/schemas/");
    let props = doc["components"]["schemas"][name]["properties"].as_object().unwrap();
    props.keys().cloned().collect()
}

#[test]
fn each_request_body_names_its_own_schema() {
    let doc = serde_json::to_value(slipway_http::openapi::document()).unwrap();
    for (method, path, field) in [
        ("post", "/api/tasks", "cron"),
        ("put", "/api/tasks/{id}", "cron"),
        ("post", "/api/llm-configs", "provider"),
        ("put", "/api/llm-configs/{config_id}", "provider"),
        ("post", "/api/auth/refresh/", "refresh"),
        ("post", "/api/auth/refresh", "refresh_token"),
        ("post", "/api/auth/login/", "username"),
        ("post", "/api/auth/login", "identifier"),
        ("post", "/api/auth/register", "full_name"),
        ("post", "/api/auth/change-password", "current_password"),
        ("put", "/api/auth/me", "full_name"),
        ("post", "/api/users", "role"),
        ("put", "/api/users/{id}", "status"),
    ] {
        let props = body_properties(&doc, method, path);
        assert!(props.iter().any(|p| p == field), "{method} {path} documents {props:?}, not its `{field}`");
    }
    let login = body_properties(&doc, "post", "/api/auth/login/");
    assert!(!login.iter().any(|p| p == "identifier"), "AnsFlow's login is not the shared one: {login:?}");
    let refresh = body_properties(&doc, "post", "/api/auth/refresh/");
    assert!(!refresh.iter().any(|p| p == "refresh_token"), "{refresh:?}");
}

#[test]
fn the_job_event_stream_documents_its_content_type() {
    let doc = serde_json::to_value(slipway_http::openapi::document()).unwrap();
    let ok = &doc["paths"]["/api/jobs/{id}/events"]["get"]["responses"]["200"];
    assert!(ok["content"]["text/event-stream"]["schema"].is_object(), "{ok}");
    assert!(doc["paths"]["/api/jobs/{id}/ws"]["get"]["responses"]["101"].is_object());
}
