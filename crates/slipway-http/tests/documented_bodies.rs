//! The qoder, AnsFlow and job routes answer exactly the success body their OpenAPI operation names: every key
//! the schema requires is there, every key sent is documented, and every value has the documented type.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Reply, TestApp};
use serde_json::{Value, json};
use slipway_store::{Db, backend_tests};

/// The schema `s` stands for, following `$ref`s into the document's components.
fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s["$ref"].as_str() {
        Some(r) => resolve(doc, &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")]),
        None => s,
    }
}

fn type_matches(ty: &str, v: &Value) -> bool {
    match ty {
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "null" => v.is_null(),
        _ => false,
    }
}

/// Where `v` departs from `schema`, as readable problems (none when it conforms).
fn problems(doc: &Value, schema: &Value, v: &Value, at: &str) -> Vec<String> {
    let s = resolve(doc, schema);
    if let Some(alternatives) = s["oneOf"].as_array() {
        let fits = alternatives.iter().any(|a| problems(doc, a, v, at).is_empty());
        return if fits { vec![] } else { vec![format!("{at}: {v} fits no alternative")] };
    }
    let mut out: Vec<String> =
        s["allOf"].as_array().into_iter().flatten().flat_map(|part| problems(doc, part, v, at)).collect();
    let types: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, v)) {
        out.push(format!("{at}: {v} is not {types:?}"));
    }
    if let Some(values) = s["enum"].as_array()
        && !values.contains(v)
    {
        out.push(format!("{at}: {v} is not one of {values:?}"));
    }
    if let (Some(props), Some(obj)) = (s["properties"].as_object(), v.as_object()) {
        for key in s["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(key) {
                out.push(format!("{at}: required `{key}` is missing"));
            }
        }
        for (key, value) in obj {
            match props.get(key) {
                Some(p) => out.extend(problems(doc, p, value, &format!("{at}.{key}"))),
                None => out.push(format!("{at}: `{key}` is not documented")),
            }
        }
    }
    if let (Some(items), Some(list)) = (s.get("items"), v.as_array()) {
        for (i, item) in list.iter().enumerate() {
            out.extend(problems(doc, items, item, &format!("{at}[{i}]")));
        }
    }
    out
}

/// Asserts that `r` is the documented success answer of `method template`, in JSON.
fn assert_documented(doc: &Value, method: &str, template: &str, r: &Reply) {
    let status = r.status.as_u16().to_string();
    let documented = &doc["paths"][template][method.to_lowercase()]["responses"][&status];
    let schema = &documented["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {template} {status} names no JSON body: {documented}");
    let found = problems(doc, schema, &r.json(), "body");
    assert!(found.is_empty(), "{method} {template} {status} departs from its schema: {found:#?}\n{}", r.text);
}

