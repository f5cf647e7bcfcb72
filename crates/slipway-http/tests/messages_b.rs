//! The message texts of ResoftAI (001), AnsFlow (002), qoder (003) and the six shared routes: every text the
//! documents give (listed here by hand from the documents) is in the surface's table and is what the route or
//! error the document attaches it to answers; `Accept-Language: en` gives the English instead.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::Request;
use common::TestApp;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use slipway_core::{Error, FieldError};
use slipway_http::error::{ErrorContext, render};
use slipway_http::lang::Lang;
use slipway_http::surface::{Shape, Surface};
use slipway_http::surfaces::shared::messages::Msg;
use slipway_http::surfaces::{ansflow, qoder, resoftai, shared};
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_store::{Db, backend_tests};

/// The document texts of a table.
fn docs(table: &[Msg]) -> BTreeSet<&'static str> {
    table.iter().map(|m| m.doc).collect()
}

/// Asserts the expected texts are exactly the table's, and that every row has an English text.
fn table_is(table: &[Msg], expected: &[&str]) {
    let want: BTreeSet<&str> = expected.iter().copied().collect();
    assert_eq!(docs(table), want, "the table holds exactly the documents' texts");
    let keys: BTreeSet<&str> = table.iter().map(|m| m.key).collect();
    assert_eq!(keys.len(), table.len(), "keys are unique");
    assert!(table.iter().all(|m| !m.en.is_empty()));
}

