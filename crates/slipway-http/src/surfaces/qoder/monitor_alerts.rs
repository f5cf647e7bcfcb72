//! qoder's alert rules and alerts (beyond the document, which names alerts but no way to define them):
//! administrators and granted server operators.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer};
use slipway_ops::RuleInput;
use utoipa::{IntoParams, ToSchema};

use super::alert_views::{QoderAlert, QoderAlertRule};
use super::messages::{ALERT_RULE_CREATED, DELETED, FETCHED, UPDATED};
use super::views::{QoderDone, QoderPage, QoderReply, done, ok};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, CurrentUser, PathId};
use crate::lang::Lang;
use crate::state::AppState;
use crate::surfaces::paging::Paging;

/// Paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RulesQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page (≤ 100).
    pub page_size: Option<i64>,
}

/// `null` given explicitly, told apart from a missing field.
fn explicit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// A rule's fields; unknown fields are ignored. On update, missing fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = QoderAlertRuleBody)]
pub struct RuleBody {
    /// A name for people (required on creation).
    pub name: Option<String>,
    /// `cpu`, `memory`, `disk`, `load` or `unreachable` (required on creation).
    pub metric: Option<String>,
    /// `>` (default), `>=`, `<` or `<=`; `unreachable` is always `>=`.
    pub comparison: Option<String>,
    /// Percent for cpu, memory and disk; a load; failed collections in a row for `unreachable` (default 2).
    pub threshold: Option<f64>,
    /// Seconds the condition must hold (default 0: one tick).
    pub duration_secs: Option<i64>,
    /// Only this server; `null` or missing for every monitored one.
    #[serde(default, deserialize_with = "explicit")]
    #[schema(value_type = Option<i64>)]
    pub server_id: Option<Option<i64>>,
    /// Where to mail notifications (`""` removes it).
    pub notify_email: Option<String>,
    /// Where to POST them as JSON, through the outbound policy (`""` removes it).
    pub webhook_url: Option<String>,
    /// Whether it is evaluated (default true).
    pub enabled: Option<bool>,
}

impl From<RuleBody> for RuleInput {
    fn from(b: RuleBody) -> Self {
        Self {
            name: b.name,
            metric: b.metric,
            comparison: b.comparison,
            threshold: b.threshold,
            duration_secs: b.duration_secs,
            server_id: b.server_id,
            notify_email: b.notify_email,
            webhook_url: b.webhook_url,
            enabled: b.enabled,
        }
    }
}

/// Lists alert rules.
#[utoipa::path(
    get, path = "/api/monitor/alert-rules", tag = "qoder", security(("bearer" = [])), params(RulesQuery),
    responses((status = 200, description = "A page of rules", body = QoderReply<QoderPage<QoderAlertRule>>), (status = 400, description = "Bad paging"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"))
)]
pub async fn list_rules(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiQuery(q): ApiQuery<RulesQuery>,
) -> Result<(StatusCode, Json<QoderReply<QoderPage<QoderAlertRule>>>), ApiError> {
    let p = Paging::new(q.page, q.page_size, 10, 100)?;
    let page = state.monitoring.rules(&auth.principal(), p.offset(), p.page_size).await?;
    let list = page.items.iter().map(QoderAlertRule::from).collect();
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderPage::new(list, page.total, p)))
}

/// Creates an alert rule.
#[utoipa::path(
    post, path = "/api/monitor/alert-rules", tag = "qoder", security(("bearer" = [])), request_body = RuleBody,
    responses((status = 200, description = "The rule", body = QoderReply<QoderAlertRule>), (status = 400, description = "Bad or missing fields, no such server, a webhook URL the outbound policy refuses"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"))
)]
pub async fn create_rule(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiJson(b): ApiJson<RuleBody>,
) -> Result<(StatusCode, Json<QoderReply<QoderAlertRule>>), ApiError> {
    let rule = state.monitoring.create_rule(&auth.principal(), b.into()).await?;
    Ok(ok(StatusCode::OK, ALERT_RULE_CREATED.text(lang), QoderAlertRule::from(&rule)))
}

/// Changes an alert rule.
#[utoipa::path(
    put, path = "/api/monitor/alert-rules/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Rule id")),
    request_body = RuleBody,
    responses((status = 200, description = "The changed rule", body = QoderReply<QoderAlertRule>), (status = 400, description = "Bad fields or id"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "No such rule"))
)]
pub async fn update_rule(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
    ApiJson(b): ApiJson<RuleBody>,
) -> Result<(StatusCode, Json<QoderReply<QoderAlertRule>>), ApiError> {
    let rule = state.monitoring.update_rule(&auth.principal(), id, b.into()).await?;
    Ok(ok(StatusCode::OK, UPDATED.text(lang), QoderAlertRule::from(&rule)))
}

/// Deletes an alert rule and its alerts.
#[utoipa::path(
    delete, path = "/api/monitor/alert-rules/{id}", tag = "qoder", security(("bearer" = [])), params(("id" = i64, Path, description = "Rule id")),
    responses((status = 200, description = "Deleted", body = QoderDone), (status = 400, description = "Bad id"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"), (status = 404, description = "No such rule"))
)]
pub async fn delete_rule(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<QoderDone>), ApiError> {
    state.monitoring.delete_rule(&auth.principal(), id).await?;
    Ok(done(StatusCode::OK, DELETED.text(lang)))
}

/// Which alerts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page (≤ 100).
    pub page_size: Option<i64>,
    /// Only `open` or `resolved` alerts.
    pub status: Option<String>,
}

/// Lists alerts, newest first.
#[utoipa::path(
    get, path = "/api/monitor/alerts", tag = "qoder", security(("bearer" = [])), params(AlertsQuery),
    responses((status = 200, description = "A page of alerts", body = QoderReply<QoderPage<QoderAlert>>), (status = 400, description = "Bad paging or status"), (status = 401, description = "Not signed in"), (status = 403, description = "Neither an administrator nor a granted operator"))
)]
pub async fn alerts(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    lang: Lang,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> Result<(StatusCode, Json<QoderReply<QoderPage<QoderAlert>>>), ApiError> {
    let p = Paging::new(q.page, q.page_size, 10, 100)?;
    let status = q.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let page = state.monitoring.alerts(&auth.principal(), status, p.offset(), p.page_size).await?;
    let list = page.items.iter().map(QoderAlert::from).collect();
    Ok(ok(StatusCode::OK, FETCHED.text(lang), QoderPage::new(list, page.total, p)))
}
