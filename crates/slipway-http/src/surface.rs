//! Which seed document owns a request, and so which error shape and envelope it gets.

/// One of the five seed documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// `000`: Perfect21, `{success, message, error_code}`.
    Perfect21,
    /// `001`: ResoftAI, FastAPI-style `{detail, status_code, error_code, timestamp}`.
    Resoft,
    /// `002`: AnsFlow, `{error: {code, message, details}, timestamp, path}`.
    AnsFlow,
    /// `003`: qoder, `{code, message, data}` with HTTP status = code.
    Qoder,
    /// `004`: the pet diet planner, `{code, message, detail}`.
    PetPlan,
}

impl Surface {
    /// All five, in seed file order (the order that wins in union responses).
    pub const ALL: [Surface; 5] = [Self::Perfect21, Self::Resoft, Self::AnsFlow, Self::Qoder, Self::PetPlan];

    /// The surface of a seed number (`"000"` … `"004"`).
    pub fn from_seed(seed: &str) -> Option<Self> {
        Self::ALL.get(seed.parse::<usize>().ok()?).copied()
    }

    /// The seed number of this surface.
    pub fn seed(self) -> &'static str {
        match self {
            Self::Perfect21 => "000",
            Self::Resoft => "001",
            Self::AnsFlow => "002",
            Self::Qoder => "003",
            Self::PetPlan => "004",
        }
    }

    /// The OpenAPI tag that groups this surface's routes.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Perfect21 => "Perfect21",
            Self::Resoft => "ResoftAI",
            Self::AnsFlow => "AnsFlow",
            Self::Qoder => "qoder",
            Self::PetPlan => "Pet planner",
        }
    }
}

/// How a response is shaped: by one document, or as the union of several (the six shared routes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One document's shape.
    One(Surface),
    /// The union of several documents' shapes; earlier surfaces win where keys collide.
    Union(&'static [Surface]),
}

use Surface::{AnsFlow, Perfect21, PetPlan, Qoder, Resoft};

/// The paths several documents claim, with their claimants in file order.
const SHARED: &[(&str, &[Surface])] = &[
    ("/api/auth/register", &[Perfect21, Resoft]),
    ("/api/auth/login", &[Perfect21, Resoft, Qoder]),
    ("/api/auth/refresh", &[Perfect21, Resoft, Qoder]),
    ("/api/auth/logout", &[Perfect21, Qoder]),
    ("/api/auth/profile", &[Perfect21, Qoder]),
    ("/api/auth/change-password", &[Perfect21, Resoft]),
];

/// Methods on a shared path that only one document documents.
const SHARED_PATH_EXCEPTIONS: &[(&str, &str, Surface)] = &[("PUT", "/api/auth/profile", Perfect21)];

/// Claimants of unknown paths under `/api/auth`: every document that serves routes there.
const AUTH_CLAIMANTS: &[Surface] = &[Perfect21, Resoft, Qoder];

/// Path prefixes (whole segments) and their owners; the first match wins, so specific prefixes come first.
const PREFIXES: &[(&str, Shape)] = &[
    ("/api/v1/webhooks", Shape::One(AnsFlow)),
    ("/api/v1/system", Shape::One(AnsFlow)),
    ("/api/v1/integrations", Shape::One(AnsFlow)),
    ("/api/v1", Shape::One(PetPlan)),
    ("/api/pipelines", Shape::One(AnsFlow)),
    ("/api/pipeline-runs", Shape::One(AnsFlow)),
    ("/api/step-types", Shape::One(AnsFlow)),
    ("/ws/pipeline-runs", Shape::One(AnsFlow)),
    ("/api/users", Shape::One(Qoder)),
    ("/api/servers", Shape::One(Qoder)),
    ("/api/deployments", Shape::One(Qoder)),
    ("/api/tasks", Shape::One(Qoder)),
    ("/api/monitor", Shape::One(Qoder)),
    ("/api/auth/me", Shape::One(Resoft)),
    ("/api/auth/verify", Shape::One(Perfect21)),
    ("/api/auth/verify-email", Shape::One(Perfect21)),
    ("/api/auth/admin", Shape::One(Perfect21)),
    ("/api/auth/health", Shape::One(Perfect21)),
    ("/api/metrics", Shape::One(Perfect21)),
    ("/api/quality", Shape::One(Perfect21)),
    ("/api/workflows", Shape::One(Perfect21)),
    ("/task", Shape::One(Perfect21)),
    ("/workflow", Shape::One(Perfect21)),
    ("/hooks", Shape::One(Perfect21)),
    ("/status", Shape::One(Perfect21)),
    ("/health", Shape::One(Perfect21)),
    ("/ws/task", Shape::One(Perfect21)),
    ("/api/auth", Shape::Union(AUTH_CLAIMANTS)),
    ("/api", Shape::One(Resoft)),
    ("/docs", Shape::One(Resoft)),
    ("/openapi.json", Shape::One(Resoft)),
    ("/socket.io", Shape::One(Resoft)),
];

