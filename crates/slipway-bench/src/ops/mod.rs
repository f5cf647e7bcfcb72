//! `slipway-bench ops`: the operations figures against a real OpenSSH server on loopback (the tests' harness,
//! which generates its keys and runs `/usr/sbin/sshd` as a child).
//!
//! - `ssh`: a command's round trip on an open connection (p50, p99), and commands per second with 20 at once.
//! - `monitor`: `--servers` server records on one loopback sshd (each its own login) collected every
//!   `--interval` seconds: whether each tick finishes inside the interval, and the CPU and memory it costs.

mod monitor;
mod ssh;
#[path = "../../../slipway-ops/tests/common/sshd.rs"]
mod sshd;

use crate::cli::{OpsArgs, OpsScenario};
use crate::factory::{Figure, print_figures};

/// Runs the requested scenarios and prints their figures.
pub async fn run(args: OpsArgs, command: &str) -> anyhow::Result<()> {
    let mut figures: Vec<Figure> = Vec::new();
    for scenario in crate::cli::dedup(&args.scenario) {
        let found = match scenario {
            OpsScenario::Ssh => ssh::round_trips(args.samples).await,
            OpsScenario::Monitor => {
                monitor::many_servers(args.backend, args.database_url.as_deref(), args.servers, args.interval).await
            }
        };
        figures.extend(found?);
    }
    print_figures(command, &figures, args.json)
}

/// The remote user: `.ci/run`'s test user, whose login shell is `/bin/sh` (the harness's authorized keys let the
/// tests' key in for any user), else the current one. Root's shell here is bash, which sshd has read `~/.bashrc`
/// for every command (Debian builds it so), and this machine's runs `pyenv` there: that would be measured too.
fn remote_user() -> String {
    if sshd::password_user_exists() { sshd::PASSWORD_USER.to_owned() } else { sshd::current_user() }
}

/// The `p`th percentile of sorted durations, in milliseconds.
fn percentile_ms(sorted: &[std::time::Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}
