//! The remote side of a deployment, as POSIX `sh` scripts: the release layout is
//! `<deploy_path>/releases/<UTC timestamp>-<deployment id>/` and `<deploy_path>/current`, a relative symlink
//! to one of them. The switch is atomic: a new link is made beside `current` and renamed over it (`mv -T`,
//! one `rename(2)`), so `current` always names a whole release. The deploy path and the release name are
//! single-quoted (both are validated to contain no quote); the caller's commands run as they were written.

use super::spec::{HealthCheck, Spec};

/// Single-quotes `s` for `sh`.
pub(super) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The name of a release made now by deployment `id`.
pub(super) fn release_name(now: chrono::DateTime<chrono::Utc>, id: i64) -> String {
    format!("{}-{id}", now.format("%Y%m%dT%H%M%SZ"))
}

/// Whether `name` looks like a release Slipway made (and so may be switched to or pruned).
pub(super) fn is_release_name(name: &str) -> bool {
    let Some((stamp, id)) = name.split_once('-') else { return false };
    stamp.len() == 16
        && stamp.as_bytes()[8] == b'T'
        && stamp.ends_with('Z')
        && stamp.bytes().enumerate().all(|(i, b)| i == 8 || i == 15 || b.is_ascii_digit())
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
}

/// Prints the release `current` points at (nothing when there is none).
pub(super) fn inspect(deploy_path: &str) -> String {
    let current = quote(&format!("{deploy_path}/current"));
    format!("if [ -L {current} ]; then t=$(readlink {current}); printf '%s\\n' \"${{t##*/}}\"; fi")
}

/// Unpacks the tar arriving on standard input into a new release directory.
pub(super) fn upload(deploy_path: &str, release: &str) -> String {
    let dir = quote(&format!("{deploy_path}/releases/{release}"));
    let releases = quote(&format!("{deploy_path}/releases"));
    format!(
        "set -e\nmkdir -p -- {releases}\nrm -rf -- {dir}\nmkdir -- {dir}\ntar -x -f - -C {dir}\n\
         echo \"unpacked $(find {dir} -type f | wc -l) files into {release}\""
    )
}

/// Runs one of the caller's commands in the release's directory, with the deployment's variables.
pub(super) fn in_release(deploy_path: &str, release: &str, previous: Option<&str>, command: &str) -> String {
    let dir = format!("{deploy_path}/releases/{release}");
    format!(
        "cd {d} || exit 1\nexport SLIPWAY_DEPLOY_PATH={p} SLIPWAY_RELEASE={r} SLIPWAY_RELEASE_DIR={d} \
         SLIPWAY_PREVIOUS_RELEASE={prev}\n{command}",
        d = quote(&dir),
        p = quote(deploy_path),
        r = quote(release),
        prev = quote(previous.unwrap_or_default()),
    )
}

/// Points `current` at `release` atomically (the release must exist).
pub(super) fn switch(deploy_path: &str, release: &str) -> String {
    let tmp = quote(&format!(".current.tmp-{release}"));
    let target = quote(&format!("releases/{release}"));
    format!(
        "set -e\ncd {p}\n[ -d {target} ] || {{ echo \"release {release} is not on this server\" >&2; exit 1; }}\n\
         ln -sfn {target} {tmp}\nmv -T {tmp} current\necho \"current -> releases/{release}\"",
        p = quote(deploy_path),
    )
}

/// Removes `current` (a failed first release leaves none behind, as before it).
pub(super) fn unlink_current(deploy_path: &str) -> String {
    format!(
        "rm -f -- {}\necho \"current removed: there was no earlier release\"",
        quote(&format!("{deploy_path}/current"))
    )
}

