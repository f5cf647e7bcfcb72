//! The remote side of a command: it runs in a process group of its own (`setsid`, or the session sshd made),
//! announces that group's id before the command starts and the command's exit status after it ends, both on
//! standard error behind a record-separator byte. The group id is what cancel signals; the exit line tells a
//! remote command that exited 255 apart from `ssh` failing (also 255).

/// Marks Slipway's own lines on the remote standard error.
const MARK: char = '\u{1e}';
const PGID: &str = "\u{1e}slipway:pgid=";
const EXIT: &str = "\u{1e}slipway:exit=";

/// What runs `script` (a POSIX `sh` script); the login shell receives this as its `-c` string.
const INNER: &str =
    r#"printf '\036slipway:pgid=%s\n' "$$" >&2; sh -c "$1"; s=$?; printf '\036slipway:exit=%s\n' "$s" >&2; exit "$s""#;

/// Single-quotes `s` for `sh`.
pub(super) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The command line that runs `script` remotely in its own process group.
pub(super) fn wrap(script: &str) -> String {
    let inner = quote(INNER);
    let script = quote(script);
    format!(
        "if setsid -w true 2>/dev/null; then exec setsid -w sh -c {inner} slipway {script}; \
         else exec sh -c {inner} slipway {script}; fi"
    )
}

/// The remote command that ends process group `pgid`: SIGTERM, up to `grace_tenths` tenths of a second for it
/// to go, then SIGKILL.
pub(super) fn kill_group(pgid: i64, grace_tenths: u32) -> String {
    format!(
        "kill -TERM -{pgid} 2>/dev/null; i=0; while kill -0 -{pgid} 2>/dev/null && [ $i -lt {grace_tenths} ]; \
         do sleep 0.1; i=$((i+1)); done; kill -KILL -{pgid} 2>/dev/null; true"
    )
}

/// What one line of remote standard error carries.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum StderrLine<'a> {
    /// The command's own output (before a marker on the same line, when it did not end its last line).
    Text(&'a str),
    /// The process group id, with any output before it.
    Pgid(&'a str, i64),
    /// The exit status, with any output before it.
    Exit(&'a str, i32),
}

/// Reads one line of remote standard error.
pub(super) fn parse(line: &str) -> StderrLine<'_> {
    let Some(at) = line.rfind(MARK) else { return StderrLine::Text(line) };
    let (before, marker) = line.split_at(at);
    if let Some(n) = marker.strip_prefix(PGID).and_then(|v| v.trim().parse().ok()) {
        return StderrLine::Pgid(before, n);
    }
    if let Some(n) = marker.strip_prefix(EXIT).and_then(|v| v.trim().parse().ok()) {
        return StderrLine::Exit(before, n);
    }
    StderrLine::Text(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_even_after_unterminated_output() {
        assert_eq!(parse("\u{1e}slipway:pgid=123"), StderrLine::Pgid("", 123));
        assert_eq!(parse("oops\u{1e}slipway:exit=255"), StderrLine::Exit("oops", 255));
        assert_eq!(parse("plain"), StderrLine::Text("plain"));
        assert_eq!(parse("\u{1e}other"), StderrLine::Text("\u{1e}other"));
    }

    #[test]
    fn the_wrapper_runs_the_script_locally_too() {
        let out = std::process::Command::new("sh").arg("-c").arg(wrap("echo 'it''s'; echo err >&2; exit 7")).output();
        let out = out.expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "its\n");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<StderrLine<'_>> = err.lines().map(parse).collect();
        assert!(matches!(lines[0], StderrLine::Pgid("", n) if n > 1), "{err}");
        assert_eq!(lines[1..], [StderrLine::Text("err"), StderrLine::Exit("", 7)]);
        assert_eq!(out.status.code(), Some(7));
    }
}
