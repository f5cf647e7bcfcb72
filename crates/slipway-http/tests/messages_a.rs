//! The message texts of Perfect21 (000) and the pet planner (004): every text the documents give (listed here by
//! hand from the documents) is in the surface's table and is what the route or error the document attaches it to
//! answers, through real requests; `Accept-Language: en` gives the English instead. The planner's request-model
//! failures are FastAPI's 422 in its envelope, its handlers' documented checks stay 400.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use common::{Reply, Setup, TestApp};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use slipway_core::Error;
use slipway_http::error::{ErrorContext, render};
use slipway_http::lang::Lang;
use slipway_http::surface::{Shape, Surface};
use slipway_http::surfaces::perfect21::messages as p21;
use slipway_http::surfaces::petplan::messages as plan;
use slipway_http::surfaces::shared::messages::Msg;
use slipway_identity::testing::SmtpSink;
use slipway_llm::LlmSettings;
use slipway_llm::testing::{MockProvider, MockReply};
use slipway_store::{Db, backend_tests};

/// Every text of document 000 that Perfect21's own routes and errors answer with.
const PERFECT21_TEXTS: &[&str] = &[
    "令牌验证成功",
    "用户资料更新成功",
    "任务已开始异步执行",
    "用户名或邮箱已存在",
    "用户名或密码错误",
    "账户未激活或已禁用",
    "登录尝试次数过多",
    "访问令牌无效或已过期",
    "刷新令牌无效或已过期",
    "用户不存在或已被禁用",
    "原密码错误",
    "用户不存在",
    "没有可更新的数据",
    "请求频率限制",
    "数据验证错误",
    "服务器内部错误",
    "请求参数错误",
    "未授权（需要登录）",
    "禁止访问（权限不足）",
    "资源不存在",
    "服务不可用",
];

/// Every text of document 004 on the planner's routes (messages, then the English `detail` texts).
const PLANNER_TEXTS: &[&str] = &[
    "注册成功",
    "登录成功",
    "刷新成功",
    "获取成功",
    "密码修改成功",
    "验证码已发送",
    "验证成功",
    "验证码有效",
    "如果该邮箱已注册，您将收到验证码",
    "密码重置成功，请使用新密码登录",
    "饮食计划创建成功",
    "任务创建成功",
    "任务已取消",
    "操作成功",
    "任务执行中...",
    "用户名已存在",
    "邮箱已被注册",
    "用户不存在",
    "用户名或密码错误",
    "用户已被禁用",
    "Token 无效或已过期",
    "未认证，请重新登录",
    "旧密码错误",
    "新密码必须至少 6 个字符",
    "请求过于频繁，请稍后再试",
    "邮箱格式不正确",
    "验证码错误或已过期",
    "验证码已被使用",
    "验证码尝试次数过多",
    "Invalid or expired token",
    "Password must be at least 6 characters",
    "Too many requests, please try again later",
    "Invalid email format",
    "Verification code has been used",
    "Too many attempts, please request a new code",
];

fn table_is(table: &[Msg], expected: &[&str]) {
    let want: BTreeSet<&str> = expected.iter().copied().collect();
    let have: BTreeSet<&str> = table.iter().map(|m| m.doc).collect();
    assert_eq!(have, want, "the table holds exactly the document's texts");
    let keys: BTreeSet<&str> = table.iter().map(|m| m.key).collect();
    assert_eq!(keys.len(), table.len(), "keys are unique");
    assert!(table.iter().all(|m| !m.en.is_empty()));
}

#[test]
fn every_table_holds_exactly_its_documents_texts() {
    table_is(p21::ALL, PERFECT21_TEXTS);
    table_is(plan::ALL, PLANNER_TEXTS);
}

