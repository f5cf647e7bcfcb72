//! A project's workflow configuration (`config` of `POST /api/projects`): checked field by field, unknown
//! stage names and impossible parallel groups refused naming the field.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use slipway_core::{Error, FieldError};

use crate::stages::Stage;

/// How a run orders its stages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStrategy {
    /// One stage after another.
    Sequential,
    /// The stages of `parallel_stages` run at once (once what they read is there); the rest in order.
    Parallel,
    /// Every stage starts as soon as the stages it reads have finished.
    #[default]
    Adaptive,
}

/// The workflow configuration of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectConfig {
    /// How stages are ordered.
    pub execution_strategy: ExecutionStrategy,
    /// Whether the LLM response cache may answer the run's calls.
    pub enable_cache: bool,
    /// Whether the run stores a checkpoint after each stage (files are always saved to the project).
    pub enable_checkpoints: bool,
    /// Stages that may run at the same time (with `parallel`).
    pub parallel_stages: Vec<String>,
}

impl Default for ProjectConfig {
    fn default() -> Self {
        Self {
            execution_strategy: ExecutionStrategy::Adaptive,
            enable_cache: false,
            enable_checkpoints: true,
            parallel_stages: Vec::new(),
        }
    }
}

fn bad(path: &str, kind: &str, msg: impl Into<String>) -> FieldError {
    FieldError::body(&format!("config.{path}"), kind, msg)
}

impl ProjectConfig {
    /// Reads `config` as a client sent it (`null` or absent: the defaults); unknown keys are ignored, as
    /// FastAPI does. Every bad field is named.
    pub fn from_request(value: Option<&Value>) -> Result<Self, Error> {
        let mut out = Self::default();
        let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(out) };
        let Some(map) = value.as_object() else {
            return Err(Error::Validation(vec![FieldError::body("config", "dict_type", "config must be an object")]));
        };
        let mut errors = Vec::new();
        match map.get("execution_strategy") {
            None | Some(Value::Null) => {}
            Some(v) => match serde_json::from_value::<ExecutionStrategy>(v.clone()) {
                Ok(s) => out.execution_strategy = s,
                Err(_) => errors.push(bad(
                    "execution_strategy",
                    "enum",
                    "execution_strategy must be one of sequential, parallel, adaptive",
                )),
            },
        }
        for (key, slot) in
            [("enable_cache", &mut out.enable_cache), ("enable_checkpoints", &mut out.enable_checkpoints)]
        {
            match map.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::Bool(b)) => *slot = *b,
                Some(_) => errors.push(bad(key, "bool_type", format!("{key} must be a boolean"))),
            }
        }
        match map.get("parallel_stages") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    match item.as_str().and_then(Stage::parse) {
                        Some(stage) if !out.parallel_stages.iter().any(|s| s == stage.name()) => {
                            out.parallel_stages.push(stage.name().to_owned())
                        }
                        Some(_) => {}
                        None => errors.push(bad(
                            &format!("parallel_stages.{i}"),
                            "enum",
                            format!("unknown stage {item}; stages are {}", stage_names()),
                        )),
                    }
                }
            }
            Some(_) => {
                errors.push(bad("parallel_stages", "list_type", "parallel_stages must be a list of stage names"))
            }
        }
        if errors.is_empty()
            && let Some((a, b)) = out.dependent_pair()
        {
            errors.push(bad(
                "parallel_stages",
                "value_error",
                format!("{b} reads what {a} produces, so they cannot run at the same time"),
            ));
        }
        if errors.is_empty() { Ok(out) } else { Err(Error::Validation(errors)) }
    }

    /// The stored form.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The stored form read back (anything unreadable gives the defaults).
    pub fn from_stored(value: &Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }

    /// The stages of `parallel_stages`.
    pub fn parallel(&self) -> Vec<Stage> {
        self.parallel_stages.iter().filter_map(|s| Stage::parse(s)).collect()
    }

    /// Two stages of `parallel_stages` where the second (directly or not) reads the first's output.
    fn dependent_pair(&self) -> Option<(Stage, Stage)> {
        let group = self.parallel();
        for &b in &group {
            for &a in &group {
                if a != b && depends_on(b, a) {
                    return Some((a, b));
                }
            }
        }
        None
    }
}

/// Whether `stage` reads, directly or through others, what `other` produces.
pub fn depends_on(stage: Stage, other: Stage) -> bool {
    stage.needs().iter().any(|&n| n == other || depends_on(n, other))
}

fn stage_names() -> String {
    Stage::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn defaults_and_the_documented_example() {
        assert_eq!(ProjectConfig::from_request(None).unwrap(), ProjectConfig::default());
        let c = ProjectConfig::from_request(Some(&json!({
            "execution_strategy": "adaptive", "enable_cache": true, "enable_checkpoints": true,
            "parallel_stages": ["architecture_design", "ui_design"], "unknown": 1
        })))
        .unwrap();
        assert!(c.enable_cache);
        assert_eq!(c.parallel(), vec![Stage::ArchitectureDesign, Stage::UiDesign]);
        assert_eq!(ProjectConfig::from_stored(&c.to_value()), c);
    }

    #[test]
    fn bad_fields_are_named() {
        let err = ProjectConfig::from_request(Some(&json!({
            "execution_strategy": "random", "enable_cache": "yes", "parallel_stages": ["ui_design", "deploy"]
        })))
        .unwrap_err();
        let fields: Vec<String> = err.field_errors().iter().map(FieldError::field).collect();
        assert_eq!(fields, ["config.execution_strategy", "config.enable_cache", "config.parallel_stages.1"]);
        let err =
            ProjectConfig::from_request(Some(&json!({"parallel_stages": ["development", "testing"]}))).unwrap_err();
        assert_eq!(err.field_errors()[0].field(), "config.parallel_stages");
        assert!(ProjectConfig::from_request(Some(&json!([1]))).is_err());
    }
}
