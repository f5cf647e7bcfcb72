//! A pipeline's fields checked and made ready to store: every problem at once, each a field error with its
//! path (`name`, `trigger_events.1`, `steps.1.config.command`).

use serde_json::{Value, json};
use slipway_core::{Error, FieldError};
use slipway_engine::CronSchedule;
use slipway_outbound::OutboundPolicy;
use slipway_store::Sealer;
use slipway_store::delivery::{PipelineFields, PipelineRecord};

use super::model::{PipelineInput, StepInput, TRIGGER_EVENTS};
use super::secrets::{self, PIPELINE_SECRET};
use super::steps::StepTypes;
use crate::repository_key;

/// The longest name.
pub const MAX_NAME: usize = 255;
/// The longest description.
pub const MAX_DESCRIPTION: usize = 5000;
/// The most steps a pipeline has.
pub const MAX_STEPS: usize = 50;
/// The most variables a pipeline or run has.
pub const MAX_VARIABLES: usize = 100;
/// The longest variable value.
pub const MAX_VARIABLE_VALUE: usize = 65_536;

/// What a check needs to know.
pub(crate) struct Checker<'a> {
    pub types: &'a StepTypes,
    pub outbound: &'a OutboundPolicy,
    pub sealer: &'a Sealer,
    pub owner_is_admin: bool,
}

fn too_long(field: &str, max: usize) -> FieldError {
    FieldError::body(field, "value_error", format!("ensure this value has at most {max} characters"))
}

/// Whether `name` can be an environment variable's name.
pub fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 256
}

/// Whether `branch` is a branch name git accepts (conservatively).
pub fn valid_branch(branch: &str) -> bool {
    !branch.is_empty()
        && branch.len() <= 255
        && !branch.starts_with(['-', '/'])
        && !branch.ends_with(['/', '.'])
        && !branch.contains("..")
        && !branch.contains("//")
        && branch.chars().all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
}

