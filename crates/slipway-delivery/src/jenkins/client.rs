//! [`JenkinsClient`]: Jenkins' remote API over HTTP, as one user's server configuration allows.
//!
//! A build is `POST job/a/job/b/buildWithParameters` (a form of the parameters) or `…/build`, signed in with
//! basic authentication. With a password (and, once, after a `403` with an API token) a crumb from
//! `crumbIssuer/api/json` goes along in its header, with the session cookie the issuer set (a crumb is only
//! valid in its session). Jenkins answers `201 Created` (`302 Found` before 2.x) with the queue item's URL in
//! `Location`; its `api/json` is polled until it names an `executable` (or says `cancelled`), then the build's
//! console is read through `logText/progressiveText?start=N`, where `X-Text-Size` is the next start and
//! `X-More-Data: true` says the build is still writing; complete lines are handed on as they arrive. The
//! build's `api/json` gives the result. Polls start at `Polling::first` and back off to `Polling::max` while
//! nothing changes.
//!
//! Every URL goes through the outbound policy of the server's owner, and URLs Jenkins hands back (queue item,
//! build) are rebased onto the configured server's origin, so the credential is never sent anywhere else. No
//! redirect is followed (a `302` is read, not chased).

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode, Url};
use serde::Deserialize;
use slipway_outbound::{OutboundPolicy, Refusal};
use tokio_util::sync::CancellationToken;

use super::error::JenkinsError;
use super::path::JobPath;

/// The longest console line handed on whole; longer runs without a newline are cut into pieces this long.
const LINE_MAX: usize = 64 * 1024;
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How a Jenkins user signs in.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API token (Jenkins 2.96+ needs no crumb for it).
    ApiToken(String),
    /// A password (every POST needs a crumb).
    Password(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ApiToken(_) => "ApiToken(***)",
            Self::Password(_) => "Password(***)",
        })
    }
}

impl Credential {
    fn secret(&self) -> &str {
        match self {
            Self::ApiToken(s) | Self::Password(s) => s,
        }
    }
}

/// Where a Jenkins is and who to sign in as.
#[derive(Debug, Clone)]
pub struct ServerAccess {
    /// The base URL (`https://ci.example.com/jenkins/`).
    pub url: String,
    /// The Jenkins user.
    pub username: String,
    /// Its token or password.
    pub credential: Credential,
}

/// How often to poll: from `first`, doubling while nothing changes, up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    /// The first interval (and the one after progress).
    pub first: Duration,
    /// The longest interval.
    pub max: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Self { first: Duration::from_millis(100), max: Duration::from_secs(2) }
    }
}

/// A queue item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRef {
    /// Its id.
    pub id: u64,
    /// Its URL (`…/queue/item/7/`).
    pub url: String,
}

/// A build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRef {
    /// Its number.
    pub number: u64,
    /// Its URL (`…/job/a/job/b/12/`).
    pub url: String,
}

/// What happened, in order, while a build ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JenkinsEvent {
    /// Jenkins queued the build.
    Queued(QueueRef),
    /// The build started.
    Started(BuildRef),
    /// One line of its console (without the newline).
    Console(String),
    /// It finished with this result (`SUCCESS`, `UNSTABLE`, `FAILURE`, `ABORTED`, `NOT_BUILT`).
    Finished(String),
}

/// How a build ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOutcome {
    /// Its queue item.
    pub queue: QueueRef,
    /// The build.
    pub build: BuildRef,
    /// Its result.
    pub result: String,
}

