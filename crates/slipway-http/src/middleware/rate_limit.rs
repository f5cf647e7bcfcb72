//! Rate limits by route: logins and registrations per client address, Perfect21 routes per caller, ResoftAI
//! routes per caller's tier (their organizations' best, read through a short per-user cache). Every response
//! of a limited route carries `X-RateLimit-Limit`, `-Remaining` and `-Reset` (epoch seconds, as ResoftAI
//! documents it) — successes, errors, timeouts and panics alike, since the error layer puts them on whatever
//! leaves; a refusal is a 429 in the route's shape with `Retry-After`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use slipway_core::config::{Rate, RateLimitConfig};
use slipway_core::{Error, Role};
use slipway_identity::Decision;
use slipway_identity::organizations::Tier;

use super::errors::LimitHeaders;
use crate::error::ApiError;
use crate::extract::client_ip;
use crate::state::AppState;
use crate::surface::{Shape, Surface, shape_for};

const LOGIN_PATHS: &[&str] = &["/api/auth/login", "/api/auth/login/", "/api/v1/auth/login"];
const REGISTER_PATHS: &[&str] = &["/api/auth/register", "/api/v1/auth/register", "/api/v1/auth/verify-register"];
/// Health checks and documentation are never limited (load balancers poll them), nor is Socket.IO's transport
/// (long-polling is many small requests; its connections are authenticated once).
const EXEMPT_PREFIXES: &[&str] = &["/health", "/status", "/api/auth/health", "/docs", "/openapi.json", "/socket.io"];

/// The bucket of ResoftAI's routes, limited by the caller's tier.
const RESOFTAI: &str = "resoftai";

/// ResoftAI's limit for a caller: administrators get enterprise limits, anyone else their organizations' best
/// tier (free, professional = paid, enterprise), free when in none.
fn resoftai_rate(rates: &RateLimitConfig, role: Option<Role>, tier: Option<Tier>) -> Rate {
    match (role, tier) {
        (Some(Role::Admin), _) | (_, Some(Tier::Enterprise)) => rates.resoftai_enterprise,
        (_, Some(Tier::Professional)) => rates.resoftai_paid,
        _ => rates.resoftai_free,
    }
}

/// Which counter a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Policy {
    bucket: &'static str,
    rate: Rate,
    per_caller: bool,
}

fn exempt(path: &str) -> bool {
    EXEMPT_PREFIXES.iter().any(|p| path.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

fn policy_for(method: &Method, path: &str, rates: &RateLimitConfig, role: Option<Role>) -> Option<Policy> {
    if method == Method::OPTIONS || exempt(path) {
        return None;
    }
    if method == Method::POST && LOGIN_PATHS.contains(&path) {
        return Some(Policy { bucket: "login", rate: rates.login, per_caller: false });
    }
    if method == Method::POST && REGISTER_PATHS.contains(&path) {
        return Some(Policy { bucket: "register", rate: rates.register, per_caller: false });
    }
    match shape_for(method.as_str(), path) {
        Shape::One(Surface::Perfect21) | Shape::Union([Surface::Perfect21, ..]) => {
            Some(Policy { bucket: "perfect21", rate: rates.perfect21, per_caller: true })
        }
        Shape::One(Surface::Resoft) => {
            Some(Policy { bucket: RESOFTAI, rate: resoftai_rate(rates, role, None), per_caller: true })
        }
        _ => None,
    }
}

/// Whether requests to `method path` count against a rate limit (for any caller).
pub fn is_limited(method: &Method, path: &str) -> bool {
    policy_for(method, path, &RateLimitConfig::default(), None).is_some()
}

fn headers_of(d: &Decision) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-ratelimit-limit", HeaderValue::from(d.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(d.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(d.reset_at));
    headers
}

/// Counts the request against its route's limit before it reaches the handler.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limits = &state.limits;
    if !limits.limiter.is_enabled() {
        return next.run(req).await;
    }
    // The caller's id and role come from the token's signature alone: no database trip to count a request.
    let claims = crate::extract::bearer_token_of(req.headers()).and_then(|t| state.identity.keys().verify(t).ok());
    let role = claims.as_ref().map(|c| c.role);
    let Some(mut policy) = policy_for(req.method(), req.uri().path(), &limits.rates, role) else {
        return next.run(req).await;
    };
    if policy.bucket == RESOFTAI && role.is_some_and(|r| r != Role::Admin) {
        // The tier is cached per user for a short while, so this is rarely a database trip.
        let user = claims.as_ref().and_then(|c| c.sub.parse::<i64>().ok());
        if let Some(user) = user {
            match state.identity.organizations().tier_of(user).await {
                Ok(tier) => policy.rate = resoftai_rate(&limits.rates, role, tier),
                Err(e) => tracing::warn!(error = %e, "cannot read the caller's tier; free limits apply"),
            }
        }
    }
    let key = match claims.filter(|_| policy.per_caller) {
        Some(c) => format!("user:{}", c.sub),
        None => {
            let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
            client_ip(peer, req.headers(), &state.trusted_proxies)
                .map_or_else(|| "ip:unknown".to_owned(), |ip| format!("ip:{ip}"))
        }
    };
    let now = slipway_core::time::now().timestamp();
    let Some(d) = limits.limiter.hit(policy.bucket, &key, policy.rate, now).await else {
        return next.run(req).await;
    };
    let slot = req.extensions().get::<LimitHeaders>().cloned();
    if let Some(slot) = &slot {
        slot.set(headers_of(&d));
    }
    let mut resp = if d.allowed {
        next.run(req).await
    } else {
        ApiError(Error::RateLimited { retry_after_secs: d.retry_after_secs }).into_response()
    };
    if slot.is_none() {
        resp.headers_mut().extend(headers_of(&d));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fall_into_their_documented_buckets() {
        let r = RateLimitConfig::default();
        let p = |m: Method, path: &str| policy_for(&m, path, &r, None).map(|p| p.bucket);
        assert_eq!(p(Method::POST, "/api/auth/login"), Some("login"));
        assert_eq!(p(Method::POST, "/api/auth/login/"), Some("login"));
        assert_eq!(p(Method::POST, "/api/v1/auth/login"), Some("login"));
        assert_eq!(p(Method::POST, "/api/auth/register"), Some("register"));
        assert_eq!(p(Method::GET, "/api/auth/profile"), Some("perfect21"));
        assert_eq!(p(Method::POST, "/task"), Some("perfect21"));
        assert_eq!(p(Method::GET, "/api/projects"), Some("resoftai"));
        assert_eq!(p(Method::GET, "/api/users"), None, "qoder documents no limit");
        assert_eq!(p(Method::GET, "/health"), None);
        assert_eq!(p(Method::GET, "/docs/index.html"), None);
        assert_eq!(p(Method::OPTIONS, "/api/projects"), None);
        assert_eq!(
            policy_for(&Method::GET, "/api/projects", &r, Some(Role::Admin)).unwrap().rate,
            r.resoftai_enterprise
        );
        assert_eq!(policy_for(&Method::GET, "/api/projects", &r, None).unwrap().rate, r.resoftai_free);
        let user = Some(Role::User);
        assert_eq!(resoftai_rate(&r, user, Some(Tier::Professional)), r.resoftai_paid);
        assert_eq!(resoftai_rate(&r, user, Some(Tier::Enterprise)), r.resoftai_enterprise);
        assert_eq!(resoftai_rate(&r, user, Some(Tier::Free)), r.resoftai_free);
        assert_eq!(resoftai_rate(&r, Some(Role::Admin), Some(Tier::Free)), r.resoftai_enterprise);
    }
}
