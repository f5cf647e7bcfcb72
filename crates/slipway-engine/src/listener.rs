//! PostgreSQL `LISTEN`: one connection per node hears that a job became queued (wake the dispatcher), that a
//! job's log grew (feed local subscribers), or that a job should be cancelled (stop it if it runs here).
//! After a lost connection everything is re-checked, since notifications sent meanwhile are gone.

use std::sync::Arc;
use std::time::Duration;

use slipway_store::Db;
use sqlx::postgres::PgListener;

use crate::engine::Inner;
use crate::maintenance;
use crate::runner::StopReason;

pub(crate) async fn run(inner: Arc<Inner>) {
    let (Db::Postgres(pool), Some(channels)) = (&inner.db, inner.channels.clone()) else { return };
    loop {
        if pool.is_closed() {
            return;
        }
        let mut listener = match PgListener::connect_with(pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the notification connection; retrying");
                if !inner.sleep(Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        let names = [channels.queued.as_str(), channels.events.as_str(), channels.cancel.as_str()];
        if let Err(e) = listener.listen_all(names).await {
            tracing::warn!(error = %e, "cannot LISTEN; retrying");
            if !inner.sleep(Duration::from_secs(1)).await {
                return;
            }
            continue;
        }
        // Anything sent before LISTEN took effect is picked up by a full re-check.
        recheck(&inner).await;
        loop {
            let next = tokio::select! {
                n = listener.try_recv() => n,
                () = inner.stop.cancelled() => return,
            };
            match next {
                Ok(Some(n)) => {
                    let (channel, payload) = (n.channel(), n.payload());
                    if channel == channels.queued {
                        inner.wake.notify_one();
                    } else if channel == channels.events {
                        if let Some((job_id, seq)) = parse_event(payload)
                            && inner.hub.has_topic(job_id)
                        {
                            let inner = Arc::clone(&inner);
                            tokio::spawn(async move { inner.hub.grew(job_id, seq).await });
                        }
                    } else if channel == channels.cancel
                        && let Ok(job_id) = payload.parse::<i64>()
                    {
                        let job = inner.running.lock().map(|r| r.get(&job_id).cloned()).ok().flatten();
                        if let Some(job) = job {
                            job.stop(StopReason::Cancelled);
                        }
                    }
                }
                Ok(None) => {
                    tracing::info!("notification connection lost; reconnected, re-checking");
                    recheck(&inner).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "notification connection failed; reopening");
                    break;
                }
            }
        }
        if !inner.sleep(Duration::from_millis(200)).await {
            return;
        }
    }
}

async fn recheck(inner: &Arc<Inner>) {
    inner.wake.notify_one();
    maintenance::check_cancels(inner).await;
    maintenance::catch_up_topics(inner).await;
}

fn parse_event(payload: &str) -> Option<(i64, i64)> {
    let (job, seq) = payload.split_once(':')?;
    Some((job.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_payloads() {
        assert_eq!(parse_event("12:40"), Some((12, 40)));
        assert_eq!(parse_event("12"), None);
        assert_eq!(parse_event("x:1"), None);
    }
}
