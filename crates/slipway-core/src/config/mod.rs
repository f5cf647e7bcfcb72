//! Configuration: the effective settings and the layers they are merged from.
//!
//! Order of precedence, lowest first: defaults < `slipway.toml` < `SLIPWAY_*` environment < command-line flags.
//! Parsing is pure here; reading files and the process environment is the binary's job. Adding a key means a
//! line in [`keys::KEYS`], a field with its default, and one arm each in `apply` and `render`.

pub mod keys;
mod layer;
mod net;
mod values;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

pub use layer::{ConfigLayer, RawValue};
pub use net::IpNet;
pub use values::{LogFormat, MissedRuns, Rate, parse_duration_secs, redact_url, render_duration};

/// Default listen address.
pub const DEFAULT_BIND: &str = "0.0.0.0:8000";
/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./slipway-data";

/// A configuration value that could not be used, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct ConfigError {
    /// The file, variable or flag that held the value.
    pub origin: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Self { origin: origin.into(), message: message.into() }
    }
}

/// Accounts, tokens and lockout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    /// HS256 signing secret; `None` means generated once and kept in the data directory.
    pub jwt_secret: Option<String>,
    /// Access token lifetime, seconds.
    pub access_token_ttl: u64,
    /// Refresh token (session) lifetime, seconds.
    pub refresh_token_ttl: u64,
    /// Session lifetime with `remember_me`, seconds.
    pub remember_me_ttl: u64,
    /// A floor on password length that applies on every surface, above each document's own rule.
    pub password_min_length: usize,
    /// Failed logins within the window that lock an account.
    pub lockout_threshold: u32,
    /// The window failed logins are counted in, seconds.
    pub lockout_window: u64,
    /// How long a locked account stays locked, seconds.
    pub lockout_duration: u64,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            jwt_secret: None,
            access_token_ttl: 1800,
            refresh_token_ttl: 7 * 86_400,
            remember_me_ttl: 30 * 86_400,
            password_min_length: 0,
            lockout_threshold: 5,
            lockout_window: 900,
            lockout_duration: 900,
        }
    }
}

/// Outgoing mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `smtps://user:pass@host:465` (TLS), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtp://host:25` (unencrypted, for local relays); `None` writes mail to `<data_dir>/outbox/` instead.
    pub smtp_url: Option<String>,
    /// The `From:` address.
    pub from: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self { smtp_url: None, from: "Slipway <noreply@slipway.localhost>".to_owned() }
    }
}

/// Request rate limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// `false` switches every limit off (test rigs, trusted networks).
    pub enabled: bool,
    /// When set, counters are shared between nodes through this Redis.
    pub redis_url: Option<String>,
    /// Every Perfect21 route, per caller.
    pub perfect21: Rate,
    /// Every login route, per client address.
    pub login: Rate,
    /// Every registration route, per client address.
    pub register: Rate,
    /// ResoftAI routes, free tier.
    pub resoftai_free: Rate,
    /// ResoftAI routes, paid tier.
    pub resoftai_paid: Rate,
    /// ResoftAI routes, enterprise tier.
    pub resoftai_enterprise: Rate,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            redis_url: None,
            perfect21: Rate::new(1000, 3600),
            login: Rate::new(10, 600),
            register: Rate::new(5, 3600),
            resoftai_free: Rate::new(60, 60),
            resoftai_paid: Rate::new(300, 60),
            resoftai_enterprise: Rate::new(1000, 60),
        }
    }
}

/// The administrator created on first start when none exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminBootstrap {
    /// Username (default `admin`).
    pub username: Option<String>,
    /// E-mail address (default `admin@localhost`).
    pub email: Option<String>,
    /// Password; when unset a random one is generated and printed once.
    pub password: Option<String>,
}

