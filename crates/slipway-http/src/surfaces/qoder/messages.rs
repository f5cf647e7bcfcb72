//! qoder's (`003`) message table: every `message` the document gives, in success and error envelopes, with its
//! English. Error texts belong to routes (the document lists them per route and status), so errors are looked
//! up by method, path template and the kind of error.

use slipway_core::Error;

use crate::contract::template_matches;
pub use crate::surfaces::shared::messages::Msg;

/// `POST /api/auth/login` 200.
pub const LOGGED_IN: Msg = Msg::new("logged_in", "登录成功", "Signed in");
/// `POST /api/auth/refresh` 200.
pub const REFRESHED: Msg = Msg::new("refreshed", "刷新成功", "Token refreshed");
/// `GET /api/auth/profile`, `GET /api/users`, `GET /api/users/{id}` 200 (and the other reads).
pub const FETCHED: Msg = Msg::new("fetched", "获取成功", "Fetched");
/// `POST /api/auth/logout` 200.
pub const LOGGED_OUT: Msg = Msg::new("logged_out", "登出成功", "Signed out");
/// `POST /api/users` 201.
pub const USER_CREATED: Msg = Msg::new("user_created", "用户创建成功", "User created");
/// `PUT /api/users/{id}` 200 (and the other updates).
pub const UPDATED: Msg = Msg::new("updated", "更新成功", "Updated");
/// `DELETE /api/users/{id}` 200 (and the other deletes).
pub const DELETED: Msg = Msg::new("deleted", "删除成功", "Deleted");
/// `GET /api/tasks` 200 (the document's text is English).
pub const TASKS_LIST: Msg = Msg::new("tasks_list", "tasks list", "tasks list");
/// `POST /api/tasks` 200 (the document's text is English).
pub const TASK_CREATED: Msg = Msg::new("task_created", "create task", "create task");
/// `GET /api/servers` 200 (the document's text is English).
pub const SERVERS_LIST: Msg = Msg::new("servers_list", "servers list", "servers list");
/// `POST /api/servers` 200 (the document's text is English).
pub const SERVER_CREATED: Msg = Msg::new("server_created", "create server", "create server");
/// `GET /api/deployments` 200 (the document's text is English).
pub const DEPLOYMENTS_LIST: Msg = Msg::new("deployments_list", "deployments list", "deployments list");
/// `POST /api/deployments` 200 (the document's text is English).
pub const DEPLOYMENT_CREATED: Msg = Msg::new("deployment_created", "create deployment", "create deployment");
/// `POST /api/monitor/servers` 200.
pub const MONITOR_ADDED: Msg = Msg::new("monitor_added", "添加监控成功", "Server added to monitoring");
/// `DELETE /api/monitor/servers/{id}` 200.
pub const MONITOR_REMOVED: Msg = Msg::new("monitor_removed", "移除监控成功", "Server removed from monitoring");
/// `POST /api/monitor/alert-rules` 200 (beyond the document).
pub const ALERT_RULE_CREATED: Msg = Msg::new("alert_rule_created", "创建告警规则成功", "Alert rule created");
/// `GET /api/monitor/servers/{id}/metrics` 404, `GET /api/monitor/stats` and `/dashboard` 500.
pub const FETCH_FAILED: Msg = Msg::new("fetch_failed", "获取失败", "Could not fetch it");
/// The general success text (the common envelope), for routes the document does not show.
pub const SUCCESS: Msg = Msg::new("success", "操作成功", "Success");
/// `POST /api/auth/login`, `POST /api/auth/refresh` 400.
pub const BAD_REQUEST: Msg = Msg::new("bad_request", "请求参数错误", "Invalid request parameters");
/// `POST /api/auth/login` 401.
pub const INVALID_CREDENTIALS: Msg =
    Msg::new("invalid_credentials", "用户名或密码错误", "Incorrect username or password");