async fn rendered(surface: Surface, path: &str, err: &Error, lang: Lang) -> Value {
    let ctx = ErrorContext { shape: Shape::One(surface), method: "GET", path, request_id: "t", lang };
    let bytes = render(&ctx, err).into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn errors_no_request_can_easily_raise_carry_the_documents_texts() {
    for (err, msg) in [
        (Error::Internal("pool".into()), p21::INTERNAL),
        (Error::Timeout, p21::UNAVAILABLE),
        (Error::UserNotFound, p21::USER_NOT_FOUND),
        (Error::TooManyAttempts { retry_after_secs: 9 }, p21::TOO_MANY_ATTEMPTS),
        (Error::RateLimited { retry_after_secs: 9 }, p21::RATE_LIMITED),
    ] {
        for lang in [Lang::Doc, Lang::En] {
            assert_eq!(rendered(Surface::Perfect21, "/task/1", &err, lang).await["message"], msg.text(lang), "{err:?}");
        }
    }
    let b = rendered(Surface::PetPlan, "/api/v1/auth/login", &Error::UserNotFound, Lang::Doc).await;
    assert_eq!((b["code"].clone(), b["message"].clone()), (json!(404), json!("用户不存在")));
    let b = rendered(Surface::PetPlan, "/api/v1/auth/login", &Error::UserNotFound, Lang::En).await;
    assert_eq!(b["message"], "User not found");
}

fn with_lang(mut req: Request<Body>, lang: Lang) -> Request<Body> {
    if lang == Lang::En {
        req.headers_mut().insert("accept-language", "en-US,en;q=0.9".parse().unwrap());
    }
    req
}

/// `method uri` with `body` (or none) in `lang`.
async fn ask(app: &TestApp, lang: Lang, method: &str, uri: &str, body: Option<Value>, token: Option<&str>) -> Reply {
    let req = match body {
        Some(b) => common::json_req(method, uri, &b, token),
        None => common::bare_req(method, uri, token),
    };
    app.send(with_lang(req, lang)).await
}

/// Asserts the reply's status and that its `message` (and `detail`, when given) are `msg`'s text in `lang`.
fn says(r: &Reply, lang: Lang, status: u16, msg: Msg, detail: Option<Msg>) {
    assert_eq!(r.status.as_u16(), status, "{}: {}", msg.key, r.text);
    assert_eq!(r.json()["message"], msg.text(lang), "{}: {}", msg.key, r.text);
    if let Some(d) = detail {
        assert_eq!(r.json()["detail"], d.text(lang), "{}: {}", d.key, r.text);
    }
}

const LANGS: [Lang; 2] = [Lang::Doc, Lang::En];

/// Disables `name` through qoder's user resource.
async fn disable(app: &TestApp, root: &str, token: &str) {
    let id = app.id_of(token).await;
    let r = app.json("PUT", &format!("/api/users/{id}"), json!({"status": 0}), Some(root)).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn planner_app(db: Db, mock: &MockProvider, sink: &SmtpSink) -> TestApp {
    let llm = LlmSettings { server_default: Some(mock.config("anthropic")), ..LlmSettings::default() };
    TestApp::new(db, Setup { llm, smtp_url: Some(sink.url()), ..Setup::default() }).await
}

fn pet(weight: i64) -> Value {
    json!({"pet_type": "cat", "pet_weight": weight, "age": 3, "wings": 2})
}

backend_tests! {
    async fn perfect21_routes_answer_with_the_documents_texts(db: Db) {
        let mock = MockProvider::start().await;
        let llm = LlmSettings { server_default: Some(mock.config("anthropic")), ..LlmSettings::default() };
        let app = TestApp::new(db, Setup { llm, ..Setup::default() }).await;
        let root = app.admin("root").await;
        let (ann, _) = app.user("ann").await;
        app.user("bob").await;
        for lang in LANGS {
            says(&ask(&app, lang, "GET", "/api/auth/verify", None, Some(&ann)).await, lang, 200, p21::TOKEN_VERIFIED, None);
            let name = format!("ann{}", lang == Lang::En);
            let r = ask(&app, lang, "PUT", "/api/auth/profile", Some(json!({"username": name, "nickname": "ignored"})), Some(&ann)).await;
            says(&r, lang, 200, p21::PROFILE_UPDATED, None);
            let r = ask(&app, lang, "PUT", "/api/auth/profile", Some(json!({"username": "bob"})), Some(&ann)).await;
            says(&r, lang, 400, p21::USER_EXISTS, None);
            let r = ask(&app, lang, "PUT", "/api/auth/profile", Some(json!({"nickname": "x"})), Some(&ann)).await;
            says(&r, lang, 400, p21::NO_UPDATE_DATA, None);
            let r = ask(&app, lang, "PUT", "/api/auth/profile", Some(json!({"email": "nope"})), Some(&ann)).await;
            says(&r, lang, 422, p21::VALIDATION_ERROR, None);
            let r = app.send(with_lang(common::raw_req("PUT", "/api/auth/profile", "{\"username\": ", Some(&ann)), lang)).await;
            says(&r, lang, 400, p21::BAD_REQUEST, None);
            let r = ask(&app, lang, "POST", "/api/auth/verify-email", Some(json!({"token": "nope"})), None).await;
            says(&r, lang, 400, p21::BAD_REQUEST, None);
            says(&ask(&app, lang, "GET", "/api/auth/verify", None, None).await, lang, 401, p21::UNAUTHORIZED, None);
            says(&ask(&app, lang, "GET", "/api/auth/verify", None, Some("forged.token.x")).await, lang, 401, p21::INVALID_TOKEN, None);
            says(&ask(&app, lang, "GET", "/api/auth/admin/users", None, Some(&ann)).await, lang, 403, p21::FORBIDDEN, None);
            says(&ask(&app, lang, "GET", "/task/99999", None, Some(&ann)).await, lang, 404, p21::NOT_FOUND, None);
            let r = ask(&app, lang, "POST", "/task/async", Some(json!({"description": "build it", "priority": "ignored"})), Some(&root)).await;
            assert_eq!(r.json()["output"], p21::TASK_STARTED.text(lang), "{}", r.text);
            // Perfect21's text wins `message` on the shared routes.
            let login = json!({"identifier": "root", "password": "wrong"});
            says(&ask(&app, lang, "POST", "/api/auth/login", Some(login), None).await, lang, 401, p21::INVALID_CREDENTIALS, None);
            let r = ask(&app, lang, "POST", "/api/auth/refresh", Some(json!({"refresh_token": "bogus"})), None).await;
            says(&r, lang, 401, p21::INVALID_REFRESH_TOKEN, None);
            let change = json!({"old_password": "nope", "new_password": "Better123!"});
            says(&ask(&app, lang, "POST", "/api/auth/change-password", Some(change), Some(&root)).await, lang, 401, p21::INVALID_OLD_PASSWORD, None);
        }
        let (cat, _) = app.user("cat").await;
        disable(&app, &root, &cat).await;
        for lang in LANGS {
            says(&ask(&app, lang, "GET", "/api/auth/verify", None, Some(&cat)).await, lang, 401, p21::USER_INACTIVE, None);
            let login = json!({"identifier": "cat", "password": "Secret123!"});
            says(&ask(&app, lang, "POST", "/api/auth/login", Some(login), None).await, lang, 403, p21::ACCOUNT_INACTIVE, None);
        }
    }

    async fn planner_routes_answer_with_the_documents_texts(db: Db) {
        let mock = MockProvider::start().await;
        let sink = SmtpSink::start().await.unwrap();
        let app = planner_app(db, &mock, &sink).await;
        let root = app.admin("root").await;
        for lang in LANGS {
            let n = if lang == Lang::En { "en" } else { "doc" };
            let reg = json!({"username": format!("pl_{n}"), "email": format!("pl_{n}@example.com"), "password": "password123", "extra": 1});
            let r = ask(&app, lang, "POST", "/api/v1/auth/register", Some(reg), None).await;
            says(&r, lang, 200, plan::REGISTERED, None);
            let refresh = r.json()["data"]["tokens"]["refresh_token"].as_str().unwrap().to_owned();
            let taken = json!({"username": format!("pl_{n}"), "email": "fresh@example.com", "password": "password123"});
            says(&ask(&app, lang, "POST", "/api/v1/auth/register", Some(taken), None).await, lang, 404, plan::USERNAME_TAKEN, None);
            let taken = json!({"username": "fresh", "email": format!("pl_{n}@example.com"), "password": "password123"});
            says(&ask(&app, lang, "POST", "/api/v1/auth/register", Some(taken), None).await, lang, 404, plan::EMAIL_TAKEN, None);
            // The username pattern is the request model's: 422. The address and password are the handler's: 400.
            let bad = json!({"username": "pl.dot", "email": "x@example.com", "password": "password123"});
            let r = ask(&app, lang, "POST", "/api/v1/auth/register", Some(bad), None).await;
            assert_eq!((r.status.as_u16(), r.json()["code"].clone()), (422, json!(422)), "{}", r.text);
            let r = ask(&app, lang, "POST", "/api/v1/auth/register", Some(json!({"username": "pl_x"})), None).await;
            assert_eq!((r.status.as_u16(), r.json()["code"].clone()), (422, json!(422)), "{}", r.text);

            let login = json!({"username": format!("pl_{n}"), "password": "password123"});
            let r = ask(&app, lang, "POST", "/api/v1/auth/login", Some(login), None).await;
            says(&r, lang, 200, plan::LOGGED_IN, None);
            let access = r.json()["data"]["tokens"]["access_token"].as_str().unwrap().to_owned();
            let wrong = json!({"username": format!("pl_{n}"), "password": "wrong"});
            says(&ask(&app, lang, "POST", "/api/v1/auth/login", Some(wrong), None).await, lang, 401, plan::INVALID_CREDENTIALS, None);
            let r = ask(&app, lang, "POST", "/api/v1/auth/refresh", Some(json!({"refresh_token": refresh})), None).await;
            says(&r, lang, 200, plan::REFRESHED, None);
            let r = ask(&app, lang, "POST", "/api/v1/auth/refresh", Some(json!({"refresh_token": "bogus"})), None).await;
            says(&r, lang, 401, plan::TOKEN_INVALID, Some(plan::DETAIL_TOKEN));
            says(&ask(&app, lang, "GET", "/api/v1/auth/me", None, Some(&access)).await, lang, 200, plan::FETCHED, None);
            says(&ask(&app, lang, "GET", "/api/v1/auth/me", None, None).await, lang, 401, plan::NOT_SIGNED_IN, Some(plan::DETAIL_TOKEN));
            let r = ask(&app, lang, "POST", "/api/v1/plans/create", Some(pet(4)), Some("forged.token.x")).await;
            says(&r, lang, 401, plan::NOT_SIGNED_IN, Some(plan::DETAIL_TOKEN));

            let change = json!({"old_password": "nope", "new_password": "newpassword456"});
            says(&ask(&app, lang, "PUT", "/api/v1/auth/password", Some(change), Some(&access)).await, lang, 401, plan::WRONG_OLD_PASSWORD, None);
            let change = json!({"old_password": "password123", "new_password": "short"});
            let r = ask(&app, lang, "PUT", "/api/v1/auth/password", Some(change), Some(&access)).await;
            says(&r, lang, 400, plan::PASSWORD_TOO_SHORT, Some(plan::DETAIL_PASSWORD));
            let change = json!({"old_password": "password123", "new_password": "newpassword456"});
            says(&ask(&app, lang, "PUT", "/api/v1/auth/password", Some(change), Some(&access)).await, lang, 200, plan::PASSWORD_CHANGED, None);

            let to = format!("code_{n}@example.com");
            let send = json!({"email": to, "code_type": "register"});
            says(&ask(&app, lang, "POST", "/api/v1/auth/send-code", Some(send.clone()), None).await, lang, 200, plan::CODE_SENT, None);
            let code = sink.wait_for(&to, Duration::from_secs(10)).await.unwrap().code().unwrap();
            let r = ask(&app, lang, "POST", "/api/v1/auth/send-code", Some(send), None).await;
            says(&r, lang, 429, plan::TOO_MANY_REQUESTS, Some(plan::DETAIL_TOO_MANY));
            let r = ask(&app, lang, "POST", "/api/v1/auth/send-code", Some(json!({"email": "nope", "code_type": "register"})), None).await;
            says(&r, lang, 400, plan::BAD_EMAIL, Some(plan::DETAIL_EMAIL));
            let r = ask(&app, lang, "POST", "/api/v1/auth/send-code", Some(json!({"email": "a@example.com", "code_type": "login"})), None).await;
            assert_eq!(r.status, 422, "an unknown code_type is the request model's: {}", r.text);
            let wrong_code = if code == "000000" { "111111" } else { "000000" };
            let check = |c: &str| json!({"email": to, "code": c, "code_type": "register"});
            let r = ask(&app, lang, "POST", "/api/v1/auth/verify-code", Some(check(wrong_code)), None).await;
            says(&r, lang, 422, plan::CODE_INVALID, None);
            let r = ask(&app, lang, "POST", "/api/v1/auth/verify-code", Some(check(&code)), None).await;
            says(&r, lang, 200, plan::VERIFIED, None);
            assert_eq!(r.json()["data"]["message"], plan::CODE_VALID.text(lang));
            let vreg = |name: &str| json!({"username": name, "email": to, "password": "password123", "code": code});
            says(&ask(&app, lang, "POST", "/api/v1/auth/verify-register", Some(vreg(&format!("code_{n}"))), None).await, lang, 200, plan::REGISTERED, None);
            let r = ask(&app, lang, "POST", "/api/v1/auth/verify-register", Some(vreg(&format!("code2_{n}"))), None).await;
            says(&r, lang, 422, plan::CODE_USED, Some(plan::DETAIL_CODE_USED));

            let dead = format!("dead_{n}@example.com");
            app.json("POST", "/api/v1/auth/send-code", json!({"email": dead, "code_type": "register"}), None).await;
            let code = sink.wait_for(&dead, Duration::from_secs(10)).await.unwrap().code().unwrap();
            let wrong_code = if code == "000000" { "111111" } else { "000000" };
            for _ in 0..3 {
                app.json("POST", "/api/v1/auth/verify-code", json!({"email": dead, "code": wrong_code, "code_type": "register"}), None).await;
            }
            let r = ask(&app, lang, "POST", "/api/v1/auth/verify-code", Some(json!({"email": dead, "code": code, "code_type": "register"})), None).await;
            says(&r, lang, 422, plan::CODE_ATTEMPTS, Some(plan::DETAIL_CODE_ATTEMPTS));

            let mail = format!("pl_{n}@example.com");
            let r = ask(&app, lang, "POST", "/api/v1/auth/password/send-code", Some(json!({"email": mail})), None).await;
            says(&r, lang, 200, plan::RESET_CODE_SENT, None);
            let code = sink.wait_for(&mail, Duration::from_secs(10)).await.unwrap().code().unwrap();
            let reset = json!({"email": mail, "code": code, "new_password": "resetpass1"});
            says(&ask(&app, lang, "POST", "/api/v1/auth/password/reset", Some(reset), None).await, lang, 200, plan::PASSWORD_RESET, None);

            // Plans and tasks (unknown fields are ignored).
            let login = json!({"username": format!("pl_{n}"), "password": "resetpass1"});
            let token = app.json("POST", "/api/v1/auth/login", login, None).await.json()["data"]["tokens"]["access_token"].as_str().unwrap().to_owned();
            // A task whose provider call hangs, cancelled while it runs; then a plan.
            mock.push(MockReply::text("late").delay(Duration::from_secs(30)));
            let calls = mock.requests().len();
            let r = ask(&app, lang, "POST", "/api/v1/tasks/", Some(pet(if lang == Lang::En { 7 } else { 6 })), Some(&token)).await;
            says(&r, lang, 200, plan::TASK_CREATED, None);
            let id = r.json()["data"]["task_id"].as_str().unwrap().to_owned();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while mock.requests().len() == calls {
                assert!(tokio::time::Instant::now() < deadline, "the provider was never called");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            says(&ask(&app, lang, "GET", &format!("/api/v1/tasks/{id}"), None, Some(&token)).await, lang, 200, plan::FETCHED, None);
            let r = ask(&app, lang, "POST", &format!("/api/v1/tasks/{id}/cancel"), None, Some(&token)).await;
            says(&r, lang, 200, plan::TASK_CANCELLED, None);
            assert_eq!(r.json()["data"]["status"], "cancelled");
            let r = ask(&app, lang, "GET", &format!("/api/v1/tasks/{id}/stream"), None, Some(&token)).await;
            assert!(r.text.contains(plan::IN_PROGRESS.text(lang)), "{}", r.text);
            let r = ask(&app, lang, "POST", "/api/v1/plans/create", Some(pet(if lang == Lang::En { 5 } else { 4 })), Some(&token)).await;
            says(&r, lang, 200, plan::PLAN_CREATED, None);
            says(&ask(&app, lang, "GET", "/api/v1/plans/history", None, Some(&token)).await, lang, 200, plan::FETCHED, None);

            let (gone, _) = app.user(&format!("gone_{n}")).await;
            disable(&app, &root, &gone).await;
            let login = json!({"username": format!("gone_{n}"), "password": "Secret123!"});
            says(&ask(&app, lang, "POST", "/api/v1/auth/login", Some(login), None).await, lang, 401, plan::USER_DISABLED, None);
        }
    }
}
