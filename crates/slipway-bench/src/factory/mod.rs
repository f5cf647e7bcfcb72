//! `slipway-bench factory`: the software factory's figures on a Slipway node run as a child process.
//!
//! - `files`: upload and download throughput of one large file on the local file store, and how much the
//!   server's resident memory grows meanwhile (streamed, not buffered).
//! - `zip`: time to the first byte of a project's ZIP download with many files.
//! - `run`: what orchestration adds to a seven-stage run beyond the provider's own time (checkpoints included).
//! - `resume`: time from a restart after `kill -9` mid-run to the next stage starting.

mod client;
mod files;
mod resume;
mod runs;

use serde::Serialize;

use crate::cli::{FactoryArgs, FactoryScenario};

/// One measured figure.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// The scenario it belongs to.
    pub scenario: &'static str,
    /// What was measured.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Its unit.
    pub unit: &'static str,
    /// The goal, as text.
    pub goal: &'static str,
}

/// Runs the requested scenarios and prints their figures.
pub async fn run(args: FactoryArgs, command: &str) -> anyhow::Result<()> {
    slipway::install_crypto_provider();
    let mut figures = Vec::new();
    for scenario in crate::cli::dedup(&args.scenario) {
        let found = match scenario {
            FactoryScenario::Files => files::throughput(&args).await?,
            FactoryScenario::Zip => files::zip_first_byte(&args).await?,
            FactoryScenario::Run => runs::overhead(&args).await?,
            FactoryScenario::Resume => resume::resume_after_kill(&args).await?,
        };
        figures.extend(found);
    }
    print_figures(command, &figures, args.json)
}

/// Prints figures as a table, or as one JSON object.
pub fn print_figures(command: &str, figures: &[Figure], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"command": command, "figures": figures}))?);
    } else {
        println!("{command}\n");
        println!("{:<10} {:<60} {:>12} {:<6} goal", "scenario", "figure", "value", "unit");
        for f in figures {
            println!("{:<10} {:<60} {:>12.2} {:<6} {}", f.scenario, f.name, f.value, f.unit, f.goal);
        }
    }
    Ok(())
}
