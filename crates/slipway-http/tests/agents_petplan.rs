//! The pet planner's plans and tasks over HTTP against a local provider: creating (plain and streamed as SSE),
//! history and details, the task list with its filter, cancellation that stops the provider call, and the task
//! stream that replays then follows; with the planner's envelope, errors and auth checks.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use common::{Setup, TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_llm::LlmSettings;
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_store::{Db, backend_tests};

async fn app_with(db: Db, mock: &MockProvider) -> TestApp {
    let llm = LlmSettings { server_default: Some(mock.config("anthropic")), ..LlmSettings::default() };
    TestApp::new(db, Setup { llm, ..Setup::default() }).await
}

fn cat() -> Value {
    json!({"pet_type": "cat", "pet_breed": "british shorthair", "age": 3, "pet_weight": 4, "pet_health_status": "healthy"})
}

fn plan_reply() -> MockReply {
    let week = |n: i64| json!({"week": n, "meals": [{"time": "08:00", "food": "wet food", "amount_g": 85}]});
    MockReply::tool_call("write_plan", json!({
        "ai_suggestions": "Small wet meals, plenty of water.",
        "pet_information": {"pet_type": "cat", "daily_calories_kcal": 240},
        "pet_diet_plan": {"daily_calories_kcal": 240, "meals_per_day": 3, "weeks": [week(1), week(2), week(3), week(4)]}
    }))
    .with_text("正在规划任务...")
}

/// `(event, data)` pairs of an SSE body.
fn sse_events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = "message".to_owned();
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data = serde_json::from_str(v.trim()).ok();
                }
            }
            data.map(|d| (name, d))
        })
        .collect()
}

