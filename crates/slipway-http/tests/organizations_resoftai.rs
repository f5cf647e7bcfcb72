//! ResoftAI's `/api/organizations` and `/api/teams` over HTTP on both backends: administrators create
//! organizations (slugs unique and URL-safe), members list and read only theirs, owners change them (the tier
//! stays the administrators'); teams start with their creator as owner, their managers manage members, a team
//! admin stays below the owner role, and the last owner can be neither demoted nor removed; an organization's
//! tier sets its members' ResoftAI rate limit. Anonymous callers, plain users, outsiders and malformed input
//! are refused in ResoftAI's shape.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{Reply, Setup, TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_core::config::{Rate, RateLimitConfig};
use slipway_store::{Db, backend_tests};

fn refused(r: &Reply, status: u16, code: &str, method: &str, path: &str) {
    assert_eq!(r.status, status, "{method} {path}: {}", r.text);
    assert_eq!(r.json()["error_code"], code, "{method} {path}: {}", r.text);
    assert_error_shape(method, path, r);
}

fn locs(r: &Reply) -> Vec<String> {
    r.json()["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"].as_array().unwrap().last().unwrap().to_string())
        .collect()
}

async fn create_org(app: &TestApp, admin: &str, slug: &str, tier: &str) -> i64 {
    let body = json!({"name": format!("{slug} 公司"), "slug": slug, "tier": tier});
    let r = app.json("POST", "/api/organizations", body, Some(admin)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

async fn create_team(app: &TestApp, token: &str, org: i64, name: &str) -> i64 {
    let r = app.json("POST", "/api/teams", json!({"organization_id": org, "name": name}), Some(token)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

async fn add(app: &TestApp, token: &str, team: i64, user: i64, role: &str) -> Reply {
    app.json("POST", &format!("/api/teams/{team}/members"), json!({"user_id": user, "role": role}), Some(token)).await
}

fn english(method: &str, uri: &str, body: &Value, token: &str) -> Request<Body> {
    let mut req = common::json_req(method, uri, body, Some(token));
    req.headers_mut().insert("accept-language", "en".parse().unwrap());
    req
}

backend_tests! {
    async fn organizations_are_created_listed_read_and_changed(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        let (bob, _) = app.user("bob").await;
        let (eve, _) = app.user("eve").await;
        let bob_id = app.id_of(&bob).await;

        let body = json!({
            "name": "我的公司", "slug": "my-company", "tier": "professional",
            "contact_email": "admin@company.com", "description": "公司描述", "ignored": "unknown fields are ignored"
        });
        let r = app.json("POST", "/api/organizations", body.clone(), Some(&root)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let o = r.json();
        for (k, want) in [("name", json!("我的公司")), ("slug", json!("my-company")), ("tier", json!("professional")),
            ("is_active", json!(true)), ("sso_enabled", json!(false)), ("contact_email", json!("admin@company.com")),
            ("description", json!("公司描述"))] {
            assert_eq!(o[k], want, "{k}: {o}");
        }
        assert!(o["created_at"].as_str().unwrap().ends_with('Z'), "{o}");
        let acme = o["id"].as_i64().unwrap();

        let r = app.json("POST", "/api/organizations", body.clone(), Some(&root)).await;
        refused(&r, 409, "CONFLICT", "POST", "/api/organizations");
        assert_eq!(r.json()["detail"], "组织标识已被使用");
        let r = app.send(english("POST", "/api/organizations", &body, &root)).await;
        assert_eq!(r.json()["detail"], "The organization slug is already taken");
        let r = app.json("POST", "/api/organizations", body.clone(), None).await;
        refused(&r, 401, "AUTH_001", "POST", "/api/organizations");
        let r = app.json("POST", "/api/organizations", json!({"name": "x", "slug": "x"}), Some(&ann)).await;
        refused(&r, 403, "AUTH_003", "POST", "/api/organizations");
        assert_eq!(r.json()["detail"], "权限不足");
        let bad = json!({"name": " ", "slug": "My Company", "tier": "gold", "contact_email": "nope"});
        let r = app.json("POST", "/api/organizations", bad, Some(&root)).await;
        refused(&r, 422, "VALIDATION_ERROR", "POST", "/api/organizations");
        assert_eq!(locs(&r), ["\"name\"", "\"slug\"", "\"tier\"", "\"contact_email\""]);
        let r = app.json("POST", "/api/organizations", json!({"name": "x"}), Some(&root)).await;
        refused(&r, 422, "VALIDATION_ERROR", "POST", "/api/organizations");
        let r = app.send(common::raw_req("POST", "/api/organizations", r#"{"name": "a\u0000b", "slug": "nul"}"#, Some(&root))).await;
        refused(&r, 422, "VALIDATION_ERROR", "POST", "/api/organizations");
        let free = create_org(&app, &root, "free-co", "free").await;
        let minimal = app.json("POST", "/api/organizations", json!({"name": "m", "slug": "m"}), Some(&root)).await;
        assert_eq!(minimal.json()["tier"], "free", "the tier defaults to free");

        // Membership comes through teams: the team's creator (an administrator here) is its first owner.
        let dev = create_team(&app, &root, acme, "dev").await;
        assert_eq!(add(&app, &root, dev, app.id_of(&ann).await, "owner").await.status, 201);
        assert_eq!(add(&app, &root, dev, bob_id, "member").await.status, 201);
        let other = create_team(&app, &root, free, "ops").await;
        assert_eq!(add(&app, &root, other, app.id_of(&eve).await, "owner").await.status, 201);

        let r = app.call("GET", "/api/organizations", Some(&root)).await;
        assert_eq!((r.status.as_u16(), r.header("x-total-count")), (200, Some("3")), "{}", r.text);
        let r = app.call("GET", "/api/organizations?tier=professional&is_active=true", Some(&root)).await;
        assert_eq!(r.json().as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect::<Vec<_>>(), [acme]);
        let r = app.call("GET", "/api/organizations?skip=1&limit=1", Some(&root)).await;
        assert_eq!((r.json()[0]["id"].as_i64(), r.header("x-total-count")), (Some(free), Some("3")));
        let r = app.call("GET", "/api/organizations", Some(&bob)).await;
        assert_eq!(r.json().as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect::<Vec<_>>(), [acme], "a member sees only theirs");
        let (loner, _) = app.user("loner").await;
        let r = app.call("GET", "/api/organizations", Some(&loner)).await;
        assert_eq!((r.json(), r.header("x-total-count")), (json!([]), Some("0")));
        let r = app.call("GET", "/api/organizations?tier=gold&limit=0&skip=-1", Some(&root)).await;
        refused(&r, 422, "VALIDATION_ERROR", "GET", "/api/organizations");
        assert_eq!(locs(&r).len(), 3);
        let r = app.call("GET", "/api/organizations?is_active=maybe", Some(&root)).await;
        refused(&r, 422, "VALIDATION_ERROR", "GET", "/api/organizations");
        refused(&app.call("GET", "/api/organizations", None).await, 401, "AUTH_001", "GET", "/api/organizations");

        let path = format!("/api/organizations/{acme}");
        assert_eq!(app.call("GET", &path, Some(&bob)).await.json()["slug"], "my-company");
        let r = app.call("GET", &path, Some(&eve)).await;
        refused(&r, 404, "NOT_FOUND", "GET", &path);
        assert_eq!(r.json()["detail"], "资源不存在");
        refused(&app.call("GET", "/api/organizations/abc", Some(&root)).await, 422, "VALIDATION_ERROR", "GET", "/api/organizations/abc");
        refused(&app.call("GET", "/api/organizations/0", Some(&root)).await, 422, "VALIDATION_ERROR", "GET", "/api/organizations/0");
        refused(&app.call("GET", "/api/organizations/999999", Some(&root)).await, 404, "NOT_FOUND", "GET", "/api/organizations/999999");

        // Owners change their organization; the tier and the active switch stay with administrators.
        let r = app.json("PUT", &path, json!({"name": "新名字", "sso_enabled": true, "extra": 1}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!((r.json()["name"].clone(), r.json()["sso_enabled"].clone(), r.json()["tier"].clone()), (json!("新名字"), json!(true), json!("professional")));
        assert!(r.json()["updated_at"].as_str().unwrap().ends_with('Z'));
        refused(&app.json("PUT", &path, json!({"tier": "enterprise"}), Some(&ann)).await, 403, "AUTH_003", "PUT", &path);
        refused(&app.json("PUT", &path, json!({"name": "mine now"}), Some(&bob)).await, 403, "AUTH_003", "PUT", &path);
        refused(&app.json("PUT", &path, json!({"name": "mine now"}), Some(&eve)).await, 404, "NOT_FOUND", "PUT", &path);
        refused(&app.json("PUT", &path, json!({"name": "x"}), None).await, 401, "AUTH_001", "PUT", &path);
        refused(&app.json("PUT", &path, json!({}), Some(&ann)).await, 400, "NO_UPDATE_DATA", "PUT", &path);
        refused(&app.json("PUT", &path, json!({"tier": "gold"}), Some(&root)).await, 422, "VALIDATION_ERROR", "PUT", &path);
        refused(&app.json("PUT", &path, json!({"sso_enabled": "yes"}), Some(&root)).await, 422, "VALIDATION_ERROR", "PUT", &path);
        let r = app.json("PUT", &path, json!({"tier": "enterprise", "sso_enabled": true}), Some(&root)).await;
        assert_eq!((r.status.as_u16(), r.json()["tier"].clone()), (200, json!("enterprise")), "{}", r.text);
        assert_eq!(app.call("GET", &path, Some(&bob)).await.json()["name"], "新名字", "nothing half-written by the refusals");
    }

    async fn teams_keep_their_last_owner_and_only_managers_manage_members(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        let (bob, _) = app.user("bob").await;
        let (cy, _) = app.user("cyd").await;
        let (eve, _) = app.user("eve").await;
        let (ann_id, bob_id, cy_id) = (app.id_of(&ann).await, app.id_of(&bob).await, app.id_of(&cy).await);
        let acme = create_org(&app, &root, "acme", "free").await;
        let other = create_org(&app, &root, "other", "free").await;
        let dev = create_team(&app, &root, acme, "dev").await;
        assert_eq!(add(&app, &root, dev, ann_id, "owner").await.status, 201);
        let ops = create_team(&app, &root, other, "ops").await;
        assert_eq!(add(&app, &root, ops, app.id_of(&eve).await, "owner").await.status, 201);

        // Ann owns the organization through `dev`, so she may create teams in it; she owns the new one.
        let body = json!({"organization_id": acme, "name": "开发团队", "description": "负责核心功能开发", "is_default": true, "x": 1});
        let r = app.json("POST", "/api/teams", body.clone(), Some(&ann)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let t = r.json();
        for (k, want) in [("organization_id", json!(acme)), ("name", json!("开发团队")), ("description", json!("负责核心功能开发")), ("is_default", json!(true))] {
            assert_eq!(t[k], want, "{k}: {t}");
        }
        let team = t["id"].as_i64().unwrap();
        let r = app.json("POST", "/api/teams", body.clone(), Some(&ann)).await;
        refused(&r, 409, "CONFLICT", "POST", "/api/teams");
        assert_eq!(r.json()["detail"], "团队名称已存在");
        refused(&app.json("POST", "/api/teams", body.clone(), None).await, 401, "AUTH_001", "POST", "/api/teams");
        refused(&app.json("POST", "/api/teams", json!({"organization_id": acme, "name": "e"}), Some(&eve)).await, 404, "NOT_FOUND", "POST", "/api/teams");
        refused(&app.json("POST", "/api/teams", json!({"name": "no org"}), Some(&ann)).await, 422, "VALIDATION_ERROR", "POST", "/api/teams");
        refused(&app.json("POST", "/api/teams", json!({"organization_id": acme, "name": ""}), Some(&ann)).await, 422, "VALIDATION_ERROR", "POST", "/api/teams");

        let members = format!("/api/teams/{team}/members");
        let r = add(&app, &ann, team, bob_id, "member").await;
        assert_eq!(r.status, 201, "{}", r.text);
        let m = r.json();
        assert_eq!((m["team_id"].as_i64(), m["user_id"].as_i64(), m["role"].as_str()), (Some(team), Some(bob_id), Some("member")));
        assert!(m["joined_at"].as_str().unwrap().ends_with('Z'));
        let r = add(&app, &ann, team, bob_id, "viewer").await;
        refused(&r, 409, "CONFLICT", "POST", &members);
        assert_eq!(r.json()["detail"], "用户已是团队成员");
        refused(&add(&app, &ann, team, 999_999, "member").await, 404, "USER_NOT_FOUND", "POST", &members);
        refused(&add(&app, &ann, team, cy_id, "boss").await, 422, "VALIDATION_ERROR", "POST", &members);
        refused(&add(&app, &bob, team, cy_id, "member").await, 403, "AUTH_003", "POST", &members);
        refused(&add(&app, &eve, team, cy_id, "member").await, 404, "NOT_FOUND", "POST", &members);
        refused(&app.json("POST", &members, json!({"user_id": cy_id, "role": "member"}), None).await, 401, "AUTH_001", "POST", &members);
        refused(&app.json("POST", "/api/teams/x/members", json!({"user_id": cy_id, "role": "member"}), Some(&ann)).await, 422, "VALIDATION_ERROR", "POST", "/api/teams/x/members");

        // A team admin manages members below the owner role.
        let role = |u: i64| format!("/api/teams/{team}/members/{u}/role");
        let r = app.json("PUT", &role(bob_id), json!({"role": "admin"}), Some(&ann)).await;
        assert_eq!((r.status.as_u16(), r.json()["role"].clone(), r.json()["user_id"].as_i64()), (200, json!("admin"), Some(bob_id)), "{}", r.text);
        assert!(r.json()["updated_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(add(&app, &bob, team, cy_id, "viewer").await.status, 201);
        refused(&app.json("PUT", &role(cy_id), json!({"role": "owner"}), Some(&bob)).await, 403, "AUTH_003", "PUT", &role(cy_id));
        refused(&app.call("DELETE", &format!("{members}/{ann_id}"), Some(&bob)).await, 403, "AUTH_003", "DELETE", &format!("{members}/{ann_id}"));
        refused(&app.json("PUT", &role(cy_id), json!({"role": "admin"}), Some(&cy)).await, 403, "AUTH_003", "PUT", &role(cy_id));

        // The last owner stays.
        let r = app.json("PUT", &role(ann_id), json!({"role": "member"}), Some(&ann)).await;
        refused(&r, 409, "CONFLICT", "PUT", &role(ann_id));
        assert_eq!(r.json()["detail"], "团队至少需要保留一名所有者");
        let r = app.send(english("PUT", &role(ann_id), &json!({"role": "member"}), &ann)).await;
        assert_eq!(r.json()["detail"], "A team must keep at least one owner");
        refused(&app.call("DELETE", &format!("{members}/{ann_id}"), Some(&root)).await, 409, "CONFLICT", "DELETE", &format!("{members}/{ann_id}"));
        refused(&app.json("PUT", &role(999_999), json!({"role": "admin"}), Some(&ann)).await, 404, "NOT_FOUND", "PUT", &role(999_999));
        refused(&app.json("PUT", &role(cy_id), json!({"role": "chief"}), Some(&ann)).await, 422, "VALIDATION_ERROR", "PUT", &role(cy_id));
        refused(&app.json("PUT", &role(cy_id), json!({}), Some(&ann)).await, 422, "VALIDATION_ERROR", "PUT", &role(cy_id));
        refused(&app.json("PUT", &format!("/api/teams/{team}/members/0/role"), json!({"role": "admin"}), Some(&ann)).await, 422, "VALIDATION_ERROR", "PUT", "/api/teams/1/members/0/role");
        // With a second owner, the first may step down.
        assert_eq!(app.json("PUT", &role(bob_id), json!({"role": "owner"}), Some(&ann)).await.status, 200);
        assert_eq!(app.json("PUT", &role(ann_id), json!({"role": "viewer"}), Some(&ann)).await.status, 200);

        let r = app.call("DELETE", &format!("{members}/{cy_id}"), Some(&bob)).await;
        assert_eq!((r.status.as_u16(), r.text.as_str()), (204, ""));
        refused(&app.call("DELETE", &format!("{members}/{cy_id}"), Some(&bob)).await, 404, "NOT_FOUND", "DELETE", &format!("{members}/{cy_id}"));
        refused(&app.call("DELETE", &format!("{members}/{cy_id}"), None).await, 401, "AUTH_001", "DELETE", &format!("{members}/{cy_id}"));

        let r = app.call("GET", &format!("/api/teams/{team}"), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = r.json();
        assert_eq!(d["name"], "开发团队");
        let roles: Vec<(i64, String)> = d["members"].as_array().unwrap().iter()
            .map(|m| (m["user_id"].as_i64().unwrap(), m["role"].as_str().unwrap().to_owned())).collect();
        assert_eq!(roles, [(ann_id, "viewer".to_owned()), (bob_id, "owner".to_owned())]);
        assert_eq!(d["members"][0]["username"], "ann");
        refused(&app.call("GET", &format!("/api/teams/{team}"), Some(&eve)).await, 404, "NOT_FOUND", "GET", "/api/teams/1");
        refused(&app.call("GET", &format!("/api/teams/{team}"), Some(&cy)).await, 404, "NOT_FOUND", "GET", "/api/teams/1");
        refused(&app.call("GET", "/api/teams/abc", Some(&ann)).await, 422, "VALIDATION_ERROR", "GET", "/api/teams/abc");

        let r = app.call("GET", &format!("/api/organizations/{acme}/teams"), Some(&ann)).await;
        let names: Vec<Value> = r.json().as_array().unwrap().iter().map(|t| t["name"].clone()).collect();
        assert_eq!(names, [json!("dev"), json!("开发团队")]);
        refused(&app.call("GET", &format!("/api/organizations/{acme}/teams"), Some(&eve)).await, 404, "NOT_FOUND", "GET", "/api/organizations/1/teams");
        refused(&app.call("GET", &format!("/api/organizations/{acme}/teams"), None).await, 401, "AUTH_001", "GET", "/api/organizations/1/teams");
        for (method, path) in [
            ("GET", format!("/api/teams/{team}")), ("GET", format!("/api/organizations/{acme}")),
            ("PUT", role(bob_id)), ("POST", members.clone()), ("DELETE", format!("{members}/{bob_id}")),
        ] {
            refused(&app.json(method, &path, json!({"role": "viewer"}), Some("not-a-token")).await, 401, "AUTH_002", method, &path);
            refused(&app.json(method, &path, json!({"role": "viewer"}), None).await, 401, "AUTH_001", method, &path);
        }
        assert_eq!(app.call("GET", &format!("/api/teams/{team}"), Some(&bob)).await.json()["members"].as_array().unwrap().len(), 2, "nothing changed");
    }

    async fn an_organizations_tier_sets_its_members_rate_limit(db: Db) {
        let rates = RateLimitConfig {
            enabled: true,
            resoftai_free: Rate::new(3, 600),
            resoftai_paid: Rate::new(5, 600),
            resoftai_enterprise: Rate::new(8, 600),
            ..RateLimitConfig::default()
        };
        let app = TestApp::new(db, Setup { rates, ..Setup::default() }).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        let limit = |r: &Reply| r.header("x-ratelimit-limit").map(str::to_owned);

        let r = app.call("GET", "/api/organizations", Some(&ann)).await;
        assert_eq!((r.status.as_u16(), limit(&r).as_deref()), (200, Some("3")), "in no organization: free");
        let org = create_org(&app, &root, "pro", "professional").await;
        let team = create_team(&app, &root, org, "dev").await;
        assert_eq!(add(&app, &root, team, app.id_of(&ann).await, "member").await.status, 201);
        let mut seen = Vec::new();
        for _ in 0..4 {
            let r = app.call("GET", "/api/organizations", Some(&ann)).await;
            seen.push((r.status.as_u16(), limit(&r), r.header("x-ratelimit-remaining").map(str::to_owned)));
        }
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(seen, [(200, s("5"), s("3")), (200, s("5"), s("2")), (200, s("5"), s("1")), (200, s("5"), s("0"))]);
        let r = app.call("GET", "/api/organizations", Some(&ann)).await;
        refused(&r, 429, "RATE_LIMIT_EXCEEDED", "GET", "/api/organizations");
        let r = app.json("PUT", &format!("/api/organizations/{org}"), json!({"tier": "enterprise"}), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = app.call("GET", "/api/organizations", Some(&ann)).await;
        assert_eq!((r.status.as_u16(), limit(&r).as_deref()), (200, Some("8")), "{}", r.text);
    }
}
