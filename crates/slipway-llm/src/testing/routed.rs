//! Replies meant for particular requests: each queued under a needle that the request's system prompt must
//! contain, so agents running side by side each get their own script whatever order their calls arrive in.

use std::collections::VecDeque;

use serde_json::Value;

use super::MockReply;
use crate::provider::Protocol;

/// Queues of replies by needle, in the order the needles were first used.
#[derive(Default)]
pub(crate) struct Routed {
    queues: Vec<(String, VecDeque<MockReply>)>,
}

impl Routed {
    /// Queues `reply` under `needle`.
    pub fn push(&mut self, needle: String, reply: MockReply) {
        match self.queues.iter_mut().find(|(n, _)| *n == needle) {
            Some((_, queue)) => queue.push_back(reply),
            None => self.queues.push((needle, VecDeque::from([reply]))),
        }
    }

    /// The next reply of the first needle `system` contains that still has one.
    pub fn pop(&mut self, system: &str) -> Option<MockReply> {
        self.queues.iter_mut().find(|(n, q)| !q.is_empty() && system.contains(n.as_str()))?.1.pop_front()
    }

    /// Replies still queued under `needle`.
    pub fn pending(&self, needle: &str) -> usize {
        self.queues.iter().find(|(n, _)| n == needle).map_or(0, |(_, q)| q.len())
    }
}

/// The system prompt of a request, in any of the three protocols (empty when it has none).
pub(crate) fn system_text(protocol: Protocol, body: &Value) -> String {
    let texts = |v: &Value| -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Array(blocks) => blocks.iter().filter_map(|b| b.get("text").and_then(Value::as_str)).collect(),
            _ => String::new(),
        }
    };
    match protocol {
        Protocol::Anthropic => texts(&body["system"]),
        Protocol::Gemini => texts(&body["systemInstruction"]["parts"]),
        _ => body["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["role"] == "system")
            .map(|m| texts(&m["content"]))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn replies_go_to_the_first_needle_the_system_prompt_contains() {
        let mut routed = Routed::default();
        routed.push("ArchitectAgent".into(), MockReply::text("a1"));
        routed.push("ArchitectAgent".into(), MockReply::text("a2"));
        routed.push("DesignerAgent".into(), MockReply::text("d1"));
        assert!(routed.pop("You are DeveloperAgent").is_none());
        assert_eq!(routed.pop("You are DesignerAgent"), Some(MockReply::text("d1")));
        assert!(routed.pop("You are DesignerAgent").is_none(), "its queue is empty");
        assert_eq!(routed.pop("You are ArchitectAgent"), Some(MockReply::text("a1")));
        assert_eq!(routed.pending("ArchitectAgent"), 1);
    }

    #[test]
    fn the_system_prompt_is_found_in_each_protocol() {
        let openai = json!({"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "x"}]});
        assert_eq!(system_text(Protocol::OpenAi, &openai), "be brief");
        let anthropic = json!({"system": [{"type": "text", "text": "be kind"}], "messages": []});
        assert_eq!(system_text(Protocol::Anthropic, &anthropic), "be kind");
        let gemini = json!({"systemInstruction": {"parts": [{"text": "be quick"}]}});
        assert_eq!(system_text(Protocol::Gemini, &gemini), "be quick");
        assert_eq!(system_text(Protocol::OpenAi, &json!({})), "");
    }
}
