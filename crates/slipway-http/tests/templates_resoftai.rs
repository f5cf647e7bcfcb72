//! ResoftAI's `/api/templates` over HTTP on both backends: the catalog with its category filter, one template
//! with files and preview, and applying one, whose files become the project's files with the rendered content;
//! sign-in required, owners (and administrators) only, every kind of bad variable a 422 naming it, a running
//! project refused, malformed bodies 422 and unknown templates 404.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{TestApp, assert_error_shape};
use futures_util::TryStreamExt;
use serde_json::{Value, json};
use slipway_factory::templates::{by_id, check, render_files};
use slipway_store::factory::{NewProject, RunRecord};
use slipway_store::jobs::NewJob;
use slipway_store::{Db, backend_tests};

async fn project(db: &Db, owner: i64, name: &str) -> i64 {
    let new = NewProject {
        user_id: owner,
        name: name.into(),
        description: None,
        requirements: "a tool".into(),
        config: json!({}),
    };
    db.insert_project(&new, slipway_core::time::now()).await.unwrap()
}

/// The project's files: path → (category, version, content, created_by).
async fn files_of(app: &TestApp, db: &Db, project_id: i64) -> BTreeMap<String, (String, i32, String, Option<i64>)> {
    let mut out = BTreeMap::new();
    for f in db.project_files(project_id).await.unwrap() {
        let (_, body) = app.state.factory.files().blobs().get_stream(&f.sha256).await.unwrap();
        let bytes: Vec<u8> = body.map_ok(|b| b.to_vec()).try_concat().await.unwrap();
        out.insert(f.path, (f.category, f.version, String::from_utf8(bytes).unwrap(), f.created_by));
    }
    out
}

/// The top-level keys of `body` are the documented properties of `schema` (a component name).
fn assert_keys_documented(doc: &Value, schema: &str, body: &Value) {
    let props = doc["components"]["schemas"][schema]["properties"].as_object().unwrap_or_else(|| panic!("{schema}"));
    for key in body.as_object().unwrap().keys() {
        assert!(props.contains_key(key), "{schema} does not document {key}");
    }
    for key in doc["components"]["schemas"][schema]["required"].as_array().unwrap() {
        assert!(body.get(key.as_str().unwrap()).is_some(), "{schema} requires {key}: {body}");
    }
}

fn cli_variables() -> Value {
    json!({"project_name": "wordy", "package_name": "wordy", "description": "Counts words"})
}