/// `POST /api/auth/login` 500.
pub const TOKEN_FAILED: Msg = Msg::new("token_failed", "令牌生成失败", "Could not issue the tokens");
/// `POST /api/auth/refresh` 401.
pub const REFRESH_INVALID: Msg =
    Msg::new("refresh_invalid", "刷新令牌无效或已过期", "The refresh token is invalid or expired");
/// `GET /api/auth/profile` 401.
pub const NOT_SIGNED_IN_OR_BAD_TOKEN: Msg =
    Msg::new("not_signed_in_or_bad_token", "用户未认证或令牌无效", "Not signed in, or the token is invalid");
/// `POST /api/auth/logout` 401 (and any other 401 without credentials).
pub const NOT_SIGNED_IN: Msg = Msg::new("not_signed_in", "用户未认证", "Not signed in");
/// `GET /api/auth/profile`, `GET /api/users/{id}`, `PUT /api/users/{id}` 404.
pub const USER_NOT_FOUND: Msg = Msg::new("user_not_found", "用户不存在", "User not found");
/// `GET /api/users` 400.
pub const BAD_PARAMS: Msg = Msg::new("bad_params", "参数错误", "Invalid parameters");
/// `GET /api/users` 500.
pub const QUERY_FAILED: Msg = Msg::new("query_failed", "查询失败", "The query failed");
/// `GET /api/users/{id}` 400.
pub const BAD_ID: Msg = Msg::new("bad_id", "ID无效", "Invalid id");
/// `POST /api/users` 400.
pub const BAD_PARAMS_OR_TAKEN: Msg = Msg::new(
    "bad_params_or_taken",
    "参数错误或用户名/邮箱已存在",
    "Invalid parameters, or the username or e-mail address is taken",
);
/// `PUT /api/users/{id}` 400.
pub const BAD_PARAMS_OR_NO_USER: Msg =
    Msg::new("bad_params_or_no_user", "参数错误或用户不存在", "Invalid parameters, or no such user");
/// `DELETE /api/users/{id}` 400.
pub const BAD_ID_OR_NO_USER: Msg = Msg::new("bad_id_or_no_user", "ID无效或用户不存在", "Invalid id, or no such user");

/// qoder's table.
pub const ALL: &[Msg] = &[
    LOGGED_IN,
    REFRESHED,
    FETCHED,
    LOGGED_OUT,
    USER_CREATED,
    UPDATED,
    DELETED,
    TASKS_LIST,
    TASK_CREATED,
    SERVERS_LIST,
    SERVER_CREATED,
    DEPLOYMENTS_LIST,
    DEPLOYMENT_CREATED,
    MONITOR_ADDED,
    MONITOR_REMOVED,
    FETCH_FAILED,
    SUCCESS,
    BAD_REQUEST,
    INVALID_CREDENTIALS,
    TOKEN_FAILED,
    REFRESH_INVALID,
    NOT_SIGNED_IN_OR_BAD_TOKEN,
    NOT_SIGNED_IN,
    USER_NOT_FOUND,
    BAD_PARAMS,
    QUERY_FAILED,
    BAD_ID,
    BAD_PARAMS_OR_TAKEN,
    BAD_PARAMS_OR_NO_USER,
    BAD_ID_OR_NO_USER,
];

/// Texts Slipway adds where the document gives none (routes beyond it: alert rules), with their English.
pub const ADDED: &[Msg] = &[ALERT_RULE_CREATED];

/// The kinds of error the document tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Fields, body or id the route cannot use.
    BadInput,
    /// The username or e-mail address is taken.
    Taken,
    /// The thing asked for does not exist.
    Missing,
    /// Wrong username or password.
    Credentials,
    /// A refresh token that does not work.
    Refresh,
    /// No credentials.
    Anonymous,
    /// Credentials that do not work.
    BadToken,
    /// The server failed.
    Internal,
}

