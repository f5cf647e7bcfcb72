//! Alert notifications: a JSON POST to the rule's webhook through the outbound policy (internal addresses only
//! when an administrator saved the URL), and an e-mail through a sender the binary wires in (identity's mailer;
//! ops does not depend on identity). Both run off the collector's loop and are logged when they fail.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use slipway_core::Error;
use slipway_core::time::rfc3339;
use slipway_outbound::OutboundPolicy;
use slipway_store::ops::{AlertRecord, AlertRuleRecord};

/// How long one notification may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends a plain-text e-mail: recipient, subject, body.
pub type SendMail =
    Arc<dyn Fn(String, String, String) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send>> + Send + Sync>;

/// Where alert notifications go.
#[derive(Clone)]
pub struct Notifier {
    policy: OutboundPolicy,
    mail: Option<SendMail>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").field("mail", &self.mail.is_some()).finish_non_exhaustive()
    }
}

impl Notifier {
    /// Webhooks through `policy`; no e-mail.
    pub fn new(policy: OutboundPolicy) -> Self {
        Self { policy, mail: None }
    }

    /// Also e-mail through `mail`.
    #[must_use]
    pub fn with_mail(mut self, mail: SendMail) -> Self {
        self.mail = Some(mail);
        self
    }

    /// The JSON a webhook receives.
    pub fn payload(event: &str, rule: &AlertRuleRecord, alert: &AlertRecord) -> serde_json::Value {
        serde_json::json!({
            "event": event,
            "alert": {
                "id": alert.id, "rule_id": alert.rule_id, "rule_name": rule.name, "server_id": alert.server_id,
                "status": alert.status, "metric": alert.metric, "value": alert.value, "message": alert.message,
                "opened_at": rfc3339(alert.opened_at), "resolved_at": alert.resolved_at.map(rfc3339),
            },
            "rule": {
                "id": rule.id, "metric": rule.metric, "comparison": rule.comparison, "threshold": rule.threshold,
                "duration_secs": rule.duration_secs,
            },
        })
    }

    /// Notifies `rule`'s receivers of `event` (`alert.opened`, `alert.resolved`) in the background.
    pub fn notify(&self, event: &'static str, rule: &AlertRuleRecord, alert: &AlertRecord) {
        if let Some(url) = rule.webhook_url.clone() {
            let policy = self.policy.clone();
            let body = Self::payload(event, rule, alert);
            let by_admin = rule.webhook_by_admin;
            tokio::spawn(async move {
                if let Err(e) = post(&policy, &url, by_admin, &body).await {
                    tracing::warn!(url = %url, error = %e, "alert webhook failed");
                }
            });
        }
        if let (Some(to), Some(mail)) = (rule.notify_email.clone(), self.mail.clone()) {
            let subject = format!("[Slipway] {event}: {}", rule.name);
            let resolved = alert.resolved_at.map(|t| format!(", resolved {}", rfc3339(t))).unwrap_or_default();
            let opened = rfc3339(alert.opened_at);
            let text = format!("{}\n\nserver {}, opened {opened}{resolved}\n", alert.message, alert.server_id);
            tokio::spawn(async move {
                match tokio::time::timeout(TIMEOUT, mail(to.clone(), subject, text)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(to = %to, error = %e, "alert e-mail failed"),
                    Err(_) => tracing::warn!(to = %to, "alert e-mail timed out"),
                }
            });
        }
    }
}

async fn post(policy: &OutboundPolicy, url: &str, by_admin: bool, body: &serde_json::Value) -> Result<(), String> {
    policy.check_str(url, by_admin).map_err(|r| r.message().to_owned())?;
    let client = policy.client_builder(by_admin).timeout(TIMEOUT).build().map_err(|e| e.to_string())?;
    let resp = client.post(url).json(body).send().await.map_err(|e| e.to_string())?;
    if resp.status().is_success() { Ok(()) } else { Err(format!("answered {}", resp.status())) }
}