#[derive(Clone)]
struct Crumb {
    field: String,
    value: String,
    cookie: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CrumbBody {
    crumb: String,
    crumb_request_field: String,
}

#[derive(Deserialize)]
struct QueueBody {
    #[serde(default)]
    cancelled: Option<bool>,
    #[serde(default)]
    executable: Option<Executable>,
}

#[derive(Deserialize)]
struct Executable {
    number: u64,
    url: String,
}

#[derive(Deserialize)]
struct BuildBody {
    #[serde(default)]
    building: bool,
    #[serde(default)]
    result: Option<String>,
}

/// What a request was for, to name it in errors.
enum What<'a> {
    Job(&'a JobPath),
    Other(&'a str),
}

/// One server's client for one caller. Cheap to build; holds the crumb session once it has one.
pub struct JenkinsClient {
    http: reqwest::Client,
    base: Url,
    username: String,
    credential: Credential,
    policy: OutboundPolicy,
    caller_is_admin: bool,
    polling: Polling,
    crumb: Mutex<Option<Crumb>>,
}

impl fmt::Debug for JenkinsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JenkinsClient")
            .field("base", &self.base.as_str())
            .field("username", &self.username)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

fn refused(r: &Refusal) -> JenkinsError {
    JenkinsError::Refused(r.message().to_owned())
}

impl JenkinsClient {
    /// A client for `server`, calling out as `caller_is_admin` allows under `policy` (a non-administrator's
    /// server may not be on loopback or private addresses).
    pub fn new(
        policy: &OutboundPolicy,
        caller_is_admin: bool,
        server: ServerAccess,
        polling: Polling,
    ) -> Result<Self, JenkinsError> {
        let mut base = Url::parse(server.url.trim()).map_err(|e| JenkinsError::Refused(format!("not a URL ({e})")))?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.set_query(None);
        base.set_fragment(None);
        policy.check_url(&base, caller_is_admin).map_err(|r| refused(&r))?;
        let http = policy
            .client_builder(caller_is_admin)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| JenkinsError::Client(e.to_string()))?;
        Ok(Self {
            http,
            base,
            username: server.username,
            credential: server.credential,
            policy: policy.clone(),
            caller_is_admin,
            polling,
            crumb: Mutex::new(None),
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        self.base.as_str()
    }

    fn below(&self, segments: impl IntoIterator<Item = impl AsRef<str>>, trailing_slash: bool) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            for s in segments {
                path.push(s.as_ref());
            }
            if trailing_slash {
                path.push("");
            }
        }
        url
    }

    /// A URL Jenkins handed back, on the configured server's origin (Jenkins' own idea of its root URL may be
    /// another host; the credential goes only to the configured one).
    fn rebase(&self, returned: &str) -> Result<Url, JenkinsError> {
        let url = self
            .base
            .join(returned)
            .map_err(|e| JenkinsError::Protocol(format!("Jenkins answered an unusable URL {returned:?} ({e})")))?;
        let mut rebased = self.base.clone();
        rebased.set_path(url.path());
        rebased.set_query(None);
        if !rebased.path().ends_with('/') {
            let path = format!("{}/", rebased.path());
            rebased.set_path(&path);
        }
        Ok(rebased)
    }

    fn unreachable(&self, e: &reqwest::Error) -> JenkinsError {
        if let Some(r) = Refusal::find(e) {
            return refused(r);
        }
        let reason = if e.is_timeout() { "timed out".to_owned() } else { error_chain(e) };
        JenkinsError::Unreachable { url: self.base.to_string(), reason }
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        form: Option<&[(String, String)]>,
    ) -> Result<Response, JenkinsError> {
        self.policy.check_url(&url, self.caller_is_admin).map_err(|r| refused(&r))?;
        let mut req = self.http.request(method.clone(), url).basic_auth(&self.username, Some(self.credential.secret()));
        if method == Method::POST {
            let crumb = self.crumb.lock().ok().and_then(|c| c.clone());
            if let Some(c) = crumb {
                req = req.header(c.field.as_str(), c.value.as_str());
                if let Some(cookie) = c.cookie {
                    req = req.header(header::COOKIE, cookie);
                }
            }
            req = match form {
                Some(fields) => {
                    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
                    req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(body)
                }
                None => req.header(header::CONTENT_LENGTH, "0"),
            };
        }
        req.send().await.map_err(|e| self.unreachable(&e))
    }

    /// Fetches a crumb and its session cookie; a Jenkins without CSRF protection (`404`) needs none.
    async fn fetch_crumb(&self) -> Result<(), JenkinsError> {
        let url = self.below(["crumbIssuer", "api", "json"], false);
        let resp = self.send(Method::GET, url, None).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(());
        }
        let resp = self.check(resp, &What::Other("fetch a crumb")).await?;
        let cookie = session_cookie(resp.headers());
        let body: CrumbBody = read_json(resp, "the crumb issuer").await?;
        if let Ok(mut slot) = self.crumb.lock() {
            *slot = Some(Crumb { field: body.crumb_request_field, value: body.crumb, cookie });
        }
        Ok(())
    }

