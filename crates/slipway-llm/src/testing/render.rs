//! A scripted answer in each protocol's wire format: a whole JSON body, or the frames of an SSE stream.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use super::reply::{Kind, MockReply};
use crate::provider::Protocol;

static CALLS: AtomicUsize = AtomicUsize::new(1);

fn call_id(protocol: Protocol) -> String {
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    match protocol {
        Protocol::Anthropic => format!("toolu_mock_{n}"),
        _ => format!("call_mock_{n}"),
    }
}

/// One SSE frame, and whether it carries a piece of text.
pub(crate) struct Frame {
    /// The frame as written (`event:` and `data:` lines and the blank line).
    pub wire: String,
    /// Whether it carries text.
    pub is_text: bool,
}

fn data(v: &Value) -> Frame {
    Frame { wire: format!("data: {v}\n\n"), is_text: false }
}

fn event(name: &str, v: &Value) -> Frame {
    Frame { wire: format!("event: {name}\ndata: {v}\n\n"), is_text: false }
}

fn text_frame(mut f: Frame) -> Frame {
    f.is_text = true;
    f
}

/// The answer's text and calls (empty for errors and raw replies).
fn parts(reply: &MockReply) -> (&str, &[(String, Value)]) {
    match &reply.kind {
        Kind::Answer { text, calls } => (text, calls),
        _ => ("", &[]),
    }
}

/// A whole answer body.
pub(crate) fn whole(protocol: Protocol, model: &str, reply: &MockReply, (p, c): (u32, u32)) -> Value {
    let (text, calls) = parts(reply);
    match protocol {
        Protocol::OpenAi => {
            let mut message = json!({"role": "assistant", "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { json!(text) }});
            if !calls.is_empty() {
                let calls: Vec<Value> = calls
                    .iter()
                    .map(|(name, args)| {
                        json!({"id": call_id(protocol), "type": "function", "function": {"name": name, "arguments": args.to_string()}})
                    })
                    .collect();
                message["tool_calls"] = Value::Array(calls);
            }
            let reason = reply
                .finish_reason
                .clone()
                .unwrap_or_else(|| (if calls.is_empty() { "stop" } else { "tool_calls" }).into());
            json!({
                "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": reason}],
                "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
            })
        }
        Protocol::Anthropic => {
            let mut content: Vec<Value> = Vec::new();
            if !text.is_empty() {
                content.push(json!({"type": "text", "text": text}));
            }
            content.extend(
                calls.iter().map(
                    |(name, args)| json!({"type": "tool_use", "id": call_id(protocol), "name": name, "input": args}),
                ),
            );
            let reason = reply
                .finish_reason
                .clone()
                .unwrap_or_else(|| (if calls.is_empty() { "end_turn" } else { "tool_use" }).into());
            json!({
                "id": "msg_mock", "type": "message", "role": "assistant", "model": model, "content": content,
                "stop_reason": reason, "stop_sequence": null, "usage": {"input_tokens": p, "output_tokens": c},
            })
        }
        Protocol::Gemini => {
            let mut content: Vec<Value> = Vec::new();
            if !text.is_empty() {
                content.push(json!({"text": text}));
            }
            content.extend(calls.iter().map(|(name, args)| json!({"functionCall": {"name": name, "args": args}})));
            let reason = reply.finish_reason.clone().unwrap_or_else(|| "STOP".into());
            json!({
                "candidates": [{"content": {"role": "model", "parts": content}, "finishReason": reason, "index": 0}],
                "usageMetadata": {"promptTokenCount": p, "candidatesTokenCount": c, "totalTokenCount": p + c},
                "modelVersion": model,
            })
        }
    }
}

/// Splits a JSON text in two pieces, as providers stream tool arguments in fragments.
fn halves(s: &str) -> [&str; 2] {
    let mid = s.char_indices().nth(s.chars().count() / 2).map_or(s.len(), |(i, _)| i);
    [&s[..mid], &s[mid..]]
}

