//! The pet planner's (`004`) message table: every `message` the document gives its routes, in success and error
//! envelopes, with its English, and the (English) `detail` texts of its error examples.
//!
//! The client-side `errorMessages` table at the end of the document (403 "资源不存在，请刷新后重试", 404
//! "用户名或邮箱已被注册", …) is the front end's own display text per status, not something the server answers,
//! so it is not here.

use slipway_core::{CodeProblem, Error, FieldError};

pub use crate::surfaces::shared::messages::Msg;

/// `POST /auth/register`, `POST /auth/verify-register` 200.
pub const REGISTERED: Msg = Msg::new("registered", "注册成功", "Registered");
/// `POST /auth/login` 200.
pub const LOGGED_IN: Msg = Msg::new("logged_in", "登录成功", "Signed in");
/// `POST /auth/refresh` 200.
pub const REFRESHED: Msg = Msg::new("refreshed", "刷新成功", "Token refreshed");
/// `GET /auth/me`, the plan and task reads 200.
pub const FETCHED: Msg = Msg::new("fetched", "获取成功", "Fetched");
/// `PUT /auth/password` 200.
pub const PASSWORD_CHANGED: Msg = Msg::new("password_changed", "密码修改成功", "Password changed");
/// `POST /auth/send-code` 200 (`code_type: register`).
pub const CODE_SENT: Msg = Msg::new("code_sent", "验证码已发送", "Verification code sent");
/// `POST /auth/verify-code` 200.
pub const VERIFIED: Msg = Msg::new("verified", "验证成功", "Verified");
/// `POST /auth/verify-code` 200, the `message` inside `data`.
pub const CODE_VALID: Msg = Msg::new("code_valid", "验证码有效", "The code is valid");
/// `POST /auth/password/send-code` 200 (and `send-code` with `code_type: password_reset`).
pub const RESET_CODE_SENT: Msg = Msg::new(
    "reset_code_sent",
    "如果该邮箱已注册，您将收到验证码",
    "If the address is registered, a verification code is on its way",
);
/// `POST /auth/password/reset` 200.
pub const PASSWORD_RESET: Msg =
    Msg::new("password_reset", "密码重置成功，请使用新密码登录", "Password reset; sign in with the new password");
/// `POST /plans/create` 200.
pub const PLAN_CREATED: Msg = Msg::new("plan_created", "饮食计划创建成功", "Diet plan created");
/// `POST /tasks/` 200.
pub const TASK_CREATED: Msg = Msg::new("task_created", "任务创建成功", "Task created");
/// `POST /tasks/{task_id}/cancel` 200 once the task has stopped.
pub const TASK_CANCELLED: Msg = Msg::new("task_cancelled", "任务已取消", "Task cancelled");
/// The general success text (the common envelope): cancellation asked for, the task not yet stopped.
pub const SUCCESS: Msg = Msg::new("success", "操作成功", "Success");
/// The `message` of the SSE `status_update` and `task_progress` events.
pub const IN_PROGRESS: Msg = Msg::new("in_progress", "任务执行中...", "Task in progress...");

/// `POST /auth/register` 404: the username is taken.
pub const USERNAME_TAKEN: Msg = Msg::new("username_taken", "用户名已存在", "Username already exists");
/// `POST /auth/register` 404: the e-mail address is taken.
pub const EMAIL_TAKEN: Msg = Msg::new("email_taken", "邮箱已被注册", "E-mail address already registered");
/// `POST /auth/login` 404.
pub const USER_NOT_FOUND: Msg = Msg::new("user_not_found", "用户不存在", "User not found");
/// `POST /auth/login` 401: wrong password.
pub const INVALID_CREDENTIALS: Msg =
    Msg::new("invalid_credentials", "用户名或密码错误", "Incorrect username or password");
/// `POST /auth/login` 401: the user is disabled.
pub const USER_DISABLED: Msg = Msg::new("user_disabled", "用户已被禁用", "The user is disabled");
/// `POST /auth/refresh` 401.
pub const TOKEN_INVALID: Msg = Msg::new("token_invalid", "Token 无效或已过期", "The token is invalid or expired");
/// `POST /plans/create` 401 (and every other route that needs a signed-in caller).
pub const NOT_SIGNED_IN: Msg = Msg::new("not_signed_in", "未认证，请重新登录", "Not signed in; please sign in again");
/// `PUT /auth/password` 401.
pub const WRONG_OLD_PASSWORD: Msg = Msg::new("wrong_old_password", "旧密码错误", "The old password is incorrect");
/// `PUT /auth/password` 400.
pub const PASSWORD_TOO_SHORT: Msg =
    Msg::new("password_too_short", "新密码必须至少 6 个字符", "The new password must be at least 6 characters");
/// `POST /auth/send-code` 429.
pub const TOO_MANY_REQUESTS: Msg =
    Msg::new("too_many_requests", "请求过于频繁，请稍后再试", "Too many requests; please try again later");
/// `POST /auth/send-code` 400.
pub const BAD_EMAIL: Msg = Msg::new("bad_email", "邮箱格式不正确", "The e-mail address is not valid");
/// `POST /auth/verify-code`, `verify-register`, `password/reset` 422.
pub const CODE_INVALID: Msg =
    Msg::new("code_invalid", "验证码错误或已过期", "The verification code is wrong or expired");
