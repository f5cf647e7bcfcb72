//! One agent at work: it talks to its LLM, calls its tools, and ends with a final message (or, for agents that
//! hand over a structured result, with the call of that tool: one that answers in text instead is asked again,
//! then forced, see [`crate::handover`]). Every call is recorded as an agent activity and shows up in the job's
//! event log (`agent_started`, `agent_message`, `tool_called`, `agent_nudged`, `tool_forced`, `agent_finished`).

use std::time::Instant;

use serde_json::{Value, json};
use slipway_engine::JobContext;
use slipway_llm::{CallInfo, Chain, ChatRequest, Llm, Message, Usage};
use slipway_store::Db;
use slipway_store::agents::NewActivity;

use crate::handover::{self, Escalation, HandOver};
use crate::tools::ToolSet;

/// Turns an agent gets before it counts as stuck.
pub const DEFAULT_MAX_TURNS: usize = 12;
/// Characters of an input or output kept in the activity record.
const ACTIVITY_TEXT: usize = 16 * 1024;

/// A role: its name and its instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSpec {
    /// `planner`, `@backend-architect`, …
    pub name: String,
    /// The system prompt.
    pub instructions: String,
}

impl AgentSpec {
    /// A role with these instructions.
    pub fn new(name: impl Into<String>, instructions: impl Into<String>) -> Self {
        Self { name: name.into(), instructions: instructions.into() }
    }
}

/// What an agent produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentResult {
    /// Its final message (or its last words before handing over a structured result).
    pub text: String,
    /// Structured results it handed over, by tool name, in order.
    pub captured: Vec<(String, Value)>,
    /// Tokens over all its calls.
    pub usage: Usage,
}

impl AgentResult {
    /// The last structured result handed over through `tool`.
    pub fn captured(&self, tool: &str) -> Option<&Value> {
        self.captured.iter().rev().find(|(n, _)| n == tool).map(|(_, v)| v)
    }
}

/// Why an agent did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    /// The job was cancelled (or timed out) while the agent worked.
    #[error("cancelled")]
    Cancelled,
    /// The LLM call failed (after retries and fallbacks).
    #[error("{agent}: the LLM call failed: {message}")]
    Llm {
        /// The agent.
        agent: String,
        /// What went wrong.
        message: String,
    },
    /// The agent had to hand over a result through a tool and, asked again and forced, still answered in text.
    #[error("{0}")]
    NoHandOver(String),
    /// The agent used up its turns without finishing.
    #[error("{agent} did not finish within {turns} turns")]
    Exhausted {
        /// The agent.
        agent: String,
        /// Turns it had.
        turns: usize,
    },
}

/// The job an agent works in: its context, the LLM chain of its owner, and where records go.
pub struct JobRun<'a> {
    /// The job.
    pub ctx: &'a JobContext,
    /// Providers to ask, in order.
    pub chain: &'a Chain,
    /// The LLM service.
    pub llm: &'a Llm,
    /// Where activities are recorded.
    pub db: &'a Db,
    /// Whether the LLM response cache may answer the agents' calls (off unless the job's input asks for it).
    pub use_cache: bool,
}

/// How an agent run ends.
#[derive(Debug, Clone, Copy, Default)]
pub struct Finish<'a> {
    /// Stop as soon as this structured tool accepted a result.
    pub on_tool: Option<&'a str>,
    /// Turns allowed (default [`DEFAULT_MAX_TURNS`]).
    pub max_turns: Option<usize>,
}

