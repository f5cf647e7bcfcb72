//! The requests a scenario sends, and the setup they need: scenarios that sign in get a bench user, registered
//! through the planner's route (or signed in when it already exists, against `--url`).

use anyhow::{Context, bail};
use hyper::Method;
use serde_json::{Value, json};

use crate::cli::Scenario;
use crate::load;
use crate::target::Target;

/// The bench user's name.
pub const BENCH_USER: &str = "slipway-bench";
/// The bench user's password.
pub const BENCH_PASSWORD: &str = "Bench-Pass-123!";
/// Connections of the login load that runs beside `profile-under-login`.
pub const BACKGROUND_CONNECTIONS: u32 = 8;

/// What a scenario measures, and what runs beside it unmeasured.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The measured request.
    pub main: Target,
    /// Load that runs at the same time, not recorded.
    pub background: Option<Target>,
}

fn credentials() -> Value {
    json!({"identifier": BENCH_USER, "password": BENCH_PASSWORD})
}

async fn ensure_user(base: &Target) -> anyhow::Result<()> {
    let body =
        json!({"username": BENCH_USER, "email": format!("{BENCH_USER}@example.com"), "password": BENCH_PASSWORD});
    let (status, text) = load::once(&base.with_request(Method::POST, "/api/v1/auth/register", Some(&body))?).await?;
    // 404 is the planner's answer to a taken name: the user exists from an earlier run.
    if !status.is_success() && status.as_u16() != 404 {
        bail!("cannot register the bench user: {status} {}", String::from_utf8_lossy(&text));
    }
    Ok(())
}

async fn sign_in(base: &Target) -> anyhow::Result<String> {
    let (status, text) = load::once(&base.with_request(Method::POST, "/api/auth/login", Some(&credentials()))?).await?;
    if !status.is_success() {
        bail!("cannot sign the bench user in: {status} {}", String::from_utf8_lossy(&text));
    }
    let body: Value = serde_json::from_slice(&text).context("the login answer is not JSON")?;
    body["access_token"].as_str().map(str::to_owned).context("the login answer has no access_token")
}

/// Sets up `scenario` against the server behind `base`.
pub async fn prepare(scenario: Scenario, base: &Target) -> anyhow::Result<Prepared> {
    let get = |path: &str| base.with_request(Method::GET, path, None);
    let login = || base.with_request(Method::POST, "/api/auth/login", Some(&credentials()));
    let profile = |token: &str| get("/api/auth/profile").and_then(|t| t.with_bearer(token));
    Ok(match scenario {
        Scenario::Health => Prepared { main: get("/health")?, background: None },
        Scenario::Baseline => Prepared { main: get("/")?, background: None },
        Scenario::Profile => {
            ensure_user(base).await?;
            Prepared { main: profile(&sign_in(base).await?)?, background: None }
        }
        Scenario::Login => {
            ensure_user(base).await?;
            Prepared { main: login()?, background: None }
        }
        Scenario::ProfileUnderLogin => {
            ensure_user(base).await?;
            Prepared { main: profile(&sign_in(base).await?)?, background: Some(login()?) }
        }
    })
}
