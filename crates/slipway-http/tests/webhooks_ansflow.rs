//! AnsFlow's webhooks over HTTP on both backends: a signed GitHub push to a real local bare repository runs
//! the pipeline, whose checkout holds the pushed commit; a bad or missing signature is a 401 and nothing runs;
//! redeliveries run once; `ping`, form-encoded payloads, tags, GitLab's token and its event UUID; malformed
//! deliveries; and the delivery records each user may read.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use common::{Reply, TestApp, assert_error_shape};
use serde_json::{Value, json};
use slipway_delivery::webhooks::github_signature;
use slipway_store::{Db, backend_tests};

const SECRET: &str = "It's a Secret to Everybody";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A bare repository (outside `/tmp`, which the command sandbox replaces) and a clone that pushes to it.
struct Origin {
    _dir: tempfile::TempDir,
    bare: PathBuf,
    work: PathBuf,
}

impl Origin {
    fn new() -> Self {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        std::fs::create_dir_all(&base).unwrap();
        let dir = tempfile::tempdir_in(base).unwrap();
        let (bare, work) = (dir.path().join("origin.git"), dir.path().join("clone"));
        std::fs::create_dir_all(&work).unwrap();
        git(dir.path(), &["init", "-q", "--bare", "-b", "main", bare.to_str().unwrap()]);
        git(&work, &["init", "-q", "-b", "main"]);
        let origin = Self { _dir: dir, bare, work };
        origin.commit("first");
        origin
    }

    fn url(&self) -> &str {
        self.bare.to_str().unwrap()
    }

    /// Commits a new `VERSION` and pushes `main`; answers the commit.
    fn commit(&self, version: &str) -> String {
        std::fs::write(self.work.join("VERSION"), format!("{version}\n")).unwrap();
        git(&self.work, &["add", "VERSION"]);
        git(&self.work, &["commit", "-q", "-m", &format!("release {version}")]);
        git(&self.work, &["push", "-q", self.url(), "main"]);
        git(&self.work, &["rev-parse", "HEAD"])
    }

    fn tag(&self, name: &str) -> String {
        git(&self.work, &["tag", name]);
        git(&self.work, &["push", "-q", self.url(), name]);
        git(&self.work, &["rev-parse", "HEAD"])
    }
}

/// GitHub's push payload (as the document shows it, with the fields GitHub also sends).
fn push_payload(origin: &Origin, git_ref: &str, sha: &str) -> Value {
    json!({
        "ref": git_ref,
        "before": "0000000000000000000000000000000000000000",
        "after": sha,
        "repository": {"id": 123456789, "name": "origin", "full_name": "user/origin", "clone_url": origin.url()},
        "pusher": {"name": "username", "email": "user@example.com"},
        "head_commit": {"id": sha, "message": "Update README"},
        "commits": [{"id": sha, "message": "Update README", "author": {"name": "Author Name", "email": "author@example.com"}}]
    })
}

fn delivery(path: &str, headers: &[(&str, &str)], content_type: &str, body: Vec<u8>) -> Request<Body> {
    let mut b = Request::builder().method("POST").uri(path).header("content-type", content_type);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::from(body)).unwrap()
}

async fn github(app: &TestApp, event: &str, id: &str, secret: Option<&str>, body: &Value) -> Reply {
    let raw = body.to_string().into_bytes();
    let signature = secret.map(|s| github_signature(s.as_bytes(), &raw));
    let mut headers = vec![("X-GitHub-Event", event), ("X-GitHub-Delivery", id)];
    if let Some(sig) = signature.as_deref() {
        headers.push(("X-Hub-Signature-256", sig));
    }
    app.send(delivery("/api/v1/webhooks/github", &headers, "application/json", raw)).await
}

