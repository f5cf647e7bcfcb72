//! `slipway-bench delivery`: the delivery figures on a Slipway node run as a child process, on each backend.
//!
//! - `webhook`: a signed GitHub push to the first step's process running (p50, p99).
//! - `concurrent`: many runs of trivial shell steps at once: wall time, per-step overhead, server memory.
//! - `logs`: a step printing many lines, followed over the run's WebSocket: every line, in order.

mod concurrent;
mod logs;
mod node;
mod webhook;

use crate::cli::{DeliveryArgs, DeliveryScenario};
use crate::factory::{Figure, print_figures};
use node::Node;

/// Worker slots of the node for the scenarios that run one thing at a time.
const DEFAULT_WORKERS: usize = 8;

/// The `p`th percentile of sorted nanoseconds, in milliseconds.
fn percentile_ms(sorted_ns: &[u64], p: f64) -> f64 {
    if sorted_ns.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_ns.len() as f64).ceil() as usize;
    sorted_ns[rank.clamp(1, sorted_ns.len()) - 1] as f64 / 1e6
}

/// Runs the requested scenarios on each backend and prints their figures.
pub async fn run(args: DeliveryArgs, command: &str) -> anyhow::Result<()> {
    slipway::install_crypto_provider();
    let mut figures: Vec<Figure> = Vec::new();
    for backend in crate::cli::dedup(&args.backend) {
        for scenario in crate::cli::dedup(&args.scenario) {
            let workers = match scenario {
                DeliveryScenario::Concurrent => (args.runs as usize).max(DEFAULT_WORKERS),
                DeliveryScenario::Webhook | DeliveryScenario::Logs => DEFAULT_WORKERS,
            };
            let node = Node::start(backend, args.database_url.as_deref(), workers).await?;
            let name = backend.name();
            let found = match scenario {
                DeliveryScenario::Webhook => webhook::receipt_to_first_step(&node, name, args.samples).await,
                DeliveryScenario::Concurrent => concurrent::runs_at_once(&node, name, args.runs, args.steps).await,
                DeliveryScenario::Logs => logs::long_log(&node, name, args.lines).await,
            };
            node.stop().await?;
            figures.extend(found?);
        }
    }
    print_figures(command, &figures, args.json)
}

#[cfg(test)]
mod tests {
    use super::percentile_ms;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let ns: Vec<u64> = (1..=100).map(|i| i * 1_000_000).collect();
        assert_eq!(
            (percentile_ms(&ns, 50.0), percentile_ms(&ns, 99.0), percentile_ms(&ns, 100.0)),
            (50.0, 99.0, 100.0)
        );
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }
}