async fn finished_task(app: &TestApp, token: &str, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let t = app.call("GET", &format!("/api/v1/tasks/{id}"), Some(token)).await.json()["data"]["task"].clone();
        if !["pending", "running"].contains(&t["status"].as_str().unwrap()) {
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "task {id} did not finish");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

backend_tests! {
    async fn plans_are_created_listed_and_read(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        mock.push(plan_reply());
        let r = app.json("POST", "/api/v1/plans/create", cat(), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["code"].as_i64(), b["message"].as_str(), b["data"]["status"].as_str()), (Some(0), Some("饮食计划创建成功"), Some("pending")));
        let id = b["data"]["plan_id"].as_str().unwrap().to_owned();
        let task = finished_task(&app, &ann, &id).await;
        assert_eq!(task["status"], "completed", "{task}");
        assert_eq!(task["progress"], 100);

        let plan = app.call("GET", &format!("/api/v1/plans/{id}"), Some(&ann)).await.json()["data"]["plan"].clone();
        assert_eq!((plan["id"].as_str(), plan["pet_type"].as_str(), plan["pet_breed"].as_str()), (Some(id.as_str()), Some("cat"), Some("british shorthair")));
        assert_eq!(plan["ai_suggestions"], "Small wet meals, plenty of water.");
        assert_eq!(plan["pet_diet_plan"]["weeks"].as_array().unwrap().len(), 4);
        assert_eq!(plan["pet_information"]["daily_calories_kcal"], 240);
        // The wire request was Anthropic's, with the plan tool and its schema.
        let req = mock.last_request().unwrap();
        assert!(req.path.ends_with("/v1/messages"), "{}", req.path);
        assert_eq!(req.body["tools"][0]["name"], "write_plan");

        let h = app.call("GET", "/api/v1/plans/history?page=1&page_size=5", Some(&ann)).await.json();
        assert_eq!(h["data"]["total"], 1);
        assert_eq!(h["data"]["plans"][0], json!({"id": id, "pet_type": "cat", "pet_breed": "british shorthair",
            "created_at": h["data"]["plans"][0]["created_at"], "status": "completed"}));

        let (bob, _) = app.user("bob").await;
        let r = app.call("GET", &format!("/api/v1/plans/{id}"), Some(&bob)).await;
        assert_eq!(r.status, 404);
        assert_error_shape("GET", "/api/v1/plans/{plan_id}", &r);
        assert_eq!(app.call("GET", "/api/v1/plans/history", Some(&bob)).await.json()["data"]["total"], 0);
        assert_eq!(app.call("GET", "/api/v1/plans/history", None).await.status, 401);
        let r = app.call("GET", "/api/v1/plans/history?page=0", Some(&ann)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_error_shape("GET", "/api/v1/plans/history", &r);
    }

    async fn a_streamed_plan_sends_the_documented_events(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        mock.push(plan_reply());
        let req = Request::post("/api/v1/plans/create")
            .header("content-type", "application/json")
            .header("accept", "text/event-stream")
            .header("authorization", format!("Bearer {ann}"))
            .body(Body::from(cat().to_string()))
            .unwrap();
        let r = app.send(req).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.header("content-type").unwrap().starts_with("text/event-stream"));
        let events = sse_events(&r.text);
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        for expected in ["message_created", "task_started", "tool_called", "agent_message", "status_update"] {
            assert!(names.contains(&expected), "{expected} missing: {names:?}");
        }
        assert_eq!(names.last(), Some(&"task_completed"), "{names:?}");
        let (_, first) = &events[0];
        assert_eq!(first["message"], "开始分析宠物信息...");
        let tool = events.iter().find(|(n, _)| n == "tool_called").unwrap();
        assert_eq!((tool.1["tool"].as_str(), tool.1["arguments"]["pet_diet_plan"]["meals_per_day"].as_i64()), (Some("write_plan"), Some(3)));
        let done = &events.last().unwrap().1;
        assert_eq!(done["result"]["pet_diet_plan"]["daily_calories_kcal"], 240);

        // `use_stream: true` streams too; a provider failure ends the stream with `error`.
        mock.set_default(MockReply::status(400, "{\"error\": {\"message\": \"bad request\"}}"));
        let mut body = cat();
        body["use_stream"] = json!(true);
        body["pet_breed"] = json!("siamese");
        let r = app.json("POST", "/api/v1/plans/create", body, Some(&ann)).await;
        let events = sse_events(&r.text);
        let (name, data) = events.last().unwrap();
        assert_eq!(name, "error", "{events:?}");
        assert!(data["error"].as_str().unwrap().contains("the LLM call failed"), "{data}");
    }

    async fn tasks_are_listed_filtered_streamed_and_cancelled(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        mock.push(plan_reply());
        let r = app.json("POST", "/api/v1/tasks/", cat(), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["message"].as_str(), b["data"]["status"].as_str()), (Some("任务创建成功"), Some("pending")));
        assert!(b["data"]["created_at"].as_str().unwrap().ends_with('Z'));
        let done_id = b["data"]["task_id"].as_str().unwrap().to_owned();
        finished_task(&app, &ann, &done_id).await;

        // The stream of a finished task replays what happened, ending with task_completed; resuming skips it.
        let r = app.call("GET", &format!("/api/v1/tasks/{done_id}/stream?access_token={ann}"), None).await;
        let events = sse_events(&r.text);
        let kinds: Vec<&str> = events.iter().map(|(_, d)| d["event"].as_str().unwrap()).collect();
        assert_eq!(kinds.first(), Some(&"message_created"));
        assert!(kinds.contains(&"task_started") && kinds.contains(&"task_progress"), "{kinds:?}");
        assert_eq!(kinds.last(), Some(&"task_completed"));
        assert!(events.iter().all(|(n, _)| n == "message"), "EventSource's onmessage sees every event");

        // A task whose provider call hangs is cancelled: the call is dropped and the task ends cancelled. (Another
        // pet: the same one would be answered from the response cache.)
        mock.push(MockReply::text("late").delay(Duration::from_secs(30)));
        let mut heavier = cat();
        heavier["pet_weight"] = json!(6);
        let id = app.json("POST", "/api/v1/tasks/", heavier, Some(&ann)).await.json()["data"]["task_id"].as_str().unwrap().to_owned();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while mock.requests().len() < 2 {
            assert!(tokio::time::Instant::now() < deadline, "the provider was never called");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (bob, _) = app.user("bob").await;
        assert_eq!(app.call("POST", &format!("/api/v1/tasks/{id}/cancel"), Some(&bob)).await.status, 404);
        let started = std::time::Instant::now();
        let r = app.call("POST", &format!("/api/v1/tasks/{id}/cancel"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["message"], "任务已取消");
        assert_eq!(r.json()["data"], json!({"task_id": id, "status": "cancelled"}), "answered once the task stopped");
        assert!(started.elapsed() < Duration::from_secs(5), "cancel took {:?}", started.elapsed());
        let t = app.call("GET", &format!("/api/v1/tasks/{id}"), Some(&ann)).await.json()["data"]["task"].clone();
        assert_eq!(t["status"], "cancelled", "already stopped when the cancel answered: {t}");
        assert!(mock.wait_for_disconnects(1, Duration::from_secs(5)).await, "the provider call was not dropped");
        let r = app.call("POST", &format!("/api/v1/tasks/{id}/cancel"), Some(&ann)).await;
        assert_eq!(r.status, 409, "{}", r.text);
        let events = sse_events(&app.call("GET", &format!("/api/v1/tasks/{id}/stream"), Some(&ann)).await.text);
        assert_eq!(events.last().unwrap().1["event"], "task_cancelled");

        let all = app.call("GET", "/api/v1/tasks/?page=1&page_size=10", Some(&ann)).await.json();
        assert_eq!(all["data"]["pagination"], json!({"page": 1, "page_size": 10, "total": 2}));
        let cancelled = app.call("GET", "/api/v1/tasks/?status=cancelled", Some(&ann)).await.json();
        assert_eq!(cancelled["data"]["tasks"].as_array().unwrap().len(), 1);
        assert_eq!(cancelled["data"]["tasks"][0]["id"], id);
        let r = app.call("GET", "/api/v1/tasks/?status=sleeping", Some(&ann)).await;
        assert_eq!(r.status, 422, "a bad query parameter is FastAPI's 422: {}", r.text);
        assert_error_shape("GET", "/api/v1/tasks/", &r);
        assert_eq!(app.call("GET", "/api/v1/tasks/", Some(&bob)).await.json()["data"]["pagination"]["total"], 0);
        assert_eq!(app.call("GET", &format!("/api/v1/tasks/{id}"), Some(&bob)).await.status, 404);
        assert_eq!(app.call("GET", &format!("/api/v1/tasks/{id}/stream"), None).await.status, 401);
        assert_eq!(app.call("GET", "/api/v1/tasks/x", Some(&ann)).await.status, 404);
    }

    async fn bad_pets_and_callers_are_refused(db: Db) {
        let mock = MockProvider::start().await;
        let app = app_with(db, &mock).await;
        let (ann, _) = app.user("ann").await;
        for path in ["/api/v1/plans/create", "/api/v1/tasks/"] {
            let r = app.json("POST", path, cat(), None).await;
            assert_eq!(r.status, 401, "{path}");
            assert_error_shape("POST", path, &r);
            // What the planner's request model refuses is FastAPI's 422.
            for bad in [json!({"pet_type": ""}), json!({"pet_type": "dog", "age": -2}), json!({"pet_type": "dog", "pet_weight": 0}),
                        json!({"pet_breed": "x"}), json!({"pet_type": 7}), json!({"pet_type": ["dog"], "wings": 2})] {
                let r = app.json("POST", path, bad.clone(), Some(&ann)).await;
                assert_eq!((r.status.as_u16(), r.json()["code"].clone()), (422, json!(422)), "{path} {bad}: {}", r.text);
                assert_error_shape("POST", path, &r);
            }
            let r = app.send(common::raw_req("POST", path, "{\"pet_type\": ", Some(&ann))).await;
            assert_eq!(r.status, 422, "{}", r.text);
        }
        assert!(mock.requests().is_empty());
    }

    async fn without_a_provider_plans_are_refused_at_once(db: Db) {
        let app = TestApp::on(db).await;
        let (carl, _) = app.user("carl").await;
        for path in ["/api/v1/plans/create", "/api/v1/tasks/"] {
            let r = app.json("POST", path, cat(), Some(&carl)).await;
            assert_eq!(r.status, 503, "{}", r.text);
            assert_error_shape("POST", path, &r);
            assert!(r.json()["message"].as_str().unwrap().contains("SLIPWAY_LLM_PROVIDER"), "{}", r.text);
        }
        assert_eq!(app.call("GET", "/api/v1/tasks/", Some(&carl)).await.json()["data"]["pagination"]["total"], 0);
    }
}