/// The server's default LLM provider and the LLM runtime's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmConfig {
    /// Provider name of the server default (`deepseek`, `anthropic`, `openai`, `ollama`, …); `None`: no default.
    pub provider: Option<String>,
    /// Base URL of the server default (the provider's public URL when unset).
    pub base_url: Option<String>,
    /// API key of the server default.
    pub api_key: Option<String>,
    /// Model of the server default (the provider's default model when unset).
    pub model: Option<String>,
    /// Seconds one provider request may take (for a stream: to its first event, then between events).
    pub timeout: u64,
    /// Attempts per provider and call, the first included (1: no retry).
    pub retries: u32,
    /// Whether the response cache may answer calls that ask for it (callers opt in per call; off: never).
    pub cache: bool,
    /// Entries of the in-memory response cache; 0 switches it off.
    pub cache_entries: usize,
    /// A price table overriding the built-in one: a path to a TOML or JSON file, or inline JSON.
    pub prices: Option<String>,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            provider: None,
            base_url: None,
            api_key: None,
            model: None,
            timeout: 120,
            retries: 3,
            cache: true,
            cache_entries: 1000,
            prices: None,
        }
    }
}

/// Where uploaded files live and how large one may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesConfig {
    /// A directory (plain path or `file:///abs/path`) or `s3://bucket/prefix` (credentials from the usual
    /// `AWS_*` variables); `None` means `<data_dir>/files`.
    pub url: Option<String>,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: u64,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self { url: None, max_upload_bytes: 100 * 1024 * 1024 }
    }
}

/// The effective configuration of a Slipway node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Addresses the HTTP server listens on; each serves the same application.
    pub bind: Vec<SocketAddr>,
    /// Where the SQLite database, generated secrets and workspaces live.
    pub data_dir: PathBuf,
    /// Explicit database URL; `None` means the SQLite file in the data directory.
    pub database_url: Option<String>,
    /// Log filter directives.
    pub log: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// Origins allowed by CORS; empty allows none, `*` allows any.
    pub cors_origins: Vec<String>,
    /// Largest accepted request body, in bytes.
    pub body_limit: u64,
    /// Seconds before an unanswered request gets a timeout error.
    pub request_timeout: u64,
    /// Seconds in-flight requests get to finish after a shutdown signal.
    pub shutdown_grace: u64,
    /// Seconds between two collections of a monitored server.
    pub monitor_interval: u64,
    /// Largest number of database connections per node.
    pub db_max_connections: u32,
    /// Jobs this node runs at once (worker slots); 0 runs none.
    pub workers: usize,
    /// Days the events of finished jobs are kept; 0 keeps them forever.
    pub event_retention_days: u64,
    /// What schedules do about due times missed while no node ran.
    pub missed_runs: MissedRuns,
    /// Seconds a running job's lease lasts without a heartbeat (a lost worker's jobs are retried after it).
    pub job_lease: u64,
    /// Accounts, tokens and lockout.
    pub identity: IdentityConfig,
    /// Outgoing mail.
    pub mail: MailConfig,
    /// Request rate limits.
    pub rate_limits: RateLimitConfig,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// The first administrator.
    pub admin: AdminBootstrap,
    /// The key that encrypts stored secrets (API keys); `None` means generated once and kept in the data
    /// directory.
    pub secret_key: Option<String>,
    /// LLM providers.
    pub llm: LlmConfig,
    /// Internal destinations (host names, addresses, networks; see `slipway-outbound`) an administrator allows
    /// user-given URLs to reach.
    pub outbound_allow: Vec<String>,
    /// The file store.
    pub files: FilesConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: vec![SocketAddr::from(([0, 0, 0, 0], 8000))],
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            database_url: None,
            log: "info".to_owned(),
            log_format: LogFormat::Text,
            cors_origins: Vec::new(),
            body_limit: 10 * 1024 * 1024,
            request_timeout: 30,
            shutdown_grace: 10,
            monitor_interval: 15,
            db_max_connections: 16,
            workers: 8,
            event_retention_days: 30,
            missed_runs: MissedRuns::Once,
            job_lease: 30,
            identity: IdentityConfig::default(),
            mail: MailConfig::default(),
            rate_limits: RateLimitConfig::default(),
            trusted_proxies: Vec::new(),
            admin: AdminBootstrap::default(),
            secret_key: None,
            llm: LlmConfig::default(),
            outbound_allow: Vec::new(),
            files: FilesConfig::default(),
        }
    }
}

