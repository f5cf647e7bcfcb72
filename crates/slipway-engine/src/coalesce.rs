//! Coalescing a batch of journal writes: a job's appends under the same guard become one write (one `UPDATE`
//! round trip instead of one per emit), keeping every job's writes in order. A burst of events from many jobs at
//! once then costs about one round trip per job, not per event.

use std::collections::HashMap;

use slipway_store::jobs::{Change, JobWrite};

/// The writes to apply, and for each original write the coalesced write it went into and how many of that
/// write's events it reaches up to.
pub(crate) struct Coalesced {
    /// What goes to the database, in order.
    pub writes: Vec<JobWrite>,
    /// Per original write: (index into `writes`, events of that write up to and including this one's).
    pub origin: Vec<(usize, usize)>,
}

/// Merges each job's consecutive appends (same guard) in `batch`, preserving every job's order.
pub(crate) fn coalesce(batch: &[JobWrite]) -> Coalesced {
    let mut writes: Vec<JobWrite> = Vec::with_capacity(batch.len());
    let mut origin = Vec::with_capacity(batch.len());
    let mut latest: HashMap<i64, usize> = HashMap::new();
    for w in batch {
        let target = latest.get(&w.job_id).copied().filter(|&i| {
            let m = &writes[i];
            matches!((&m.change, &w.change), (Change::Append { .. }, Change::Append { .. })) && m.guard == w.guard
        });
        match target {
            Some(i) => {
                let m = &mut writes[i];
                if let (Change::Append { progress, stage }, Change::Append { progress: p, stage: s }) =
                    (&mut m.change, &w.change)
                {
                    if p.is_some() {
                        *progress = *p;
                    }
                    if s.is_some() {
                        stage.clone_from(s);
                    }
                }
                m.events.extend(w.events.iter().cloned());
                origin.push((i, m.events.len()));
            }
            None => {
                latest.insert(w.job_id, writes.len());
                writes.push(w.clone());
                origin.push((writes.len() - 1, w.events.len()));
            }
        }
    }
    Coalesced { writes, origin }
}

impl Coalesced {
    /// The last sequence number of each original write, from the results of the coalesced writes.
    pub fn split(&self, results: &[Option<i64>]) -> Vec<Option<i64>> {
        self.origin
            .iter()
            .map(|&(i, upto)| {
                let total = self.writes[i].events.len();
                results.get(i).copied().flatten().map(|last| last - (total - upto) as i64)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use slipway_store::jobs::{Guard, JobStatus, NewEvent};

    fn lease(attempt: i32) -> Guard {
        Guard::Lease { holder: "n1".into(), attempt }
    }

    fn append(job: i64, guard: Guard, events: &[&str], progress: Option<i32>) -> JobWrite {
        JobWrite {
            job_id: job,
            guard,
            change: Change::Append { progress, stage: None },
            events: events.iter().map(|k| NewEvent::now(*k, json!({}))).collect(),
        }
    }

    #[test]
    fn appends_merge_per_job_in_order_and_split_back() {
        let finish = JobWrite {
            job_id: 1,
            guard: lease(1),
            change: Change::Finish { status: JobStatus::Succeeded, output: None, error: None },
            events: vec![NewEvent::now("status", json!({}))],
        };
        let batch = vec![
            append(1, lease(1), &["a", "b"], Some(10)),
            append(2, lease(1), &["x"], None),
            append(1, lease(1), &["c"], Some(20)),
            append(2, lease(2), &["y"], None),
            finish,
            append(1, lease(1), &["d"], None),
        ];
        let c = coalesce(&batch);
        let kinds: Vec<Vec<&str>> =
            c.writes.iter().map(|w| w.events.iter().map(|e| e.kind.as_str()).collect()).collect();
        assert_eq!(kinds, [vec!["a", "b", "c"], vec!["x"], vec!["y"], vec!["status"], vec!["d"]]);
        assert!(matches!(c.writes[0].change, Change::Append { progress: Some(20), .. }));
        // Job 1 reached seq 13 with a..c, job 2's first write was refused, then 14 and 15 for job 1.
        let split = c.split(&[Some(13), None, Some(7), Some(14), Some(15)]);
        assert_eq!(split, [Some(12), None, Some(13), Some(7), Some(14), Some(15)]);
    }
}
