//! A small SMTP server on loopback that records what it is sent: enough of
//! RFC 5321 for a client that does EHLO, MAIL, RCPT, DATA and QUIT (no TLS,
//! no AUTH advertised). Bodies are kept decoded from quoted-printable.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use base64::Engine;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (dot-unstuffed).
    pub raw: String,
    /// Subject header.
    pub subject: String,
    /// The body, quoted-printable decoded.
    pub body: String,
}

#[derive(Clone, Default)]
pub struct TestSmtp {
    mails: Arc<Mutex<Vec<Mail>>>,
    /// Messages still to refuse with a transient 451 after DATA.
    refuse: Arc<Mutex<usize>>,
    pub port: u16,
}

impl TestSmtp {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().unwrap().port();
        let smtp = Self {
            mails: Arc::default(),
            refuse: Arc::default(),
            port,
        };
        let (mails, refuse) = (smtp.mails.clone(), smtp.refuse.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (mails, refuse) = (mails.clone(), refuse.clone());
                tokio::spawn(async move {
                    let _ = session(socket, mails, refuse).await;
                });
            }
        });
        smtp
    }

    /// Refuses the next `n` messages with `451` (try again later).
    pub fn refuse_next(&self, n: usize) {
        *self.refuse.lock().unwrap() = n;
    }

    /// `AFTERCARE_SMTP_URL` for this server (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages arrived (or the timeout passed).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.mails().len() < n && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.mails()
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
    refuse: Arc<Mutex<usize>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test-smtp ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write
                .write_all(b"250-test-smtp\r\n250 8BITMIME\r\n")
                .await?;
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RSET") {
            (from, to) = (String::new(), Vec::new());
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&cmd["MAIL FROM:".len()..]);
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&cmd["RCPT TO:".len()..]));
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut raw = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                raw.push_str(unstuffed);
            }
            let refused = {
                let mut left = refuse.lock().unwrap();
                let refused = *left > 0;
                *left = left.saturating_sub(1);
                refused
            };
            if refused {
                write.write_all(b"451 try again later\r\n").await?;
            } else {
                mails.lock().unwrap().push(parse(&from, &to, raw));
                write.write_all(b"250 queued\r\n").await?;
            }
            (from, to) = (String::new(), Vec::new());
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"502 not implemented\r\n").await?;
        }
    }
}

fn address(arg: &str) -> String {
    arg.split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_matches(|c| c == '<' || c == '>')
        .to_string()
}

fn parse(from: &str, to: &[String], raw: String) -> Mail {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw.as_str(), ""));
    // Unfold long headers.
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let subject = decode_words(
        head.lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default(),
    );
    let lower = head.to_ascii_lowercase();
    let body = if lower.contains("content-transfer-encoding: quoted-printable") {
        decode_qp(body)
    } else if lower.contains("content-transfer-encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(joined)
            .expect("a base64 body");
        String::from_utf8(bytes).expect("a UTF-8 body")
    } else {
        body.to_string()
    };
    Mail {
        from: from.into(),
        to: to.to_vec(),
        subject,
        body: body.replace("\r\n", "\n"),
        raw: raw.clone(),
    }
}

/// A header with RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`)
/// as text; the space between two encoded words is dropped, as the RFC says.
fn decode_words(header: &str) -> String {
    let mut out = String::new();
    let mut last_encoded = false;
    for (i, token) in header.split(' ').enumerate() {
        let decoded = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                let (_charset, enc, text) = (parts.next()?, parts.next()?, parts.next()?);
                let bytes = match enc {
                    "b" | "B" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?,
                    "q" | "Q" => decode_qp(&text.replace('_', " ")).into_bytes(),
                    _ => return None,
                };
                String::from_utf8(bytes).ok()
            });
        match decoded {
            Some(d) => {
                if i > 0 && !last_encoded {
                    out.push(' ');
                }
                out.push_str(&d);
                last_encoded = true;
            }
            None => {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(token);
                last_encoded = false;
            }
        }
    }
    out
}

fn decode_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