impl Checker<'_> {
    /// The fields to store: `input` over `base` (the stored pipeline for PATCH; `None` for create and PUT,
    /// which fill what is missing with defaults, keeping the stored secrets `keep` when not sent).
    pub fn fields(
        &self,
        input: &PipelineInput,
        base: Option<&PipelineRecord>,
        keep: Option<&PipelineRecord>,
    ) -> Result<PipelineFields, Error> {
        let mut problems = Vec::new();
        let name = input.name.clone().or_else(|| base.map(|b| b.name.clone()));
        let name = match name.map(|n| n.trim().to_owned()) {
            None => {
                problems.push(FieldError::body("name", "missing", "field required"));
                String::new()
            }
            Some(n) if n.is_empty() => {
                problems.push(FieldError::body("name", "value_error", "this field may not be blank"));
                n
            }
            Some(n) if n.chars().count() > MAX_NAME => {
                problems.push(too_long("name", MAX_NAME));
                n
            }
            Some(n) => n,
        };
        let description = input.description.clone().or_else(|| base.map(|b| b.description.clone())).unwrap_or_default();
        if description.chars().count() > MAX_DESCRIPTION {
            problems.push(too_long("description", MAX_DESCRIPTION));
        }
        let repository_url =
            input.repository_url.clone().or_else(|| base.map(|b| b.repository_url.clone())).unwrap_or_default();
        let repository_url = repository_url.trim().to_owned();
        self.check_repository(&repository_url, &mut problems);
        let branch = input.branch.clone().or_else(|| base.map(|b| b.branch.clone())).unwrap_or_else(|| "main".into());
        if !valid_branch(&branch) {
            problems.push(FieldError::body("branch", "value_error", "not a valid branch name"));
        }
        let events = match (&input.trigger_events, base) {
            (Some(e), _) => e.clone(),
            (None, Some(b)) => serde_json::from_value(b.trigger_events.clone()).unwrap_or_default(),
            (None, None) => vec!["manual".to_owned()],
        };
        let mut trigger_events: Vec<String> = Vec::new();
        for (i, e) in events.iter().enumerate() {
            if !TRIGGER_EVENTS.contains(&e.as_str()) {
                problems.push(FieldError::body(
                    &format!("trigger_events.{i}"),
                    "value_error",
                    format!("\"{e}\" is not a valid choice ({})", TRIGGER_EVENTS.join(", ")),
                ));
            } else if !trigger_events.contains(e) {
                trigger_events.push(e.clone());
            }
        }
        let steps = match (&input.steps, base) {
            (Some(s), _) => self.steps(s, &mut problems),
            (None, Some(b)) => b.steps.clone(),
            (None, None) => json!([]),
        };
        let schedule = match (&input.schedule, base) {
            (Some(s), _) => s.clone().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
            (None, Some(b)) => b.schedule.clone(),
            (None, None) => None,
        };
        if let Some(expr) = &schedule
            && let Err(e) = CronSchedule::parse(expr, "UTC")
        {
            problems.push(FieldError::body("schedule", "value_error", format!("not a valid cron expression: {e}")));
        }
        let kept = keep.or(base);
        let variables = self.variables(input, kept, &mut problems);
        let repository_credential = self.secret(
            &input.repository_credential,
            kept.and_then(|k| k.repository_credential.clone()),
            "repository_credential",
            &mut problems,
        );
        let webhook_secret = self.secret(
            &input.webhook_secret,
            kept.and_then(|k| k.webhook_secret.clone()),
            "webhook_secret",
            &mut problems,
        );
        let network = input.network.or_else(|| base.map(|b| b.network)).unwrap_or(false);
        let is_active = input.is_active.or_else(|| base.map(|b| b.is_active)).unwrap_or(true);
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        Ok(PipelineFields {
            name,
            description,
            repository_key: if repository_url.is_empty() { String::new() } else { repository_key(&repository_url) },
            repository_url,
            branch,
            trigger_events: json!(trigger_events),
            steps,
            variables: variables.unwrap_or_else(|| json!([])),
            repository_credential: repository_credential.flatten(),
            webhook_secret: webhook_secret.flatten(),
            schedule,
            network,
            is_active,
        })
    }

    fn check_repository(&self, url: &str, problems: &mut Vec<FieldError>) {
        if url.is_empty() {
            return;
        }
        if url.chars().count() > 2048 {
            problems.push(too_long("repository_url", 2048));
        } else if url.chars().any(char::is_control) {
            problems.push(FieldError::body("repository_url", "value_error", "must not contain control characters"));
        } else if !self.owner_is_admin {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                problems.push(FieldError::body(
                    "repository_url",
                    "value_error",
                    "only administrators may use local paths or non-HTTP repository URLs",
                ));
            } else if let Err(r) = self.outbound.check_url_to_save(url, false) {
                problems.push(r.field_error("repository_url"));
            }
        }
    }

    /// The steps as stored, checking each against its type.
    fn steps(&self, steps: &[StepInput], problems: &mut Vec<FieldError>) -> Value {
        if steps.len() > MAX_STEPS {
            problems.push(FieldError::body("steps", "value_error", format!("at most {MAX_STEPS} steps")));
        }
        let mut stored = Vec::with_capacity(steps.len());
        for (i, s) in steps.iter().enumerate() {
            let name = s.name.trim();
            if name.is_empty() {
                problems.push(FieldError::body(
                    &format!("steps.{i}.name"),
                    "value_error",
                    "this field may not be blank",
                ));
            } else if name.chars().count() > MAX_NAME {
                problems.push(too_long(&format!("steps.{i}.name"), MAX_NAME));
            }
            match self.types.get(&s.kind) {
                None => problems.push(FieldError::body(
                    &format!("steps.{i}.type"),
                    "value_error",
                    format!("\"{}\" is not an available step type", s.kind),
                )),
                Some(t) => problems.extend(t.check(i, &s.config)),
            }
            stored.push(json!({"name": name, "type": s.kind, "config": s.config}));
        }
        Value::Array(stored)
    }

    fn variables(
        &self,
        input: &PipelineInput,
        kept: Option<&PipelineRecord>,
        problems: &mut Vec<FieldError>,
    ) -> Option<Value> {
        let existing = kept.map(|k| secrets::stored(&k.variables)).unwrap_or_default();
        let Some(vars) = &input.variables else {
            return Some(serde_json::to_value(&existing).unwrap_or_else(|_| json!([])));
        };
        let before = problems.len();
        check_variables(vars.iter().map(|v| (v.name.as_str(), v.value.as_deref())), problems);
        if problems.len() > before {
            return None;
        }
        match secrets::seal_all(self.sealer, PIPELINE_SECRET, vars, &existing) {
            Ok(sealed) => serde_json::to_value(sealed).ok(),
            Err(e) => {
                problems.extend(e.field_errors().iter().cloned());
                None
            }
        }
    }

    /// A secret field: sealed when sent, removed when sent empty or null, kept when not sent.
    fn secret(
        &self,
        sent: &Option<Option<String>>,
        stored: Option<String>,
        field: &str,
        problems: &mut Vec<FieldError>,
    ) -> Option<Option<String>> {
        match sent {
            None => Some(stored),
            Some(None) => Some(None),
            Some(Some(s)) if s.is_empty() => Some(None),
            Some(Some(s)) if s.len() > 4096 => {
                problems.push(too_long(field, 4096));
                None
            }
            Some(Some(s)) if s.chars().any(char::is_control) => {
                problems.push(FieldError::body(field, "value_error", "must not contain control characters"));
                None
            }
            Some(Some(s)) => match self.sealer.seal(PIPELINE_SECRET, s) {
                Ok(sealed) => Some(Some(sealed)),
                Err(e) => {
                    problems.push(FieldError::body(field, "value_error", format!("cannot seal it: {e}")));
                    None
                }
            },
        }
    }
}

/// Checks variable names and values (`variables.<i>.name`, `variables.<i>.value`).
pub fn check_variables<'a>(
    vars: impl ExactSizeIterator<Item = (&'a str, Option<&'a str>)>,
    problems: &mut Vec<FieldError>,
) {
    if vars.len() > MAX_VARIABLES {
        problems.push(FieldError::body("variables", "value_error", format!("at most {MAX_VARIABLES} variables")));
        return;
    }
    for (i, (name, value)) in vars.enumerate() {
        if !valid_env_name(name) {
            problems.push(FieldError::body(
                &format!("variables.{i}.name"),
                "value_error",
                "must be a variable name: letters, digits and _, not starting with a digit",
            ));
        }
        if value.is_some_and(|v| v.len() > MAX_VARIABLE_VALUE) {
            problems.push(too_long(&format!("variables.{i}.value"), MAX_VARIABLE_VALUE));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_branches() {
        assert!(valid_env_name("VERSION_2") && valid_env_name("_x"));
        assert!(!valid_env_name("2X") && !valid_env_name("A-B") && !valid_env_name(""));
        assert!(valid_branch("main") && valid_branch("feature/x-1.2"));
        assert!(!valid_branch("-x") && !valid_branch("a..b") && !valid_branch("a b") && !valid_branch(""));
    }
}
