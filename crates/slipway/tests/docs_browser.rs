//! `/docs` renders in a real browser with no network beyond loopback: headless Chromium loads the page from a
//! running `slipway serve`, every other host made unresolvable, and the rendered DOM must list our operations.
//!
//! Needs Chromium (`/usr/bin/chromium`, or `SLIPWAY_TEST_CHROMIUM`). Skipped with a message when absent,
//! except under CI (`CI=true`), where its absence fails the test.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Node, slipway};

fn chromium() -> Option<PathBuf> {
    let candidate = std::env::var_os("SLIPWAY_TEST_CHROMIUM").map(PathBuf::from).unwrap_or("/usr/bin/chromium".into());
    if candidate.is_file() {
        return Some(candidate);
    }
    assert!(
        !slipway_store::testing::postgres_required(),
        "CI=true but Chromium is not installed at {}: the offline docs test must run in CI",
        candidate.display()
    );
    eprintln!("SKIPPED: no Chromium at {} (set SLIPWAY_TEST_CHROMIUM)", candidate.display());
    None
}

#[test]
fn docs_page_renders_offline_in_a_headless_browser() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = slipway();
    cmd.env_clear().args(["serve", "--bind", "127.0.0.1:0", "--data-dir"]).arg(dir.path().join("data"));
    let node = Node::start(cmd, 1);
    let profile = dir.path().join("chromium-profile");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(node.url(0, "/docs/"))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(dom.contains("opblock"), "Swagger UI rendered no operations:\n{dom}");
    for needle in ["Slipway", "/api/auth/health", "Perfect21", "ResoftAI"] {
        assert!(dom.contains(needle), "rendered page lacks {needle:?}");
    }
}
