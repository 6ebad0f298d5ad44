//! Sending through a configured server with `lettre`: STARTTLS by default (implicit TLS on
//! port 465), certificates checked against the system roots plus the server's own CA, plain
//! SMTP only when "Do not use TLS" is ticked. Failures keep the mail server's own answer.

use super::store::ServerRow;
use crate::i18n::Msg;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// The transport for `s` with its (opened) password.
pub fn transport(s: &ServerRow, password: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, Msg> {
    let port = u16::try_from(s.port).map_err(|_| crate::msg!("smtp-port-range"))?;
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.address)
        .port(port)
        .timeout(Some(Duration::from_secs(15)));
    if s.no_tls == 0 {
        let mut params = TlsParameters::builder(s.address.clone());
        if !s.ca_pem.trim().is_empty() {
            let cert = Certificate::from_pem(s.ca_pem.as_bytes())
                .map_err(|e| crate::msg!("smtp-bad-ca", why = e))?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build_rustls()
            .map_err(|e| crate::msg!("smtp-bad-ca", why = e))?;
        b = b.tls(if port == 465 {
            Tls::Wrapper(params)
        } else {
            Tls::Required(params)
        });
    }
    if !s.username.is_empty() {
        b = b.credentials(Credentials::new(s.username.clone(), password.to_owned()));
    }
    Ok(b.build())
}

/// What went wrong, in words around the mail server's own answer.
pub fn explain(e: &lettre::transport::smtp::Error) -> Msg {
    let mut answer = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !answer.contains(&text) {
            answer.push_str(": ");
            answer.push_str(&text);
        }
        source = s.source();
    }
    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
    let lower = answer.to_ascii_lowercase();
    let tls = e.is_tls()
        || lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake");
    // The server's own answer decides first (a 530 "STARTTLS first" is a refusal, not a
    // failed handshake); without one, what broke the connection.
    let stage = if code.starts_with("53") && code != "530" {
        "smtp-stage-auth"
    } else if e.is_permanent() || e.is_transient() {
        "smtp-stage-refused"
    } else if tls {
        "smtp-stage-tls"
    } else if e.is_timeout() {
        "smtp-stage-timeout"
    } else {
        "smtp-stage-connect"
    };
    crate::msg!("smtp-failed", answer = answer).inner("stage", Msg::new(stage))
}

/// Sends one mail; the mail server's refusal as a message.
pub async fn send(
    s: &ServerRow,
    password: &str,
    subject: &str,
    text: String,
    html: Option<String>,
) -> Result<(), Msg> {
    send_classified(s, password, subject, text, html)
        .await
        .map_err(|(m, _)| m)
}

/// As [`send`]; the error also says whether trying again later may help (a 4xx answer, a
/// connection that failed or timed out).
pub async fn send_classified(
    s: &ServerRow,
    password: &str,
    subject: &str,
    text: String,
    html: Option<String>,
) -> Result<(), (Msg, bool)> {
    let plain = |m: Msg| (m, false);
    let from: Mailbox = s
        .sender
        .parse()
        .map_err(|_| plain(crate::msg!("smtp-bad-address", field = "sender")))?;
    let to: Mailbox = s
        .recipient
        .parse()
        .map_err(|_| plain(crate::msg!("smtp-bad-address", field = "recipient")))?;
    let builder = Message::builder().from(from).to(to).subject(subject);
    let msg = match html {
        Some(html) => builder.multipart(lettre::message::MultiPart::alternative_plain_html(
            text, html,
        )),
        None => builder.body(text),
    }
    .map_err(|e| {
        plain(crate::msg!("smtp-failed", answer = e).inner("stage", Msg::new("smtp-stage-message")))
    })?;
    let transport = transport(s, password).map_err(plain)?;
    transport.send(msg).await.map(|_| ()).map_err(|e| {
        let again = e.is_transient() || e.is_timeout() || !(e.is_permanent() || e.is_tls());
        (explain(&e), again)
    })
}
