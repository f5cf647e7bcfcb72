//! A local SMTP sink for tests: a real SMTP server on loopback that accepts every message and keeps it, so
//! tests read codes out of the mail exactly as a user would.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as sent (headers and body), lines joined with `\n`.
    pub data: String,
}

impl ReceivedMail {
    /// The first run of six digits in the body: the code a user would type.
    pub fn code(&self) -> Option<String> {
        let body = self.data.split_once("\n\n").map_or(self.data.as_str(), |(_, b)| b);
        let bytes = body.as_bytes();
        (0..bytes.len().saturating_sub(5)).find_map(|i| {
            let window = &bytes[i..i + 6];
            let bounded =
                (i == 0 || !bytes[i - 1].is_ascii_digit()) && bytes.get(i + 6).is_none_or(|b| !b.is_ascii_digit());
            (bounded && window.iter().all(u8::is_ascii_digit)).then(|| String::from_utf8_lossy(window).into_owned())
        })
    }
}

/// A running sink.
#[derive(Clone)]
pub struct SmtpSink {
    addr: SocketAddr,
    mail: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
}

impl SmtpSink {
    /// Starts a sink on an ephemeral loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let sink = Self { addr: listener.local_addr()?, mail: Arc::default(), arrived: Arc::default() };
        let accepting = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = accepting.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream).await;
                });
            }
        });
        Ok(sink)
    }

    /// The URL to configure as `smtp_url` (unencrypted, loopback).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.mail.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Waits up to `limit` for a message to `to`, returning the newest one.
    pub async fn wait_for(&self, to: &str, limit: Duration) -> Option<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.arrived.notified();
            if let Some(m) = self.received().into_iter().rev().find(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            {
                return Some(m);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 slipway-test-sink ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-slipway-test-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                b"250 OK\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                from = angle(&line[10..]);
                to.clear();
                b"250 OK\r\n"
            } else if upper.starts_with("RCPT TO:") {
                to.push(angle(&line[8..]));
                b"250 OK\r\n"
            } else if upper.starts_with("DATA") {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let mut data = Vec::new();
                while let Some(l) = lines.next_line().await? {
                    if l == "." {
                        break;
                    }
                    data.push(l.strip_prefix('.').map_or(l.clone(), str::to_owned));
                }
                let mail = ReceivedMail { from: from.clone(), to: to.clone(), data: data.join("\n") };
                self.mail.lock().unwrap_or_else(PoisonError::into_inner).push(mail);
                self.arrived.notify_waiters();
                b"250 OK: queued\r\n"
            } else if upper.starts_with("RSET") {
                from.clear();
                to.clear();
                b"250 OK\r\n"
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            } else {
                b"502 Command not implemented\r\n"
            };
            write.write_all(reply).await?;
        }
        Ok(())
    }
}

fn angle(s: &str) -> String {
    let s = s.trim();
    let s = s.split_whitespace().next().unwrap_or(s);
    s.trim_start_matches('<').trim_end_matches('>').to_owned()
}