/// Creates an administrator's pipeline on `origin` whose second step prints the checked-out commit and file.
async fn hooked_pipeline(app: &TestApp, token: &str, origin: &Origin, events: Value) -> i64 {
    let body = json!({
        "name": "hooked",
        "repository_url": origin.url(),
        "branch": "main",
        "trigger_events": events,
        "webhook_secret": SECRET,
        "steps": [
            {"name": "Checkout", "type": "git_checkout", "config": {}},
            {"name": "Show", "type": "shell_command", "config": {"command": "git rev-parse HEAD && cat VERSION"}}
        ]
    });
    let r = app.json("POST", "/api/pipelines/", body, Some(token)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

async fn finished(app: &TestApp, token: &str, run_id: i64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let d = app.call("GET", &format!("/api/pipeline-runs/{run_id}/"), Some(token)).await.json();
        if matches!(d["status"].as_str(), Some("success" | "failed" | "cancelled")) {
            return d;
        }
        assert!(tokio::time::Instant::now() < deadline, "the run did not finish: {d}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run_count(app: &TestApp, token: &str, pipeline: i64) -> i64 {
    app.call("GET", &format!("/api/pipelines/{pipeline}/runs/"), Some(token)).await.json()["count"].as_i64().unwrap()
}

backend_tests! {
    async fn a_signed_push_runs_the_pipeline_on_the_pushed_commit(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let origin = Origin::new();
        let pipeline = hooked_pipeline(&app, &root, &origin, json!(["push"])).await;
        let sha = origin.commit("2.0");

        let r = github(&app, "push", "d-1", Some(SECRET), &push_payload(&origin, "refs/heads/main", &sha)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let receipt = r.json();
        assert_eq!(receipt["outcome"], "started");
        assert_eq!(receipt["runs"][0]["pipeline_id"], pipeline);
        let run_id = receipt["runs"][0]["run_id"].as_i64().unwrap();
        let d = finished(&app, &root, run_id).await;
        assert_eq!(d["status"], "success", "{d}");
        assert_eq!(d["steps"][1]["log"].as_str().unwrap(), format!("{sha}\n2.0\n"), "the checkout holds the pushed commit");
        assert_eq!((d["trigger"]["type"].as_str(), d["branch"].as_str(), d["commit_sha"].as_str()), (Some("push"), Some("main"), Some(sha.as_str())), "{d}");
        assert_eq!((d["trigger"]["delivery_id"].as_str(), d["trigger"]["details"]["provider"].as_str()), (Some("d-1"), Some("github")));

        let again = github(&app, "push", "d-1", Some(SECRET), &push_payload(&origin, "refs/heads/main", &sha)).await;
        assert_eq!((again.status.as_u16(), again.json()["outcome"].as_str()), (200, Some("duplicate")), "{}", again.text);
        let ping = github(&app, "ping", "d-2", Some(SECRET), &json!({"zen": "Keep it logically awesome.", "hook_id": 1, "repository": {"clone_url": origin.url()}})).await;
        assert_eq!((ping.status.as_u16(), ping.json()["outcome"].as_str()), (200, Some("ping")), "{}", ping.text);
        let other_branch = github(&app, "push", "d-3", Some(SECRET), &push_payload(&origin, "refs/heads/dev", &sha)).await;
        assert_eq!((other_branch.status.as_u16(), other_branch.json()["outcome"].as_str()), (200, Some("no_match")), "{}", other_branch.text);
        let unrelated = github(&app, "issues", "d-4", Some(SECRET), &json!({"action": "opened", "repository": {"clone_url": origin.url()}})).await;
        assert_eq!((unrelated.status.as_u16(), unrelated.json()["outcome"].as_str()), (200, Some("ignored")), "{}", unrelated.text);
        assert_eq!(run_count(&app, &root, pipeline).await, 1, "a redelivery, a ping and other branches run nothing");

        let seen = app.call("GET", "/api/v1/webhooks/deliveries?page_size=10", Some(&root)).await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        let page = seen.json();
        let outcomes: Vec<&str> = page["results"].as_array().unwrap().iter().map(|d| d["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, ["ignored", "no_match", "ping", "duplicate", "started"], "newest first");
        let started = &page["results"][4];
        assert_eq!((started["verified"].as_bool(), started["commit"].as_str(), started["ref"].as_str()), (Some(true), Some(sha.as_str()), Some("main")));
        assert_eq!(started["pipelines"], json!([{"pipeline_id": pipeline, "outcome": "started", "run_id": run_id}]));
        assert_eq!(page["results"][1]["pipelines"][0]["outcome"], "branch_mismatch");
        let (bob, _) = app.user("bob").await;
        assert_eq!(app.call("GET", "/api/v1/webhooks/deliveries", Some(&bob)).await.json()["count"], 0, "another user's deliveries stay invisible");
        let anonymous = app.call("GET", "/api/v1/webhooks/deliveries", None).await;
        assert_eq!(anonymous.status, 401);
        assert_error_shape("GET", "/api/v1/webhooks/deliveries", &anonymous);
    }

    async fn bad_or_missing_signatures_are_refused_and_nothing_runs(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let origin = Origin::new();
        let pipeline = hooked_pipeline(&app, &root, &origin, json!(["push"])).await;
        let sha = origin.commit("2.0");
        let payload = push_payload(&origin, "refs/heads/main", &sha);
        for secret in [Some("not the secret"), None] {
            let r = github(&app, "push", "d-1", secret, &payload).await;
            assert_eq!(r.status, 401, "{}", r.text);
            assert_eq!(r.json()["error"]["code"], "AUTHENTICATION_ERROR");
            assert_error_shape("POST", "/api/v1/webhooks/github", &r);
        }
        let raw = payload.to_string();
        let tampered = raw.replace("Update README", "Update READMF");
        let sig = github_signature(SECRET.as_bytes(), raw.as_bytes());
        let headers = [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", sig.as_str())];
        let r = app.send(delivery("/api/v1/webhooks/github", &headers, "application/json", tampered.into_bytes())).await;
        assert_eq!(r.status, 401, "a body changed after signing: {}", r.text);
        assert_eq!(run_count(&app, &root, pipeline).await, 0);
        let page = app.call("GET", "/api/v1/webhooks/deliveries", Some(&root)).await.json();
        assert_eq!(page["count"], 3, "refused deliveries are recorded too");
        assert_eq!((page["results"][0]["outcome"].as_str(), page["results"][0]["verified"].as_bool()), (Some("rejected"), Some(false)));
        assert_eq!(page["results"][0]["pipelines"][0]["outcome"], "signature_mismatch", "the owner sees why it did not build");
        let ok = github(&app, "push", "d-1", Some(SECRET), &payload).await;
        assert_eq!((ok.status.as_u16(), ok.json()["outcome"].as_str()), (200, Some("started")), "a refused delivery id does not block the real one: {}", ok.text);
    }

    async fn form_encoded_tags_and_gitlab_tokens(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let origin = Origin::new();
        let pipeline = hooked_pipeline(&app, &root, &origin, json!(["push", "tag"])).await;
        let sha = origin.commit("3.1");
        let tagged = origin.tag("v3.1");
        assert_eq!(sha, tagged);
        let origin_sha = origin.commit("3.2");

        let payload = push_payload(&origin, "refs/tags/v3.1", &tagged).to_string();
        let form: String = form_urlencoded::Serializer::new(String::new()).append_pair("payload", &payload).finish();
        let sig = github_signature(SECRET.as_bytes(), form.as_bytes());
        let headers = [("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "t-1"), ("X-Hub-Signature-256", sig.as_str())];
        let r = app.send(delivery("/api/v1/webhooks/github", &headers, "application/x-www-form-urlencoded", form.into_bytes())).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = finished(&app, &root, r.json()["runs"][0]["run_id"].as_i64().unwrap()).await;
        assert_eq!(d["status"], "success", "{d}");
        assert_eq!(d["trigger"]["type"], "tag");
        assert_eq!(d["steps"][1]["log"].as_str().unwrap(), format!("{tagged}\n3.1\n"), "the tag's commit, not main's newer one");

        let gitlab = json!({
            "object_kind": "push", "ref": "refs/heads/main", "before": "0000000000000000000000000000000000000000",
            "after": origin_sha, "checkout_sha": origin_sha, "user_username": "ann",
            "project": {"git_http_url": origin.url(), "path_with_namespace": "user/origin"},
            "commits": [{"id": origin_sha, "message": "release 3.2"}]
        });
        let send = |token: &'static str, uuid: &'static str| {
            let headers = [("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", token), ("X-Gitlab-Event-UUID", uuid)];
            delivery("/api/v1/webhooks/gitlab", &headers, "application/json", gitlab.to_string().into_bytes())
        };
        let refused = app.send(send("wrong", "u-1")).await;
        assert_eq!(refused.status, 401, "{}", refused.text);
        assert_error_shape("POST", "/api/v1/webhooks/gitlab", &refused);
        let r = app.send(send(SECRET, "u-1")).await;
        assert_eq!((r.status.as_u16(), r.json()["outcome"].as_str()), (200, Some("started")), "{}", r.text);
        let d = finished(&app, &root, r.json()["runs"][0]["run_id"].as_i64().unwrap()).await;
        assert_eq!(d["steps"][1]["log"].as_str().unwrap(), format!("{origin_sha}\n3.2\n"));
        let again = app.send(send(SECRET, "u-1")).await;
        assert_eq!(again.json()["outcome"], "duplicate", "{}", again.text);
        assert_eq!(run_count(&app, &root, pipeline).await, 2);
    }

    async fn malformed_deliveries_are_validation_errors(db: Db) {
        let app = TestApp::on(db).await;
        let root = app.admin("root").await;
        let origin = Origin::new();
        let pipeline = hooked_pipeline(&app, &root, &origin, json!(["push"])).await;
        let path = "/api/v1/webhooks/github";
        let no_event = app.send(delivery(path, &[], "application/json", b"{}".to_vec())).await;
        assert_eq!(no_event.status, 400, "{}", no_event.text);
        assert_eq!(no_event.json()["error"]["code"], "VALIDATION_ERROR");
        assert!(no_event.json()["error"]["details"]["X-GitHub-Event"].is_array(), "{}", no_event.text);
        assert_error_shape("POST", path, &no_event);
        let sha = "a".repeat(40);
        let mut bad_commit = push_payload(&origin, "refs/heads/main", "not-a-sha; rm -rf /");
        bad_commit["head_commit"]["id"] = json!("x");
        let mut nul = push_payload(&origin, "refs/heads/main", &sha);
        nul["pusher"]["name"] = json!("a\u{0}b");
        let bad_ref = push_payload(&origin, "refs/heads/-rf", &sha);
        let bodies: Vec<(&str, Vec<u8>)> = vec![
            ("application/json", b"{not json".to_vec()),
            ("application/json", b"[]".to_vec()),
            ("application/json", json!({"ref": "refs/heads/main"}).to_string().into_bytes()),
            ("application/json", bad_commit.to_string().into_bytes()),
            ("application/json", nul.to_string().into_bytes()),
            ("application/json", bad_ref.to_string().into_bytes()),
            ("application/x-www-form-urlencoded", b"other=1".to_vec()),
        ];
        for (content_type, body) in bodies {
            let sig = github_signature(SECRET.as_bytes(), &body);
            let headers = [("X-GitHub-Event", "push"), ("X-Hub-Signature-256", sig.as_str())];
            let r = app.send(delivery(path, &headers, content_type, body.clone())).await;
            assert_eq!(r.status, 400, "{}: {}", String::from_utf8_lossy(&body), r.text);
            assert_eq!(r.json()["error"]["code"], "VALIDATION_ERROR");
            assert_error_shape("POST", path, &r);
        }
        let r = app.send(delivery("/api/v1/webhooks/gitlab", &[("X-Gitlab-Token", SECRET)], "application/json", b"{}".to_vec())).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(run_count(&app, &root, pipeline).await, 0);
        let bad_page = app.call("GET", "/api/v1/webhooks/deliveries?page=0", Some(&root)).await;
        assert_eq!(bad_page.status, 400, "{}", bad_page.text);
    }
}