/// `err` rendered as `surface` would answer it on `method path`.
async fn rendered(surface: Surface, method: &str, path: &str, err: &Error, lang: Lang) -> Value {
    let ctx = ErrorContext { shape: Shape::One(surface), method, path, request_id: "t", lang };
    let bytes = render(&ctx, err).into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

fn english(mut req: Request<Body>) -> Request<Body> {
    req.headers_mut().insert("accept-language", "en-US,en;q=0.9".parse().unwrap());
    req
}

fn strong(name: &str) -> Value {
    json!({"username": name, "email": format!("{name}@example.com"), "password": "Secret123!"})
}

/// Disables `name` through qoder's user resource.
async fn disable(app: &TestApp, root: &str, name: &str) {
    let token = app.json("POST", "/api/auth/login", json!({"identifier": name, "password": "Secret123!"}), None).await;
    let id = app.id_of(token.json()["access_token"].as_str().unwrap()).await;
    let r = app.json("PUT", &format!("/api/users/{id}"), json!({"status": 0}), Some(root)).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Every text of document 001 that Slipway's ResoftAI routes answer with.
const RESOFTAI_TEXTS: &[&str] = &[
    // Routes' own error lists.
    "用户名或邮箱已存在",
    "密码强度不足",
    "用户名或密码错误",
    "账户已被禁用",
    "当前密码错误",
    "新密码不符合安全要求",
    "配置无效",
    "LLM服务不可用",
    // Success bodies.
    "Password changed successfully",
    // The error sections: the status table, appendix D, the rate-limit and validation examples.
    "Token 无效或过期",
    "认证失败",
    "权限不足",
    "资源不存在",
    "内部错误",
    "服务暂时不可用",
    "Rate limit exceeded. Try again in {secs} seconds.",
    "value is not a valid email address",
    // Appendix D's project and file codes, the upload's 413 and the update's note.
    "项目不存在",
    "项目已在运行",
    "配额已满",
    "文件类型不支持",
    "文件超过最大限制",
    "只能更新状态为 pending 的项目",
];

/// Every text of document 002 on AnsFlow's routes.
const ANSFLOW_TEXTS: &[&str] = &[
    "请求数据验证失败",
    "此字段不能为空",
    "请输入有效的邮箱地址",
    "认证失败",
    "Token 无效或过期",
    "权限不足",
    "资源不存在",
    "资源冲突",
    "请求频率超限",
    "内部服务器错误",
];

/// Every text of document 003 on qoder's routes.
const QODER_TEXTS: &[&str] = &[
    "登录成功",
    "刷新成功",
    "获取成功",
    "登出成功",
    "用户创建成功",
    "更新成功",
    "删除成功",
    "tasks list",
    "create task",
    "servers list",
    "create server",
    "deployments list",
    "create deployment",
    "添加监控成功",
    "移除监控成功",
    "获取失败",
    "操作成功",
    "请求参数错误",
    "用户名或密码错误",
    "令牌生成失败",
    "刷新令牌无效或已过期",
    "用户未认证或令牌无效",
    "用户未认证",
    "用户不存在",
    "参数错误",
    "查询失败",
    "ID无效",
    "参数错误或用户名/邮箱已存在",
    "参数错误或用户不存在",
    "ID无效或用户不存在",
];

/// Perfect21's (000) success texts on the shared routes, which win the union's `message`.
const SHARED_TEXTS: &[&str] =
    &["注册成功，请验证邮箱", "登录成功", "令牌刷新成功", "登出成功", "密码修改成功，请重新登录"];

#[test]
fn every_table_holds_exactly_its_documents_texts() {
    table_is(resoftai::messages::ALL, RESOFTAI_TEXTS);
    table_is(
        resoftai::messages::ADDED,
        &[
            "项目正在运行，请先停止工作流",
            "工作流未在运行",
            "没有可恢复的检查点",
            "组织标识已被使用",
            "团队名称已存在",
            "用户已是团队成员",
            "团队至少需要保留一名所有者",
        ],
    );
    table_is(ansflow::messages::ALL, ANSFLOW_TEXTS);
    table_is(qoder::messages::ALL, QODER_TEXTS);
    table_is(qoder::messages::ADDED, &["创建告警规则成功"]);
    table_is(shared::messages::ALL, SHARED_TEXTS);
}

#[tokio::test]
async fn resoftai_errors_no_request_can_easily_raise_carry_the_documents_texts() {
    let detail = |b: Value| b["detail"].clone();
    let limited = Error::RateLimited { retry_after_secs: 30 };
    let b = rendered(Surface::Resoft, "GET", "/api/llm-configs", &limited, Lang::Doc).await;
    assert_eq!(detail(b), "Rate limit exceeded. Try again in 30 seconds.");
    for (err, doc, en) in [
        (Error::Internal("pool".into()), "内部错误", "Internal server error"),
        (Error::Unavailable("database".into()), "服务暂时不可用", "The service is temporarily unavailable"),
    ] {
        assert_eq!(detail(rendered(Surface::Resoft, "GET", "/api/llm-configs", &err, Lang::Doc).await), doc);
        assert_eq!(detail(rendered(Surface::Resoft, "GET", "/api/llm-configs", &err, Lang::En).await), en);
    }
}

#[tokio::test]
async fn ansflow_errors_carry_the_documents_texts_by_code() {
    let path = "/api/pipelines/";
    let email = Error::Validation(vec![FieldError::body("email", "value_error.email", "bad address")]);
    let b = rendered(Surface::AnsFlow, "POST", path, &email, Lang::Doc).await;
    assert_eq!(b["error"]["message"], "请求数据验证失败");
    assert_eq!(b["error"]["details"]["email"][0], "请输入有效的邮箱地址");
    let b = rendered(Surface::AnsFlow, "POST", path, &email, Lang::En).await;
    assert_eq!(b["error"]["details"]["email"][0], "Enter a valid email address.");
    for (err, doc) in [
        (Error::Conflict("name taken".into()), "资源冲突"),
        (Error::TooManyAttempts { retry_after_secs: 9 }, "请求频率超限"),
        (Error::Internal("pool".into()), "内部服务器错误"),
    ] {
        assert_eq!(rendered(Surface::AnsFlow, "POST", path, &err, Lang::Doc).await["error"]["message"], doc);
    }
}

#[tokio::test]
async fn qoder_texts_on_the_shared_routes_are_qoders_part_of_the_union() {
    // On the shared routes Perfect21's `message` wins the union; qoder's renderer still attaches its texts there.
    for (method, path, err, doc) in [
        ("POST", "/api/auth/login", Error::MalformedRequest("x".into()), "请求参数错误"),
        ("POST", "/api/auth/login", Error::InvalidCredentials, "用户名或密码错误"),
        ("POST", "/api/auth/login", Error::Internal("signing".into()), "令牌生成失败"),
        ("POST", "/api/auth/refresh", Error::invalid_field("refresh_token", "missing", "x"), "请求参数错误"),
        ("POST", "/api/auth/refresh", Error::InvalidRefreshToken, "刷新令牌无效或已过期"),
        ("GET", "/api/auth/profile", Error::InvalidToken, "用户未认证或令牌无效"),
        ("GET", "/api/auth/profile", Error::UserNotFound, "用户不存在"),
        ("POST", "/api/auth/logout", Error::Unauthenticated, "用户未认证"),
        ("GET", "/api/users", Error::Internal("db".into()), "查询失败"),
    ] {
        let b = rendered(Surface::Qoder, method, path, &err, Lang::Doc).await;
        assert_eq!(b["message"], doc, "{method} {path} {err:?}");
    }
    let b = rendered(Surface::Qoder, "POST", "/api/auth/login", &Error::InvalidCredentials, Lang::En).await;
    assert_eq!(b["message"], "Incorrect username or password");
}

backend_tests! {
    async fn resoftai_routes_answer_with_the_documents_texts(db: Db) {
        let mock = MockProvider::start().await;
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        assert_eq!(app.json("POST", "/api/auth/register", strong("ann"), None).await.status, 201);
        let detail = |r: &common::Reply| r.json()["detail"].clone();

        let r = app.json("POST", "/api/auth/register", strong("ann"), None).await;
        assert_eq!((r.status.as_u16(), detail(&r)), (400, json!("用户名或邮箱已存在")));
        let weak = json!({"username": "bob", "email": "bob@example.com", "password": "password"});
        let r = app.json("POST", "/api/auth/register", weak, None).await;
        assert_eq!((r.status.as_u16(), detail(&r)[0]["msg"].clone()), (422, json!("密码强度不足")));
        let bad_mail = json!({"username": "bob", "email": "not-an-address", "password": "Secret123!"});
        let r = app.json("POST", "/api/auth/register", bad_mail, None).await;
        assert_eq!(detail(&r)[0]["msg"], "value is not a valid email address");
        let admin = json!({"username": "eve", "email": "eve@example.com", "password": "Secret123!", "role": "admin"});
        let r = app.json("POST", "/api/auth/register", admin, None).await;
        assert_eq!((r.status.as_u16(), detail(&r)), (403, json!("权限不足")));

        let r = app.json("POST", "/api/auth/login", json!({"username": "ann", "password": "wrong"}), None).await;
        assert_eq!((r.status.as_u16(), detail(&r)), (401, json!("用户名或密码错误")));
        let r = app.send(english(common::json_req("POST", "/api/auth/login", &json!({"username": "ann", "password": "wrong"}), None))).await;
        assert_eq!(detail(&r), "Incorrect username or password");

        let (access, _) = app.user("cat").await;
        let r = app.json("POST", "/api/auth/change-password", json!({"current_password": "nope", "new_password": "Better123!"}), Some(&access)).await;
        assert_eq!((r.status.as_u16(), detail(&r)), (401, json!("当前密码错误")));
        let r = app.json("POST", "/api/auth/change-password", json!({"current_password": "Secret123!", "new_password": "weak"}), Some(&access)).await;
        assert_eq!((r.status.as_u16(), detail(&r)[0]["msg"].clone()), (422, json!("新密码不符合安全要求")));
        let r = app.send(english(common::json_req("POST", "/api/auth/change-password", &json!({"current_password": "Secret123!", "new_password": "weak"}), Some(&access)))).await;
        assert_eq!(detail(&r)[0]["msg"], "The new password does not meet the security requirements");
        // ResoftAI's own success text is shadowed by Perfect21's in the union, as the union rule says.
        let r = app.json("POST", "/api/auth/change-password", json!({"current_password": "Secret123!", "new_password": "Better123!"}), Some(&access)).await;
        assert_eq!(r.json()["message"], "密码修改成功，请重新登录");
        assert_eq!(resoftai::messages::PASSWORD_CHANGED.doc, "Password changed successfully");

        let r = app.call("GET", "/api/auth/me", None).await;
        assert_eq!((r.status.as_u16(), detail(&r)), (401, json!("认证失败")));
        let r = app.call("GET", "/api/auth/me", Some("forged.token.x")).await;
        assert_eq!((r.status.as_u16(), detail(&r)), (401, json!("Token 无效或过期")));
        let r = app.send(english(common::bare_req("GET", "/api/auth/me", Some("forged.token.x")))).await;
        assert_eq!(detail(&r), "The token is invalid or expired");
        let r = app.call("DELETE", "/api/llm-configs/999", Some(&root)).await;
        assert_eq!((r.status.as_u16(), detail(&r)), (404, json!("资源不存在")));

        let body = json!({"name": "mine", "provider": "deepseek", "api_key": "sk-x", "api_base": mock.url()});
        let id = app.json("POST", "/api/llm-configs", body, Some(&root)).await.json()["id"].as_i64().unwrap();
        let test = format!("/api/llm-configs/{id}/test");
        mock.push(MockReply::status(401, r#"{"error":{"message":"bad key"}}"#));
        let r = app.call("POST", &test, Some(&root)).await;
        assert_eq!((r.status.as_u16(), detail(&r)), (400, json!("配置无效")));
        mock.push(MockReply::status(401, r#"{"error":{"message":"bad key"}}"#));
        let r = app.send(english(common::bare_req("POST", &test, Some(&root)))).await;
        assert_eq!(detail(&r), "The configuration is invalid");
        mock.push(MockReply::status(500, r#"{"error":{"message":"down"}}"#));
        let r = app.call("POST", &test, Some(&root)).await;
        assert_eq!((r.status.as_u16(), detail(&r)), (503, json!("LLM服务不可用")));

        disable(&app, &root, "ann").await;
        let r = app.json("POST", "/api/auth/login", json!({"username": "ann", "password": "Secret123!"}), None).await;
        assert_eq!((r.status.as_u16(), detail(&r)), (403, json!("账户已被禁用")));
    }

    async fn ansflow_routes_answer_with_the_documents_texts(db: Db) {
        let app = TestApp::on(db).await;
        let (ann, _) = app.user("ann").await;
        let message = |r: &common::Reply| r.json()["error"]["message"].clone();
        let r = app.json("POST", "/api/auth/login/", json!({"username": "ann"}), None).await;
        assert_eq!((r.status.as_u16(), message(&r)), (400, json!("请求数据验证失败")));
        assert_eq!(r.json()["error"]["details"]["password"], json!(["此字段不能为空"]));
        let r = app.send(english(common::json_req("POST", "/api/auth/login/", &json!({"username": "ann"}), None))).await;
        assert_eq!((message(&r), r.json()["error"]["details"]["password"][0].clone()), (json!("Request data validation failed"), json!("This field may not be blank.")));
        let r = app.json("POST", "/api/auth/login/", json!({"username": "ann", "password": "nope"}), None).await;
        assert_eq!((r.status.as_u16(), message(&r)), (401, json!("认证失败")));
        let r = app.call("GET", "/api/users/me/", Some("forged.token.x")).await;
        assert_eq!((r.status.as_u16(), message(&r)), (401, json!("Token 无效或过期")));
        let r = app.call("GET", "/api/users/", Some(&ann)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (403, json!("权限不足")));
        let r = app.send(english(common::bare_req("GET", "/api/users/", Some(&ann)))).await;
        assert_eq!(message(&r), "Permission denied");
        let r = app.call("GET", "/api/pipelines/nothing/here/", Some(&ann)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (404, json!("资源不存在")));
    }

    async fn qoder_routes_answer_with_the_documents_texts(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        let ann_id = app.id_of(&ann).await;
        let message = |r: &common::Reply| r.json()["message"].clone();

        let r = app.call("GET", "/api/auth/profile", Some(&ann)).await;
        assert_eq!(message(&r), "获取成功", "qoder's text: Perfect21's profile has none");
        let r = app.call("GET", "/api/users", Some(&root)).await;
        assert_eq!(message(&r), "获取成功");
        let r = app.call("GET", "/api/users?page=0", Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (400, json!("参数错误")));
        let r = app.call("GET", &format!("/api/users/{ann_id}"), Some(&root)).await;
        assert_eq!(message(&r), "获取成功");
        let r = app.call("GET", "/api/users/abc", Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (400, json!("ID无效")));
        let r = app.call("GET", "/api/users/99999", Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (404, json!("用户不存在")));

        let new = json!({"username": "newuser", "email": "newuser@example.com", "password": "abcdef", "role": "user"});
        let r = app.json("POST", "/api/users", new.clone(), Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (201, json!("用户创建成功")));
        let id = r.json()["data"]["id"].as_i64().unwrap();
        let r = app.json("POST", "/api/users", new, Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (400, json!("参数错误或用户名/邮箱已存在")));
        let r = app.json("POST", "/api/users", json!({"username": "x"}), Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (400, json!("参数错误或用户名/邮箱已存在")));

        let r = app.json("PUT", &format!("/api/users/{id}"), json!({"role": "admin"}), Some(&root)).await;
        assert_eq!(message(&r), "更新成功");
        let r = app.json("PUT", &format!("/api/users/{id}"), json!({"status": 9}), Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (400, json!("参数错误或用户不存在")));
        let r = app.json("PUT", "/api/users/99999", json!({"role": "admin"}), Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (404, json!("用户不存在")));
        let r = app.call("DELETE", "/api/users/abc", Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (400, json!("ID无效或用户不存在")));
        let r = app.call("DELETE", &format!("/api/users/{id}"), Some(&root)).await;
        assert_eq!(message(&r), "删除成功");
        let r = app.send(english(common::bare_req("DELETE", &format!("/api/users/{ann_id}"), Some(&root)))).await;
        assert_eq!(message(&r), "Deleted");

        let task = json!({"name": "t", "cron": "0 3 * * *", "command": "true", "enabled": false});
        let r = app.json("POST", "/api/tasks", task, Some(&root)).await;
        assert_eq!(message(&r), "create task");
        let task_id = r.json()["data"]["id"].as_i64().unwrap();
        assert_eq!(message(&app.call("GET", "/api/tasks", Some(&root)).await), "tasks list");
        assert_eq!(message(&app.call("POST", &format!("/api/tasks/{task_id}/run"), Some(&root)).await), "操作成功");
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot used here\n-----END OPENSSH PRIVATE KEY-----";
        let server = json!({"name": "s", "host": "127.0.0.1", "username": "root", "private_key": key});
        let r = app.json("POST", "/api/servers", server, Some(&root)).await;
        assert_eq!(message(&r), "create server");
        let server_id = r.json()["data"]["id"].as_i64().unwrap();
        assert_eq!(message(&app.call("GET", "/api/servers", Some(&root)).await), "servers list");
        assert_eq!(message(&app.call("GET", "/api/deployments", Some(&root)).await), "deployments list");
        let source = json!({"type": "git", "repository": "/nonexistent/repo", "ref": "main"});
        let deployment = json!({"name": "d", "server_id": server_id, "deploy_path": "/srv/d", "source": source});
        assert_eq!(message(&app.json("POST", "/api/deployments", deployment, Some(&root)).await), "create deployment");
        let r = app.json("POST", "/api/monitor/servers", json!({"server_id": server_id}), Some(&root)).await;
        assert_eq!(message(&r), "添加监控成功");
        let r = app.json("POST", "/api/monitor/servers", json!({}), Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (400, json!("参数错误")));
        let r = app.call("GET", &format!("/api/monitor/servers/{server_id}/metrics"), Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (404, json!("获取失败")), "no sample yet");
        let r = app.call("GET", "/api/monitor/servers/abc/status", Some(&root)).await;
        assert_eq!((r.status.as_u16(), message(&r)), (400, json!("ID无效")));
        assert_eq!(message(&app.call("GET", "/api/monitor/stats", Some(&root)).await), "获取成功");
        let r = app.send(english(common::bare_req("DELETE", &format!("/api/monitor/servers/{server_id}"), Some(&root)))).await;
        assert_eq!(message(&r), "Server removed from monitoring");
        let r = app.json("POST", "/api/monitor/servers", json!({"server_id": server_id}), Some(&root)).await;
        assert_eq!(message(&r), "添加监控成功");
        let r = app.call("DELETE", &format!("/api/monitor/servers/{server_id}"), Some(&root)).await;
        assert_eq!(message(&r), "移除监控成功");

        let r = app.call("GET", "/api/users", None).await;
        assert_eq!((r.status.as_u16(), message(&r)), (401, json!("用户未认证")));
        let r = app.call("GET", "/api/users", Some("forged.token.x")).await;
        assert_eq!((r.status.as_u16(), message(&r)), (401, json!("用户未认证或令牌无效")));
    }

    async fn shared_routes_answer_with_the_first_documents_texts_in_either_language(db: Db) {
        let app = TestApp::on(db).await;
        let r = app.json("POST", "/api/auth/register", strong("ann"), None).await;
        assert_eq!(r.json()["message"], "注册成功，请验证邮箱");
        let r = app.send(english(common::json_req("POST", "/api/auth/register", &strong("bob"), None))).await;
        assert_eq!(r.json()["message"], "Registered; please confirm your e-mail address");

        let login = json!({"identifier": "ann", "password": "Secret123!"});
        let r = app.json("POST", "/api/auth/login", login.clone(), None).await;
        assert_eq!(r.json()["message"], "登录成功");
        let refresh = r.json()["refresh_token"].as_str().unwrap().to_owned();
        let access = r.json()["access_token"].as_str().unwrap().to_owned();
        let r = app.send(english(common::json_req("POST", "/api/auth/login", &login, None))).await;
        assert_eq!(r.json()["message"], "Signed in");
        let r = app.json("POST", "/api/auth/refresh", json!({"refresh_token": refresh}), None).await;
        assert_eq!(r.json()["message"], "令牌刷新成功");
        let r = app.send(english(common::bare_req("GET", "/api/auth/profile", Some(&access)))).await;
        assert_eq!(r.json()["message"], "Fetched");
        let r = app.call("POST", "/api/auth/logout", Some(&access)).await;
        assert_eq!(r.json()["message"], "登出成功");

        let (bob, _) = app.user("cat").await;
        let change = json!({"old_password": "Secret123!", "new_password": "Better123!"});
        let r = app.send(english(common::json_req("POST", "/api/auth/change-password", &change, Some(&bob)))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["message"], "Password changed; please sign in again");
        let (dan, _) = app.user("dan").await;
        let r = app.json("POST", "/api/auth/change-password", change, Some(&dan)).await;
        assert_eq!(r.json()["message"], "密码修改成功，请重新登录");
    }
}