fn parse_num<T>(key: &str, value: &str, min: T) -> Result<T, String>
where
    T: FromStr + PartialOrd + std::fmt::Display,
{
    let n: T = value.trim().parse().map_err(|_| format!("{key} must be a whole number, got {value:?}"))?;
    if n < min {
        return Err(format!("{key} must be at least {min}, got {n}"));
    }
    Ok(n)
}

fn parse_secs(key: &str, value: &str, min: u64) -> Result<u64, String> {
    let secs = parse_duration_secs(value).map_err(|e| format!("{key}: {e}"))?;
    if secs < min {
        return Err(format!("{key} must be at least {}", render_duration(min)));
    }
    Ok(secs)
}

fn parse_rate(key: &str, value: &str) -> Result<Rate, String> {
    value.parse().map_err(|e| format!("{key}: {e}"))
}

fn non_empty(key: &str, value: String) -> Result<String, String> {
    if value.trim().is_empty() { Err(format!("{key} must not be empty")) } else { Ok(value) }
}

fn validate_url(key: &str, url: &str, schemes: &[&str]) -> Result<(), String> {
    if schemes.iter().any(|s| url.starts_with(s)) {
        Ok(())
    } else {
        Err(format!("{key} {:?} must start with {}", redact_url(url), schemes.join(" or ")))
    }
}

impl Config {
    /// Applies layers over the defaults, later layers winning, and validates every value.
    pub fn from_layers(layers: &[ConfigLayer]) -> Result<Self, ConfigError> {
        let mut c = Self::default();
        for layer in layers {
            for (key, raw) in &layer.values {
                c.apply(key, raw).map_err(|message| ConfigError::new(&layer.origin, message))?;
            }
        }
        Ok(c)
    }

