//! Perfect21's git-flow and hooks over HTTP on real repositories: users clone over HTTP from a local server
//! (git's dumb HTTP protocol: a bare repository's files served statically), administrators also register
//! paths on the server; `POST /workflow`, `POST /hooks/install` and the `/workflow/repositories` routes with
//! their happy paths, anonymous 401, another user's repository not found, a user's local path and loopback
//! clone refused, unknown actions, missing fields, wrong types, NUL and huge values answered in Perfect21's
//! validation shape, never 500.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{Setup, TestApp, assert_error_shape, raw_req};
use serde_json::{Value, json};
use slipway_store::{Db, backend_tests};

/// Runs a shell script (git with a private configuration); panics with its output when it fails.
fn sh(dir: &Path, script: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("/bin/sh")
        .args(["-c", script])
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "safe.directory")
        .env("GIT_CONFIG_VALUE_0", "*")
        .env("GIT_AUTHOR_NAME", "Seed")
        .env("GIT_AUTHOR_EMAIL", "seed@example.com")
        .env("GIT_COMMITTER_NAME", "Seed")
        .env("GIT_COMMITTER_EMAIL", "seed@example.com")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script}: {text}");
    text
}

/// A work tree with one commit on main.
fn work_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sh(dir.path(), "git init -q -b main && echo '# app' > README.md && git add . && git commit -qm 'chore: start'");
    dir
}

/// A bare copy of a fresh work tree served over HTTP on loopback; answers its clone URL (and keeps the files).
async fn served_repository() -> (String, tempfile::TempDir) {
    let src = work_tree();
    let root = tempfile::tempdir().unwrap();
    sh(
        root.path(),
        &format!("git clone -q --bare {} app.git && git -C app.git update-server-info", src.path().display()),
    );
    let files = tower_http::services::ServeDir::new(root.path());
    let addr = common::serve(axum::Router::new().fallback_service(files)).await;
    (format!("http://127.0.0.1:{}/app.git", addr.port()), root)
}

/// An application whose outbound policy lets users reach loopback (as an administrator's allow list would).
async fn open_app(db: Db) -> TestApp {
    let outbound = slipway_outbound::OutboundPolicy::from_entries(["127.0.0.1"]).unwrap();
    TestApp::new(db, Setup { outbound, ..Setup::default() }).await
}

