//! The Slipway node as a library: the binary, the benchmarks and the end-to-end tests start it the same way.

pub mod cli;
pub mod logging;
pub mod server;
pub mod settings;
pub mod wiring;
pub mod worker;

/// Installs rustls' ring provider once per process; TLS clients (database, HTTP) need it before use.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
