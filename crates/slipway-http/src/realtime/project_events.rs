//! ResoftAI's Socket.IO project events, read from a project run's event log: `project_update`,
//! `agent_activity`, `workflow_started`, `stage_completed`, `stage_failed`, `workflow_completed`,
//! `workflow_failed`. The view keeps only what the log told it so far (status, progress, stage, which agent
//! works in which stage); a follower that joins late starts from the project's current state.

use std::collections::HashMap;

use serde_json::{Value, json};
use slipway_engine::JobEvent;
use slipway_factory::ProjectRecord;

/// The most characters of an agent's message carried in `agent_activity`.
const MESSAGE_CHARS: usize = 500;

/// A project as its followers see it.
#[derive(Debug, Clone)]
pub struct ProjectView {
    project_id: i64,
    workflow_id: Option<String>,
    status: String,
    progress: i64,
    current_stage: Option<String>,
    agent_stages: HashMap<String, String>,
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

impl ProjectView {
    /// The view of `project` as it is now.
    pub fn new(project: &ProjectRecord) -> Self {
        Self {
            project_id: project.id,
            workflow_id: project.workflow_id.clone(),
            status: project.status.as_str().to_owned(),
            progress: i64::from(project.progress),
            current_stage: project.current_stage.clone(),
            agent_stages: HashMap::new(),
        }
    }

    /// `project_update`: the project's status, progress and stage.
    pub fn update(&self) -> Value {
        json!({
            "project_id": self.project_id, "status": self.status, "progress": self.progress,
            "current_stage": self.current_stage, "workflow_id": self.workflow_id,
        })
    }

    fn activity(&self, agent: &str, status: &str, message: String) -> Value {
        let stage = self.agent_stages.get(agent).cloned().or_else(|| self.current_stage.clone());
        json!({"project_id": self.project_id, "agent_name": agent, "stage": stage, "status": status, "message": message})
    }

    /// The messages one logged event turns into (none for events followers do not see).
    pub fn apply(&mut self, e: &JobEvent) -> Vec<(&'static str, Value)> {
        let p = &e.payload;
        let id = self.project_id;
        match e.kind.as_str() {
            "workflow_started" => {
                self.workflow_id = p.get("workflow_id").and_then(Value::as_str).map(str::to_owned);
                self.status = "running".into();
                let mut started = p.clone();
                if let Some(map) = started.as_object_mut() {
                    map.insert("project_id".into(), json!(id));
                    map.insert("status".into(), json!("running"));
                }
                vec![("workflow_started", started), ("project_update", self.update())]
            }
            "stage" => {
                self.current_stage = Some(str_of(p, "stage").to_owned());
                vec![("project_update", self.update())]
            }
            "progress" => {
                self.progress = p.get("progress").and_then(Value::as_i64).unwrap_or(self.progress);
                vec![("project_update", self.update())]
            }
            "status" => self.status_changed(str_of(p, "status"), p.get("error").cloned().unwrap_or(Value::Null)),
            "agent_started" => {
                let (agent, stage) = (str_of(p, "agent"), str_of(p, "stage"));
                self.agent_stages.insert(agent.to_owned(), stage.to_owned());
                vec![("agent_activity", self.activity(agent, "running", format!("{agent} 开始 {stage} 阶段")))]
            }
            "agent_message" => {
                let agent = str_of(p, "agent");
                vec![("agent_activity", self.activity(agent, "running", clip(str_of(p, "content"))))]
            }
            "tool_called" => {
                let (agent, tool) = (str_of(p, "agent"), str_of(p, "tool"));
                let path = p.get("arguments").and_then(|a| a.get("path")).and_then(Value::as_str);
                let message = match path {
                    Some(path) => format!("调用工具 {tool}: {path}"),
                    None => format!("调用工具 {tool}"),
                };
                vec![("agent_activity", self.activity(agent, "running", message))]
            }
            "agent_finished" => {
                let agent = str_of(p, "agent");
                let status = match str_of(p, "status") {
                    "succeeded" => "completed",
                    other => other,
                };
                let mut activity = self.activity(agent, status, format!("{agent} {status}"));
                activity["tokens_used"] = json!(
                    p.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0)
                        + p.get("completion_tokens").and_then(Value::as_u64).unwrap_or(0)
                );
                activity["duration_seconds"] =
                    json!(p.get("duration_ms").and_then(Value::as_f64).unwrap_or(0.0) / 1000.0);
                vec![("agent_activity", activity)]
            }
            "stage_completed" | "stage_failed" => {
                let mut data = p.clone();
                if let Some(map) = data.as_object_mut() {
                    map.insert("project_id".into(), json!(id));
                }
                let name = if e.kind == "stage_completed" { "stage_completed" } else { "stage_failed" };
                vec![(name, data)]
            }
            _ => Vec::new(),
        }
    }

