//! Every configuration key: its `slipway.toml` name, its environment variable, and how it is written.

/// How a key's value is written in the environment and on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One value.
    Scalar,
    /// A comma-separated list (a TOML array in the file).
    List,
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Its name in `slipway.toml`.
    pub name: &'static str,
    /// Its environment variable.
    pub env: &'static str,
    /// How its value is written.
    pub kind: Kind,
}

const fn scalar(name: &'static str, env: &'static str) -> Key {
    Key { name, env, kind: Kind::Scalar }
}

const fn list(name: &'static str, env: &'static str) -> Key {
    Key { name, env, kind: Kind::List }
}

/// All keys, in the order `slipway config` prints them.
pub const KEYS: &[Key] = &[
    list("bind", "SLIPWAY_BIND"),
    scalar("data_dir", "SLIPWAY_DATA_DIR"),
    scalar("database_url", "SLIPWAY_DATABASE_URL"),
    scalar("log", "SLIPWAY_LOG"),
    scalar("log_format", "SLIPWAY_LOG_FORMAT"),
    list("cors_origins", "SLIPWAY_CORS_ORIGINS"),
    scalar("body_limit", "SLIPWAY_BODY_LIMIT"),
    scalar("request_timeout", "SLIPWAY_REQUEST_TIMEOUT"),
    scalar("shutdown_grace", "SLIPWAY_SHUTDOWN_GRACE"),
    scalar("monitor_interval", "SLIPWAY_MONITOR_INTERVAL"),
    scalar("db_max_connections", "SLIPWAY_DB_MAX_CONNECTIONS"),
    scalar("workers", "SLIPWAY_WORKERS"),
    scalar("event_retention_days", "SLIPWAY_EVENT_RETENTION_DAYS"),
    scalar("missed_runs", "SLIPWAY_MISSED_RUNS"),
    scalar("job_lease", "SLIPWAY_JOB_LEASE"),
    scalar("jwt_secret", "SLIPWAY_JWT_SECRET"),
    scalar("access_token_ttl", "SLIPWAY_ACCESS_TOKEN_TTL"),
    scalar("refresh_token_ttl", "SLIPWAY_REFRESH_TOKEN_TTL"),
    scalar("remember_me_ttl", "SLIPWAY_REMEMBER_ME_TTL"),
    scalar("password_min_length", "SLIPWAY_PASSWORD_MIN_LENGTH"),
    scalar("lockout_threshold", "SLIPWAY_LOCKOUT_THRESHOLD"),
    scalar("lockout_window", "SLIPWAY_LOCKOUT_WINDOW"),
    scalar("lockout_duration", "SLIPWAY_LOCKOUT_DURATION"),
    scalar("smtp_url", "SLIPWAY_SMTP_URL"),
    scalar("mail_from", "SLIPWAY_MAIL_FROM"),
    scalar("redis_url", "SLIPWAY_REDIS_URL"),
    scalar("rate_limit", "SLIPWAY_RATE_LIMIT"),
    scalar("rate_limit_perfect21", "SLIPWAY_RATE_LIMIT_PERFECT21"),
    scalar("rate_limit_login", "SLIPWAY_RATE_LIMIT_LOGIN"),
    scalar("rate_limit_register", "SLIPWAY_RATE_LIMIT_REGISTER"),
    scalar("rate_limit_resoftai_free", "SLIPWAY_RATE_LIMIT_RESOFTAI_FREE"),
    scalar("rate_limit_resoftai_paid", "SLIPWAY_RATE_LIMIT_RESOFTAI_PAID"),
    scalar("rate_limit_resoftai_enterprise", "SLIPWAY_RATE_LIMIT_RESOFTAI_ENTERPRISE"),
    list("trusted_proxies", "SLIPWAY_TRUSTED_PROXIES"),
    scalar("admin_username", "SLIPWAY_ADMIN_USERNAME"),
    scalar("admin_email", "SLIPWAY_ADMIN_EMAIL"),
    scalar("admin_password", "SLIPWAY_ADMIN_PASSWORD"),
    scalar("secret_key", "SLIPWAY_SECRET_KEY"),
    scalar("llm_provider", "SLIPWAY_LLM_PROVIDER"),
    scalar("llm_base_url", "SLIPWAY_LLM_BASE_URL"),
    scalar("llm_api_key", "SLIPWAY_LLM_API_KEY"),
    scalar("llm_model", "SLIPWAY_LLM_MODEL"),
    scalar("llm_timeout", "SLIPWAY_LLM_TIMEOUT"),
    scalar("llm_retries", "SLIPWAY_LLM_RETRIES"),
    scalar("llm_cache", "SLIPWAY_LLM_CACHE"),
    scalar("llm_cache_entries", "SLIPWAY_LLM_CACHE_ENTRIES"),
    scalar("llm_prices", "SLIPWAY_LLM_PRICES"),
    list("outbound_allow", "SLIPWAY_OUTBOUND_ALLOW"),
    scalar("files_url", "SLIPWAY_FILES_URL"),
    scalar("max_upload_bytes", "SLIPWAY_MAX_UPLOAD_BYTES"),
];

/// The key named `name`.
pub fn by_name(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// The key set by environment variable `env`.
pub fn by_env(env: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.env == env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_variables_are_unique_and_consistent() {
        for (i, k) in KEYS.iter().enumerate() {
            assert_eq!(k.env, format!("SLIPWAY_{}", k.name.to_ascii_uppercase()), "{}", k.name);
            assert!(KEYS[i + 1..].iter().all(|o| o.name != k.name), "{} twice", k.name);
        }
    }
}
