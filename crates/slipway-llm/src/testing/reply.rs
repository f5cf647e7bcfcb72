//! What the mock provider answers: scripted replies, built with small chained calls.

use std::time::Duration;

use serde_json::Value;

/// What kind of answer a reply is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// An answer: text and tool calls.
    Answer {
        /// Its text.
        text: String,
        /// `(name, arguments)` of each tool call.
        calls: Vec<(String, Value)>,
    },
    /// An HTTP error.
    Status {
        /// The status.
        status: u16,
        /// The body, sent as JSON.
        body: String,
        /// The `Retry-After` header.
        retry_after: Option<String>,
    },
    /// A 200 whose body (or stream event) is this raw text.
    Malformed(String),
}

/// One scripted answer of the [`super::MockProvider`], rendered in whichever protocol and mode it is asked in.
#[derive(Debug, Clone, PartialEq)]
pub struct MockReply {
    pub(crate) kind: Kind,
    pub(crate) delay: Duration,
    pub(crate) usage: Option<(u32, u32)>,
    pub(crate) chunks: Option<Vec<String>>,
    pub(crate) stall_after: Option<usize>,
    pub(crate) finish_reason: Option<String>,
    pub(crate) forced: Option<Box<MockReply>>,
}

impl MockReply {
    fn of(kind: Kind) -> Self {
        Self {
            kind,
            delay: Duration::ZERO,
            usage: None,
            chunks: None,
            stall_after: None,
            finish_reason: None,
            forced: None,
        }
    }

    /// A text answer; streamed word by word unless [`Self::chunks`] says otherwise.
    pub fn text(text: impl Into<String>) -> Self {
        Self::of(Kind::Answer { text: text.into(), calls: Vec::new() })
    }

    /// An answer calling one tool.
    pub fn tool_call(name: impl Into<String>, arguments: Value) -> Self {
        Self::tool_calls(vec![(name.into(), arguments)])
    }

    /// An answer calling several tools, in order.
    pub fn tool_calls(calls: Vec<(String, Value)>) -> Self {
        Self::of(Kind::Answer { text: String::new(), calls })
    }

    /// An HTTP error with `body` (sent as `application/json`).
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self::of(Kind::Status { status, body: body.into(), retry_after: None })
    }

    /// A 200 answer whose body, or streamed event data, is `raw` as it is (bad JSON, missing fields).
    pub fn malformed(raw: impl Into<String>) -> Self {
        Self::of(Kind::Malformed(raw.into()))
    }

    /// With text before the tool calls of an answer.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        if let Kind::Answer { text: t, .. } = &mut self.kind {
            *t = text.into();
        }
        self
    }

    /// With a `Retry-After` header on an error.
    pub fn retry_after(mut self, value: impl Into<String>) -> Self {
        if let Kind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(value.into());
        }
        self
    }

    /// Waits this long before answering (before the headers of a stream).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Reports this usage (otherwise: prompt characters / 4, and the answer's words).
    pub fn usage(mut self, prompt_tokens: u32, completion_tokens: u32) -> Self {
        self.usage = Some((prompt_tokens, completion_tokens));
        self
    }

    /// Streams the text in exactly these pieces.
    pub fn chunks<I: IntoIterator<Item = S>, S: Into<String>>(mut self, chunks: I) -> Self {
        self.chunks = Some(chunks.into_iter().map(Into::into).collect());
        self
    }

    /// A stream sends this many text pieces and then goes silent without closing (comments keep the
    /// connection probed so a dropped client is noticed); a whole answer is never sent at all.
    pub fn stall_after(mut self, pieces: usize) -> Self {
        self.stall_after = Some(pieces);
        self
    }

    /// Answers `forced` instead when the request forces a tool call (tool choice `required` or a named tool),
    /// so one script step answers in text under `auto` and calls the tool when forced. Without it, a text
    /// answer under a forcing choice is refused with HTTP 400, as the choice makes text impossible.
    pub fn when_forced(mut self, forced: MockReply) -> Self {
        self.forced = Some(Box::new(forced));
        self
    }

    /// With this finish reason instead of the protocol's usual one.
    pub fn finish_reason(mut self, reason: impl Into<String>) -> Self {
        self.finish_reason = Some(reason.into());
        self
    }

    /// The text pieces a stream sends.
    pub(crate) fn pieces(&self) -> Vec<String> {
        match (&self.kind, &self.chunks) {
            (_, Some(chunks)) => chunks.clone(),
            (Kind::Answer { text, .. }, None) => text.split_inclusive(' ').map(str::to_owned).collect(),
            _ => Vec::new(),
        }
    }
}