    fn has_crumb(&self) -> bool {
        self.crumb.lock().is_ok_and(|c| c.is_some())
    }

    /// A POST, with a crumb when signing in with a password, and once more with one after a `403` with a token.
    async fn post(
        &self,
        url: Url,
        form: Option<&[(String, String)]>,
        what: &What<'_>,
    ) -> Result<Response, JenkinsError> {
        let password = matches!(self.credential, Credential::Password(_));
        if password && !self.has_crumb() {
            self.fetch_crumb().await?;
        }
        let resp = self.send(Method::POST, url.clone(), form).await?;
        if resp.status() == StatusCode::FORBIDDEN && !password && !self.has_crumb() {
            self.fetch_crumb().await?;
            if self.has_crumb() {
                let again = self.send(Method::POST, url, form).await?;
                return self.check(again, what).await;
            }
        }
        self.check(resp, what).await
    }

    async fn get(&self, url: Url, what: &What<'_>) -> Result<Response, JenkinsError> {
        let resp = self.send(Method::GET, url, None).await?;
        self.check(resp, what).await
    }

    /// Maps Jenkins' error statuses; anything else not 2xx or 3xx is Jenkins misbehaving.
    async fn check(&self, resp: Response, what: &What<'_>) -> Result<Response, JenkinsError> {
        let status = resp.status();
        if status.is_success() || status.is_redirection() {
            return Ok(resp);
        }
        // Jenkins' error pages are not echoed (security.md, outbound requests): only what kind of refusal it was.
        let body = resp.text().await.unwrap_or_default();
        let detail = if body.contains("No valid crumb") {
            "the request's crumb (CSRF protection) was refused".to_owned()
        } else {
            format!("user {:?} lacks the permission", self.username)
        };
        Err(match (status, what) {
            (StatusCode::UNAUTHORIZED, _) => JenkinsError::Credentials(self.username.clone()),
            (StatusCode::FORBIDDEN, What::Job(job)) => {
                JenkinsError::Forbidden { what: format!("build job {job}"), detail }
            }
            (StatusCode::FORBIDDEN, What::Other(w)) => JenkinsError::Forbidden { what: (*w).to_owned(), detail },
            (StatusCode::NOT_FOUND, What::Job(job)) => JenkinsError::NoSuchJob(job.to_string()),
            (s, What::Job(job)) => JenkinsError::Protocol(format!("HTTP {s} for job {job}")),
            (s, What::Other(w)) => JenkinsError::Protocol(format!("HTTP {s} when asked to {w}")),
        })
    }

