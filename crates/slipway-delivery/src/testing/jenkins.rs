//! [`LocalJenkins`]: a real HTTP server on `127.0.0.1:0` that speaks the part of Jenkins' remote API Slipway
//! uses, the way Jenkins does: basic authentication (`401` with `WWW-Authenticate`), a crumb issuer whose crumb
//! is valid only with the `JSESSIONID` cookie it set (`403 No valid crumb` otherwise) for password sign-ins,
//! folders (`/job/a/job/b/`), `build` and `buildWithParameters` (form bodies, recorded), queue items that get an
//! executable after a delay (answered `201 Created`, or `302 Found` in legacy mode, with a `Location`), builds
//! whose console grows over time through `logText/progressiveText` (`X-Text-Size`, `X-More-Data`), `stop`,
//! `queue/cancelItem`, and `404` for unknown jobs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

/// The cookie the crumb issuer sets (Jenkins names it `JSESSIONID.<instance hash>`).
pub const SESSION_COOKIE: &str = "JSESSIONID.5c1b2e7d";
/// What Jenkins percent-encodes in a job name inside a URL (`Util.rawEncode`: all but unreserved characters).
const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// The header the crumb travels in.
pub const CRUMB_FIELD: &str = "Jenkins-Crumb";

/// What one job does when it builds.
#[derive(Debug, Clone)]
pub struct JobScript {
    /// The whole console text the build writes.
    pub console: String,
    /// The build's result once the console is written (`SUCCESS`, `FAILURE`, `UNSTABLE`).
    pub result: String,
    /// Bytes of console revealed per tick (so lines arrive split across reads).
    pub chunk: usize,
    /// How often another chunk appears.
    pub tick: Duration,
}

impl JobScript {
    /// A build that writes `console` seven bytes every 15 ms and ends with `result`.
    pub fn new(console: &str, result: &str) -> Self {
        Self { console: console.to_owned(), result: result.to_owned(), chunk: 7, tick: Duration::from_millis(15) }
    }
}

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct JenkinsConfig {
    /// The Jenkins user.
    pub username: String,
    /// Its API token (no crumb needed, as on Jenkins 2.96+).
    pub api_token: String,
    /// Its password (POSTs need a crumb bound to the session).
    pub password: String,
    /// How long a queue item waits before it gets an executable.
    pub queue_delay: Duration,
    /// Answer a build request `302 Found` (older Jenkins) instead of `201 Created`.
    pub legacy_302: bool,
    /// Demand a crumb from API-token sign-ins too (a Jenkins with the token exemption off).
    pub crumb_for_tokens: bool,
    /// Jobs the user may see but not build (`403`).
    pub forbidden_jobs: Vec<String>,
}

impl Default for JenkinsConfig {
    fn default() -> Self {
        Self {
            username: "deployer".into(),
            api_token: "11aa22bb33cc44dd55ee66ff77889900".into(),
            password: "hunter2-password".into(),
            queue_delay: Duration::from_millis(60),
            legacy_302: false,
            crumb_for_tokens: false,
            forbidden_jobs: Vec::new(),
        }
    }
}

/// A build request the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// The job, as `a/b`.
    pub job: String,
    /// The form parameters, in the order sent.
    pub parameters: Vec<(String, String)>,
    /// Whether it came to `buildWithParameters` (else `build`).
    pub with_parameters: bool,
    /// The queue item it made.
    pub queue_id: u64,
}

#[derive(Debug)]
struct QueueItem {
    job: String,
    created: Instant,
    cancelled: bool,
    build: Option<u64>,
}

#[derive(Debug)]
struct Build {
    started: Instant,
    script: JobScript,
    aborted_at: Option<usize>,
}

impl Build {
    fn revealed(&self) -> usize {
        if let Some(n) = self.aborted_at {
            return n;
        }
        let ticks = self.started.elapsed().as_millis() / self.script.tick.as_millis().max(1);
        usize::try_from(ticks).unwrap_or(usize::MAX).saturating_mul(self.script.chunk).min(self.script.console.len())
    }

