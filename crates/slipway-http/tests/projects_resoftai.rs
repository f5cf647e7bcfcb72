//! ResoftAI's `/api/projects` and `/api/agent-activities` over HTTP on both backends: projects created, listed,
//! read, changed while pending and deleted; runs started, refused while running (PROJ_002), stopped (the
//! in-flight LLM call ends) and resumed; activities of the run behind the project's access rule; anonymous
//! callers, other users and malformed input refused in ResoftAI's shape.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_store::{Db, backend_tests};

fn project(name: &str) -> Value {
    json!({
        "name": name,
        "description": "一个现代化的Web应用",
        "requirements": "开发一个用户管理系统，包括注册、登录、权限控制等功能。使用FastAPI和React。",
        "config": {
            "execution_strategy": "adaptive", "enable_cache": true, "enable_checkpoints": true,
            "parallel_stages": ["architecture_design", "ui_design"]
        },
        "ignored": "unknown fields are ignored"
    })
}

async fn create(app: &TestApp, token: &str, name: &str) -> i64 {
    let r = app.json("POST", "/api/projects", project(name), Some(token)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

/// Gives the user an LLM provider: the mock, answering slowly so a run stays in its first stage.
async fn slow_provider(app: &TestApp, token: &str, mock: &MockProvider) {
    mock.set_default(MockReply::text("still thinking").delay(Duration::from_secs(30)));
    let config = json!({"name": "mock", "provider": "deepseek", "api_key": "sk-test", "api_base": mock.url(), "is_default": true});
    let r = app.json("POST", "/api/llm-configs", config, Some(token)).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

async fn status(app: &TestApp, token: &str, id: i64) -> Value {
    app.call("GET", &format!("/api/projects/{id}"), Some(token)).await.json()
}

/// Waits until the project's status is `want`.
async fn wait_for(app: &TestApp, token: &str, id: i64, want: &str) -> Value {
    for _ in 0..200 {
        let p = status(app, token, id).await;
        if p["status"] == want {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("project {id} never became {want}: {}", status(app, token, id).await);
}

backend_tests! {
    async fn projects_are_created_listed_read_changed_and_deleted(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let ann_id = app.id_of(&ann).await;

        let r = app.json("POST", "/api/projects", project("我的Web应用"), Some(&ann)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let p = r.json();
        for (key, want) in [
            ("user_id", json!(ann_id)), ("name", json!("我的Web应用")), ("status", json!("pending")),
            ("progress", json!(0)), ("current_stage", Value::Null), ("completed_at", Value::Null),
        ] {
            assert_eq!(p[key], want, "{key}: {p}");
        }
        assert_eq!(p["config"], json!({
            "execution_strategy": "adaptive", "enable_cache": true, "enable_checkpoints": true,
            "parallel_stages": ["architecture_design", "ui_design"]
        }));
        assert!(p["created_at"].as_str().unwrap().ends_with('Z'), "{p}");
        let first = p["id"].as_i64().unwrap();
        let minimal = app.json("POST", "/api/projects", json!({"name": "CLI", "requirements": "a CLI"}), Some(&ann)).await;
        assert_eq!(minimal.status, 201, "{}", minimal.text);
        assert_eq!(minimal.json()["config"]["execution_strategy"], "adaptive", "defaults");
        let second = minimal.json()["id"].as_i64().unwrap();

        let r = app.call("GET", "/api/projects?skip=0&limit=20", Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("x-total-count"), Some("2"));
        let ids: Vec<i64> = r.json().as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [second, first], "newest first");
        let page = app.call("GET", "/api/projects?skip=1&limit=1", Some(&ann)).await.json();
        assert_eq!(page.as_array().unwrap().len(), 1);
        assert_eq!(page[0]["id"], first);
        let pending = app.call("GET", "/api/projects?status=pending", Some(&ann)).await.json();
        assert_eq!(pending.as_array().unwrap().len(), 2);
        let done = app.call("GET", "/api/projects?status=completed", Some(&ann)).await.json();
        assert_eq!(done, json!([]));

        let d = status(&app, &ann, first).await;
        assert_eq!(d["requirements"], project("x")["requirements"]);
        assert_eq!(d["deliverables"]["code_files"], json!([]));
        assert_eq!(d["deliverables"]["srs_document"], Value::Null);

        let r = app.json("PUT", &format!("/api/projects/{first}"), json!({"name": "更新的项目名称", "requirements": "更新的需求"}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let u = r.json();
        assert_eq!((u["id"].as_i64(), u["name"].as_str(), u["requirements"].as_str()), (Some(first), Some("更新的项目名称"), Some("更新的需求")));
        assert_eq!(u["description"], "一个现代化的Web应用", "left out, kept");
        assert!(u["updated_at"].is_string());

        let r = app.call("DELETE", &format!("/api/projects/{second}"), Some(&ann)).await;
        assert_eq!(r.status, 204, "{}", r.text);
        assert!(r.text.is_empty());
        let r = app.call("GET", &format!("/api/projects/{second}"), Some(&ann)).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.json()["error_code"], "PROJ_001");
        assert_eq!(r.json()["detail"], "项目不存在");
    }

    async fn others_and_anonymous_callers_are_refused(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let (bob, _) = app.user("bob").await;
        let admin = app.admin("root").await;
        let id = create(&app, &ann, "ann's").await;
        let bob_id = app.id_of(&bob).await;

        for (method, path) in [
            ("GET", format!("/api/projects/{id}")), ("PUT", format!("/api/projects/{id}")),
            ("DELETE", format!("/api/projects/{id}")), ("POST", format!("/api/projects/{id}/execute")),
            ("POST", format!("/api/projects/{id}/stop")), ("POST", format!("/api/projects/{id}/resume")),
        ] {
            let r = app.json(method, &path, json!({"name": "taken"}), Some(&bob)).await;
            assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
            assert_eq!(r.json()["error_code"], "PROJ_001", "{method} {path}");
            assert_error_shape(method, &path, &r);
            let r = app.json(method, &path, json!({"name": "taken"}), None).await;
            assert_eq!(r.status, 401, "{method} {path}: {}", r.text);
            assert_eq!(r.json()["error_code"], "AUTH_001", "{method} {path}");
        }
        for path in ["/api/projects", "/api/agent-activities?project_id=1", "/api/agent-activities/1"] {
            assert_eq!(app.call("GET", path, None).await.status, 401, "{path}");
        }
        assert_eq!(status(&app, &ann, id).await["name"], "ann's", "bob changed nothing");
        let bobs = app.call("GET", "/api/projects", Some(&bob)).await.json();
        assert_eq!(bobs, json!([]), "bob sees only his own");
        let r = app.call("GET", &format!("/api/projects?user_id={}", app.id_of(&ann).await), Some(&bob)).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.json()["error_code"], "AUTH_003");
        let r = app.call("GET", &format!("/api/agent-activities?project_id={id}"), Some(&bob)).await;
        assert_eq!(r.status, 404, "{}", r.text);

        // An administrator reaches every project.
        assert_eq!(status(&app, &admin, id).await["name"], "ann's");
        let listed = app.call("GET", &format!("/api/projects?user_id={}", app.id_of(&ann).await), Some(&admin)).await.json();
        assert_eq!(listed[0]["id"], id);
        let r = app.call("GET", &format!("/api/projects?user_id={bob_id}"), Some(&admin)).await;
        assert_eq!(r.json(), json!([]));
    }

    async fn bad_input_is_refused_naming_the_field(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let fields = |r: &common::Reply| -> Vec<String> {
            r.json()["detail"].as_array().unwrap().iter().map(|d| d["loc"].as_array().unwrap().iter().map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_owned)).collect::<Vec<_>>().join(".")).collect()
        };
        for (body, want) in [
            (json!({"requirements": "x"}), "body.name"),
            (json!({"name": "x"}), "body.requirements"),
            (json!({"name": "  ", "requirements": "x"}), "body.name"),
            (json!({"name": "x".repeat(201), "requirements": "x"}), "body.name"),
            (json!({"name": 5, "requirements": "x"}), "body.name"),
            (json!({"name": "x", "requirements": "x", "config": {"execution_strategy": "random"}}), "body.config.execution_strategy"),
            (json!({"name": "x", "requirements": "x", "config": {"parallel_stages": ["deploy"]}}), "body.config.parallel_stages.0"),
            (json!({"name": "x", "requirements": "x", "config": {"parallel_stages": ["development", "testing"]}}), "body.config.parallel_stages"),
            (json!({"name": "x", "requirements": "x", "config": {"enable_cache": "yes"}}), "body.config.enable_cache"),
            (json!({"name": "x", "requirements": "x", "config": [1]}), "body.config"),
            (json!({"name": "a\u{0}b", "requirements": "x"}), "body.name"),
        ] {
            let r = app.json("POST", "/api/projects", body.clone(), Some(&ann)).await;
            assert_eq!(r.status, 422, "{body}: {}", r.text);
            assert_error_shape("POST", "/api/projects", &r);
            assert!(fields(&r).iter().any(|f| f == want), "{body}: {want} in {:?}", fields(&r));
        }
        let r = app.send(common::raw_req("POST", "/api/projects", "{not json", Some(&ann))).await;
        assert_eq!(r.status, 422, "{}", r.text);
        for path in ["/api/projects/abc", "/api/projects/0", "/api/projects/-3", "/api/projects/99999999999999999999"] {
            let r = app.call("GET", path, Some(&ann)).await;
            assert_eq!(r.status, 422, "{path}: {}", r.text);
            assert_error_shape("GET", path, &r);
        }
        for query in ["skip=-1", "limit=0", "limit=101", "status=done", "limit=x"] {
            let r = app.call("GET", &format!("/api/projects?{query}"), Some(&ann)).await;
            assert_eq!(r.status, 422, "{query}: {}", r.text);
        }
        let id = create(&app, &ann, "p").await;
        let r = app.json("PUT", &format!("/api/projects/{id}"), json!({}), Some(&ann)).await;
        assert_eq!(r.status, 400, "nothing to change: {}", r.text);
        let r = app.json("PUT", &format!("/api/projects/{id}"), json!({"requirements": ""}), Some(&ann)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        let r = app.call("GET", "/api/agent-activities", Some(&ann)).await;
        assert_eq!(r.status, 422, "project_id is required: {}", r.text);
        assert_eq!(fields(&r), ["query.project_id"]);
        let r = app.call("POST", &format!("/api/projects/{id}/stop"), Some(&ann)).await;
        assert_eq!(r.status, 400, "not running: {}", r.text);
        assert_eq!(r.json()["error_code"], "WORKFLOW_001");
        let r = app.call("POST", &format!("/api/projects/{id}/resume"), Some(&ann)).await;
        assert_eq!(r.status, 400, "never ran: {}", r.text);
        assert_eq!(r.json()["error_code"], "WORKFLOW_001");
        assert_eq!(r.json()["detail"], "没有可恢复的检查点");
        let r = app.json("POST", &format!("/api/projects/{id}/execute"), json!({"requirements": 3}), Some(&ann)).await;
        assert_eq!(r.status, 422, "a bad body is refused: {}", r.text);
        let r = app.call("POST", &format!("/api/projects/{id}/execute"), Some(&ann)).await;
        assert_ne!(r.status, 200, "no LLM provider, no run: {}", r.text);
        assert_error_shape("POST", &format!("/api/projects/{id}/execute"), &r);
        assert_eq!(status(&app, &ann, id).await["status"], "pending");
    }

    async fn a_run_starts_refuses_a_second_start_stops_and_resumes(db: Db) {
        let mock = MockProvider::start().await;
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        slow_provider(&app, &ann, &mock).await;
        let id = create(&app, &ann, "run me").await;

        let r = app.call("POST", &format!("/api/projects/{id}/execute"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let started = r.json();
        assert_eq!((started["project_id"].as_i64(), started["status"].as_str(), started["current_stage"].as_str()), (Some(id), Some("running"), Some("requirements_analysis")));
        let wf = started["workflow_id"].as_str().unwrap().to_owned();
        assert!(wf.starts_with("wf_") && wf.len() > 12, "{wf}");
        assert!(started["started_at"].as_str().unwrap().ends_with('Z'));
        let p = status(&app, &ann, id).await;
        assert_eq!((p["status"].as_str(), p["workflow_id"].as_str()), (Some("running"), Some(wf.as_str())), "{p}");

        let r = app.call("POST", &format!("/api/projects/{id}/execute"), Some(&ann)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!((r.json()["error_code"].as_str(), r.json()["detail"].as_str()), (Some("PROJ_002"), Some("项目已在运行")));
        let r = app.call("POST", &format!("/api/projects/{id}/resume"), Some(&ann)).await;
        assert_eq!(r.json()["error_code"], "PROJ_002", "{}", r.text);
        let r = app.json("PUT", &format!("/api/projects/{id}"), json!({"name": "renamed"}), Some(&ann)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.json()["detail"], "只能更新状态为 pending 的项目");
        let r = app.call("DELETE", &format!("/api/projects/{id}"), Some(&ann)).await;
        assert_eq!(r.status, 400, "a running project is not deleted: {}", r.text);
        assert_eq!(r.json()["error_code"], "WORKFLOW_001");

        // The first stage's agent is waiting on the provider; stopping ends its call.
        assert!(tokio::time::timeout(Duration::from_secs(10), async { while mock.requests().is_empty() { tokio::time::sleep(Duration::from_millis(20)).await } }).await.is_ok(), "the agent called the provider");
        let r = app.call("POST", &format!("/api/projects/{id}/stop"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let stopped = r.json();
        assert_eq!((stopped["project_id"].as_i64(), stopped["status"].as_str()), (Some(id), Some("cancelled")), "{stopped}");
        assert!(stopped["stopped_at"].is_string());
        assert!(mock.wait_for_disconnects(1, Duration::from_secs(10)).await, "the in-flight LLM call was dropped");
        assert_eq!(status(&app, &ann, id).await["status"], "cancelled");
        assert_eq!(app.call("GET", "/api/projects?status=cancelled", Some(&ann)).await.json()[0]["id"], id);

        // The stopped agent's call is an activity of the project, with the document's agent name.
        let r = app.call("GET", &format!("/api/agent-activities?project_id={id}"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let acts = r.json();
        let act = &acts[0];
        assert_eq!((act["project_id"].as_i64(), act["agent_name"].as_str(), act["stage"].as_str(), act["status"].as_str()), (Some(id), Some("RequirementsAnalystAgent"), Some("requirements_analysis"), Some("cancelled")), "{acts}");
        assert!(act["input_data"]["prompt"].as_str().unwrap().contains("用户管理系统"), "{act}");
        let aid = act["id"].as_i64().unwrap();
        let one = app.call("GET", &format!("/api/agent-activities/{aid}"), Some(&ann)).await;
        assert_eq!(one.status, 200);
        assert_eq!(one.json()["id"], aid);
        let filtered = app.call("GET", &format!("/api/agent-activities?project_id={id}&agent_name=DeveloperAgent"), Some(&ann)).await;
        assert_eq!(filtered.json(), json!([]));
        let (bob, _) = app.user("bob").await;
        assert_eq!(app.call("GET", &format!("/api/agent-activities/{aid}"), Some(&bob)).await.status, 404);

        // Nothing had completed: the resumed run starts over from the first stage, as a new workflow.
        let r = app.call("POST", &format!("/api/projects/{id}/resume"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let resumed = r.json();
        assert_eq!((resumed["status"].as_str(), resumed["current_stage"].as_str(), resumed["checkpoint_stage"].clone()), (Some("running"), Some("requirements_analysis"), Value::Null), "{resumed}");
        assert_ne!(resumed["workflow_id"], wf.as_str());
        assert!(resumed["resumed_at"].is_string());
        wait_for(&app, &ann, id, "running").await;
        let r = app.call("POST", &format!("/api/projects/{id}/stop"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        wait_for(&app, &ann, id, "cancelled").await;
        let r = app.call("DELETE", &format!("/api/projects/{id}"), Some(&ann)).await;
        assert_eq!(r.status, 204, "{}", r.text);
        let r = app.call("GET", &format!("/api/agent-activities/{aid}"), Some(&ann)).await;
        assert_eq!(r.status, 404, "activities went with the project");
    }
}
