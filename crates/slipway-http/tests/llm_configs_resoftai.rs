//! ResoftAI's `/api/llm-configs` over HTTP on both backends: the five routes against a mock provider, keys never
//! returned, invalid configurations 400 and unreachable providers 503 with appendix D's codes, owners only, and
//! malformed input 422 in FastAPI's shape.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Setup, TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_llm::testing::{MockProvider, MockReply, unreachable_url};
use slipway_store::{Db, backend_tests};

const KEY: &str = "sk-test-0123456789abcdef";

fn deepseek(mock: &MockProvider) -> Value {
    json!({
        "name": "我的DeepSeek配置",
        "provider": "deepseek",
        "model": "deepseek-chat",
        "api_key": KEY,
        "api_base": mock.url(),
        "is_default": true,
        "config": {"temperature": 0.7, "max_tokens": 4000, "top_p": 0.9},
    })
}

async fn create(app: &TestApp, token: &str, body: Value) -> i64 {
    let r = app.json("POST", "/api/llm-configs", body, Some(token)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

backend_tests! {
    async fn configs_are_created_listed_updated_tested_and_deleted(db: Db) {
        let mock = MockProvider::start().await;
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let ann_id = app.id_of(&ann).await;

        let r = app.json("POST", "/api/llm-configs", deepseek(&mock), Some(&ann)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let b = r.json();
        for (key, want) in [
            ("user_id", json!(ann_id)),
            ("name", json!("我的DeepSeek配置")),
            ("provider", json!("deepseek")),
            ("model", json!("deepseek-chat")),
            ("is_default", json!(true)),
            ("is_active", json!(true)),
            ("has_api_key", json!(true)),
        ] {
            assert_eq!(b[key], want, "{key}: {b}");
        }
        assert!(b["id"].is_i64() && b["created_at"].as_str().unwrap().ends_with('Z'), "{b}");
        assert_eq!(b["config"], json!({"temperature": 0.7, "max_tokens": 4000, "top_p": 0.9}));
        let id = b["id"].as_i64().unwrap();
        let minimal = json!({"name": "Claude", "provider": "anthropic", "api_key": "sk-ant-x"});
        let second = create(&app, &ann, minimal).await;

        let r = app.call("GET", "/api/llm-configs", Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let list = r.json();
        let list = list.as_array().unwrap();
        assert_eq!(list.iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>(), [second, id], "newest first");
        assert_eq!((list[0]["model"].as_str(), list[0]["is_default"].as_bool()), (Some("claude-3-sonnet"), Some(false)));
        for key in ["id", "name", "provider", "model", "is_default", "is_active", "created_at"] {
            assert!(list[1].get(key).is_some(), "{key}");
        }

        let r = app.json("PUT", &format!("/api/llm-configs/{second}"), json!({"name": "更新的配置名称", "is_default": true, "config": {"temperature": 0.8}}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let u = r.json();
        assert_eq!((u["id"].as_i64(), u["name"].as_str(), u["is_default"].as_bool()), (Some(second), Some("更新的配置名称"), Some(true)));
        assert!(u["updated_at"].is_string());
        assert_eq!(u["config"], json!({"temperature": 0.8}));
        let list = app.call("GET", "/api/llm-configs", Some(&ann)).await.json();
        let defaults: Vec<i64> = list.as_array().unwrap().iter().filter(|c| c["is_default"] == true).map(|c| c["id"].as_i64().unwrap()).collect();
        assert_eq!(defaults, [second], "one default per user");

        mock.push(MockReply::text("Hello! How can I assist you today?"));
        let r = app.call("POST", &format!("/api/llm-configs/{id}/test"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let t = r.json();
        assert_eq!(t["success"], true);
        assert_eq!(t["model"], "deepseek-chat");
        assert_eq!(t["test_output"], "Hello! How can I assist you today?");
        assert!(t["response_time_ms"].is_u64());
        let sent = mock.last_request().unwrap();
        assert_eq!(sent.header("authorization"), Some(format!("Bearer {KEY}").as_str()), "the stored key is used");
        assert_eq!(sent.body["messages"][0]["content"], "Say hello");

        let r = app.call("DELETE", &format!("/api/llm-configs/{id}"), Some(&ann)).await;
        assert_eq!((r.status.as_u16(), r.text.as_str()), (204, ""));
        let list = app.call("GET", "/api/llm-configs", Some(&ann)).await.json();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(app.call("DELETE", &format!("/api/llm-configs/{id}"), Some(&ann)).await.status, 404);
    }

    async fn api_keys_never_leave_the_server(db: Db) {
        let mock = MockProvider::start().await;
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let mut texts = Vec::new();
        let r = app.json("POST", "/api/llm-configs", deepseek(&mock), Some(&ann)).await;
        let id = r.json()["id"].as_i64().unwrap();
        texts.push(r.text);
        texts.push(app.call("GET", "/api/llm-configs", Some(&ann)).await.text);
        texts.push(app.json("PUT", &format!("/api/llm-configs/{id}"), json!({"api_key": format!("{KEY}-rotated")}), Some(&ann)).await.text);
        texts.push(app.call("POST", &format!("/api/llm-configs/{id}/test"), Some(&ann)).await.text);
        mock.push(MockReply::status(401, format!(r#"{{"error":{{"message":"Incorrect API key provided: {KEY}-rotated"}}}}"#)));
        let refused = app.call("POST", &format!("/api/llm-configs/{id}/test"), Some(&ann)).await;
        assert_eq!(refused.status, 400);
        for text in &texts {
            assert!(!text.contains(KEY), "{text}");
            assert!(!text.contains("api_key_sealed") && !text.contains("v1:"), "{text}");
        }
        let openapi = app.call("GET", "/openapi.json", None).await.json();
        assert!(openapi["paths"]["/api/llm-configs/{config_id}/test"]["post"].is_object());
    }

    async fn the_test_route_says_400_for_a_refused_config_and_503_for_an_unreachable_one(db: Db) {
        let mock = MockProvider::start().await;
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let id = create(&app, &ann, deepseek(&mock)).await;
        let path = format!("/api/llm-configs/{id}/test");

        mock.push(MockReply::status(401, r#"{"error":{"message":"Authentication Fails, Your api key is invalid"}}"#));
        let r = app.call("POST", &path, Some(&ann)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_error_shape("POST", &path, &r);
        let b = r.json();
        assert_eq!((b["error_code"].as_str(), b["status_code"].as_u64()), (Some("LLM_002"), Some(400)));
        assert_eq!(b["detail"], "配置无效", "the document's text");

        mock.push(MockReply::status(404, r#"{"error":{"message":"Model Not Exist"}}"#));
        let r = app.call("POST", &path, Some(&ann)).await;
        assert_eq!((r.status.as_u16(), r.json()["error_code"].as_str()), (400, Some("LLM_002")));

        mock.push(MockReply::status(500, r#"{"error":{"message":"internal"}}"#));
        let r = app.call("POST", &path, Some(&ann)).await;
        assert_eq!(r.status, 503, "{}", r.text);
        assert_eq!(r.json()["error_code"], "LLM_001");

        let r = app.json("PUT", &format!("/api/llm-configs/{id}"), json!({"api_base": unreachable_url()}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.call("POST", &path, Some(&ann)).await;
        assert_eq!(r.status, 503, "{}", r.text);
        assert_error_shape("POST", &path, &r);
        let b = r.json();
        assert_eq!(b["error_code"], "LLM_001");
        assert_eq!(b["detail"], "LLM服务不可用", "the document's text");
    }

    async fn callers_must_sign_in_and_see_only_their_own(db: Db) {
        let mock = MockProvider::start().await;
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let (bob, _) = app.user("bob").await;
        let id = create(&app, &ann, deepseek(&mock)).await;
        let routes = [
            ("POST", "/api/llm-configs".to_owned()),
            ("GET", "/api/llm-configs".to_owned()),
            ("PUT", format!("/api/llm-configs/{id}")),
            ("POST", format!("/api/llm-configs/{id}/test")),
            ("DELETE", format!("/api/llm-configs/{id}")),
        ];
        for (m, p) in &routes {
            let r = app.json(m, p, json!({"name": "x"}), None).await;
            assert_eq!(r.status, 401, "{m} {p}");
            assert_error_shape(m, p, &r);
            assert_eq!(r.json()["error_code"], "AUTH_001");
        }
        for (m, p) in &routes[2..] {
            let r = app.json(m, p, json!({"name": "mine now"}), Some(&bob)).await;
            assert_eq!(r.status, 404, "{m} {p}: {}", r.text);
            assert_error_shape(m, p, &r);
        }
        assert_eq!(app.call("GET", "/api/llm-configs", Some(&bob)).await.json(), json!([]));
        assert!(mock.requests().is_empty(), "bob's test reached no provider");
        let mine = app.call("GET", "/api/llm-configs", Some(&ann)).await.json();
        assert_eq!(mine[0]["name"], "我的DeepSeek配置", "bob changed nothing");
    }

    async fn malformed_json_and_bad_fields_are_422(db: Db) {
        let mock = MockProvider::start().await;
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let req = common::post_json("/api/llm-configs", "{\"name\": \"x\", ");
        let mut req = req;
        req.headers_mut().insert("authorization", format!("Bearer {ann}").parse().unwrap());
        let r = app.send(req).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_error_shape("POST", "/api/llm-configs", &r);
        assert!(r.json()["detail"][0]["loc"][0] == "body", "{}", r.text);

        let base = deepseek(&mock);
        let with = |key: &str, value: Value| {
            let mut b = base.clone();
            b[key] = value;
            b
        };
        for (body, loc) in [
            (with("provider", json!("openia")), json!(["body", "provider"])),
            (with("name", json!("")), json!(["body", "name"])),
            (with("name", json!("x".repeat(101))), json!(["body", "name"])),
            (with("api_base", json!("ftp://example.com")), json!(["body", "api_base"])),
            (with("api_base", json!(format!("https://example.com/{}", "a".repeat(2048)))), json!(["body", "api_base"])),
            (with("model", json!("m".repeat(201))), json!(["body", "model"])),
            (with("api_key", json!("k".repeat(4097))), json!(["body", "api_key"])),
            (with("config", json!({"temperature": 2.5})), json!(["body", "config", "temperature"])),
            (with("config", json!({"max_tokens": 0})), json!(["body", "config", "max_tokens"])),
            (with("config", json!({"top_p": 1.5})), json!(["body", "config", "top_p"])),
            (with("config", json!({"temperature": "hot"})), json!(["body", "config", "temperature"])),
            (with("config", json!({"frequency_penalty": 1})), json!(["body", "config"])),
            (with("api_key", Value::Null), json!(["body", "api_key"])),
            (json!({"provider": "deepseek", "api_key": "k"}), json!(["body", "name"])),
        ] {
            let r = app.json("POST", "/api/llm-configs", body.clone(), Some(&ann)).await;
            assert_eq!(r.status, 422, "{body}: {}", r.text);
            assert_error_shape("POST", "/api/llm-configs", &r);
            let detail = r.json()["detail"].clone();
            let locs: Vec<Value> = detail.as_array().unwrap().iter().map(|d| d["loc"].clone()).collect();
            let prefix_found = locs.iter().any(|l| {
                let (l, want) = (l.as_array().unwrap(), loc.as_array().unwrap());
                l.len() >= want.len() && l[..want.len()] == want[..]
            });
            assert!(prefix_found, "{body}: {locs:?}");
            assert!(!r.text.contains(KEY));
        }
        let id = create(&app, &ann, base.clone()).await;
        let path = format!("/api/llm-configs/{id}");
        let r = app.json("PUT", &path, json!({"config": {"temperature": 9}}), Some(&ann)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "config", "temperature"]));
        for (field, long) in [("model", "m".repeat(201)), ("api_base", format!("https://x.example/{}", "a".repeat(2048)))] {
            let r = app.json("PUT", &path, json!({ field: long }), Some(&ann)).await;
            assert_eq!(r.status, 422, "{field}: {}", r.text);
            assert_eq!(r.json()["detail"][0]["loc"], json!(["body", field]), "{}", r.text);
        }
        let r = app.json("PUT", &path, json!({}), Some(&ann)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_error_shape("PUT", &path, &r);
        let r = app.json("PUT", "/api/llm-configs/abc", json!({"name": "x"}), Some(&ann)).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_error_shape("PUT", "/api/llm-configs/abc", &r);
    }

    async fn resoftais_own_field_names_are_accepted_and_unknown_fields_ignored(db: Db) {
        let mock = MockProvider::start().await;
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        // The body ResoftAI's own integration test sends: `model_name`, top-level sampling parameters, extras.
        let body = json!({
            "name": "mine", "provider": "deepseek", "model_name": "deepseek-coder", "api_key": KEY,
            "api_base": mock.url(), "temperature": 0.3, "max_tokens": 2048, "description": "ignored",
        });
        let r = app.json("POST", "/api/llm-configs", body, Some(&ann)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let b = r.json();
        assert_eq!(b["model"], "deepseek-coder");
        assert_eq!(b["config"], json!({"temperature": 0.3, "max_tokens": 2048}));
        assert!(b.get("description").is_none());
        let id = b["id"].as_i64().unwrap();

        // `config` wins over the top-level alias when both are given.
        let both = json!({"name": "both", "provider": "deepseek", "api_key": KEY, "api_base": mock.url(), "temperature": 0.1, "config": {"temperature": 0.9}});
        let r = app.json("POST", "/api/llm-configs", both, Some(&ann)).await;
        assert_eq!(r.json()["config"], json!({"temperature": 0.9}), "{}", r.text);

        let r = app.json("PUT", &format!("/api/llm-configs/{id}"), json!({"model_name": "deepseek-chat", "max_tokens": 100, "colour": "red"}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["model"].as_str(), r.json()["config"].clone()), (Some("deepseek-chat"), json!({"temperature": 0.3, "max_tokens": 100})));
        let r = app.json("PUT", &format!("/api/llm-configs/{id}"), json!({"temperature": 7}), Some(&ann)).await;
        assert_eq!(r.status, 422, "aliases are validated like config: {}", r.text);
        assert_eq!(r.json()["detail"][0]["loc"], json!(["body", "config", "temperature"]));
    }

    async fn the_server_default_answers_users_without_a_config(db: Db) {
        let mock = MockProvider::start().await;
        let settings = slipway_llm::LlmSettings { server_default: Some(mock.config("anthropic")), ..Setup::default().llm };
        let app = TestApp::new(db, Setup { llm: settings, ..Setup::default() }).await;
        let (ann, _) = app.user("ann").await;
        let ann_id = app.id_of(&ann).await;
        let llm = &app.state.llm;
        let chain = llm.chain_for(ann_id).await.unwrap();
        let r = llm
            .chat(&chain, slipway_llm::ChatRequest { messages: vec![slipway_llm::Message::user("ping")], ..Default::default() }, slipway_llm::CallInfo::for_user(ann_id), &tokio_util::sync::CancellationToken::new())
            .await
            .unwrap();
        assert_eq!((r.provider.as_str(), r.content.as_str()), ("anthropic", "echo: ping"));
        let id = create(&app, &ann, deepseek(&mock)).await;
        let chain = llm.chain_for(ann_id).await.unwrap();
        assert_eq!(chain.links().iter().map(|l| l.provider.name()).collect::<Vec<_>>(), ["deepseek", "anthropic"]);
        assert_eq!(app.call("DELETE", &format!("/api/llm-configs/{id}"), Some(&ann)).await.status, 204);
        assert_eq!(llm.chain_for(ann_id).await.unwrap().links().len(), 1);
    }
}
