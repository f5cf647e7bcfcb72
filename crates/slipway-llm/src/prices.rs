//! What calls cost: USD per million prompt and completion tokens, per model. A built-in table covers the
//! appendix-C default models and common OpenAI, Anthropic and Gemini models (list prices, approximate; models
//! priced in CNY converted at about 7.2); `llm_prices` overrides or extends it. A model is priced by its exact
//! name, else by the longest table name it starts with followed by `-`, `:` or `@` (`gpt-4o-2024-08-06` →
//! `gpt-4o`). Self-hosted providers (Ollama, vLLM, llama.cpp) and unknown models cost 0.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::provider::Provider;
use crate::types::Usage;

/// The price of a model, USD per one million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Per million prompt tokens.
    pub prompt: f64,
    /// Per million completion tokens.
    pub completion: f64,
}

const BUILT_IN: &[(&str, f64, f64)] = &[
    ("deepseek-chat", 0.27, 1.10),
    ("deepseek-reasoner", 0.55, 2.19),
    ("claude-3-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-3-opus", 15.0, 75.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-3-haiku", 0.25, 1.25),
    ("claude-3-5-haiku", 0.80, 4.0),
    ("gemini-pro", 0.50, 1.50),
    ("gemini-1.5-pro", 1.25, 5.0),
    ("gemini-1.5-flash", 0.075, 0.30),
    ("gemini-2.0-flash", 0.10, 0.40),
    ("gemini-2.5-pro", 1.25, 10.0),
    ("gemini-2.5-flash", 0.30, 2.50),
    ("moonshot-v1", 1.67, 1.67),
    ("moonshot-v1-8k", 1.67, 1.67),
    ("moonshot-v1-32k", 3.33, 3.33),
    ("moonshot-v1-128k", 8.33, 8.33),
    ("glm-4", 13.9, 13.9),
    ("glm-4-flash", 0.0, 0.0),
    ("abab5.5-chat", 2.08, 2.08),
    ("gpt-4o", 2.50, 10.0),
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4.1", 2.0, 8.0),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4-turbo", 10.0, 30.0),
    ("gpt-4", 30.0, 60.0),
    ("gpt-3.5-turbo", 0.50, 1.50),
    ("o1", 15.0, 60.0),
    ("o3-mini", 1.10, 4.40),
];

/// Prices by model name.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    prices: HashMap<String, Price>,
}

impl Default for PriceTable {
    fn default() -> Self {
        Self::built_in()
    }
}

impl PriceTable {
    /// The built-in table.
    pub fn built_in() -> Self {
        let prices = BUILT_IN.iter().map(|(m, p, c)| ((*m).to_owned(), Price { prompt: *p, completion: *c })).collect();
        Self { prices }
    }

    /// This table with `overrides` replacing or adding models.
    pub fn with(mut self, overrides: HashMap<String, Price>) -> Self {
        self.prices.extend(overrides);
        self
    }

    /// The built-in table overridden by `spec`: inline JSON (starting with `{`), or a path to a `.json` or
    /// `.toml` file of `model = {prompt = …, completion = …}` entries.
    pub fn load(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        let overrides: HashMap<String, Price> = if spec.starts_with('{') {
            serde_json::from_str(spec).map_err(|e| format!("llm_prices: inline JSON: {e}"))?
        } else {
            let path = Path::new(spec);
            let text = std::fs::read_to_string(path).map_err(|e| format!("llm_prices: {}: {e}", path.display()))?;
            if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml")) {
                toml::from_str(&text).map_err(|e| format!("llm_prices: {}: {e}", path.display()))?
            } else {
                serde_json::from_str(&text).map_err(|e| format!("llm_prices: {}: {e}", path.display()))?
            }
        };
        if let Some((model, _)) = overrides.iter().find(|(_, p)| !(p.prompt >= 0.0 && p.completion >= 0.0)) {
            return Err(format!("llm_prices: {model}: prices must be non-negative numbers"));
        }
        Ok(Self::built_in().with(overrides))
    }

    /// The price of `model`: exact name, else the longest name it extends.
    pub fn price(&self, model: &str) -> Option<Price> {
        if let Some(p) = self.prices.get(model) {
            return Some(*p);
        }
        self.prices
            .iter()
            .filter(|(name, _)| model.strip_prefix(name.as_str()).is_some_and(|rest| rest.starts_with(['-', ':', '@'])))
            .max_by_key(|(name, _)| name.len())
            .map(|(_, p)| *p)
    }

    /// What `usage` of `model` at `provider` cost, in USD.
    pub fn cost(&self, provider: Provider, model: &str, usage: Usage) -> f64 {
        if provider.is_self_hosted() {
            return 0.0;
        }
        self.price(model).map_or(0.0, |p| {
            (f64::from(usage.prompt_tokens) * p.prompt + f64::from(usage.completion_tokens) * p.completion) / 1e6
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_appendix_c_default_model_has_a_price() {
        let t = PriceTable::built_in();
        for p in Provider::ALL.into_iter().filter(|p| !p.is_self_hosted()) {
            let model = p.default_model().unwrap();
            assert!(t.price(model).is_some(), "{model}");
        }
    }

    #[test]
    fn prices_match_exactly_then_by_longest_prefix() {
        let t = PriceTable::built_in();
        assert_eq!(t.price("gpt-4o-mini-2024-07-18").unwrap().prompt, 0.15);
        assert_eq!(t.price("gpt-4o-2024-08-06").unwrap().prompt, 2.50);
        assert_eq!(t.price("claude-3-sonnet-20240229").unwrap().completion, 15.0);
        assert!(t.price("gpt-4ox").is_none());
        let usage = Usage { prompt_tokens: 1_000_000, completion_tokens: 500_000 };
        assert!((t.cost(Provider::DeepSeek, "deepseek-chat", usage) - 0.82).abs() < 1e-9);
        assert_eq!(t.cost(Provider::Ollama, "gpt-4o", usage), 0.0);
        assert_eq!(t.cost(Provider::OpenAi, "unknown-model", usage), 0.0);
    }

    #[test]
    fn overrides_load_from_inline_json_and_toml_files() {
        let t = PriceTable::load(
            r#"{"deepseek-chat": {"prompt": 1, "completion": 2}, "my-model": {"prompt": 3, "completion": 4}}"#,
        )
        .unwrap();
        assert_eq!(t.price("deepseek-chat"), Some(Price { prompt: 1.0, completion: 2.0 }));
        assert_eq!(t.price("my-model").unwrap().completion, 4.0);
        assert!(t.price("gpt-4o").is_some(), "built-ins stay");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.toml");
        std::fs::write(&path, "[\"glm-4\"]\nprompt = 0.5\ncompletion = 0.5\n").unwrap();
        assert_eq!(PriceTable::load(path.to_str().unwrap()).unwrap().price("glm-4").unwrap().prompt, 0.5);
        assert!(PriceTable::load("/nonexistent/prices.json").unwrap_err().contains("prices.json"));
        assert!(PriceTable::load(r#"{"m": {"prompt": -1, "completion": 0}}"#).is_err());
        assert!(PriceTable::load(r#"{"m": {"prompt": 1}}"#).is_err());
    }
}
