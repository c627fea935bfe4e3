//! Mail delivery through `lettre`: SMTP when `TICKETING_SMTP_URL` names a server (the URL carries
//! the credentials and the TLS mode: `smtp://` plain or `?tls=required` STARTTLS, `smtps://`
//! implicit TLS), otherwise `.eml` files in the spool directory (`TICKETING_DATA_DIR/mail/`).

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a send did not go through.
#[derive(Debug, Clone)]
pub struct SendError {
    /// Trying again cannot help (a malformed address, a permanent SMTP refusal).
    pub permanent: bool,
    pub reason: String,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Spool(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

/// One message to send: both parts are rendered already.
pub struct Outgoing<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// A stable `Message-ID` (the notification id), so a duplicate after a crash is recognisable.
    pub message_id: &'a str,
}

impl Mailer {
    /// The error names the setting at fault.
    pub fn new(smtp_url: Option<&str>, from: &str, spool_dir: &Path, timeout: Duration) -> Result<Mailer, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("TICKETING_MAIL_FROM: '{from}' is not a mail address ({e})"))?;
        let transport = match smtp_url {
            Some(url) => {
                let b = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    // The URL may hold a password: never echo it.
                    .map_err(|e| format!("TICKETING_SMTP_URL: not a usable SMTP URL ({})", redact(&e.to_string(), url)))?;
                Transport::Smtp(b.timeout(Some(timeout)).build())
            }
            None => {
                std::fs::create_dir_all(spool_dir)
                    .map_err(|e| format!("TICKETING_DATA_DIR: cannot create the mail spool {}: {e}", spool_dir.display()))?;
                Transport::Spool(AsyncFileTransport::<Tokio1Executor>::new(spool_dir), spool_dir.to_path_buf())
            }
        };
        Ok(Mailer { transport, from })
    }

    /// Where mail goes, for logs (no credentials).
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Spool(_, dir) => format!("spool {}", dir.display()),
        }
    }

    pub fn build(&self, m: &Outgoing<'_>) -> Result<Message, SendError> {
        let to: Mailbox = m.to.parse().map_err(|e| SendError { permanent: true, reason: format!("bad recipient address: {e}") })?;
        let domain = self.from.email.domain().to_string();
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject)
            .message_id(Some(format!("<{}@{}>", m.message_id, domain)))
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(m.text.to_string()))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(m.html.to_string())),
            )
            .map_err(|e| SendError { permanent: true, reason: format!("cannot build the message: {e}") })
    }

    pub async fn send(&self, m: &Outgoing<'_>) -> Result<(), SendError> {
        let msg = self.build(m)?;
        match &self.transport {
            Transport::Smtp(t) => {
                t.send(msg).await.map(|_| ()).map_err(|e| SendError { permanent: e.is_permanent(), reason: format!("SMTP: {e}") })
            }
            Transport::Spool(t, _) => {
                t.send(msg).await.map(|_| ()).map_err(|e| SendError { permanent: false, reason: format!("mail spool: {e}") })
            }
        }
    }
}

fn redact(text: &str, url: &str) -> String {
    text.replace(url, "<url>")
}
