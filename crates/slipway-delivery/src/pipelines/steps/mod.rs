//! Step types: what `GET /api/step-types/` lists (`id, name, description, category, icon, config_schema`), how
//! a step's `config` is validated against its type's JSON Schema (each violation a field error
//! `steps.<i>.config.<field>`), and how each type runs ([`StepKind::run`]). One file per type; a type that
//! needs another service (`jenkins_trigger`, [`JenkinsTrigger`]) is added to the registry with [`StepTypes::with`]
//! once it is wired.

mod artifact_upload;
mod context;
mod git_checkout;
mod http_request;
mod jenkins_trigger;
mod script;
mod shell_command;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;
use slipway_core::{Error, FieldError};

pub use artifact_upload::ArtifactUpload;
pub use context::{
    StepContext, StepOutcome, StepServices, StepStatus, millis, relative_inside, relative_inside_or_dot,
};
pub use git_checkout::GitCheckout;
pub(crate) use git_checkout::auth_header as git_checkout_auth;
pub use http_request::HttpRequest;
pub use jenkins_trigger::JenkinsTrigger;
pub use script::Script;
pub use shell_command::ShellCommand;

/// The time a step may run when its config says nothing (`timeout`, seconds).
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(3600);
/// The longest `timeout` a step may ask for (a day).
pub const MAX_STEP_TIMEOUT_SECS: u64 = 86_400;

/// A boxed step run.
pub type StepFuture<'a> = Pin<Box<dyn Future<Output = StepOutcome> + Send + 'a>>;

/// One kind of step.
pub trait StepKind: Send + Sync + 'static {
    /// Its id (`shell_command`).
    fn id(&self) -> &'static str;
    /// Its name for people.
    fn name(&self) -> &'static str;
    /// What it does.
    fn description(&self) -> &'static str;
    /// Its category (`source_control`, `build`, `artifacts`, `integration`).
    fn category(&self) -> &'static str;
    /// Its icon's name.
    fn icon(&self) -> &'static str;
    /// The JSON Schema its `config` must match.
    fn config_schema(&self) -> Value;
    /// Runs the step in the run's workspace.
    fn run<'a>(&'a self, step: &'a StepContext<'a>) -> StepFuture<'a>;
}

/// A step type with its compiled schema.
#[derive(Clone)]
pub struct StepType {
    kind: Arc<dyn StepKind>,
    schema: Value,
    validator: Arc<Validator>,
}

impl std::fmt::Debug for StepType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepType").field("id", &self.kind.id()).finish_non_exhaustive()
    }
}

impl StepType {
    /// The type's implementation.
    pub fn kind(&self) -> &dyn StepKind {
        self.kind.as_ref()
    }

    /// Its id.
    pub fn id(&self) -> &'static str {
        self.kind.id()
    }

    /// Its config schema.
    pub fn config_schema(&self) -> &Value {
        &self.schema
    }

    /// The violations of `config` by the schema, as field errors under `steps.<index>.config`.
    pub fn check(&self, index: usize, config: &Value) -> Vec<FieldError> {
        let base = format!("steps.{index}.config");
        self.validator
            .iter_errors(config)
            .take(20)
            .map(|e| {
                let mut field = base.clone();
                for segment in e.instance_path().to_string().split('/').filter(|s| !s.is_empty()) {
                    field.push('.');
                    field.push_str(&segment.replace("~1", "/").replace("~0", "~"));
                }
                let kind = match e.kind() {
                    ValidationErrorKind::Required { property } => {
                        field.push('.');
                        field.push_str(property.as_str().unwrap_or_default());
                        "missing"
                    }
                    ValidationErrorKind::Type { .. } => "type_error",
                    _ => "value_error",
                };
                FieldError::body(&field, kind, e.to_string())
            })
            .collect()
    }
}

/// The step types this node runs.
#[derive(Debug, Clone)]
pub struct StepTypes {
    by_id: BTreeMap<&'static str, StepType>,
    order: Vec<&'static str>,
}

impl StepTypes {
    /// The types that need nothing but the run's workspace, the file store and the outbound policy:
    /// `git_checkout`, `shell_command`, `script`, `artifact_upload`, `http_request`.
    pub fn standard() -> Result<Self, Error> {
        let empty = Self { by_id: BTreeMap::new(), order: Vec::new() };
        empty
            .with(Arc::new(GitCheckout))?
            .with(Arc::new(ShellCommand))?
            .with(Arc::new(Script))?
            .with(Arc::new(ArtifactUpload))?
            .with(Arc::new(HttpRequest))
    }

    /// The same types and `kind` (e.g. `jenkins_trigger` once Jenkins is wired). Fails when its schema is not
    /// a valid JSON Schema or its id is taken.
    pub fn with(mut self, kind: Arc<dyn StepKind>) -> Result<Self, Error> {
        let id = kind.id();
        let schema = kind.config_schema();
        let validator = jsonschema::validator_for(&schema)
            .map_err(|e| Error::Internal(format!("the config schema of step type {id}: {e}")))?;
        if self.by_id.insert(id, StepType { kind, schema, validator: Arc::new(validator) }).is_some() {
            return Err(Error::Internal(format!("two step types with id {id}")));
        }
        self.order.push(id);
        Ok(self)
    }

    /// Every type, in the order they were added.
    pub fn list(&self) -> Vec<&StepType> {
        self.order.iter().filter_map(|id| self.by_id.get(id)).collect()
    }

    /// The type with this id.
    pub fn get(&self, id: &str) -> Option<&StepType> {
        self.by_id.get(id)
    }
}

/// A step's `timeout` (seconds) from its config, or the default.
pub fn timeout_of(config: &Value) -> Duration {
    config.get("timeout").and_then(Value::as_u64).map_or(DEFAULT_STEP_TIMEOUT, Duration::from_secs)
}

/// The `timeout` property every process step has.
fn timeout_property() -> Value {
    serde_json::json!({
        "type": "integer", "title": "超时时间（秒）", "minimum": 1, "maximum": MAX_STEP_TIMEOUT_SECS,
        "default": DEFAULT_STEP_TIMEOUT.as_secs()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn violations_name_the_step_and_the_field() {
        let types = StepTypes::standard().unwrap_or_else(|e| panic!("{e}"));
        let shell = types.get("shell_command").unwrap_or_else(|| panic!("shell_command"));
        let fields: Vec<String> = shell.check(1, &json!({})).iter().map(FieldError::field).collect();
        assert_eq!(fields, ["steps.1.config.command"]);
        let fields: Vec<String> =
            shell.check(2, &json!({"command": "x", "timeout": "soon"})).iter().map(FieldError::field).collect();
        assert_eq!(fields, ["steps.2.config.timeout"]);
        assert!(shell.check(0, &json!({"command": "make", "env": {"A": "1"}})).is_empty());
    }

    #[test]
    fn every_schema_compiles_and_ids_are_unique() {
        let types = StepTypes::standard().unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = types.list().iter().map(|t| t.id()).collect();
        assert_eq!(ids, ["git_checkout", "shell_command", "script", "artifact_upload", "http_request"]);
        assert!(types.clone().with(Arc::new(ShellCommand)).is_err());
    }
}