    fn text(&self) -> String {
        let mut text = self.script.console.clone();
        if let Some(n) = self.aborted_at {
            text.truncate(n);
            text.push_str("Aborted by deployer\nFinished: ABORTED\n");
        }
        text
    }

    fn building(&self) -> bool {
        self.aborted_at.is_none() && self.revealed() < self.script.console.len()
    }

    fn result(&self) -> Option<&str> {
        if self.aborted_at.is_some() {
            Some("ABORTED")
        } else if self.building() {
            None
        } else {
            Some(&self.script.result)
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    jobs: HashMap<String, JobScript>,
    queue: HashMap<u64, QueueItem>,
    builds: HashMap<(String, u64), Build>,
    next_build: HashMap<String, u64>,
    next_queue: u64,
    sessions: HashMap<String, String>,
    triggers: Vec<Trigger>,
    stopped: Vec<(String, u64)>,
    cancelled_items: Vec<u64>,
    crumbs_issued: usize,
}

struct Shared {
    config: JenkinsConfig,
    addr: SocketAddr,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A local Jenkins for tests; it stops when dropped.
pub struct LocalJenkins {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LocalJenkins {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LocalJenkins {
    /// Starts a server on `127.0.0.1:0` behaving as `config` says.
    pub async fn start(config: JenkinsConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared { config, addr, inner: Mutex::new(Inner { next_queue: 1, ..Inner::default() }) });
        let app = Router::new().fallback(handle).with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { shared, task })
    }

    /// The server's base URL, with a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}/", self.shared.addr)
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &JenkinsConfig {
        &self.shared.config
    }

    /// Defines job `path` (`a/b` for job `b` in folder `a`).
    pub fn add_job(&self, path: &str, script: JobScript) {
        self.shared.lock().jobs.insert(path.to_owned(), script);
    }

    /// Every build request accepted, in order.
    pub fn triggers(&self) -> Vec<Trigger> {
        self.shared.lock().triggers.clone()
    }

    /// Builds stopped through `…/stop`, as (job, number).
    pub fn stopped(&self) -> Vec<(String, u64)> {
        self.shared.lock().stopped.clone()
    }

    /// Queue items cancelled through `queue/cancelItem`.
    pub fn cancelled_items(&self) -> Vec<u64> {
        self.shared.lock().cancelled_items.clone()
    }

    /// How many crumbs the issuer handed out.
    pub fn crumbs_issued(&self) -> usize {
        self.shared.lock().crumbs_issued
    }

    /// Cancels queue item `id` from Jenkins' side (as a person in its UI would).
    pub fn cancel_from_jenkins(&self, id: u64) {
        if let Some(item) = self.shared.lock().queue.get_mut(&id) {
            item.cancelled = true;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    Token,
    Password,
}

fn text(status: StatusCode, body: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html;charset=utf-8")], body.to_owned()).into_response()
}

fn unauthorized() -> Response {
    let mut r = text(StatusCode::UNAUTHORIZED, "<html><body>Error 401 Unauthorized</body></html>");
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Jenkins\""));
    r
}

fn authenticate(config: &JenkinsConfig, headers: &HeaderMap) -> Option<Auth> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let decoded = STANDARD.decode(value.strip_prefix("Basic ")?).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, secret) = decoded.split_once(':')?;
    if user != config.username {
        return None;
    }
    if secret == config.api_token {
        Some(Auth::Token)
    } else if secret == config.password {
        Some(Auth::Password)
    } else {
        None
    }
}

fn session_of(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies.split(';').map(str::trim).find_map(|c| c.strip_prefix(&format!("{SESSION_COOKIE}="))).map(str::to_owned)
}

fn crumb_ok(inner: &Inner, headers: &HeaderMap) -> bool {
    let sent = headers.get(CRUMB_FIELD).and_then(|v| v.to_str().ok());
    match (session_of(headers), sent) {
        (Some(session), Some(crumb)) => inner.sessions.get(&session).is_some_and(|c| c == crumb),
        _ => false,
    }
}

/// `a/b` from `job/a/job/b`, and what follows it.
fn split_job(segments: &[String]) -> Option<(String, Vec<String>)> {
    let mut names = Vec::new();
    let mut i = 0;
    while i + 1 < segments.len() && segments[i] == "job" {
        names.push(segments[i + 1].clone());
        i += 2;
    }
    if names.is_empty() { None } else { Some((names.join("/"), segments[i..].to_vec())) }
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

fn query_param(uri: &Uri, name: &str) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = &shared.config;
    let Some(auth) = authenticate(config, &headers) else { return unauthorized() };
    let segments: Vec<String> = uri.path().split('/').filter(|s| !s.is_empty()).map(decode).collect();
    let base = format!("http://{}", shared.addr);
    let mut inner = shared.lock();
    let needs_crumb = auth == Auth::Password || config.crumb_for_tokens;
    if method == Method::POST && needs_crumb && !crumb_ok(&inner, &headers) {
        return text(
            StatusCode::FORBIDDEN,
            "<html><body>Error 403 No valid crumb was included in the request</body></html>",
        );
    }
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["crumbIssuer", "api", "json"]) => {
            inner.crumbs_issued += 1;
            let session = format!("node0{}", uuid::Uuid::new_v4().simple());
            let crumb = uuid::Uuid::new_v4().simple().to_string();
            inner.sessions.insert(session.clone(), crumb.clone());
            let body = json!({
                "_class": "hudson.security.csrf.DefaultCrumbIssuer",
                "crumb": crumb,
                "crumbRequestField": CRUMB_FIELD,
            });
            let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly");
            let mut r = axum::Json(body).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        ("GET", ["queue", "item", id, "api", "json"]) => {
            let Ok(id) = id.parse::<u64>() else { return text(StatusCode::NOT_FOUND, "no such item") };
            queue_item(&mut inner, config, &base, id)
        }
        ("POST", ["queue", "cancelItem"]) => {
            let id = query_param(&uri, "id").and_then(|v| v.parse::<u64>().ok());
            match id.and_then(|id| inner.queue.get_mut(&id).map(|item| (id, item))) {
                Some((id, item)) if item.build.is_none() => {
                    item.cancelled = true;
                    inner.cancelled_items.push(id);
                    StatusCode::NO_CONTENT.into_response()
                }
                _ => text(StatusCode::NOT_FOUND, "no such queue item"),
            }
        }
        _ => job_route(&mut inner, config, &base, &method, &uri, &segments, &body),
    }
}

