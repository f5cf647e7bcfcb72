//! ResoftAI's (`001`) message table: every text the document gives, in success and error bodies, with its
//! English. Where the document attaches a text to an error, `detail` carries exactly that text.

use slipway_core::{Error, FieldError, WorkflowProblem};

pub use crate::surfaces::shared::messages::Msg;

/// `POST /api/auth/change-password` 200 (`{"message": …}`, shadowed by Perfect21's in the union).
pub const PASSWORD_CHANGED: Msg =
    Msg::new("password_changed", "Password changed successfully", "Password changed successfully");
/// `POST /api/auth/register` 400.
pub const USER_EXISTS: Msg = Msg::new("user_exists", "用户名或邮箱已存在", "Username or e-mail address already exists");
/// `POST /api/auth/register` 422 (the `msg` of the password's entry in `detail`).
pub const WEAK_PASSWORD: Msg = Msg::new("weak_password", "密码强度不足", "Password is not strong enough");
/// `POST /api/auth/login` 401.
pub const INVALID_CREDENTIALS: Msg =
    Msg::new("invalid_credentials", "用户名或密码错误", "Incorrect username or password");
/// `POST /api/auth/login` 403.
pub const ACCOUNT_DISABLED: Msg = Msg::new("account_disabled", "账户已被禁用", "The account is disabled");
/// `POST /api/auth/change-password` 401.
pub const WRONG_CURRENT_PASSWORD: Msg =
    Msg::new("wrong_current_password", "当前密码错误", "The current password is incorrect");
/// `POST /api/auth/change-password` 422 (the `msg` of the new password's entry in `detail`).
pub const WEAK_NEW_PASSWORD: Msg =
    Msg::new("weak_new_password", "新密码不符合安全要求", "The new password does not meet the security requirements");
/// `POST /api/llm-configs/{config_id}/test` 400 (`LLM_002`).
pub const CONFIG_INVALID: Msg = Msg::new("config_invalid", "配置无效", "The configuration is invalid");
/// `POST /api/llm-configs/{config_id}/test` 503 (`LLM_001`).
pub const LLM_UNAVAILABLE: Msg = Msg::new("llm_unavailable", "LLM服务不可用", "The LLM service is unavailable");
/// 401 for a bad token (the status table: "Token 无效或过期"; `AUTH_002`).
pub const TOKEN_INVALID: Msg = Msg::new("token_invalid", "Token 无效或过期", "The token is invalid or expired");
/// 401 without credentials (appendix D, `AUTH_001`).
pub const AUTH_FAILED: Msg = Msg::new("auth_failed", "认证失败", "Not authenticated");
/// 403 (appendix D, `AUTH_003`).
pub const FORBIDDEN: Msg = Msg::new("forbidden", "权限不足", "Permission denied");
/// 404 (the status table).
pub const NOT_FOUND: Msg = Msg::new("not_found", "资源不存在", "Resource not found");
/// 429, with `{secs}` for the wait (the document's own example is English).
pub const RATE_LIMITED: Msg = Msg::new(
    "rate_limited",
    "Rate limit exceeded. Try again in {secs} seconds.",
    "Rate limit exceeded. Try again in {secs} seconds.",
);
/// 500 (the status table).
pub const INTERNAL: Msg = Msg::new("internal", "内部错误", "Internal server error");
/// 503 (the status table).
pub const UNAVAILABLE: Msg = Msg::new("unavailable", "服务暂时不可用", "The service is temporarily unavailable");
/// The `msg` of an invalid e-mail address in `detail` (the document's validation example).
pub const INVALID_EMAIL: Msg =
    Msg::new("invalid_email", "value is not a valid email address", "value is not a valid email address");

/// 404 `PROJ_001` (appendix D).
pub const PROJECT_NOT_FOUND: Msg = Msg::new("project_not_found", "项目不存在", "Project not found");
/// 400 `PROJ_002` (appendix D; `POST /api/projects/{id}/execute` "项目已在运行").
pub const PROJECT_RUNNING: Msg = Msg::new("project_running", "项目已在运行", "The project is already running");
/// 403 `PROJ_003` (appendix D; `POST /api/projects` "配额已满").
pub const QUOTA_FULL: Msg = Msg::new("quota_full", "配额已满", "Quota exceeded");
/// 413 `FILE_001` (`POST /api/files` "文件超过最大限制"); the file routes only.
pub const FILE_TOO_LARGE: Msg = Msg::new("file_too_large", "文件超过最大限制", "The file exceeds the maximum size");
/// 400 `FILE_002` (appendix D "文件类型不支持").
pub const FILE_TYPE: Msg = Msg::new("file_type", "文件类型不支持", "The file type is not supported");
/// 400 `WORKFLOW_001` for `PUT /api/projects/{id}` on a project that ran ("只能更新状态为 pending 的项目").
pub const NOT_PENDING: Msg =
    Msg::new("not_pending", "只能更新状态为 pending 的项目", "Only projects in status pending can be updated");
/// 400 `WORKFLOW_001` for deleting a running project.
pub const STOP_FIRST: Msg =
    Msg::new("stop_first", "项目正在运行，请先停止工作流", "The project is running; stop its workflow first");
