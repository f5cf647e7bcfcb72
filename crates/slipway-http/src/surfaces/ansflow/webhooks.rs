//! AnsFlow's webhooks: `POST /api/v1/webhooks/github` and `/gitlab` take the raw body and the provider's
//! headers to the webhook service, which proves the delivery with a pipeline's secret, drops redeliveries and
//! queues the runs it asks for without waiting; and beyond the document `GET /api/v1/webhooks/deliveries`,
//! where a user sees why a push did or did not build. A bad or missing signature is a 401 and nothing runs.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde::Deserialize;
use slipway_core::{Error, FieldError};
use slipway_delivery::webhooks::{Delivery, Provider};
use utoipa::IntoParams;

use super::links::base_url;
use super::views::AnsFlowPage;
use super::webhook_views::{AnsFlowWebhookDelivery, AnsFlowWebhookReceipt};
use crate::error::ApiError;
use crate::extract::{ApiQuery, CurrentUser};
use crate::state::AppState;
use crate::surfaces::paging::Paging;

/// A header's value as text; a value that is not visible ASCII counts as absent.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

fn required<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, Error> {
    header(headers, name).ok_or_else(|| {
        let loc = vec!["header".to_owned(), name.to_owned()];
        Error::Validation(vec![FieldError {
            loc,
            msg: format!("the {name} header is required"),
            kind: "missing".into(),
        }])
    })
}

/// Receives a GitHub delivery (`application/json` or form-encoded `payload=`).
#[utoipa::path(
    post, path = "/api/v1/webhooks/github", tag = "AnsFlow",
    params(
        ("X-GitHub-Event" = String, Header, description = "`push`, `pull_request`, `ping`; others are recorded and ignored"),
        ("X-GitHub-Delivery" = Option<String>, Header, description = "The delivery's id; a verified redelivery is not run again"),
        ("X-Hub-Signature-256" = Option<String>, Header, description = "`sha256=` HMAC of the raw body with the pipeline's webhook secret"),
    ),
    request_body(content = Object, description = "GitHub's event payload", content_type = "application/json"),
    responses(
        (status = 200, description = "What the delivery did; runs are queued, not awaited", body = AnsFlowWebhookReceipt),
        (status = 400, description = "VALIDATION_ERROR: no event header, a payload that is not JSON or lacks what the event needs"),
        (status = 401, description = "AUTHENTICATION_ERROR: the signature matches no pipeline's webhook secret; nothing runs"),
    )
)]
pub async fn github(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AnsFlowWebhookReceipt>, ApiError> {
    let delivery = Delivery {
        provider: Provider::GitHub,
        event: required(&headers, "X-GitHub-Event")?,
        delivery_id: header(&headers, "X-GitHub-Delivery"),
        credential: header(&headers, "X-Hub-Signature-256"),
        content_type: header(&headers, header::CONTENT_TYPE.as_str()),
        body: &body,
    };
    Ok(Json(state.pipelines.webhooks().receive(delivery).await?.into()))
}

/// Receives a GitLab delivery.
#[utoipa::path(
    post, path = "/api/v1/webhooks/gitlab", tag = "AnsFlow",
    params(
        ("X-Gitlab-Event" = String, Header, description = "`Push Hook`, `Tag Push Hook`, `Merge Request Hook`; others are recorded and ignored"),
        ("X-Gitlab-Token" = Option<String>, Header, description = "The pipeline's webhook secret"),
        ("Idempotency-Key" = Option<String>, Header, description = "The delivery's id (or `X-Gitlab-Event-UUID`); a verified redelivery is not run again"),
    ),
    request_body(content = Object, description = "GitLab's event payload", content_type = "application/json"),
    responses(
        (status = 200, description = "What the delivery did; runs are queued, not awaited", body = AnsFlowWebhookReceipt),
        (status = 400, description = "VALIDATION_ERROR: no event header, a payload that is not JSON or lacks what the event needs"),
        (status = 401, description = "AUTHENTICATION_ERROR: the token matches no pipeline's webhook secret; nothing runs"),
    )
)]
pub async fn gitlab(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<AnsFlowWebhookReceipt>, ApiError> {
    let delivery = Delivery {
        provider: Provider::GitLab,
        event: required(&headers, "X-Gitlab-Event")?,
        delivery_id: header(&headers, "Idempotency-Key").or_else(|| header(&headers, "X-Gitlab-Event-UUID")),
        credential: header(&headers, "X-Gitlab-Token"),
        content_type: header(&headers, header::CONTENT_TYPE.as_str()),
        body: &body,
    };
    Ok(Json(state.pipelines.webhooks().receive(delivery).await?.into()))
}

/// The delivery list's query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1–100 (default 20).
    pub page_size: Option<i64>,
    /// Only deliveries that concerned this pipeline.
    pub pipeline_id: Option<i64>,
}

/// The recorded deliveries, newest first: an administrator's every one, a user's those that concerned their
/// pipelines.
#[utoipa::path(
    get, path = "/api/v1/webhooks/deliveries", tag = "AnsFlow", security(("bearer" = [])),
    params(DeliveriesQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = AnsFlowPage<AnsFlowWebhookDelivery>),
        (status = 400, description = "VALIDATION_ERROR: a bad page or page_size"),
        (status = 401, description = "AUTHENTICATION_ERROR"),
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    CurrentUser(auth): CurrentUser,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> Result<Json<AnsFlowPage<AnsFlowWebhookDelivery>>, ApiError> {
    let paging = Paging::new(q.page, q.page_size, 20, 100)?;
    let webhooks = state.pipelines.webhooks();
    let (items, total) =
        webhooks.deliveries(&auth.principal(), q.pipeline_id, paging.offset(), paging.page_size).await?;
    let results = items.into_iter().map(AnsFlowWebhookDelivery::from).collect();
    let base = base_url(&headers, "/api/v1/webhooks/deliveries");
    Ok(Json(AnsFlowPage::new(&base, paging.page, paging.page_size, total, results)))
}