fn kind(err: &Error) -> Option<Kind> {
    Some(match err {
        Error::Validation(_) | Error::MalformedRequest(_) | Error::UnsupportedMediaType(_) | Error::NoUpdateData => {
            Kind::BadInput
        }
        Error::UserExists { .. } => Kind::Taken,
        Error::NotFound(_) | Error::UserNotFound => Kind::Missing,
        Error::InvalidCredentials => Kind::Credentials,
        Error::InvalidRefreshToken => Kind::Refresh,
        Error::Unauthenticated => Kind::Anonymous,
        Error::InvalidToken | Error::UserInactive => Kind::BadToken,
        Error::Internal(_) => Kind::Internal,
        _ => return None,
    })
}

use Kind::{Anonymous, BadInput, BadToken, Credentials, Internal, Missing, Refresh, Taken};

/// The document's error texts: method, path template, kinds of error, text.
const ROUTE_ERRORS: &[(&str, &str, &[Kind], Msg)] = &[
    ("POST", "/api/auth/login", &[BadInput], BAD_REQUEST),
    ("POST", "/api/auth/login", &[Credentials], INVALID_CREDENTIALS),
    ("POST", "/api/auth/login", &[Internal], TOKEN_FAILED),
    ("POST", "/api/auth/refresh", &[BadInput], BAD_REQUEST),
    ("POST", "/api/auth/refresh", &[Refresh], REFRESH_INVALID),
    ("GET", "/api/auth/profile", &[Anonymous, BadToken], NOT_SIGNED_IN_OR_BAD_TOKEN),
    ("GET", "/api/auth/profile", &[Missing], USER_NOT_FOUND),
    ("POST", "/api/auth/logout", &[Anonymous, BadToken], NOT_SIGNED_IN),
    ("GET", "/api/users", &[BadInput], BAD_PARAMS),
    ("GET", "/api/users", &[Internal], QUERY_FAILED),
    ("GET", "/api/users/{id}", &[BadInput], BAD_ID),
    ("GET", "/api/users/{id}", &[Missing], USER_NOT_FOUND),
    ("POST", "/api/users", &[BadInput, Taken], BAD_PARAMS_OR_TAKEN),
    ("PUT", "/api/users/{id}", &[BadInput], BAD_PARAMS_OR_NO_USER),
    ("PUT", "/api/users/{id}", &[Missing], USER_NOT_FOUND),
    ("DELETE", "/api/users/{id}", &[BadInput, Missing], BAD_ID_OR_NO_USER),
    ("POST", "/api/monitor/servers", &[BadInput], BAD_PARAMS),
    ("DELETE", "/api/monitor/servers/{id}", &[BadInput], BAD_ID),
    ("GET", "/api/monitor/servers/{id}/metrics", &[BadInput], BAD_ID),
    ("GET", "/api/monitor/servers/{id}/metrics", &[Missing], FETCH_FAILED),
    ("GET", "/api/monitor/servers/{id}/status", &[BadInput], BAD_ID),
    ("GET", "/api/monitor/servers/{id}/status", &[Internal], FETCH_FAILED),
    ("GET", "/api/monitor/stats", &[Internal], FETCH_FAILED),
    ("GET", "/api/monitor/dashboard", &[Internal], FETCH_FAILED),
];

/// The `message` for `err` on `method path`: the document's text for that route, else its general text for
/// the kind of error, else `None` (the error's own words).
pub fn for_error(method: &str, path: &str, err: &Error) -> Option<Msg> {
    let kind = kind(err)?;
    let on_route = ROUTE_ERRORS
        .iter()
        .find(|(m, template, kinds, _)| *m == method && template_matches(template, path) && kinds.contains(&kind))
        .map(|(_, _, _, msg)| *msg);
    on_route.or(match kind {
        Anonymous => Some(NOT_SIGNED_IN),
        BadToken => Some(NOT_SIGNED_IN_OR_BAD_TOKEN),
        Credentials => Some(INVALID_CREDENTIALS),
        Refresh => Some(REFRESH_INVALID),
        _ => None,
    })
}
