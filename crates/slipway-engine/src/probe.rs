//! The engine as a health probe: it works when it can reach its queue.

use std::time::{Duration, Instant};

use slipway_core::probe::{Probe, ProbeFuture};

use crate::engine::Engine;

/// How long the probe waits for the queue.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

impl Probe for Engine {
    fn name(&self) -> &'static str {
        "engine"
    }

    fn check(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            let started = Instant::now();
            match tokio::time::timeout(PROBE_TIMEOUT, self.inner.db.queue_reachable()).await {
                Ok(Ok(_)) => Ok(started.elapsed()),
                Ok(Err(e)) => Err(format!("cannot reach the job queue: {e}")),
                Err(_) => Err(format!("the job queue did not answer within {PROBE_TIMEOUT:?}")),
            }
        })
    }
}