fn has_prefix(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The shape of the response to `method path`: the document that owns the route, or for unknown routes the
/// document that owns the path prefix.
pub fn shape_for(method: &str, path: &str) -> Shape {
    if let Some((_, _, s)) = SHARED_PATH_EXCEPTIONS.iter().find(|(m, p, _)| *m == method && *p == path) {
        return Shape::One(*s);
    }
    if let Some((_, claimants)) = SHARED.iter().find(|(p, _)| *p == path) {
        return Shape::Union(claimants);
    }
    // Django serves AnsFlow's REST routes with a trailing slash; the planner's `/api/v1/tasks/` is its own.
    let ansflow_style =
        path.len() > 5 && path.ends_with('/') && has_prefix(path, "/api") && !has_prefix(path, "/api/v1");
    if ansflow_style {
        return Shape::One(AnsFlow);
    }
    PREFIXES.iter().find(|(p, _)| has_prefix(path, p)).map_or(Shape::One(Perfect21), |(_, shape)| *shape)
}

/// A concrete sample path for a template, for tests: `{x}` becomes `1`.
pub fn sample_path(template: &str) -> String {
    template.split('/').map(|s| if s.starts_with('{') { "1" } else { s }).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::endpoints;

    #[test]
    fn every_documented_endpoint_is_owned_by_its_document() {
        let all = endpoints();
        for e in &all {
            let claimants: Vec<Surface> =
                all.iter().filter(|o| o.method == e.method && o.path == e.path).map(|o| o.surface).collect();
            let method = match e.method {
                "WS" | "SOCKETIO" => "GET",
                m => m,
            };
            let got = shape_for(method, &sample_path(e.path));
            if claimants.len() > 1 {
                assert_eq!(got, Shape::Union(Box::leak(claimants.into_boxed_slice())), "{} {}", e.method, e.path);
            } else {
                assert_eq!(got, Shape::One(e.surface), "{} {}", e.method, e.path);
            }
        }
    }

    #[test]
    fn unknown_paths_go_to_the_prefix_owner() {
        assert_eq!(shape_for("GET", "/api/v1/plans/x/y"), Shape::One(PetPlan));
        assert_eq!(shape_for("GET", "/api/v1/nothing"), Shape::One(PetPlan));
        assert_eq!(shape_for("GET", "/api/v1/webhooks/bitbucket"), Shape::One(AnsFlow));
        assert_eq!(shape_for("GET", "/api/users/7/avatar"), Shape::One(Qoder));
        assert_eq!(shape_for("GET", "/api/users/7/avatar/"), Shape::One(AnsFlow));
        assert_eq!(shape_for("GET", "/api/monitoring/x"), Shape::One(Resoft));
        assert_eq!(shape_for("GET", "/api/monitor/x"), Shape::One(Qoder));
        assert_eq!(shape_for("GET", "/api/nothing"), Shape::One(Resoft));
        assert_eq!(shape_for("GET", "/api/auth/nothing"), Shape::Union(AUTH_CLAIMANTS));
        assert_eq!(shape_for("GET", "/nothing"), Shape::One(Perfect21));
        assert_eq!(shape_for("GET", "/"), Shape::One(Perfect21));
    }

    #[test]
    fn wrong_methods_on_shared_paths_get_the_union() {
        assert_eq!(shape_for("DELETE", "/api/auth/login"), Shape::Union(&[Perfect21, Resoft, Qoder]));
        assert_eq!(shape_for("PUT", "/api/auth/profile"), Shape::One(Perfect21));
        assert_eq!(shape_for("DELETE", "/api/auth/profile"), Shape::Union(&[Perfect21, Qoder]));
    }

    #[test]
    fn seeds_round_trip() {
        for s in Surface::ALL {
            assert_eq!(Surface::from_seed(s.seed()), Some(s));
        }
        assert_eq!(Surface::from_seed("005"), None);
    }
}
