//! Outgoing mail: SMTP when configured, otherwise `.eml` files in `<data_dir>/outbox/` so a new installation
//! still has a working code and confirmation flow.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use slipway_core::Error;
use slipway_core::config::{MailConfig, redact_url};

/// How long one SMTP delivery may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// Delivered over SMTP.
    Smtp {
        /// The pooled transport.
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The sender.
        from: Mailbox,
    },
    /// Written to files.
    Outbox {
        /// The directory.
        dir: PathBuf,
        /// The sender.
        from: Mailbox,
    },
}

impl Mailer {
    /// The mailer the configuration asks for.
    pub fn from_config(mail: &MailConfig, data_dir: &std::path::Path) -> Result<Self, Error> {
        let from: Mailbox = mail
            .from
            .parse()
            .map_err(|e| Error::Internal(format!("mail_from {:?} is not an address: {e}", mail.from)))?;
        match &mail.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| Error::Internal(format!("smtp_url {}: {e}", redact_url(url))))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Self::Smtp { transport, from })
            }
            None => Ok(Self::Outbox { dir: data_dir.join("outbox"), from }),
        }
    }

    /// Sends a plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), Error> {
        let to: Mailbox = to.parse().map_err(|e| Error::invalid_field("email", "value_error.email", format!("{e}")))?;
        let from = match self {
            Self::Smtp { from, .. } | Self::Outbox { from, .. } => from.clone(),
        };
        let message = Message::builder()
            .from(from)
            .to(to.clone())
            .subject(subject)
            .body(body.to_owned())
            .map_err(|e| Error::Internal(format!("cannot build mail: {e}")))?;
        match self {
            Self::Smtp { transport, .. } => {
                transport.send(message).await.map_err(|e| Error::Unavailable(format!("mail server: {e}")))?;
                tracing::info!(to = %to.email, subject, "mail sent");
            }
            Self::Outbox { dir, .. } => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| Error::Internal(format!("outbox: {e}")))?;
                let name = format!(
                    "{}-{}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
                    uuid::Uuid::new_v4().simple()
                );
                let path = dir.join(name);
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| Error::Internal(format!("outbox {}: {e}", path.display())))?;
                tracing::info!(to = %to.email, subject, path = %path.display(), "no SMTP configured: mail written to the outbox");
            }
        }
        Ok(())
    }
}
