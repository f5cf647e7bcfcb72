//! The `monitor_alert_rules` and `monitor_alerts` tables. At most one alert is open per rule and server (a
//! partial unique index), so opening twice is a no-op and resolving closes exactly the open one.

use chrono::{DateTime, Utc};

use crate::{Db, StoreError, on_pool};

/// A stored alert rule.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlertRuleRecord {
    /// Database id.
    pub id: i64,
    /// A name for people.
    pub name: String,
    /// `cpu`, `memory`, `disk`, `load` or `unreachable`.
    pub metric: String,
    /// `>`, `>=`, `<` or `<=`.
    pub comparison: String,
    /// The value compared with (failed ticks for `unreachable`).
    pub threshold: f64,
    /// How long the condition must hold, seconds.
    pub duration_secs: i64,
    /// Only this server; `None` for every monitored one.
    pub server_id: Option<i64>,
    /// Where to mail a notification.
    pub notify_email: Option<String>,
    /// Where to POST one (checked by the outbound policy).
    pub webhook_url: Option<String>,
    /// Whether an administrator saved the webhook URL.
    pub webhook_by_admin: bool,
    /// Whether it is evaluated.
    pub enabled: bool,
    /// Who created it.
    pub created_by: Option<i64>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The writable columns of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRuleRow<'a> {
    /// Name.
    pub name: &'a str,
    /// Metric.
    pub metric: &'a str,
    /// Comparison.
    pub comparison: &'a str,
    /// Threshold.
    pub threshold: f64,
    /// Duration, seconds.
    pub duration_secs: i64,
    /// One server, or all.
    pub server_id: Option<i64>,
    /// E-mail address.
    pub notify_email: Option<&'a str>,
    /// Webhook URL.
    pub webhook_url: Option<&'a str>,
    /// Whether an administrator saved it.
    pub webhook_by_admin: bool,
    /// Enabled.
    pub enabled: bool,
}

/// A stored alert, with its rule's name.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlertRecord {
    /// Database id.
    pub id: i64,
    /// The rule that raised it.
    pub rule_id: i64,
    /// That rule's name.
    pub rule_name: String,
    /// The server it is about.
    pub server_id: i64,
    /// `open` or `resolved`.
    pub status: String,
    /// The rule's metric.
    pub metric: String,
    /// The value that opened it.
    pub value: Option<f64>,
    /// What happened, for people.
    pub message: String,
    /// When it opened.
    pub opened_at: DateTime<Utc>,
    /// When it resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

const ALERT_SELECT: &str = "SELECT a.id, a.rule_id, r.name AS rule_name, a.server_id, a.status, a.metric, a.value, \
     a.message, a.opened_at, a.resolved_at FROM monitor_alerts a JOIN monitor_alert_rules r ON r.id = a.rule_id";

impl Db {
    /// Stores a new rule.
    pub async fn insert_alert_rule(
        &self,
        row: &AlertRuleRow<'_>,
        created_by: i64,
        now: DateTime<Utc>,
    ) -> Result<AlertRuleRecord, StoreError> {
        let sql = "INSERT INTO monitor_alert_rules (name, metric, comparison, threshold, duration_secs, server_id, \
                   notify_email, webhook_url, enabled, created_by, created_at, updated_at, webhook_by_admin) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) RETURNING *";
        Ok(on_pool!(self, |p| {
            sqlx::query_as(sql)
                .bind(row.name)
                .bind(row.metric)
                .bind(row.comparison)
                .bind(row.threshold)
                .bind(row.duration_secs)
                .bind(row.server_id)
                .bind(row.notify_email)
                .bind(row.webhook_url)
                .bind(row.enabled)
                .bind(created_by)
                .bind(now)
                .bind(row.webhook_by_admin)
                .fetch_one(p)
                .await
        })?)
    }

