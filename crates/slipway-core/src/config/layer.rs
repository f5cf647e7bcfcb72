//! A configuration layer: the raw values one source (file, environment, flags) sets.

use std::collections::BTreeMap;

use super::ConfigError;
use super::keys::{self, Kind};

/// A raw value before parsing: one string, or a list of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    /// A scalar, as text.
    Text(String),
    /// A list.
    List(Vec<String>),
}

impl RawValue {
    /// The value as one string (lists joined with commas).
    pub fn text(&self) -> String {
        match self {
            Self::Text(s) => s.clone(),
            Self::List(v) => v.join(","),
        }
    }

    /// The value as a list (a scalar split on commas).
    pub fn list(&self) -> Vec<String> {
        match self {
            Self::Text(s) => split_list(s),
            Self::List(v) => v.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        }
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// One source of settings; every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigLayer {
    /// Where the values came from (a file, a variable, the command line), for error messages.
    pub origin: String,
    /// The values it sets, by key name.
    pub values: BTreeMap<&'static str, RawValue>,
}

impl ConfigLayer {
    /// An empty layer from `origin`.
    pub fn new(origin: impl Into<String>) -> Self {
        Self { origin: origin.into(), values: BTreeMap::new() }
    }

    /// Parses a `slipway.toml`; unknown keys are an error so typos do not pass silently.
    pub fn from_toml(origin: &str, text: &str) -> Result<Self, ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::new(origin, e.message().to_owned()))?;
        let mut layer = Self::new(origin);
        for (name, value) in table {
            let key = keys::by_name(&name).ok_or_else(|| ConfigError::new(origin, format!("unknown key {name:?}")))?;
            let raw = match value {
                toml::Value::String(s) => RawValue::Text(s),
                toml::Value::Integer(i) => RawValue::Text(i.to_string()),
                toml::Value::Boolean(b) => RawValue::Text(if b { "on" } else { "off" }.to_owned()),
                toml::Value::Array(items) if key.kind == Kind::List => RawValue::List(
                    items
                        .into_iter()
                        .map(|v| match v {
                            toml::Value::String(s) => Ok(s),
                            other => Err(ConfigError::new(origin, format!("{name}: expected strings, got {other}"))),
                        })
                        .collect::<Result<_, _>>()?,
                ),
                other => return Err(ConfigError::new(origin, format!("{name}: unsupported value {other}"))),
            };
            layer.values.insert(key.name, raw);
        }
        Ok(layer)
    }

    /// Reads the `SLIPWAY_*` variables out of an environment listing, one layer per variable so an error names
    /// the variable; other variables are ignored.
    pub fn from_env<I, K, V>(vars: I) -> Vec<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        vars.into_iter()
            .filter_map(|(name, value)| {
                let key = keys::by_env(name.as_ref())?;
                let mut layer = Self::new(key.env);
                layer.set(key.name, value.as_ref());
                Some(layer)
            })
            .collect()
    }

    /// Sets one key from its string form (as the environment and flags give it); unknown keys are ignored.
    pub fn set(&mut self, name: &str, value: &str) {
        if let Some(key) = keys::by_name(name) {
            let raw = match key.kind {
                Kind::Scalar => RawValue::Text(value.to_owned()),
                Kind::List => RawValue::List(split_list(value)),
            };
            self.values.insert(key.name, raw);
        }
    }

    /// Sets a list key from several values.
    pub fn set_list(&mut self, name: &str, values: Vec<String>) {
        if let Some(key) = keys::by_name(name) {
            self.values.insert(key.name, RawValue::List(values));
        }
    }
}
