//! Perfect21's (`000`) message table: the success texts of its own routes (the shared routes' are in
//! [`crate::surfaces::shared::messages`]) and the error `message` texts of its business-code and status tables,
//! with their English. On the shared routes Perfect21's error `message` wins the union, so these texts are
//! what `/api/auth/*` errors say there too.
//!
//! Two texts of the status table are synonyms of business codes that always carry their own text and are not
//! answered: 422 "请求数据验证失败" (every 422 is `VALIDATION_ERROR`, "数据验证错误") and 429 "请求过于频繁"
//! (every 429 is `RATE_LIMIT_EXCEEDED` or `TOO_MANY_ATTEMPTS`).

use slipway_core::Error;

pub use crate::surfaces::shared::messages::Msg;

/// `GET /api/auth/verify` 200.
pub const TOKEN_VERIFIED: Msg = Msg::new("token_verified", "令牌验证成功", "The token is valid");
/// `PUT /api/auth/profile` 200.
pub const PROFILE_UPDATED: Msg = Msg::new("profile_updated", "用户资料更新成功", "Profile updated");
/// `POST /task/async` 200 (its `output`).
pub const TASK_STARTED: Msg = Msg::new("task_started", "任务已开始异步执行", "The task is running asynchronously");

/// `POST /api/auth/verify-email` 200 (Slipway's route for the document's `verification_token`; not in
/// [`ALL`], which holds the document's texts).
pub const EMAIL_VERIFIED: Msg = Msg::new("email_verified", "邮箱验证成功", "E-mail address confirmed");
/// `GET /api/auth/admin/users` 200 (the document shows only `"string"`; not in [`ALL`]).
pub const USERS_LISTED: Msg = Msg::new("users_listed", "获取用户列表成功", "Users fetched");

/// `POST /workflow/repositories` 200 (Slipway's repository routes; not in [`ALL`]).
pub const REPOSITORY_REGISTERED: Msg = Msg::new("repository_registered", "仓库注册成功", "Repository registered");
/// `GET /workflow/repositories/{id}` 200 (not in [`ALL`]).
pub const REPOSITORY_FOUND: Msg = Msg::new("repository_found", "获取仓库成功", "Repository fetched");
/// `DELETE /workflow/repositories/{id}` 200 (not in [`ALL`]).
pub const REPOSITORY_DELETED: Msg = Msg::new("repository_deleted", "仓库已删除", "Repository removed");
/// `POST /workflow/repositories/{id}/default` 200 (not in [`ALL`]).
pub const REPOSITORY_DEFAULT: Msg = Msg::new("repository_default", "已设为默认仓库", "Repository is now the default");

/// `USER_EXISTS`.
pub const USER_EXISTS: Msg = Msg::new("user_exists", "用户名或邮箱已存在", "Username or e-mail address already exists");
/// `INVALID_CREDENTIALS`.
pub const INVALID_CREDENTIALS: Msg =
    Msg::new("invalid_credentials", "用户名或密码错误", "Incorrect username or password");
/// `ACCOUNT_INACTIVE`.
pub const ACCOUNT_INACTIVE: Msg =
    Msg::new("account_inactive", "账户未激活或已禁用", "The account is not activated or is disabled");
/// `TOO_MANY_ATTEMPTS`.
pub const TOO_MANY_ATTEMPTS: Msg = Msg::new("too_many_attempts", "登录尝试次数过多", "Too many sign-in attempts");
/// `INVALID_TOKEN`.
pub const INVALID_TOKEN: Msg =
    Msg::new("invalid_token", "访问令牌无效或已过期", "The access token is invalid or expired");
/// `INVALID_REFRESH_TOKEN`.
pub const INVALID_REFRESH_TOKEN: Msg =
    Msg::new("invalid_refresh_token", "刷新令牌无效或已过期", "The refresh token is invalid or expired");
/// `USER_INACTIVE`.
pub const USER_INACTIVE: Msg =
    Msg::new("user_inactive", "用户不存在或已被禁用", "The user does not exist or is disabled");
