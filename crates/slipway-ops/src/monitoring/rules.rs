//! Checking an alert rule as given: every problem named by its field, all at once.

use slipway_core::{Error, FieldError};
use slipway_outbound::OutboundPolicy;
use slipway_store::ops::AlertRuleRecord;

use super::alerts::{Comparison, RuleMetric};

/// The longest name, in characters.
const MAX_NAME: usize = 100;
/// The longest duration, seconds (a week).
const MAX_DURATION: i64 = 7 * 86_400;

/// A rule as given; `None` keeps the current value (or takes the default on creation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleInput {
    /// A name for people.
    pub name: Option<String>,
    /// `cpu`, `memory`, `disk`, `load` or `unreachable`.
    pub metric: Option<String>,
    /// `>`, `>=`, `<` or `<=` (default `>`; `unreachable` is always `>=`).
    pub comparison: Option<String>,
    /// The threshold: percent for cpu, memory and disk, a load, failed ticks for `unreachable` (default 2).
    pub threshold: Option<f64>,
    /// Seconds the condition must hold (default 0: one tick).
    pub duration_secs: Option<i64>,
    /// Only this server (`Some(None)` clears it: every monitored server).
    pub server_id: Option<Option<i64>>,
    /// Where to mail notifications (`""` removes it).
    pub notify_email: Option<String>,
    /// Where to POST them (`""` removes it).
    pub webhook_url: Option<String>,
    /// Whether it is evaluated (default true).
    pub enabled: Option<bool>,
}

/// A checked rule.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct CheckedRule {
    pub name: String,
    pub metric: &'static str,
    pub comparison: &'static str,
    pub threshold: f64,
    pub duration_secs: i64,
    pub server_id: Option<i64>,
    pub notify_email: Option<String>,
    pub webhook_url: Option<String>,
    pub enabled: bool,
}

fn bad(errors: &mut Vec<FieldError>, field: &str, msg: String) {
    errors.push(FieldError::body(field, "value_error", msg));
}

fn optional_text(given: Option<String>, current: Option<String>) -> Option<String> {
    match given {
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(v.trim().to_owned()),
        None => current,
    }
}

/// Checks `input` over `current` (an update) or over the defaults (a creation). The webhook URL passes the
/// outbound policy as `caller_is_admin` when it is new.
pub(super) fn check(
    input: RuleInput,
    current: Option<&AlertRuleRecord>,
    policy: &OutboundPolicy,
    caller_is_admin: bool,
) -> Result<CheckedRule, Error> {
    let mut errors = Vec::new();
    let name = input.name.map(|n| n.trim().to_owned()).or_else(|| current.map(|c| c.name.clone())).unwrap_or_default();
    if name.is_empty() {
        bad(&mut errors, "name", "name is required".into());
    } else if name.chars().count() > MAX_NAME {
        bad(&mut errors, "name", format!("name must be at most {MAX_NAME} characters"));
    }
    let metric_text = input.metric.or_else(|| current.map(|c| c.metric.clone())).unwrap_or_default();
    let metric = RuleMetric::parse(metric_text.trim());
    if metric.is_none() {
        bad(&mut errors, "metric", format!("metric is one of {}, not {metric_text:?}", RuleMetric::NAMES.join(", ")));
    }
    let comparison_text = match metric {
        Some(RuleMetric::Unreachable) => ">=".to_owned(),
        _ => input.comparison.or_else(|| current.map(|c| c.comparison.clone())).unwrap_or_else(|| ">".into()),
    };
    let comparison = Comparison::parse(comparison_text.trim());
    if comparison.is_none() {
        bad(
            &mut errors,
            "comparison",
            format!("comparison is one of {}, not {comparison_text:?}", Comparison::SYMBOLS.join(" ")),
        );
    }
    let threshold = input.threshold.or_else(|| current.map(|c| c.threshold));
    let threshold = match (metric, threshold) {
        (Some(RuleMetric::Unreachable), None) => 2.0,
        (_, Some(t)) => t,
        (_, None) => {
            bad(&mut errors, "threshold", "threshold is required".into());
            0.0
        }
    };
    let in_range = match metric {
        Some(RuleMetric::Cpu | RuleMetric::Memory | RuleMetric::Disk) => (0.0..=100.0).contains(&threshold),
        Some(RuleMetric::Load) => threshold.is_finite() && threshold >= 0.0,
        Some(RuleMetric::Unreachable) => (1.0..=1000.0).contains(&threshold) && threshold.fract() == 0.0,
        None => true,
    };
    if !in_range {
        let want = match metric {
            Some(RuleMetric::Load) => "a load of 0 or more",
            Some(RuleMetric::Unreachable) => "a whole number of failed collections from 1 to 1000",
            _ => "a percentage from 0 to 100",
        };
        bad(&mut errors, "threshold", format!("threshold must be {want}, not {threshold}"));
    }
    let duration_secs = input.duration_secs.or_else(|| current.map(|c| c.duration_secs)).unwrap_or(0);
    if !(0..=MAX_DURATION).contains(&duration_secs) {
        bad(&mut errors, "duration_secs", format!("duration_secs must be from 0 to {MAX_DURATION}"));
    }
    let server_id = input.server_id.unwrap_or_else(|| current.and_then(|c| c.server_id));
    if server_id.is_some_and(|s| s < 0) {
        bad(&mut errors, "server_id", "server_id must be a server's id".into());
    }
    let notify_email = optional_text(input.notify_email, current.and_then(|c| c.notify_email.clone()));
    if let Some(e) = &notify_email {
        let ok = e.len() <= 254 && e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
        if !ok {
            bad(&mut errors, "notify_email", format!("{e:?} is not an e-mail address"));
        }
    }
    let current_url = current.and_then(|c| c.webhook_url.clone());
    let webhook_url = optional_text(input.webhook_url, current_url.clone());
    if let Some(url) = webhook_url.as_deref().filter(|u| Some(*u) != current_url.as_deref()) {
        if url.len() > 2000 {
            bad(&mut errors, "webhook_url", "webhook_url must be at most 2000 characters".into());
        } else if let Err(r) = policy.check_url_to_save(url, caller_is_admin) {
            errors.push(r.field_error("webhook_url"));
        }
    }
    let enabled = input.enabled.or_else(|| current.map(|c| c.enabled)).unwrap_or(true);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let (Some(metric), Some(comparison)) = (metric, comparison) else {
        return Err(Error::Internal("a rule checked without a metric".into()));
    };
    Ok(CheckedRule {
        name,
        metric: metric.name(),
        comparison: comparison.symbol(),
        threshold,
        duration_secs,
        server_id,
        notify_email,
        webhook_url,
        enabled,
    })
}
