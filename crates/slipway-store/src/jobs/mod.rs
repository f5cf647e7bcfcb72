//! The engine's tables: jobs (queue and state machine), their append-only event log, and cron schedules.
//!
//! Every state change of a job is one guarded `UPDATE`: the `WHERE` clause names the state the writer believes
//! the job is in (status, lease holder, attempt), so a stale worker's write changes nothing and says so.

mod claim;
mod events;
mod model;
mod queue;
mod schedules;
mod writes;
mod writes_pg;

pub use events::{EventRecord, NewEvent};
pub use model::{JobFilter, JobRecord, JobStatus, JobViewer, NewJob, StatusCounts};
pub use queue::ExpiredLease;
pub use schedules::{NewSchedule, ScheduleChanges, ScheduleRecord};
pub use writes::{Change, Guard, JobWrite};

use crate::{Backend, Db};

/// Names of the PostgreSQL `NOTIFY` channels of one installation (one schema).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channels {
    /// A job became queued (sent by a trigger on `jobs`); no payload.
    pub queued: String,
    /// New events were committed; payload `job_id:last_seq`, comma-separated for several jobs.
    pub events: String,
    /// A running job should be cancelled; payload `job_id`.
    pub cancel: String,
}

impl Db {
    /// The `NOTIFY` channels of the schema this pool works in, or `None` on SQLite (which has no notifications).
    /// The name is derived from the schema as the `jobs_queued` trigger derives it, so every node agrees.
    pub async fn engine_channels(&self) -> Result<Option<Channels>, crate::StoreError> {
        let Db::Postgres(p) = self else { return Ok(None) };
        let prefix: String =
            sqlx::query_scalar("SELECT 'slipway_' || left(md5(current_schema()), 16)").fetch_one(p).await?;
        Ok(Some(Channels {
            queued: format!("{prefix}_queued"),
            events: format!("{prefix}_events"),
            cancel: format!("{prefix}_cancel"),
        }))
    }
}

/// The SQL that sends one notification per comma-separated payload item (PostgreSQL only).
const NOTIFY_EACH: &str = "SELECT pg_notify($1, x) FROM unnest(string_to_array($2, ',')) AS x";

fn is_postgres(db: &Db) -> bool {
    db.backend() == Backend::Postgres
}
