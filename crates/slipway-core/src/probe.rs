//! Health probes: each dependency a node needs (database, later the engine) reports whether it works.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What one probe found.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeReport {
    /// The dependency checked (`database`).
    pub name: &'static str,
    /// `Ok(round-trip time)` when it works, `Err(reason)` when it does not.
    pub outcome: Result<Duration, String>,
}

impl ProbeReport {
    /// Whether the dependency works.
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }
}

/// A boxed future returned by [`Probe::check`].
pub type ProbeFuture<'a> = Pin<Box<dyn Future<Output = Result<Duration, String>> + Send + 'a>>;

/// A dependency that can be checked with a real round trip.
pub trait Probe: Send + Sync {
    /// The dependency's name in health reports.
    fn name(&self) -> &'static str;
    /// Performs one real round trip and reports its duration, or why it failed.
    fn check(&self) -> ProbeFuture<'_>;
}

/// The outcome of checking every probe of a node.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    /// One report per probe, in probe order.
    pub checks: Vec<ProbeReport>,
}

impl HealthReport {
    /// Checks every probe, one after the other.
    pub async fn gather(probes: &[std::sync::Arc<dyn Probe>]) -> Self {
        let mut checks = Vec::with_capacity(probes.len());
        for p in probes {
            checks.push(ProbeReport { name: p.name(), outcome: p.check().await });
        }
        Self { checks }
    }

    /// Whether every dependency works.
    pub fn is_healthy(&self) -> bool {
        self.checks.iter().all(ProbeReport::is_ok)
    }

    /// One line per node: `database ok (0.31 ms)` or `database failed: pool timed out`.
    pub fn summary(&self) -> String {
        self.checks
            .iter()
            .map(|c| match &c.outcome {
                Ok(rtt) => format!("{} ok ({:.2} ms)", c.name, rtt.as_secs_f64() * 1e3),
                Err(e) => format!("{} failed: {e}", c.name),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The failures alone, or `None` when healthy.
    pub fn failures(&self) -> Option<String> {
        let failed: Vec<String> =
            self.checks.iter().filter_map(|c| c.outcome.as_ref().err().map(|e| format!("{}: {e}", c.name))).collect();
        (!failed.is_empty()).then(|| failed.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(outcomes: Vec<Result<Duration, String>>) -> HealthReport {
        HealthReport { checks: outcomes.into_iter().map(|outcome| ProbeReport { name: "database", outcome }).collect() }
    }

    #[test]
    fn healthy_only_when_every_probe_works() {
        let ok = report(vec![Ok(Duration::from_micros(310))]);
        assert!(ok.is_healthy());
        assert_eq!(ok.summary(), "database ok (0.31 ms)");
        assert_eq!(ok.failures(), None);

        let bad = report(vec![Ok(Duration::ZERO), Err("pool timed out".into())]);
        assert!(!bad.is_healthy());
        assert_eq!(bad.failures().as_deref(), Some("database: pool timed out"));
    }
}
