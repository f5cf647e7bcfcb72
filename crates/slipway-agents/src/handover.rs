//! Getting a structured result out of an agent that must hand one over (`submit_plan`, `submit_review`,
//! `write_plan`). Small models often end their turn in text instead of calling the tool; they are asked once
//! more, then the call is forced (only that tool offered, [`ToolChoice::Tool`]), and only then does the step fail.
//! An agent that spends its turns on other tools is forced on its last one.

use slipway_llm::{ChatRequest, Message, ToolChoice, ToolSpec};

/// The job event of a reminder.
pub const NUDGED_EVENT: &str = "agent_nudged";
/// The job event of a forced call.
pub const FORCED_EVENT: &str = "tool_forced";
/// Extra turns an agent that must hand over a result may get for being asked again and being forced.
pub const RETRY_TURNS: usize = 2;

/// How far the hand-over has been pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The model chooses freely among its tools.
    Free,
    /// It was reminded once that it must call the tool.
    Asked,
    /// The call is forced.
    Forced,
}

/// What to do after the model answered in text without handing over its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// Remind it, with [`HandOver::reminder`], and let it choose again.
    Ask,
    /// Remind it and force the call from the next turn on.
    Force,
    /// It was forced and still answered in text: the step fails.
    GiveUp,
}

impl Escalation {
    /// The job event recording the retry (`agent_nudged`, `tool_forced`), none for giving up.
    pub fn event(self) -> Option<&'static str> {
        match self {
            Self::Ask => Some(NUDGED_EVENT),
            Self::Force => Some(FORCED_EVENT),
            Self::GiveUp => None,
        }
    }
}

/// The hand-over of one agent run: which tool must be called and how hard it has been pushed.
#[derive(Debug, Clone)]
pub struct HandOver {
    tool: String,
    stage: Stage,
    asked: bool,
}

impl HandOver {
    /// An agent that must call `tool` with its result.
    pub fn new(tool: &str) -> Self {
        Self { tool: tool.to_owned(), stage: Stage::Free, asked: false }
    }

    /// The tool.
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// Whether the call is forced now.
    pub fn forced(&self) -> bool {
        self.stage == Stage::Forced
    }

    /// The model answered in text: the next step.
    pub fn escalate(&mut self) -> Escalation {
        let (next, step) = match self.stage {
            Stage::Free => (Stage::Asked, Escalation::Ask),
            Stage::Asked => (Stage::Forced, Escalation::Force),
            Stage::Forced => (Stage::Forced, Escalation::GiveUp),
        };
        self.asked |= step == Escalation::Ask;
        self.stage = next;
        step
    }

    /// Forces the call from now on (the agent's last turn); whether it was not forced yet.
    pub fn force(&mut self) -> bool {
        let was_free = !self.forced();
        self.stage = Stage::Forced;
        was_free
    }

    /// The user message that tells the model it must call the tool.
    pub fn reminder(&self) -> String {
        let tool = &self.tool;
        format!(
            "You answered in text, but your result must be handed over by calling the tool {tool}. \
             Call {tool} now with your result as its arguments; do not answer in text."
        )
    }

    /// The request of the next turn: every tool while the model chooses freely; once forced, only this tool,
    /// with [`ToolChoice::Tool`] naming it.
    pub fn request(&self, messages: Vec<Message>, specs: &[ToolSpec]) -> ChatRequest {
        if !self.forced() {
            return ChatRequest { messages, tools: specs.to_vec(), ..ChatRequest::default() };
        }
        let only: Vec<ToolSpec> = specs.iter().filter(|s| s.name == self.tool).cloned().collect();
        let tools = if only.is_empty() { specs.to_vec() } else { only };
        ChatRequest { messages, tools, tool_choice: ToolChoice::Tool(self.tool.clone()), ..ChatRequest::default() }
    }

    /// Why the step fails after the model was forced and still answered `said` in text.
    pub fn failure(&self, agent: &str, said: &str) -> String {
        let said = said.trim();
        let what = if said.is_empty() {
            "an empty answer".to_owned()
        } else {
            let short: String = said.chars().take(200).collect();
            let more = if short.len() < said.len() { "…" } else { "" };
            format!("text: \"{short}{more}\"")
        };
        let how = if self.asked { "asked once more and then forced" } else { "forced on its last turn" };
        format!(
            "{agent} did not hand over its result through {tool}: {how} to call {tool}, it answered with {what}",
            tool = self.tool
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(name: &str) -> ToolSpec {
        ToolSpec { name: name.into(), description: "d".into(), parameters: json!({"type": "object"}) }
    }

    #[test]
    fn a_text_answer_is_asked_again_then_forced_then_fails() {
        let specs = [spec("read_file"), spec("submit_review")];
        let mut h = HandOver::new("submit_review");
        let free = h.request(vec![Message::user("x")], &specs);
        assert_eq!((free.tools.len(), &free.tool_choice), (2, &ToolChoice::Auto));

        assert_eq!(h.escalate(), Escalation::Ask);
        assert_eq!(Escalation::Ask.event(), Some("agent_nudged"));
        assert!(h.reminder().contains("calling the tool submit_review"), "{}", h.reminder());
        assert_eq!(h.request(vec![Message::user("x")], &specs).tool_choice, ToolChoice::Auto);

        assert_eq!(h.escalate(), Escalation::Force);
        assert_eq!(Escalation::Force.event(), Some("tool_forced"));
        let forced = h.request(vec![Message::user("x")], &specs);
        assert_eq!(forced.tool_choice, ToolChoice::Tool("submit_review".into()));
        let names: Vec<&str> = forced.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["submit_review"], "only the hand-over tool is offered once forced");

        assert_eq!(h.escalate(), Escalation::GiveUp);
        let why = h.failure("reviewer", "The code looks fine to me.");
        assert!(why.starts_with("reviewer did not hand over its result through submit_review"), "{why}");
        assert!(why.contains("\"The code looks fine to me.\""), "{why}");
        assert!(h.failure("reviewer", " ").ends_with("an empty answer"));
        assert!(h.failure("reviewer", &"é".repeat(300)).ends_with("…\""));
        assert!(!h.force(), "already forced");

        let mut last = HandOver::new("write_plan");
        assert!(last.force());
        assert_eq!(last.request(vec![Message::user("x")], &specs).tool_choice, ToolChoice::Tool("write_plan".into()));
        assert_eq!(last.escalate(), Escalation::GiveUp);
        assert!(last.failure("main", "no").contains("forced on its last turn to call write_plan"));
    }
}
