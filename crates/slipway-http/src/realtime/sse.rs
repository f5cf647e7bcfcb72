//! Server-Sent Events: `id:` is the event's sequence number, `event:` its type; `Last-Event-ID` resumes after
//! it; keep-alive comments every 15 seconds hold proxies open.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use serde_json::{Value, json};
use slipway_core::{Error, FieldError};
use slipway_engine::{EventStream, JobEvent};

/// The keep-alive interval.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Where to resume: the `Last-Event-ID` header, else an `after` query value, else the beginning.
pub fn resume_after(headers: &HeaderMap, after: Option<i64>) -> Result<i64, Error> {
    match headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::trim) {
        Some(id) if !id.is_empty() => id.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            Error::Validation(vec![FieldError {
                loc: vec!["header".into(), "Last-Event-ID".into()],
                msg: format!("Last-Event-ID must be a sequence number, got {id:?}"),
                kind: "value_error".into(),
            }])
        }),
        _ => Ok(after.unwrap_or(0).max(0)),
    }
}

/// An SSE response for a job's events; `view` renders each as `(event name, data)`. A stream error becomes a
/// final `error` event.
pub fn stream(
    events: EventStream,
    view: impl Fn(&JobEvent) -> (String, Value) + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + Send + 'static> {
    let body = events.map(move |item| {
        Ok(match item {
            Ok(e) => {
                let (name, data) = view(&e);
                Event::default().id(e.seq.to_string()).event(name).data(data.to_string())
            }
            Err(err) => Event::default().event("error").data(json!({"error": err.public_message()}).to_string()),
        })
    });
    Sse::new(body).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
}

/// An SSE response for a surface with its own event names: `view` renders an event or skips it (`None`), and
/// once the job's stream ends, `end` produces the closing event (the result, the cancellation, the error).
pub fn stream_with_end<F, Fut>(
    events: EventStream,
    view: impl Fn(&JobEvent) -> Option<(String, Value)> + Send + 'static,
    end: F,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + Send + 'static>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Option<(String, Value)>> + Send + 'static,
{
    let body = events
        .filter_map(move |item| {
            let out = match item {
                Ok(e) => view(&e)
                    .map(|(name, data)| Event::default().id(e.seq.to_string()).event(name).data(data.to_string())),
                Err(err) => {
                    Some(Event::default().event("error").data(json!({"error": err.public_message()}).to_string()))
                }
            };
            std::future::ready(out.map(Ok))
        })
        .chain(futures_util::stream::once(end()).filter_map(|last| {
            std::future::ready(last.map(|(name, data)| Ok(Event::default().event(name).data(data.to_string()))))
        }));
    Sse::new(body).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
}
