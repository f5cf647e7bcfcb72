//! Accounts from the command line and on first start, against the real binary.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Node, client, slipway};
use serde_json::{Value, json};

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

async fn login(node: &Node, who: &str, password: &str) -> Value {
    let r = client()
        .post(node.url(0, "/api/auth/login"))
        .json(&json!({"identifier": who, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login {who}");
    r.json().await.unwrap()
}

fn serve(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = slipway();
    cmd.env_clear().args(["serve", "--bind", "127.0.0.1:0", "--data-dir"]).arg(dir);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_creates_an_administrator_and_shows_the_password_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(serve(dir.path()), 1);
    let banner = node.startup.iter().find(|l| l.contains("First start: created administrator")).expect("the banner");
    let password = banner.split("with password \"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let body = login(&node, "admin", &password).await;
    assert_eq!(body["user"]["role"], "admin");
    drop(node);

    let again = Node::start(serve(dir.path()), 1);
    assert!(!again.startup.iter().any(|l| l.contains("First start")), "shown only once");
    login(&again, "admin", &password).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_administrator_can_be_configured() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = serve(dir.path());
    cmd.env("SLIPWAY_ADMIN_USERNAME", "boss")
        .env("SLIPWAY_ADMIN_EMAIL", "boss@example.com")
        .env("SLIPWAY_ADMIN_PASSWORD", "Boss-Pass-1");
    let node = Node::start(cmd, 1);
    assert!(!node.startup.iter().any(|l| l.contains("with password")), "a configured password is never printed");
    let body = login(&node, "boss@example.com", "Boss-Pass-1").await;
    assert_eq!(body["user"]["role"], "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_create_adds_accounts_that_sign_in_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let create = |extra: &[&str]| {
        slipway().env_clear().args(["user", "create", "--data-dir"]).arg(dir.path()).args(extra).output().unwrap()
    };
    let out = create(&["--username", "ops", "--email", "ops@example.com", "--admin"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("created admin \"ops\""), "{stdout}");
    let password = stdout.lines().find_map(|l| l.strip_prefix("password: ")).unwrap().to_owned();

    let out = create(&["--username", "dev", "--email", "dev@example.com", "--password", "Dev-Pass-42"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("password:"), "a given password is not echoed");

    let out = create(&["--username", "ops", "--email", "other@example.com"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("username already registered"), "{}", text(&out.stderr));
    let out = create(&["--username", "weak", "--email", "weak@example.com", "--password", "short"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("password must be"), "{}", text(&out.stderr));

    let node = Node::start(serve(dir.path()), 1);
    assert!(!node.startup.iter().any(|l| l.contains("First start")), "an administrator already exists");
    assert_eq!(login(&node, "ops", &password).await["user"]["role"], "admin");
    let dev = login(&node, "dev", "Dev-Pass-42").await;
    let token = dev["access_token"].as_str().unwrap();
    let r = client().get(node.url(0, "/api/users/me/")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
