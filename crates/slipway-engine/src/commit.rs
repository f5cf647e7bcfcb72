//! Getting one batch of journal writes into the database: coalesced (see `coalesce.rs`), in one transaction,
//! tried again with growing pauses while the database is unreachable. When the database refuses the batch
//! itself (a write it cannot store, such as text PostgreSQL rejects), each job's writes are applied in a
//! transaction of their own, so one job's bad write fails only that job's writes and the others land.

use std::collections::HashMap;
use std::time::Duration;

use slipway_core::Error;
use slipway_store::jobs::{Channels, JobWrite};
use slipway_store::{Db, StoreError};

use crate::coalesce::coalesce;

/// Tries of one set of writes before they are reported failed.
const TRIES: u32 = 5;

/// Per write of `writes`: `Ok(Some(last_seq))` when applied, `Ok(None)` when its guard refused it, `Err` when
/// the database could not take it.
pub(crate) async fn commit(
    db: &Db,
    channels: Option<&Channels>,
    writes: &[JobWrite],
) -> Vec<Result<Option<i64>, Error>> {
    let error = match once(db, channels, writes).await {
        Ok(results) => return results.into_iter().map(Ok).collect(),
        Err(e) => e,
    };
    let jobs = by_job(writes);
    if jobs.len() < 2 || matches!(error, StoreError::Unavailable(_)) {
        let result = again(db, channels, writes, error).await;
        return (0..writes.len()).map(|i| result.as_ref().map(|r| r[i]).map_err(Clone::clone)).collect();
    }
    tracing::warn!(error = %error, jobs = jobs.len(), "a batch of job writes was refused; applying each job's on its own");
    isolate(db, channels, writes, jobs).await
}

/// Each job's writes in a transaction of their own: all once, then the ones that failed again.
async fn isolate(
    db: &Db,
    channels: Option<&Channels>,
    writes: &[JobWrite],
    jobs: Vec<Vec<usize>>,
) -> Vec<Result<Option<i64>, Error>> {
    let mut out: Vec<Result<Option<i64>, Error>> = vec![Ok(None); writes.len()];
    let mut failed = Vec::new();
    for indexes in jobs {
        let own: Vec<JobWrite> = indexes.iter().map(|&i| writes[i].clone()).collect();
        match once(db, channels, &own).await {
            Ok(results) => indexes.iter().zip(results).for_each(|(&i, r)| out[i] = Ok(r)),
            Err(e) => failed.push((indexes, own, e)),
        }
    }
    for (indexes, own, error) in failed {
        let result = again(db, channels, &own, error).await;
        for (k, &i) in indexes.iter().enumerate() {
            out[i] = result.as_ref().map(|r| r[k]).map_err(Clone::clone);
        }
    }
    out
}

/// One try: the writes coalesced, in one transaction; the result per original write.
async fn once(db: &Db, channels: Option<&Channels>, writes: &[JobWrite]) -> Result<Vec<Option<i64>>, StoreError> {
    let coalesced = coalesce(writes);
    let results = db.apply_job_writes(&coalesced.writes, channels).await?;
    Ok(coalesced.split(&results))
}

/// The tries after a first failed one, pausing 200 ms, 400 ms, 800 ms … before each.
async fn again(
    db: &Db,
    channels: Option<&Channels>,
    writes: &[JobWrite],
    mut error: StoreError,
) -> Result<Vec<Option<i64>>, Error> {
    for tries in 1..TRIES {
        tracing::warn!(error = %error, tries, "job writes failed; retrying");
        tokio::time::sleep(Duration::from_millis(100 << tries)).await;
        match once(db, channels, writes).await {
            Ok(results) => return Ok(results),
            Err(e) => error = e,
        }
    }
    tracing::error!(error = %error, writes = writes.len(), "job writes failed for good");
    Err(Error::from(error))
}

/// Indexes of `writes` per job, jobs in order of their first write, each job's writes in order.
fn by_job(writes: &[JobWrite]) -> Vec<Vec<usize>> {
    let mut place: HashMap<i64, usize> = HashMap::new();
    let mut jobs: Vec<Vec<usize>> = Vec::new();
    for (i, w) in writes.iter().enumerate() {
        let k = *place.entry(w.job_id).or_insert_with(|| {
            jobs.push(Vec::new());
            jobs.len() - 1
        });
        jobs[k].push(i);
    }
    jobs
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;
    use slipway_store::backend_tests;
    use slipway_store::jobs::{Change, Guard, NewEvent, NewJob};

    use super::*;

    /// Three jobs leased to `node-a` at attempt 1 (seq 1 is each one's `running` event).
    async fn claimed(db: &Db) -> Vec<i64> {
        let job = NewJob {
            kind: "t".into(),
            owner_id: None,
            priority: 0,
            input: json!({}),
            max_attempts: 1,
            timeout_ms: None,
            scheduled_for: slipway_core::time::now(),
            schedule_id: None,
            due_at: None,
        };
        db.insert_jobs(&vec![job; 3]).await.unwrap();
        let lease = slipway_core::time::now() + chrono::Duration::seconds(60);
        let mut ids: Vec<i64> =
            db.claim_jobs("node-a", &["t".into()], 3, lease, None).await.unwrap().iter().map(|j| j.id).collect();
        ids.sort_unstable();
        ids
    }

    fn append(job_id: i64, holder: &str, progress: Option<i32>) -> JobWrite {
        JobWrite {
            job_id,
            guard: Guard::Lease { holder: holder.into(), attempt: 1 },
            change: Change::Append { progress, stage: None },
            events: vec![NewEvent::now("note", json!({}))],
        }
    }

    #[test]
    fn jobs_keep_the_order_of_their_first_write() {
        let writes: Vec<JobWrite> = [7, 3, 7, 9, 3].into_iter().map(|id| append(id, "n", None)).collect();
        assert_eq!(by_job(&writes), [vec![0, 2], vec![1, 4], vec![3]]);
    }

    backend_tests! {
        async fn a_write_the_database_refuses_fails_only_its_own_job(db: Db) {
            let ids = claimed(&db).await;
            // Progress 150 breaks the CHECK on jobs.progress: the whole batch is refused at first.
            let writes = [
                append(ids[0], "node-a", Some(10)),
                append(ids[1], "node-a", Some(150)),
                append(ids[2], "node-b", None),
                append(ids[0], "node-a", None),
                append(ids[1], "node-a", None),
                append(ids[2], "node-a", Some(30)),
            ];
            let results = commit(&db, None, &writes).await;
            assert!(matches!(results[0..4], [Ok(Some(2)), Err(_), Ok(None), Ok(Some(3))]), "{results:?}");
            assert!(matches!(results[4..], [Err(_), Ok(Some(2))]), "{results:?}");
            let mut rows = Vec::new();
            for id in &ids {
                let row = db.job(*id).await.unwrap().unwrap();
                rows.push((row.progress, row.event_seq, db.job_events(*id, 0, 10).await.unwrap().len()));
            }
            assert_eq!(rows, [(10, 3, 3), (0, 1, 1), (30, 2, 2)], "the refused job's writes left nothing");
        }
    }
}