    /// Replaces rule `id`'s writable columns; `None` when there is no such rule.
    pub async fn update_alert_rule(
        &self,
        id: i64,
        row: &AlertRuleRow<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<AlertRuleRecord>, StoreError> {
        let sql = "UPDATE monitor_alert_rules SET name = $2, metric = $3, comparison = $4, threshold = $5, \
                   duration_secs = $6, server_id = $7, notify_email = $8, webhook_url = $9, enabled = $10, \
                   updated_at = $11, webhook_by_admin = $12 WHERE id = $1 RETURNING *";
        Ok(on_pool!(self, |p| {
            sqlx::query_as(sql)
                .bind(id)
                .bind(row.name)
                .bind(row.metric)
                .bind(row.comparison)
                .bind(row.threshold)
                .bind(row.duration_secs)
                .bind(row.server_id)
                .bind(row.notify_email)
                .bind(row.webhook_url)
                .bind(row.enabled)
                .bind(now)
                .bind(row.webhook_by_admin)
                .fetch_optional(p)
                .await
        })?)
    }

    /// Deletes rule `id` and its alerts; `false` when there is no such rule.
    pub async fn delete_alert_rule(&self, id: i64) -> Result<bool, StoreError> {
        let sql = "DELETE FROM monitor_alert_rules WHERE id = $1";
        let n = on_pool!(self, |p| sqlx::query(sql).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Rule `id`.
    pub async fn alert_rule(&self, id: i64) -> Result<Option<AlertRuleRecord>, StoreError> {
        let sql = "SELECT * FROM monitor_alert_rules WHERE id = $1";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?)
    }

    /// A page of rules by id, and how many there are.
    pub async fn alert_rules(&self, offset: i64, limit: i64) -> Result<(Vec<AlertRuleRecord>, i64), StoreError> {
        let page = "SELECT * FROM monitor_alert_rules ORDER BY id LIMIT $1 OFFSET $2";
        let count = "SELECT COUNT(*) FROM monitor_alert_rules";
        Ok(on_pool!(self, |p| {
            let items = sqlx::query_as(page).bind(limit).bind(offset).fetch_all(p).await?;
            let total = sqlx::query_scalar(count).fetch_one(p).await?;
            Ok::<_, sqlx::Error>((items, total))
        })?)
    }

    /// Every enabled rule (the collector evaluates them).
    pub async fn enabled_alert_rules(&self) -> Result<Vec<AlertRuleRecord>, StoreError> {
        let sql = "SELECT * FROM monitor_alert_rules WHERE enabled = TRUE ORDER BY id";
        Ok(on_pool!(self, |p| sqlx::query_as(sql).fetch_all(p).await)?)
    }

    /// Opens an alert for `rule_id` on `server_id`; `None` when one is open already.
    pub async fn open_alert(
        &self,
        rule_id: i64,
        server_id: i64,
        metric: &str,
        value: Option<f64>,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AlertRecord>, StoreError> {
        let sql = "INSERT INTO monitor_alerts (rule_id, server_id, status, metric, value, message, opened_at) \
                   VALUES ($1, $2, 'open', $3, $4, $5, $6) \
                   ON CONFLICT (rule_id, server_id) WHERE status = 'open' DO NOTHING RETURNING id";
        let id: Option<i64> = on_pool!(self, |p| {
            sqlx::query_scalar(sql)
                .bind(rule_id)
                .bind(server_id)
                .bind(metric)
                .bind(value)
                .bind(message)
                .bind(now)
                .fetch_optional(p)
                .await
        })?;
        match id {
            Some(id) => self.alert(id).await,
            None => Ok(None),
        }
    }

    /// Resolves the open alert of `rule_id` on `server_id`; `None` when none is open.
    pub async fn resolve_alert(
        &self,
        rule_id: i64,
        server_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<AlertRecord>, StoreError> {
        let sql = "UPDATE monitor_alerts SET status = 'resolved', resolved_at = $3 \
                   WHERE rule_id = $1 AND server_id = $2 AND status = 'open' RETURNING id";
        let id: Option<i64> = on_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(rule_id)
            .bind(server_id)
            .bind(now)
            .fetch_optional(p)
            .await)?;
        match id {
            Some(id) => self.alert(id).await,
            None => Ok(None),
        }
    }

    /// Alert `id`.
    pub async fn alert(&self, id: i64) -> Result<Option<AlertRecord>, StoreError> {
        let sql = format!("{ALERT_SELECT} WHERE a.id = $1");
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(p).await)?)
    }

    /// A page of alerts, newest first, only `status` when given, and how many match.
    pub async fn list_alerts(
        &self,
        status: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AlertRecord>, i64), StoreError> {
        let page = format!(
            "{ALERT_SELECT} WHERE ($1 IS NULL OR a.status = $1) ORDER BY a.opened_at DESC, a.id DESC LIMIT $2 OFFSET $3"
        );
        let count = "SELECT COUNT(*) FROM monitor_alerts WHERE ($1 IS NULL OR status = $1)";
        Ok(on_pool!(self, |p| {
            let items = sqlx::query_as(sqlx::AssertSqlSafe(page.as_str()))
                .bind(status)
                .bind(limit)
                .bind(offset)
                .fetch_all(p)
                .await?;
            let total = sqlx::query_scalar(count).bind(status).fetch_one(p).await?;
            Ok::<_, sqlx::Error>((items, total))
        })?)
    }

    /// The newest alerts opened or resolved, for the activity feed.
    pub async fn recent_alerts(&self, limit: i64) -> Result<Vec<AlertRecord>, StoreError> {
        let sql = format!("{ALERT_SELECT} ORDER BY COALESCE(a.resolved_at, a.opened_at) DESC, a.id DESC LIMIT $1");
        Ok(on_pool!(self, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(limit).fetch_all(p).await)?)
    }
}
