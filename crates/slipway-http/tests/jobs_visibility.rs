//! The generic job API applies each kind's visibility, on both backends: an administrator does not see, follow
//! or cancel a user's diet plan through `/api/jobs` (it is 404 and missing from the listing), while a user's
//! ordinary job stays visible to administrators.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Setup, TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_engine::EnqueueOptions;
use slipway_llm::LlmSettings;
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_store::{Db, backend_tests};

fn cat() -> Value {
    json!({"pet_type": "cat", "pet_breed": "british shorthair", "age": 3, "pet_weight": 4, "pet_health_status": "healthy"})
}

backend_tests! {
    async fn administrators_cannot_reach_users_diet_plans_through_the_job_api(db: Db) {
        common::install_crypto();
        let mock = MockProvider::start().await;
        mock.set_default(MockReply::text("thinking").delay(Duration::from_secs(60)));
        let llm = LlmSettings { server_default: Some(mock.config("anthropic")), ..LlmSettings::default() };
        let app = TestApp::new(db, Setup { llm, ..Setup::default() }).await;
        let addr = common::serve(app.router.clone()).await;
        let (ann, _) = app.user("ann").await;
        let root = app.admin("root").await;
        let r = app.json("POST", "/api/v1/plans/create", cat(), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let plan: i64 = r.json()["data"]["plan_id"].as_str().unwrap().parse().unwrap();
        let ann_id = app.id_of(&ann).await;
        let command = json!({"command": "sleep 60"});
        let ordinary = app.state.engine.enqueue_system(Some(ann_id), "command", command, EnqueueOptions::default()).await.unwrap();

        assert_eq!(app.call("GET", &format!("/api/jobs/{plan}"), Some(&ann)).await.status, 200);
        for (method, path) in [("GET", format!("/api/jobs/{plan}")), ("GET", format!("/api/jobs/{plan}/events")), ("POST", format!("/api/jobs/{plan}/cancel"))] {
            let r = app.call(method, &path, Some(&root)).await;
            assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
            assert_error_shape(method, &path, &r);
        }
        let err = tokio_tungstenite::connect_async(format!("ws://{addr}/api/jobs/{plan}/ws?access_token={root}")).await.unwrap_err();
        assert!(err.to_string().contains("404"), "{err}");

        let listed = app.call("GET", "/api/jobs?page_size=100", Some(&root)).await.json();
        let ids: Vec<i64> = listed["items"].as_array().unwrap().iter().map(|j| j["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [ordinary.id], "{listed}");
        assert_eq!(listed["total"], 1);
        let own = app.call("GET", "/api/jobs?page_size=100", Some(&ann)).await.json();
        assert_eq!(own["total"], 2, "{own}");

        assert_eq!(app.call("GET", &format!("/api/jobs/{}", ordinary.id), Some(&root)).await.status, 200);
        let r = app.call("POST", &format!("/api/jobs/{}/cancel", ordinary.id), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.call("POST", &format!("/api/jobs/{plan}/cancel"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
}
