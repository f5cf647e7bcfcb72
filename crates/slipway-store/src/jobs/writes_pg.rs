//! PostgreSQL: a batch of guarded writes in a few round trips instead of one per write. The writes are split
//! into rounds holding at most one write per job (a job's k-th write goes into round k, so each job's writes
//! keep their order); each round is one `UPDATE jobs … FROM unnest(…)` whose `WHERE` clause checks every row's
//! guard and whose `RETURNING` reserves the sequence numbers and queues the `NOTIFY` of each accepted write;
//! then one `INSERT … SELECT FROM unnest(…)` appends every accepted write's events. All in one transaction.
//!
//! The statements have fixed text with one array per column, so PostgreSQL prepares each once per connection
//! whatever the batch size. A refused guard only leaves its row out of `RETURNING`: the other rows land.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;

use super::Channels;
use super::writes::{Change, Guard, JobWrite, event_rows};

/// One round. `$1` is the batch's clock, `$15` the events channel (NULL: notify nobody); the rest are the
/// rows' columns. `op` names the change, `value` is the checkpoint (`checkpoint`) or the output (`finish`),
/// `guard` is `lease`, `expired` or `queued`, with `holder`, `attempt` and `since` (the reaper's clock).
const ROUND: &str = "UPDATE jobs AS j SET
    event_seq = j.event_seq + v.n,
    updated_at = $1,
    progress = CASE WHEN v.op = 'append' THEN coalesce(v.progress, j.progress)
                    WHEN v.op = 'finish' AND v.status = 'succeeded' THEN 100 ELSE j.progress END,
    stage = CASE WHEN v.op = 'append' THEN coalesce(v.stage, j.stage) ELSE j.stage END,
    checkpoint = CASE WHEN v.op = 'checkpoint' THEN v.value ELSE j.checkpoint END,
    output = CASE WHEN v.op = 'finish' THEN v.value ELSE j.output END,
    status = CASE WHEN v.op = 'finish' THEN v.status WHEN v.op IN ('retry', 'handback') THEN 'queued'
                  ELSE j.status END,
    error = CASE WHEN v.op IN ('finish', 'retry') THEN v.error ELSE j.error END,
    finished_at = CASE WHEN v.op = 'finish' THEN $1 ELSE j.finished_at END,
    scheduled_for = CASE WHEN v.op = 'retry' THEN v.retry_at WHEN v.op = 'handback' THEN $1
                         ELSE j.scheduled_for END,
    attempts = CASE WHEN v.op = 'handback' THEN j.attempts - 1 ELSE j.attempts END,
    lease_holder = CASE WHEN v.op IN ('finish', 'retry', 'handback') THEN NULL ELSE j.lease_holder END,
    lease_expires_at = CASE WHEN v.op IN ('finish', 'retry', 'handback') THEN NULL ELSE j.lease_expires_at END,
    cancel_requested = j.cancel_requested OR (v.op = 'finish' AND v.status = 'cancelled')
FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::integer[], $6::text[], $7::jsonb[], $8::text[],
            $9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::integer[], $14::timestamptz[])
     AS v(id, n, op, progress, stage, value, status, error, retry_at, guard, holder, attempt, since)
WHERE j.id = v.id
  AND j.status = CASE WHEN v.guard = 'queued' THEN 'queued' ELSE 'running' END
  AND (v.guard <> 'lease' OR (j.lease_holder = v.holder AND j.attempts = v.attempt))
  AND (v.guard <> 'expired' OR (j.attempts = v.attempt AND j.lease_expires_at < v.since))
RETURNING j.id, j.event_seq,
    CASE WHEN v.n > 0 AND $15::text IS NOT NULL THEN pg_notify($15, j.id || ':' || j.event_seq) END";

const EVENTS: &str = "INSERT INTO job_events (job_id, seq, at, type, payload) \
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::text[], $5::jsonb[])";

