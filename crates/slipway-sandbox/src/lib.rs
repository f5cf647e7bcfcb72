//! The one sandbox every command a job runs goes through (engine `command` jobs, agents' `run_command` and test
//! gates). With bubblewrap (`bwrap`) present and working, a command sees the system read-only, writes only its
//! job's workspace, gets a private `/tmp`, minimal `/proc` and `/dev`, no view of Slipway's data dir (the JWT
//! secret, the sealing key and the SQLite database), network only when asked, a cleared environment, its own
//! PID namespace that dies with the node, and limits on CPU time, address space and processes. Without it,
//! commands run on the host, tied to the node with a parent-death signal; the services then allow them to
//! administrators only. See `docs/security.md` ("Sandbox").

mod ambient;
mod availability;
mod bwrap;
mod host;
mod proc;
mod spec;

pub use ambient::{GroupRecord, Ledger, LedgerFuture, Recorded, Scope, current, scope};
pub use availability::Availability;
pub use bwrap::{BWRAP, PRLIMIT, Sandbox, SandboxOptions};
pub use host::{SETPRIV, host_command};
pub use proc::{HostIdentity, kill_group_if_started_at, process_alive, start_ticks};
pub use spec::{Identity, Limits, Spec, safe_env};
