//! qoder's response bodies: its `{code, message, data}` envelope, its page and its view of users.

use axum::Json;
use axum::http::StatusCode;
use serde::Serialize;
use slipway_core::Role;
use slipway_core::time::rfc3339;
use slipway_identity::User;
use utoipa::ToSchema;

use crate::surfaces::paging::Paging;

/// qoder's success envelope: `code` repeats the HTTP status, `data` carries the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderReply<T> {
    /// The HTTP status of the answer, repeated.
    pub code: u16,
    /// What happened, in the caller's language (the document's text).
    pub message: &'static str,
    /// The answer itself.
    pub data: T,
}

/// qoder's envelope of an answer without data (deletes): `{code, message}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderDone {
    /// The HTTP status of the answer, repeated.
    pub code: u16,
    /// What happened, in the caller's language (the document's text).
    pub message: &'static str,
}

/// One page of a qoder list: `{list, total, page, page_size}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderPage<T> {
    /// The items of this page.
    pub list: Vec<T>,
    /// How many items match, over all pages.
    pub total: i64,
    /// This page's number, from 1.
    pub page: i64,
    /// Items per page asked for.
    pub page_size: i64,
}

impl<T> QoderPage<T> {
    /// The page `paging` asked for, holding `list` out of `total` matches.
    pub fn new(list: Vec<T>, total: i64, paging: Paging) -> Self {
        Self { list, total, page: paging.page, page_size: paging.page_size }
    }
}

/// A user as qoder shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QoderUser {
    /// The user's id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// `user` or `admin`.
    #[schema(value_type = String)]
    pub role: Role,
    /// 1 when the account may sign in, 0 when it is disabled.
    pub status: i32,
    /// When the account was created (RFC 3339).
    pub created_at: String,
}

impl From<&User> for QoderUser {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            email: u.email.clone(),
            role: u.role,
            status: i32::from(u.is_active),
            created_at: rfc3339(u.created_at),
        }
    }
}

/// A user as qoder shows it (the shared login and profile routes embed it).
pub fn user(u: &User) -> QoderUser {
    QoderUser::from(u)
}

/// A successful qoder answer carrying `data`: HTTP status and `code` agree.
pub fn ok<T>(status: StatusCode, message: &'static str, data: T) -> (StatusCode, Json<QoderReply<T>>) {
    (status, Json(QoderReply { code: status.as_u16(), message, data }))
}

/// A successful qoder answer without data: HTTP status and `code` agree.
pub fn done(status: StatusCode, message: &'static str) -> (StatusCode, Json<QoderDone>) {
    (status, Json(QoderDone { code: status.as_u16(), message }))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;

    fn ann() -> User {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).single().expect("a valid time");
        User {
            id: 7,
            username: "ann".into(),
            email: "ann@example.com".into(),
            role: Role::Admin,
            full_name: "Ann Lee".into(),
            is_active: false,
            email_verified: true,
            created_at: at,
            updated_at: at,
            last_login_at: None,
        }
    }

    #[test]
    fn the_envelope_and_the_user_render_as_the_document_shows_them() {
        let (status, Json(reply)) = ok(StatusCode::CREATED, "用户创建成功", user(&ann()));
        assert_eq!(status, StatusCode::CREATED);
        let body = serde_json::to_string(&reply).expect("serializable");
        let expected = json!({"code": 201, "message": "用户创建成功", "data": {
            "id": 7, "username": "ann", "email": "ann@example.com", "role": "admin", "status": 0,
            "created_at": "2026-01-02T03:04:05Z",
        }});
        assert_eq!(body, expected.to_string(), "same keys, same order");
        let (_, Json(bare)) = done(StatusCode::OK, "删除成功");
        assert_eq!(serde_json::to_value(bare).expect("serializable"), json!({"code": 200, "message": "删除成功"}));
    }

    #[test]
    fn a_page_names_its_paging() {
        let p = QoderPage::new(vec![1, 2], 5, Paging { page: 2, page_size: 2 });
        let body = serde_json::to_string(&p).expect("serializable");
        assert_eq!(body, json!({"list": [1, 2], "total": 5, "page": 2, "page_size": 2}).to_string());
    }
}