/// 400 `WORKFLOW_001` for stopping a project that is not running.
pub const NOT_RUNNING: Msg = Msg::new("not_running", "工作流未在运行", "The workflow is not running");
/// 400 `WORKFLOW_001` for resuming without a checkpoint.
pub const NOTHING_TO_RESUME: Msg =
    Msg::new("nothing_to_resume", "没有可恢复的检查点", "There is no checkpoint to resume from");
/// 409 for a slug another organization has.
pub const SLUG_TAKEN: Msg = Msg::new("slug_taken", "组织标识已被使用", "The organization slug is already taken");
/// 409 for a team name the organization already has.
pub const TEAM_NAME_TAKEN: Msg =
    Msg::new("team_name_taken", "团队名称已存在", "The organization has a team of this name");
/// 409 for adding a member twice.
pub const ALREADY_MEMBER: Msg =
    Msg::new("already_member", "用户已是团队成员", "The user is already a member of the team");
/// 409 for removing or demoting a team's last owner.
pub const LAST_OWNER: Msg = Msg::new("last_owner", "团队至少需要保留一名所有者", "A team must keep at least one owner");

/// ResoftAI's table.
pub const ALL: &[Msg] = &[
    PASSWORD_CHANGED,
    USER_EXISTS,
    WEAK_PASSWORD,
    INVALID_CREDENTIALS,
    ACCOUNT_DISABLED,
    WRONG_CURRENT_PASSWORD,
    WEAK_NEW_PASSWORD,
    CONFIG_INVALID,
    LLM_UNAVAILABLE,
    TOKEN_INVALID,
    AUTH_FAILED,
    FORBIDDEN,
    NOT_FOUND,
    RATE_LIMITED,
    INTERNAL,
    UNAVAILABLE,
    INVALID_EMAIL,
    PROJECT_NOT_FOUND,
    PROJECT_RUNNING,
    QUOTA_FULL,
    FILE_TOO_LARGE,
    FILE_TYPE,
    NOT_PENDING,
];

/// Texts Slipway adds where the document gives none (why a workflow cannot do what was asked), with their
/// English.
pub const ADDED: &[Msg] =
    &[STOP_FIRST, NOT_RUNNING, NOTHING_TO_RESUME, SLUG_TAKEN, TEAM_NAME_TAKEN, ALREADY_MEMBER, LAST_OWNER];

/// The text `detail` carries for `err`, when the document gives one.
pub fn for_error(err: &Error) -> Option<Msg> {
    Some(match err {
        Error::UserExists { .. } => USER_EXISTS,
        Error::ProjectNotFound(_) => PROJECT_NOT_FOUND,
        Error::Workflow(WorkflowProblem::AlreadyRunning) => PROJECT_RUNNING,
        Error::Workflow(WorkflowProblem::NotPending) => NOT_PENDING,
        Error::Workflow(WorkflowProblem::Running) => STOP_FIRST,
        Error::Workflow(WorkflowProblem::NotRunning) => NOT_RUNNING,
        Error::Workflow(WorkflowProblem::NothingToResume) => NOTHING_TO_RESUME,
        Error::QuotaExceeded(_) => QUOTA_FULL,
        Error::Conflict(m) => return conflict(m),
        Error::PayloadTooLarge { .. } => FILE_TOO_LARGE,
        Error::UnsupportedFileType(_) => FILE_TYPE,
        Error::InvalidCredentials => INVALID_CREDENTIALS,
        Error::AccountInactive => ACCOUNT_DISABLED,
        Error::InvalidOldPassword => WRONG_CURRENT_PASSWORD,
        Error::InvalidConfiguration(_) => CONFIG_INVALID,
        e if slipway_llm::is_llm_failure(e) => LLM_UNAVAILABLE,
        Error::InvalidToken | Error::InvalidRefreshToken => TOKEN_INVALID,
        Error::Unauthenticated | Error::UserInactive => AUTH_FAILED,
        Error::Forbidden(_) => FORBIDDEN,
        Error::NotFound(_) | Error::RouteNotFound | Error::UserNotFound => NOT_FOUND,
        Error::RateLimited { .. } => RATE_LIMITED,
        Error::Internal(_) => INTERNAL,
        Error::Unavailable(_) | Error::Timeout => UNAVAILABLE,
        _ => return None,
    })
}

/// The text of an organization's or a team's conflict.
fn conflict(m: &str) -> Option<Msg> {
    use slipway_identity::organizations as orgs;
    Some(match m {
        orgs::SLUG_TAKEN => SLUG_TAKEN,
        orgs::TEAM_NAME_TAKEN => TEAM_NAME_TAKEN,
        orgs::ALREADY_MEMBER => ALREADY_MEMBER,
        orgs::LAST_OWNER => LAST_OWNER,
        _ => return None,
    })
}

/// The `msg` of one entry of a validation `detail`, when the document gives one.
pub fn for_field(f: &FieldError) -> Option<Msg> {
    match (f.kind.as_str(), f.field().as_str()) {
        ("value_error.password", "new_password") => Some(WEAK_NEW_PASSWORD),
        ("value_error.password", _) => Some(WEAK_PASSWORD),
        ("value_error.email", _) => Some(INVALID_EMAIL),
        _ => None,
    }
}
