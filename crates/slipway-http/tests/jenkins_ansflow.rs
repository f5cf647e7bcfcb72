//! AnsFlow's Jenkins integration over HTTP on both backends, against a local Jenkins speaking its protocol: the
//! trigger answers the queue item and build, the build route shows the console, servers are their owners' (another
//! user's is a 404), a user's loopback URL is refused, Jenkins' refusals keep their statuses, malformed bodies are
//! 400 VALIDATION_ERROR in AnsFlow's shape, and no response or event ever carries the credential.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_delivery::testing::jenkins::{JenkinsConfig, JobScript, LocalJenkins};
use slipway_store::{Db, backend_tests};

const SERVERS: &str = "/api/v1/integrations/jenkins/servers";
const TRIGGER: &str = "/api/v1/integrations/jenkins/trigger";
const CONSOLE: &str = "Started by user deployer\n+ npm run build\nbuilt 12 files\nFinished: SUCCESS\n";

async fn local() -> LocalJenkins {
    common::install_crypto();
    let j = LocalJenkins::start(JenkinsConfig::default()).await.unwrap();
    j.add_job("frontend/build-frontend", JobScript::new(CONSOLE, "SUCCESS"));
    j
}

fn server_body(j: &LocalJenkins) -> Value {
    json!({
        "name": "ci",
        "url": j.url(),
        "username": j.config().username,
        "credential": j.config().api_token,
        "is_default": true,
    })
}