    fn apply(&mut self, key: &str, raw: &RawValue) -> Result<(), String> {
        let text = raw.text();
        let v = text.as_str();
        match key {
            "bind" => {
                let list = raw.list();
                if list.is_empty() {
                    return Err("bind must name at least one address".into());
                }
                self.bind = list
                    .iter()
                    .map(|b| b.parse().map_err(|_| format!("bind address {b:?} is not of the form IP:PORT")))
                    .collect::<Result<_, _>>()?;
            }
            "data_dir" => self.data_dir = PathBuf::from(non_empty(key, text.clone())?),
            "database_url" => {
                validate_url(key, v, &["sqlite:", "postgres://", "postgresql://"])?;
                self.database_url = Some(text.clone());
            }
            "log" => self.log = text.clone(),
            "log_format" => self.log_format = v.parse()?,
            "cors_origins" => self.cors_origins = raw.list(),
            "body_limit" => self.body_limit = parse_num(key, v, 1024u64)?,
            "request_timeout" => self.request_timeout = parse_secs(key, v, 1)?,
            "shutdown_grace" => self.shutdown_grace = parse_secs(key, v, 0)?,
            "monitor_interval" => self.monitor_interval = parse_secs(key, v, 1)?,
            "db_max_connections" => self.db_max_connections = parse_num(key, v, 1u32)?,
            "workers" => {
                self.workers = parse_num(key, v, 0usize)?;
                if self.workers > 1024 {
                    return Err(format!("workers must be at most 1024, got {}", self.workers));
                }
            }
            "event_retention_days" => self.event_retention_days = parse_num(key, v, 0u64)?,
            "missed_runs" => self.missed_runs = v.parse()?,
            "job_lease" => self.job_lease = parse_secs(key, v, 1)?,
            "jwt_secret" => {
                if v.len() < 32 {
                    return Err("jwt_secret must be at least 32 characters".into());
                }
                self.identity.jwt_secret = Some(text.clone());
            }
            "access_token_ttl" => self.identity.access_token_ttl = parse_secs(key, v, 60)?,
            "refresh_token_ttl" => self.identity.refresh_token_ttl = parse_secs(key, v, 60)?,
            "remember_me_ttl" => self.identity.remember_me_ttl = parse_secs(key, v, 60)?,
            "password_min_length" => self.identity.password_min_length = parse_num(key, v, 0usize)?,
            "lockout_threshold" => self.identity.lockout_threshold = parse_num(key, v, 1u32)?,
            "lockout_window" => self.identity.lockout_window = parse_secs(key, v, 1)?,
            "lockout_duration" => self.identity.lockout_duration = parse_secs(key, v, 1)?,
            "smtp_url" => {
                validate_url(key, v, &["smtp://", "smtps://"])?;
                self.mail.smtp_url = Some(text.clone());
            }
            "mail_from" => self.mail.from = non_empty(key, text.clone())?,
            "redis_url" => {
                validate_url(key, v, &["redis://", "rediss://"])?;
                self.rate_limits.redis_url = Some(text.clone());
            }
            "rate_limit" => self.rate_limits.enabled = values::parse_switch(v).map_err(|e| format!("{key}: {e}"))?,
            "rate_limit_perfect21" => self.rate_limits.perfect21 = parse_rate(key, v)?,
            "rate_limit_login" => self.rate_limits.login = parse_rate(key, v)?,
            "rate_limit_register" => self.rate_limits.register = parse_rate(key, v)?,
            "rate_limit_resoftai_free" => self.rate_limits.resoftai_free = parse_rate(key, v)?,
            "rate_limit_resoftai_paid" => self.rate_limits.resoftai_paid = parse_rate(key, v)?,
            "rate_limit_resoftai_enterprise" => self.rate_limits.resoftai_enterprise = parse_rate(key, v)?,
            "trusted_proxies" => {
                self.trusted_proxies = raw.list().iter().map(|s| s.parse()).collect::<Result<_, _>>()?;
            }
            "admin_username" => self.admin.username = Some(non_empty(key, text.clone())?),
            "admin_email" => self.admin.email = Some(non_empty(key, text.clone())?),
            "admin_password" => self.admin.password = Some(non_empty(key, text.clone())?),
            "secret_key" => {
                if v.len() < 32 {
                    return Err("secret_key must be at least 32 characters".into());
                }
                self.secret_key = Some(text.clone());
            }
            "llm_provider" => self.llm.provider = Some(non_empty(key, v.trim().to_ascii_lowercase())?),
            "llm_base_url" => {
                validate_url(key, v, &["http://", "https://"])?;
                self.llm.base_url = Some(v.trim_end_matches('/').to_owned());
            }
            "llm_api_key" => self.llm.api_key = Some(non_empty(key, text.clone())?),
            "llm_model" => self.llm.model = Some(non_empty(key, v.trim().to_owned())?),
            "llm_timeout" => self.llm.timeout = parse_secs(key, v, 1)?,
            "llm_retries" => {
                self.llm.retries = parse_num(key, v, 1u32)?;
                if self.llm.retries > 10 {
                    return Err(format!("llm_retries must be at most 10, got {}", self.llm.retries));
                }
            }
            "llm_cache" => {
                self.llm.cache = values::parse_switch(v).map_err(|e| {
                    if v.trim().parse::<u64>().is_ok() {
                        format!("llm_cache is on or off; the number of entries is llm_cache_entries, got {v:?}")
                    } else {
                        format!("{key}: {e}")
                    }
                })?;
            }
            "llm_cache_entries" => self.llm.cache_entries = parse_num(key, v, 0usize)?,
            "llm_prices" => self.llm.prices = Some(non_empty(key, text.clone())?),
            "outbound_allow" => {
                self.outbound_allow = raw.list();
            }
            "files_url" => {
                let url = non_empty(key, v.trim().to_owned())?;
                if url.contains("://") {
                    validate_url(key, &url, &["file:///", "s3://"])?;
                }
                self.files.url = Some(url);
            }
            "max_upload_bytes" => self.files.max_upload_bytes = parse_num(key, v, 1u64)?,
            other => return Err(format!("unknown key {other:?}")),
        }
        Ok(())
    }

