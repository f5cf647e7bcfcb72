//! The database as a health probe.

use slipway_core::probe::{Probe, ProbeFuture};

use crate::Db;

impl Probe for Db {
    fn name(&self) -> &'static str {
        "database"
    }

    fn check(&self) -> ProbeFuture<'_> {
        Box::pin(async move { self.ping().await.map_err(|e| e.to_string()) })
    }
}