impl JobRun<'_> {
    /// Runs `agent` on `prompt` in `stage` with `tools` until it finishes.
    pub async fn run_agent(
        &self,
        agent: &AgentSpec,
        stage: &str,
        prompt: &str,
        tools: &ToolSet,
        finish: Finish<'_>,
    ) -> Result<AgentResult, AgentError> {
        let started_at = slipway_core::time::now();
        let clock = Instant::now();
        let _ = self.ctx.emit("agent_started", json!({"agent": agent.name, "stage": stage})).await;
        let outcome = self.converse(agent, prompt, tools, finish).await;
        let (result, error) = match &outcome {
            Ok(r) => (r.clone(), None),
            Err((partial, e)) => (partial.clone(), Some(e.clone())),
        };
        let status = match &error {
            None => "succeeded",
            Some(AgentError::Cancelled) => "cancelled",
            Some(_) => "failed",
        };
        let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
        let record = NewActivity {
            job_id: self.ctx.job_id(),
            user_id: self.ctx.owner_id(),
            agent: agent.name.clone(),
            stage: stage.to_owned(),
            status: status.to_owned(),
            input: clip(prompt),
            output: clip(&result.text),
            error: error.as_ref().map(ToString::to_string),
            duration_ms,
            prompt_tokens: i32::try_from(result.usage.prompt_tokens).unwrap_or(i32::MAX),
            completion_tokens: i32::try_from(result.usage.completion_tokens).unwrap_or(i32::MAX),
            started_at,
            finished_at: slipway_core::time::now(),
        };
        if let Err(e) = self.db.insert_activity(&record).await {
            tracing::warn!(job_id = self.ctx.job_id(), agent = %agent.name, "cannot record the agent activity: {e}");
        }
        let finished = json!({
            "agent": agent.name, "stage": stage, "status": status, "duration_ms": duration_ms,
            "prompt_tokens": result.usage.prompt_tokens, "completion_tokens": result.usage.completion_tokens,
        });
        let _ = self.ctx.emit("agent_finished", finished).await;
        outcome.map_err(|(_, e)| e)
    }

    async fn converse(
        &self,
        agent: &AgentSpec,
        prompt: &str,
        tools: &ToolSet,
        finish: Finish<'_>,
    ) -> Result<AgentResult, (AgentResult, AgentError)> {
        let cancel = self.ctx.cancellation();
        let turns = finish.max_turns.unwrap_or(DEFAULT_MAX_TURNS);
        let specs = tools.specs();
        let mut messages = vec![Message::system(agent.instructions.clone()), Message::user(prompt)];
        let mut result = AgentResult::default();
        let mut handover = finish.on_tool.map(HandOver::new);
        let budget = if handover.is_some() { turns + handover::RETRY_TURNS } else { turns };
        for turn in 0..budget {
            if cancel.is_cancelled() {
                return Err((result, AgentError::Cancelled));
            }
            if let Some(h) = handover.as_mut()
                && turn + 1 == budget
                && h.force()
            {
                let payload = json!({"agent": agent.name, "tool": h.tool(), "forced": true, "last_turn": true});
                let _ = self.ctx.emit(handover::FORCED_EVENT, payload).await;
            }
            let request = match &handover {
                Some(h) => h.request(messages.clone(), &specs),
                None => ChatRequest { messages: messages.clone(), tools: specs.clone(), ..ChatRequest::default() },
            };
            // Agent turns offer tools, so a job that asks for the cache (`enable_cache`) opts its tool turns in too.
            let call = CallInfo {
                user_id: self.ctx.owner_id(),
                job_id: Some(self.ctx.job_id()),
                use_cache: self.use_cache,
                cache_tool_turns: self.use_cache,
            };
            let reply = match self.llm.chat(self.chain, request, call, cancel).await {
                Ok(r) => r,
                Err(_) if cancel.is_cancelled() => return Err((result, AgentError::Cancelled)),
                Err(e) => {
                    let err = AgentError::Llm { agent: agent.name.clone(), message: e.to_string() };
                    return Err((result, err));
                }
            };
            result.usage.prompt_tokens += reply.usage.prompt_tokens;
            result.usage.completion_tokens += reply.usage.completion_tokens;
            if !reply.content.trim().is_empty() {
                result.text = reply.content.clone();
                let _ = self.ctx.emit("agent_message", json!({"agent": agent.name, "content": reply.content})).await;
            }
            if reply.tool_calls.is_empty() {
                let Some(h) = handover.as_mut() else { return Ok(result) };
                let step = h.escalate();
                let Some(event) = step.event() else {
                    return Err((result, AgentError::NoHandOver(h.failure(&agent.name, &reply.content))));
                };
                let payload = json!({"agent": agent.name, "tool": h.tool(), "forced": step == Escalation::Force});
                let _ = self.ctx.emit(event, payload).await;
                if !reply.content.trim().is_empty() {
                    messages.push(Message::assistant(reply.content.clone(), Vec::new()));
                }
                messages.push(Message::user(h.reminder()));
                continue;
            }
            messages.push(Message::assistant(reply.content.clone(), reply.tool_calls.clone()));
            let mut done = false;
            for call in &reply.tool_calls {
                let event = json!({"agent": agent.name, "tool": call.name, "arguments": call.arguments});
                let _ = self.ctx.emit("tool_called", event).await;
                let outcome = tools.call(call, cancel).await;
                if let Some((name, value)) = outcome.captured {
                    done |= finish.on_tool == Some(name.as_str());
                    result.captured.push((name, value));
                }
                messages.push(Message::tool_result(call.id.clone(), outcome.content));
            }
            if done {
                return Ok(result);
            }
        }
        Err((result, AgentError::Exhausted { agent: agent.name.clone(), turns: budget }))
    }
}

fn clip(text: &str) -> String {
    if text.len() <= ACTIVITY_TEXT {
        return text.to_owned();
    }
    let mut end = ACTIVITY_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