    /// A key's effective value as `slipway config` shows it, secrets redacted; `None` when unset.
    fn render(&self, key: &str) -> Option<toml::Value> {
        use toml::Value::{Array, Integer, String as Text};
        let text = |s: &str| Some(Text(s.to_owned()));
        let secs = |s: u64| Some(Text(render_duration(s)));
        let list = |v: Vec<String>| Some(Array(v.into_iter().map(Text).collect()));
        let secret = |s: &Option<String>| s.as_ref().map(|_| Text("***".to_owned()));
        let id = &self.identity;
        let rl = &self.rate_limits;
        match key {
            "bind" => list(self.bind.iter().map(ToString::to_string).collect()),
            "data_dir" => text(&self.data_dir.display().to_string()),
            "database_url" => text(&redact_url(&self.effective_database_url())),
            "log" => text(&self.log),
            "log_format" => text(&self.log_format.to_string()),
            "cors_origins" => list(self.cors_origins.clone()),
            "body_limit" => Some(Integer(i64::try_from(self.body_limit).unwrap_or(i64::MAX))),
            "request_timeout" => secs(self.request_timeout),
            "shutdown_grace" => secs(self.shutdown_grace),
            "monitor_interval" => secs(self.monitor_interval),
            "db_max_connections" => Some(Integer(i64::from(self.db_max_connections))),
            "workers" => Some(Integer(i64::try_from(self.workers).unwrap_or(i64::MAX))),
            "event_retention_days" => Some(Integer(i64::try_from(self.event_retention_days).unwrap_or(i64::MAX))),
            "missed_runs" => text(self.missed_runs.as_str()),
            "job_lease" => secs(self.job_lease),
            "jwt_secret" => secret(&id.jwt_secret),
            "access_token_ttl" => secs(id.access_token_ttl),
            "refresh_token_ttl" => secs(id.refresh_token_ttl),
            "remember_me_ttl" => secs(id.remember_me_ttl),
            "password_min_length" => Some(Integer(i64::try_from(id.password_min_length).unwrap_or(i64::MAX))),
            "lockout_threshold" => Some(Integer(i64::from(id.lockout_threshold))),
            "lockout_window" => secs(id.lockout_window),
            "lockout_duration" => secs(id.lockout_duration),
            "smtp_url" => self.mail.smtp_url.as_deref().map(|u| Text(redact_url(u))),
            "mail_from" => text(&self.mail.from),
            "redis_url" => rl.redis_url.as_deref().map(|u| Text(redact_url(u))),
            "rate_limit" => text(if rl.enabled { "on" } else { "off" }),
            "rate_limit_perfect21" => text(&rl.perfect21.to_string()),
            "rate_limit_login" => text(&rl.login.to_string()),
            "rate_limit_register" => text(&rl.register.to_string()),
            "rate_limit_resoftai_free" => text(&rl.resoftai_free.to_string()),
            "rate_limit_resoftai_paid" => text(&rl.resoftai_paid.to_string()),
            "rate_limit_resoftai_enterprise" => text(&rl.resoftai_enterprise.to_string()),
            "trusted_proxies" => list(self.trusted_proxies.iter().map(ToString::to_string).collect()),
            "admin_username" => self.admin.username.as_deref().and_then(text),
            "admin_email" => self.admin.email.as_deref().and_then(text),
            "admin_password" => secret(&self.admin.password),
            "secret_key" => secret(&self.secret_key),
            "llm_provider" => self.llm.provider.as_deref().and_then(text),
            "llm_base_url" => self.llm.base_url.as_deref().map(|u| Text(redact_url(u))),
            "llm_api_key" => secret(&self.llm.api_key),
            "llm_model" => self.llm.model.as_deref().and_then(text),
            "llm_timeout" => secs(self.llm.timeout),
            "llm_retries" => Some(Integer(i64::from(self.llm.retries))),
            "llm_cache" => text(if self.llm.cache { "on" } else { "off" }),
            "llm_cache_entries" => Some(Integer(i64::try_from(self.llm.cache_entries).unwrap_or(i64::MAX))),
            "llm_prices" => self.llm.prices.as_deref().and_then(text),
            "outbound_allow" => list(self.outbound_allow.clone()),
            "files_url" => self.files.url.as_deref().map(|u| Text(redact_url(u))),
            "max_upload_bytes" => Some(Integer(i64::try_from(self.files.max_upload_bytes).unwrap_or(i64::MAX))),
            _ => None,
        }
    }

