//! `slipway-bench`: load benchmarks for Slipway; `http` measures the HTTP server against a bare axum baseline,
//! `engine` the job engine (start latency, throughput, chains, event fan-out), `factory` the software factory,
//! `delivery` webhooks and pipeline runs, `ops` SSH and monitoring against a loopback sshd.

mod child;
mod cli;
mod delivery;
mod engine;
mod factory;
mod http;
mod llm;
mod load;
mod ops;
mod prepare;
mod report;
mod rss;
mod serve;
mod stats;
mod target;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Http(args) => {
            let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
            let command = report::command_line(&argv);
            runtime.block_on(async {
                // Returning (rather than dying on the signal) drops the child servers and their data directories.
                tokio::select! {
                    result = http::run(args, &command) => result,
                    _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
                }
            })
        }
        Command::Engine(args) => {
            let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
            let command = report::command_line(&argv);
            runtime.block_on(async {
                tokio::select! {
                    result = engine::run(args, &command) => result,
                    _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
                }
            })
        }
        Command::Llm(args) => {
            let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
            let command = report::command_line(&argv);
            runtime.block_on(async {
                tokio::select! {
                    result = llm::run(args, &command) => result,
                    _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
                }
            })
        }
        Command::Factory(args) => {
            let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
            let command = report::command_line(&argv);
            runtime.block_on(async {
                tokio::select! {
                    result = factory::run(args, &command) => result,
                    _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
                }
            })
        }
        Command::Delivery(args) => {
            let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
            let command = report::command_line(&argv);
            runtime.block_on(async {
                tokio::select! {
                    result = delivery::run(args, &command) => result,
                    _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
                }
            })
        }
        Command::Ops(args) => {
            let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
            let command = report::command_line(&argv);
            runtime.block_on(async {
                tokio::select! {
                    result = ops::run(args, &command) => result,
                    _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
                }
            })
        }
        Command::Serve(args) => runtime.block_on(serve::serve(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
