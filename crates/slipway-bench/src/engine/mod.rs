//! `slipway-bench engine`: each scenario on each backend, on a fresh database, with the engine in this process.

mod chain;
pub(crate) mod database;
mod executors;
mod fanout;
mod latency;
mod plan_streams;
mod report;
mod sse_fanout;
mod throughput;

use std::time::Duration;

use slipway_core::{Principal, Role};
use slipway_engine::{Engine, EngineSettings};
use slipway_store::Db;

use crate::cli::{BackendName, EngineArgs, EngineScenario, SqliteWriter, dedup};
pub use report::EngineRow;

/// The caller the scenarios act as.
pub fn admin() -> Principal {
    Principal { user_id: 1, username: "bench".into(), role: Role::Admin }
}

/// Runs every (scenario, backend) pair and prints the table, or JSON with `--json`.
pub async fn run(args: EngineArgs, command: &str) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for backend in dedup(&args.backend) {
        for scenario in dedup(&args.scenario) {
            let db = database::fresh(backend, args.database_url.as_deref()).await?;
            eprintln!("slipway-bench: engine {} on {}", scenario.name(), backend.name());
            let result = match scenario {
                EngineScenario::Latency => latency::run(&db.db, &args).await,
                EngineScenario::Throughput => throughput::run(&db.db, &args).await,
                EngineScenario::Chain => chain::run(&db.db, &args).await,
                EngineScenario::Fanout => fanout::run(&db.db, &args).await,
                EngineScenario::SseFanout => sse_fanout::run(&db.db, &args).await,
                EngineScenario::PlanStreams => plan_streams::run(&db.db, &args).await,
            };
            db.remove().await;
            let mut row = result?;
            row.backend = backend.name().to_owned();
            if backend == BackendName::Sqlite {
                row.sqlite_writer = Some(writer_name(args.sqlite_writer).to_owned());
            }
            rows.push(row);
        }
    }
    if args.json {
        println!("{}", report::json(command, &rows)?);
    } else {
        print!("{}", report::table(&rows));
    }
    Ok(())
}

fn writer_name(w: SqliteWriter) -> &'static str {
    match w {
        SqliteWriter::Dedicated => "dedicated",
        SqliteWriter::Shared => "shared",
    }
}

/// Engine settings for a scenario: `workers` slots, a private workspace root.
pub fn settings(args: &EngineArgs, workspace: &std::path::Path, workers: usize) -> EngineSettings {
    EngineSettings {
        workers,
        workspace_root: workspace.to_path_buf(),
        dedicated_sqlite_writer: args.sqlite_writer == SqliteWriter::Dedicated,
        run_scheduler: false,
        event_retention: None,
        ..EngineSettings::default()
    }
}

/// Starts an engine with the bench's executors.
pub async fn start(db: &Db, settings: EngineSettings, probe: executors::Probe) -> anyhow::Result<Engine> {
    let engine = Engine::builder(db.clone(), settings)
        .executor(executors::Noop)
        .executor(probe)
        .executor(executors::Emitter)
        .start()
        .await?;
    Ok(engine)
}

/// Stops an engine quickly.
pub async fn stop(engine: Engine) {
    engine.shutdown(Duration::from_secs(2)).await;
}
