//! The repositories git-flow works on: a path on the server's disk (administrators only; it must be a git work
//! tree) or a URL cloned with the `git` command into `<data_dir>/repositories/<owner>/<id>`. One access rule:
//! the owner or an administrator ([`may_access`]); anyone else's repository is not found.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use slipway_core::time::now;
use slipway_core::{Error, Principal};
use slipway_outbound::OutboundPolicy;
use slipway_sandbox::Availability;
use slipway_store::Db;
use slipway_store::delivery::{GitRepositoryRecord, NewGitRepository};

use super::command::{Author, GitContext, Placement};

/// How long a clone may take.
pub const CLONE_TIMEOUT: Duration = Duration::from_secs(300);
/// Longest repository name.
const MAX_NAME: usize = 100;
/// Longest path or URL.
const MAX_LOCATION: usize = 2048;

/// A repository to register: a `path` on the server or a `url` to clone (exactly one), and its name (default:
/// the last part of the path or URL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepositoryRequest {
    /// Its name, unique among the caller's.
    pub name: Option<String>,
    /// A git work tree on the server's disk (administrators only).
    pub path: Option<String>,
    /// An `http(s)` URL to clone.
    pub url: Option<String>,
}

/// Whether `principal` may see and use `repo`.
pub fn may_access(principal: &Principal, repo: &GitRepositoryRecord) -> bool {
    principal.is_admin() || repo.owner_id == principal.user_id
}

/// Registered repositories and their clones. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GitRepositories {
    db: Db,
    data_dir: PathBuf,
    outbound: OutboundPolicy,
    availability: Availability,
}

impl GitRepositories {
    /// Repositories on `db`, clones under `data_dir/repositories`, clone URLs checked by `outbound`, git run
    /// in `availability`'s sandbox.
    pub fn new(db: Db, data_dir: &Path, outbound: OutboundPolicy, availability: Availability) -> Self {
        Self { db, data_dir: data_dir.to_path_buf(), outbound, availability }
    }

    /// Where clones live.
    pub fn clones_dir(&self) -> PathBuf {
        self.data_dir.join("repositories")
    }

    /// `HOME` of git commands on the host: an empty directory of Slipway's own.
    fn home(&self) -> Result<PathBuf, Error> {
        let home = self.data_dir.join("git-home");
        std::fs::create_dir_all(&home)
            .map_err(|e| Error::Internal(format!("cannot create {}: {e}", home.display())))?;
        Ok(home)
    }

    /// The repository `id`, if the caller may reach it; otherwise (and when there is none) not found.
    pub async fn get(&self, principal: &Principal, id: i64) -> Result<GitRepositoryRecord, Error> {
        match self.db.git_repository(id).await? {
            Some(r) if may_access(principal, &r) => Ok(r),
            _ => Err(Error::NotFound(format!("repository {id}"))),
        }
    }

    /// The caller's repositories (an administrator's list holds everyone's).
    pub async fn list(&self, principal: &Principal) -> Result<Vec<GitRepositoryRecord>, Error> {
        let owner = (!principal.is_admin()).then_some(principal.user_id);
        Ok(self.db.list_git_repositories(owner).await?)
    }

    /// The repository a request names: an id or one of the caller's names; none named is the caller's default.
    pub async fn resolve(&self, principal: &Principal, reference: Option<&str>) -> Result<GitRepositoryRecord, Error> {
        match reference.map(str::trim).filter(|r| !r.is_empty()) {
            None => self.db.default_git_repository(principal.user_id).await?.ok_or_else(|| {
                Error::invalid_field(
                    "repository",
                    "missing",
                    "no repository named and none is your default; register one with POST /workflow/repositories",
                )
            }),
            Some(r) => {
                if let Ok(id) = r.parse::<i64>()
                    && let Ok(repo) = self.get(principal, id).await
                {
                    return Ok(repo);
                }
                match self.db.git_repository_by_name(principal.user_id, r).await? {
                    Some(repo) => Ok(repo),
                    None => Err(Error::NotFound(format!("repository {r}"))),
                }
            }
        }
    }

    /// Makes the repository the caller's default (its owner's).
    pub async fn set_default(&self, principal: &Principal, id: i64) -> Result<GitRepositoryRecord, Error> {
        self.get(principal, id).await?;
        self.db.set_default_git_repository(id, now()).await?;
        self.get(principal, id).await
    }

    /// Unregisters a repository; a clone's directory is removed, a local path is left as it is.
    pub async fn delete(&self, principal: &Principal, id: i64) -> Result<GitRepositoryRecord, Error> {
        let repo = self.get(principal, id).await?;
        self.db.delete_git_repository(id, now()).await?;
        if repo.kind == "clone" {
            self.remove_clone(Path::new(&repo.path)).await;
        }
        Ok(repo)
    }