/// `POST /auth/verify-register` 422: the code was used.
pub const CODE_USED: Msg = Msg::new("code_used", "验证码已被使用", "The verification code has already been used");
/// `POST /auth/verify-register` 422: too many wrong tries.
pub const CODE_ATTEMPTS: Msg =
    Msg::new("code_attempts", "验证码尝试次数过多", "Too many attempts with this verification code");

/// `detail` of the 401s (the document's text is English).
pub const DETAIL_TOKEN: Msg = Msg::new("detail_token", "Invalid or expired token", "Invalid or expired token");
/// `detail` of the 400 for a short password.
pub const DETAIL_PASSWORD: Msg =
    Msg::new("detail_password", "Password must be at least 6 characters", "Password must be at least 6 characters");
/// `detail` of the 429.
pub const DETAIL_TOO_MANY: Msg = Msg::new(
    "detail_too_many",
    "Too many requests, please try again later",
    "Too many requests, please try again later",
);
/// `detail` of the 400 for a bad address.
pub const DETAIL_EMAIL: Msg = Msg::new("detail_email", "Invalid email format", "Invalid email format");
/// `detail` of the 422 for a used code.
pub const DETAIL_CODE_USED: Msg =
    Msg::new("detail_code_used", "Verification code has been used", "Verification code has been used");
/// `detail` of the 422 for a dead code.
pub const DETAIL_CODE_ATTEMPTS: Msg = Msg::new(
    "detail_code_attempts",
    "Too many attempts, please request a new code",
    "Too many attempts, please request a new code",
);

/// The planner's table.
pub const ALL: &[Msg] = &[
    REGISTERED,
    LOGGED_IN,
    REFRESHED,
    FETCHED,
    PASSWORD_CHANGED,
    CODE_SENT,
    VERIFIED,
    CODE_VALID,
    RESET_CODE_SENT,
    PASSWORD_RESET,
    PLAN_CREATED,
    TASK_CREATED,
    TASK_CANCELLED,
    SUCCESS,
    IN_PROGRESS,
    USERNAME_TAKEN,
    EMAIL_TAKEN,
    USER_NOT_FOUND,
    INVALID_CREDENTIALS,
    USER_DISABLED,
    TOKEN_INVALID,
    NOT_SIGNED_IN,
    WRONG_OLD_PASSWORD,
    PASSWORD_TOO_SHORT,
    TOO_MANY_REQUESTS,
    BAD_EMAIL,
    CODE_INVALID,
    CODE_USED,
    CODE_ATTEMPTS,
    DETAIL_TOKEN,
    DETAIL_PASSWORD,
    DETAIL_TOO_MANY,
    DETAIL_EMAIL,
    DETAIL_CODE_USED,
    DETAIL_CODE_ATTEMPTS,
];

/// What the planner answers for an error: its `message` and, where the document gives one, its `detail`.
pub fn for_error(err: &Error) -> Option<(Msg, Option<Msg>)> {
    Some(match err {
        Error::UserExists { field: "email" } => (EMAIL_TAKEN, None),
        Error::UserExists { .. } => (USERNAME_TAKEN, None),
        Error::UserNotFound => (USER_NOT_FOUND, None),
        Error::InvalidCredentials => (INVALID_CREDENTIALS, None),
        Error::AccountInactive => (USER_DISABLED, None),
        Error::InvalidRefreshToken => (TOKEN_INVALID, Some(DETAIL_TOKEN)),
        Error::Unauthenticated | Error::InvalidToken | Error::UserInactive => (NOT_SIGNED_IN, Some(DETAIL_TOKEN)),
        Error::InvalidOldPassword => (WRONG_OLD_PASSWORD, None),
        Error::RateLimited { .. } | Error::TooManyAttempts { .. } => (TOO_MANY_REQUESTS, Some(DETAIL_TOO_MANY)),
        Error::VerificationCode(CodeProblem::Invalid) => (CODE_INVALID, None),
        Error::VerificationCode(CodeProblem::Used) => (CODE_USED, Some(DETAIL_CODE_USED)),
        Error::VerificationCode(CodeProblem::TooManyAttempts) => (CODE_ATTEMPTS, Some(DETAIL_CODE_ATTEMPTS)),
        _ => return None,
    })
}

/// Whether the planner's handlers check this field themselves, so a bad value is a 400 (the document shows
/// "邮箱格式不正确" and "新密码必须至少 6 个字符" as 400s); what its request models refuse is a 422, as FastAPI
/// answers: missing fields, wrong types, a username off its pattern, an unknown `code_type`, bad paging.
pub fn handler_checked(f: &FieldError) -> bool {
    matches!(f.kind.as_str(), "value_error.email" | "value_error.password")
}

/// The `message` and `detail` the document gives a field its handlers check, when it gives one (its password
/// text names the documented minimum of 6, so a password refused for another reason gets none).
pub fn for_field(f: &FieldError) -> Option<(Msg, Msg)> {
    match f.kind.as_str() {
        "value_error.email" => Some((BAD_EMAIL, DETAIL_EMAIL)),
        "value_error.password" if f.msg.ends_with("at least 6 characters") => {
            Some((PASSWORD_TOO_SHORT, DETAIL_PASSWORD))
        }
        _ => None,
    }
}
