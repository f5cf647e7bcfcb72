//! Perfect21's agent routes over HTTP against a local provider: `/task` (waiting and async), `/task/{id}`, the
//! `/ws/task` WebSocket, workflow templates, execution and monitoring, gate statistics and the node's metrics;
//! with their documented errors, auth checks and malformed input.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Setup, TestApp, assert_error_shape};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use slipway_llm::LlmSettings;
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_store::{Db, backend_tests};
use tokio_tungstenite::tungstenite::Message;

async fn app_with(db: Db, mock: &MockProvider) -> TestApp {
    let llm = LlmSettings { server_default: Some(mock.config("deepseek")), ..LlmSettings::default() };
    TestApp::new(db, Setup { llm, ..Setup::default() }).await
}

fn team_script(mock: &MockProvider) {
    mock.push_all([
        MockReply::tool_call(
            "submit_plan",
            json!({"summary": "a greeting module", "steps": [
            {"agent": "developer", "instruction": "write hello.py"}]}),
        ),
        MockReply::tool_call("write_file", json!({"path": "hello.py", "content": "print('hi')\n"})),
        MockReply::text("Wrote hello.py."),
        MockReply::tool_call("submit_review", json!({"score": 9, "approved": true, "summary": "fine"})),
    ]);
}

async fn wait_done(app: &TestApp, token: &str, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = app.call("GET", &format!("/task/{id}"), Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        if !["queued", "running"].contains(&b["status"].as_str().unwrap()) {
            return b;
        }
        assert!(tokio::time::Instant::now() < deadline, "task {id} did not finish");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

backend_tests! {
    async fn a_task_waits_for_the_team_and_reports(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        team_script(&mock);
        let r = app.json("POST", "/task", json!({"description": "Create a greeting module", "timeout": 60}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["success"].as_bool(), b["error"].is_null()), (Some(true), true), "{b}");
        let output = b["output"].as_str().unwrap();
        assert!(output.contains("Files produced:\n  - hello.py (12 bytes)") && output.contains("Review: 9/10, approved"), "{output}");

        // The same task, read back by its id; someone else cannot.
        let id = b["task_id"].as_str().unwrap();
        let again = app.call("GET", &format!("/task/{id}"), Some(&ann)).await.json();
        assert_eq!((again["success"].as_bool(), again["output"].as_str()), (Some(true), Some(output)));
        let (bob, _) = app.user("bob").await;
        let r = app.call("GET", &format!("/task/{id}"), Some(&bob)).await;
        assert_eq!(r.status, 404);
        assert_error_shape("GET", "/task/{task_id}", &r);
        let r = app.call("GET", "/task/not-a-number", Some(&ann)).await;
        assert_eq!(r.status, 404);
    }

    async fn async_tasks_answer_at_once_and_report_failures(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        mock.set_default(MockReply::status(500, "{\"error\": {\"message\": \"overloaded\"}}"));
        let r = app.json("POST", "/task/async", json!({"description": "Anything"}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["success"].as_bool(), b["output"].as_str()), (Some(true), Some("任务已开始异步执行")));
        let done = wait_done(&app, &ann, b["task_id"].as_str().unwrap()).await;
        assert_eq!((done["success"].as_bool(), done["status"].as_str()), (Some(false), Some("failed")));
        assert!(done["error"].as_str().unwrap().contains("planner: the LLM call failed"), "{done}");
    }

    async fn a_reviewer_answering_in_text_is_retried_and_a_failed_review_keeps_the_report(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        // A reviewer that answers in text once, then hands over its review when reminded: the task succeeds.
        mock.push_all([
            MockReply::tool_call("submit_plan", json!({"summary": "a greeting module", "steps": [
                {"agent": "developer", "instruction": "write hello.py"}]})),
            MockReply::tool_call("write_file", json!({"path": "hello.py", "content": "print('hi')\n"})),
            MockReply::text("Wrote hello.py."),
            MockReply::text("It prints hi; I would give it a 9."),
            MockReply::tool_call("submit_review", json!({"score": 9, "approved": true, "summary": "fine"})),
        ]);
        let r = app.json("POST", "/task", json!({"description": "Create a greeting module", "timeout": 60}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!(b["success"].as_bool(), Some(true), "{b}");
        assert!(b["output"].as_str().unwrap().contains("Review: 9/10, approved"), "{b}");

        // A reviewer that never calls submit_review: the task fails, naming the tool, and still reports the work.
        mock.push_all([
            MockReply::tool_call("submit_plan", json!({"summary": "a greeting module", "steps": [
                {"agent": "developer", "instruction": "write hello.py"}]})),
            MockReply::tool_call("write_file", json!({"path": "hello.py", "content": "print('hi')\n"})),
            MockReply::text("Wrote hello.py."),
        ]);
        mock.set_default(MockReply::text("Looks good."));
        let r = app.json("POST", "/task", json!({"description": "Create a greeting module", "timeout": 60}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["success"].as_bool(), b["status"].as_str()), (Some(false), Some("failed")), "{b}");
        let error = b["error"].as_str().unwrap();
        assert!(error.starts_with("reviewer") && error.contains("submit_review"), "{error}");
        let output = b["output"].as_str().unwrap();
        assert!(output.contains("[developer] write hello.py") && output.contains("Files produced:\n  - hello.py (12 bytes)"), "{output}");
        assert!(output.ends_with(&format!("Failed: {error}")), "{output}");
        let again = app.call("GET", &format!("/task/{}", b["task_id"].as_str().unwrap()), Some(&ann)).await.json();
        assert_eq!((again["output"].as_str(), again["error"].as_str()), (Some(output), Some(error)));
    }

    async fn task_routes_check_input_and_callers(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        for (path, body) in [("/task", json!({"description": "x"})), ("/task/async", json!({"description": "x"}))] {
            let r = app.json("POST", path, body, None).await;
            assert_eq!(r.status, 401, "{path}");
            assert_error_shape("POST", path, &r);
            let r = app.json("POST", path, json!({"description": "x"}), Some("not-a-token")).await;
            assert_eq!(r.status, 401, "{path}");
        }
        for bad in [json!({"description": ""}), json!({"description": "x", "timeout": 0}), json!({"description": "x", "timeout": 99999}),
                    json!({"timeout": 5}), json!({"description": 5}), json!({"description": ["x"], "colour": "red"})] {
            let r = app.json("POST", "/task/async", bad.clone(), Some(&ann)).await;
            assert!(r.status == 400 || r.status == 422, "{bad}: {} {}", r.status, r.text);
            assert_error_shape("POST", "/task/async", &r);
        }
        let r = app.send(common::raw_req("POST", "/task", "{not json", Some(&ann))).await;
        assert!(r.status.is_client_error(), "{}", r.text);
        assert_eq!(mock.requests().len(), 0, "no bad request reached the provider");
        assert_eq!(app.call("GET", "/task/1", None).await.status, 401);
    }

    async fn without_a_provider_agent_routes_refuse_at_once(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let r = app.json("POST", "/task", json!({"description": "x"}), Some(&ann)).await;
        assert_eq!(r.status, 503, "{}", r.text);
        assert_error_shape("POST", "/task", &r);
        assert!(r.json()["message"].as_str().unwrap().contains("SLIPWAY_LLM_PROVIDER"), "{}", r.text);
        let r = app.json("POST", "/api/workflows/execute", json!({"template": "rapid_development", "description": "x"}), Some(&ann)).await;
        assert_eq!(r.status, 503, "{}", r.text);
    }

    async fn the_websocket_streams_status_then_the_result(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        let addr = common::serve(app.router.clone()).await;
        team_script(&mock);
        // Token as the first message.
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/task")).await.unwrap();
        let first = json!({"description": "Create a greeting module", "timeout": 60, "token": ann});
        ws.send(Message::Text(first.to_string().into())).await.unwrap();
        let mut types = Vec::new();
        let mut result = Value::Null;
        while let Some(Ok(msg)) = ws.next().await {
            let Message::Text(text) = msg else { continue };
            let v: Value = serde_json::from_str(&text).unwrap();
            types.push(v["type"].as_str().unwrap().to_owned());
            if v["type"] != "status" {
                result = v;
                break;
            }
        }
        assert_eq!(result["type"], "result", "{result}");
        assert_eq!(result["success"], true);
        assert!(result["output"].as_str().unwrap().contains("hello.py"), "{result}");
        assert!(types.iter().filter(|t| *t == "status").count() >= 5, "{types:?}");

        // Token in the URL; a bad first message is answered, then a task runs.
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/task?token={ann}")).await.unwrap();
        ws.send(Message::Text("{oops".into())).await.unwrap();
        let Some(Ok(Message::Text(text))) = ws.next().await else { panic!("no answer") };
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["type"], "error");

        // No token at all: an error, then the socket closes.
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/task")).await.unwrap();
        ws.send(Message::Text(json!({"description": "x"}).to_string().into())).await.unwrap();
        let Some(Ok(Message::Text(text))) = ws.next().await else { panic!("no answer") };
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["type"], "error");
        assert!(v["error"].as_str().unwrap().contains("token"), "{v}");
        // A bad token in the URL is refused before the upgrade.
        assert!(tokio_tungstenite::connect_async(format!("ws://{addr}/ws/task?token=nope")).await.is_err());
    }

    async fn workflows_plan_run_and_are_monitored(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        let r = app.call("GET", "/api/workflows/templates", None).await;
        assert_eq!(r.status, 200);
        let templates = r.json()["templates"].as_array().unwrap().clone();
        let premium = templates.iter().find(|t| t["name"] == "premium_quality").unwrap();
        assert_eq!((premium["phases"].as_i64(), premium["quality_gates"].as_i64()), (Some(5), Some(3)));
        assert_eq!(premium["recommended_for"], json!(["生产级功能", "核心架构", "安全相关"]));
        let rapid = templates.iter().find(|t| t["name"] == "rapid_development").unwrap();
        assert_eq!((rapid["phases"].as_i64(), rapid["quality_gates"].as_i64(), rapid["estimated_time"].as_str()), (Some(3), Some(1), Some("15-30分钟")));

        // One reply per call, whatever order the parallel developers take: the project manager, the two developers
        // (one writes a file, then finishes), the code reviewer, and the reviewer's verdict for the gate.
        mock.push_all([
            MockReply::text("scope written"),
            MockReply::tool_call("write_file", json!({"path": "app.py", "content": "x = 1\n"})),
            MockReply::text("done"),
            MockReply::text("done"),
            MockReply::text("reviewed"),
            MockReply::tool_call("submit_review", json!({"score": 7, "approved": true, "summary": "ok"})),
        ]);
        let body = json!({"template": "rapid_development", "description": "a counter", "context": {"tech_stack": "Python"},
                          "quality_requirements": {"review_score": 6}});
        let r = app.json("POST", "/api/workflows/execute", body, Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        let id = b["workflow_id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("wf-"));
        assert_eq!(b["monitoring_url"], format!("/api/workflows/{id}/status"));
        let plan = &b["execution_plan"];
        assert_eq!((plan["sync_points"].as_i64(), plan["quality_gates"].as_i64(), plan["estimated_total_time"].as_str()), (Some(1), Some(1), Some("25分钟")));
        assert_eq!(plan["phases"][1]["parallel"], true);
        assert_eq!(plan["phases"][2]["quality_gates"], json!(["llm_review"]));

        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let status = loop {
            let s = app.call("GET", &format!("/api/workflows/{id}/status"), Some(&ann)).await.json();
            if ["succeeded", "failed"].contains(&s["status"].as_str().unwrap_or("")) {
                break s;
            }
            assert!(tokio::time::Instant::now() < deadline, "workflow did not finish: {s}");
            tokio::time::sleep(Duration::from_millis(30)).await;
        };
        assert_eq!(status["status"], "succeeded", "{status}");
        assert_eq!(status["progress"], 100);
        assert!(status["phases"].as_array().unwrap().iter().all(|p| p["status"] == "completed"), "{status}");
        assert_eq!(status["quality_gates"]["passed"], 1);
        assert_eq!(status["agents"].as_array().unwrap().len(), 5, "the project manager, two developers, the code reviewer and the gate's reviewer");

        let (bob, _) = app.user("bob").await;
        assert_eq!(app.call("GET", &format!("/api/workflows/{id}/status"), Some(&bob)).await.status, 404);
        assert_eq!(app.call("GET", "/api/workflows/nope/status", Some(&ann)).await.status, 404);
        let r = app.json("POST", "/api/workflows/execute", json!({"template": "nope", "description": "x"}), Some(&ann)).await;
        assert!(r.status.is_client_error());
        assert!(r.text.contains("template"), "{}", r.text);
        let r = app.json("POST", "/api/workflows/execute", json!({"template": "rapid_development", "description": "x", "quality_requirements": {"code_coverage": 300}}), Some(&ann)).await;
        assert!(r.status.is_client_error() && r.text.contains("code_coverage"), "{}", r.text);
        assert_eq!(app.json("POST", "/api/workflows/execute", json!({"template": "rapid_development", "description": "x"}), None).await.status, 401);

        // Gate statistics: ann's review passed; bob has none.
        let g = app.call("GET", "/api/quality/gates", Some(&ann)).await.json();
        assert_eq!(g["quality_gates"], json!({"total_checks": 1, "passed_checks": 1, "failed_checks": 0, "pass_rate": 100.0, "average_score": 7.0}));
        let g = app.call("GET", "/api/quality/gates", Some(&bob)).await.json();
        assert_eq!(g["quality_gates"]["total_checks"], 0);
        assert_eq!(app.call("GET", "/api/quality/gates", None).await.status, 401);
    }

    async fn metrics_are_measured(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        assert_eq!(app.call("GET", "/api/metrics", None).await.status, 401);
        let r = app.call("GET", "/api/metrics", Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let m = &r.json()["metrics"];
        for key in ["cpu_usage", "memory_usage", "avg_response_time", "error_rate", "cache_hit_rate"] {
            assert!(m[key].is_number(), "{key}: {m}");
        }
        assert!(m["memory_usage"].as_f64().unwrap() > 0.0);
        assert_eq!(m["active_tasks"], 0);
        assert!(m["avg_response_time"].as_f64().unwrap() > 0.0, "earlier requests were timed: {m}");
        assert_eq!(m["error_rate"], 0.0);
        assert!(r.json()["timestamp"].as_str().unwrap().ends_with('Z'));
    }
}