/// `INVALID_OLD_PASSWORD`.
pub const INVALID_OLD_PASSWORD: Msg = Msg::new("invalid_old_password", "原密码错误", "The old password is incorrect");
/// `USER_NOT_FOUND`.
pub const USER_NOT_FOUND: Msg = Msg::new("user_not_found", "用户不存在", "User not found");
/// `NO_UPDATE_DATA`.
pub const NO_UPDATE_DATA: Msg = Msg::new("no_update_data", "没有可更新的数据", "Nothing to update");
/// `RATE_LIMIT_EXCEEDED`.
pub const RATE_LIMITED: Msg = Msg::new("rate_limited", "请求频率限制", "Rate limit exceeded");
/// `VALIDATION_ERROR` (every 422).
pub const VALIDATION_ERROR: Msg = Msg::new("validation_error", "数据验证错误", "Data validation error");
/// `INTERNAL_SERVER_ERROR` (and the status table's 500).
pub const INTERNAL: Msg = Msg::new("internal", "服务器内部错误", "Internal server error");
/// The status table's 400: a body that is not JSON, a bad e-mail confirmation token.
pub const BAD_REQUEST: Msg = Msg::new("bad_request", "请求参数错误", "Invalid request parameters");
/// The status table's 401: no credentials.
pub const UNAUTHORIZED: Msg = Msg::new("unauthorized", "未授权（需要登录）", "Not authorized (sign in first)");
/// The status table's 403.
pub const FORBIDDEN: Msg = Msg::new("forbidden", "禁止访问（权限不足）", "Forbidden (permission denied)");
/// The status table's 404.
pub const NOT_FOUND: Msg = Msg::new("not_found", "资源不存在", "Resource not found");
/// The status table's 503 for a request that ran out of time (an unavailable dependency names itself).
pub const UNAVAILABLE: Msg = Msg::new("unavailable", "服务不可用", "Service unavailable");

/// Perfect21's table.
pub const ALL: &[Msg] = &[
    TOKEN_VERIFIED,
    PROFILE_UPDATED,
    TASK_STARTED,
    USER_EXISTS,
    INVALID_CREDENTIALS,
    ACCOUNT_INACTIVE,
    TOO_MANY_ATTEMPTS,
    INVALID_TOKEN,
    INVALID_REFRESH_TOKEN,
    USER_INACTIVE,
    INVALID_OLD_PASSWORD,
    USER_NOT_FOUND,
    NO_UPDATE_DATA,
    RATE_LIMITED,
    VALIDATION_ERROR,
    INTERNAL,
    BAD_REQUEST,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    UNAVAILABLE,
];

/// The `message` for `err`, when the document gives one. An unavailable dependency and an unusable
/// configuration keep their own text (it names what to configure, e.g. the LLM provider), and so does a
/// conflict, which the document does not list.
pub fn for_error(err: &Error) -> Option<Msg> {
    Some(match err {
        Error::UserExists { .. } => USER_EXISTS,
        Error::InvalidCredentials => INVALID_CREDENTIALS,
        Error::AccountInactive => ACCOUNT_INACTIVE,
        Error::TooManyAttempts { .. } => TOO_MANY_ATTEMPTS,
        Error::InvalidToken => INVALID_TOKEN,
        Error::InvalidRefreshToken => INVALID_REFRESH_TOKEN,
        Error::UserInactive => USER_INACTIVE,
        Error::InvalidOldPassword => INVALID_OLD_PASSWORD,
        Error::UserNotFound => USER_NOT_FOUND,
        Error::NoUpdateData => NO_UPDATE_DATA,
        Error::RateLimited { .. } => RATE_LIMITED,
        Error::Validation(_) => VALIDATION_ERROR,
        Error::Internal(_) => INTERNAL,
        Error::MalformedRequest(_) | Error::UnsupportedMediaType(_) | Error::VerificationCode(_) => BAD_REQUEST,
        Error::Unauthenticated => UNAUTHORIZED,
        Error::Forbidden(_) => FORBIDDEN,
        Error::NotFound(_) | Error::RouteNotFound => NOT_FOUND,
        Error::Timeout => UNAVAILABLE,
        _ => return None,
    })
}