/// Checks the release that is now `current`: fetches the URL from the server (curl, else wget), up to five
/// times two seconds apart, or runs the command in the release's directory.
pub(super) fn health_check(spec: &Spec, release: &str, previous: Option<&str>) -> String {
    match &spec.health_check {
        Some(HealthCheck::Url(url)) => {
            let u = quote(url);
            format!(
                "if command -v curl >/dev/null 2>&1; then check() {{ curl -fsS -o /dev/null -w 'HTTP %{{http_code}}\\n' --max-time 10 {u}; }}\n\
                 elif command -v wget >/dev/null 2>&1; then check() {{ wget -q -O /dev/null -T 10 {u} && echo fetched {u}; }}\n\
                 else echo 'neither curl nor wget is installed on this server' >&2; exit 127; fi\n\
                 i=1\nuntil check; do\n  if [ $i -ge 5 ]; then echo \"health check failed after $i attempts\" >&2; exit 1; fi\n  \
                 i=$((i+1)); sleep 2\ndone"
            )
        }
        Some(HealthCheck::Command(c)) => in_release(&spec.deploy_path, release, previous, c),
        None => "true".to_owned(),
    }
}

/// Runs the rollback command in `current`'s directory (or the deploy path when there is none).
pub(super) fn rollback(deploy_path: &str, failed: &str, now_current: Option<&str>, command: &str) -> String {
    let dir = match now_current {
        Some(r) => format!("{deploy_path}/releases/{r}"),
        None => deploy_path.to_owned(),
    };
    format!(
        "cd {d} || exit 1\nexport SLIPWAY_DEPLOY_PATH={p} SLIPWAY_RELEASE={cur} SLIPWAY_FAILED_RELEASE={f}\n{command}",
        d = quote(&dir),
        p = quote(deploy_path),
        cur = quote(now_current.unwrap_or_default()),
        f = quote(failed),
    )
}

/// Removes the oldest releases beyond `keep`, never the one `current` points at.
pub(super) fn prune(deploy_path: &str, keep: u32) -> String {
    format!(
        "cd {r} || exit 0\ncur=$(readlink ../current 2>/dev/null || true); cur=${{cur##*/}}\n\
         ls -1 | grep -E '^[0-9]{{8}}T[0-9]{{6}}Z-[0-9]+$' | sort -r | tail -n +{from} | while read -r old; do\n  \
         [ \"$old\" = \"$cur\" ] && continue\n  rm -rf -- \"$old\" && echo \"removed $old\"\ndone\n\
         echo \"$(ls -1 | grep -cE '^[0-9]{{8}}T[0-9]{{6}}Z-[0-9]+$') releases kept\"",
        r = quote(&format!("{deploy_path}/releases")),
        from = u64::from(keep) + 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_names_sort_by_time_and_are_recognized() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-04T20:15:00Z").map(|t| t.to_utc());
        let name = release_name(at.unwrap_or_default(), 42);
        assert_eq!(name, "20261204T201500Z-42");
        assert!(is_release_name(&name));
        for bad in ["", "current", "20261204T201500Z", "20261204X201500Z-1", "20261204T201500Z-1;x", "../x-1"] {
            assert!(!is_release_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_layout_works_with_a_local_shell() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let base = dir.path().join("my app");
        let base = base.to_string_lossy().into_owned();
        let sh = |script: String| {
            std::process::Command::new("sh").arg("-c").arg(script).output().unwrap_or_else(|e| panic!("{e}"))
        };
        let tar = std::process::Command::new("sh")
            .arg("-c")
            .arg("d=$(mktemp -d); echo hi > \"$d/index.html\"; tar -c -f - -C \"$d\" .")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut up = std::process::Command::new("sh")
            .arg("-c")
            .arg(upload(&base, "20260101T000000Z-1"))
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        use std::io::Write;
        up.stdin.take().map(|mut s| s.write_all(&tar.stdout));
        assert!(up.wait().is_ok_and(|s| s.success()));
        assert!(sh(switch(&base, "20260101T000000Z-1")).status.success());
        assert_eq!(String::from_utf8_lossy(&sh(inspect(&base)).stdout), "20260101T000000Z-1\n");
        assert!(!sh(switch(&base, "20260101T000000Z-2")).status.success(), "a missing release is refused");
        let index = std::fs::read_to_string(format!("{base}/current/index.html")).unwrap_or_default();
        assert_eq!(index, "hi\n");
    }
}
