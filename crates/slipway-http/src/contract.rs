//! The seed contracts' endpoint list (`contracts/endpoints.tsv`), embedded so routing decisions and tests
//! can consult it.

use crate::surface::Surface;

/// The endpoint list as shipped with the seed documents.
pub const ENDPOINTS_TSV: &str = include_str!("../../../contracts/endpoints.tsv");

/// One documented endpoint or realtime channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The document that claims it.
    pub surface: Surface,
    /// `GET`, `POST`, …, or `WS` / `SOCKETIO` for realtime channels.
    pub method: &'static str,
    /// Path template with `{param}` segments.
    pub path: &'static str,
}

/// Every documented endpoint, in file order.
pub fn endpoints() -> Vec<Endpoint> {
    ENDPOINTS_TSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let surface = Surface::from_seed(cols.next()?)?;
            Some(Endpoint { surface, method: cols.next()?, path: cols.next()? })
        })
        .collect()
}

/// Whether a concrete path matches a template (`{x}` matches one non-empty segment).
pub fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| if t.starts_with('{') && t.ends_with('}') { !p.is_empty() } else { t == p })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_all_150_endpoints() {
        let all = endpoints();
        assert_eq!(all.len(), 150);
        assert_eq!(all[0], Endpoint { surface: Surface::Perfect21, method: "POST", path: "/api/auth/register" });
    }

    #[test]
    fn matches_templates_segment_by_segment() {
        assert!(template_matches("/api/users/{id}", "/api/users/7"));
        assert!(!template_matches("/api/users/{id}", "/api/users/"));
        assert!(!template_matches("/api/users/{id}", "/api/users/7/x"));
        assert!(template_matches("/api/users/", "/api/users/"));
        assert!(!template_matches("/api/users", "/api/users/"));
    }

    #[test]
    fn embedded_copy_matches_the_shared_seeds_when_present() {
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds/endpoints.tsv");
        if let Ok(text) = std::fs::read_to_string(shared) {
            assert_eq!(text, ENDPOINTS_TSV, "contracts/endpoints.tsv is out of date with shared/seeds");
        }
    }
}