    /// Removes a clone's directory (only ever one under [`Self::clones_dir`]).
    async fn remove_clone(&self, dir: &Path) {
        if dir.as_os_str().is_empty() || !dir.starts_with(self.clones_dir()) {
            return;
        }
        let dir = dir.to_path_buf();
        let removed = tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!("{}: {e}", dir.display())),
            _ => Ok(()),
        })
        .await;
        if let Ok(Err(e)) | Err(e) = removed.map_err(|e| e.to_string()) {
            tracing::warn!(error = %e, "cannot remove a repository clone");
        }
    }

    /// The author of `principal`'s commits: their full name (or username) and e-mail address.
    pub async fn author(&self, principal: &Principal) -> Result<Author, Error> {
        let user = self.db.user_by_id(principal.user_id).await?.ok_or(Error::UserInactive)?;
        let name = if user.full_name.trim().is_empty() { user.username.clone() } else { user.full_name.clone() };
        Ok(Author { name, email: user.email })
    }

    /// Where and as whom `principal`'s git commands on `repo` run.
    pub async fn context(&self, principal: &Principal, repo: &GitRepositoryRecord) -> Result<GitContext, Error> {
        let placement = Placement::decide(&self.availability, principal, repo.id, repo.kind == "local")?;
        let author = self.author(principal).await?;
        let mut ctx = GitContext::host(Path::new(&repo.path), author, &self.home()?);
        ctx.placement = placement;
        Ok(ctx)
    }

    /// Registers a local path (administrators) or clones a URL.
    pub async fn register(&self, principal: &Principal, req: &RepositoryRequest) -> Result<GitRepositoryRecord, Error> {
        let path = req.path.as_deref().map(str::trim).filter(|p| !p.is_empty());
        let url = req.url.as_deref().map(str::trim).filter(|u| !u.is_empty());
        for (field, value) in [("path", path), ("url", url)] {
            if value.is_some_and(|v| v.len() > MAX_LOCATION) {
                return Err(Error::invalid_field(
                    field,
                    "value_error",
                    format!("{field} is longer than {MAX_LOCATION} characters"),
                ));
            }
        }
        match (path, url) {
            (Some(p), None) => self.register_local(principal, req.name.as_deref(), p).await,
            (None, Some(u)) => self.register_clone(principal, req.name.as_deref(), u).await,
            (Some(_), Some(_)) => Err(Error::invalid_field("url", "value_error", "give either path or url, not both")),
            (None, None) => Err(Error::invalid_field(
                "url",
                "missing",
                "give url (a repository to clone) or, as an administrator, path (a work tree on the server)",
            )),
        }
    }

    async fn register_local(
        &self,
        principal: &Principal,
        name: Option<&str>,
        path: &str,
    ) -> Result<GitRepositoryRecord, Error> {
        if !principal.is_admin() {
            return Err(Error::Forbidden("only administrators may register a path on the server's disk".into()));
        }
        let dir = Path::new(path);
        if !dir.is_absolute() || !dir.is_dir() {
            return Err(Error::invalid_field(
                "path",
                "value_error",
                format!("{path} is not an absolute path to a directory"),
            ));
        }
        let ctx = GitContext::host(dir, self.author(principal).await?, &self.home()?);
        let inside = ctx.git_ok(&["rev-parse", "--is-inside-work-tree"]).await?;
        if inside.as_deref() != Ok("true") {
            return Err(Error::invalid_field("path", "value_error", format!("{path} is not inside a git work tree")));
        }
        let top = ctx
            .git_ok(&["rev-parse", "--show-toplevel"])
            .await?
            .map_err(|e| Error::invalid_field("path", "value_error", e))?;
        let name = repository_name(name, &top, "path")?;
        let new =
            NewGitRepository { owner_id: principal.user_id, name, kind: "local".into(), path: top, origin_url: None };
        self.insert(&new).await
    }

    async fn insert(&self, new: &NewGitRepository) -> Result<GitRepositoryRecord, Error> {
        self.db.insert_git_repository(new, now()).await.map_err(|e| match e {
            slipway_store::StoreError::Duplicate(_) => Error::invalid_field(
                "name",
                "value_error",
                format!("you already have a repository named {:?}", new.name),
            ),
            other => other.into(),
        })
    }

    async fn register_clone(
        &self,
        principal: &Principal,
        name: Option<&str>,
        raw: &str,
    ) -> Result<GitRepositoryRecord, Error> {
        let bad = |msg: String| Error::invalid_field("url", "value_error", msg);
        let url = url::Url::parse(raw).map_err(|e| bad(format!("{raw:?} is not a URL ({e})")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("credentials in the URL are not accepted (they would be stored in plain text)".into()));
        }
        self.outbound
            .check_url_to_save(raw, principal.is_admin())
            .map_err(|r| Error::Validation(vec![r.field_error("url")]))?;
        if !principal.is_admin() && !self.availability.is_available() {
            return Err(Error::Forbidden(self.availability.refusal()));
        }
        let pin = if principal.is_admin() { None } else { Some(self.pinned_address(&url).await?) };
        let name = repository_name(name, url.path(), "url")?;
        let new = NewGitRepository {
            owner_id: principal.user_id,
            name,
            kind: "clone".into(),
            path: String::new(),
            origin_url: Some(url.to_string()),
        };
        let repo = self.insert(&new).await?;
        let dir = self.clones_dir().join(principal.user_id.to_string()).join(repo.id.to_string());
        let cloned = self.clone_into(principal, &url, pin, &dir).await;
        let recorded = match &cloned {
            Ok(()) => {
                self.db.set_git_repository_path(repo.id, &dir.display().to_string(), now()).await.map_err(Error::from)
            }
            Err(_) => Ok(false),
        };
        if let Err(e) = cloned.and(recorded.map(|_| ())) {
            let _ = self.db.delete_git_repository(repo.id, now()).await;
            self.remove_clone(&dir).await;
            return Err(e);
        }
        self.get(principal, repo.id).await
    }

    /// Resolves the URL's host and checks every address for a non-administrator; answers the address git must
    /// use (pinned with `http.curloptResolve`, so a second resolution cannot lead elsewhere).
    async fn pinned_address(&self, url: &url::Url) -> Result<(String, u16, IpAddr), Error> {
        let bad = |msg: String| Error::invalid_field("url", "value_error", msg);
        let host = url.host_str().ok_or_else(|| bad("the URL has no host".into()))?.to_owned();
        let port = url.port_or_known_default().ok_or_else(|| bad("the URL has no port".into()))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare.as_str(), port))
            .await
            .map_err(|e| bad(format!("cannot resolve {host}: {e}")))?
            .collect();
        let first = addrs.first().ok_or_else(|| bad(format!("{host} resolves to no address")))?;
        for a in &addrs {
            let literal = match a.ip() {
                IpAddr::V4(ip) => format!("http://{ip}:{port}/"),
                IpAddr::V6(ip) => format!("http://[{ip}]:{port}/"),
            };
            self.outbound
                .check_str(&literal, false)
                .map_err(|r| bad(format!("{host} resolves to a refused address: {}", r.message())))?;
        }
        Ok((host, port, first.ip()))
    }

    /// `git clone` on the host (no hooks run: no template directory), http(s) only, no redirects, no prompts.
    async fn clone_into(
        &self,
        principal: &Principal,
        url: &url::Url,
        pin: Option<(String, u16, IpAddr)>,
        dir: &Path,
    ) -> Result<(), Error> {
        let parent = dir.parent().ok_or_else(|| Error::Internal("a clone needs a parent directory".into()))?;
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::Internal(format!("cannot create {}: {e}", parent.display())))?;
        let mut ctx = GitContext::host(parent, self.author(principal).await?, &self.home()?);
        ctx.timeout = CLONE_TIMEOUT;
        let resolve = pin.map(|(host, port, ip)| {
            format!("http.curloptResolve={}:{port}:{ip}", host.trim_start_matches('[').trim_end_matches(']'))
        });
        let dir_text = dir.display().to_string();
        let url_text = url.to_string();
        let mut args = vec![
            "-c",
            "protocol.allow=never",
            "-c",
            "protocol.http.allow=always",
            "-c",
            "protocol.https.allow=always",
            "-c",
            "protocol.file.allow=never",
            "-c",
            "http.followRedirects=false",
        ];
        if let Some(r) = &resolve {
            args.extend(["-c", r.as_str()]);
        }
        args.extend(["clone", "--template=", "--no-recurse-submodules", "--", &url_text, &dir_text]);
        let out = ctx.git(&args).await?;
        if out.success() {
            return Ok(());
        }
        let why = if out.timed_out {
            format!("the clone did not finish in {} s", CLONE_TIMEOUT.as_secs())
        } else {
            out.text()
        };
        Err(Error::invalid_field("url", "value_error", format!("cannot clone {url}: {why}")))
    }
}

/// The name a repository gets: the one given, or the last part of `location` without `.git`; letters, digits,
/// `.`, `_` and `-`, at most [`MAX_NAME`].
fn repository_name(given: Option<&str>, location: &str, from: &str) -> Result<String, Error> {
    let (field, name) = match given.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => ("name", n.to_owned()),
        None => {
            let last = location.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
            (from, last.strip_suffix(".git").unwrap_or(last).to_owned())
        }
    };
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(name)
    } else {
        Err(Error::invalid_field(
            field,
            "value_error",
            format!(
                "{name:?} is not a usable repository name (letters, digits, '.', '_', '-'; at most {MAX_NAME}); give name"
            ),
        ))
    }
}
