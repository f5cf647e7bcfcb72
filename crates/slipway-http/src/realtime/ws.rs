//! WebSocket: each event as a JSON text message; the socket closes normally after the job's final status.
//! A slow client only slows its own subscription, which catches up from the log.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures_util::StreamExt;
use serde_json::{Value, json};
use slipway_engine::{EventStream, JobEvent};

/// Sends the events over the socket until the stream ends or the client leaves.
pub async fn pump(mut socket: WebSocket, mut events: EventStream, view: impl Fn(&JobEvent) -> Value + Send) {
    loop {
        tokio::select! {
            next = events.next() => match next {
                Some(Ok(e)) => {
                    if socket.send(Message::Text(view(&e).to_string().into())).await.is_err() {
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
