//! WebSocket: each event as a JSON text message (or what a surface's view makes of it); the socket closes
//! normally after the job's final status. A slow client only slows its own subscription, which catches up from
//! the log.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures_util::StreamExt;
use serde_json::{Value, json};
use slipway_engine::{EventStream, JobEvent};

/// Sends the events over the socket until the stream ends or the client leaves. `view` sees every event in
/// order (so it may keep state, such as a run's current step) and says what to send for it, if anything.
pub async fn pump(
    mut socket: WebSocket,
    mut events: EventStream,
    mut view: impl FnMut(&JobEvent) -> Option<Value> + Send,
) {
    loop {
        tokio::select! {
            next = events.next() => match next {
                Some(Ok(e)) => {
                    let Some(message) = view(&e) else { continue };
                    if socket.send(Message::Text(message.to_string().into())).await.is_err() {
                        return;
                    }
                }
                Some(Err(err)) => {
                    let msg = json!({"type": "error", "error": err.public_message()}).to_string();
                    let _ = socket.send(Message::Text(msg.into())).await;
                    close(&mut socket, close_code::ERROR, "subscription failed").await;
                    return;
                }
                None => {
                    close(&mut socket, close_code::NORMAL, "job finished").await;
                    return;
                }
            },
            incoming = socket.recv() => match incoming {
                None | Some(Err(_) | Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
    let _ = socket.send(Message::Close(Some(frame))).await;
}
