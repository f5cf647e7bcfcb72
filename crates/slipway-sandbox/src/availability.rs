//! Whether this node can sandbox commands, and the refusal the services give when it cannot.

use crate::bwrap::{Sandbox, SandboxOptions};

/// The sandbox of this node, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// bwrap is installed and a probe run succeeded.
    Available(Sandbox),
    /// Commands cannot be sandboxed here, and why.
    Unavailable(String),
}

impl Availability {
    /// Looks for bubblewrap and its helpers and runs a probe command in a sandbox (blocks for a few
    /// milliseconds). `Unavailable` carries the reason: a tool missing, or the probe's error.
    pub fn detect(options: SandboxOptions) -> Self {
        let sandbox = match Sandbox::unprobed(options) {
            Ok(s) => s,
            Err(reason) => return Self::Unavailable(reason),
        };
        match sandbox.probe() {
            Ok(()) => Self::Available(sandbox),
            Err(reason) => Self::Unavailable(reason),
        }
    }

    /// The sandbox, when there is one.
    pub fn sandbox(&self) -> Option<&Sandbox> {
        match self {
            Self::Available(s) => Some(s),
            Self::Unavailable(_) => None,
        }
    }

    /// Whether commands can be sandboxed here.
    pub fn is_available(&self) -> bool {
        self.sandbox().is_some()
    }

    /// Why commands cannot be sandboxed here.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Available(_) => None,
            Self::Unavailable(r) => Some(r),
        }
    }

    /// What a service answers an ordinary user who wants a command run where there is no sandbox.
    pub fn refusal(&self) -> String {
        format!(
            "commands need the bubblewrap sandbox (bwrap), which is unavailable: {}; only administrators may run \
             unsandboxed commands",
            self.reason().unwrap_or("it is available")
        )
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn a_missing_bwrap_is_unavailable_with_the_reason() {
        let mut options = SandboxOptions::hiding([PathBuf::from("/srv/data")]);
        options.bwrap = PathBuf::from("/nonexistent/bwrap");
        let a = Availability::detect(options);
        assert!(!a.is_available());
        assert_eq!(
            a.refusal(),
            "commands need the bubblewrap sandbox (bwrap), which is unavailable: /nonexistent/bwrap is not \
             installed; only administrators may run unsandboxed commands"
        );
    }
}
