//! `resume`: a node is killed with SIGKILL in the middle of a run's development stage (its agent waiting on the
//! provider); a new node starts on the same data directory. Measured: from starting the new node to the
//! development stage's agent calling the provider again (the stage started over), and to the node listening.
//! The run must then finish without redoing the three stages its checkpoint holds.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::Method;
use serde_json::json;
use slipway_factory::Stage;
use slipway_factory::testing::{agent_of, script};
use slipway_llm::testing::MockProvider;

use super::Figure;
use super::client::Client;
use crate::child::ChildServer;
use crate::cli::FactoryArgs;

/// Requests the mock had from `stage`'s agent.
fn calls_of(mock: &MockProvider, stage: Stage) -> usize {
    let needle = agent_of(stage);
    mock.requests()
        .iter()
        .filter(|r| r.body["messages"][0]["content"].as_str().is_some_and(|s| s.contains(&needle)))
        .count()
}

async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            bail!("{what} did not happen within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// Restart-to-next-stage after `kill -9`.
pub async fn resume_after_kill(_args: &FactoryArgs) -> anyhow::Result<Vec<Figure>> {
    let dir = tempfile::Builder::new().prefix("slipway-bench-resume-").tempdir()?;
    let mock = MockProvider::start().await;
    for stage in [Stage::RequirementsAnalysis, Stage::ArchitectureDesign, Stage::UiDesign] {
        mock.push_all_for(agent_of(stage), script(stage));
    }
    // The development agent's first call hangs: the node is killed while it waits.
    let stalled = script(Stage::Development).swap_remove(0).delay(Duration::from_secs(300));
    mock.push_all_for(agent_of(Stage::Development), [stalled]);

    let mut first = ChildServer::start_in(dir.path(), &mock.url()).await?;
    let client = Client::register(format!("http://{}", first.addr()), "bench").await?;
    let body = json!({"name": "resume", "requirements": "A calculator module with add(a, b), tested.",
                      "config": {"execution_strategy": "sequential"}});
    let project = client.json(Method::POST, "/api/projects", body, 201).await?["id"].as_i64().context("no id")?;
    client.json(Method::POST, &format!("/api/projects/{project}/execute"), json!({}), 200).await?;
    until("the development stage", Duration::from_secs(60), || calls_of(&mock, Stage::Development) == 1).await?;
    first.kill().await?;

    let before = |s| calls_of(&mock, s);
    let done_before = [Stage::RequirementsAnalysis, Stage::ArchitectureDesign, Stage::UiDesign].map(before);
    for stage in [Stage::Development, Stage::Testing, Stage::QaReview, Stage::Completion] {
        mock.push_all_for(agent_of(stage), script(stage));
    }
    let restarted = Instant::now();
    let second = ChildServer::start_in(dir.path(), &mock.url()).await?;
    let listening = restarted.elapsed();
    let client = Client { base: format!("http://{}", second.addr()), ..client };
    let again =
        until("the development stage again", Duration::from_secs(60), || calls_of(&mock, Stage::Development) >= 2);
    if let Err(e) = again.await {
        let p = client.json(Method::GET, &format!("/api/projects/{project}"), json!(null), 200).await?;
        bail!("{e}; the project: {p}");
    }
    let next_stage = restarted.elapsed();

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let p = client.json(Method::GET, &format!("/api/projects/{project}"), json!(null), 200).await?;
        match p["status"].as_str() {
            Some("completed") => break,
            Some("running") if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            other => bail!("the resumed run ended {other:?}: {}", p["error_message"]),
        }
    }
    let redone = [Stage::RequirementsAnalysis, Stage::ArchitectureDesign, Stage::UiDesign].map(before);
    if redone != done_before {
        bail!("finished stages were redone: calls {done_before:?} → {redone:?}");
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(vec![
        Figure {
            scenario: "resume", name: "restart → listening".into(), value: ms(listening), unit: "ms", goal: "-"
        },
        Figure {
            scenario: "resume",
            name: "restart → next stage started (stages 1–3 not redone)".into(),
            value: ms(next_stage),
            unit: "ms",
            goal: "< 2000",
        },
    ])
}
