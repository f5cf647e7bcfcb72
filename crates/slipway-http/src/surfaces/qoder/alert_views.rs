//! qoder's response bodies for alert rules and alerts. A webhook URL is shown by its origin only: its path and
//! query often carry a token.

use serde::Serialize;
use slipway_core::time::rfc3339;
use slipway_ops::monitoring::{AlertRecord, AlertRuleRecord};
use utoipa::ToSchema;

/// `scheme://host[:port]` of `url`, with `/…` when it had more.
fn origin(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find(['/', '?', '#']) {
        Some(end) => format!("{}/…", &url[..start + end]),
        None => url.to_owned(),
    }
}

/// An alert rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderAlertRule {
    /// The rule's id.
    pub id: i64,
    /// A name for people.
    pub name: String,
    /// `cpu`, `memory`, `disk`, `load` or `unreachable`.
    pub metric: String,
    /// `>`, `>=`, `<` or `<=`.
    pub comparison: String,
    /// Percent for cpu, memory and disk; a load; failed collections in a row for `unreachable`.
    pub threshold: f64,
    /// Seconds the condition must hold before an alert opens (and be clear before it resolves).
    pub duration_secs: i64,
    /// Only this server; `null` for every monitored one.
    pub server_id: Option<i64>,
    /// Where notifications are mailed.
    pub notify_email: Option<String>,
    /// The webhook's origin (`https://host/…`); the rest is never returned.
    pub webhook_url: Option<String>,
    /// Whether it is evaluated.
    pub enabled: bool,
    /// Who created it.
    pub created_by: Option<i64>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl From<&AlertRuleRecord> for QoderAlertRule {
    fn from(r: &AlertRuleRecord) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            metric: r.metric.clone(),
            comparison: r.comparison.clone(),
            threshold: r.threshold,
            duration_secs: r.duration_secs,
            server_id: r.server_id,
            notify_email: r.notify_email.clone(),
            webhook_url: r.webhook_url.as_deref().map(origin),
            enabled: r.enabled,
            created_by: r.created_by,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

/// An alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderAlert {
    /// The alert's id.
    pub id: i64,
    /// The rule that raised it.
    pub rule_id: i64,
    /// That rule's name.
    pub rule_name: String,
    /// The server it is about (0: the Slipway host).
    pub server_id: i64,
    /// `open` or `resolved`.
    pub status: String,
    /// The rule's metric.
    pub metric: String,
    /// The value that opened it.
    pub value: Option<f64>,
    /// What happened.
    pub message: String,
    /// When it opened (RFC 3339).
    pub opened_at: String,
    /// When it resolved (RFC 3339).
    pub resolved_at: Option<String>,
}

impl From<&AlertRecord> for QoderAlert {
    fn from(a: &AlertRecord) -> Self {
        Self {
            id: a.id,
            rule_id: a.rule_id,
            rule_name: a.rule_name.clone(),
            server_id: a.server_id,
            status: a.status.clone(),
            metric: a.metric.clone(),
            value: a.value,
            message: a.message.clone(),
            opened_at: rfc3339(a.opened_at),
            resolved_at: a.resolved_at.map(rfc3339),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn a_webhook_shows_its_origin_only() {
        assert_eq!(origin("https://hooks.example.com/services/T0/B0/secret"), "https://hooks.example.com/…");
        assert_eq!(origin("http://127.0.0.1:9000?token=x"), "http://127.0.0.1:9000/…");
        assert_eq!(origin("https://example.com"), "https://example.com");
    }
}