/// Applies `writes` (see [`crate::Db::apply_job_writes`]) in rounds of one multi-row `UPDATE`.
pub(super) async fn apply_in_rounds(
    p: &PgPool,
    writes: &[JobWrite],
    channels: Option<&Channels>,
    now: DateTime<Utc>,
) -> Result<Vec<Option<i64>>, sqlx::Error> {
    let channel = channels.map(|c| c.events.as_str());
    let mut results = vec![None; writes.len()];
    let mut tx = p.begin().await?;
    for round in rounds(writes) {
        let rows = Columns::of(round.iter().map(|&i| &writes[i]));
        let accepted: Vec<(i64, i64)> = sqlx::query_as(ROUND)
            .bind(now)
            .bind(rows.id)
            .bind(rows.n)
            .bind(rows.op)
            .bind(rows.progress)
            .bind(rows.stage)
            .bind(rows.value)
            .bind(rows.status)
            .bind(rows.error)
            .bind(rows.retry_at)
            .bind(rows.guard)
            .bind(rows.holder)
            .bind(rows.attempt)
            .bind(rows.since)
            .bind(channel)
            .fetch_all(&mut *tx)
            .await?;
        // A round holds each job once, so the job names the write.
        let last: HashMap<i64, i64> = accepted.into_iter().collect();
        for i in round {
            results[i] = last.get(&writes[i].job_id).copied();
        }
    }

    let rows = event_rows(writes, &results);
    if !rows.is_empty() {
        let (mut job, mut seq, mut at, mut kind, mut payload) = (vec![], vec![], vec![], vec![], vec![]);
        for (j, s, e) in rows {
            job.push(j);
            seq.push(s);
            at.push(e.at);
            kind.push(e.kind.as_str());
            payload.push(&e.payload);
        }
        sqlx::query(EVENTS).bind(job).bind(seq).bind(at).bind(kind).bind(payload).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(results)
}

/// Indexes into `writes` by round: a job's k-th write is in round k, so no round holds a job twice.
fn rounds(writes: &[JobWrite]) -> Vec<Vec<usize>> {
    let mut seen: HashMap<i64, usize> = HashMap::new();
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    for (i, w) in writes.iter().enumerate() {
        let k = seen.entry(w.job_id).or_insert(0);
        if rounds.len() <= *k {
            rounds.push(Vec::new());
        }
        rounds[*k].push(i);
        *k += 1;
    }
    rounds
}

/// One round's rows as one array per column of `ROUND`'s `unnest`.
#[derive(Default)]
struct Columns<'a> {
    id: Vec<i64>,
    n: Vec<i64>,
    op: Vec<&'static str>,
    progress: Vec<Option<i32>>,
    stage: Vec<Option<&'a str>>,
    value: Vec<Option<&'a Value>>,
    status: Vec<Option<&'static str>>,
    error: Vec<Option<&'a str>>,
    retry_at: Vec<Option<DateTime<Utc>>>,
    guard: Vec<&'static str>,
    holder: Vec<Option<&'a str>>,
    attempt: Vec<Option<i32>>,
    since: Vec<Option<DateTime<Utc>>>,
}

impl<'a> Columns<'a> {
    fn of(writes: impl Iterator<Item = &'a JobWrite>) -> Self {
        let mut c = Self::default();
        for w in writes {
            c.id.push(w.job_id);
            c.n.push(i64::try_from(w.events.len()).unwrap_or(i64::MAX));
            let (op, progress, stage, value, status, error, retry_at) = match &w.change {
                Change::Append { progress, stage } => ("append", *progress, stage.as_deref(), None, None, None, None),
                Change::Checkpoint(v) => ("checkpoint", None, None, Some(v), None, None, None),
                Change::Finish { status, output, error } => {
                    ("finish", None, None, output.as_ref(), Some(status.as_str()), error.as_deref(), None)
                }
                Change::Retry { error, retry_at } => {
                    ("retry", None, None, None, None, Some(error.as_str()), Some(*retry_at))
                }
                Change::HandBack => ("handback", None, None, None, None, None, None),
            };
            c.op.push(op);
            c.progress.push(progress);
            c.stage.push(stage);
            c.value.push(value);
            c.status.push(status);
            c.error.push(error);
            c.retry_at.push(retry_at);
            let (guard, holder, attempt, since) = match &w.guard {
                Guard::Lease { holder, attempt } => ("lease", Some(holder.as_str()), Some(*attempt), None),
                Guard::Expired { attempt, now } => ("expired", None, Some(*attempt), Some(*now)),
                Guard::Queued => ("queued", None, None, None),
            };
            c.guard.push(guard);
            c.holder.push(holder);
            c.attempt.push(attempt);
            c.since.push(since);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::jobs::NewEvent;

    fn write(job_id: i64) -> JobWrite {
        JobWrite {
            job_id,
            guard: Guard::Queued,
            change: Change::Append { progress: None, stage: None },
            events: vec![NewEvent::now("note", json!({}))],
        }
    }

    #[test]
    fn each_round_holds_a_job_once_and_keeps_its_order() {
        let batch = [write(1), write(2), write(1), write(3), write(1), write(2)];
        assert_eq!(rounds(&batch), [vec![0, 1, 3], vec![2, 5], vec![4]]);
        assert!(rounds(&[]).is_empty());
    }
}