async fn clone(app: &TestApp, token: &str, url: &str, name: Option<&str>) -> Value {
    let mut body = json!({"url": url});
    if let Some(n) = name {
        body["name"] = json!(n);
    }
    let r = app.json("POST", "/workflow/repositories", body, Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["repository"].clone()
}

async fn flow(app: &TestApp, token: Option<&str>, body: Value) -> (u16, Value) {
    let r = app.json("POST", "/workflow", body, token).await;
    assert_ne!(r.status, 500, "{}", r.text);
    if r.status != 200 {
        assert_error_shape("POST", "/workflow", &r);
    }
    (r.status.as_u16(), r.json())
}

fn field_loc(b: &Value) -> String {
    b["errors"][0]["loc"].as_array().unwrap().iter().map(|v| v.as_str().unwrap_or("?")).collect::<Vec<_>>().join(".")
}

backend_tests! {
    async fn repositories_are_cloned_listed_read_made_default_and_removed(db: Db) {
        let app = open_app(db).await;
        let (url, _served) = served_repository().await;
        let (ann, _) = app.user("ann").await;
        let (bob, _) = app.user("bob").await;
        let first = clone(&app, &ann, &url, None).await;
        assert_eq!((first["name"].as_str(), first["kind"].as_str()), (Some("app"), Some("clone")), "{first}");
        assert_eq!(first["is_default"], true);
        assert!(first["path"].is_null(), "a clone's place in the data dir is not shown");
        assert_eq!(first["origin_url"], url.as_str());
        let second = clone(&app, &ann, &url, Some("app-two")).await;
        assert_eq!(second["is_default"], false);
        let taken = app.json("POST", "/workflow/repositories", json!({"url": url}), Some(&ann)).await;
        assert_eq!(taken.status, 422, "{}", taken.text);
        assert_eq!(field_loc(&taken.json()), "body.name");

        let list = app.call("GET", "/workflow/repositories", Some(&ann)).await.json();
        assert_eq!(list["repositories"].as_array().unwrap().len(), 2, "{list}");
        let bobs = app.call("GET", "/workflow/repositories", Some(&bob)).await.json();
        assert_eq!(bobs["repositories"], json!([]));

        let id = second["id"].as_i64().unwrap();
        let made = app.call("POST", &format!("/workflow/repositories/{id}/default"), Some(&ann)).await;
        assert_eq!(made.status, 200, "{}", made.text);
        assert_eq!(made.json()["output"], "已设为默认仓库");
        assert_eq!(made.json()["repository"]["is_default"], true);
        let got = app.call("GET", &format!("/workflow/repositories/{}", first["id"]), Some(&ann)).await.json();
        assert_eq!(got["repository"]["is_default"], false);

        for (method, path) in [("GET", format!("/workflow/repositories/{id}")), ("DELETE", format!("/workflow/repositories/{id}")),
                               ("POST", format!("/workflow/repositories/{id}/default")), ("GET", "/workflow/repositories/nope".into())] {
            let r = app.call(method, &path, Some(&bob)).await;
            assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
            assert_error_shape(method, &path, &r);
            let anon = app.call(method, &path, None).await;
            assert_eq!(anon.status, 401, "{method} {path}");
        }
        assert_eq!(app.call("GET", "/workflow/repositories", None).await.status, 401);

        let owner = app.id_of(&ann).await;
        let dir = app.state.git.repositories.clones_dir().join(owner.to_string()).join(id.to_string());
        assert!(dir.join(".git").is_dir());
        let gone = app.call("DELETE", &format!("/workflow/repositories/{id}"), Some(&ann)).await;
        assert_eq!(gone.status, 200, "{}", gone.text);
        assert!(!dir.exists(), "the clone's directory is removed");
        assert_eq!(app.call("GET", &format!("/workflow/repositories/{id}"), Some(&ann)).await.status, 404);
        let left = app.call("GET", "/workflow/repositories", Some(&ann)).await.json();
        assert_eq!(left["repositories"][0]["is_default"], true, "the other one is the default again");
    }

    async fn git_flow_runs_on_the_callers_repository(db: Db) {
        let app = open_app(db).await;
        let (url, _served) = served_repository().await;
        let (ann, _) = app.user("ann").await;
        let (bob, _) = app.user("bob").await;
        let repo = clone(&app, &ann, &url, None).await;

        let (status, b) = flow(&app, Some(&ann), json!({"action": "create-feature", "name": "login"})).await;
        assert_eq!(status, 200, "{b}");
        assert_eq!(b["success"], true, "{b}");
        assert!(b["output"].as_str().unwrap().contains("A new branch 'feature/login' was created, based on 'develop'"), "{b}");
        assert!(b["error"].is_null());

        let (_, again) = flow(&app, Some(&ann), json!({"action": "create-feature", "name": "login", "repository": "app"})).await;
        assert_eq!((again["success"].as_bool(), again["error"].as_str().map(|e| e.contains("already exists"))), (Some(false), Some(true)), "{again}");

        let (_, info) = flow(&app, Some(&ann), json!({"action": "branch-info", "repository": repo["id"]})).await;
        assert!(info["output"].as_str().unwrap().contains("Current branch: feature/login"), "{info}");
        let (_, merged) = flow(&app, Some(&ann), json!({"action": "merge-to-main", "source": "feature/login"})).await;
        assert_eq!(merged["success"], true, "{merged}");
        let (_, cleaned) = flow(&app, Some(&ann), json!({"action": "cleanup"})).await;
        assert_eq!(cleaned["success"], true, "{cleaned}");

        // Another user: ann's repository by id or name is not found; bob has no default.
        let (status, b) = flow(&app, Some(&bob), json!({"action": "branch-info", "repository": repo["id"]})).await;
        assert_eq!((status, b["error_code"].as_str()), (404, Some("NOT_FOUND")), "{b}");
        let (status, _) = flow(&app, Some(&bob), json!({"action": "branch-info", "repository": "app"})).await;
        assert_eq!(status, 404);
        let (status, b) = flow(&app, Some(&bob), json!({"action": "branch-info"})).await;
        assert_eq!((status, field_loc(&b)), (422, "body.repository".to_owned()), "{b}");
        let (status, _) = flow(&app, None, json!({"action": "branch-info"})).await;
        assert_eq!(status, 401);

        for (body, loc) in [
            (json!({"action": "deploy"}), "body.action"),
            (json!({"name": "x"}), "body.action"),
            (json!({"action": 5}), "body.action"),
            (json!({"action": "create-feature"}), "body.name"),
            (json!({"action": "create-feature", "name": ["x"]}), "body.name"),
            (json!({"action": "create-feature", "name": "a..b"}), "body.name"),
            (json!({"action": "create-feature", "name": "n".repeat(5000)}), "body.name"),
            (json!({"action": "create-release"}), "body.version"),
            (json!({"action": "merge-to-main"}), "body.source"),
            (json!({"action": "branch-info", "repository": true}), "body.repository"),
        ] {
            let (status, b) = flow(&app, Some(&ann), body.clone()).await;
            assert_eq!(status, 422, "{body}: {b}");
            assert_eq!(b["error_code"], "VALIDATION_ERROR", "{b}");
            assert_eq!(field_loc(&b), loc, "{body}: {b}");
        }
        let nul = app.send(raw_req("POST", "/workflow", r#"{"action": "create-feature", "name": "a\u0000b"}"#, Some(&ann))).await;
        assert_eq!(nul.status, 422, "{}", nul.text);
        assert_error_shape("POST", "/workflow", &nul);
        let broken = app.send(raw_req("POST", "/workflow", "{not json", Some(&ann))).await;
        assert_eq!(broken.status, 400, "{}", broken.text);
        assert_error_shape("POST", "/workflow", &broken);
        let en = app.send({
            let mut r = raw_req("POST", "/workflow", r#"{"action": "deploy"}"#, Some(&ann));
            r.headers_mut().insert("accept-language", "en".parse().unwrap());
            r
        }).await;
        assert_eq!(en.json()["message"], "Data validation error");
    }

    async fn hooks_are_installed_into_the_callers_repository(db: Db) {
        let app = open_app(db).await;
        let (url, _served) = served_repository().await;
        let (ann, _) = app.user("ann").await;
        let (bob, _) = app.user("bob").await;
        let repo = clone(&app, &ann, &url, None).await;
        let r = app.json("POST", "/hooks/install", json!({}), Some(&ann)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let b = r.json();
        assert_eq!((b["success"].as_bool(), b["hook_group"].as_str()), (Some(true), Some("standard")), "{b}");
        assert!(b["output"].as_str().unwrap().contains("- pre-commit: installed"), "{b}");
        let owner = app.id_of(&ann).await;
        let dir = app.state.git.repositories.clones_dir().join(owner.to_string()).join(repo["id"].to_string());
        assert!(std::fs::read_to_string(dir.join(".git/hooks/commit-msg")).unwrap().contains("Conventional Commits"));

        let again = app.json("POST", "/hooks/install", json!({"hook_group": "standard", "repository": "app"}), Some(&ann)).await.json();
        assert!(again["output"].as_str().unwrap().contains("already installed"), "{again}");
        let strict = app.json("POST", "/hooks/install", json!({"hook_group": "strict"}), Some(&ann)).await.json();
        assert_eq!(strict["success"], false, "a different pre-commit exists: {strict}");
        let forced = app.json("POST", "/hooks/install", json!({"hook_group": "strict", "force": true}), Some(&ann)).await.json();
        assert_eq!(forced["success"], true, "{forced}");
        assert!(dir.join(".git/hooks/pre-commit.slipway-backup").is_file());

        let unknown = app.json("POST", "/hooks/install", json!({"hook_group": "paranoid"}), Some(&ann)).await;
        assert_eq!(unknown.status, 422);
        assert!(unknown.json()["errors"][0]["msg"].as_str().unwrap().contains("standard, minimal, strict"));
        let typed = app.json("POST", "/hooks/install", json!({"force": "yes"}), Some(&ann)).await;
        assert_eq!((typed.status.as_u16(), field_loc(&typed.json())), (422, "body.force".to_owned()));
        let theirs = app.json("POST", "/hooks/install", json!({"repository": repo["id"]}), Some(&bob)).await;
        assert_eq!(theirs.status, 404);
        assert_error_shape("POST", "/hooks/install", &theirs);
        assert_eq!(app.json("POST", "/hooks/install", json!({}), None).await.status, 401);
        let nul = app.send(raw_req("POST", "/hooks/install", r#"{"hook_group": "\u0000"}"#, Some(&ann))).await;
        assert_eq!(nul.status, 422, "{}", nul.text);
    }

    async fn users_may_not_register_paths_or_loopback_urls_and_administrators_may(db: Db) {
        let app = TestApp::on(db).await;
        let (url, _served) = served_repository().await;
        let (ann, _) = app.user("ann").await;
        let root = app.admin("root").await;
        let local = work_tree();
        let path = local.path().display().to_string();

        let r = app.json("POST", "/workflow/repositories", json!({"path": path}), Some(&ann)).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_error_shape("POST", "/workflow/repositories", &r);
        for (body, why) in [
            (json!({"url": url}), "loopback"),
            (json!({"url": "http://localhost:9/app.git"}), "loopback"),
            (json!({"url": "file:///etc"}), "http"),
            (json!({"url": "ssh://example.com/app.git"}), "http"),
            (json!({"url": "https://ann:pw@example.com/app.git"}), "credentials"),
            (json!({"url": "not a url"}), "not a URL"),
            (json!({}), "url"),
            (json!({"url": format!("https://example.com/{}", "a".repeat(3000))}), "longer"),
        ] {
            let r = app.json("POST", "/workflow/repositories", body.clone(), Some(&ann)).await;
            assert_eq!(r.status, 422, "{body}: {}", r.text);
            let b = r.json();
            assert_eq!(field_loc(&b), "body.url", "{body}: {b}");
            assert!(b["errors"][0]["msg"].as_str().unwrap().contains(why), "{body}: {b}");
        }
        assert_eq!(app.call("GET", "/workflow/repositories", Some(&ann)).await.json()["repositories"], json!([]), "nothing half-registered");

        let r = app.json("POST", "/workflow/repositories", json!({"path": path, "name": "server-app"}), Some(&root)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let repo = r.json()["repository"].clone();
        assert_eq!((repo["kind"].as_str(), repo["path"].as_str()), (Some("local"), Some(std::fs::canonicalize(&path).unwrap().to_str().unwrap())), "{repo}");
        let plain = tempfile::tempdir().unwrap();
        let r = app.json("POST", "/workflow/repositories", json!({"path": plain.path()}), Some(&root)).await;
        assert_eq!((r.status.as_u16(), field_loc(&r.json())), (422, "body.path".to_owned()), "{}", r.text);
        let r = app.json("POST", "/workflow/repositories", json!({"path": "relative/dir"}), Some(&root)).await;
        assert_eq!(r.status, 422);

        let (status, b) = flow(&app, Some(&root), json!({"action": "create-feature", "name": "ops"})).await;
        assert_eq!((status, b["success"].as_bool()), (200, Some(true)), "{b}");
        assert_eq!(sh(local.path(), "git symbolic-ref --short HEAD").trim(), "feature/ops", "the administrator's path itself");
        assert_eq!(sh(local.path(), "git log -1 --format=%H develop"), sh(local.path(), "git log -1 --format=%H main"));

        let cloned = app.json("POST", "/workflow/repositories", json!({"url": url}), Some(&root)).await;
        assert_eq!(cloned.status, 200, "administrators may clone from loopback: {}", cloned.text);
        let listed = app.call("GET", "/workflow/repositories", Some(&root)).await.json();
        assert_eq!(listed["repositories"].as_array().unwrap().len(), 2);
        let gone = app.call("DELETE", &format!("/workflow/repositories/{}", repo["id"]), Some(&root)).await;
        assert_eq!(gone.status, 200);
        assert!(local.path().join(".git").is_dir(), "a local path is only unregistered");
    }

    async fn without_the_sandbox_only_administrators_run_git(db: Db) {
        let none = slipway_engine::SandboxAvailability::Unavailable("bwrap is not installed here".into());
        let outbound = slipway_outbound::OutboundPolicy::from_entries(["127.0.0.1"]).unwrap();
        let app = TestApp::new(db, Setup { sandbox: Some(none), outbound, ..Setup::default() }).await;
        let (url, _served) = served_repository().await;
        let (ann, _) = app.user("ann").await;
        let root = app.admin("root").await;
        let r = app.json("POST", "/workflow/repositories", json!({"url": url}), Some(&ann)).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_error_shape("POST", "/workflow/repositories", &r);
        assert_eq!(r.json()["error_code"], "PERMISSION_DENIED", "{}", r.text);
        // Perfect21's 403 text is its table's; the service's error says why.
        let who = app.state.identity.authenticate(&ann).await.unwrap().principal();
        let req = slipway_delivery::git::RepositoryRequest { url: Some(url.clone()), ..Default::default() };
        let err = app.state.git.repositories.register(&who, &req).await.unwrap_err();
        assert!(matches!(&err, slipway_core::Error::Forbidden(m) if m.contains("bwrap is not installed here")), "{err:?}");
        assert_eq!(app.call("GET", "/workflow/repositories", Some(&ann)).await.json()["repositories"], json!([]));

        let cloned = clone(&app, &root, &url, None).await;
        let (status, b) = flow(&app, Some(&root), json!({"action": "create-release", "version": "1.0"})).await;
        assert_eq!((status, b["success"].as_bool()), (200, Some(true)), "administrators' git runs on the host: {b}");
        let (status, _) = flow(&app, Some(&ann), json!({"action": "branch-info", "repository": cloned["id"]})).await;
        assert_eq!(status, 404, "and another user's repository is still not found");
    }
}
