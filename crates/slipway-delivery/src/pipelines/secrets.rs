//! Secrets of pipelines and runs: variables marked secret, the repository credential and the webhook secret
//! are sealed with the installation's key before they are stored, never rendered back, and replaced by `***`
//! in every line a run logs ([`Masker`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use slipway_core::Error;
use slipway_store::Sealer;

/// The sealing context of pipelines' secrets.
pub const PIPELINE_SECRET: &str = "pipelines.secret";
/// The sealing context of runs' secret variables.
pub const RUN_SECRET: &str = "pipeline_runs.variable";

/// What a secret is rendered as, and replaced by in logs.
pub const MASK: &str = "***";

/// A variable as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VariableInput {
    /// Its name (an environment variable name).
    pub name: String,
    /// Its value; `None` for a secret keeps the value stored under the same name.
    pub value: Option<String>,
    /// Whether it is secret (sealed, never shown, masked in logs).
    #[serde(default)]
    pub secret: bool,
}

/// A variable as stored: a plain value, or a sealed one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVariable {
    /// Its name.
    pub name: String,
    /// The plain value (not secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The sealed value (secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
    /// Whether it is secret.
    #[serde(default)]
    pub secret: bool,
}

/// A variable opened for a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenVariable {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// Whether it is secret.
    pub secret: bool,
}

/// The stored variables of a JSON column (an empty list for anything else).
pub fn stored(value: &Value) -> Vec<StoredVariable> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

fn seal_error(e: slipway_store::SealError) -> Error {
    Error::Internal(format!("cannot seal a secret: {e}"))
}

/// Seals `inputs` for storage; a secret sent without a value keeps the one stored under its name in
/// `existing` (so clients can change other variables without knowing it).
pub fn seal_all(
    sealer: &Sealer,
    context: &str,
    inputs: &[VariableInput],
    existing: &[StoredVariable],
) -> Result<Vec<StoredVariable>, Error> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let kept = || existing.iter().find(|e| e.name == v.name && e.secret).and_then(|e| e.sealed.clone());
            match (&v.value, v.secret) {
                (Some(value), false) => {
                    Ok(StoredVariable { name: v.name.clone(), value: Some(value.clone()), sealed: None, secret: false })
                }
                (Some(value), true) => Ok(StoredVariable {
                    name: v.name.clone(),
                    value: None,
                    sealed: Some(sealer.seal(context, value).map_err(seal_error)?),
                    secret: true,
                }),
                (None, true) if kept().is_some() => {
                    Ok(StoredVariable { name: v.name.clone(), value: None, sealed: kept(), secret: true })
                }
                (None, _) => Err(Error::invalid_field(&format!("variables.{i}.value"), "missing", "field required")),
            }
        })
        .collect()
}

/// Opens stored variables for a run.
pub fn open_all(sealer: &Sealer, context: &str, stored: &[StoredVariable]) -> Result<Vec<OpenVariable>, Error> {
    stored
        .iter()
        .map(|v| {
            let value = match (&v.value, &v.sealed) {
                (_, Some(sealed)) => sealer
                    .open(context, sealed)
                    .map_err(|e| Error::Internal(format!("cannot open the secret variable {}: {e}", v.name)))?,
                (Some(value), None) => value.clone(),
                (None, None) => String::new(),
            };
            Ok(OpenVariable { name: v.name.clone(), value, secret: v.secret })
        })
        .collect()
}

/// Replaces every secret with [`MASK`].
#[derive(Debug, Clone, Default)]
pub struct Masker {
    secrets: Vec<String>,
}

impl Masker {
    /// A masker of these secrets (empty ones are ignored; longer ones are replaced first).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// `text` with every secret replaced.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_longest_first() {
        let m = Masker::new(["abc".to_owned(), "abcdef".to_owned(), String::new()]);
        assert_eq!(m.mask("x abcdef y abc"), "x *** y ***");
        assert_eq!(m.mask("nothing"), "nothing");
    }

    #[test]
    fn secret_values_are_sealed_and_kept_when_omitted() {
        let sealer = Sealer::from_secret("k");
        let first = [VariableInput { name: "T".into(), value: Some("s3cr3t".into()), secret: true }];
        let sealed = seal_all(&sealer, PIPELINE_SECRET, &first, &[]).unwrap_or_default();
        assert_eq!(sealed[0].value, None);
        assert!(sealed[0].sealed.as_deref().is_some_and(|s| !s.contains("s3cr3t")));
        let again = [VariableInput { name: "T".into(), value: None, secret: true }];
        let kept = seal_all(&sealer, PIPELINE_SECRET, &again, &sealed).unwrap_or_default();
        let opened = open_all(&sealer, PIPELINE_SECRET, &kept).unwrap_or_default();
        assert_eq!(opened[0].value, "s3cr3t");
        assert!(seal_all(&sealer, PIPELINE_SECRET, &again, &[]).is_err());
    }
}