    fn status_changed(&mut self, job_status: &str, error: Value) -> Vec<(&'static str, Value)> {
        let (status, end) = match job_status {
            "queued" | "running" => ("running", None),
            "succeeded" => ("completed", Some("workflow_completed")),
            "cancelled" => ("cancelled", None),
            _ => ("failed", Some("workflow_failed")),
        };
        self.status = status.into();
        if status == "completed" {
            self.progress = 100;
        }
        let mut out = vec![("project_update", self.update())];
        if let Some(end) = end {
            let mut body = json!({"project_id": self.project_id, "workflow_id": self.workflow_id, "status": status});
            if end == "workflow_failed" {
                body["error"] = error;
            }
            out.push((end, body));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use slipway_factory::ProjectStatus;

    use super::*;

    fn project() -> ProjectRecord {
        let now = slipway_core::time::now();
        ProjectRecord {
            id: 7,
            user_id: 1,
            name: "p".into(),
            description: None,
            requirements: "r".into(),
            config: Value::Null,
            run_job_id: Some(3),
            checkpoint: None,
            created_at: now,
            updated_at: now,
            status: ProjectStatus::Running,
            progress: 0,
            current_stage: None,
            workflow_id: Some("wf_1_abcdef".into()),
            run_error: None,
            run_started_at: None,
            run_finished_at: None,
        }
    }

    fn event(kind: &str, payload: Value) -> JobEvent {
        JobEvent { job_id: 3, seq: 1, at: slipway_core::time::now(), kind: kind.into(), payload }
    }

    fn names(out: &[(&'static str, Value)]) -> Vec<&'static str> {
        out.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn the_log_becomes_the_documents_events() {
        let mut v = ProjectView::new(&project());
        let out = v.apply(&event("stage", json!({"stage": "development"})));
        assert_eq!(out[0].1["current_stage"], "development");
        let out = v.apply(&event("progress", json!({"progress": 57})));
        assert_eq!((out[0].0, out[0].1["progress"].as_i64()), ("project_update", Some(57)));
        let out = v.apply(&event("agent_started", json!({"agent": "DeveloperAgent", "stage": "development"})));
        assert_eq!(out[0].1["status"], "running");
        let out = v.apply(&event("agent_message", json!({"agent": "DeveloperAgent", "content": "x".repeat(600)})));
        assert_eq!(
            (out[0].1["stage"].as_str(), out[0].1["message"].as_str().map(|m| m.chars().count())),
            (Some("development"), Some(501))
        );
        let done = json!({"agent": "DeveloperAgent", "status": "succeeded", "duration_ms": 1500, "prompt_tokens": 10, "completion_tokens": 5});
        let out = v.apply(&event("agent_finished", done));
        assert_eq!((out[0].1["status"].as_str(), out[0].1["tokens_used"].as_u64()), (Some("completed"), Some(15)));
        let out = v.apply(&event(
            "stage_completed",
            json!({"stage": "development", "duration_seconds": 1.5, "tokens_used": 15}),
        ));
        assert_eq!((out[0].0, out[0].1["project_id"].as_i64()), ("stage_completed", Some(7)));
        assert!(
            v.apply(&event(
                "tool_called",
                json!({"agent": "DeveloperAgent", "tool": "write_file", "arguments": {"path": "a.py"}})
            ))[0]
                .1["message"]
                .as_str()
                .unwrap()
                .contains("a.py")
        );
        assert!(v.apply(&event("checkpoint_saved", json!({}))).is_empty());
        let out = v.apply(&event("status", json!({"status": "succeeded"})));
        assert_eq!(names(&out), ["project_update", "workflow_completed"]);
        assert_eq!((out[0].1["status"].as_str(), out[0].1["progress"].as_i64()), (Some("completed"), Some(100)));
        let out = v.apply(&event("status", json!({"status": "failed", "error": "stage testing: boom"})));
        assert_eq!(names(&out), ["project_update", "workflow_failed"]);
        assert_eq!(out[1].1["error"], "stage testing: boom");
        assert_eq!(names(&v.apply(&event("status", json!({"status": "cancelled"})))), ["project_update"]);
    }
}