async fn add_server(app: &TestApp, token: &str, j: &LocalJenkins) -> i64 {
    let r = app.json("POST", SERVERS, server_body(j), Some(token)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

fn assert_ansflow_error(method: &str, path: &str, r: &common::Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{method} {path}: {}", r.text);
    assert_error_shape(method, path, r);
    assert_eq!(r.json()["error"]["code"], code, "{}", r.text);
}

backend_tests! {
    async fn the_trigger_answers_the_queue_item_and_build_and_the_build_route_the_console(db: Db) {
        let j = local().await;
        let app = TestApp::on(db).await;
        let admin = app.admin("root").await;
        let id = add_server(&app, &admin, &j).await;
        let body = json!({"job_name": "frontend/build-frontend", "parameters": {"BRANCH": "main", "ENVIRONMENT": "staging"}});
        let r = app.json("POST", TRIGGER, body, Some(&admin)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!(b["server"]["id"], id);
        assert_eq!(b["job_name"], "frontend/build-frontend");
        assert_eq!(b["queue_item"]["url"], format!("{}queue/item/{}/", j.url(), b["queue_item"]["id"]));
        assert_eq!(b["build"]["number"], 1);
        assert_eq!(b["build"]["url"], format!("{}job/frontend/job/build-frontend/1/", j.url()));
        let mut sent = j.triggers()[0].parameters.clone();
        sent.sort();
        assert_eq!(sent, [("BRANCH".to_owned(), "main".to_owned()), ("ENVIRONMENT".to_owned(), "staging".to_owned())]);
        let job_id = b["job_id"].as_i64().unwrap();
        let path = format!("/api/v1/integrations/jenkins/builds/{job_id}");
        let mut view = Value::Null;
        for _ in 0..200 {
            view = app.call("GET", &path, Some(&admin)).await.json();
            if view["status"] == "succeeded" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(view["status"], "succeeded", "{view}");
        assert_eq!(view["result"], "SUCCESS");
        assert_eq!(view["console"], json!(CONSOLE.lines().collect::<Vec<_>>()));
        assert_eq!(view["queue_item"], b["queue_item"]);
        let job_events = events_of(&app, &admin, job_id).await;
        assert!(job_events.contains("jenkins_started") && job_events.contains("built 12 files"), "{job_events}");
        let token = j.config().api_token.clone();
        for text in [r.text.clone(), view.to_string(), job_events] {
            assert!(!text.contains(&token), "the credential leaked: {text}");
        }
        let bad_job = app.json("POST", TRIGGER, json!({"job_name": "frontend/nope"}), Some(&admin)).await;
        assert_ansflow_error("POST", TRIGGER, &bad_job, 404, "RESOURCE_NOT_FOUND");
    }

    async fn servers_never_show_the_credential_and_are_their_owners(db: Db) {
        let j = local().await;
        let app = TestApp::on(db).await;
        let admin = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        let id = add_server(&app, &admin, &j).await;
        let token = j.config().api_token.clone();
        let r = app.call("GET", SERVERS, Some(&admin)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()[0]["has_credential"], true);
        assert_eq!(r.json()[0]["credential_kind"], "api_token");
        assert!(r.json()[0].get("credential").is_none() && !r.text.contains(&token));
        let one = format!("{SERVERS}/{id}");
        let r = app.json("PUT", &one, json!({"name": "main ci", "credential": "new-secret-token"}), Some(&admin)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["name"], "main ci");
        assert!(!r.text.contains("new-secret-token"));

        for (method, body) in [("GET", None), ("PUT", Some(json!({"name": "x"}))), ("DELETE", None)] {
            let r = match body {
                Some(b) => app.json(method, &one, b, Some(&ann)).await,
                None => app.call(method, &one, Some(&ann)).await,
            };
            assert_ansflow_error(method, &one, &r, 404, "RESOURCE_NOT_FOUND");
        }
        let r = app.call("GET", SERVERS, Some(&ann)).await;
        assert_eq!(r.json(), json!([]));
        let theirs = app.json("POST", TRIGGER, json!({"job_name": "a", "server_id": id}), Some(&ann)).await;
        assert_ansflow_error("POST", TRIGGER, &theirs, 404, "RESOURCE_NOT_FOUND");
        let none = app.json("POST", TRIGGER, json!({"job_name": "a"}), Some(&ann)).await;
        assert_ansflow_error("POST", TRIGGER, &none, 400, "VALIDATION_ERROR");
        assert!(none.json()["error"]["details"]["server_id"].is_array(), "{}", none.text);

        let loopback = app.json("POST", SERVERS, server_body(&j), Some(&ann)).await;
        assert_ansflow_error("POST", SERVERS, &loopback, 400, "VALIDATION_ERROR");
        assert!(loopback.text.contains("loopback"), "{}", loopback.text);
        let dup = app.json("POST", SERVERS, server_body(&j), Some(&admin)).await;
        assert_eq!(dup.status, 201, "the first was renamed: {}", dup.text);
        let dup = app.json("POST", SERVERS, server_body(&j), Some(&admin)).await;
        assert_ansflow_error("POST", SERVERS, &dup, 409, "RESOURCE_CONFLICT");

        let r = app.call("DELETE", &one, Some(&admin)).await;
        assert_eq!(r.status, 204);
        let r = app.call("GET", &one, Some(&admin)).await;
        assert_ansflow_error("GET", &one, &r, 404, "RESOURCE_NOT_FOUND");
    }

    async fn anonymous_callers_are_refused_and_malformed_bodies_are_validation_errors(db: Db) {
        let j = local().await;
        let app = TestApp::on(db).await;
        let admin = app.admin("root").await;
        add_server(&app, &admin, &j).await;
        for (method, path) in [("POST", TRIGGER), ("GET", SERVERS), ("POST", SERVERS), ("GET", "/api/v1/integrations/jenkins/builds/1")] {
            let r = app.json(method, path, json!({"job_name": "x"}), None).await;
            assert_ansflow_error(method, path, &r, 401, "AUTHENTICATION_ERROR");
        }
        let huge = "x".repeat(5000);
        for body in [
            json!({}),
            json!({"job_name": 7}),
            json!({"job_name": ""}),
            json!({"job_name": "a//b"}),
            json!({"job_name": "a/../b"}),
            json!({"job_name": "a\u{0}b"}),
            json!({"job_name": huge}),
            json!({"job_name": "a", "parameters": [1, 2]}),
            json!({"job_name": "a", "parameters": {"X": {"nested": 1}}}),
            json!({"job_name": "a", "server_id": "one"}),
        ] {
            let r = app.json("POST", TRIGGER, body.clone(), Some(&admin)).await;
            assert_ansflow_error("POST", TRIGGER, &r, 400, "VALIDATION_ERROR");
            assert!(j.triggers().is_empty(), "{body}");
        }
        let r = app.send(common::raw_req("POST", TRIGGER, "{\"job_name\": ", Some(&admin))).await;
        assert_ansflow_error("POST", TRIGGER, &r, 400, "VALIDATION_ERROR");
        for body in [
            json!({"name": "x"}),
            json!({"name": "x", "url": "ftp://ci", "username": "u", "credential": "c"}),
            json!({"name": "x", "url": "http://ci.example.com", "username": "u", "credential": "c", "credential_kind": "ssh"}),
            json!({"name": "", "url": "http://ci.example.com", "username": "u", "credential": "c"}),
            json!({"name": "x", "url": "http://ci.example.com", "username": "u", "credential": "c\u{0}"}),
        ] {
            let r = app.json("POST", SERVERS, body.clone(), Some(&admin)).await;
            assert_ansflow_error("POST", SERVERS, &r, 400, "VALIDATION_ERROR");
        }
        let r = app.call("GET", "/api/v1/integrations/jenkins/servers/abc", Some(&admin)).await;
        assert_ansflow_error("GET", "/api/v1/integrations/jenkins/servers/abc", &r, 400, "VALIDATION_ERROR");
    }

    async fn jenkins_refusals_keep_their_statuses(db: Db) {
        let j = local().await;
        let app = TestApp::on(db).await;
        let admin = app.admin("root").await;
        let id = add_server(&app, &admin, &j).await;
        let one = format!("{SERVERS}/{id}");
        app.json("PUT", &one, json!({"credential": "wrong"}), Some(&admin)).await;
        let r = app.json("POST", TRIGGER, json!({"job_name": "frontend/build-frontend"}), Some(&admin)).await;
        assert_ansflow_error("POST", TRIGGER, &r, 400, "CONFIGURATION_INVALID");
        assert!(r.text.contains("refused the credentials"), "{}", r.text);
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        app.json("PUT", &one, json!({"url": format!("http://{closed}/"), "credential": "x"}), Some(&admin)).await;
        let r = app.json("POST", TRIGGER, json!({"job_name": "frontend/build-frontend"}), Some(&admin)).await;
        assert_ansflow_error("POST", TRIGGER, &r, 502, "BAD_GATEWAY");
        let (ann, _) = app.user("ann").await;
        let r = app.call("GET", "/api/v1/integrations/jenkins/builds/1", Some(&ann)).await;
        assert_ansflow_error("GET", "/api/v1/integrations/jenkins/builds/1", &r, 404, "RESOURCE_NOT_FOUND");
    }
}

/// Every event of a finished job, as text.
async fn events_of(app: &TestApp, token: &str, job_id: i64) -> String {
    use futures_util::StreamExt;
    let principal = app.state.identity.authenticate(token).await.unwrap().principal();
    let mut stream = app.state.engine.subscribe(&principal, job_id, 0).await.unwrap();
    let mut out = String::new();
    while let Some(e) = stream.next().await {
        let e = e.unwrap();
        out.push_str(&format!("{} {}\n", e.kind, e.payload));
    }
    out
}