backend_tests! {
    async fn templates_are_listed_filtered_and_shown_with_files_and_preview(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let doc = serde_json::to_value(slipway_http::openapi::document()).unwrap();

        let r = app.call("GET", "/api/templates", Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let all = r.json();
        let all = all.as_array().unwrap();
        assert_eq!(all.iter().map(|t| t["id"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        let categories: Vec<&str> = all.iter().map(|t| t["category"].as_str().unwrap()).collect();
        assert_eq!(categories, ["backend", "frontend", "fullstack", "cli", "mobile"]);
        for t in all {
            assert_keys_documented(&doc, "ResoftAiTemplate", t);
            assert_eq!(t["version"], "1.0.0");
            assert_eq!(t["created_at"], "2025-11-01T00:00:00Z");
            assert_eq!(t["variables"]["project_name"]["type"], "string", "{t}");
            assert_eq!(t["variables"]["project_name"]["required"], true);
            assert!(t["variables"]["project_name"]["description"].is_string());
        }
        let first = &all[0];
        assert_eq!((first["name"].as_str(), first["category"].as_str()), (Some("FastAPI REST API"), Some("backend")));
        assert_eq!(first["variables"]["database"]["type"], "enum");
        assert_eq!(first["variables"]["database"]["choices"], json!(["sqlite", "postgresql", "mysql"]));
        assert_eq!(first["variables"]["enable_auth"], json!({"type": "boolean", "description": first["variables"]["enable_auth"]["description"], "required": false, "default": false}));
        assert_eq!((first["variables"]["port"]["minimum"].as_i64(), first["variables"]["port"]["default"].as_i64()), (Some(1024), Some(8000)));

        for (category, id) in [("backend", 1), ("frontend", 2), ("fullstack", 3), ("cli", 4), ("mobile", 5)] {
            let r = app.call("GET", &format!("/api/templates?category={category}"), Some(&ann)).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let ids: Vec<i64> = r.json().as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
            assert_eq!(ids, [id], "{category}");
        }
        assert_eq!(app.call("GET", "/api/templates?category=", Some(&ann)).await.json().as_array().unwrap().len(), 5);
        let r = app.call("GET", "/api/templates?category=desktop", Some(&ann)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_error_shape("GET", "/api/templates", &r);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["query", "category"]));

        let r = app.call("GET", "/api/templates/1", Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = r.json();
        assert_keys_documented(&doc, "ResoftAiTemplateDetail", &d);
        assert_eq!((d["id"].as_i64(), d["name"].as_str()), (Some(1), Some("FastAPI REST API")));
        let files: Vec<&str> = d["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        for f in ["app/main.py", "app/models.py", "requirements.txt", "README.md", "Dockerfile", "tests/test_items.py"] {
            assert!(files.contains(&f), "{f} in {files:?}");
        }
        assert!(!files.contains(&"app/auth.py"), "auth is off by default");
        let preview = d["preview"].as_str().unwrap();
        assert!(preview.contains("app/auth.py: enable_auth"), "{preview}");
        assert!(preview.contains("# my-api") && preview.contains("uvicorn app.main:app"), "the rendered README: {preview}");
        assert_eq!(d["variables"], all[0]["variables"]);

        let cli = app.call("GET", "/api/templates/4", Some(&ann)).await.json();
        assert!(cli["files"].as_array().unwrap().contains(&json!("text_stats/cli.py")), "paths use the examples: {cli}");

        for (path, status) in [("/api/templates/99", 404), ("/api/templates/0", 422), ("/api/templates/abc", 422)] {
            let r = app.call("GET", path, Some(&ann)).await;
            assert_eq!(r.status, status, "{path}: {}", r.text);
            assert_error_shape("GET", path, &r);
        }
    }

    async fn applying_a_template_writes_its_rendered_files_into_the_project(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _) = app.user("ann").await;
        let ann_id = app.id_of(&ann).await;
        let id = project(&db, ann_id, "wordy").await;
        let doc = serde_json::to_value(slipway_http::openapi::document()).unwrap();

        let body = json!({"project_id": id, "variables": cli_variables(), "dry_run": "ignored"});
        let r = app.json("POST", "/api/templates/4/apply", body, Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let a = r.json();
        assert_keys_documented(&doc, "ResoftAiTemplateApplied", &a);
        assert_eq!((a["project_id"].as_i64(), a["template_id"].as_i64()), (Some(id), Some(4)));
        assert!(a["applied_at"].as_str().unwrap().ends_with('Z'), "{a}");

        let template = by_id(4).unwrap();
        let values = check(template.variables, cli_variables().as_object().unwrap()).unwrap();
        let rendered = render_files(template, &values, false).unwrap();
        let generated: Vec<&str> = a["generated_files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        assert_eq!(generated, rendered.iter().map(|f| f.path.as_str()).collect::<Vec<_>>());
        assert!(generated.contains(&"wordy/cli.py") && generated.contains(&"tests/test_cli.py"), "{generated:?}");

        let stored = files_of(&app, &db, id).await;
        assert_eq!(stored.len(), rendered.len());
        for f in &rendered {
            let (_, version, content, by) = &stored[&f.path];
            assert_eq!(content, &f.content, "{}", f.path);
            assert_eq!((*version, *by), (1, Some(ann_id)), "{}", f.path);
        }
        assert!(stored["README.md"].2.contains("Counts words"));
        for (path, category) in [("wordy/cli.py", "code"), ("tests/test_cli.py", "test"), ("README.md", "documentation"), ("pyproject.toml", "code")] {
            assert_eq!(stored[path].0, category, "{path}");
        }

        // The same values again change nothing; a new description is a new version of the files that show it.
        let again = app.json("POST", "/api/templates/4/apply", json!({"project_id": id, "variables": cli_variables()}), Some(&ann)).await;
        assert_eq!(again.status, 200, "{}", again.text);
        assert!(files_of(&app, &db, id).await.values().all(|f| f.1 == 1), "unchanged content is no new version");
        let mut changed = cli_variables();
        changed["description"] = json!("Counts words, lines and characters");
        let r = app.json("POST", "/api/templates/4/apply", json!({"project_id": id, "variables": changed}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let after = files_of(&app, &db, id).await;
        assert_eq!(after["README.md"].1, 2);
        assert!(after["README.md"].2.contains("Counts words, lines and characters"));
        assert_eq!(after["wordy/stats.py"].1, 1, "a file that does not show the description stays");

        // Another template into the same project, with the defaults of everything but the required name.
        let r = app.json("POST", "/api/templates/1/apply", json!({"project_id": id, "variables": {"project_name": "shop-api", "enable_auth": true}}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let files = files_of(&app, &db, id).await;
        assert!(files["app/auth.py"].2.contains("X-API-Key"), "the optional file was written");
        assert!(files["app/main.py"].2.contains("title=\"shop-api\""));
        assert_eq!(files["tests/conftest.py"].0, "test");
    }

    async fn callers_must_sign_in_and_reach_only_projects_they_may(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _) = app.user("ann").await;
        let (bob, _) = app.user("bob").await;
        let root = app.admin("root").await;
        let id = project(&db, app.id_of(&ann).await, "ann's").await;
        let apply = json!({"project_id": id, "variables": cli_variables()});
        for (m, p) in [("GET", "/api/templates"), ("GET", "/api/templates/1"), ("POST", "/api/templates/4/apply")] {
            let r = app.json(m, p, apply.clone(), None).await;
            assert_eq!(r.status, 401, "{m} {p}");
            assert_error_shape(m, p, &r);
            assert_eq!(r.json()["error_code"], "AUTH_001");
        }
        let r = app.json("POST", "/api/templates/4/apply", apply.clone(), Some(&bob)).await;
        assert_eq!(r.status, 404, "{}", r.text);
        assert_error_shape("POST", "/api/templates/4/apply", &r);
        assert_eq!(r.json()["error_code"], "PROJ_001");
        let r = app.json("POST", "/api/templates/4/apply", json!({"project_id": 999_999, "variables": cli_variables()}), Some(&ann)).await;
        assert_eq!((r.status.as_u16(), r.json()["error_code"].as_str()), (404, Some("PROJ_001")));
        assert!(db.project_files(id).await.unwrap().is_empty(), "bob wrote nothing");

        let r = app.json("POST", "/api/templates/4/apply", apply, Some(&root)).await;
        assert_eq!(r.status, 200, "an administrator reaches every project: {}", r.text);
        let root_id = app.id_of(&root).await;
        assert!(db.project_files(id).await.unwrap().iter().all(|f| f.created_by == Some(root_id)));
    }

    async fn each_kind_of_bad_variable_is_a_422_naming_it(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _) = app.user("ann").await;
        let id = project(&db, app.id_of(&ann).await, "p").await;
        let path = "/api/templates/1/apply";
        for (variables, name, kind) in [
            (json!({}), "project_name", "missing"),
            (json!({"project_name": null}), "project_name", "missing"),
            (json!({"project_name": 42}), "project_name", "type_error.str"),
            (json!({"project_name": "api", "enable_auth": "yes"}), "enable_auth", "type_error.bool"),
            (json!({"project_name": "api", "port": "8000"}), "port", "type_error.integer"),
            (json!({"project_name": "api", "port": 80}), "port", "value_error.number.not_ge"),
            (json!({"project_name": "api", "database": "oracle"}), "database", "type_error.enum"),
            (json!({"project_name": "api", "databse": "sqlite"}), "databse", "extra_forbidden"),
            (json!({"project_name": "../escape"}), "project_name", "value_error.str.regex"),
            (json!({"project_name": "a/b"}), "project_name", "value_error.str.regex"),
            (json!({"project_name": "x".repeat(65)}), "project_name", "value_error.any_str.max_length"),
            (json!({"project_name": "api", "description": "two\nlines"}), "description", "value_error.str.control"),
            (json!({"project_name": "a\u{0}b"}), "project_name", "value_error.nul_character"),
        ] {
            let r = app.json("POST", path, json!({"project_id": id, "variables": variables}), Some(&ann)).await;
            assert_eq!(r.status, 422, "{variables}: {}", r.text);
            assert_error_shape("POST", path, &r);
            let b = r.json();
            assert_eq!((b["status_code"].as_u64(), b["error_code"].as_str()), (Some(422), Some("VALIDATION_ERROR")), "{b}");
            assert_eq!(b["detail"][0]["loc"], json!(["body", "variables", name]), "{variables}: {b}");
            assert_eq!(b["detail"][0]["type"], kind, "{variables}: {b}");
        }
        let r = app.json("POST", path, json!({"project_id": id, "variables": {"port": 0, "database": 1, "extra": true}}), Some(&ann)).await;
        let fields: Vec<String> = r.json()["detail"].as_array().unwrap().iter().map(|d| d["loc"][2].as_str().unwrap().to_owned()).collect();
        assert_eq!(fields, ["project_name", "database", "port", "extra"], "every problem at once");
        assert!(db.project_files(id).await.unwrap().is_empty(), "nothing was written");
    }

    async fn malformed_bodies_unknown_templates_and_running_projects_are_refused(db: Db) {
        let app = TestApp::on(db.clone()).await;
        let (ann, _) = app.user("ann").await;
        let ann_id = app.id_of(&ann).await;
        let id = project(&db, ann_id, "p").await;
        let path = "/api/templates/4/apply";
        let r = app.send(common::raw_req("POST", path, "{\"project_id\": ", Some(&ann))).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_error_shape("POST", path, &r);
        for (body, loc) in [
            (json!({"variables": cli_variables()}), json!(["body", "project_id"])),
            (json!({"project_id": "one", "variables": cli_variables()}), json!(["body", "project_id"])),
            (json!({"project_id": id, "variables": ["project_name"]}), json!(["body", "variables"])),
            (json!({"project_id": id, "variables": "wordy"}), json!(["body", "variables"])),
        ] {
            let r = app.json("POST", path, body.clone(), Some(&ann)).await;
            assert_eq!(r.status, 422, "{body}: {}", r.text);
            assert_eq!(r.json()["detail"][0]["loc"], loc, "{body}: {}", r.text);
        }
        let r = app.json("POST", "/api/templates/77/apply", json!({"project_id": id, "variables": {}}), Some(&ann)).await;
        assert_eq!(r.status, 404, "{}", r.text);
        assert_error_shape("POST", "/api/templates/77/apply", &r);
        assert_eq!(r.json()["error_code"], "NOT_FOUND");
        let r = app.json("POST", "/api/templates/x/apply", json!({"project_id": id}), Some(&ann)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["path", "template_id"]));

        // A queued run (of a kind no worker takes, so it stays queued) makes the project running.
        let job = NewJob {
            kind: "tests.never_claimed".into(),
            owner_id: Some(ann_id),
            priority: 0,
            input: json!({}),
            max_attempts: 1,
            timeout_ms: None,
            scheduled_for: slipway_core::time::now(),
            schedule_id: None,
            due_at: None,
        };
        let job_id = db.insert_job(&job).await.unwrap().id;
        let run = RunRecord { job_id, project_id: id, workflow_id: "wf_1_ab".into(), resumed_from: None, created_at: slipway_core::time::now() };
        assert!(db.start_project_run(id, None, &run, true).await.unwrap());
        let r = app.json("POST", path, json!({"project_id": id, "variables": cli_variables()}), Some(&ann)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_error_shape("POST", path, &r);
        assert_eq!(r.json()["error_code"], "WORKFLOW_001");
        assert!(db.project_files(id).await.unwrap().is_empty());
    }
}
