//! `run`: what orchestration adds to a seven-stage project run beyond the provider's own time, in this process:
//! a SQLite database in a temporary directory, the engine with the factory's executor, and a mock provider on
//! loopback that answers each stage's scripted agent at once. Runs are sequential (so the provider's times add up
//! to its share of the run) and commands are off (tests are not run: a test suite's time is not orchestration).
//! Overhead = the run's wall time from `execute` to its end, minus the provider's own time for every call of it.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;
use slipway_core::{Principal, Role};
use slipway_engine::{Engine, EngineSettings, JobStatus, SandboxAvailability, Waited};
use slipway_factory::{Factory, ProjectConfig, ProjectFiles, Stage};
use slipway_llm::testing::MockProvider;
use slipway_llm::{Llm, LlmSettings};
use slipway_store::factory::NewProject;
use slipway_store::identity::NewUser;
use slipway_store::{Db, PoolSettings, Sealer};

use super::Figure;
use crate::cli::FactoryArgs;

/// Overhead figures over `--runs` runs (after one unrecorded).
pub async fn overhead(args: &FactoryArgs) -> anyhow::Result<Vec<Figure>> {
    let dir = tempfile::tempdir()?;
    let db =
        Db::connect(&format!("sqlite://{}", dir.path().join("bench.db").display()), &PoolSettings::default()).await?;
    db.migrate().await?;
    let mock = MockProvider::start().await;
    let settings =
        LlmSettings { server_default: Some(mock.config("deepseek")), cache_entries: 0, ..LlmSettings::default() };
    let llm = Llm::new(db.clone(), settings, Sealer::from_secret("the bench's secret key, 32 chars or more")).await?;
    let runtime = slipway_agents::Runtime { llm: llm.clone(), db: db.clone() };
    let files = ProjectFiles::new(db.clone(), slipway_files::BlobStore::open(None, dir.path())?, 8 << 20);
    let engine_settings = EngineSettings { workspace_root: dir.path().join("workspaces"), ..EngineSettings::default() };
    let no_commands = SandboxAvailability::Unavailable("commands are not part of the figure".into());
    let builder = Engine::builder(db.clone(), engine_settings).sandbox(no_commands);
    let engine = slipway_factory::register(builder, &runtime, &files).start().await?;
    let factory = Factory::new(engine.clone(), llm, db.clone(), files);

    let user = NewUser {
        username: "bench",
        email: "bench@example.com",
        password_hash: "$argon2id$unused",
        role: "user",
        full_name: "bench",
        email_verified: true,
    };
    let user = db.insert_user(&user, slipway_core::time::now()).await?;
    let owner = Principal { user_id: user.id, username: "bench".into(), role: Role::User };
    let config = ProjectConfig::from_request(Some(&json!({"execution_strategy": "sequential"})))?;
    let project = NewProject {
        user_id: owner.user_id,
        name: "Calc".into(),
        description: None,
        requirements: "A calculator module with add(a, b), tested.".into(),
        config: config.to_value(),
    };
    let project = db.insert_project(&project, slipway_core::time::now()).await?;

    let mut overheads = Vec::new();
    let mut calls = 0;
    for i in 0..=args.runs {
        slipway_factory::testing::script_stages(&mock, &Stage::ALL);
        mock.clear_requests();
        let started = Instant::now();
        let run = factory.execute(&owner, project, None).await?;
        let job = match engine.wait(&owner, run.job_id, Duration::from_secs(60)).await? {
            Waited::Finished(j) => j,
            Waited::TimedOut(j) => bail!("run {} did not finish: {:?}", j.id, j.stage),
        };
        let wall = started.elapsed();
        if job.status != JobStatus::Succeeded {
            bail!("run {} ended {}: {}", job.id, job.status, job.error.unwrap_or_default());
        }
        let requests = mock.requests();
        let provider: Duration = requests.iter().map(|r| r.service_time).sum();
        if i > 0 {
            overheads.push(wall.saturating_sub(provider));
            calls = requests.len();
        }
    }
    engine.shutdown(Duration::from_secs(5)).await;
    overheads.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = overheads.get(overheads.len() / 2).copied().context("no run measured")?;
    let worst = overheads.last().copied().unwrap_or_default();
    let name = |what: &str| format!("{what}, 7 stages, {calls} LLM calls ({} runs)", args.runs);
    Ok(vec![
        Figure { scenario: "run", name: name("overhead median"), value: ms(median), unit: "ms", goal: "< 50" },
        Figure { scenario: "run", name: name("overhead worst"), value: ms(worst), unit: "ms", goal: "< 50" },
    ])
}
