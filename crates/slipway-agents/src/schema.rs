//! Structured output: a tool whose arguments must match a JSON Schema. The model calls it to hand over a
//! result (a plan, a review, a list of steps); arguments that do not match go back to the model with the
//! reasons, so it can correct them.

use jsonschema::Validator;
use serde_json::Value;
use slipway_llm::ToolSpec;

/// A tool the model calls to hand over a validated result.
pub struct StructuredTool {
    spec: ToolSpec,
    validator: Validator,
}

impl std::fmt::Debug for StructuredTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StructuredTool").field("name", &self.spec.name).finish_non_exhaustive()
    }
}

impl StructuredTool {
    /// A tool named `name` whose arguments must match `schema`. Fails when the schema itself is invalid.
    pub fn new(name: &str, description: &str, schema: Value) -> Result<Self, String> {
        let validator = jsonschema::validator_for(&schema).map_err(|e| format!("schema of {name}: {e}"))?;
        Ok(Self {
            spec: ToolSpec { name: name.into(), description: description.into(), parameters: schema },
            validator,
        })
    }

    /// How the model sees it.
    pub fn spec(&self) -> &ToolSpec {
        &self.spec
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Checks arguments; the error lists every violation with where it is.
    pub fn check(&self, args: &Value) -> Result<(), String> {
        let problems: Vec<String> = self
            .validator
            .iter_errors(args)
            .take(20)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() { e.to_string() } else { format!("{at}: {e}") }
            })
            .collect();
        if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arguments_are_checked_against_the_schema() {
        let schema = json!({
            "type": "object",
            "properties": {"score": {"type": "number", "minimum": 0, "maximum": 10}, "summary": {"type": "string"}},
            "required": ["score", "summary"],
            "additionalProperties": false
        });
        let tool = StructuredTool::new("submit_review", "hand over the review", schema).unwrap();
        assert!(tool.check(&json!({"score": 8, "summary": "ok"})).is_ok());
        let err = tool.check(&json!({"score": 11})).unwrap_err();
        assert!(err.contains("summary") && err.contains("/score"), "{err}");
        assert!(StructuredTool::new("bad", "x", json!({"type": 5})).is_err());
    }
}
