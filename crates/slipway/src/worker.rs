//! `slipway worker`: a node that runs jobs (workers, schedules, maintenance) and serves no HTTP.

use std::time::Duration;

use slipway_core::Config;

use crate::{server, wiring};

/// Runs the engine until SIGINT or SIGTERM, then stops it within the grace period.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let db = wiring::open_database(config).await?;
    let llm = wiring::llm(config, &db).await?;
    let servers = wiring::servers(config, &db).await?;
    let engine = wiring::start_engine(config, db.clone(), &llm, &servers).await?;
    server::shutdown_signal().await;
    tracing::info!(grace_secs = config.shutdown_grace, "shutting down: no new jobs");
    engine.shutdown(Duration::from_secs(config.shutdown_grace)).await;
    llm.flush_usage().await;
    db.close().await;
    Ok(())
}