/// The frames of a streamed answer.
pub(crate) fn frames(protocol: Protocol, model: &str, reply: &MockReply, (p, c): (u32, u32)) -> Vec<Frame> {
    if let Kind::Malformed(raw) = &reply.kind {
        let wire = match protocol {
            Protocol::Anthropic => format!("event: message_start\ndata: {raw}\n\n"),
            _ => format!("data: {raw}\n\n"),
        };
        return vec![Frame { wire, is_text: false }];
    }
    let (_, calls) = parts(reply);
    let pieces = reply.pieces();
    let mut out = Vec::new();
    match protocol {
        Protocol::OpenAi => {
            let chunk = |delta: Value, reason: Value| {
                json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model,
                       "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]})
            };
            out.push(data(&chunk(json!({"role": "assistant", "content": ""}), Value::Null)));
            for piece in &pieces {
                out.push(text_frame(data(&chunk(json!({"content": piece}), Value::Null))));
            }
            for (i, (name, args)) in calls.iter().enumerate() {
                let start = json!({"tool_calls": [{"index": i, "id": call_id(protocol), "type": "function", "function": {"name": name, "arguments": ""}}]});
                out.push(data(&chunk(start, Value::Null)));
                for half in halves(&args.to_string()) {
                    out.push(data(&chunk(
                        json!({"tool_calls": [{"index": i, "function": {"arguments": half}}]}),
                        Value::Null,
                    )));
                }
            }
            let reason = reply
                .finish_reason
                .clone()
                .unwrap_or_else(|| (if calls.is_empty() { "stop" } else { "tool_calls" }).into());
            out.push(data(&chunk(json!({}), json!(reason))));
            out.push(data(&json!({"id": "chatcmpl-mock", "object": "chat.completion.chunk", "choices": [],
                                  "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}})));
            out.push(Frame { wire: "data: [DONE]\n\n".into(), is_text: false });
        }
        Protocol::Anthropic => {
            out.push(event(
                "message_start",
                &json!({"type": "message_start", "message": {
                "id": "msg_mock", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": null, "usage": {"input_tokens": p, "output_tokens": 1}}}),
            ));
            let mut index = 0;
            if !pieces.is_empty() {
                out.push(event(
                    "content_block_start",
                    &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                ));
                out.push(event("ping", &json!({"type": "ping"})));
                for piece in &pieces {
                    out.push(text_frame(event("content_block_delta", &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}))));
                }
                out.push(event("content_block_stop", &json!({"type": "content_block_stop", "index": 0})));
                index = 1;
            }
            for (name, args) in calls {
                out.push(event("content_block_start", &json!({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": call_id(protocol), "name": name, "input": {}}})));
                for half in halves(&args.to_string()) {
                    out.push(event("content_block_delta", &json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": half}})));
                }
                out.push(event("content_block_stop", &json!({"type": "content_block_stop", "index": index})));
                index += 1;
            }
            let reason = reply
                .finish_reason
                .clone()
                .unwrap_or_else(|| (if calls.is_empty() { "end_turn" } else { "tool_use" }).into());
            out.push(event("message_delta", &json!({"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": null}, "usage": {"output_tokens": c}})));
            out.push(event("message_stop", &json!({"type": "message_stop"})));
        }
        Protocol::Gemini => {
            for piece in &pieces {
                out.push(text_frame(data(&json!({"candidates": [{"content": {"role": "model", "parts": [{"text": piece}]}, "index": 0}], "modelVersion": model}))));
            }
            if !calls.is_empty() {
                let parts: Vec<Value> =
                    calls.iter().map(|(name, args)| json!({"functionCall": {"name": name, "args": args}})).collect();
                out.push(data(&json!({"candidates": [{"content": {"role": "model", "parts": parts}, "index": 0}]})));
            }
            let reason = reply.finish_reason.clone().unwrap_or_else(|| "STOP".into());
            out.push(data(&json!({"candidates": [{"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": reason, "index": 0}],
                                  "usageMetadata": {"promptTokenCount": p, "candidatesTokenCount": c, "totalTokenCount": p + c}})));
        }
    }
    out
}