    /// Asks Jenkins to build `job` with `parameters` (none: `build`, else `buildWithParameters`); the queue item
    /// it made.
    pub async fn trigger(&self, job: &JobPath, parameters: &[(String, String)]) -> Result<QueueRef, JenkinsError> {
        let action = if parameters.is_empty() { "build" } else { "buildWithParameters" };
        let url = self.below(job.url_segments().chain([action]), false);
        let form = if parameters.is_empty() { None } else { Some(parameters) };
        let resp = self.post(url, form, &What::Job(job)).await?;
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                JenkinsError::Protocol(format!(
                    "HTTP {} for job {job} named no queue item (no Location)",
                    resp.status()
                ))
            })?
            .to_owned();
        let url = self.rebase(&location)?;
        let id = queue_id(&url)
            .ok_or_else(|| JenkinsError::Protocol(format!("the build's Location {location:?} is not a queue item")))?;
        Ok(QueueRef { id, url: url.to_string() })
    }

    /// Polls the queue item until a build starts; when `cancel` fires first, cancels the item.
    pub async fn wait_for_build(&self, queue: &QueueRef, cancel: &CancellationToken) -> Result<BuildRef, JenkinsError> {
        let url = self.rebase(&queue.url)?.join("api/json").map_err(|e| JenkinsError::Protocol(e.to_string()))?;
        let mut delay = self.polling.first;
        loop {
            let resp = self.get(url.clone(), &What::Other("read the queue item")).await?;
            let body: QueueBody = read_json(resp, "the queue item").await?;
            if let Some(exe) = body.executable {
                return Ok(BuildRef { number: exe.number, url: self.rebase(&exe.url)?.to_string() });
            }
            if body.cancelled == Some(true) {
                return Err(JenkinsError::QueueCancelled(queue.url.clone()));
            }
            if self.pause(delay, cancel).await {
                let cancel_url = self.below(["queue", "cancelItem"], false);
                let mut cancel_url = cancel_url;
                cancel_url.query_pairs_mut().append_pair("id", &queue.id.to_string());
                // Best effort: the item may have left the queue meanwhile; the caller is cancelled either way.
                if let Err(e) = self.post(cancel_url, None, &What::Other("cancel the queue item")).await {
                    tracing::warn!(queue_item = %queue.url, error = %e, "could not cancel a Jenkins queue item");
                }
                return Err(JenkinsError::Cancelled);
            }
            delay = (delay * 2).min(self.polling.max);
        }
    }

    /// Sleeps `delay`; `true` when `cancel` fired instead.
    async fn pause(&self, delay: Duration, cancel: &CancellationToken) -> bool {
        tokio::select! {
            () = cancel.cancelled() => true,
            () = tokio::time::sleep(delay) => false,
        }
    }

    /// Asks Jenkins to stop a build, best effort (it may have just finished): a failure is logged, not returned.
    async fn stop(&self, build: &Url) {
        let result = match build.join("stop") {
            Ok(url) => self.post(url, None, &What::Other("stop the build")).await.map(|_| ()),
            Err(e) => Err(JenkinsError::Protocol(e.to_string())),
        };
        if let Err(e) = result {
            tracing::warn!(build = %build, error = %e, "could not stop a Jenkins build");
        }
    }

    /// Streams the build's console to `on_line` (complete lines, in order) until it is written, then waits for
    /// its result; when `cancel` fires first, stops the build.
    pub async fn follow_build(
        &self,
        build: &BuildRef,
        cancel: &CancellationToken,
        mut on_line: impl FnMut(String),
    ) -> Result<String, JenkinsError> {
        let build_url = self.rebase(&build.url)?;
        let mut lines = Lines::default();
        let mut start: u64 = 0;
        let mut delay = self.polling.first;
        loop {
            let mut url =
                build_url.join("logText/progressiveText").map_err(|e| JenkinsError::Protocol(e.to_string()))?;
            url.query_pairs_mut().append_pair("start", &start.to_string());
            let mut resp = self.get(url, &What::Other("read the console")).await?;
            let size = header_u64(resp.headers(), "x-text-size");
            let more = resp.headers().get("x-more-data").and_then(|v| v.to_str().ok()) == Some("true");
            let mut read: u64 = 0;
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.unreachable(&e))? {
                read += chunk.len() as u64;
                lines.push(&chunk, &mut on_line);
            }
            let next = size.unwrap_or(start + read);
            delay = if next > start { self.polling.first } else { (delay * 2).min(self.polling.max) };
            start = next;
            if !more {
                break;
            }
            if self.pause(delay, cancel).await {
                self.stop(&build_url).await;
                return Err(JenkinsError::Cancelled);
            }
        }
        lines.finish(&mut on_line);
        self.wait_for_result(&build_url, cancel).await
    }

    async fn wait_for_result(&self, build_url: &Url, cancel: &CancellationToken) -> Result<String, JenkinsError> {
        let url = build_url.join("api/json").map_err(|e| JenkinsError::Protocol(e.to_string()))?;
        let mut delay = self.polling.first;
        loop {
            let resp = self.get(url.clone(), &What::Other("read the build")).await?;
            let body: BuildBody = read_json(resp, "the build").await?;
            match body.result {
                Some(result) if !body.building => return Ok(result),
                _ => {}
            }
            if self.pause(delay, cancel).await {
                self.stop(build_url).await;
                return Err(JenkinsError::Cancelled);
            }
            delay = (delay * 2).min(self.polling.max);
        }
    }

    /// Triggers `job` and follows it to its end, telling `on_event` as it goes: queued, started, each console
    /// line, finished. When `cancel` fires the queue item is cancelled or the build stopped, and the answer is
    /// [`JenkinsError::Cancelled`].
    pub async fn run_build(
        &self,
        job: &JobPath,
        parameters: &[(String, String)],
        cancel: &CancellationToken,
        mut on_event: impl FnMut(JenkinsEvent),
    ) -> Result<BuildOutcome, JenkinsError> {
        let queue = self.trigger(job, parameters).await?;
        on_event(JenkinsEvent::Queued(queue.clone()));
        let build = self.wait_for_build(&queue, cancel).await?;
        on_event(JenkinsEvent::Started(build.clone()));
        let result = self.follow_build(&build, cancel, |line| on_event(JenkinsEvent::Console(line))).await?;
        on_event(JenkinsEvent::Finished(result.clone()));
        Ok(BuildOutcome { queue, build, result })
    }
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// The `name=value` pairs of every `Set-Cookie`, as one `Cookie` header.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    let pairs: Vec<&str> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v: &HeaderValue| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::trim)
        .filter(|p| p.contains('='))
        .collect();
    if pairs.is_empty() { None } else { Some(pairs.join("; ")) }
}

