//! Paths and categories of project files: relative paths that stay inside the workspace, `/`-separated.

use slipway_core::Error;

/// The categories a file may have (the document's five).
pub const CATEGORIES: [&str; 5] = ["requirements", "design", "code", "test", "documentation"];

/// The longest path accepted, bytes.
pub const MAX_PATH: usize = 512;

/// Whether `c` is one of [`CATEGORIES`].
pub fn is_category(c: &str) -> bool {
    CATEGORIES.contains(&c)
}

/// `path` as stored: trimmed, `\` read as `/`, no empty, `.` or `..` segments, not absolute, no control
/// characters; `field` names it in the error.
pub fn normalize_path(path: &str, field: &str) -> Result<String, Error> {
    let bad = |msg: &str| Error::invalid_field(field, "value_error", format!("{field} {msg}"));
    let path = path.trim().replace('\\', "/");
    if path.is_empty() {
        return Err(bad("must not be empty"));
    }
    if path.len() > MAX_PATH {
        return Err(bad(&format!("must be at most {MAX_PATH} bytes")));
    }
    if path.chars().any(char::is_control) {
        return Err(bad("must not contain control characters"));
    }
    if path.starts_with('/') {
        return Err(bad("must be a relative path"));
    }
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.is_empty() || parts.contains(&"..") {
        return Err(bad("must name a file inside the project"));
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_or_refused() {
        assert_eq!(normalize_path(" src\\main.py ", "filename").unwrap(), "src/main.py");
        assert_eq!(normalize_path("./a//b.txt", "filename").unwrap(), "a/b.txt");
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a\0b", ".", "x\ny"] {
            assert!(normalize_path(bad, "filename").is_err(), "{bad:?}");
        }
        assert!(normalize_path(&"a".repeat(MAX_PATH + 1), "filename").is_err());
    }
}
