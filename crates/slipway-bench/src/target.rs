//! Where requests go: a `--url` base URL, or the address a child server announced, plus the scenario's path.

use std::net::SocketAddr;
use std::str::FromStr;

use anyhow::Context;
use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Uri};

/// A base URL given with `--url`: plain HTTP, a host, a port and an optional path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// Host and port as written (the `Host` header).
    pub authority: String,
    /// Host name or address, IPv6 brackets removed (for resolving).
    pub host: String,
    /// Port, 80 when none is written.
    pub port: u16,
    /// Path prefix without a trailing slash; empty for the root.
    pub prefix: String,
}

impl FromStr for BaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let uri: Uri = s.trim().parse().map_err(|e| format!("not a URL ({e})"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => return Err(format!("only http:// URLs are supported, not {other}://")),
            None => {
                return Err("the URL needs a scheme and a host, e.g. http://127.0.0.1:8000".to_owned());
            }
        }
        let authority = uri.authority().ok_or("the URL has no host")?;
        if authority.as_str().contains('@') {
            return Err("the URL must not contain credentials".to_owned());
        }
        if uri.query().is_some() {
            return Err("the URL must not have a query".to_owned());
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
        Ok(Self {
            authority: authority.as_str().to_owned(),
            host,
            port: authority.port_u16().unwrap_or(80),
            prefix: uri.path().trim_end_matches('/').to_owned(),
        })
    }
}

/// One resolved endpoint: the address to connect to and the request to send.
#[derive(Debug, Clone)]
pub struct Target {
    /// The address every connection goes to.
    pub addr: SocketAddr,
    /// The `Host` header.
    pub host: HeaderValue,
    /// The path prefix of a `--url` base (empty for a local child).
    pub prefix: String,
    /// The request target (origin form), prefix included.
    pub path: Uri,
    /// The full URL, for messages.
    pub url: String,
    /// The request method.
    pub method: Method,
    /// Headers besides `Host`.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The request body (empty for `GET`).
    pub body: Bytes,
}

impl Target {
    /// The endpoint for `path` on a server this process started at `addr`.
    pub fn local(addr: SocketAddr, path: &str) -> anyhow::Result<Self> {
        Self::new(addr, &addr.to_string(), "", path)
    }

    /// The endpoint for `path` under a `--url` base, its host resolved now.
    pub async fn resolve(base: &BaseUrl, path: &str) -> anyhow::Result<Self> {
        let addr = tokio::net::lookup_host((base.host.as_str(), base.port))
            .await
            .with_context(|| format!("cannot resolve {}", base.host))?
            .next()
            .with_context(|| format!("{} resolves to no address", base.host))?;
        Self::new(addr, &base.authority, &base.prefix, path)
    }

    fn new(addr: SocketAddr, authority: &str, prefix: &str, path: &str) -> anyhow::Result<Self> {
        let full = format!("{prefix}{path}");
        Ok(Self {
            addr,
            host: HeaderValue::from_str(authority).with_context(|| format!("invalid host {authority:?}"))?,
            prefix: prefix.to_owned(),
            path: full.parse().with_context(|| format!("invalid path {full:?}"))?,
            url: format!("http://{authority}{full}"),
            method: Method::GET,
            headers: Vec::new(),
            body: Bytes::new(),
        })
    }

    /// The same server, another request: `method` on `path` (under the same prefix) with a JSON body.
    pub fn with_request(&self, method: Method, path: &str, json: Option<&serde_json::Value>) -> anyhow::Result<Self> {
        let authority = self.host.to_str().context("host header")?.to_owned();
        let mut t = Self::new(self.addr, &authority, &self.prefix, path)?;
        t.method = method;
        t.headers.clone_from(&self.headers);
        if let Some(body) = json {
            t.headers.push((hyper::header::CONTENT_TYPE, HeaderValue::from_static("application/json")));
            t.body = Bytes::from(body.to_string());
        }
        Ok(t)
    }

    /// This request with a bearer token.
    pub fn with_bearer(mut self, token: &str) -> anyhow::Result<Self> {
        let value = HeaderValue::from_str(&format!("Bearer {token}")).context("token is not a header value")?;
        self.headers.push((hyper::header::AUTHORIZATION, value));
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_base_urls() {
        let b: BaseUrl = "http://127.0.0.1:8000".parse().unwrap();
        assert_eq!(
            (b.authority.as_str(), b.host.as_str(), b.port, b.prefix.as_str()),
            ("127.0.0.1:8000", "127.0.0.1", 8000, "")
        );
        let b: BaseUrl = "http://example.com/api/".parse().unwrap();
        assert_eq!((b.host.as_str(), b.port, b.prefix.as_str()), ("example.com", 80, "/api"));
        let b: BaseUrl = "http://[::1]:9000/".parse().unwrap();
        assert_eq!((b.authority.as_str(), b.host.as_str(), b.port), ("[::1]:9000", "::1", 9000));
    }

    #[test]
    fn rejects_unsupported_urls() {
        for bad in ["https://example.com", "example.com:80", "/health", "http://u:p@host/", "http://host/?q=1", ""] {
            assert!(bad.parse::<BaseUrl>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn other_requests_keep_the_prefix_and_carry_a_body() {
        let base: BaseUrl = "http://127.0.0.1:9/api".parse().unwrap();
        let t = Target::new(SocketAddr::from(([127, 0, 0, 1], 9)), &base.authority, &base.prefix, "/health").unwrap();
        let body = serde_json::json!({"a": 1});
        let login = t.with_request(Method::POST, "/auth/login", Some(&body)).unwrap().with_bearer("tok").unwrap();
        assert_eq!(login.path, "/api/auth/login");
        assert_eq!(login.method, Method::POST);
        assert_eq!(login.body, Bytes::from(r#"{"a":1}"#));
        assert!(login.headers.iter().any(|(n, v)| n == hyper::header::AUTHORIZATION && v == "Bearer tok"));
    }

    #[test]
    fn local_target_names_the_address() {
        let t = Target::local(SocketAddr::from(([127, 0, 0, 1], 4000)), "/health").unwrap();
        assert_eq!(t.url, "http://127.0.0.1:4000/health");
        assert_eq!(t.host, "127.0.0.1:4000");
        assert_eq!(t.path, "/health");
    }
}
