//! AnsFlow's (`002`) message table: the document's `error.message` texts by error code and its field texts in
//! `error.details`, with their English.

use slipway_core::{Error, FieldError};

pub use crate::surfaces::shared::messages::Msg;

/// `VALIDATION_ERROR` (the document's error example).
pub const VALIDATION_FAILED: Msg = Msg::new("validation_failed", "请求数据验证失败", "Request data validation failed");
/// A missing or blank field in `details` (the document's error example).
pub const FIELD_BLANK: Msg = Msg::new("field_blank", "此字段不能为空", "This field may not be blank.");
/// An invalid e-mail address in `details` (the document's error example).
pub const FIELD_EMAIL: Msg = Msg::new("field_email", "请输入有效的邮箱地址", "Enter a valid email address.");
/// `AUTHENTICATION_ERROR` (the error-code table).
pub const AUTH_FAILED: Msg = Msg::new("auth_failed", "认证失败", "Authentication failed");
/// 401 for a bad token (the status table).
pub const TOKEN_INVALID: Msg = Msg::new("token_invalid", "Token 无效或过期", "Token is invalid or expired");
/// `PERMISSION_DENIED` (the error-code table).
pub const PERMISSION_DENIED: Msg = Msg::new("permission_denied", "权限不足", "Permission denied");
/// `RESOURCE_NOT_FOUND` (the error-code table).
pub const NOT_FOUND: Msg = Msg::new("not_found", "资源不存在", "Resource not found");
/// `RESOURCE_CONFLICT` (the error-code table).
pub const CONFLICT: Msg = Msg::new("conflict", "资源冲突", "Resource conflict");
/// `RATE_LIMIT_EXCEEDED` (the error-code table).
pub const RATE_LIMITED: Msg = Msg::new("rate_limited", "请求频率超限", "Rate limit exceeded");
/// `INTERNAL_ERROR` (the error-code table).
pub const INTERNAL: Msg = Msg::new("internal", "内部服务器错误", "Internal server error");

/// AnsFlow's table.
pub const ALL: &[Msg] = &[
    VALIDATION_FAILED,
    FIELD_BLANK,
    FIELD_EMAIL,
    AUTH_FAILED,
    TOKEN_INVALID,
    PERMISSION_DENIED,
    NOT_FOUND,
    CONFLICT,
    RATE_LIMITED,
    INTERNAL,
];

/// The `error.message` for `err` with AnsFlow code `code`, when the document gives one.
pub fn for_error(err: &Error, code: &str) -> Option<Msg> {
    if matches!(err, Error::InvalidToken | Error::InvalidRefreshToken) {
        return Some(TOKEN_INVALID);
    }
    Some(match code {
        "VALIDATION_ERROR" => VALIDATION_FAILED,
        "AUTHENTICATION_ERROR" => AUTH_FAILED,
        "PERMISSION_DENIED" => PERMISSION_DENIED,
        "RESOURCE_NOT_FOUND" => NOT_FOUND,
        "RESOURCE_CONFLICT" => CONFLICT,
        "RATE_LIMIT_EXCEEDED" => RATE_LIMITED,
        "INTERNAL_ERROR" => INTERNAL,
        _ => return None,
    })
}

/// The text of one field's entry in `details`, when the document gives one.
pub fn for_field(f: &FieldError) -> Option<Msg> {
    match f.kind.as_str() {
        "missing" => Some(FIELD_BLANK),
        "value_error.email" => Some(FIELD_EMAIL),
        _ => None,
    }
}
