//! The LLM tables: each user's provider configurations (`llm_configs`) and the usage log (`llm_usage`).

mod configs;
mod usage;

pub use configs::{LlmConfigRecord, LlmConfigRow};
pub use usage::{LlmUsageFilter, LlmUsageRecord, NewLlmUsage};