fn queue_item(inner: &mut Inner, config: &JenkinsConfig, base: &str, id: u64) -> Response {
    let Some(item) = inner.queue.get(&id) else { return text(StatusCode::NOT_FOUND, "no such queue item") };
    let job = item.job.clone();
    let due = !item.cancelled && item.build.is_none() && item.created.elapsed() >= config.queue_delay;
    if due {
        let number = inner.next_build.entry(job.clone()).or_insert(0);
        *number += 1;
        let number = *number;
        let script = inner.jobs.get(&job).cloned().unwrap_or_else(|| JobScript::new("", "SUCCESS"));
        inner.builds.insert((job.clone(), number), Build { started: Instant::now(), script, aborted_at: None });
        if let Some(item) = inner.queue.get_mut(&id) {
            item.build = Some(number);
        }
    }
    let Some(item) = inner.queue.get(&id) else { return text(StatusCode::NOT_FOUND, "no such queue item") };
    let job_url = job_url(base, &job);
    let mut body = json!({
        "_class": "hudson.model.Queue$WaitingItem",
        "id": id,
        "blocked": false,
        "buildable": item.build.is_none() && !item.cancelled,
        "cancelled": item.cancelled,
        "why": if item.build.is_none() { "Waiting for next available executor" } else { "" },
        "task": { "name": job.rsplit('/').next().unwrap_or(&job), "url": job_url },
        "executable": null,
    });
    if let Some(n) = item.build {
        body["_class"] = json!("hudson.model.Queue$LeftItem");
        body["executable"] =
            json!({ "_class": "hudson.model.FreeStyleBuild", "number": n, "url": format!("{job_url}{n}/") });
    }
    axum::Json(body).into_response()
}

