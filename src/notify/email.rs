//! Alert e-mail over SMTP with `lettre`. `AFTERCARE_SMTP_URL` follows
//! lettre's connection URLs: `smtps://` is TLS from the first byte (port 465),
//! `smtp://…?tls=required` upgrades with STARTTLS or fails (port 587),
//! `smtp://` alone is unencrypted (local relays and tests only). Credentials
//! go in the URL's user and password. The URL is never logged.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::Outcome;

/// Sends alert e-mail through one SMTP server. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// `url` as described above; `from` an address such as
    /// `Aftercare <alerts@clinic.example>`. The error never quotes the URL.
    pub fn new(url: &str, from: &str, timeout: Duration) -> Result<Self, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("AFTERCARE_SMTP_FROM is not an address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| {
                "AFTERCARE_SMTP_URL must look like smtps://user:pass@host:465, \
                 smtp://host:587?tls=required or smtp://host:25"
                    .to_string()
            })?
            .timeout(Some(timeout))
            .build();
        Ok(Self { transport, from })
    }

    /// Sends one plain-text message to one address.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Outcome {
        let to: Mailbox = match to.parse() {
            Ok(m) => m,
            Err(e) => {
                return Outcome::Rejected {
                    status: None,
                    reason: format!("not an address: {e}"),
                }
            }
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string());
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                return Outcome::Rejected {
                    status: None,
                    reason: format!("cannot build the message: {e}"),
                }
            }
        };
        match self.transport.send(message).await {
            Ok(response) => Outcome::Delivered {
                status: u16::from(response.code()),
            },
            Err(e) => classify(&e),
        }
    }
}

fn classify(e: &SmtpError) -> Outcome {
    let status = e.status().map(u16::from);
    // lettre's Display carries the server's reply, not our credentials.
    let reason = e.to_string().chars().take(300).collect::<String>();
    if e.is_permanent() {
        tracing::warn!(status, "alert e-mail refused by the SMTP server");
        Outcome::Rejected { status, reason }
    } else {
        tracing::warn!(status, timeout = e.is_timeout(), "alert e-mail deferred");
        Outcome::Retry {
            status,
            after: None,
            reason,
        }
    }
}