/// The id in `…/queue/item/<id>/`.
fn queue_id(url: &Url) -> Option<u64> {
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [.., "queue", "item", id] => id.parse().ok(),
        _ => None,
    }
}

async fn read_json<T: for<'de> Deserialize<'de>>(resp: Response, what: &str) -> Result<T, JenkinsError> {
    let bytes = resp.bytes().await.map_err(|e| JenkinsError::Protocol(format!("reading {what}: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| JenkinsError::Protocol(format!("{what} answered unexpected JSON ({e})")))
}

/// Console bytes cut into lines: a line is handed on once its newline arrives (or it grows past [`LINE_MAX`]).
#[derive(Default)]
struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    fn push(&mut self, bytes: &[u8], on_line: &mut impl FnMut(String)) {
        for &b in bytes {
            if b == b'\n' {
                self.emit(on_line);
            } else {
                self.pending.push(b);
                if self.pending.len() >= LINE_MAX {
                    self.emit(on_line);
                }
            }
        }
    }

    fn emit(&mut self, on_line: &mut impl FnMut(String)) {
        if self.pending.last() == Some(&b'\r') {
            self.pending.pop();
        }
        on_line(String::from_utf8_lossy(&self.pending).into_owned());
        self.pending.clear();
    }

    fn finish(&mut self, on_line: &mut impl FnMut(String)) {
        if !self.pending.is_empty() {
            self.emit(on_line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_at_newlines_across_chunks() {
        let mut got = Vec::new();
        let mut lines = Lines::default();
        for chunk in ["Start", "ed by user\r\nBuild", "ing\n\nDone"] {
            lines.push(chunk.as_bytes(), &mut |l| got.push(l));
        }
        lines.finish(&mut |l| got.push(l));
        assert_eq!(got, ["Started by user", "Building", "", "Done"]);
    }

    #[test]
    fn queue_ids_and_cookies_are_read_from_headers() {
        let url = Url::parse("http://ci/jenkins/queue/item/42/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(queue_id(&url), Some(42));
        let mut h = HeaderMap::new();
        h.append(header::SET_COOKIE, HeaderValue::from_static("JSESSIONID.ab=node01; Path=/; HttpOnly"));
        h.append(header::SET_COOKIE, HeaderValue::from_static("other=1"));
        assert_eq!(session_cookie(&h).as_deref(), Some("JSESSIONID.ab=node01; other=1"));
    }
}
