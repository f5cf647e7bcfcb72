//! Repository identity: one key for the many spellings of a repository's address, so a webhook's
//! `clone_url`, `ssh_url` or `git_http_url` finds the pipelines that name the same repository.

/// The key of a repository address: host and path, lower-cased, without scheme, user, port, a trailing
/// `.git` or slashes. `https://github.com/User/Repo.git`, `git@github.com:user/repo.git` and
/// `ssh://git@github.com:22/user/repo` all give `github.com/user/repo`. A local path (or `file://` URL) keeps
/// its path, normalized the same way, so a local bare repository matches itself.
pub fn repository_key(address: &str) -> String {
    let address = address.trim();
    let rest = match address.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => return local_key(rest),
        Some((_, rest)) => rest.to_owned(),
        None if address.starts_with('/') || address.starts_with('.') => return local_key(address),
        // scp-like syntax: `user@host:path`.
        None => address.replacen(':', "/", 1),
    };
    let (authority, path) = rest.split_once('/').unwrap_or((&rest, ""));
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host.split(':').next().unwrap_or(host);
    let path = trim_path(path);
    if path.is_empty() { host.to_ascii_lowercase() } else { format!("{}/{}", host, path).to_ascii_lowercase() }
}

fn local_key(path: &str) -> String {
    format!("/{}", trim_path(path))
}

fn trim_path(path: &str) -> &str {
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    path.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::repository_key;

    #[test]
    fn the_spellings_of_one_repository_share_a_key() {
        for spelling in [
            "https://github.com/User/Repo.git",
            "https://github.com/user/repo",
            "http://github.com/user/repo/",
            "git@github.com:user/repo.git",
            "ssh://git@github.com:22/user/repo.git",
            "git://github.com/user/repo.git",
            "https://token@github.com/user/repo.git",
        ] {
            assert_eq!(repository_key(spelling), "github.com/user/repo", "{spelling}");
        }
    }

    #[test]
    fn local_paths_keep_their_path() {
        assert_eq!(repository_key("/tmp/x/origin.git"), "/tmp/x/origin");
        assert_eq!(repository_key("file:///tmp/x/origin.git/"), "/tmp/x/origin");
        assert_ne!(repository_key("https://gitlab.com/a/b"), repository_key("https://github.com/a/b"));
    }
}
