//! What a server may be given: checked field by field into one validation error naming each problem.

use slipway_core::{Error, FieldError};

/// Longest name, characters.
const NAME_MAX: usize = 100;
/// Longest remote user name.
const USERNAME_MAX: usize = 64;
/// Longest private key, bytes.
const KEY_MAX: usize = 16 * 1024;
/// Longest password, characters.
const PASSWORD_MAX: usize = 1024;
/// Longest description.
const DESCRIPTION_MAX: usize = 1000;
/// Most tags, and the longest tag.
const TAGS_MAX: usize = 20;
const TAG_MAX: usize = 50;

/// Collects field errors.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: &str, kind: &str, msg: impl Into<String>) {
        self.0.push(FieldError::body(field, kind, msg));
    }

    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Validation(self.0)) }
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A trimmed, non-blank, single-line text of at most `max` characters.
pub(crate) fn text(p: &mut Problems, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        p.add(field, "missing", format!("{field} may not be blank"));
    } else if v.chars().count() > max {
        p.add(field, "value_error", format!("{field} is longer than {max} characters"));
    } else if has_control(v) {
        p.add(field, "value_error", format!("{field} may not contain control characters"));
    }
    v.to_owned()
}

/// The server's name.
pub(super) fn name(p: &mut Problems, value: &str) -> String {
    text(p, "name", value, NAME_MAX)
}

/// Whether `host` is an IP address or a DNS name (letters, digits, hyphens, dots; at most 253 characters).
fn valid_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// A host: an IP address (IPv6 with or without brackets) or a DNS name, lowercased.
pub(super) fn host(p: &mut Problems, field: &str, value: &str) -> String {
    let v = value.trim().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    if v.is_empty() {
        p.add(field, "missing", format!("{field} may not be blank"));
    } else if !valid_host(&v) {
        p.add(field, "value_error", format!("{field} must be a host name or an IP address"));
    }
    v
}

/// A port, 1–65535.
pub(super) fn port(p: &mut Problems, value: i64) -> u16 {
    match u16::try_from(value) {
        Ok(port) if port > 0 => port,
        _ => {
            p.add("port", "value_error", format!("port must be between 1 and 65535, got {value}"));
            22
        }
    }
}

/// A remote user name: letters, digits, `.`, `_`, `-`, not starting with `-`.
pub(super) fn username(p: &mut Problems, field: &str, value: &str) -> String {
    let v = text(p, field, value, USERNAME_MAX);
    if !v.is_empty() && (v.starts_with('-') || !v.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))) {
        p.add(field, "value_error", format!("{field} may hold letters, digits, '.', '_' and '-' only"));
    }
    v
}

/// A private key: PEM or OpenSSH armour, unencrypted is checked when it is used.
pub(super) fn private_key(p: &mut Problems, value: &str) -> String {
    let v = value.trim();
    if v.len() > KEY_MAX {
        p.add("private_key", "value_error", format!("private_key is longer than {KEY_MAX} bytes"));
    } else if !(v.starts_with("-----BEGIN ") && v.contains("PRIVATE KEY-----") && v.ends_with("-----")) {
        p.add(
            "private_key",
            "value_error",
            "private_key must be a PEM or OpenSSH private key (-----BEGIN … PRIVATE KEY-----)",
        );
    }
    format!("{v}\n")
}

/// A password: not empty, one line.
pub(super) fn password(p: &mut Problems, value: &str) -> String {
    if value.is_empty() {
        p.add("password", "missing", "password may not be empty");
    } else if value.chars().count() > PASSWORD_MAX {
        p.add("password", "value_error", format!("password is longer than {PASSWORD_MAX} characters"));
    } else if has_control(value) {
        p.add("password", "value_error", "password may not contain control characters");
    }
    value.to_owned()
}

/// A jump host, `[user@]host[:port]`; answers it normalized with its host and port.
pub(super) fn jump_host(p: &mut Problems, value: &str) -> Option<(String, String, u16)> {
    let v = value.trim();
    let (user, rest) = match v.rsplit_once('@') {
        Some((u, r)) => (Some(u), r),
        None => (None, v),
    };
    let (host_part, port) = match rest.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') || h.ends_with(']') => (h, port.parse::<u16>().ok().filter(|p| *p > 0)),
        _ => (rest, Some(22)),
    };
    let before = p.0.len();
    let host = host(p, "jump_host", host_part);
    if let Some(u) = user {
        username(p, "jump_host", u);
    }
    let Some(port) = port else {
        p.add("jump_host", "value_error", "jump_host is [user@]host[:port]");
        return None;
    };
    if p.0.len() > before {
        return None;
    }
    let shown = if host.contains(':') { format!("[{host}]") } else { host.clone() };
    let spec = match user {
        Some(u) => format!("{u}@{shown}:{port}"),
        None => format!("{shown}:{port}"),
    };
    Some((spec, host, port))
}

/// A description, possibly empty.
pub(super) fn description(p: &mut Problems, value: &str) -> String {
    let v = value.trim();
    if v.chars().count() > DESCRIPTION_MAX {
        p.add("description", "value_error", format!("description is longer than {DESCRIPTION_MAX} characters"));
    }
    v.to_owned()
}

/// Tags: at most 20, each 1–50 characters without commas or control characters; duplicates dropped, sorted.
pub(super) fn tags(p: &mut Problems, values: &[String]) -> Vec<String> {
    if values.len() > TAGS_MAX {
        p.add("tags", "value_error", format!("at most {TAGS_MAX} tags"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in values.iter().enumerate() {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > TAG_MAX || t.contains(',') || has_control(t) {
            p.add(&format!("tags.{i}"), "value_error", format!("a tag is 1–{TAG_MAX} characters, without commas"));
        } else if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_jump_hosts_are_checked_and_normalized() {
        let mut p = Problems::default();
        assert_eq!(host(&mut p, "host", " Web-1.Example.COM "), "web-1.example.com");
        assert_eq!(host(&mut p, "host", "[::1]"), "::1");
        assert!(p.0.is_empty());
        for bad in ["a/b", "http://x", "a b", "-x.com", "x..y", ""] {
            let mut p = Problems::default();
            host(&mut p, "host", bad);
            assert!(!p.0.is_empty(), "{bad}");
        }
        let mut p = Problems::default();
        assert_eq!(
            jump_host(&mut p, "ops@bastion.example.com:2222"),
            Some(("ops@bastion.example.com:2222".into(), "bastion.example.com".into(), 2222))
        );
        assert_eq!(jump_host(&mut p, "bastion"), Some(("bastion:22".into(), "bastion".into(), 22)));
        assert!(p.0.is_empty());
        for bad in ["ops@bad host", "x:0", "x:y", "-oProxyCommand=sh@x"] {
            let mut p = Problems::default();
            assert_eq!(jump_host(&mut p, bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_passwords_and_tags() {
        let mut p = Problems::default();
        private_key(&mut p, "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----");
        password(&mut p, "s3cret pass");
        assert_eq!(tags(&mut p, &["b".into(), "a".into(), "b".into()]), ["a", "b"]);
        assert!(p.0.is_empty());
        private_key(&mut p, "ssh-ed25519 AAAA public");
        password(&mut p, "two\nlines");
        tags(&mut p, &["a,b".into()]);
        username(&mut p, "username", "-oProxyCommand");
        port(&mut p, 70000);
        assert_eq!(p.0.len(), 5);
    }
}