    /// The database URL in force: the configured one, or the SQLite file in the data directory.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("slipway.db").display()),
        }
    }

    /// The configuration as TOML in the file's own keys, secrets replaced by `***`.
    pub fn to_redacted_toml(&self) -> String {
        let table: toml::Table =
            keys::KEYS.iter().filter_map(|k| self.render(k.name).map(|v| (k.name.to_owned(), v))).collect();
        toml::to_string(&table).unwrap_or_else(|e| format!("# could not render configuration: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_configuration() {
        let c = Config::from_layers(&[]).unwrap();
        assert_eq!(c.bind, vec!["0.0.0.0:8000".parse::<SocketAddr>().unwrap()]);
        assert_eq!(c.data_dir, PathBuf::from("./slipway-data"));
        assert_eq!(c.effective_database_url(), "sqlite://./slipway-data/slipway.db");
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.identity.access_token_ttl, 1800);
        assert_eq!(c.rate_limits.login, Rate::new(10, 600));
    }

    #[test]
    fn later_layers_win_key_by_key() {
        let file = ConfigLayer::from_toml(
            "slipway.toml",
            "bind = [\"127.0.0.1:9000\"]\ndata_dir = \"/srv/file\"\nlog = \"debug\"\nrequest_timeout = 5\nrate_limit = false\n",
        )
        .unwrap();
        let env = ConfigLayer::from_env([("SLIPWAY_DATA_DIR", "/srv/env"), ("HOME", "/root")]);
        assert_eq!(env.len(), 1);
        let mut flags = ConfigLayer::new("flags");
        flags.set("bind", "127.0.0.1:1,127.0.0.1:2");
        let layers: Vec<ConfigLayer> = [vec![file], env, vec![flags]].concat();
        let c = Config::from_layers(&layers).unwrap();
        assert_eq!(c.bind.len(), 2);
        assert_eq!(c.data_dir, PathBuf::from("/srv/env"));
        assert_eq!(c.log, "debug");
        assert_eq!(c.request_timeout, 5);
        assert!(!c.rate_limits.enabled);
    }

    #[test]
    fn env_values_parse_by_kind() {
        let env = ConfigLayer::from_env([
            ("SLIPWAY_BIND", "127.0.0.1:8000, 127.0.0.1:8001"),
            ("SLIPWAY_ACCESS_TOKEN_TTL", "1h"),
            ("SLIPWAY_RATE_LIMIT_LOGIN", "3/1m"),
            ("SLIPWAY_TRUSTED_PROXIES", "10.0.0.0/8,::1"),
        ]);
        let c = Config::from_layers(&env).unwrap();
        assert_eq!(c.bind.iter().map(|a| a.port()).collect::<Vec<_>>(), vec![8000, 8001]);
        assert_eq!(c.identity.access_token_ttl, 3600);
        assert_eq!(c.rate_limits.login, Rate::new(3, 60));
        assert_eq!(c.trusted_proxies.len(), 2);
    }

    #[test]
    fn bad_values_name_their_origin() {
        let bad = |var: &str, value: &str| {
            Config::from_layers(&ConfigLayer::from_env([(var, value)])).expect_err("should be refused")
        };
        let err = bad("SLIPWAY_BIND", "localhost");
        assert_eq!(err.origin, "SLIPWAY_BIND");
        assert!(err.message.contains("IP:PORT"), "{err}");
        assert!(bad("SLIPWAY_REQUEST_TIMEOUT", "soon").message.contains("duration"));
        assert!(bad("SLIPWAY_LOG_FORMAT", "xml").message.contains("log format"));
        assert!(bad("SLIPWAY_JWT_SECRET", "short").message.contains("32"));
        assert!(bad("SLIPWAY_RATE_LIMIT", "sometimes").message.contains("on or off"));
        assert!(bad("SLIPWAY_TRUSTED_PROXIES", "10.0.0.0/33").message.contains("prefix"));
        let err = bad("SLIPWAY_DATABASE_URL", "mysql://u:secret@h/db");
        assert!(!err.message.contains("secret"), "{err}");
    }

    #[test]
    fn engine_keys_layer_and_validate() {
        let file =
            ConfigLayer::from_toml("slipway.toml", "workers = 4\nmissed_runs = \"skip\"\njob_lease = 5\n").unwrap();
        let env = ConfigLayer::from_env([("SLIPWAY_EVENT_RETENTION_DAYS", "0"), ("SLIPWAY_WORKERS", "2")]);
        let c = Config::from_layers(&[vec![file], env].concat()).unwrap();
        assert_eq!((c.workers, c.event_retention_days, c.missed_runs, c.job_lease), (2, 0, MissedRuns::Skip, 5));
        let defaults = Config::default();
        assert_eq!((defaults.workers, defaults.event_retention_days, defaults.missed_runs), (8, 30, MissedRuns::Once));
        let bad = ConfigLayer::from_env([("SLIPWAY_MISSED_RUNS", "twice")]);
        let err = Config::from_layers(&bad).unwrap_err();
        assert_eq!(err.origin, "SLIPWAY_MISSED_RUNS");
        assert!(err.message.contains("once"), "{err}");
        assert!(Config::from_layers(&ConfigLayer::from_env([("SLIPWAY_JOB_LEASE", "0")])).is_err());
        assert!(Config::from_layers(&ConfigLayer::from_env([("SLIPWAY_WORKERS", "-1")])).is_err());
        assert!(Config::from_layers(&ConfigLayer::from_env([("SLIPWAY_WORKERS", "2000")])).is_err());
        assert!(c.to_redacted_toml().contains("missed_runs = \"skip\""));
    }

    #[test]
    fn llm_keys_layer_and_validate() {
        let defaults = Config::default();
        assert_eq!((defaults.llm.timeout, defaults.llm.retries, defaults.llm.cache), (120, 3, true));
        assert_eq!(defaults.llm.cache_entries, 1000);
        assert!(defaults.llm.provider.is_none() && defaults.secret_key.is_none());
        let file = ConfigLayer::from_toml(
            "slipway.toml",
            "llm_provider = \"DeepSeek\"\nllm_base_url = \"https://api.deepseek.com/\"\nllm_timeout = \"2m\"\nllm_cache = \"off\"\nllm_cache_entries = 50\n",
        )
        .unwrap();
        let env = ConfigLayer::from_env([("SLIPWAY_LLM_RETRIES", "5"), ("SLIPWAY_LLM_MODEL", "deepseek-reasoner")]);
        let c = Config::from_layers(&[vec![file], env].concat()).unwrap();
        assert_eq!(c.llm.provider.as_deref(), Some("deepseek"));
        assert_eq!(c.llm.base_url.as_deref(), Some("https://api.deepseek.com"));
        assert_eq!((c.llm.timeout, c.llm.retries, c.llm.cache, c.llm.cache_entries), (120, 5, false, 50));
        assert_eq!(c.llm.model.as_deref(), Some("deepseek-reasoner"));
        let bad = |var: &str, value: &str| Config::from_layers(&ConfigLayer::from_env([(var, value)])).unwrap_err();
        assert!(bad("SLIPWAY_LLM_BASE_URL", "ftp://x").message.contains("http"));
        assert!(bad("SLIPWAY_LLM_RETRIES", "0").message.contains("at least 1"));
        assert!(bad("SLIPWAY_LLM_RETRIES", "11").message.contains("at most 10"));
        assert!(bad("SLIPWAY_LLM_TIMEOUT", "0").message.contains("at least"));
        assert!(bad("SLIPWAY_SECRET_KEY", "short").message.contains("32"));
        assert!(bad("SLIPWAY_LLM_CACHE", "1000").message.contains("llm_cache_entries"));
        assert!(bad("SLIPWAY_LLM_CACHE", "maybe").message.contains("on or off"));
    }

    #[test]
    fn the_outbound_allow_list_is_a_list() {
        let env = ConfigLayer::from_env([("SLIPWAY_OUTBOUND_ALLOW", "127.0.0.1:11434, localhost,10.0.0.0/8")]);
        let c = Config::from_layers(&env).unwrap();
        assert_eq!(c.outbound_allow, ["127.0.0.1:11434", "localhost", "10.0.0.0/8"]);
        assert!(Config::default().outbound_allow.is_empty());
    }

    #[test]
    fn file_store_keys_layer_and_validate() {
        let defaults = Config::default();
        assert_eq!((defaults.files.url.as_deref(), defaults.files.max_upload_bytes), (None, 100 * 1024 * 1024));
        let file =
            ConfigLayer::from_toml("slipway.toml", "files_url = \"/srv/files\"\nmax_upload_bytes = 2048\n").unwrap();
        let env = ConfigLayer::from_env([("SLIPWAY_FILES_URL", "s3://bucket/slipway")]);
        let c = Config::from_layers(&[vec![file], env].concat()).unwrap();
        assert_eq!((c.files.url.as_deref(), c.files.max_upload_bytes), (Some("s3://bucket/slipway"), 2048));
        assert!(c.to_redacted_toml().contains("files_url = \"s3://bucket/slipway\""));
        let ok = |value: &str| Config::from_layers(&ConfigLayer::from_env([("SLIPWAY_FILES_URL", value)])).is_ok();
        assert!(ok("file:///srv/files") && ok("./relative/files"));
        let bad = |var: &str, value: &str| Config::from_layers(&ConfigLayer::from_env([(var, value)])).unwrap_err();
        assert!(bad("SLIPWAY_FILES_URL", "gs://bucket").message.contains("s3://"));
        assert!(bad("SLIPWAY_FILES_URL", "file://relative").message.contains("file:///"));
        assert!(bad("SLIPWAY_FILES_URL", " ").message.contains("empty"));
        assert!(bad("SLIPWAY_MAX_UPLOAD_BYTES", "0").message.contains("at least 1"));
        assert!(bad("SLIPWAY_MAX_UPLOAD_BYTES", "lots").message.contains("whole number"));
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        let err = ConfigLayer::from_toml("slipway.toml", "bnd = \"0.0.0.0:1\"").unwrap_err();
        assert_eq!(err.origin, "slipway.toml");
        assert!(err.message.contains("bnd"), "{err}");
    }

    #[test]
    fn secrets_are_redacted_in_the_rendered_configuration() {
        let env = ConfigLayer::from_env([
            ("SLIPWAY_DATABASE_URL", "postgres://a:b@h/d"),
            ("SLIPWAY_JWT_SECRET", "0123456789abcdef0123456789abcdef-secret"),
            ("SLIPWAY_SMTP_URL", "smtp://mailer:mailpw@smtp.example:587"),
            ("SLIPWAY_ADMIN_PASSWORD", "Admin-Pass-1"),
            ("SLIPWAY_LLM_API_KEY", "sk-llm-key-1234"),
            ("SLIPWAY_SECRET_KEY", "0123456789abcdef0123456789abcdef-sealing"),
        ]);
        let text = Config::from_layers(&env).unwrap().to_redacted_toml();
        assert!(text.contains("llm_api_key = \"***\""), "{text}");
        assert!(text.contains("postgres://a:***@h/d"), "{text}");
        assert!(text.contains("smtp://mailer:***@smtp.example:587"), "{text}");
        for secret in [":b@", "-secret", "mailpw", "Admin-Pass-1", "sk-llm-key-1234", "-sealing"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        let reparsed = ConfigLayer::from_toml("printed", &Config::default().to_redacted_toml());
        assert!(reparsed.is_ok(), "the printed defaults are a valid slipway.toml: {reparsed:?}");
    }
}
