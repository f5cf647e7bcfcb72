//! ResoftAI's `/api/quotas` over HTTP on both backends: an organization gets its quota rows by tier on
//! creation, its members read them, administrators set limits; the `projects` quota is enforced on
//! `POST /api/projects` (`403 PROJ_003` with the document's text), released when a project is deleted, exact
//! under 20 concurrent creators at a limit of 10; a user in no organization is unlimited.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Reply, TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_store::{Db, backend_tests};

fn refused(r: &Reply, status: u16, code: &str, method: &str, path: &str) {
    assert_eq!(r.status, status, "{method} {path}: {}", r.text);
    assert_eq!(r.json()["error_code"], code, "{method} {path}: {}", r.text);
    assert_error_shape(method, path, r);
}

fn project(name: &str) -> Value {
    json!({"name": name, "requirements": "a CLI that greets"})
}

/// An organization of `tier` with a team in which `member` is a member; answers the organization's id.
async fn org_with(app: &TestApp, root: &str, tier: &str, member: &str) -> i64 {
    let r =
        app.json("POST", "/api/organizations", json!({"name": "Acme", "slug": "acme", "tier": tier}), Some(root)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let org = r.json()["id"].as_i64().unwrap();
    let r = app.json("POST", "/api/teams", json!({"organization_id": org, "name": "dev"}), Some(root)).await;
    let team = r.json()["id"].as_i64().unwrap();
    let body = json!({"user_id": app.id_of(member).await, "role": "member"});
    assert_eq!(app.json("POST", &format!("/api/teams/{team}/members"), body, Some(root)).await.status, 201);
    org
}

async fn projects_quota(app: &TestApp, token: &str, org: i64) -> Value {
    let r = app.call("GET", &format!("/api/quotas?organization_id={org}"), Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json().as_array().unwrap().iter().find(|q| q["resource_type"] == "projects").unwrap().clone()
}

backend_tests! {
    async fn quotas_are_listed_set_by_administrators_and_enforce_projects(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        let (eve, _) = app.user("eve").await;
        let (loner, _) = app.user("loner").await;
        let org = org_with(&app, &root, "professional", &ann).await;

        let path = format!("/api/quotas?organization_id={org}");
        let r = app.call("GET", &path, Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let quotas = r.json();
        let rows: Vec<(String, i64, i64, bool)> = quotas.as_array().unwrap().iter().map(|q| (
            q["resource_type"].as_str().unwrap().to_owned(), q["limit"].as_i64().unwrap(), q["used"].as_i64().unwrap(),
            q["reset_at"].is_string(),
        )).collect();
        assert_eq!(rows, [
            ("projects".to_owned(), 100, 0, false), ("api_calls".to_owned(), 1_000_000, 0, true),
            ("llm_tokens".to_owned(), 10_000_000, 0, true), ("storage_bytes".to_owned(), 10 * 1024 * 1024 * 1024, 0, false),
            ("concurrent_runs".to_owned(), 5, 0, false),
        ]);
        assert!(quotas[1]["reset_at"].as_str().unwrap().ends_with("-01T00:00:00Z"), "monthly: {}", quotas[1]);
        assert!(quotas.as_array().unwrap().iter().all(|q| q["organization_id"] == org));
        refused(&app.call("GET", &path, Some(&eve)).await, 404, "NOT_FOUND", "GET", "/api/quotas");
        refused(&app.call("GET", &path, None).await, 401, "AUTH_001", "GET", "/api/quotas");
        refused(&app.call("GET", "/api/quotas", Some(&ann)).await, 422, "VALIDATION_ERROR", "GET", "/api/quotas");
        refused(&app.call("GET", "/api/quotas?organization_id=x", Some(&ann)).await, 422, "VALIDATION_ERROR", "GET", "/api/quotas");

        let projects = projects_quota(&app, &ann, org).await;
        let id = projects["id"].as_i64().unwrap();
        let put = format!("/api/quotas/{id}");
        refused(&app.json("PUT", &put, json!({"limit": 2}), Some(&ann)).await, 403, "AUTH_003", "PUT", &put);
        refused(&app.json("PUT", &put, json!({"limit": 2}), None).await, 401, "AUTH_001", "PUT", &put);
        refused(&app.json("PUT", &put, json!({"limit": -1}), Some(&root)).await, 422, "VALIDATION_ERROR", "PUT", &put);
        refused(&app.json("PUT", &put, json!({"limit": "many"}), Some(&root)).await, 422, "VALIDATION_ERROR", "PUT", &put);
        refused(&app.json("PUT", &put, json!({}), Some(&root)).await, 422, "VALIDATION_ERROR", "PUT", &put);
        refused(&app.json("PUT", "/api/quotas/999999", json!({"limit": 2}), Some(&root)).await, 404, "NOT_FOUND", "PUT", "/api/quotas/999999");
        refused(&app.json("PUT", "/api/quotas/abc", json!({"limit": 2}), Some(&root)).await, 422, "VALIDATION_ERROR", "PUT", "/api/quotas/abc");
        let r = app.json("PUT", &put, json!({"limit": 2, "ignored": true}), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["id"].as_i64(), r.json()["resource_type"].clone(), r.json()["limit"].as_i64()), (Some(id), json!("projects"), Some(2)));
        assert!(r.json()["updated_at"].as_str().unwrap().ends_with('Z'));

        let first = app.json("POST", "/api/projects", project("one"), Some(&ann)).await;
        assert_eq!(first.status, 201, "{}", first.text);
        assert_eq!(app.json("POST", "/api/projects", project("two"), Some(&ann)).await.status, 201);
        let r = app.json("POST", "/api/projects", project("three"), Some(&ann)).await;
        refused(&r, 403, "PROJ_003", "POST", "/api/projects");
        assert_eq!(r.json()["detail"], "配额已满");
        let mut en = common::json_req("POST", "/api/projects", &project("three"), Some(&ann));
        en.headers_mut().insert("accept-language", "en".parse().unwrap());
        assert_eq!(app.send(en).await.json()["detail"], "Quota exceeded");
        let listed = app.call("GET", "/api/projects", Some(&ann)).await;
        assert_eq!(listed.header("x-total-count"), Some("2"), "a refused project is not written");
        assert_eq!(projects_quota(&app, &ann, org).await["used"], 2);

        let gone = first.json()["id"].as_i64().unwrap();
        assert_eq!(app.call("DELETE", &format!("/api/projects/{gone}"), Some(&ann)).await.status, 204);
        assert_eq!(projects_quota(&app, &ann, org).await["used"], 1, "deleting releases");
        assert_eq!(app.json("POST", "/api/projects", project("three"), Some(&ann)).await.status, 201);
        for i in 0..3 {
            let r = app.json("POST", "/api/projects", project(&format!("free {i}")), Some(&loner)).await;
            assert_eq!(r.status, 201, "a user in no organization is unlimited: {}", r.text);
        }
    }

    async fn twenty_concurrent_creators_at_a_limit_of_ten_get_exactly_ten(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        let org = org_with(&app, &root, "free", &ann).await;
        let id = projects_quota(&app, &root, org).await["id"].as_i64().unwrap();
        assert_eq!(projects_quota(&app, &root, org).await["limit"], 10, "free organizations start at 10 projects");

        let router = app.router.clone();
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let (router, ann) = (router.clone(), ann.clone());
                tokio::spawn(async move {
                    let req = common::json_req("POST", "/api/projects", &project(&format!("p{i}")), Some(&ann));
                    common::send(&router, req).await
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            let r = t.await.unwrap();
            if r.status != 201 {
                assert_eq!(r.json()["error_code"], "PROJ_003", "{}", r.text);
            }
            statuses.push(r.status.as_u16());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 10, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 10, "{statuses:?}");
        assert_eq!(projects_quota(&app, &root, org).await["used"], 10);
        assert_eq!(app.call("GET", "/api/projects", Some(&ann)).await.header("x-total-count"), Some("10"));
        assert_eq!(app.json("PUT", &format!("/api/quotas/{id}"), json!({"limit": 11}), Some(&root)).await.status, 200);
        assert_eq!(app.json("POST", "/api/projects", project("eleventh"), Some(&ann)).await.status, 201);
    }
}
