//! AnsFlow's pipelines, runs and step types over HTTP on both backends: CRUD with DRF pages and absolute links,
//! filters, validation details naming `steps.1.config.command`, secrets never rendered, runs with their steps,
//! cancel (409 once finished), artifacts, and the auth and malformed-input answers in AnsFlow's error shape.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{TestApp, assert_error_shape, raw_req};
use serde_json::{Value, json};
use slipway_store::{Db, backend_tests};

fn body(name: &str) -> Value {
    json!({
        "name": name,
        "description": "Build and deploy frontend application",
        "repository_url": "https://github.com/user/repo.git",
        "branch": "main",
        "trigger_events": ["push", "pull_request"],
        "steps": [
            {"name": "Checkout Code", "type": "git_checkout", "config": {"repository": "https://github.com/user/repo.git", "branch": "main"}},
            {"name": "Install Dependencies", "type": "shell_command", "config": {"command": "npm install"}}
        ]
    })
}

/// Waits for a run to finish and returns its detail.
async fn finished(app: &TestApp, token: &str, run_id: i64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = app.call("GET", &format!("/api/pipeline-runs/{run_id}/"), Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = r.json();
        if matches!(d["status"].as_str(), Some("success" | "failed" | "cancelled")) {
            return d;
        }
        assert!(tokio::time::Instant::now() < deadline, "the run did not finish: {d}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_validation(r: &common::Reply, method: &str, path: &str) {
    assert_eq!(r.status, 400, "{method} {path}: {}", r.text);
    assert_eq!(r.json()["error"]["code"], "VALIDATION_ERROR", "{}", r.text);
    assert_error_shape(method, path, r);
}

backend_tests! {
    async fn pipelines_are_a_drf_resource(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let r = app.json("POST", "/api/pipelines/", body("Frontend Build Pipeline"), Some(&ann)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let p = r.json();
        let id = p["id"].as_i64().unwrap();
        assert_eq!((p["status"].as_str(), p["steps_count"].as_i64(), p["last_run"].clone()), (Some("active"), Some(2), Value::Null));
        assert_eq!(p["created_by"]["username"], "ann");
        assert_eq!(p["created_by"]["id"], app.id_of(&ann).await);
        assert_eq!(p["trigger_events"], json!(["push", "pull_request"]));
        assert_eq!(p["steps"][1], json!({"name": "Install Dependencies", "type": "shell_command", "config": {"command": "npm install"}}));
        assert!(p["created_at"].as_str().unwrap().ends_with('Z'));

        for i in 0..3 {
            let mut b = body(&format!("Service {i}"));
            b["description"] = json!(if i == 1 { "Nightly DEPLOY job" } else { "builds" });
            if i == 2 { b["status"] = json!("inactive"); }
            assert_eq!(app.json("POST", "/api/pipelines/", b, Some(&ann)).await.status, 201);
        }
        let page = app.call("GET", "/api/pipelines/?page=1&page_size=2", Some(&ann)).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let b = page.json();
        assert_eq!(b["count"], 4);
        assert_eq!(b["next"], "http://localhost/api/pipelines/?page=2&page_size=2");
        assert_eq!(b["previous"], Value::Null);
        assert_eq!(b["results"].as_array().unwrap().len(), 2);
        assert_eq!(b["results"][0]["name"], "Service 2", "newest first");
        let second = app.call("GET", "/api/pipelines/?page=2&page_size=2", Some(&ann)).await.json();
        assert_eq!((second["next"].clone(), second["previous"].as_str()), (Value::Null, Some("http://localhost/api/pipelines/?page=1&page_size=2")));
        let found = app.call("GET", "/api/pipelines/?search=NIGHTLY", Some(&ann)).await.json();
        assert_eq!((found["count"].as_i64(), found["results"][0]["name"].as_str()), (Some(1), Some("Service 1")), "search covers the description, case-insensitively");
        let found = app.call("GET", "/api/pipelines/?search=frontend%20build", Some(&ann)).await.json();
        assert_eq!(found["count"], 1, "search covers the name");
        let inactive = app.call("GET", "/api/pipelines/?status=inactive", Some(&ann)).await.json();
        assert_eq!((inactive["count"].as_i64(), inactive["results"][0]["status"].as_str()), (Some(1), Some("inactive")));
        let ann_id = app.id_of(&ann).await;
        assert_eq!(app.call("GET", &format!("/api/pipelines/?created_by={ann_id}"), Some(&ann)).await.json()["count"], 4);
        let (bob, _) = app.user("bob").await;
        assert_eq!(app.call("GET", &format!("/api/pipelines/?created_by={ann_id}"), Some(&bob)).await.json()["count"], 0, "others' pipelines stay invisible");
        let root = app.admin("root").await;
        assert_eq!(app.call("GET", "/api/pipelines/", Some(&root)).await.json()["count"], 4, "administrators see everyone's");

        let path = format!("/api/pipelines/{id}/");
        let got = app.call("GET", &path, Some(&ann)).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.json()["name"], "Frontend Build Pipeline");
        let patched = app.json("PATCH", &path, json!({"description": "changed", "status": "inactive"}), Some(&ann)).await;
        assert_eq!(patched.status, 200, "{}", patched.text);
        let pb = patched.json();
        assert_eq!((pb["description"].as_str(), pb["status"].as_str(), pb["steps_count"].as_i64(), pb["name"].as_str()), (Some("changed"), Some("inactive"), Some(2), Some("Frontend Build Pipeline")));
        let put = app.json("PUT", &path, json!({"name": "Renamed"}), Some(&ann)).await;
        assert_eq!(put.status, 200, "{}", put.text);
        let pb = put.json();
        assert_eq!((pb["name"].as_str(), pb["description"].as_str(), pb["steps_count"].as_i64(), pb["branch"].as_str(), pb["status"].as_str()), (Some("Renamed"), Some(""), Some(0), Some("main"), Some("active")), "PUT replaces every field");
        let missing = app.json("PUT", &path, json!({"description": "no name"}), Some(&ann)).await;
        assert_validation(&missing, "PUT", &path);
        assert!(missing.json()["error"]["details"]["name"].is_array());

        for (method, r) in [
            ("GET", app.call("GET", &path, Some(&bob)).await),
            ("PATCH", app.json("PATCH", &path, json!({"name": "mine"}), Some(&bob)).await),
            ("DELETE", app.call("DELETE", &path, Some(&bob)).await),
        ] {
            assert_eq!(r.status, 404, "{method} of another user's pipeline: {}", r.text);
            assert_eq!(r.json()["error"]["code"], "RESOURCE_NOT_FOUND");
            assert_error_shape(method, &path, &r);
        }
        assert_eq!(app.call("GET", &path, Some(&root)).await.status, 200, "administrators reach every pipeline");
        let deleted = app.call("DELETE", &path, Some(&ann)).await;
        assert_eq!(deleted.status, 204, "{}", deleted.text);
        assert!(deleted.text.is_empty());
        assert_eq!(app.call("GET", &path, Some(&ann)).await.status, 404);
        assert_eq!(app.call("DELETE", &path, Some(&ann)).await.status, 404);
    }

    async fn step_configs_are_checked_against_their_schemas(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let mut b = body("bad");
        b["steps"][1]["config"] = json!({"cmd": "npm install"});
        let r = app.json("POST", "/api/pipelines/", b, Some(&ann)).await;
        assert_validation(&r, "POST", "/api/pipelines/");
        let details = &r.json()["error"]["details"];
        assert!(details["steps.1.config.command"].is_array(), "{details}");
        let mut b = body("bad");
        b["steps"][0]["config"]["branch"] = json!(7);
        b["steps"].as_array_mut().unwrap().push(json!({"name": "Deploy", "type": "deploy", "config": {}}));
        b["trigger_events"] = json!(["push", "carrier_pigeon"]);
        b["schedule"] = json!("not cron");
        let r = app.json("POST", "/api/pipelines/", b, Some(&ann)).await;
        assert_validation(&r, "POST", "/api/pipelines/");
        let details = r.json()["error"]["details"].clone();
        for field in ["steps.0.config.branch", "steps.2.type", "trigger_events.1", "schedule"] {
            assert!(details[field].is_array(), "{field} missing in {details}");
        }
        let r = app.json("POST", "/api/pipelines/", json!({"name": "  "}), Some(&ann)).await;
        assert_validation(&r, "POST", "/api/pipelines/");
        assert!(r.json()["error"]["details"]["name"].is_array());
        let r = app.json("POST", "/api/pipelines/", json!({"name": "x".repeat(256)}), Some(&ann)).await;
        assert_validation(&r, "POST", "/api/pipelines/");
        let local = json!({"name": "local", "repository_url": "/srv/git/secret.git"});
        let r = app.json("POST", "/api/pipelines/", local, Some(&ann)).await;
        assert_validation(&r, "POST", "/api/pipelines/");
        assert!(r.json()["error"]["details"]["repository_url"].is_array(), "ordinary users name only remote repositories");
        let internal = json!({"name": "internal", "repository_url": "http://127.0.0.1:8080/repo.git"});
        assert_validation(&app.json("POST", "/api/pipelines/", internal, Some(&ann)).await, "POST", "/api/pipelines/");
        let r = app.json("POST", "/api/pipelines/", json!({"name": "net", "network": true}), Some(&ann)).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.json()["error"]["code"], "PERMISSION_DENIED");
    }

    async fn malformed_requests_are_validation_errors_never_500(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let path = "/api/pipelines/";
        for raw in [
            "{not json",
            r#"{"name": 5}"#,
            r#"{"name": "x", "steps": "none"}"#,
            r#"{"name": "x", "steps": [{"name": "a"}]}"#,
            r#"{"name": "x", "steps": [{"name": "a", "type": 3, "config": {}}]}"#,
            r#"{"name": "bad\u0000name"}"#,
            r#"{"name": "x", "variables": [{"name": "A", "value": 1}]}"#,
            "[]",
        ] {
            let r = app.send(raw_req("POST", path, raw, Some(&ann))).await;
            assert_validation(&r, "POST", path);
        }
        let huge = json!({"name": "x", "steps": [{"name": "a", "type": "shell_command", "config": {"command": "x".repeat(70_000)}}]});
        assert_validation(&app.json("POST", path, huge, Some(&ann)).await, "POST", path);
        let many = json!({"name": "x", "steps": (0..51).map(|i| json!({"name": format!("s{i}"), "type": "shell_command", "config": {"command": "true"}})).collect::<Vec<_>>()});
        assert_validation(&app.json("POST", path, many, Some(&ann)).await, "POST", path);
        for q in ["page=0", "page_size=1000", "page=abc", "status=sleeping", "created_by=x"] {
            let r = app.call("GET", &format!("{path}?{q}"), Some(&ann)).await;
            assert_validation(&r, "GET", path);
        }
        let r = app.call("GET", "/api/pipelines/abc/", Some(&ann)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(app.call("GET", "/api/pipelines/999999/", Some(&ann)).await.status, 404);
        assert_eq!(app.call("GET", "/api/pipeline-runs/999999/", Some(&ann)).await.status, 404);
        let bad_var = app.json("POST", "/api/pipelines/1/run/", json!({"variables": {"A": 1}}), Some(&ann)).await;
        assert_eq!(bad_var.status, 400, "{}", bad_var.text);
    }

    async fn anonymous_callers_get_authentication_errors(db: Db) {
        let app = TestApp::on(db).await;
        for (method, path) in [
            ("GET", "/api/pipelines/"),
            ("POST", "/api/pipelines/"),
            ("GET", "/api/pipelines/1/"),
            ("PUT", "/api/pipelines/1/"),
            ("PATCH", "/api/pipelines/1/"),
            ("DELETE", "/api/pipelines/1/"),
            ("GET", "/api/pipelines/1/runs/"),
            ("POST", "/api/pipelines/1/run/"),
            ("GET", "/api/pipeline-runs/1/"),
            ("POST", "/api/pipeline-runs/1/cancel/"),
            ("POST", "/api/pipeline-runs/1/restart/"),
            ("GET", "/api/pipeline-runs/1/artifacts/"),
            ("GET", "/api/pipeline-runs/1/artifacts/1/download/"),
            ("GET", "/api/step-types/"),
        ] {
            let r = app.call(method, path, None).await;
            assert_eq!(r.status, 401, "{method} {path}: {}", r.text);
            assert_eq!(r.json()["error"]["code"], "AUTHENTICATION_ERROR", "{method} {path}");
            assert_error_shape(method, path, &r);
        }
    }

    async fn step_types_list_their_schemas(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let r = app.call("GET", "/api/step-types/", Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let types = r.json()["results"].as_array().unwrap().clone();
        let ids: Vec<&str> = types.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["git_checkout", "shell_command", "script", "artifact_upload", "http_request", "jenkins_trigger"], "no deploy until servers exist");
        let jenkins = &types[5];
        assert_eq!((jenkins["name"].as_str(), jenkins["category"].as_str(), jenkins["icon"].as_str()), (Some("Jenkins Trigger"), Some("integration"), Some("jenkins")));
        assert_eq!(jenkins["config_schema"]["required"], json!(["server_id", "job_name"]));
        assert_eq!(jenkins["config_schema"]["properties"]["wait"]["default"], true);
        let no_job = json!({"name": "jenkins", "steps": [{"name": "Deploy", "type": "jenkins_trigger", "config": {"server_id": 1}}]});
        let r = app.json("POST", "/api/pipelines/", no_job, Some(&ann)).await;
        assert_validation(&r, "POST", "/api/pipelines/");
        assert!(r.json()["error"]["details"]["steps.0.config.job_name"].is_array(), "{}", r.text);
        let git = &types[0];
        assert_eq!((git["name"].as_str(), git["category"].as_str(), git["icon"].as_str()), (Some("Git Checkout"), Some("source_control"), Some("git")));
        assert_eq!(git["config_schema"]["required"], Value::Null, "the repository defaults to the pipeline's");
        assert_eq!(git["config_schema"]["properties"]["repository"]["type"], "string");
        assert_eq!(git["config_schema"]["properties"]["branch"]["default"], "main");
        for t in &types {
            assert!(jsonschema::validator_for(&t["config_schema"]).is_ok(), "{t}");
        }
    }

    async fn runs_run_report_their_steps_and_cancel(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let (bob, _) = app.user("bob").await;
        let p = json!({
            "name": "build",
            "variables": [{"name": "TOKEN", "value": "s3cr3t-value", "secret": true}, {"name": "MODE", "value": "fast"}],
            "repository_credential": "ghp_very_secret",
            "webhook_secret": "hook-secret",
            "steps": [
                {"name": "Greet", "type": "shell_command", "config": {"command": "echo \"$ENVIRONMENT $MODE $TOKEN\"; mkdir -p dist; echo bundle > dist/app.js"}},
                {"name": "Upload", "type": "artifact_upload", "config": {"paths": "dist/*.js"}},
                {"name": "Fail", "type": "shell_command", "config": {"command": "exit 4"}},
                {"name": "Later", "type": "shell_command", "config": {"command": "true"}}
            ]
        });
        let created = app.json("POST", "/api/pipelines/", p, Some(&root)).await;
        assert_eq!(created.status, 201, "{}", created.text);
        let c = created.json();
        assert!(!created.text.contains("s3cr3t-value") && !created.text.contains("ghp_very_secret") && !created.text.contains("hook-secret"), "{}", created.text);
        assert_eq!((c["has_repository_credential"].as_bool(), c["has_webhook_secret"].as_bool()), (Some(true), Some(true)));
        assert_eq!(c["variables"][0], json!({"name": "TOKEN", "value": "***", "secret": true}));
        let id = c["id"].as_i64().unwrap();
        let path = format!("/api/pipelines/{id}/run/");
        let r = app.json("POST", &path, json!({"branch": "main", "variables": {"ENVIRONMENT": "staging", "VERSION": "1.0.0"}}), Some(&root)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let run = r.json();
        assert_eq!((run["number"].as_i64(), run["trigger"]["type"].as_str(), run["branch"].as_str()), (Some(1), Some("manual"), Some("main")));
        let run_id = run["id"].as_i64().unwrap();
        assert_eq!(app.call("GET", &format!("/api/pipeline-runs/{run_id}/"), Some(&bob)).await.status, 404, "another user's run is not found");
        assert_eq!(app.json("POST", &path, json!({}), Some(&bob)).await.status, 404);
        let d = finished(&app, &root, run_id).await;
        assert_eq!(d["status"], "failed");
        assert_eq!(d["error"], "step 'Fail' exited with code 4");
        assert_eq!(d["pipeline_name"], "build");
        assert_eq!(d["variables"], json!({"ENVIRONMENT": "staging", "VERSION": "1.0.0"}));
        let steps = d["steps"].as_array().unwrap();
        let statuses: Vec<(&str, Option<i64>)> = steps.iter().map(|s| (s["status"].as_str().unwrap(), s["exit_code"].as_i64())).collect();
        assert_eq!(statuses, [("success", Some(0)), ("success", Some(0)), ("failed", Some(4)), ("skipped", None)]);
        assert_eq!(steps[0]["log"], "staging fast ***\n");
        assert!(steps[0]["duration"].is_f64());
        let artifact = &d["artifacts"][0];
        assert_eq!((artifact["path"].as_str(), artifact["size"].as_i64()), (Some("dist/app.js"), Some(7)));
        let url = artifact["download_url"].as_str().unwrap().strip_prefix("http://localhost").unwrap().to_owned();
        let file = app.call("GET", &url, Some(&root)).await;
        assert_eq!((file.status.as_u16(), file.text.as_str()), (200, "bundle\n"));
        assert_eq!(file.header("content-disposition"), Some("attachment; filename=\"app.js\""));
        assert_eq!(app.call("GET", &url, Some(&bob)).await.status, 404);
        let listed = app.call("GET", &format!("/api/pipeline-runs/{run_id}/artifacts/"), Some(&root)).await.json();
        assert_eq!(listed["results"].as_array().unwrap().len(), 1);
        let cancel = format!("/api/pipeline-runs/{run_id}/cancel/");
        let r = app.call("POST", &cancel, Some(&root)).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(r.json()["error"]["code"], "RESOURCE_CONFLICT");
        assert_error_shape("POST", &cancel, &r);
        let runs = app.call("GET", &format!("/api/pipelines/{id}/runs/"), Some(&root)).await.json();
        assert_eq!((runs["count"].as_i64(), runs["results"][0]["id"].as_i64()), (Some(1), Some(run_id)));
        let p = app.call("GET", &format!("/api/pipelines/{id}/"), Some(&root)).await.json();
        assert_eq!((p["last_run"]["id"].as_i64(), p["last_run"]["status"].as_str()), (Some(run_id), Some("failed")));
        assert!(p["last_run"]["finished_at"].is_string());
        let restarted = app.call("POST", &format!("/api/pipeline-runs/{run_id}/restart/"), Some(&root)).await;
        assert_eq!(restarted.status, 201, "{}", restarted.text);
        assert_eq!((restarted.json()["trigger"]["type"].as_str(), restarted.json()["number"].as_i64()), (Some("restart"), Some(2)));
        finished(&app, &root, restarted.json()["id"].as_i64().unwrap()).await;

        let slow = json!({"name": "slow", "steps": [{"name": "Wait", "type": "shell_command", "config": {"command": "sleep 60"}}]});
        let slow_id = app.json("POST", "/api/pipelines/", slow, Some(&root)).await.json()["id"].as_i64().unwrap();
        let run = app.call("POST", &format!("/api/pipelines/{slow_id}/run/"), Some(&root)).await;
        assert_eq!(run.status, 201, "a run without a body: {}", run.text);
        let run_id = run.json()["id"].as_i64().unwrap();
        assert_eq!(app.call("POST", &format!("/api/pipeline-runs/{run_id}/cancel/"), Some(&bob)).await.status, 404);
        let r = app.call("POST", &format!("/api/pipeline-runs/{run_id}/cancel/"), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["cancelled_by"], app.id_of(&root).await);
        let d = finished(&app, &root, run_id).await;
        assert_eq!(d["status"], "cancelled", "a cancelled run never shows success");
    }

    async fn without_the_sandbox_only_administrators_pipelines_run(db: Db) {
        let none = slipway_engine::SandboxAvailability::Unavailable("bwrap is switched off in this test".into());
        let app = TestApp::new(db, common::Setup { sandbox: Some(none), ..common::Setup::default() }).await;
        let (ann, _) = app.user("ann").await;
        let root = app.admin("root").await;
        let steps = json!([{"name": "Hi", "type": "shell_command", "config": {"command": "echo hi"}}]);
        let mine = app.json("POST", "/api/pipelines/", json!({"name": "mine", "steps": steps}), Some(&ann)).await;
        assert_eq!(mine.status, 201, "ordinary users may still keep pipelines: {}", mine.text);
        let path = format!("/api/pipelines/{}/run/", mine.json()["id"]);
        let r = app.call("POST", &path, Some(&ann)).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.json()["error"]["code"], "PERMISSION_DENIED");
        assert_error_shape("POST", &path, &r);
        let r = app.call("POST", &path, Some(&root)).await;
        assert_eq!(r.status, 403, "an administrator starting a user's pipeline lends it nothing: {}", r.text);
        let theirs = app.json("POST", "/api/pipelines/", json!({"name": "root's", "steps": steps}), Some(&root)).await;
        let r = app.call("POST", &format!("/api/pipelines/{}/run/", theirs.json()["id"]), Some(&root)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let d = finished(&app, &root, r.json()["id"].as_i64().unwrap()).await;
        assert_eq!((d["status"].as_str(), d["steps"][0]["log"].as_str()), (Some("success"), Some("hi\n")), "on the host");
    }
}
