//! The node's dispatcher: claims due jobs into free worker slots, several per round trip, and runs each on its
//! own task. It sleeps until woken by an enqueue on this node, a PostgreSQL notification, a freed slot, the next
//! delayed job's time, or the slow polling interval, whichever comes first.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::engine::Inner;
use crate::runner;

/// Pause after the database refused a claim.
const CLAIM_ERROR_PAUSE: Duration = Duration::from_secs(1);

pub(crate) async fn run(inner: Arc<Inner>) {
    let slots = Arc::new(Semaphore::new(inner.settings.workers));
    loop {
        if inner.stop_claiming.is_cancelled() {
            break;
        }
        let permits: Vec<_> = std::iter::from_fn(|| Arc::clone(&slots).try_acquire_owned().ok()).collect();
        if permits.is_empty() {
            tokio::select! {
                () = inner.wake.notified() => {}
                () = inner.stop_claiming.cancelled() => break,
            }
            continue;
        }
        let wanted = permits.len();
        let lease_until =
            slipway_core::time::now() + chrono::Duration::from_std(inner.settings.lease).unwrap_or_default();
        let claimed = inner
            .write
            .claim_jobs(&inner.node, &inner.kinds, wanted as i64, lease_until, inner.channels.as_ref())
            .await;
        let jobs = match claimed {
            Ok(jobs) => jobs,
            Err(e) => {
                drop(permits);
                tracing::warn!(error = %e, "claiming jobs failed");
                tokio::select! {
                    () = tokio::time::sleep(CLAIM_ERROR_PAUSE) => {}
                    () = inner.stop_claiming.cancelled() => break,
                }
                continue;
            }
        };
        let got = jobs.len();
        for (job, permit) in jobs.into_iter().zip(permits) {
            tokio::spawn(runner::run(Arc::clone(&inner), job, permit));
        }
        if got == wanted {
            continue;
        }
        let idle = match inner.db.next_scheduled_job(slipway_core::time::now()).await {
            Ok(Some(at)) => (at - slipway_core::time::now()).to_std().unwrap_or_default().min(inner.poll),
            _ => inner.poll,
        };
        tokio::select! {
            () = inner.wake.notified() => {}
            () = tokio::time::sleep(idle) => {}
            () = inner.stop_claiming.cancelled() => break,
        }
    }
}