/// Waits until a run of task `id` has finished.
async fn wait_for_a_finished_run(app: &TestApp, token: &str, id: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = app.call("GET", &format!("/api/tasks/{id}/runs"), Some(token)).await;
        if r.json()["data"]["list"].as_array().unwrap().iter().any(|run| run["finished_at"].is_string()) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "no run finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

backend_tests! {
    async fn the_qoder_ansflow_and_job_routes_answer_their_documented_bodies(db: Db) {
        let doc = serde_json::to_value(slipway_http::openapi::document()).unwrap();
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let check = |m: &'static str, template: &'static str, r: Reply| {
            assert!(r.status.is_success(), "{m} {template}: {} {}", r.status, r.text);
            assert_documented(&doc, m, template, &r);
            r.json()
        };

        let signed_in = json!({"username": "root", "password": "Secret123!"});
        let s = check("POST", "/api/auth/login/", app.json("POST", "/api/auth/login/", signed_in, None).await);
        check("POST", "/api/auth/refresh/", app.json("POST", "/api/auth/refresh/", json!({"refresh": s["refresh"]}), None).await);
        check("GET", "/api/users/me/", app.call("GET", "/api/users/me/", Some(&root)).await);
        let ann = json!({"username": "ann", "email": "ann@example.com", "password": "abcdef", "role": "user"});
        let id = check("POST", "/api/users", app.json("POST", "/api/users", ann, Some(&root)).await)["data"]["id"].clone();
        let page = check("GET", "/api/users/", app.call("GET", "/api/users/?page=1&page_size=1", Some(&root)).await);
        assert!(page["next"].is_string() && page["previous"].is_null(), "{page}");
        check("GET", "/api/users", app.call("GET", "/api/users", Some(&root)).await);
        check("GET", "/api/users/{id}", app.call("GET", &format!("/api/users/{id}"), Some(&root)).await);
        check("PUT", "/api/users/{id}", app.json("PUT", &format!("/api/users/{id}"), json!({"status": 0}), Some(&root)).await);
        check("DELETE", "/api/users/{id}", app.call("DELETE", &format!("/api/users/{id}"), Some(&root)).await);

        let task = json!({"name": "hi", "cron": "0 3 * * *", "command": "echo hi", "enabled": false});
        let id = check("POST", "/api/tasks", app.json("POST", "/api/tasks", task, Some(&root)).await)["data"]["id"].clone();
        check("PUT", "/api/tasks/{id}", app.json("PUT", &format!("/api/tasks/{id}"), json!({"timeout": 5}), Some(&root)).await);
        let run = check("POST", "/api/tasks/{id}/run", app.call("POST", &format!("/api/tasks/{id}/run"), Some(&root)).await);
        wait_for_a_finished_run(&app, &root, id.as_i64().unwrap()).await;
        let runs = check("GET", "/api/tasks/{id}/runs", app.call("GET", &format!("/api/tasks/{id}/runs"), Some(&root)).await);
        assert!(runs["data"]["list"][0]["exit_code"].is_i64(), "the nullable fields were filled: {runs}");
        check("GET", "/api/tasks", app.call("GET", "/api/tasks", Some(&root)).await);
        check("GET", "/api/tasks/{id}", app.call("GET", &format!("/api/tasks/{id}"), Some(&root)).await);

        let job = &run["data"]["id"];
        check("GET", "/api/jobs", app.call("GET", "/api/jobs", Some(&root)).await);
        let finished = check("GET", "/api/jobs/{id}", app.call("GET", &format!("/api/jobs/{job}"), Some(&root)).await);
        assert!(finished["output"].is_object() && finished["finished_at"].is_string(), "{finished}");
        let events = app.call("GET", &format!("/api/jobs/{job}/events"), Some(&root)).await;
        let event_schema = &doc["paths"]["/api/jobs/{id}/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]["schema"];
        // Each event as it is framed (`id`, `event`, `data`), the schema's shape, with its data one job event.
        let frames: Vec<Value> = events
            .text
            .split("\n\n")
            .filter(|block| !block.trim().is_empty())
            .map(|block| {
                let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).unwrap_or_default().to_owned();
                json!({"id": field("id"), "event": field("event"), "data": field("data")})
            })
            .collect();
        assert!(frames.len() >= 2, "{}", events.text);
        for f in &frames {
            let found = problems(&doc, event_schema, f, "event");
            assert!(found.is_empty(), "{found:?}");
            let data: Value = serde_json::from_str(f["data"].as_str().unwrap()).unwrap();
            assert_eq!((data["seq"].to_string(), data["type"].as_str()), (f["id"].as_str().unwrap().to_owned(), f["event"].as_str()), "{f}");
            assert!(data["job_id"].is_i64() && data["at"].is_string() && data["payload"].is_object(), "{data}");
        }
        check("DELETE", "/api/tasks/{id}", app.call("DELETE", &format!("/api/tasks/{id}"), Some(&root)).await);

        let queued = app.state.engine.enqueue_system(None, "command", json!({"command": "sleep 60"}), Default::default()).await.unwrap();
        check("POST", "/api/jobs/{id}/cancel", app.call("POST", &format!("/api/jobs/{}/cancel", queued.id), Some(&root)).await);
    }
}

#[test]
fn an_undocumented_key_or_a_wrong_type_is_a_departure() {
    let doc = serde_json::to_value(slipway_http::openapi::document()).unwrap();
    let schema = json!({"$ref": "#/components/schemas/QoderDone"});
    assert!(problems(&doc, &schema, &json!({"code": 200, "message": "ok"}), "b").is_empty());
    assert_eq!(problems(&doc, &schema, &json!({"code": 200, "message": "ok", "data": null}), "b").len(), 1);
    assert_eq!(problems(&doc, &schema, &json!({"code": "200"}), "b").len(), 2, "a wrong type and a missing key");
}