fn job_url(base: &str, job: &str) -> String {
    let mut url = format!("{base}/");
    for name in job.split('/') {
        url.push_str("job/");
        url.push_str(&percent_encoding::utf8_percent_encode(name, SEGMENT).to_string());
        url.push('/');
    }
    url
}

fn job_route(
    inner: &mut Inner,
    config: &JenkinsConfig,
    base: &str,
    method: &Method,
    uri: &Uri,
    segments: &[String],
    body: &Bytes,
) -> Response {
    let Some((job, rest)) = split_job(segments) else { return text(StatusCode::NOT_FOUND, "Not Found") };
    if !inner.jobs.contains_key(&job) {
        return text(StatusCode::NOT_FOUND, "<html><body>Error 404 Not Found</body></html>");
    }
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    match (method.as_str(), rest.as_slice()) {
        ("POST", [action @ ("build" | "buildWithParameters")]) => {
            if config.forbidden_jobs.iter().any(|j| j == &job) {
                return text(
                    StatusCode::FORBIDDEN,
                    &format!("<html><body>{} is missing the Job/Build permission</body></html>", config.username),
                );
            }
            let parameters: Vec<(String, String)> =
                form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            let id = inner.next_queue;
            inner.next_queue += 1;
            inner
                .queue
                .insert(id, QueueItem { job: job.clone(), created: Instant::now(), cancelled: false, build: None });
            inner.triggers.push(Trigger {
                job,
                parameters,
                with_parameters: *action == "buildWithParameters",
                queue_id: id,
            });
            let status = if config.legacy_302 { StatusCode::FOUND } else { StatusCode::CREATED };
            let mut r = status.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("{base}/queue/item/{id}/")) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        (m, [number, tail @ ..]) => {
            let Ok(number) = number.parse::<u64>() else { return text(StatusCode::NOT_FOUND, "Not Found") };
            let Some(build) = inner.builds.get_mut(&(job.clone(), number)) else {
                return text(StatusCode::NOT_FOUND, "no such build");
            };
            match (m, tail) {
                ("GET", ["api", "json"]) => axum::Json(json!({
                    "_class": "hudson.model.FreeStyleBuild",
                    "number": number,
                    "url": format!("{}{number}/", job_url(base, &job)),
                    "building": build.building(),
                    "result": build.result(),
                }))
                .into_response(),
                ("GET", ["logText", "progressiveText"]) => {
                    let start = query_param(uri, "start").and_then(|s| s.parse::<usize>().ok()).unwrap_or(0);
                    let full = build.text();
                    let end = if build.aborted_at.is_some() { full.len() } else { build.revealed() };
                    let start = start.min(end);
                    let chunk = full.as_bytes().get(start..end).unwrap_or_default().to_vec();
                    let mut r =
                        (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain;charset=utf-8")], chunk).into_response();
                    if let Ok(v) = HeaderValue::from_str(&end.to_string()) {
                        r.headers_mut().insert("X-Text-Size", v);
                    }
                    if build.building() {
                        r.headers_mut().insert("X-More-Data", HeaderValue::from_static("true"));
                    }
                    r
                }
                ("POST", ["stop"]) => {
                    if build.building() {
                        build.aborted_at = Some(build.revealed());
                    }
                    inner.stopped.push((job, number));
                    let mut r = StatusCode::FOUND.into_response();
                    if let Ok(v) = HeaderValue::from_str(&format!("{base}/")) {
                        r.headers_mut().insert(header::LOCATION, v);
                    }
                    r
                }
                _ => text(StatusCode::NOT_FOUND, "Not Found"),
            }
        }
        _ => text(StatusCode::NOT_FOUND, "Not Found"),
    }
}
