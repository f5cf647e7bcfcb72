//! Why an SSH connection or command failed, naming the step: DNS, TCP, host key, authentication, or the
//! connection itself (dropped, refused a channel).

use std::fmt;

/// The step of connecting that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The host name does not resolve (or resolves only to addresses the caller may not reach).
    Dns,
    /// No TCP connection to the port.
    Tcp,
    /// The host key is not the pinned one, or there is none pinned yet.
    HostKey,
    /// The server refused the credential.
    Auth,
    /// An established connection failed (dropped, channel refused, timed out).
    Connection,
    /// Slipway could not run `ssh` or write its files.
    Local,
}

impl Step {
    /// As the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Tcp => "tcp",
            Self::HostKey => "host_key",
            Self::Auth => "auth",
            Self::Connection => "connection",
            Self::Local => "local",
        }
    }
}

/// An SSH failure: the step and what `ssh` (or Slipway) said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshError {
    /// Which step failed.
    pub step: Step,
    /// What went wrong, for people (never contains a credential).
    pub message: String,
}

impl SshError {
    /// A failure at `step`.
    pub fn new(step: Step, message: impl Into<String>) -> Self {
        Self { step, message: message.into() }
    }

    /// A failure of Slipway's side (files, spawning `ssh`).
    pub fn local(message: impl Into<String>) -> Self {
        Self::new(Step::Local, message)
    }

    /// The failure `ssh` reported on its standard error, classified by step.
    pub fn from_stderr(stderr: &str) -> Self {
        let text = stderr.trim();
        let has = |s: &str| text.contains(s);
        let step = if has("REMOTE HOST IDENTIFICATION HAS CHANGED")
            || has("Host key verification failed")
            || has("host key for")
            || has("No ED25519 host key is known")
            || has("host key is known")
        {
            Step::HostKey
        } else if has("Permission denied") || has("Too many authentication failures") || has("no more authentication") {
            Step::Auth
        } else if has("Could not resolve hostname") || has("Name or service not known") {
            Step::Dns
        } else if has("Connection refused")
            || has("No route to host")
            || has("Network is unreachable")
            || has("connect to host")
        {
            Step::Tcp
        } else {
            Step::Connection
        };
        let last = text.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("ssh failed without a message");
        let message = match step {
            Step::HostKey => match offered_fingerprint(text) {
                Some(fp) => format!(
                    "the server's host key changed (it offered {fp}); the connection is refused until an \
                     administrator accepts the new key"
                ),
                None => format!("the server's host key is not the pinned one: {last}"),
            },
            Step::Auth => format!("authentication failed: {last}"),
            _ => last.to_owned(),
        };
        Self { step, message }
    }
}

fn offered_fingerprint(text: &str) -> Option<&str> {
    text.split_whitespace().find(|w| w.starts_with("SHA256:")).map(|w| w.trim_end_matches('.'))
}

impl fmt::Display for SshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} step: {}", self.step.as_str(), self.message)
    }
}

impl std::error::Error for SshError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_messages_name_their_step() {
        let cases = [
            ("ssh: Could not resolve hostname nowhere.invalid: Name or service not known", Step::Dns),
            ("ssh: connect to host 127.0.0.1 port 1: Connection refused", Step::Tcp),
            ("root@127.0.0.1: Permission denied (publickey).", Step::Auth),
            ("@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.", Step::HostKey),
            ("Connection closed by 127.0.0.1 port 22", Step::Connection),
        ];
        for (text, step) in cases {
            assert_eq!(SshError::from_stderr(text).step, step, "{text}");
        }
        assert!(
            SshError::from_stderr("x: Permission denied (publickey).").message.starts_with("authentication failed")
        );
    }
}
