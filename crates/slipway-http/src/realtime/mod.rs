//! Live views of a job's event log for the surfaces to reuse: Server-Sent Events, WebSocket and Socket.IO.
//! None keeps state of its own: each is a subscription to the engine's log (replay from a sequence number, then
//! live), so a client that reconnects with the last sequence it saw loses nothing.

pub mod project_events;
pub mod socketio;
pub mod sse;
pub mod ws;

use serde_json::{Value, json};
use slipway_engine::JobEvent;

/// An event as the transports send it: `{job_id, seq, type, at, payload}`.
pub fn event_json(e: &JobEvent) -> Value {
    json!({
        "job_id": e.job_id,
        "seq": e.seq,
        "type": e.kind,
        "at": slipway_core::time::rfc3339(e.at),
        "payload": e.payload,
    })
}
